//! Model checks of the singleflight table: racing begins elect exactly one
//! leader, and every interleaving of begin / finish / leave ends with the
//! slot free. Run with
//! `RUSTFLAGS="--cfg loom" cargo test -p weir-core --release --test loom_singleflight`.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use weir_core::singleflight::{Flight, FlightSlot, Singleflight};

type Table = Singleflight<[FlightSlot; 1]>;

fn table() -> Arc<Table> {
    Arc::new(Singleflight::new(FlightSlot::array::<1>()).unwrap())
}

/// Runs one caller to completion: a leader finishes, a follower leaves.
fn call(t: &Table, key: u64) -> Flight {
    let f = t.begin(key);
    match f {
        Flight::Leader(ticket) => assert!(t.finish(ticket)),
        Flight::Follower(ticket) => assert!(t.leave(ticket)),
        Flight::TableFull => {}
    }
    f
}

#[test]
fn racing_begins_elect_one_leader() {
    loom::model(|| {
        let t = table();
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let t = t.clone();
                thread::spawn(move || t.begin(7))
            })
            .collect();
        let flights: Vec<Flight> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let leaders = flights.iter().filter(|f| matches!(f, Flight::Leader(_))).count();
        let followers = flights.iter().filter(|f| matches!(f, Flight::Follower(_))).count();
        assert_eq!((leaders, followers), (1, 1), "{flights:?}");
    });
}

#[test]
fn begin_finish_leave_races_free_the_slot() {
    loom::model(|| {
        let t = table();
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let t = t.clone();
                thread::spawn(move || call(&t, 7))
            })
            .collect();
        let flights: Vec<Flight> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        // Sequential callers both lead (a finished flight is not joined);
        // overlapping ones share one.
        assert!(flights.iter().any(|f| matches!(f, Flight::Leader(_))));
        assert!(!flights.iter().any(|f| matches!(f, Flight::TableFull)));
        assert_eq!(t.occupied(), 0);
    });
}

#[test]
fn other_key_never_joins() {
    loom::model(|| {
        let t = table();
        let a = {
            let t = t.clone();
            thread::spawn(move || call(&t, 1))
        };
        let b = {
            let t = t.clone();
            thread::spawn(move || call(&t, 2))
        };
        let (fa, fb) = (a.join().unwrap(), b.join().unwrap());
        assert!(!matches!(fa, Flight::Follower(_)) && !matches!(fb, Flight::Follower(_)));
        assert_eq!(t.occupied(), 0);
    });
}

#[test]
fn stale_finish_races_a_new_flight() {
    loom::model(|| {
        let t = table();
        let Flight::Leader(old) = t.begin(9) else { panic!("first begin must lead") };
        assert!(t.finish(old));
        let stale = {
            let t = t.clone();
            thread::spawn(move || t.finish(old))
        };
        let fresh = {
            let t = t.clone();
            thread::spawn(move || t.begin(9))
        };
        assert!(!stale.join().unwrap(), "a finished flight cannot finish again");
        let Flight::Leader(new) = fresh.join().unwrap() else { panic!("new flight must lead") };
        assert!(!t.is_done(new));
        assert!(t.finish(new));
        assert_eq!(t.occupied(), 0);
    });
}
