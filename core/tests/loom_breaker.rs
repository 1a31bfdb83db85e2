//! Model checks of the atomic breaker: under every interleaving the move out
//! of open happens once, half-open never lets more than `half_open_probes`
//! through, and a trip is reported once. Run with
//! `RUSTFLAGS="--cfg loom" cargo test -p weir-core --release --test loom_breaker`.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use weir_core::breaker::{AtomicBreaker, BreakerConfig, State};
use weir_core::{Reason, SECOND};

fn tripped(probes: u64) -> Arc<AtomicBreaker> {
    let config = BreakerConfig {
        window_calls: 2,
        minimum_calls: 2,
        open_ns: SECOND,
        half_open_probes: probes,
        ..Default::default()
    };
    let breaker = AtomicBreaker::new(config).unwrap();
    for _ in 0..2 {
        let permit = breaker.acquire(0).permit.unwrap();
        breaker.record(0, permit, true, 0);
    }
    assert_eq!(breaker.stats(0).state, State::Open);
    Arc::new(breaker)
}

#[test]
fn open_to_half_open_happens_once_and_probes_are_bounded() {
    loom::model(|| {
        let breaker = tripped(2);
        let handles: Vec<_> = (0..3)
            .map(|_| {
                let b = breaker.clone();
                thread::spawn(move || {
                    let a = b.acquire(SECOND);
                    (a.permit.is_some() as u32, a.transition.is_some() as u32)
                })
            })
            .collect();
        let (admitted, moves) =
            handles.into_iter().map(|h| h.join().unwrap()).fold((0, 0), |(a, m), (da, dm)| (a + da, m + dm));
        assert_eq!(moves, 1, "exactly one caller moves the breaker to half-open");
        assert_eq!(admitted, 2, "exactly half_open_probes probes pass");
        let stats = breaker.stats(SECOND);
        assert_eq!((stats.state, stats.probes_issued), (State::HalfOpen, 2));
    });
}

#[test]
fn a_release_racing_an_acquire_never_exceeds_the_bound() {
    loom::model(|| {
        let breaker = tripped(1);
        let probe = breaker.acquire(SECOND).permit.unwrap();
        let b = breaker.clone();
        let releaser = thread::spawn(move || {
            // A double release frees the one place once.
            (b.release(probe) as u32) + (b.release(probe) as u32)
        });
        let b = breaker.clone();
        let taker = thread::spawn(move || b.acquire(SECOND).permit);
        let freed = releaser.join().unwrap();
        let second = taker.join().unwrap();
        assert_eq!(freed, 1);
        let issued = breaker.stats(SECOND).probes_issued;
        assert_eq!(issued, second.is_some() as u64, "one place, held by the second probe or by nobody");
    });
}

#[test]
fn racing_failures_trip_once() {
    loom::model(|| {
        let config = BreakerConfig { window_calls: 2, minimum_calls: 2, ..Default::default() };
        let breaker = Arc::new(AtomicBreaker::new(config).unwrap());
        let permits = [breaker.acquire(0).permit.unwrap(), breaker.acquire(0).permit.unwrap()];
        let handles: Vec<_> = permits
            .into_iter()
            .map(|p| {
                let b = breaker.clone();
                thread::spawn(move || b.record(0, p, true, 0))
            })
            .collect();
        let moves: Vec<_> = handles.into_iter().filter_map(|h| h.join().unwrap()).collect();
        assert_eq!(moves.len(), 1, "one trip, reported once");
        assert_eq!((moves[0].from, moves[0].to), (State::Closed, State::Open));
        assert_eq!(moves[0].counts.calls, 2, "the tripping caller saw both outcomes");
        assert_eq!(breaker.stats(0).state, State::Open);
    });
}

#[test]
fn the_last_probe_closes_while_another_caller_asks() {
    loom::model(|| {
        let breaker = tripped(1);
        let probe = breaker.acquire(SECOND).permit.unwrap();
        let b = breaker.clone();
        let reporter = thread::spawn(move || b.record(SECOND, probe, false, 0).map(|t| t.to));
        let b = breaker.clone();
        let asker = thread::spawn(move || b.acquire(SECOND));
        assert_eq!(reporter.join().unwrap(), Some(State::Closed));
        let asked = asker.join().unwrap();
        match asked.permit {
            // Asked after the close: an ordinary closed-state call.
            Some(permit) => assert!(!permit.is_probe()),
            // Asked while the one probe was out.
            None => assert_eq!(asked.decision.reason, Reason::CircuitHalfOpen),
        }
        assert_eq!(breaker.stats(SECOND).state, State::Closed);
        assert!(breaker.acquire(SECOND).decision.is_admitted());
    });
}
