use crate::Nanos;

/// Why a decision came out the way it did. One enum for every primitive so
/// hosts can map it to a status, a metric name or a log line in one place.
/// The discriminants are part of the C ABI and never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Reason {
    /// Admitted.
    Admitted = 0,
    /// A rate limit has no tokens for this cost now; `retry_after` says when.
    RateLimited = 1,
    /// The cost is larger than the burst: it can never be admitted.
    CostExceedsBurst = 2,
    /// A keyed table has no free entry for a new key in its set; `retry_after`
    /// says when the earliest entry there expires.
    TableFull = 3,
    /// A concurrency limit is at its maximum in flight.
    ConcurrencyLimited = 4,
    /// The shedder saw CPU at or above its threshold and too much in flight.
    CpuOverloaded = 5,
    /// The shedder is in its cool-off after a CPU drop and too much is in flight.
    CoolingOff = 6,
    /// The shedder's in-flight queue reached its hard maximum.
    QueueFull = 7,
    /// Client-side adaptive throttling rejected the request locally.
    Throttled = 8,
    /// The time horizon of the state would overflow `u64` nanoseconds; the
    /// primitive fails closed rather than wrap around.
    TimeOverflow = 9,
    /// A retry budget has spent its allowance (ratio of requests plus the
    /// per-second floor) over its rolling window.
    BudgetExhausted = 10,
    /// The retry policy's maximum number of attempts has been reached.
    AttemptsExhausted = 11,
    /// The backoff delay would use up what is left of the deadline, so the
    /// retry could not finish in time.
    DeadlineTooClose = 12,
    /// Nothing is left of the deadline once the safety margin is taken.
    DeadlineExceeded = 13,
    /// The picker has no node that is up.
    NoNode = 14,
    /// A circuit breaker is open (or forced open); `retry_after` is the time
    /// left in open (`u64::MAX` when forced open).
    CircuitOpen = 15,
    /// A circuit breaker is half-open and every probe it allows is out.
    CircuitHalfOpen = 16,
    /// The failed call's answer said a layer below already decided against
    /// a retry (`x-weir-no-retry: 1`, a negative `grpc-retry-pushback-ms`):
    /// retrying here too would multiply the attempts once per layer.
    NotRetryable = 17,
}

/// The name of every reason, written once: `as_str` answers it as is and
/// `as_cstr` with a NUL, each a plain match (a name read through `CStr`
/// would cost a length scan and a UTF-8 check on every call).
macro_rules! reason_names {
    ($($reason:ident => $name:literal,)*) => {
        impl Reason {
            /// A stable snake_case name for metrics and logs.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Reason::$reason => $name,)*
                }
            }

            /// [`Self::as_str`] with a NUL terminator, for C callers.
            pub const fn as_cstr(self) -> &'static core::ffi::CStr {
                match self {
                    $(Reason::$reason => {
                        // Checked while compiling: the names hold no NUL.
                        const NAME: &core::ffi::CStr =
                            match core::ffi::CStr::from_bytes_with_nul(concat!($name, "\0").as_bytes()) {
                                Ok(name) => name,
                                Err(_) => c"",
                            };
                        NAME
                    })*
                }
            }
        }
    };
}

reason_names! {
    Admitted => "admitted",
    RateLimited => "rate_limited",
    CostExceedsBurst => "cost_exceeds_burst",
    TableFull => "table_full",
    ConcurrencyLimited => "concurrency_limited",
    CpuOverloaded => "cpu_overloaded",
    CoolingOff => "cooling_off",
    QueueFull => "queue_full",
    Throttled => "throttled",
    TimeOverflow => "time_overflow",
    BudgetExhausted => "budget_exhausted",
    AttemptsExhausted => "attempts_exhausted",
    DeadlineTooClose => "deadline_too_close",
    DeadlineExceeded => "deadline_exceeded",
    NoNode => "no_node",
    CircuitOpen => "circuit_open",
    CircuitHalfOpen => "circuit_half_open",
    NotRetryable => "not_retryable",
}

impl Reason {
    /// The reason with this ABI code, if any.
    pub const fn from_code(code: u8) -> Option<Reason> {
        Some(match code {
            0 => Reason::Admitted,
            1 => Reason::RateLimited,
            2 => Reason::CostExceedsBurst,
            3 => Reason::TableFull,
            4 => Reason::ConcurrencyLimited,
            5 => Reason::CpuOverloaded,
            6 => Reason::CoolingOff,
            7 => Reason::QueueFull,
            8 => Reason::Throttled,
            9 => Reason::TimeOverflow,
            10 => Reason::BudgetExhausted,
            11 => Reason::AttemptsExhausted,
            12 => Reason::DeadlineTooClose,
            13 => Reason::DeadlineExceeded,
            14 => Reason::NoNode,
            15 => Reason::CircuitOpen,
            16 => Reason::CircuitHalfOpen,
            17 => Reason::NotRetryable,
            _ => return None,
        })
    }
}

/// The answer to "may this request go ahead?", with what a host needs to
/// answer well: `Retry-After`, `X-RateLimit-Remaining`, `X-RateLimit-Reset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Why; [`Reason::Admitted`] when admitted.
    pub reason: Reason,
    /// When a retry of the same request could succeed, from `now`; 0 when
    /// admitted. `u64::MAX` when it never can (e.g. cost > burst).
    pub retry_after: Nanos,
    /// Whole units (tokens, in-flight slots) left after this decision, where
    /// the primitive has such a notion; 0 otherwise.
    pub remaining: u64,
    /// When the primitive is back to its idle state (a full bucket), from `now`.
    pub reset_after: Nanos,
}

impl Decision {
    /// Whether the request may go ahead.
    #[inline]
    pub const fn is_admitted(&self) -> bool {
        matches!(self.reason, Reason::Admitted)
    }

    pub(crate) const fn admit(remaining: u64, reset_after: Nanos) -> Self {
        Self { reason: Reason::Admitted, retry_after: 0, remaining, reset_after }
    }

    pub(crate) const fn reject(reason: Reason, retry_after: Nanos, remaining: u64, reset_after: Nanos) -> Self {
        Self { reason, retry_after, remaining, reset_after }
    }
}

#[cfg(test)]
mod tests {
    use super::Reason;

    #[test]
    fn every_reason_has_one_distinct_name_in_both_forms() {
        let reasons = (0..=u8::MAX).filter_map(Reason::from_code);
        let mut seen = 0;
        for (i, a) in reasons.clone().enumerate() {
            assert!(!a.as_str().is_empty(), "{a:?} has no name");
            assert_eq!(a.as_cstr().to_bytes(), a.as_str().as_bytes(), "{a:?}");
            for b in reasons.clone().skip(i + 1) {
                assert_ne!(a.as_str(), b.as_str(), "{a:?} and {b:?} share a name");
            }
            seen += 1;
        }
        assert_eq!(seen, 18, "a reason is missing from from_code");
    }
}
