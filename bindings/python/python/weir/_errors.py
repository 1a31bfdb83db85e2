"""The exceptions weir raises. Every refusal carries why (`reason`) and, where
it makes sense, when to come back (`retry_after`, seconds)."""

from __future__ import annotations

__all__ = [
    "WeirError",
    "ConfigError",
    "Refused",
    "RateLimited",
    "Overloaded",
    "Throttled",
    "CircuitOpen",
    "RetryExhausted",
    "DeadlineExceeded",
    "NoNode",
]


class WeirError(Exception):
    """Base class of every exception weir raises itself."""


class ConfigError(WeirError, ValueError):
    """A constructor argument broke a rule; `field` names the argument."""

    def __init__(self, message: str, field: str, core_field: str, rule: str) -> None:
        super().__init__(message)
        self.field = field
        self.core_field = core_field
        self.rule = rule


class Refused(WeirError):
    """A request was refused; `retry_after` (seconds, may be `inf`) says
    when a retry could succeed and `reason` says why."""

    def __init__(self, message: str, retry_after: float, reason: str) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.reason = reason


class RateLimited(Refused):
    """A rate or concurrency limit refused the request."""


class Overloaded(Refused):
    """The shedder refused the request: the service is overloaded."""


class Throttled(Refused):
    """Client-side adaptive throttling refused the call locally."""


class CircuitOpen(Refused):
    """A circuit breaker refused the call: `reason` is `circuit_open` (open,
    `retry_after` the time left in open, `inf` when forced open) or
    `circuit_half_open` (every half-open probe is out)."""


class NoNode(Refused):
    """The picker has no node that is up."""


class DeadlineExceeded(WeirError, TimeoutError):
    """Nothing is left of the deadline."""

    reason = "deadline_exceeded"


class RetryExhausted(WeirError):
    """`weir.retry` gave up; `reason` is one of `not_retryable` (a layer
    below marked the failure final), `attempts_exhausted`,
    `budget_exhausted`, `deadline_too_close`, `deadline_exceeded`; `last`
    is the last exception (also the `__cause__`)."""

    def __init__(self, reason: str, attempts: int, last: BaseException) -> None:
        super().__init__(f"gave up after {attempts} attempt(s): {reason}: {last!r}")
        self.reason = reason
        self.attempts = attempts
        self.last = last
