//! Model checks of live config changes: every interleaving of acquires with
//! a change of rate or burst decides each request under exactly one config,
//! and the state after both is the one the rule gives whichever came first.
//! Run with `RUSTFLAGS="--cfg loom" cargo test --release --test loom_live`.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use weir_core::limiter::{AtomicLimiter, KeySet, KeyedLimiter, LimiterConfig, MultiLimiter};
use weir_core::SECOND;

fn config(rate: u64, burst: u64) -> LimiterConfig {
    LimiterConfig { rate, period_ns: SECOND, burst }
}

#[test]
fn a_faster_rate_keeps_what_was_spent_in_any_order() {
    loom::model(|| {
        // Two requests and a change from 1/s to 2/s, all at t=0. In every
        // order both are admitted and 1 s of debt remains: two tokens of the
        // old rate are 1 s either way, and so are two of the new one (or
        // one of each after rescaling).
        let limiter = Arc::new(AtomicLimiter::new(config(1, 2)).unwrap());
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let l = limiter.clone();
                thread::spawn(move || l.acquire(0, 1).is_admitted() as u32)
            })
            .collect();
        limiter.set_config(config(2, 2), 0).unwrap();
        let admitted: u32 = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(admitted, 2);
        assert_eq!(limiter.state(), SECOND);
        assert_eq!(limiter.config(), config(2, 2));
        assert!(!limiter.acquire(0, 1).is_admitted(), "the change granted a token");
    });
}

#[test]
fn a_smaller_burst_never_admits_past_the_old_one() {
    loom::model(|| {
        // Burst 2 -> 1 at t=0 with two requests racing it: 1 or 2 pass
        // (2 only if both came before the change), and the bucket ends empty
        // under the new burst (1 s of debt).
        let limiter = Arc::new(AtomicLimiter::new(config(1, 2)).unwrap());
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let l = limiter.clone();
                thread::spawn(move || l.acquire(0, 1).is_admitted() as u32)
            })
            .collect();
        limiter.set_config(config(1, 1), 0).unwrap();
        let admitted: u32 = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert!((1..=2).contains(&admitted), "admitted {admitted}");
        assert_eq!(limiter.state(), SECOND);
    });
}

#[test]
fn two_setters_and_a_caller_never_decide_under_a_stale_config() {
    loom::model(|| {
        // Rates 1/s -> 4/s -> 2/s (all burst 1) from two setters while one
        // request at t=0 spends. Whichever way the setters order, the final
        // config is one of theirs and the debt is one token of it.
        let limiter = Arc::new(AtomicLimiter::new(config(1, 1)).unwrap());
        let l1 = limiter.clone();
        let a = thread::spawn(move || l1.set_config(config(4, 1), 0).unwrap());
        let l2 = limiter.clone();
        let b = thread::spawn(move || l2.set_config(config(2, 1), 0).unwrap());
        assert!(limiter.acquire(0, 1).is_admitted());
        a.join().unwrap();
        b.join().unwrap();
        let last = limiter.config();
        let interval = SECOND / last.rate;
        assert!(last == config(4, 1) || last == config(2, 1));
        assert_eq!(limiter.state(), interval);
    });
}

#[test]
fn keyed_change_moves_every_entry_once() {
    loom::model(|| {
        // Key 7 spent its burst of 2 at 1/s; a change to 1/s burst 4 (same
        // rate, so its 2 s of debt stay 2 s, plus the keyed rule's 1 ns) races
        // a request for it. Either order: one more token is free after the
        // change, not three.
        let table = Arc::new(KeyedLimiter::<[KeySet; 1]>::new(config(1, 2)).unwrap());
        assert!(table.acquire(7, 0, 2).is_admitted());
        let t = table.clone();
        let caller = thread::spawn(move || t.acquire(7, 0, 1).is_admitted());
        table.set_config(config(1, 4), 0).unwrap();
        let first = caller.join().unwrap();
        let second = table.acquire(7, 0, 1).is_admitted();
        let third = table.acquire(7, 0, 1).is_admitted();
        assert_eq!(u32::from(first) + u32::from(second) + u32::from(third), 1);
    });
}

#[test]
fn multi_rates_are_all_or_nothing() {
    loom::model(|| {
        // 1/s burst 2 and 1/s burst 1: two racing requests, exactly one
        // passes, and the refused one spent nothing from the first rate.
        let limiter = Arc::new(MultiLimiter::new(&[config(1, 2), config(1, 1)]).unwrap());
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let l = limiter.clone();
                thread::spawn(move || l.acquire(0, 1).is_admitted() as u32)
            })
            .collect();
        let admitted: u32 = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(admitted, 1);
        limiter.set_config(1, config(1, 2), 0).unwrap();
        assert!(limiter.acquire(0, 1).is_admitted(), "the refusal spent from the first rate");
        assert!(!limiter.acquire(0, 1).is_admitted());
    });
}
