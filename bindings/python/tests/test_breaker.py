from __future__ import annotations

import asyncio
import sys
import threading
import time
from typing import List

import pytest

import weir

S = 1_000_000_000


class Backend(Exception):
    pass


def test_opens_on_failure_rate_refuses_and_reports_the_move() -> None:
    changes: List[weir.StateChange] = []
    b = weir.CircuitBreaker(window_calls=4, minimum_calls=4, open_duration=60, on_state_change=changes.append)

    @b
    def call(fail: bool) -> str:
        if fail:
            raise Backend()
        return "ok"

    for fail in (False, True, False):
        if fail:
            with pytest.raises(Backend):
                call(fail)
        else:
            assert call(fail) == "ok"
    assert changes == []
    with pytest.raises(Backend):
        call(True)
    assert [(c.from_state, c.to_state, c.cause, c.calls, c.failures) for c in changes] == [
        ("closed", "open", "failure_rate", 4, 2)
    ]
    assert abs(changes[0].at_ns - weir.monotonic_ns()) < 60 * S
    with pytest.raises(weir.CircuitOpen) as e:
        call(False)
    assert isinstance(e.value, weir.Refused)
    assert e.value.reason == "circuit_open" and 59 < e.value.retry_after <= 60
    s = b.stats()
    assert s["state"] == "open" == b.state
    assert s["decisions"] == {"admitted": 4, "circuit_open": 1}
    b.force_open()
    with pytest.raises(weir.CircuitOpen) as forced:
        call(False)
    assert forced.value.retry_after == float("inf")
    b.reset()
    assert b.state == "closed" and [c.cause for c in changes][-2:] == ["forced_open", "reset"]


def test_async_calls_and_cancellation_gives_the_permit_back() -> None:
    b = weir.CircuitBreaker(consecutive_failures=1, failure_rate_threshold=0, slow_call_rate_threshold=0)

    @b
    async def slow() -> None:
        await asyncio.sleep(10)

    async def main() -> None:
        task = asyncio.ensure_future(slow())
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        async with b.call():
            pass

    asyncio.run(main())
    s = b.stats()
    assert s["state"] == "closed" and s["calls"] == 1 and s["failures"] == 0, "the cancelled call is not counted"
    with pytest.raises(Backend):
        with b.call():
            raise Backend()
    assert b.state == "open"


def test_a_weir_refusal_inside_does_not_count_and_failures_decides() -> None:
    b = weir.CircuitBreaker(consecutive_failures=1, failure_rate_threshold=0, failures=(Backend,))
    with pytest.raises(weir.RateLimited):
        with b.call():
            raise weir.RateLimited("inner limit", 1.0, "rate_limited")
    with pytest.raises(KeyError):
        with b.call():
            raise KeyError("not a failure")
    assert b.state == "closed"


def test_slow_calls_are_measured_on_weirs_clock() -> None:
    b = weir.CircuitBreaker(
        window_calls=1, minimum_calls=1, failure_rate_threshold=0, slow_call_rate_threshold=100, slow_call_duration=0.001
    )
    with b.call():
        time.sleep(0.005)
    assert b.state == "open"


def test_explicit_permits_and_a_throwing_callback(monkeypatch: pytest.MonkeyPatch) -> None:
    reported: List[BaseException] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: reported.append(u.exc_value))

    def broken(_: weir.StateChange) -> None:
        raise RuntimeError("callback bug")

    b = weir.CircuitBreaker(window_calls=1, minimum_calls=1, open_duration=1, on_state_change=broken)
    d, permit = b.try_acquire(now=0)
    assert d and permit is not None and not permit.probe
    b.record(permit, True, now=0)
    assert b.state == "open"
    assert [str(e) for e in reported] == ["callback bug"], "a callback's exception never changes the call's outcome"
    d, refused = b.try_acquire(now=1)
    assert not d and refused is None and d.reason == "circuit_open"
    d, probe = b.try_acquire(now=2 * S)
    assert d and probe is not None and probe.probe
    assert b.release(probe) and not b.release(probe)


def test_state_changes_from_many_threads_arrive_in_order() -> None:
    seen: List[str] = []
    b = weir.CircuitBreaker(window_calls=1, minimum_calls=1, on_state_change=lambda c: seen.append(c.to_state))

    def flip(n: int) -> None:
        for _ in range(n):
            b.force_open()
            b.reset()

    threads = [threading.Thread(target=flip, args=(200,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 1600 - b.stats()["events_dropped"]
    assert all(a != c for a, c in zip(seen, seen[1:])), "moves alternate, so in-order delivery never repeats a state"


@pytest.mark.parametrize(
    "kwargs, field, got",
    [
        ({"window_calls": 0}, "window_calls", "got 0"),
        ({"half_open_probes": 31}, "half_open_probes", "got 31"),
        ({"failure_rate_threshold": 150}, "failure_rate_threshold", "got 150"),
        ({"window_calls": 10, "minimum_calls": 11}, "minimum_calls", "got 11"),
        ({"window_duration": 1, "buckets": 3}, "window_duration", "got 1000000000 ns"),
        ({"open_duration": -1}, "open_duration", "got -1"),
        ({"window": "sliding"}, "window", 'got "sliding"'),
    ],
)
def test_bad_breaker_config_names_field_rule_and_value(kwargs: dict, field: str, got: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(weir.ConfigError) as e:
        weir.CircuitBreaker(**kwargs)
    assert e.value.field == field and got in str(e.value) and "must be" in str(e.value), str(e.value)


def test_adaptive_limiter_refuses_at_the_limit_and_learns() -> None:
    lim = weir.AdaptiveLimiter(initial_limit=2, min_limit=1, max_limit=50)
    with lim.acquire():
        with lim.acquire() as slot:
            with pytest.raises(weir.RateLimited) as e:
                with lim.acquire():
                    pass
            assert e.value.reason == "concurrency_limited"
            time.sleep(0.002)
            slot.ignore()
    s = lim.stats()
    assert s["in_flight"] == 0 and s["decisions"] == {"admitted": 2, "concurrency_limited": 1}
    assert s["baseline_rtt"] > 0.0 and s["algorithm"] == "gradient2"

    @lim
    async def work() -> int:
        await asyncio.sleep(0)
        return 7

    assert asyncio.run(work()) == 7
    d, permit = lim.try_acquire()
    assert d and permit is not None and permit.in_flight == 1
    assert lim.release(permit, "dropped", weir.Nanos(5_000_000)) >= 1
    assert lim.stats()["in_flight"] == 0


@pytest.mark.parametrize(
    "kwargs, field, got",
    [
        ({"algorithm": "bbr"}, "algorithm", 'got "bbr"'),
        ({"alpha": 4}, "alpha", "got 4"),
        ({"algorithm": "aimd", "smoothing": 0.5}, "smoothing", "got 0.5"),
        ({"min_limit": 10, "max_limit": 5}, "max_limit", "got 5"),
        ({"algorithm": "aimd", "timeout": 0}, "timeout", "got 0 ns"),
    ],
)
def test_bad_adaptive_config_names_field_rule_and_value(kwargs: dict, field: str, got: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(weir.ConfigError) as e:
        weir.AdaptiveLimiter(**kwargs)
    assert e.value.field == field and got in str(e.value), str(e.value)
