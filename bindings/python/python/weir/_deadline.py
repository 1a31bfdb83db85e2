"""Deadlines across calls, and the headers that carry them."""

from __future__ import annotations

from typing import Optional

from . import _weir
from ._errors import DeadlineExceeded


class Deadline(_weir.Deadline):
    """The time a call to one callee may take: the caller's own deadline
    left, capped at the callee's `timeout`, less `margin` (seconds)::

        policy = weir.Deadline(timeout=0.3, margin=0.005)
        own = weir.deadline_from_grpc_timeout(request.headers["grpc-timeout"])
        headers["grpc-timeout"] = weir.format_grpc_timeout(policy.budget(own))
    """

    __slots__ = ()

    def budget(self, deadline: Optional[int] = None, now: Optional[int] = None) -> float:
        """Seconds for the callee, given the caller's deadline (an instant
        on `weir.monotonic_ns()`'s clock); raises `weir.DeadlineExceeded`
        when nothing is left."""
        ns = self.budget_ns(deadline, now)
        if ns is None:
            raise DeadlineExceeded("deadline exceeded: nothing left after the margin")
        return float("inf") if ns == 2**64 - 1 else ns / 1e9


def parse_grpc_timeout(value: str) -> float:
    """A `grpc-timeout` header value (`"100m"`, `"5S"`) in seconds."""
    return _weir.parse_grpc_timeout_ns(value) / 1e9


def format_grpc_timeout(seconds: float) -> str:
    """Seconds as a `grpc-timeout` value, rounded up to the finest unit that fits."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds != seconds or seconds < 0:
        raise ValueError(f"format_grpc_timeout: seconds must be a number >= 0, got {seconds!r}")
    return _weir.format_grpc_timeout_ns(min(int(seconds * 1e9), 2**64 - 1))


def parse_retry_after(value: str, now_unix: Optional[float] = None) -> float:
    """A `Retry-After` value (seconds or an HTTP date) as seconds from now."""
    now = None if now_unix is None else int(now_unix)
    return _weir.parse_retry_after_ns(value, now) / 1e9


def deadline_from_grpc_timeout(value: str, now: Optional[int] = None) -> int:
    """The instant (monotonic ns) a request with this `grpc-timeout` must be done by."""
    start = _weir.monotonic_ns() if now is None else now
    return min(start + _weir.parse_grpc_timeout_ns(value), 2**64 - 1)
