//! Decisions counted by reason, for every host's metrics: one relaxed add
//! per decision, read as a snapshot. Kept here so the C, Go, Python and Node
//! surfaces report the same numbers under the same names: a binding holds a
//! [`Counted`] cell and asks it through [`Counted::decide`], so no binding
//! keeps a count of its own.

use std::sync::atomic::{AtomicU64, Ordering};
use weir_core::{Decision, Reason};

/// Reason codes are 0..=16 today; room for the ones still to come keeps the
/// snapshot's shape stable across releases.
pub const REASON_SLOTS: usize = 32;

/// Decisions made so far, by [`Reason`] code.
#[derive(Debug)]
pub struct Decisions {
    counts: [AtomicU64; REASON_SLOTS],
}

impl Default for Decisions {
    fn default() -> Self {
        Self::new()
    }
}

impl Decisions {
    /// All zero.
    pub fn new() -> Self {
        Self { counts: std::array::from_fn(|_| AtomicU64::new(0)) }
    }

    /// Counts one decision.
    #[inline(always)]
    pub fn count(&self, decision: &Decision) {
        if let Some(c) = self.counts.get(decision.reason as usize) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Decisions with `reason` so far.
    pub fn get(&self, reason: Reason) -> u64 {
        self.counts.get(reason as usize).map_or(0, |c| c.load(Ordering::Relaxed))
    }

    /// Every slot, by reason code (0 for codes no reason has yet).
    pub fn snapshot(&self) -> [u64; REASON_SLOTS] {
        let mut out = [0; REASON_SLOTS];
        for (slot, c) in out.iter_mut().zip(&self.counts) {
            *slot = c.load(Ordering::Relaxed);
        }
        out
    }

    /// `(reason, count)` for `Admitted` and every reason seen at least once,
    /// in code order.
    pub fn seen(&self) -> impl Iterator<Item = (Reason, u64)> + '_ {
        self.counts.iter().enumerate().filter_map(|(code, c)| {
            let reason = u8::try_from(code).ok().and_then(Reason::from_code)?;
            let n = c.load(Ordering::Relaxed);
            (n > 0 || reason == Reason::Admitted).then_some((reason, n))
        })
    }
}

/// What a deciding call answers: a decision, alone or first in a pair.
pub trait Answer {
    /// The decision to count.
    fn decision(&self) -> &Decision;
}

impl Answer for Decision {
    #[inline]
    fn decision(&self) -> &Decision {
        self
    }
}

impl<T> Answer for (Decision, T) {
    #[inline]
    fn decision(&self) -> &Decision {
        &self.0
    }
}

/// A core cell (a limiter, a shedder, a throttle, ...) with the decisions
/// made on it counted by reason. Every decision goes through
/// [`Self::decide`]; what decides nothing (config, state, stats, a zero-cost
/// probe for metrics) goes to [`Self::cell`], so it is never counted.
#[derive(Debug)]
pub struct Counted<C> {
    cell: C,
    decisions: Decisions,
}

impl<C> Counted<C> {
    /// `cell`, nothing counted yet.
    pub fn new(cell: C) -> Self {
        Self { cell, decisions: Decisions::new() }
    }

    /// Makes one decision on the cell and counts it; the answer is the
    /// decision alone or with what came with it (a slot, a permit).
    #[inline(always)]
    pub fn decide<A: Answer>(&self, ask: impl FnOnce(&C) -> A) -> A {
        let a = ask(&self.cell);
        self.decisions.count(a.decision());
        a
    }

    /// The cell, for calls that decide nothing.
    #[inline]
    pub fn cell(&self) -> &C {
        &self.cell
    }

    /// Decisions so far, by reason.
    pub fn decisions(&self) -> &Decisions {
        &self.decisions
    }
}

impl Counted<weir_core::shedder::AtomicShedder> {
    /// [`crate::ShedderSlots::acquire`] on the shedder, counted: the slot
    /// path written out rather than through [`Self::decide`], whose closure
    /// around the always-inlined acquire stayed a call of its own (Go's
    /// Allow+done measured ~8 ns slower).
    #[inline(always)]
    pub fn acquire_slot(&self, slots: &crate::ShedderSlots, now: weir_core::Nanos) -> (Decision, Option<u32>) {
        let answer = slots.acquire(&self.cell, now);
        self.decisions.count(&answer.0);
        answer
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_reason_and_lists_admitted_always() {
        let d = Decisions::new();
        assert_eq!(d.seen().collect::<Vec<_>>(), vec![(Reason::Admitted, 0)]);
        let open = Decision { reason: Reason::CircuitOpen, retry_after: 5, remaining: 0, reset_after: 0 };
        d.count(&open);
        d.count(&open);
        assert_eq!(d.get(Reason::CircuitOpen), 2);
        assert_eq!(d.seen().collect::<Vec<_>>(), vec![(Reason::Admitted, 0), (Reason::CircuitOpen, 2)]);
    }

    #[test]
    fn a_counted_limiter_counts_what_it_decided_and_not_what_it_was_asked_aside() {
        use weir_core::limiter::{AtomicLimiter, LimiterConfig};
        let config = LimiterConfig { rate: 1, period_ns: weir_core::SECOND, burst: 2 };
        let l = Counted::new(AtomicLimiter::new(config).unwrap());
        for _ in 0..3 {
            l.decide(|c| c.acquire(0, 1));
        }
        l.decide(|c| c.acquire(0, 3));
        // A probe on the cell itself decides nothing.
        assert!(!l.cell().acquire(0, 1).is_admitted());
        assert_eq!(l.decisions().get(Reason::Admitted), 2);
        assert_eq!(l.decisions().get(Reason::RateLimited), 1);
        assert_eq!(l.decisions().get(Reason::CostExceedsBurst), 1);
    }

    #[test]
    fn threads_deciding_at_once_lose_no_count() {
        use weir_core::limiter::{AtomicLimiter, LimiterConfig};
        let config = LimiterConfig { rate: 1, period_ns: weir_core::SECOND, burst: 1000 };
        let l = Counted::new(AtomicLimiter::new(config).unwrap());
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..500 {
                        l.decide(|c| c.acquire(0, 1));
                    }
                });
            }
        });
        assert_eq!(l.decisions().get(Reason::Admitted), 1000);
        assert_eq!(l.decisions().get(Reason::RateLimited), 1000);
    }
}
