//! Model checks of the atomic adaptive limit: no interleaving admits past the
//! limit in force, and racing releases leave the gate holding the limit of
//! the last estimate with nothing in flight. Run with
//! `RUSTFLAGS="--cfg loom" cargo test -p weir-core --release --test loom_adaptive_limit`.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use weir_core::adaptive_limit::{AdaptiveLimitConfig, Algorithm, AtomicAdaptiveLimit, Outcome};
use weir_core::MILLISECOND;

fn aimd(initial: u64, min: u64, max: u64) -> Arc<AtomicAdaptiveLimit> {
    let config =
        AdaptiveLimitConfig { initial_limit: initial, min_limit: min, max_limit: max, algorithm: Algorithm::AIMD };
    Arc::new(AtomicAdaptiveLimit::new(config).unwrap())
}

#[test]
fn admissions_never_pass_the_limit() {
    loom::model(|| {
        let limit = aimd(2, 1, 2);
        let handles: Vec<_> = (0..3)
            .map(|_| {
                let l = limit.clone();
                thread::spawn(move || l.acquire().permit)
            })
            .collect();
        let permits: Vec<_> = handles.into_iter().filter_map(|h| h.join().unwrap()).collect();
        assert_eq!(permits.len(), 2);
        let mut seen: Vec<u32> = permits.iter().map(|p| p.in_flight).collect();
        seen.sort_unstable();
        assert_eq!(seen, [1, 2], "each admission counted its own slot");
        assert_eq!(limit.stats().in_flight, 2);
    });
}

#[test]
fn racing_releases_publish_the_last_estimate() {
    loom::model(|| {
        let limit = aimd(2, 1, 10);
        let permits = [limit.acquire().permit.unwrap(), limit.acquire().permit.unwrap()];
        let handles: Vec<_> = permits
            .into_iter()
            .map(|p| {
                let l = limit.clone();
                thread::spawn(move || l.release(p, MILLISECOND, Outcome::Success))
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let stats = limit.stats();
        assert_eq!(stats.in_flight, 0);
        assert_eq!(stats.limit, stats.estimate as u64, "the gate holds the last estimate's limit");
        assert!(stats.limit == 3 || stats.limit == 4, "one or two increases, by the order: {}", stats.limit);
    });
}

#[test]
fn an_acquire_racing_a_shrink_is_counted_against_one_limit() {
    loom::model(|| {
        let limit = aimd(3, 1, 3);
        let first = limit.acquire().permit.unwrap();
        let l = limit.clone();
        // A drop shrinks the limit to floor(3 x 0.9) = 2 while another caller asks.
        let shrink = thread::spawn(move || l.release(first, MILLISECOND, Outcome::Dropped));
        let l = limit.clone();
        let ask = thread::spawn(move || l.acquire().permit.map(|p| p.in_flight));
        assert_eq!(shrink.join().unwrap(), 2);
        let got = ask.join().unwrap();
        assert!(got == Some(1) || got == Some(2), "{got:?}");
        let stats = limit.stats();
        assert_eq!((stats.limit, stats.in_flight), (2, 1));
    });
}
