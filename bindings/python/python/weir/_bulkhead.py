"""The bulkhead: at most `max_in_flight` at once, and a bounded FIFO queue
of callers waiting their turn. Threads wait in the native `acquire`; asyncio
tasks wait here, on a future the releasing caller completes through the
task's loop, so a thread releasing a permit wakes a task safely."""

from __future__ import annotations

import asyncio
import functools
from typing import Any, Callable, Optional, TypeVar

from . import _weir
from ._errors import RateLimited
from ._guards import _guarded

F = TypeVar("F", bound=Callable[..., Any])


def _grant(future: "asyncio.Future[None]") -> None:
    # A task cancelled at the moment of the hand-off has a done future; it
    # passes the permit on itself (see acquire_async).
    if not future.done():
        future.set_result(None)


class ConcurrencyLimiter(_weir.ConcurrencyLimiter):
    """At most `max_in_flight` at once; up to `max_queue` callers (default
    1024; 0 for none) wait their turn in arrival order, each for at most
    `max_wait` seconds (default 60). A released slot goes to the oldest
    waiter; nobody arriving later takes it first.

    - `with limiter:` and `try_acquire()` never wait: `weir.RateLimited`
      (reason `"concurrency_limited"`) when full.
    - `with limiter.acquire(timeout=None):` waits, GIL released.
    - `async with limiter:` and `await limiter.acquire_async(timeout=None)`
      wait on the event loop; cancelling the task leaves the queue.

    A refused waiter gets `weir.RateLimited` whose `reason` says why:
    `"queue_full"`, `"wait_timeout"` (or `"concurrency_limited"` with no
    queue)."""

    __slots__ = ()

    async def acquire_async(self, timeout: Optional[float] = None) -> "_weir.Permit":
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        ticket, wait = self._enqueue(functools.partial(loop.call_soon_threadsafe, _grant, future), timeout)
        if ticket == 0:
            return self._permit()
        try:
            async with asyncio.timeout(wait):
                await future
        except TimeoutError:
            if self._cancel(ticket, True):
                raise RateLimited("rate limited (wait_timeout)", 0.0, "wait_timeout") from None
            # Handed the permit as the wait ran out: it is ours.
        except BaseException:
            if not self._cancel(ticket, False):
                # Handed the permit as the task was cancelled: pass it on.
                self.release()
            raise
        return self._permit()

    def __call__(self, fn: F) -> F:
        return _guarded(fn, lambda: self)

    async def __aenter__(self) -> "ConcurrencyLimiter":
        await self.acquire_async()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.release()
