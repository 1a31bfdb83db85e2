use super::cell::AtomicRetryBudget;
use crate::backoff::Backoff;
use crate::{Decision, Nanos};

/// Everything a host knows when a call has just failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAsk {
    /// The attempt that failed: 1 for the first call.
    pub attempt: u32,
    /// A uniform random `u64` for the jitter.
    pub draw: u64,
    /// The delay before the attempt that failed (0 after the first call).
    pub previous_delay: Nanos,
    /// The server's advised delay (`Retry-After`, pushback), if it sent one.
    pub advised: Option<Nanos>,
    /// What is left of the caller's deadline; `u64::MAX` for none.
    pub deadline_left: Nanos,
}

/// Whether to retry, and after how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryDecision {
    /// Admitted, or why not: attempts exhausted, deadline too close, or
    /// budget exhausted (in that order of precedence).
    pub decision: Decision,
    /// How long to wait before the retry; 0 when refused.
    pub delay: Nanos,
}

/// Decides a retry at `now`: the attempt limit first (it costs nothing),
/// then the backoff delay against the deadline, and only then the budget, so
/// a retry that could never happen does not spend it.
#[inline]
pub fn retry(now: Nanos, backoff: &Backoff, budget: &AtomicRetryBudget, ask: &RetryAsk) -> RetryDecision {
    match backoff.next(ask.attempt, ask.draw, ask.previous_delay, ask.advised) {
        Err(reason) => RetryDecision { decision: Decision::reject(reason, u64::MAX, 0, 0), delay: 0 },
        Ok(delay) => {
            let decision = budget.withdraw(now, delay, ask.deadline_left);
            RetryDecision { decision, delay: if decision.is_admitted() { delay } else { 0 } }
        }
    }
}
