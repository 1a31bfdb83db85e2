"""`weir.retry`: backoff with jitter, a shared retry budget, the server's
advised delay and a deadline, decided by core after each failure. The
first call costs one Python frame (and one native call with a budget)."""

from __future__ import annotations

import asyncio
import functools
import inspect
import time
from typing import Any, Callable, Iterator, Optional, Tuple, Type, TypeVar, Union, cast, overload

from . import _weir
from ._errors import RetryExhausted

F = TypeVar("F", bound=Callable[..., Any])
RetryOn = Union[Type[BaseException], Tuple[Type[BaseException], ...], Callable[[BaseException], bool]]
Advice = Callable[[BaseException], Optional[float]]

_MAX_NS = 2**64 - 1


class Backoff(_weir.Backoff):
    """Exponential backoff with jitter. Iterating yields the delays in
    seconds before each retry (`attempts - 1` of them), for loops you write
    yourself::

        for delay in weir.Backoff(base=0.1, cap=2.0, attempts=5):
            ...
    """

    __slots__ = ()

    def __iter__(self) -> Iterator[float]:
        previous = 0
        for retry in range(1, self.attempts):
            previous = self.delay_ns(retry, None, previous)
            yield previous / 1e9


class RetryBudget(_weir.RetryBudget):
    """Retries allowed: `ratio` of the calls over the last `window` seconds
    plus `min_per_second`. Pass one instance to every `weir.retry` that calls
    the same dependency, so that retries cannot multiply an outage."""

    __slots__ = ()


def _seconds_to_ns(value: float) -> int:
    if value != value or value < 0:
        return 0
    if value == float("inf"):
        return _MAX_NS
    return min(int(value * 1e9), _MAX_NS)


def _header(exc: BaseException, name: str) -> Optional[str]:
    """Header `name` of the answer an exception carries: `exc.headers`, or
    `exc.response.headers` as httpx's and requests' errors hold them."""
    for headers in (getattr(exc, "headers", None), getattr(getattr(exc, "response", None), "headers", None)):
        if headers is None or not hasattr(headers, "get"):
            continue
        value = headers.get(name)
        if value is None and hasattr(headers, "items"):
            value = next((v for k, v in headers.items() if isinstance(k, str) and k.lower() == name), None)
        if value is not None:
            return value.decode("latin-1") if isinstance(value, bytes) else str(value)
    return None


def server_advice(exc: BaseException) -> Optional[float]:
    """The default `advised`: `exc.retry_after` as seconds (a number, or a
    `Retry-After` header value), else the `Retry-After` header of the answer
    the exception carries (`exc.headers`, `exc.response.headers`), else no
    advice."""
    value = getattr(exc, "retry_after", None)
    if value is None:
        value = _header(exc, "retry-after")
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return _weir.parse_retry_after_ns(value) / 1e9
        except ValueError:
            return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def no_retry(exc: BaseException) -> bool:
    """Whether a layer below already decided against a retry: `exc.no_retry`
    is true, or the answer it carries has `x-weir-no-retry: 1` or a negative
    `grpc-retry-pushback-ms`. Such a failure is not retried here, or retries
    would multiply once per layer."""
    if getattr(exc, "no_retry", False) is True:
        return True
    if (_header(exc, "x-weir-no-retry") or "").strip() == "1":
        return True
    return (_header(exc, "grpc-retry-pushback-ms") or "").strip().startswith("-")


class _Loop:
    """Everything one decorated function needs after a failure."""

    __slots__ = ("policy", "matches", "advised", "deadline_ns", "reraise", "on_retry")

    def __init__(
        self,
        policy: _weir.RetryPolicy,
        matches: Callable[[BaseException], bool],
        advised: Advice,
        deadline_ns: Optional[int],
        reraise: bool,
        on_retry: Optional[Callable[[int, float, BaseException], Any]],
    ) -> None:
        self.policy = policy
        self.matches = matches
        self.advised = advised
        self.deadline_ns = deadline_ns
        self.reraise = reraise
        self.on_retry = on_retry

    def next_delay(self, attempt: int, previous: int, exc: BaseException, started: int) -> int:
        """The delay before the next attempt, or raise the refusal."""
        now = _weir.monotonic_ns()
        final = no_retry(exc)
        left: Optional[int] = None
        if self.deadline_ns is not None:
            left = max(started + self.deadline_ns - now, 0)
            if left == 0 and not final:
                self.give_up("deadline_exceeded", attempt, exc)
        advice = self.advised(exc)
        advised_ns = None if advice is None else _seconds_to_ns(advice)
        decision, delay = self.policy.decide(attempt, previous, advised_ns, left, now, None, final)
        if not decision:
            self.give_up(decision.reason, attempt, exc)
        if self.on_retry is not None:
            self.on_retry(attempt, delay / 1e9, exc)
        return delay

    def give_up(self, reason: str, attempt: int, exc: BaseException) -> None:
        if self.reraise:
            raise exc
        raise RetryExhausted(reason, attempt, exc) from exc


def _matcher(retry_on: RetryOn) -> Callable[[BaseException], bool]:
    if isinstance(retry_on, type) and issubclass(retry_on, BaseException):
        kind: Type[BaseException] = retry_on
        return lambda e: isinstance(e, kind)
    if isinstance(retry_on, tuple):
        for t in retry_on:
            if not (isinstance(t, type) and issubclass(t, BaseException)):
                raise TypeError(f"retry: retry_on must hold exception types, got {t!r}")
        return lambda e: isinstance(e, retry_on)
    if callable(retry_on) and not isinstance(retry_on, type):
        return retry_on
    raise TypeError(f"retry: retry_on must be an exception type, a tuple of them or a predicate, got {retry_on!r}")


def _decorate(fn: F, loop: _Loop, deposit: bool) -> F:
    policy, matches = loop.policy, loop.matches
    timed = loop.deadline_ns is not None
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            if deposit:
                policy.deposit()
            started = _weir.monotonic_ns() if timed else 0
            attempt, previous = 1, 0
            while True:
                try:
                    return await fn(*args, **kwargs)
                except BaseException as exc:
                    if not matches(exc):
                        raise
                    previous = loop.next_delay(attempt, previous, exc, started)
                await asyncio.sleep(previous / 1e9)
                attempt += 1

        return cast(F, run_async)

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        if deposit:
            policy.deposit()
        started = _weir.monotonic_ns() if timed else 0
        try:
            return fn(*args, **kwargs)
        except BaseException as first:
            if not matches(first):
                raise
            failed: BaseException = first
        attempt, previous = 1, 0
        while True:
            previous = loop.next_delay(attempt, previous, failed, started)
            time.sleep(previous / 1e9)
            attempt += 1
            try:
                return fn(*args, **kwargs)
            except BaseException as again:
                if not matches(again):
                    raise
                failed = again

    return cast(F, run)


@overload
def retry(fn: F) -> F: ...


@overload
def retry(
    fn: None = None,
    *,
    attempts: int = 3,
    base: float = 0.025,
    cap: float = 0.25,
    multiplier: float = 2.0,
    jitter: str = "full",
    backoff: Optional[Backoff] = None,
    budget: Optional[RetryBudget] = None,
    retry_on: RetryOn = Exception,
    advised: Advice = server_advice,
    advised_cap: float = 30.0,
    deadline: Optional[float] = None,
    reraise: bool = False,
    on_retry: Optional[Callable[[int, float, BaseException], Any]] = None,
) -> Callable[[F], F]: ...


def retry(
    fn: Optional[F] = None,
    *,
    attempts: int = 3,
    base: float = 0.025,
    cap: float = 0.25,
    multiplier: float = 2.0,
    jitter: str = "full",
    backoff: Optional[Backoff] = None,
    budget: Optional[RetryBudget] = None,
    retry_on: RetryOn = Exception,
    advised: Advice = server_advice,
    advised_cap: float = 30.0,
    deadline: Optional[float] = None,
    reraise: bool = False,
    on_retry: Optional[Callable[[int, float, BaseException], Any]] = None,
) -> Any:
    """Retries a sync or async function on failure.

    After each failure core decides, in this order: the attempt limit
    (`attempts` calls in all), the delay (exponential from `base` to `cap`
    with `jitter`, or the server's advice from `advised(exc)` in seconds,
    by default `exc.retry_after`, capped at `advised_cap`) against what is
    left of `deadline` (seconds for all attempts), and the shared `budget`.
    Before all of them, a failure a layer below marked final (`exc.no_retry`,
    or `x-weir-no-retry: 1` in `exc.headers` / `exc.response.headers`) is
    refused as `not_retryable` without spending the budget. A refusal raises `weir.RetryExhausted` (with `reason` and the last error
    as `__cause__`), or the last error itself with `reraise=True`.
    `on_retry(attempt, delay_seconds, exc)` is called before each sleep.
    """
    if backoff is None:
        backoff = Backoff(base=base, cap=cap, multiplier=multiplier, jitter=jitter, attempts=attempts, advised_cap=advised_cap)
    elif not isinstance(backoff, _weir.Backoff):
        raise TypeError(f"retry: backoff must be a weir.Backoff, got {type(backoff).__name__}")
    if budget is not None and not isinstance(budget, _weir.RetryBudget):
        raise TypeError(f"retry: budget must be a weir.RetryBudget, got {type(budget).__name__}")
    deadline_ns: Optional[int] = None
    if deadline is not None:
        if isinstance(deadline, bool) or not isinstance(deadline, (int, float)) or deadline != deadline or deadline <= 0:
            from ._errors import ConfigError

            raise ConfigError(f"retry: deadline must be > 0 seconds, got {deadline!r}", "deadline", "deadline", "> 0")
        deadline_ns = _seconds_to_ns(deadline)
    if not callable(advised):
        raise TypeError(f"retry: advised must be callable, got {advised!r}")
    loop = _Loop(_weir.RetryPolicy(backoff, budget), _matcher(retry_on), advised, deadline_ns, reraise, on_retry)

    def decorate(f: F) -> F:
        if not callable(f):
            raise TypeError(f"retry: can only decorate a callable, got {f!r}")
        return _decorate(f, loop, budget is not None)

    if fn is not None:
        return decorate(fn)
    return decorate
