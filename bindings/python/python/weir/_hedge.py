"""`weir.hedged`: send a request's next copy when the first is slower than
recent latency says it should be, take the first answer, cancel the rest.
`weir.HotCache`: the hottest keys' values held for a short TTL, misses
shared through a `SingleFlight`."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, Awaitable, Callable, Dict, Generic, List, Optional, Set, Tuple, TypeVar, Union

from . import _weir
from ._picker import Pick, Picker
from ._singleflight import SingleFlight

T = TypeVar("T")
N = TypeVar("N")
Key = Union[str, bytes]


class Attempt(Generic[N]):
    """Which copy of a request this is: `number` 0 for the first, 1.. for
    hedges, and `node`, the picker's node it goes to (None without one)."""

    __slots__ = ("number", "node")

    def __init__(self, number: int, node: Optional[N]) -> None:
        self.number = number
        self.node = node

    def __repr__(self) -> str:
        return f"Attempt(number={self.number}, node={self.node!r})"


class _Copies:
    """The picks of one request by node index: a later pick that drew a
    node the request already uses rides on that copy and shares its
    outcome, so the picker's books balance."""

    def __init__(self) -> None:
        self.riders: Dict[int, List[Pick[Any]]] = {}

    def pick(self, picker: Picker[N]) -> Optional[Pick[N]]:
        for _ in range(4):
            try:
                p = picker.pick()
            except Exception:  # NoNode: send without a node
                return None
            if p.index not in self.riders:
                self.riders[p.index] = []
                return p
            self.riders[p.index].append(p)
        try:
            return picker.pick()
        except Exception:
            return None

    def done(self, pick: Optional[Pick[Any]], success: bool) -> None:
        if pick is None:
            return
        pick.done(success)
        for rider in self.riders.pop(pick.index, []):
            rider.done(success)


async def hedged(
    hedger: "_weir.Hedger",
    fn: Callable[[Attempt[N]], Awaitable[T]],
    *,
    picker: Optional[Picker[N]] = None,
    timeout: Optional[float] = None,
) -> T:
    """Awaits `fn(attempt)`; when no answer came within the hedger's delay,
    starts another copy as a task beside it (up to `max_hedges`, each
    spending the hedger's retry budget, each on a node of `picker` the
    request has not used when one is up) and returns the first success,
    cancelling the other tasks. When every copy sent failed, raises the last
    one's exception. `timeout` (seconds) is the caller's deadline: no hedge
    is started that could not begin before it."""
    started = hedger.begin()
    deadline = None if timeout is None else started + int(timeout * 1e9)
    copies = _Copies()
    tasks: Dict["asyncio.Future[T]", Optional[Pick[N]]] = {}

    def launch(number: int) -> None:
        pick = copies.pick(picker) if picker is not None else None
        attempt: Attempt[N] = Attempt(number, pick.node if pick is not None else None)
        tasks[asyncio.ensure_future(fn(attempt))] = pick

    launch(0)
    sent = 0
    last: Optional[BaseException] = None
    try:
        while True:
            # Answers first: a hedge is not sent (nor its retry spent) for a
            # request whose answer is already in.
            for task in [t for t in tasks if t.done()]:
                pick = tasks.pop(task)
                error = task.exception()
                copies.done(pick, error is None)
                if error is None:
                    hedger.record_ns(_weir.monotonic_ns() - started)
                    return task.result()
                last = error
            if not tasks:
                assert last is not None
                raise last
            wait: Optional[float] = None
            if sent < hedger.max_hedges:
                left = None if deadline is None else max(0, deadline - _weir.monotonic_ns())
                action, _, due, _ = hedger.next(started, sent, left)
                if action == "send":
                    sent += 1
                    launch(sent)
                    continue
                if action == "wait":
                    wait = max(0.0, (due - _weir.monotonic_ns()) / 1e9)
                else:
                    sent = hedger.max_hedges
            await asyncio.wait(tasks, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task, pick in tasks.items():
            task.cancel()
            copies.done(pick, False)


class _Entry(Generic[T]):
    __slots__ = ("value", "until")

    def __init__(self, value: T, until: float) -> None:
        self.value = value
        self.until = until


class HotCache(Generic[T]):
    """Holds the values of `hot_keys`' top `top` keys for `ttl` seconds and
    loads every miss through `flights`, so concurrent misses of one key make
    one load. Keys outside the top are never stored: the cache holds at most
    `top` values whatever the key space."""

    def __init__(self, hot_keys: "_weir.HotKeys", flights: SingleFlight, *, top: int = 16, ttl: float = 1.0) -> None:
        self._hot = hot_keys
        self._flights = flights
        self._top = top
        self._ttl = ttl
        self._lock = threading.Lock()
        self._entries: Dict[Key, _Entry[T]] = {}
        self._hot_set: Set[Any] = set()
        self._read_at = float("-inf")

    def __len__(self) -> int:
        return len(self._entries)

    def _lookup(self, key: Key) -> Tuple[bool, Optional[T], bool]:
        self._hot.record(key)
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and now < entry.until:
                return True, entry.value, True
            if now - self._read_at >= self._ttl:
                self._refresh(now)
            return False, None, key in self._hot_set

    def _refresh(self, now: float) -> None:
        self._read_at = now
        self._hot_set = {k for k, _, _ in self._hot.top(self._top)}
        for key in [k for k, e in self._entries.items() if k not in self._hot_set or now >= e.until]:
            del self._entries[key]

    def _store(self, key: Key, value: T) -> None:
        with self._lock:
            self._entries[key] = _Entry(value, time.monotonic() + self._ttl)

    async def get(self, key: Key, load: Callable[[], Awaitable[T]]) -> T:
        """The value of `key`: from the cache when it is hot and fresh, else
        from `load()`, shared with concurrent misses of the same key."""
        hit, value, hot = self._lookup(key)
        if hit:
            return value  # type: ignore[return-value]
        value = await self._flights.do_async(key, load)
        if hot:
            self._store(key, value)
        return value

    def get_sync(self, key: Key, load: Callable[[], T]) -> T:
        """`get` for threads."""
        hit, value, hot = self._lookup(key)
        if hit:
            return value  # type: ignore[return-value]
        value = self._flights.do(key, load)
        if hot:
            self._store(key, value)
        return value
