"""`weir.fallback`: answer a refused (or, if asked, failed) call from a
fallback instead of failing: a static value, a stale cache entry, a partial
answer. Each fallback taken is counted by reason."""

from __future__ import annotations

import functools
import inspect
import threading
from typing import Any, Callable, Dict, Optional

from ._errors import Refused
from ._retry import RetryOn, _matcher

_FAILED = "failed"


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return reason if isinstance(reason, str) and isinstance(exc, Refused) else _FAILED


class _Counts:
    """Fallbacks taken by one decorated function, by reason."""

    __slots__ = ("_lock", "_by_reason")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_reason: Dict[str, int] = {}

    def add(self, reason: str) -> None:
        with self._lock:
            self._by_reason[reason] = self._by_reason.get(reason, 0) + 1

    def snapshot(self) -> Dict[str, int]:
        with self._lock:
            return dict(self._by_reason)


def fallback(value: Any, *, on: Optional[RetryOn] = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorates a sync or async function so that a weir refusal
    (`weir.Refused`: rate limited, shed, throttled, circuit open, no node)
    answers with `value` instead of raising. `value` may be a callable: it
    gets the exception (its `reason` says why) and its result, awaited when
    it is a coroutine, is the answer. `on` widens or narrows what is
    answered: an exception type, a tuple of them or a predicate, e.g.
    `on=Exception` for every failure. `wrapped.fallback_stats()` counts the
    fallbacks taken by reason (`"failed"` for exceptions that are not a
    refusal)::

        @weir.fallback(lambda exc: cached_profile(), on=Exception)
        @limiter
        def profile(user_id): ...
    """
    matches = _matcher(Refused if on is None else on)
    answer: Callable[[BaseException], Any] = value if callable(value) else (lambda _exc: value)
    counts = _Counts()

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        if not callable(fn):
            raise TypeError(f"fallback: can only decorate a callable, got {fn!r}")
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                try:
                    return await fn(*args, **kwargs)
                except Exception as exc:
                    if not matches(exc):
                        raise
                    counts.add(_reason(exc))
                    got = answer(exc)
                    return await got if inspect.isawaitable(got) else got

            run_async.fallback_stats = counts.snapshot  # type: ignore[attr-defined]
            return run_async

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                if not matches(exc):
                    raise
                counts.add(_reason(exc))
                return answer(exc)

        run.fallback_stats = counts.snapshot  # type: ignore[attr-defined]
        return run

    return decorate
