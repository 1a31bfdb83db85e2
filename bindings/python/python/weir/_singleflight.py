"""`weir.SingleFlight`: concurrent calls for one key share the work of the
first. Core (a fixed table) decides who leads; this module waits."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Awaitable, Callable, Dict, Optional, Tuple, TypeVar, Union

from . import _weir

T = TypeVar("T")
Key = Union[str, bytes]


class _Flight:
    __slots__ = ("done", "event", "value", "error", "waiters", "task", "loop", "abandoned")

    def __init__(self) -> None:
        self.done = False
        # Made by the first thread follower only: most flights have none.
        self.event: Optional[threading.Event] = None
        self.value: Any = None
        self.error: Optional[BaseException] = None
        # Python-side followers still to read the result (core counts them too).
        self.waiters = 0
        self.task: Optional["asyncio.Task[Any]"] = None
        self.loop: Optional[asyncio.AbstractEventLoop] = None
        self.abandoned = False


class SingleFlight:
    """Runs `fn` once for concurrent callers of the same key; the others get
    its result (or its exception).

    - `flights.do(key, fn, timeout=None)` for threads: a follower that times
      out leaves (`TimeoutError`) without disturbing the others.
    - `await flights.do_async(key, coro_fn)` for asyncio: a cancelled caller
      leaves alone; the work is cancelled only once no caller is left.

    `capacity` bounds the keys in flight at once; a key whose slot is busy
    with another key runs its own call without sharing. When callers choose
    the keys, pass `seed` (a str or bytes secret): keys are then hashed
    under it, so no caller can pick keys that occupy another key's slot.
    """

    def __init__(self, capacity: int = 1024, *, seed: Optional[Union[str, bytes]] = None) -> None:
        self._table = _weir.FlightTable(capacity, seed=seed)
        self._lock = threading.Lock()
        self._flights: Dict[Tuple[int, int], _Flight] = {}

    @property
    def in_flight(self) -> int:
        """Keys with a flight (leading or draining)."""
        return int(self._table.occupied)

    def _join(self, key: Key) -> Tuple[str, Tuple[int, int], Optional[_Flight]]:
        h = self._table._hash(key)
        with self._lock:
            role, slot, gen = self._table._begin(h)
            ticket = (slot, gen)
            if role == "leader":
                flight = _Flight()
                self._flights[ticket] = flight
                return role, ticket, flight
            if role == "follower":
                flight = self._flights[ticket]
                flight.waiters += 1
                if flight.event is None:
                    flight.event = threading.Event()
                return role, ticket, flight
            return role, ticket, None

    def _finish(self, ticket: Tuple[int, int], flight: _Flight) -> None:
        with self._lock:
            self._table._finish(*ticket)
            flight.done = True
            if flight.waiters == 0:
                self._flights.pop(ticket, None)
            event = flight.event
        if event is not None:
            event.set()

    def _leave(self, ticket: Tuple[int, int], flight: _Flight) -> None:
        with self._lock:
            self._table._leave(*ticket)
            flight.waiters -= 1
            if flight.waiters == 0 and flight.done:
                self._flights.pop(ticket, None)

    def do(self, key: Key, fn: Callable[[], T], timeout: Optional[float] = None) -> T:
        role, ticket, flight = self._join(key)
        if flight is None:
            return fn()
        if role == "leader":
            try:
                flight.value = fn()
            except BaseException as e:
                flight.error = e
            self._finish(ticket, flight)
        else:
            assert flight.event is not None
            try:
                if not flight.event.wait(timeout):
                    raise TimeoutError(f"SingleFlight.do: no result for {key!r} within {timeout} s")
            finally:
                self._leave(ticket, flight)
        if flight.error is not None:
            raise flight.error
        return flight.value  # type: ignore[no-any-return]

    async def do_async(self, key: Key, fn: Callable[[], Awaitable[T]]) -> T:
        loop = asyncio.get_running_loop()
        role, ticket, flight = self._join(key)
        if flight is None:
            return await fn()
        if role == "leader":
            flight.loop = loop
            flight.task = loop.create_task(self._lead(ticket, flight, fn))
            with self._lock:
                flight.waiters += 1
            # The leading caller is a waiter like the others, not in core.
            return await self._wait(ticket, flight, leader=True)
        if flight.loop is not loop:
            # A follower on another event loop cannot await the task: leave
            # and do the work alone.
            self._leave(ticket, flight)
            return await fn()
        return await self._wait(ticket, flight, leader=False)

    async def _lead(self, ticket: Tuple[int, int], flight: _Flight, fn: Callable[[], Awaitable[T]]) -> None:
        try:
            flight.value = await fn()
        except BaseException as e:  # noqa: B902 - the waiters get it
            flight.error = e
        finally:
            with self._lock:
                self._table._finish(*ticket)
                flight.done = True
        if isinstance(flight.error, (KeyboardInterrupt, SystemExit)):
            raise flight.error

    async def _wait(self, ticket: Tuple[int, int], flight: _Flight, leader: bool) -> T:
        task = flight.task
        assert task is not None
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            self._depart(ticket, flight, leader)
            raise
        self._depart(ticket, flight, leader)
        if flight.error is not None:
            raise flight.error
        return flight.value  # type: ignore[no-any-return]

    def _depart(self, ticket: Tuple[int, int], flight: _Flight, leader: bool) -> None:
        with self._lock:
            if not leader:
                self._table._leave(*ticket)
            flight.waiters -= 1
            left = flight.waiters
            if left == 0 and flight.task is not None and not flight.task.done():
                flight.abandoned = True
                # No caller is left: finish now so no new caller joins work
                # that is about to be cancelled.
                self._table._finish(*ticket)
                flight.task.cancel()
            if left == 0:
                self._flights.pop(ticket, None)
