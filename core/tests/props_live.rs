//! Properties of live config changes: a change never grants tokens, the
//! cells agree, and concurrent callers racing a change admit no more than
//! the old config allowed before it plus the new one after it.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use std::sync::atomic::{AtomicU64, Ordering};
use weir_core::limiter::{AtomicLimiter, Gcra, KeySet, KeyedLimiter, Limiter, LimiterConfig, MultiLimiter};
use weir_core::{MILLISECOND, SECOND};

fn config() -> impl Strategy<Value = LimiterConfig> {
    (1u64..2_000, 1u64..30).prop_map(|(rate, burst)| LimiterConfig { rate, period_ns: SECOND, burst })
}

/// Steps: (gap ns, Some(new config) or None, cost).
fn trace() -> impl Strategy<Value = Vec<(u64, Option<LimiterConfig>, u64)>> {
    prop::collection::vec((0u64..50 * MILLISECOND, prop::option::weighted(0.1, config()), 0u64..6), 1..200)
}

/// Tokens available at `now` as an exact fraction: (numerator, denominator).
fn available(gcra: &Gcra, tat: u64, now: u64) -> (u128, u128) {
    let ahead = tat.saturating_sub(now) as u128;
    ((gcra.tolerance() as u128).saturating_sub(ahead), gcra.interval() as u128)
}

proptest! {
    /// Right after a change, the tokens spent (as an exact fraction) are no
    /// fewer than before, unless the new burst caps them (an empty bucket).
    #[test]
    fn a_change_never_lowers_what_was_spent(from in config(), to in config(), spent in 0u64..30, at in 0u64..SECOND) {
        let mut l = Limiter::new(from).unwrap();
        let spent = spent.min(from.burst);
        prop_assume!(l.acquire(0, spent).is_admitted());
        let old = *l.gcra();
        let before = l.state();
        l.set_config(to, at).unwrap();
        let new = *l.gcra();
        let (old_avail, old_den) = available(&old, before, at);
        let spent_old = (old.tolerance() as u128 - old_avail, old_den);
        let (new_avail, new_den) = available(&new, l.state(), at);
        let spent_new = new.tolerance() as u128 - new_avail;
        // spent_new / new_den >= min(spent_old, burst_new): cross-multiplied.
        let floor = (spent_old.0 * new_den).min(new.burst() as u128 * new_den * old_den);
        prop_assert!(spent_new * old_den >= floor, "spent {:?} became {}/{}", spent_old, spent_new, new_den);
        // And never more than one ns short of a whole token: rounding is up, by under one ns.
        prop_assert!(spent_new * old_den < floor + old_den + 1);
    }

    /// The atomic and plain cells agree on every decision and state across
    /// acquires and changes; so does a one-rate multi limiter.
    #[test]
    fn cells_agree_across_changes(first in config(), steps in trace()) {
        let atomic = AtomicLimiter::new(first).unwrap();
        let mut plain = Limiter::new(first).unwrap();
        let multi = MultiLimiter::new(&[first]).unwrap();
        let mut now = 0;
        for (gap, change, cost) in steps {
            now += gap;
            if let Some(c) = change {
                atomic.set_config(c, now).unwrap();
                plain.set_config(c, now).unwrap();
                multi.set_config(0, c, now).unwrap();
                prop_assert_eq!(atomic.state(), plain.state());
            }
            let d = atomic.acquire(now, cost);
            prop_assert_eq!(d, plain.acquire(now, cost));
            prop_assert_eq!(d, multi.acquire(now, cost));
        }
    }

    /// Over a trace with changes, the tokens admitted in each stretch
    /// between changes never exceed what that stretch's config allows from
    /// where the change left the bucket: its burst plus its refill.
    #[test]
    fn each_config_bounds_its_own_stretch(first in config(), steps in trace()) {
        let mut l = Limiter::new(first).unwrap();
        let (mut start, mut spent, mut now) = (0u64, 0u128, 0u64);
        let mut current = first;
        for (gap, change, cost) in steps {
            now += gap;
            if let Some(c) = change {
                l.set_config(c, now).unwrap();
                current = c;
                start = now;
                spent = 0;
            }
            if l.acquire(now, cost).is_admitted() {
                spent += cost as u128;
                let bound = current.rate as u128 * (now - start) as u128 / SECOND as u128 + current.burst as u128;
                prop_assert!(spent <= bound, "spent {} > {} since the change at {}", spent, bound, start);
            }
        }
    }

    /// A keyed change never hands a key more than the single-limiter rule
    /// would: its TAT never moves back.
    #[test]
    fn keyed_change_never_moves_a_key_back(first in config(), to in config(), keys in prop::collection::vec((0u64..20, 1u64..5), 1..60)) {
        let table = KeyedLimiter::<[KeySet; 4]>::new(first).unwrap();
        for (key, cost) in &keys {
            table.acquire(*key, 0, *cost);
        }
        let before: Vec<u64> = (0..20).map(|k| table.acquire(k, 0, 0).reset_after).collect();
        table.set_config(to, 0).unwrap();
        for (k, reset) in before.iter().enumerate() {
            let after = table.acquire(k as u64, 0, 0);
            prop_assert!(after.reset_after >= *reset, "key {} refills sooner after the change", k);
        }
    }
}

/// Real threads racing a change: 4 callers at t=0 against burst 100, a
/// change to burst 50 midway. Whatever the interleaving, the total is at
/// most the old burst, at least the new one, and the bucket ends empty
/// under the new config.
#[test]
fn threads_racing_a_change_admit_no_more_than_old_before_plus_new_after() {
    for _ in 0..50 {
        let limiter = AtomicLimiter::new(LimiterConfig { rate: 1, period_ns: SECOND, burst: 100 }).unwrap();
        let admitted = AtomicU64::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..60 {
                        if limiter.acquire(0, 1).is_admitted() {
                            admitted.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                });
            }
            s.spawn(|| limiter.set_config(LimiterConfig { rate: 1, period_ns: SECOND, burst: 50 }, 0).unwrap());
        });
        let total = admitted.load(Ordering::Relaxed);
        assert!((50..=100).contains(&total), "admitted {total}");
        assert_eq!(limiter.state(), 50 * SECOND);
        assert!(!limiter.acquire(0, 1).is_admitted());
    }
}

/// Real threads on a two-rate limiter: exactly the tighter burst passes.
#[test]
fn threads_on_several_rates_admit_exactly_the_tightest() {
    let c = |rate, burst| LimiterConfig { rate, period_ns: SECOND, burst };
    let limiter = MultiLimiter::new(&[c(1000, 300), c(1, 120)]).unwrap();
    let admitted = AtomicU64::new(0);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..100 {
                    if limiter.acquire(0, 1).is_admitted() {
                        admitted.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    assert_eq!(admitted.load(Ordering::Relaxed), 120);
}
