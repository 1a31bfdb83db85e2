//! Model checks of the limiters', the shedder's and the throttle's atomic
//! cells: every interleaving of 2-3 threads admits exactly what the kernel
//! allows — no lost update, no double spend. Run with
//! `RUSTFLAGS="--cfg loom" cargo test --release --test loom_limiter`.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use weir_core::limiter::{AtomicLimiter, ConcurrencyConfig, ConcurrencyLimiter, KeySet, KeyedLimiter, LimiterConfig};
use weir_core::shedder::{AtomicShedder, ShedderConfig};
use weir_core::throttle::{AtomicThrottle, ThrottleConfig};
use weir_core::SECOND;

fn config(burst: u64) -> LimiterConfig {
    LimiterConfig { rate: 1, period_ns: SECOND, burst }
}

#[test]
fn limiter_admits_exactly_burst() {
    loom::model(|| {
        let limiter = Arc::new(AtomicLimiter::new(config(2)).unwrap());
        let handles: Vec<_> = (0..3)
            .map(|_| {
                let l = limiter.clone();
                thread::spawn(move || l.acquire(0, 1).is_admitted() as u32)
            })
            .collect();
        let admitted: u32 = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(admitted, 2);
        assert_eq!(limiter.state(), 2 * SECOND);
    });
}

#[test]
fn keyed_new_key_from_two_threads_takes_one_entry() {
    loom::model(|| {
        let table = Arc::new(KeyedLimiter::<[KeySet; 1]>::new(config(1)).unwrap());
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let t = table.clone();
                thread::spawn(move || t.acquire(42, 0, 1).is_admitted() as u32)
            })
            .collect();
        let admitted: u32 = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(admitted, 1, "a key got two entries");
        assert_eq!(table.live(0), 1);
    });
}

#[test]
fn keyed_reuse_never_moves_spending_to_another_key() {
    loom::model(|| {
        // Key 1 spent its token at t=0 and is idle again at t=SECOND; key 2
        // arriving then may take its entry while key 1 spends again.
        let table = Arc::new(KeyedLimiter::<[KeySet; 1]>::new(config(1)).unwrap());
        assert!(table.acquire(1, 0, 1).is_admitted());
        let t1 = table.clone();
        let a = thread::spawn(move || t1.acquire(1, SECOND, 1).is_admitted());
        let t2 = table.clone();
        let b = thread::spawn(move || t2.acquire(2, SECOND, 1).is_admitted());
        assert!(a.join().unwrap());
        assert!(b.join().unwrap());
        // Both keys are now spent: neither may pass again at the same instant.
        assert!(!table.acquire(1, SECOND, 1).is_admitted());
        assert!(!table.acquire(2, SECOND, 1).is_admitted());
    });
}

#[test]
fn concurrency_limiter_never_exceeds_its_cap() {
    loom::model(|| {
        let limiter = Arc::new(ConcurrencyLimiter::new(ConcurrencyConfig { max_in_flight: 1 }).unwrap());
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let l = limiter.clone();
                thread::spawn(move || {
                    let got = l.acquire().is_admitted();
                    if got {
                        assert_eq!(l.in_flight(), 1);
                        l.release();
                    }
                    got as u32
                })
            })
            .collect();
        let admitted: u32 = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert!(admitted >= 1);
        assert_eq!(limiter.in_flight(), 0);
    });
}

#[test]
fn shedder_queue_cap_is_exact_and_in_flight_returns_to_zero() {
    loom::model(|| {
        let config = ShedderConfig { window_ns: SECOND, buckets: 1, max_queue: 1, ..ShedderConfig::default() };
        let shedder = Arc::new(AtomicShedder::new(config).unwrap());
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let s = shedder.clone();
                thread::spawn(move || s.acquire(0).is_admitted())
            })
            .collect();
        let admitted = handles.into_iter().map(|h| h.join().unwrap()).filter(|a| *a).count();
        assert_eq!(admitted, 1);
        shedder.done(0, 1);
        assert_eq!(shedder.stats(1).in_flight, 0);
    });
}

#[test]
fn throttle_counts_every_request() {
    loom::model(|| {
        let config = ThrottleConfig { window_ns: SECOND, buckets: 1, ..ThrottleConfig::default() };
        let throttle = Arc::new(AtomicThrottle::new(config).unwrap());
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let t = throttle.clone();
                thread::spawn(move || {
                    t.acquire(0, u64::MAX);
                    t.record(0, true);
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let stats = throttle.stats(0);
        assert_eq!((stats.requests, stats.accepts), (2, 2));
    });
}
