from __future__ import annotations

import asyncio
import time
from typing import List

import pytest

import weir


class Flaky(Exception):
    pass


def failing(times: int, exc: BaseException = Flaky("boom")):  # type: ignore[no-untyped-def]
    calls: List[float] = []

    def fn() -> str:
        calls.append(time.monotonic())
        if len(calls) <= times:
            raise exc
        return "ok"

    return fn, calls


def test_first_time_success_calls_once() -> None:
    fn, calls = failing(0)
    assert weir.retry(fn)() == "ok" and len(calls) == 1


def test_retries_until_success() -> None:
    fn, calls = failing(2)
    wrapped = weir.retry(attempts=3, base=0.001, cap=0.002)(fn)
    assert wrapped() == "ok" and len(calls) == 3


def test_attempts_exhausted_says_why_and_chains_the_error() -> None:
    fn, calls = failing(10)
    with pytest.raises(weir.RetryExhausted) as e:
        weir.retry(attempts=3, base=0.001)(fn)()
    assert e.value.reason == "attempts_exhausted" and e.value.attempts == 3
    assert isinstance(e.value.__cause__, Flaky) and e.value.last is e.value.__cause__
    assert len(calls) == 3


def test_reraise_gives_the_original_error() -> None:
    fn, _ = failing(10)
    with pytest.raises(Flaky):
        weir.retry(attempts=2, base=0.001, reraise=True)(fn)()


def test_errors_not_in_retry_on_are_not_retried() -> None:
    fn, calls = failing(10, KeyError("k"))
    with pytest.raises(KeyError):
        weir.retry(retry_on=Flaky, base=0.001)(fn)()
    assert len(calls) == 1
    fn2, calls2 = failing(1, KeyError("k"))
    assert weir.retry(retry_on=lambda e: isinstance(e, KeyError), base=0.001)(fn2)() == "ok"
    assert len(calls2) == 2


def test_budget_shared_by_callers_refuses_with_its_reason() -> None:
    budget = weir.RetryBudget(ratio=0.0, min_per_second=0)
    fn, calls = failing(10)
    with pytest.raises(weir.RetryExhausted) as e:
        weir.retry(budget=budget, base=0.001)(fn)()
    assert e.value.reason == "budget_exhausted" and len(calls) == 1
    assert budget.stats()["requests"] == 1 and budget.stats()["retries"] == 0


def test_budget_allows_its_ratio() -> None:
    budget = weir.RetryBudget(ratio=0.5, min_per_second=0)
    ok = weir.retry(budget=budget)(lambda: 1)
    for _ in range(4):
        ok()
    fn, calls = failing(10)
    with pytest.raises(weir.RetryExhausted) as e:
        weir.retry(budget=budget, attempts=10, base=0.001, cap=0.001)(fn)()
    # 5 calls in the window at 50 %: 2 retries, then the budget says no
    assert e.value.reason == "budget_exhausted" and len(calls) == 3


def test_server_advice_replaces_the_backoff() -> None:
    class Busy(Exception):
        retry_after = 0.02

    delays: List[float] = []
    fn, calls = failing(1, Busy())
    wrapped = weir.retry(base=5.0, cap=5.0, on_retry=lambda a, d, e: delays.append(d))(fn)
    assert wrapped() == "ok"
    assert delays == [pytest.approx(0.02)]
    assert calls[1] - calls[0] >= 0.015


def test_advice_as_header_text_and_custom_callback() -> None:
    class Busy(Exception):
        retry_after = "0"

    delays: List[float] = []
    fn, _ = failing(1, Busy())
    weir.retry(base=5.0, cap=5.0, on_retry=lambda a, d, e: delays.append(d))(fn)()
    assert delays == [0.0]
    fn2, _ = failing(1)
    weir.retry(base=5.0, cap=5.0, advised=lambda e: 0.001, on_retry=lambda a, d, e: delays.append(d))(fn2)()
    assert delays[-1] == pytest.approx(0.001)


def test_deadline_too_close_refuses_a_retry_that_cannot_finish() -> None:
    fn, calls = failing(10)
    with pytest.raises(weir.RetryExhausted) as e:
        weir.retry(base=1.0, cap=1.0, jitter="none", deadline=0.5)(fn)()
    assert e.value.reason == "deadline_too_close" and len(calls) == 1


def test_deadline_exceeded_when_the_call_used_it_all() -> None:
    def slow() -> None:
        time.sleep(0.03)
        raise Flaky()

    with pytest.raises(weir.RetryExhausted) as e:
        weir.retry(base=0.001, deadline=0.02)(slow)()
    assert e.value.reason == "deadline_exceeded"


def test_async_retry() -> None:
    calls = 0

    @weir.retry(attempts=4, base=0.001, cap=0.002)
    async def work() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0)
        if calls < 3:
            raise Flaky()
        return calls

    assert asyncio.run(work()) == 3

    @weir.retry(attempts=2, base=0.001)
    async def never() -> None:
        raise Flaky()

    with pytest.raises(weir.RetryExhausted) as e:
        asyncio.run(never())
    assert e.value.reason == "attempts_exhausted"


def test_async_retry_is_cancellable_while_sleeping() -> None:
    @weir.retry(attempts=5, base=10.0, cap=10.0, jitter="none")
    async def work() -> None:
        raise Flaky()

    async def main() -> None:
        task = asyncio.ensure_future(work())
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    start = time.monotonic()
    asyncio.run(main())
    assert time.monotonic() - start < 1


def test_backoff_iterator_and_jitters() -> None:
    assert list(weir.Backoff(base=0.1, cap=1.0, jitter="none", attempts=6)) == [0.1, 0.2, 0.4, 0.8, 1.0]
    for jitter in ("full", "equal", "decorrelated"):
        delays = list(weir.Backoff(base=0.01, cap=0.5, jitter=jitter, attempts=20))
        assert len(delays) == 19 and all(0 <= d <= 0.5 for d in delays), (jitter, delays)
    assert list(weir.Backoff(attempts=1)) == []
    b = weir.Backoff(base=0.025, jitter="none")
    assert b.next_ns(1) == ("admitted", 25_000_000)
    assert b.next_ns(3) == ("attempts_exhausted", 0)
    assert b.next_ns(1, advised_ns=7) == ("admitted", 7)
    assert (b.attempts, b.jitter, b.base, b.cap) == (3, "none", 0.025, 0.25)


def test_retry_decorates_with_and_without_parentheses() -> None:
    @weir.retry
    def a() -> int:
        return 1

    @weir.retry()
    def b() -> int:
        return 2

    assert a() + b() == 3 and a.__name__ == "a"
