use super::cell::AtomicRetryBudget;
use super::kernel::BudgetKernel;
use crate::backoff::Backoff;
use crate::{Decision, Nanos, Reason};

/// What [`retry`] asks last: may this retry, `delay` from now, be spent?
/// Implemented by the shared [`AtomicRetryBudget`] and by [`Unbudgeted`].
pub trait RetrySpend {
    /// Admits (and counts) the retry, or says why not.
    fn spend(&self, now: Nanos, delay: Nanos, deadline_left: Nanos) -> Decision;
}

impl RetrySpend for AtomicRetryBudget {
    #[inline]
    fn spend(&self, now: Nanos, delay: Nanos, deadline_left: Nanos) -> Decision {
        self.withdraw(now, delay, deadline_left)
    }
}

/// A retry policy with no shared budget: only the attempt limit and the
/// deadline can refuse.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Unbudgeted;

impl RetrySpend for Unbudgeted {
    #[inline]
    fn spend(&self, _now: Nanos, delay: Nanos, deadline_left: Nanos) -> Decision {
        BudgetKernel::too_close(delay, deadline_left).unwrap_or(Decision::admit(u64::MAX, 0))
    }
}

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
    /// The failed call's answer was final: a layer below already decided
    /// against a retry (`x-weir-no-retry: 1`, `grpc-retry-pushback-ms` < 0).
    /// Retrying at every layer multiplies the attempts per layer, so only
    /// the layer that saw the failure retries.
    pub no_retry: bool,
}

/// Whether to retry, and after how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryDecision {
    /// Admitted, or why not: not retryable, attempts exhausted, deadline
    /// too close, or budget exhausted (in that order of precedence).
    pub decision: Decision,
    /// How long to wait before the retry; 0 when refused.
    pub delay: Nanos,
}

/// Decides a retry at `now`: a final answer first and the attempt limit
/// next (they cost nothing), then the backoff delay against the deadline,
/// and only then the budget, so a retry that could never happen does not
/// spend it.
#[inline]
pub fn retry<B: RetrySpend + ?Sized>(now: Nanos, backoff: &Backoff, budget: &B, ask: &RetryAsk) -> RetryDecision {
    if ask.no_retry {
        return RetryDecision { decision: Decision::reject(Reason::NotRetryable, u64::MAX, 0, 0), delay: 0 };
    }
    match backoff.next(ask.attempt, ask.draw, ask.previous_delay, ask.advised) {
        Err(reason) => RetryDecision { decision: Decision::reject(reason, u64::MAX, 0, 0), delay: 0 },
        Ok(delay) => {
            let decision = budget.spend(now, delay, ask.deadline_left);
            RetryDecision { decision, delay: if decision.is_admitted() { delay } else { 0 } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backoff::BackoffConfig;
    use crate::budget::RetryBudgetConfig;

    #[test]
    fn unbudgeted_refuses_only_on_attempts_and_deadline() {
        let backoff = Backoff::new(BackoffConfig::default()).unwrap();
        let ask = RetryAsk {
            attempt: 1,
            draw: 0,
            previous_delay: 0,
            advised: None,
            deadline_left: u64::MAX,
            no_retry: false,
        };
        assert!(retry(0, &backoff, &Unbudgeted, &ask).decision.is_admitted());
        let close = RetryAsk { deadline_left: 0, ..ask };
        assert_eq!(retry(0, &backoff, &Unbudgeted, &close).decision.reason, Reason::DeadlineTooClose);
        let spent = RetryAsk { attempt: u32::MAX, ..ask };
        assert_eq!(retry(0, &backoff, &Unbudgeted, &spent).decision.reason, Reason::AttemptsExhausted);
    }

    #[test]
    fn a_final_answer_is_refused_before_the_budget_is_spent() {
        let backoff = Backoff::new(BackoffConfig::default()).unwrap();
        let budget = AtomicRetryBudget::new(RetryBudgetConfig { min_per_second: 1, ..Default::default() }).unwrap();
        let ask =
            RetryAsk { attempt: 1, draw: 0, previous_delay: 0, advised: None, deadline_left: u64::MAX, no_retry: true };
        let refused = retry(0, &backoff, &budget, &ask);
        assert_eq!((refused.decision.reason, refused.delay), (Reason::NotRetryable, 0));
        assert_eq!(budget.snapshot(0), (0, 0), "a refused final answer spends nothing");
        let plain = RetryAsk { no_retry: false, ..ask };
        assert!(retry(0, &backoff, &budget, &plain).decision.is_admitted());
        assert_eq!(budget.snapshot(0), (0, 1));
    }
}
