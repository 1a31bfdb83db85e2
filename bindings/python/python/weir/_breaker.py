"""Circuit breaking and adaptive concurrency limits, with decorators over
the native `call()` / `acquire()` context managers."""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, TypeVar

from . import _weir
from ._guards import _guarded

F = TypeVar("F", bound=Callable[..., Any])


class StateChange(NamedTuple):
    """One move of a circuit breaker, with the counts that decided it (the
    window's when it left closed, the probes' when it left half-open)."""

    from_state: str
    to_state: str
    cause: str
    calls: int
    failures: int
    slow: int
    consecutive_failures: int
    at_ns: int


class CircuitBreaker(_weir.CircuitBreaker):
    """Closed, open, half-open (plus forced open and disabled) over a count
    or time window, opened by a failure rate, a slow-call rate or
    consecutive failures. `with breaker.call():` (or `async with`) admits or
    raises `weir.CircuitOpen`; an exception matching `failures` counts as a
    failed call. `on_state_change(StateChange)` is called with each move
    after the call that caused it. `@breaker` wraps every call of a
    function, sync or async."""

    __slots__ = ()

    def __call__(self, fn: F) -> F:
        return _guarded(fn, self.call)


class AdaptiveLimiter(_weir.AdaptiveLimiter):
    """A concurrency limit learned from latency alone (Gradient2 by
    default, or `algorithm="vegas"` / `"aimd"`). `with limiter.acquire() as
    slot:` (or `async with`) takes a slot or raises `weir.RateLimited`; the
    block's time is the RTT. `@limiter` wraps every call of a function."""

    __slots__ = ()

    def __call__(self, fn: F) -> F:
        return _guarded(fn, self.acquire)
