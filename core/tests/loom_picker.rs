//! Model checks of the p2c picker: racing pick/done keep in-flight counts
//! exact (back to zero after every done), and a done racing a remove never
//! touches the slot's next node. Run with
//! `RUSTFLAGS="--cfg loom" cargo test -p weir-core --release --test loom_picker`.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use weir_core::picker::{NodeSlot, Outcome, Picker, PickerConfig};
use weir_core::MILLISECOND;

fn picker() -> Arc<Picker<[NodeSlot; 2]>> {
    let p = Picker::new(PickerConfig::default(), NodeSlot::array::<2>()).unwrap();
    p.add(1, 0).unwrap();
    p.add(2, 0).unwrap();
    Arc::new(p)
}

#[test]
fn pick_done_races_keep_in_flight_exact() {
    loom::model(|| {
        let p = picker();
        let handles: Vec<_> = [0u64, u64::MAX]
            .into_iter()
            .map(|draw| {
                let p = p.clone();
                thread::spawn(move || {
                    let t = p.pick(MILLISECOND, draw).unwrap();
                    assert!(p.done(t, 2 * MILLISECOND, Outcome::ok(MILLISECOND)));
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(p.node(0).unwrap().in_flight + p.node(1).unwrap().in_flight, 0);
    });
}

#[test]
fn picks_in_flight_add_up() {
    loom::model(|| {
        let p = picker();
        let handles: Vec<_> = [1u64, 2]
            .into_iter()
            .map(|draw| {
                let p = p.clone();
                thread::spawn(move || p.pick(MILLISECOND, draw).unwrap())
            })
            .collect();
        let tickets: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(p.node(0).unwrap().in_flight + p.node(1).unwrap().in_flight, 2);
        for t in tickets {
            assert!(p.done(t, 2 * MILLISECOND, Outcome::ok(1)));
        }
        assert_eq!(p.node(0).unwrap().in_flight + p.node(1).unwrap().in_flight, 0);
    });
}

#[test]
fn done_racing_remove_and_re_add() {
    loom::model(|| {
        let p = Arc::new(Picker::new(PickerConfig::default(), NodeSlot::array::<1>()).unwrap());
        p.add(1, 0).unwrap();
        let t = p.pick(0, 0).unwrap();
        let d = {
            let p = p.clone();
            thread::spawn(move || p.done(t, MILLISECOND, Outcome::ok(1)))
        };
        let r = {
            let p = p.clone();
            thread::spawn(move || {
                p.remove(0);
                p.add(2, 0).unwrap();
                p.pick(0, 0).unwrap()
            })
        };
        d.join().unwrap();
        let fresh = r.join().unwrap();
        // Whatever the order, the new node's in-flight is its own pick only.
        assert_eq!(p.node(0).unwrap().in_flight, 1);
        assert!(p.done(fresh, MILLISECOND, Outcome::ok(1)));
        assert_eq!(p.node(0).unwrap().in_flight, 0);
    });
}
