"""weir: rate limits, load shedding, adaptive throttling, p2c load
balancing, retries with budgets, singleflight and deadlines, decided by one
Rust core shared with weir's Envoy filter and its Go, C and Node hosts.

Every `now` argument is nanoseconds on `weir.monotonic_ns()`'s clock
(CLOCK_MONOTONIC's scale, read from the CPU's time-stamp counter) and
defaults to it; durations passed to constructors are seconds (int, float or
`timedelta`) or exact `weir.Nanos(n)`."""

from ._weir import (
    Decision,
    Hedger,
    HotKeys,
    LatencyQuantiles,
    Nanos,
    RetryPolicy,
    draw,
    hash_key,
    monotonic_ns,
)
from ._errors import (
    CircuitOpen,
    ConfigError,
    DeadlineExceeded,
    NoNode,
    Overloaded,
    RateLimited,
    Refused,
    RetryExhausted,
    Throttled,
    WeirError,
)
from ._limiter import FleetLimiter, KeyedLimiter, Limiter, MultiLimiter
from ._bulkhead import ConcurrencyLimiter
from ._guards import Shedder, Throttle
from ._breaker import AdaptiveLimiter, CircuitBreaker, StateChange
from ._events import Event
from ._retry import Backoff, RetryBudget, no_retry, retry, server_advice
from ._fallback import fallback
from ._picker import Pick, Picker
from ._policy import Policy, PolicyError, Verdict
from ._singleflight import SingleFlight
from ._hedge import Attempt, HotCache, hedged
from ._deadline import (
    Deadline,
    deadline_from_grpc_timeout,
    format_grpc_timeout,
    parse_grpc_timeout,
    parse_retry_after,
)

__all__ = [
    "AdaptiveLimiter",
    "Attempt",
    "Backoff",
    "CircuitBreaker",
    "CircuitOpen",
    "ConcurrencyLimiter",
    "ConfigError",
    "Deadline",
    "DeadlineExceeded",
    "Decision",
    "FleetLimiter",
    "Hedger",
    "HotCache",
    "HotKeys",
    "KeyedLimiter",
    "LatencyQuantiles",
    "Limiter",
    "MultiLimiter",
    "Nanos",
    "NoNode",
    "Overloaded",
    "Pick",
    "Picker",
    "Policy",
    "PolicyError",
    "RateLimited",
    "Refused",
    "RetryBudget",
    "RetryExhausted",
    "RetryPolicy",
    "Shedder",
    "SingleFlight",
    "StateChange",
    "Event",
    "Throttle",
    "Throttled",
    "Verdict",
    "WeirError",
    "deadline_from_grpc_timeout",
    "hedged",
    "draw",
    "fallback",
    "format_grpc_timeout",
    "hash_key",
    "monotonic_ns",
    "no_retry",
    "parse_grpc_timeout",
    "parse_retry_after",
    "retry",
    "server_advice",
]
