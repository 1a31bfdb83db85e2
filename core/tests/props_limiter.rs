//! Property tests of the limiters', the shedder's and the throttle's
//! invariants over random traces.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use weir_core::limiter::{AtomicLimiter, KeySet, KeyedLimiter, Limiter, LimiterConfig};
use weir_core::shedder::{Shedder, ShedderConfig};
use weir_core::throttle::{Throttle, ThrottleConfig};
use weir_core::{Reason, MILLISECOND, SECOND};

fn arrivals() -> impl Strategy<Value = Vec<(u64, u64)>> {
    // (gap since previous arrival in ns, cost)
    prop::collection::vec((0u64..50 * MILLISECOND, 0u64..6), 1..300)
}

proptest! {
    /// In any window [t0, t1] the tokens admitted never exceed
    /// rate * (t1 - t0) / period + burst.
    #[test]
    fn limiter_never_admits_more_than_rate_times_t_plus_burst(
        rate in 1u64..2_000, burst in 1u64..20, trace in arrivals()
    ) {
        let config = LimiterConfig { rate, period_ns: SECOND, burst };
        let mut limiter = Limiter::new(config).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut now = 0u64;
        let mut admitted: Vec<(u64, u64)> = Vec::new();
        for (gap, cost) in trace {
            now += gap;
            let d = limiter.acquire(now, cost);
            if d.is_admitted() && cost > 0 {
                admitted.push((now, cost));
            }
            if !d.is_admitted() {
                prop_assert!(d.retry_after > 0);
            }
        }
        for (i, &(t0, _)) in admitted.iter().enumerate() {
            let mut spent = 0u128;
            for &(t1, cost) in &admitted[i..] {
                spent += cost as u128;
                let bound = rate as u128 * (t1 - t0) as u128 / SECOND as u128 + burst as u128;
                prop_assert!(spent <= bound, "spent {} in [{}, {}] > bound {}", spent, t0, t1, bound);
            }
        }
    }

    /// A refusal's retry_after is exact: waiting that long admits the same
    /// request, waiting a nanosecond less does not.
    #[test]
    fn retry_after_is_exact(rate in 1u64..1_000, burst in 1u64..10, trace in arrivals(), cost in 1u64..10) {
        let config = LimiterConfig { rate, period_ns: SECOND, burst };
        let mut limiter = Limiter::new(config).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut now = 0;
        for (gap, c) in trace {
            now += gap;
            limiter.acquire(now, c);
        }
        let d = limiter.acquire(now, cost);
        if d.reason == Reason::RateLimited {
            let mut early = limiter.clone();
            prop_assert!(!early.acquire(now + d.retry_after - 1, cost).is_admitted());
            prop_assert!(limiter.acquire(now + d.retry_after, cost).is_admitted());
        }
    }

    /// The atomic and plain cells agree step by step.
    #[test]
    fn cells_agree(rate in 1u64..1_000, burst in 1u64..10, trace in arrivals()) {
        let config = LimiterConfig { rate, period_ns: SECOND, burst };
        let atomic = AtomicLimiter::new(config).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut plain = Limiter::new(config).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut now = 0;
        for (gap, cost) in trace {
            now += gap;
            prop_assert_eq!(atomic.acquire(now, cost), plain.acquire(now, cost));
        }
    }

    /// Each key of a keyed table obeys its own bound, however many keys
    /// compete for the table; the table's memory does not change.
    #[test]
    fn keyed_limiter_bounds_every_key_and_keeps_its_size(
        trace in prop::collection::vec((0u64..20 * MILLISECOND, 0u64..40, 1u64..3), 1..400)
    ) {
        let (rate, burst) = (20u64, 3u64);
        let config = LimiterConfig { rate, period_ns: SECOND, burst };
        let table = KeyedLimiter::<[KeySet; 2]>::new(config).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let size = core::mem::size_of_val(&table);
        let mut now = 0;
        let mut admitted: std::collections::HashMap<u64, Vec<(u64, u64)>> = Default::default();
        for (gap, key, cost) in trace {
            now += gap;
            let d = table.acquire(key, now, cost);
            if d.is_admitted() {
                admitted.entry(key).or_default().push((now, cost));
            } else {
                prop_assert!(d.retry_after > 0);
            }
            prop_assert!(table.live(now) <= table.capacity());
        }
        prop_assert_eq!(size, core::mem::size_of_val(&table));
        for events in admitted.values() {
            for (i, &(t0, _)) in events.iter().enumerate() {
                let mut spent = 0;
                for &(t1, cost) in &events[i..] {
                    spent += cost;
                    prop_assert!(spent <= rate * (t1 - t0) / SECOND + burst);
                }
            }
        }
    }

    /// The plain set kernel hosts use over their own storage decides exactly
    /// as the atomic table, key by key, step by step.
    #[test]
    fn set_kernel_matches_the_atomic_table(
        trace in prop::collection::vec((0u64..20 * MILLISECOND, 0u64..60, 0u64..4), 1..400)
    ) {
        let config = LimiterConfig { rate: 20, period_ns: SECOND, burst: 3 };
        let table = KeyedLimiter::<[KeySet; 3]>::new(config).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let gcra = table.gcra();
        let mut sets = [[(0u64, 0u64); weir_core::limiter::WAYS]; 3];
        let mut now = 0;
        for (gap, key, cost) in trace {
            now += gap;
            let set = &mut sets[weir_core::limiter::set_index(key, 3)];
            let plain = weir_core::limiter::decide_in_set(&gcra, set, key, now, cost);
            prop_assert_eq!(plain, table.acquire(key, now, cost));
        }
    }

    /// With the CPU under its threshold, no cap and no cool-off, the shedder
    /// admits everything.
    #[test]
    fn shedder_never_sheds_under_thresholds(
        ops in prop::collection::vec((0u64..30 * MILLISECOND, 0u8..3, 0u64..800), 1..300)
    ) {
        let mut shedder = Shedder::new(ShedderConfig::default()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let (mut now, mut started) = (0, Vec::new());
        for (gap, op, cpu) in ops {
            now += gap;
            match op {
                0 => {
                    prop_assert!(shedder.acquire(now).is_admitted());
                    started.push(now);
                }
                1 => if let Some(t) = started.pop() { shedder.done(t, now) },
                _ => { shedder.record_cpu(cpu); }
            }
        }
    }

    /// Under min_requests in the window, the throttle refuses nothing.
    #[test]
    fn throttle_never_rejects_under_min_requests(
        min_requests in 1u64..50, draws in prop::collection::vec(any::<u64>(), 1..50)
    ) {
        let config = ThrottleConfig { min_requests, ..ThrottleConfig::default() };
        let mut throttle = Throttle::new(config).map_err(|e| TestCaseError::fail(e.to_string()))?;
        for (i, draw) in draws.into_iter().enumerate() {
            let d = throttle.acquire(0, draw);
            throttle.record(0, false);
            if (i as u64) < min_requests {
                prop_assert!(d.is_admitted(), "refused request {} with min_requests {}", i, min_requests);
            }
        }
    }
}

#[test]
fn sizes_stay_small() {
    // The limiter's state is one word; the rest of the cell is the setters'
    // flag and two config slots (the kernel's four words, the user's rate
    // and period, the shift from the word to the TAT): two cache lines.
    assert_eq!(core::mem::size_of::<AtomicLimiter>(), 2 * 8 + 2 * 7 * 8);
    assert!(core::mem::size_of::<weir_core::limiter::Gcra>() <= 32);
    // A keyed entry: key + TAT, plus 1/8 of the set's claim flag.
    assert!(core::mem::size_of::<KeySet>() / weir_core::limiter::WAYS <= 32);
}
