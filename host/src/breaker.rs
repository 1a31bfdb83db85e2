//! [`CircuitBreaker`]: weir-core's atomic breaker with what every host adds
//! once: the clock, the call's duration measured on that clock, decisions
//! counted by reason, and the breaker's moves kept as events for the host
//! to deliver off the hot path.
//!
//! A move is returned to the caller that caused it (as core does) and also
//! queued, stamped with its time, in a small bounded queue: a binding that
//! runs user callbacks (Go's `OnStateChange`, Python's `on_state_change`,
//! Node's `'stateChange'`) drains the queue after a call that reported a
//! move, so events reach the user in the order they happened and a call
//! that moves nothing never touches the queue. When nobody drains, the
//! oldest events give way and are counted as dropped.

use crate::decisions::Decisions;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use weir_core::breaker::{AtomicBreaker, BreakerConfig, BreakerStats, Permit, Transition};
use weir_core::{ConfigError, Decision, Nanos, Reason};

pub use weir_core::breaker::{Cause, Counts, State, WindowKind};

/// Events kept for a host that drains them.
pub const EVENT_QUEUE: usize = 64;

/// One move of the breaker and when it happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerEvent {
    /// The `now` of the call that caused it.
    pub at: Nanos,
    /// From, to, why, and the counts behind it.
    pub transition: Transition,
}

/// A permit and the instant it was issued, so the host measures the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerPermit {
    /// What core reports the outcome with.
    pub permit: Permit,
    /// When it was admitted, on the clock the breaker was asked with.
    pub started_at: Nanos,
}

/// The answer to [`CircuitBreaker::acquire`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerAdmission {
    /// Admitted, or [`Reason::CircuitOpen`] / [`Reason::CircuitHalfOpen`]
    /// with `retry_after` = the time left in open.
    pub decision: Decision,
    /// Present when admitted.
    pub permit: Option<BreakerPermit>,
    /// The move this call caused (open -> half-open), also queued.
    pub transition: Option<Transition>,
}

/// The snapshot: core's, the decisions so far and the events lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CircuitBreakerStats {
    /// State, window or probe counts, time left in open.
    pub breaker: BreakerStats,
    /// Calls admitted.
    pub admitted: u64,
    /// Calls refused because the breaker was open (or forced open).
    pub refused_open: u64,
    /// Calls refused because every half-open probe was out.
    pub refused_half_open: u64,
    /// Events that gave way in a full queue nobody drained.
    pub events_dropped: u64,
}

/// A circuit breaker for many threads (see `weir_core::breaker`).
#[derive(Debug)]
pub struct CircuitBreaker {
    cell: AtomicBreaker,
    decisions: Decisions,
    events: Mutex<VecDeque<BreakerEvent>>,
    dropped: AtomicU64,
}

impl CircuitBreaker {
    /// A closed breaker; durations in `config` are whole nanoseconds and
    /// [`BreakerConfig::default`] holds every default.
    pub fn new(config: BreakerConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            cell: AtomicBreaker::new(config)?,
            decisions: Decisions::new(),
            events: Mutex::new(VecDeque::with_capacity(EVENT_QUEUE)),
            dropped: AtomicU64::new(0),
        })
    }

    #[inline]
    fn moved(&self, now: Nanos, t: Option<Transition>) -> Option<Transition> {
        if let Some(transition) = t {
            // A poisoned lock only means a drainer panicked; the queue is
            // still a valid VecDeque.
            let mut q = self.events.lock().unwrap_or_else(|e| e.into_inner());
            if q.len() >= EVENT_QUEUE {
                q.pop_front();
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
            q.push_back(BreakerEvent { at: now, transition });
        }
        t
    }

    /// Asks to make a call at `now`.
    #[inline]
    pub fn acquire_at(&self, now: Nanos) -> BreakerAdmission {
        let a = self.cell.acquire(now);
        self.decisions.count(&a.decision);
        BreakerAdmission {
            decision: a.decision,
            permit: a.permit.map(|permit| BreakerPermit { permit, started_at: now }),
            transition: self.moved(now, a.transition),
        }
    }

    /// [`Self::acquire_at`] on [`crate::monotonic_now`].
    #[inline]
    pub fn acquire(&self) -> BreakerAdmission {
        self.acquire_at(crate::monotonic_now())
    }

    /// Reports the call of `permit` at `now`: whether it failed and how long
    /// it took. Returns the move it caused, if any (also queued).
    #[inline]
    pub fn record_at(&self, now: Nanos, permit: Permit, failed: bool, duration: Nanos) -> Option<Transition> {
        let t = self.cell.record(now, permit, failed, duration);
        self.moved(now, t)
    }

    /// Reports the call of `permit` now; its duration is the time since it
    /// was admitted, on the breaker's clock.
    #[inline]
    pub fn record(&self, permit: BreakerPermit, failed: bool) -> Option<Transition> {
        let now = crate::monotonic_now();
        self.record_at(now, permit.permit, failed, now.saturating_sub(permit.started_at))
    }

    /// Gives back a permit whose call does not count; `false` when it is
    /// stale or already reported.
    #[inline]
    pub fn release(&self, permit: Permit) -> bool {
        self.cell.release(permit)
    }

    /// Holds the breaker open until [`Self::reset_at`].
    pub fn force_open_at(&self, now: Nanos) -> Option<Transition> {
        let t = self.cell.force_open(now);
        self.moved(now, t)
    }

    /// Lets every call through and records nothing until [`Self::reset_at`].
    pub fn disable_at(&self, now: Nanos) -> Option<Transition> {
        let t = self.cell.disable(now);
        self.moved(now, t)
    }

    /// Closes the breaker with an empty window.
    pub fn reset_at(&self, now: Nanos) -> Option<Transition> {
        let t = self.cell.reset(now);
        self.moved(now, t)
    }

    /// The oldest event not yet taken.
    pub fn next_event(&self) -> Option<BreakerEvent> {
        self.events.lock().unwrap_or_else(|e| e.into_inner()).pop_front()
    }

    /// Events queued and not yet taken.
    pub fn pending_events(&self) -> usize {
        self.events.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// The snapshot at `now`.
    pub fn stats_at(&self, now: Nanos) -> CircuitBreakerStats {
        CircuitBreakerStats {
            breaker: self.cell.stats(now),
            admitted: self.decisions.get(Reason::Admitted),
            refused_open: self.decisions.get(Reason::CircuitOpen),
            refused_half_open: self.decisions.get(Reason::CircuitHalfOpen),
            events_dropped: self.dropped.load(Ordering::Relaxed),
        }
    }

    /// [`Self::stats_at`] on [`crate::monotonic_now`].
    pub fn stats(&self) -> CircuitBreakerStats {
        self.stats_at(crate::monotonic_now())
    }

    /// Decisions by reason.
    pub fn decisions(&self) -> &Decisions {
        &self.decisions
    }

    /// The core cell, for hosts that need its kernel (e.g. the wait in open).
    pub fn cell(&self) -> &AtomicBreaker {
        &self.cell
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use weir_core::SECOND;

    fn breaker() -> CircuitBreaker {
        let config = BreakerConfig { window_calls: 2, minimum_calls: 2, open_ns: 10 * SECOND, ..Default::default() };
        CircuitBreaker::new(config).unwrap()
    }

    #[test]
    fn moves_are_queued_in_order_with_their_time() {
        let b = breaker();
        for at in [1, 2] {
            let p = b.acquire_at(at).permit.unwrap();
            b.record_at(at, p.permit, true, 0);
        }
        let refused = b.acquire_at(5 * SECOND);
        assert_eq!((refused.decision.reason, refused.decision.retry_after), (Reason::CircuitOpen, 5 * SECOND + 2));
        let probe = b.acquire_at(11 * SECOND);
        assert_eq!(probe.transition.unwrap().to, State::HalfOpen);
        let first = b.next_event().unwrap();
        assert_eq!((first.at, first.transition.to, first.transition.cause), (2, State::Open, Cause::FailureRate));
        assert_eq!(first.transition.counts.failures, 2);
        let second = b.next_event().unwrap();
        assert_eq!((second.at, second.transition.to), (11 * SECOND, State::HalfOpen));
        assert_eq!(b.next_event(), None);
        let s = b.stats_at(11 * SECOND);
        assert_eq!((s.admitted, s.refused_open, s.events_dropped), (3, 1, 0));
    }

    #[test]
    fn an_undrained_queue_keeps_the_newest_and_counts_the_rest() {
        let b = breaker();
        for i in 0..(EVENT_QUEUE as u64 + 3) {
            if i % 2 == 0 {
                b.force_open_at(i);
            } else {
                b.reset_at(i);
            }
        }
        let s = b.stats_at(0);
        assert_eq!(s.events_dropped, 3);
        assert_eq!(b.next_event().unwrap().at, 3, "the three oldest gave way");
    }

    #[test]
    fn record_measures_on_the_breaker_clock() {
        let config = BreakerConfig {
            window_calls: 1,
            minimum_calls: 1,
            failure_rate_threshold: 0.0,
            slow_call_rate_threshold: 100.0,
            slow_call_ns: 1,
            ..Default::default()
        };
        let b = CircuitBreaker::new(config).unwrap();
        let mut p = b.acquire().permit.unwrap();
        p.started_at = p.started_at.saturating_sub(1_000);
        let t = b.record(p, false).unwrap();
        assert_eq!((t.to, t.cause, t.counts.slow), (State::Open, Cause::SlowCallRate, 1));
    }
}
