"""Retry at one layer only (a final answer from below is not retried) and
fallbacks answering weir's refusals."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List

import pytest

import weir


class Answered(Exception):
    """A failed answer as an HTTP client reports it: `exc.response.headers`."""

    def __init__(self, headers: Dict[str, str]) -> None:
        super().__init__("503")
        self.response = type("Response", (), {"headers": headers})()


class Marked(Exception):
    no_retry = True


def admit(limiter: weir.Limiter) -> None:
    """Spends a token or raises the limiter's refusal, as `weir.RateLimited`."""
    d = limiter.try_acquire()
    if not d:
        raise weir.RateLimited(f"rate limited ({d.reason})", d.retry_after, d.reason)


def counted(exc: BaseException) -> Any:
    calls: List[int] = []

    def fn() -> str:
        calls.append(1)
        raise exc

    return fn, calls


@pytest.mark.parametrize(
    "exc",
    [
        Marked("from below"),
        Answered({"X-Weir-No-Retry": "1"}),
        Answered({"grpc-retry-pushback-ms": "-1"}),
    ],
)
def test_a_final_answer_is_tried_once_and_spends_no_budget(exc: BaseException) -> None:
    budget = weir.RetryBudget()
    fn, calls = counted(exc)
    with pytest.raises(weir.RetryExhausted) as info:
        weir.retry(attempts=5, base=0.001, cap=0.002, budget=budget)(fn)()
    assert len(calls) == 1
    assert info.value.reason == "not_retryable"
    assert info.value.__cause__ is exc
    assert budget.stats()["retries"] == 0


def test_an_unmarked_answer_is_retried_and_its_retry_after_read() -> None:
    exc = Answered({"Retry-After": "0"})
    assert weir.server_advice(exc) == 0.0 and not weir.no_retry(exc)
    fn, calls = counted(exc)
    with pytest.raises(weir.RetryExhausted) as info:
        weir.retry(attempts=3, base=0.001, cap=0.002)(fn)()
    assert (len(calls), info.value.reason) == (3, "attempts_exhausted")


def test_async_retry_honours_the_marker() -> None:
    calls: List[int] = []

    @weir.retry(attempts=4, base=0.001, cap=0.002)
    async def fn() -> None:
        calls.append(1)
        raise Marked()

    with pytest.raises(weir.RetryExhausted) as info:
        asyncio.run(fn())
    assert (len(calls), info.value.reason) == (1, "not_retryable")


def test_fallback_answers_a_rate_limit_with_its_reason() -> None:
    limiter = weir.Limiter(0.001, burst=1)
    seen: List[str] = []

    def stale(exc: BaseException) -> str:
        seen.append(exc.reason)  # type: ignore[attr-defined]
        return "stale"

    @weir.fallback(stale)
    def fetch() -> str:
        admit(limiter)
        return "fresh"

    assert fetch() == "fresh"
    assert fetch() == "stale"
    assert seen == ["rate_limited"]
    assert fetch.fallback_stats() == {"rate_limited": 1}  # type: ignore[attr-defined]


def test_fallback_value_for_async_and_failures_only_when_asked() -> None:
    limiter = weir.Limiter(0.001, burst=1)

    @weir.fallback("static")
    async def refused() -> str:
        admit(limiter)
        return "fresh"

    assert asyncio.run(refused()) == "fresh"
    assert asyncio.run(refused()) == "static"

    @weir.fallback("static")
    def broken() -> str:
        raise KeyError("x")

    with pytest.raises(KeyError):
        broken()

    async def partial(exc: BaseException) -> str:
        return f"partial after {type(exc).__name__}"

    @weir.fallback(partial, on=Exception)
    async def failing() -> str:
        raise KeyError("x")

    assert asyncio.run(failing()) == "partial after KeyError"
    assert failing.fallback_stats() == {"failed": 1}  # type: ignore[attr-defined]
