//! What each action does on a request and on its response. The decisions
//! are core's; these files only read what the kernels need from the
//! exchange and act on the answer.

pub mod breaker;
pub mod deadline;
pub mod gutter;
pub mod key;
pub mod limit;
pub mod pick;
pub mod shed;
pub mod throttle;

use weir_core::Decision;

/// A decision that answers the request locally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// Index of the rule in the plan.
    pub rule: usize,
    pub status: u32,
    pub decision: Decision,
    /// The burst, when the refusal is a rate limit's (adds `x-ratelimit-*`).
    pub burst: Option<u64>,
    /// The reason the answer names, when not core's own for the decision
    /// (`breaker_open` for core's `circuit_open`, `gutter_full`).
    pub label: Option<&'static str>,
}

impl Refusal {
    /// The reason the answer, its details and the counters name.
    pub fn reason(&self) -> &'static str {
        self.label.unwrap_or(self.decision.reason.as_str())
    }

    /// Whether a rule's `fallback` may answer it: a limit, throttle, shed,
    /// breaker or gutter refusal; not a deadline's (the caller's time is gone).
    pub fn may_fall_back(&self) -> bool {
        !matches!(self.decision.reason, weir_core::Reason::DeadlineExceeded | weir_core::Reason::DeadlineTooClose)
    }
}
