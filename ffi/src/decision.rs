//! The decision every admission call answers with, and its reason codes.

use std::ffi::c_char;
use weir_core::{Decision, Reason};

/// Why a decision came out the way it did. The values are weir-core's
/// `Reason` codes and never change.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum weir_reason {
    /// Admitted.
    Admitted = 0,
    /// No tokens for this cost now; `retry_after_ns` says when.
    RateLimited = 1,
    /// The cost exceeds the burst and can never be admitted.
    CostExceedsBurst = 2,
    /// A keyed table has no free entry for a new key in its set.
    TableFull = 3,
    /// A concurrency limit is at its maximum.
    ConcurrencyLimited = 4,
    /// The shedder saw CPU at or above its threshold and too much in flight.
    CpuOverloaded = 5,
    /// The shedder is cooling off after a drop and too much is in flight.
    CoolingOff = 6,
    /// The shedder's in-flight queue reached its hard cap.
    QueueFull = 7,
    /// Client-side adaptive throttling refused the request locally.
    Throttled = 8,
    /// The state's time horizon would overflow; refused rather than wrapped.
    TimeOverflow = 9,
    /// A retry budget has spent its allowance.
    BudgetExhausted = 10,
    /// The retry policy's maximum attempts were reached.
    AttemptsExhausted = 11,
    /// The backoff delay would use up what is left of the deadline.
    DeadlineTooClose = 12,
    /// Nothing is left of the deadline after the margin.
    DeadlineExceeded = 13,
    /// The picker has no node that is up.
    NoNode = 14,
    /// A circuit breaker is open; `retry_after_ns` is the time left in open
    /// (`UINT64_MAX` when forced open).
    CircuitOpen = 15,
    /// A circuit breaker is half-open and every probe it allows is out.
    CircuitHalfOpen = 16,
    /// The failed call's answer said a layer below already decided against
    /// a retry (`x-weir-no-retry: 1`, a negative `grpc-retry-pushback-ms`).
    NotRetryable = 17,
}

/// A decision: admitted or why not, and what a host needs for
/// `Retry-After` and `X-RateLimit-*` headers.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct weir_decision {
    /// A `weir_reason` value; `WEIR_REASON_ADMITTED` (0) when admitted.
    pub reason: u32,
    /// 1 when admitted, else 0 (the same as `reason == 0`, for convenience).
    pub admitted: u32,
    /// When a retry could succeed, ns from now; 0 when admitted,
    /// `UINT64_MAX` when never.
    pub retry_after_ns: u64,
    /// Whole units (tokens, slots) left after this decision, where the
    /// primitive has them; else 0.
    pub remaining: u64,
    /// When the primitive is back to idle (full bucket), ns from now.
    pub reset_after_ns: u64,
}

impl From<Decision> for weir_decision {
    #[inline(always)]
    fn from(d: Decision) -> Self {
        Self {
            reason: d.reason as u32,
            admitted: u32::from(d.is_admitted()),
            retry_after_ns: d.retry_after,
            remaining: d.remaining,
            reset_after_ns: d.reset_after,
        }
    }
}

/// The reason of a refusal that carries nothing else.
pub(crate) fn refused(reason: Reason) -> weir_decision {
    weir_decision { reason: reason as u32, admitted: 0, retry_after_ns: u64::MAX, remaining: 0, reset_after_ns: 0 }
}

/// The snake_case name of reason `code` (`"rate_limited"`), as used in
/// metrics, logs and the conformance vectors; `"unknown"` for a code that is
/// not a reason. Never NULL; static.
#[no_mangle]
pub extern "C" fn weir_reason_str(code: u32) -> *const c_char {
    u8::try_from(code).ok().and_then(Reason::from_code).map_or(c"unknown", Reason::as_cstr).as_ptr()
}

/// Decisions made on one handle so far (by every thread), by reason:
/// `count[r]` is how many had `weir_reason` `r`. The array is longer than
/// the reasons there are today, so it keeps its size as reasons are added.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct weir_decision_counts {
    /// Indexed by `weir_reason`; a reason never decided is 0.
    pub count: [u64; 32],
}

const _: () = assert!(weir_host::REASON_SLOTS == 32, "weir_decision_counts must hold every reason slot");

impl From<&weir_host::Decisions> for weir_decision_counts {
    fn from(d: &weir_host::Decisions) -> Self {
        Self { count: d.snapshot() }
    }
}
