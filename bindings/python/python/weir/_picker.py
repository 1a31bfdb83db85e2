"""`weir.Picker`: power-of-two-choices over the caller's node objects."""

from __future__ import annotations

import itertools
import threading
from typing import Any, Dict, Generic, Iterable, List, Optional, Type, TypeVar

from . import _weir
from ._errors import NoNode

T = TypeVar("T")


class Pick(Generic[T]):
    """One request sent to `node`. As a context manager it yields the node
    and reports latency and success (no exception) when the block ends;
    call `report(cpu_permille=...)` inside the block to pass on the server's
    CPU, or `report(success=False)` for a failure that raised nothing."""

    __slots__ = ("node", "index", "gen", "forced", "started_at", "_picker", "_cpu", "_success", "_open")

    def __init__(self, picker: "Picker[T]", node: T, index: int, gen: int, forced: bool) -> None:
        self.node = node
        self.index = index
        self.gen = gen
        self.forced = forced
        self.started_at = _weir.monotonic_ns()
        self._picker = picker
        self._cpu: Optional[int] = None
        self._success: Optional[bool] = None
        self._open = True

    def report(self, *, cpu_permille: Optional[int] = None, success: Optional[bool] = None) -> None:
        if cpu_permille is not None:
            if isinstance(cpu_permille, bool) or not isinstance(cpu_permille, int) or cpu_permille < 0:
                raise ValueError(f"Pick.report: cpu_permille must be an int >= 0, got {cpu_permille!r}")
            self._cpu = cpu_permille
        if success is not None:
            self._success = bool(success)

    def done(self, success: bool = True, now: Optional[int] = None) -> bool:
        """Reports the outcome once; `False` if already reported or the node
        was removed meanwhile."""
        if not self._open:
            return False
        self._open = False
        end = _weir.monotonic_ns() if now is None else now
        ok = success if self._success is None else self._success
        return bool(
            self._picker._core._done(self.index, self.gen, max(0, end - self.started_at), ok, self._cpu, end)
        )

    def __enter__(self) -> T:
        return self.node

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException], tb: Any) -> None:
        self.done(success=exc is None)

    async def __aenter__(self) -> T:
        return self.node

    async def __aexit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException], tb: Any) -> None:
        self.done(success=exc is None)


class Picker(Generic[T]):
    """Chooses among `nodes` by power of two choices: two random nodes, the
    lower load wins (EWMA latency, in-flight, success rate, server CPU); a
    node left unpicked for `force_pick` seconds is tried once.

    ::

        picker = weir.Picker(["10.0.0.1", "10.0.0.2", "10.0.0.3"])
        with picker.pick() as node:
            call(node)
    """

    def __init__(
        self,
        nodes: Iterable[T] = (),
        *,
        capacity: Optional[int] = None,
        tau: Optional[float] = None,
        force_pick: Optional[float] = None,
        success_floor: Optional[float] = None,
        cpu_ceiling: Optional[int] = None,
        latency_bias: Optional[float] = None,
        initial_latency: Optional[float] = None,
    ) -> None:
        initial = list(nodes)
        if capacity is None:
            capacity = max(len(initial), 1)
        config: Dict[str, Any] = {
            k: v
            for k, v in dict(
                tau=tau,
                force_pick=force_pick,
                success_floor=success_floor,
                cpu_ceiling=cpu_ceiling,
                latency_bias=latency_bias,
                initial_latency=initial_latency,
            ).items()
            if v is not None
        }
        self._core = _weir.PickerCore(capacity, **config)
        if len(initial) > self._core.capacity:
            from ._errors import ConfigError

            raise ConfigError(
                f"Picker: capacity must be >= len(nodes), got {capacity} < {len(initial)}", "capacity", "capacity", ">= len(nodes)"
            )
        self._slots: List[Optional[T]] = [None] * self._core.capacity
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        for node in initial:
            self.add(node)

    def add(self, node: T) -> bool:
        """Adds a node; `False` when every slot is taken."""
        with self._lock:
            index = self._core._add(next(self._ids))
            if index is None:
                return False
            self._slots[index] = node
            return True

    def _index(self, node: T) -> Optional[int]:
        for i, n in enumerate(self._slots):
            if n is node or (n is not None and n == node):
                return i
        return None

    def remove(self, node: T) -> bool:
        """Removes a node; picks in flight to it report to nobody."""
        with self._lock:
            i = self._index(node)
            if i is None:
                return False
            self._core._remove(i)
            self._slots[i] = None
            return True

    def set_up(self, node: T, up: bool) -> bool:
        """Marks a node down (never picked) or up again."""
        with self._lock:
            i = self._index(node)
            return i is not None and bool(self._core._set_up(i, up))

    def pick(self, now: Optional[int] = None, draw: Optional[int] = None) -> Pick[T]:
        """Chooses a node; raises `weir.NoNode` when none is up."""
        chosen = self._core._pick(now, draw)
        if chosen is None:
            raise NoNode("no node is up", float("inf"), "no_node")
        index, gen, forced = chosen
        node = self._slots[index]
        if node is None:
            # Core made the slot pickable a moment before `add` stored the
            # node (under the lock), or the node was removed: the lock
            # settles which.
            with self._lock:
                node = self._slots[index]
            if node is None:
                # Removed: core already ignores this ticket's report.
                return self.pick(now, draw)
        return Pick(self, node, index, gen, forced)

    def stats(self) -> List[Dict[str, Any]]:
        """Each node's stats (`node`, `state`, `in_flight`, `latency_ns`,
        `success`, `cpu_permille`, ...)."""
        out = []
        for i, node in enumerate(self._slots):
            if node is None:
                continue
            s = self._core._node(i)
            if s is not None:
                s["node"] = node
                out.append(s)
        return out

    def __len__(self) -> int:
        return sum(1 for n in self._slots if n is not None)
