//! Decisions counted by reason, for every host's metrics: one relaxed add
//! per decision, read as a snapshot. Kept here so the C, Go, Python and Node
//! surfaces report the same numbers under the same names.

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
    #[inline]
    pub fn count(&self, decision: &Decision) {
        if let Some(c) = self.counts.get(decision.reason as usize) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Decisions with `reason` so far.
    pub fn get(&self, reason: Reason) -> u64 {
        self.counts.get(reason as usize).map_or(0, |c| c.load(Ordering::Relaxed))
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
}
