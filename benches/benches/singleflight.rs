//! Singleflight begin+finish, uncontended (each call a new key, as a cache
//! miss is), against the `fetch_add` floor in the same run.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::Criterion;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use weir_benches::{best_of, lines_wanted, ns_per_op, ns_per_op_threads, report};
use weir_core::singleflight::{Flight, FlightSlot, Singleflight};

fn main() {
    let table = Singleflight::new(FlightSlot::array::<1024>()).unwrap_or_else(|e| panic!("{e}"));
    let floor = AtomicU64::new(0);
    let op = |i: u64| {
        if let Flight::Leader(t) = table.begin(black_box(i)) {
            table.finish(t);
        }
    };
    if lines_wanted() {
        let iters = 2_000_000;
        report(
            "floor/atomic_fetch_add",
            best_of(5, || {
                ns_per_op(iters, |_| {
                    black_box(floor.fetch_add(1, Ordering::Relaxed));
                })
            }),
        );
        report("singleflight/begin+finish", best_of(5, || ns_per_op(iters, op)));
        report("singleflight/begin+finish/2threads", best_of(3, || ns_per_op_threads(2, iters / 2, op)));
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    c.bench_function("floor/atomic_fetch_add", |b| b.iter(|| floor.fetch_add(1, Ordering::Relaxed)));
    let mut i = 0;
    c.bench_function("singleflight/begin+finish", |b| {
        b.iter(|| {
            i += 1;
            op(i)
        })
    });
    c.final_summary();
}
