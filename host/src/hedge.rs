//! [`Hedger`]: the hedging decision of weir-core with its inputs kept in
//! one place for every binding: the recent-latency estimator the delay is
//! read from, the retry budget each hedge spends, and counters. A binding's
//! executor calls [`Hedger::begin_at`] once per request, asks
//! [`Hedger::next_at`] when the first copy is sent and again when a hedge
//! is due, records the winner's latency with [`Hedger::record_at`], and
//! cancels the losers itself (ctx, asyncio task, AbortSignal).

use crate::quantile::LatencyQuantiles;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use weir_core::budget::{AtomicRetryBudget, RetryBudgetConfig};
use weir_core::hedge::{HedgeAction, HedgeAsk, HedgeConfig, HedgeDecision, HedgeKernel};
use weir_core::quantile::QuantileConfig;
use weir_core::{ConfigError, Nanos, Reason, MILLISECOND};

/// How long one reading of the estimator serves: a reading folds the whole
/// window, and every request asks at least once.
const READING_TTL: Nanos = MILLISECOND;
const NO_READING: u64 = u64::MAX;

/// What a hedger has decided so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HedgerStats {
    /// Requests begun.
    pub requests: u64,
    /// Hedges sent.
    pub hedges: u64,
    /// Hedges the retry budget refused.
    pub refused_budget: u64,
    /// Hedges not sent because they could not start before the deadline.
    pub refused_deadline: u64,
}

/// Hedged requests for one operation, for many threads.
#[derive(Debug)]
pub struct Hedger {
    kernel: HedgeKernel,
    budget: Arc<AtomicRetryBudget>,
    latency: LatencyQuantiles,
    reading_at: AtomicU64,
    reading_quantile: AtomicU64,
    reading_samples: AtomicU64,
    requests: AtomicU64,
    hedges: AtomicU64,
    refused_budget: AtomicU64,
    refused_deadline: AtomicU64,
}

impl Hedger {
    /// A hedger with a budget of its own.
    pub fn new(hedge: HedgeConfig, budget: RetryBudgetConfig, window: QuantileConfig) -> Result<Self, ConfigError> {
        HedgeKernel::new(hedge)?;
        Self::with_budget(hedge, Arc::new(AtomicRetryBudget::new(budget)?), window)
    }

    /// A hedger spending a budget shared with other callers (the retries of
    /// the same operation), so hedges and retries share one allowance.
    pub fn with_budget(
        hedge: HedgeConfig,
        budget: Arc<AtomicRetryBudget>,
        window: QuantileConfig,
    ) -> Result<Self, ConfigError> {
        Ok(Self {
            kernel: HedgeKernel::new(hedge)?,
            budget,
            latency: LatencyQuantiles::new(window)?,
            reading_at: AtomicU64::new(0),
            reading_quantile: AtomicU64::new(NO_READING),
            reading_samples: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            hedges: AtomicU64::new(0),
            refused_budget: AtomicU64::new(0),
            refused_deadline: AtomicU64::new(0),
        })
    }

    /// The validated config.
    pub fn kernel(&self) -> &HedgeKernel {
        &self.kernel
    }

    /// The estimator the delay is read from.
    pub fn latency(&self) -> &LatencyQuantiles {
        &self.latency
    }

    /// The budget hedges spend.
    pub fn budget(&self) -> &Arc<AtomicRetryBudget> {
        &self.budget
    }

    /// Counts one original request in the budget at `now` and returns its
    /// start, for [`Self::next_at`].
    pub fn begin_at(&self, now: Nanos) -> Nanos {
        self.budget.deposit(now);
        self.requests.fetch_add(1, Ordering::Relaxed);
        now
    }

    /// Counts one original request in the budget without counting it as
    /// hedged (a deposit of the conformance vectors).
    pub fn deposit_at(&self, now: Nanos) {
        self.budget.deposit(now);
    }

    /// Records the latency of a request's answer (the winner's) at `now`.
    pub fn record_at(&self, now: Nanos, latency: Nanos) {
        self.latency.record_at(now, latency);
    }

    /// The estimator's `(quantile, samples)` at `now`, read at most once per
    /// millisecond.
    fn reading(&self, now: Nanos) -> (Option<Nanos>, u64) {
        let at = self.reading_at.load(Ordering::Relaxed);
        if at != 0 && now >= at && now - at < READING_TTL {
            let q = self.reading_quantile.load(Ordering::Relaxed);
            return ((q != NO_READING).then_some(q), self.reading_samples.load(Ordering::Relaxed));
        }
        let snapshot = self.latency.snapshot_at(now);
        let q = snapshot.quantile(self.kernel.quantile());
        self.reading_quantile.store(q.unwrap_or(NO_READING), Ordering::Relaxed);
        self.reading_samples.store(snapshot.count, Ordering::Relaxed);
        self.reading_at.store(now.max(1), Ordering::Relaxed);
        (q, snapshot.count)
    }

    /// Decides the next hedge of a request that began at `started_at` and
    /// has sent `hedges_sent` hedges, with `deadline_left` of its deadline
    /// (`u64::MAX` for none): wait until `due`, send (one retry of the
    /// budget spent), or stop.
    pub fn next_at(&self, now: Nanos, started_at: Nanos, hedges_sent: u64, deadline_left: Nanos) -> HedgeDecision {
        let (quantile_ns, samples) = self.reading(now);
        self.ask_at(now, &HedgeAsk { started_at, hedges_sent, quantile_ns, samples, deadline_left })
    }

    /// The decision for an ask the caller filled in (its own estimator's
    /// reading), spending the budget on a send.
    pub fn ask_at(&self, now: Nanos, ask: &HedgeAsk) -> HedgeDecision {
        let d = self.kernel.next(now, ask, &*self.budget);
        match (d.action, d.reason) {
            (HedgeAction::Send, _) => self.hedges.fetch_add(1, Ordering::Relaxed),
            (HedgeAction::Stop, Reason::BudgetExhausted) => self.refused_budget.fetch_add(1, Ordering::Relaxed),
            (HedgeAction::Stop, Reason::DeadlineTooClose) => self.refused_deadline.fetch_add(1, Ordering::Relaxed),
            _ => 0,
        };
        d
    }

    /// [`Self::ask_at`] without the budget: `Send` means due.
    pub fn plan_at(&self, now: Nanos, ask: &HedgeAsk) -> HedgeDecision {
        self.kernel.plan(now, ask)
    }

    /// The budget window's `(requests, retries)` at `now`.
    pub fn budget_at(&self, now: Nanos) -> (u64, u64) {
        self.budget.snapshot(now)
    }

    /// Counters so far.
    pub fn stats(&self) -> HedgerStats {
        HedgerStats {
            requests: self.requests.load(Ordering::Relaxed),
            hedges: self.hedges.load(Ordering::Relaxed),
            refused_budget: self.refused_budget.load(Ordering::Relaxed),
            refused_deadline: self.refused_deadline.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use weir_core::SECOND;

    fn hedger(ratio: f64, min_per_second: u64) -> Hedger {
        let budget = RetryBudgetConfig { ratio, min_per_second, ..RetryBudgetConfig::default() };
        Hedger::new(HedgeConfig::default(), budget, QuantileConfig::default()).unwrap()
    }

    #[test]
    fn the_delay_follows_recent_latency() {
        let h = hedger(0.1, 10);
        for i in 1..=100 {
            h.record_at(SECOND, i * MILLISECOND);
        }
        let start = h.begin_at(SECOND);
        let wait = h.next_at(SECOND, start, 0, u64::MAX);
        assert_eq!(wait.action, HedgeAction::Wait);
        assert!(wait.delay.abs_diff(95 * MILLISECOND) <= 2 * MILLISECOND, "{wait:?}");
        let send = h.next_at(wait.due, start, 0, u64::MAX);
        assert_eq!(send.action, HedgeAction::Send);
        assert_eq!(h.next_at(wait.due, start, 1, u64::MAX).reason, Reason::AttemptsExhausted);
        assert_eq!(h.budget_at(wait.due), (1, 1));
        assert_eq!(h.stats(), HedgerStats { requests: 1, hedges: 1, ..HedgerStats::default() });
    }

    #[test]
    fn an_empty_budget_stops_hedges() {
        let h = hedger(0.0, 0);
        let start = h.begin_at(SECOND);
        let d = h.next_at(start + 2 * SECOND, start, 0, u64::MAX);
        assert_eq!((d.action, d.reason), (HedgeAction::Stop, Reason::BudgetExhausted));
        assert_eq!(h.stats().refused_budget, 1);
    }

    #[test]
    fn refusals_name_the_field() {
        let bad = HedgeConfig { max_hedges: 0, ..HedgeConfig::default() };
        let err = Hedger::new(bad, RetryBudgetConfig::default(), QuantileConfig::default()).unwrap_err();
        assert_eq!(err.field(), "max_hedges");
        let budget = RetryBudgetConfig { ratio: -1.0, ..RetryBudgetConfig::default() };
        assert_eq!(
            Hedger::new(HedgeConfig::default(), budget, QuantileConfig::default()).unwrap_err().field(),
            "ratio"
        );
    }
}
