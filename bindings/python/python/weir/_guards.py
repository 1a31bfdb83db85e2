"""Load shedding and client-side throttling, with decorators over the
native `guard()` / `call()` context managers."""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, TypeVar, cast

from . import _weir

F = TypeVar("F", bound=Callable[..., Any])


def _guarded(fn: F, make: Callable[[], Any]) -> F:
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            async with make():
                return await fn(*args, **kwargs)

        return cast(F, run_async)

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        with make():
            return fn(*args, **kwargs)

    return cast(F, run)


class Shedder(_weir.Shedder):
    """Adaptive overload protection (BBR-style). `with shedder.guard():`
    admits or raises `weir.Overloaded`; the latency is recorded on exit.
    Feed it CPU with `record_cpu(permille)`, or pass `cpu_sampler=True` to
    sample cgroup v2 / `/proc/stat` every `sample_interval` seconds from a
    native thread. `@shedder` guards every call of a function."""

    __slots__ = ()

    def __call__(self, fn: F) -> F:
        return _guarded(fn, self.guard)


class Throttle(_weir.Throttle):
    """Client-side adaptive throttling (Google SRE). `with throttle.call():`
    admits or raises `weir.Throttled`; an exception matching `failures`
    counts as a failed call. `@throttle` wraps every call of a function."""

    __slots__ = ()

    def __call__(self, fn: F) -> F:
        return _guarded(fn, self.call)
