//! Model checks of the quantile estimator: racing records are never lost
//! (into one bucket or two), and a reader racing them sees a count between
//! before and after. Run with
//! `RUSTFLAGS="--cfg loom" cargo test -p weir-core --release --test loom_quantile`.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use weir_core::quantile::{AtomicQuantiles, QuantileConfig};
use weir_core::MILLISECOND;

/// The smallest geometry: one sub-window, one row (values 0..32 exact).
type Small = AtomicQuantiles<1, 1>;

fn small() -> Arc<Small> {
    Arc::new(Small::new(QuantileConfig { window_ns: MILLISECOND, sub_windows: 1 }).unwrap())
}

#[test]
fn racing_records_into_one_bucket_all_count() {
    loom::model(|| {
        let q = small();
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let q = q.clone();
                thread::spawn(move || q.record(0, 7))
            })
            .collect();
        handles.into_iter().for_each(|h| h.join().unwrap());
        assert_eq!(q.count(0), 2);
        assert_eq!(q.quantile(1.0, 0), Some(7));
    });
}

#[test]
fn a_record_in_a_new_sub_window_racing_an_old_one_loses_neither() {
    loom::model(|| {
        let q = small();
        q.record(0, 3);
        // One record starts sub-window 1 in the bucket's word while another
        // still counts into sub-window 0: the late one joins the newer.
        let old = {
            let q = q.clone();
            thread::spawn(move || q.record(MILLISECOND - 1, 3))
        };
        let new = {
            let q = q.clone();
            thread::spawn(move || q.record(MILLISECOND, 3))
        };
        old.join().unwrap();
        new.join().unwrap();
        let now = q.count(MILLISECOND);
        assert!((1..=2).contains(&now), "sub-window 1 holds its own record, and the late one if it came after");
    });
}

#[test]
fn a_reader_sees_between_before_and_after() {
    loom::model(|| {
        let q = small();
        q.record(0, 1);
        let writer = {
            let q = q.clone();
            thread::spawn(move || {
                q.record(0, 2);
                q.record(0, 30);
            })
        };
        let seen = q.count(0);
        writer.join().unwrap();
        assert!((1..=3).contains(&seen), "{seen}");
        assert_eq!(q.count(0), 3);
    });
}
