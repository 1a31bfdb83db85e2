//! Shedder acquire+done and throttle acquire+record, each with a clock read,
//! against the floor of one uncontended `AtomicU64::fetch_add` in the same run.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::Criterion;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use weir_benches::{best_of, clock, lines_wanted, ns_per_op, report};
use weir_core::shedder::{AtomicShedder, ShedderConfig};
use weir_core::throttle::{AtomicThrottle, ThrottleConfig};

fn main() {
    let now = clock();
    let shedder = AtomicShedder::new(ShedderConfig::default()).unwrap_or_else(|e| panic!("{e}"));
    let throttle = AtomicThrottle::new(ThrottleConfig::default()).unwrap_or_else(|e| panic!("{e}"));
    let floor = AtomicU64::new(0);
    let shed_op = |_| {
        let t = now();
        if black_box(shedder.acquire(t)).is_admitted() {
            shedder.done(t, now());
        }
    };
    let throttle_op = |i: u64| {
        let t = now();
        if black_box(throttle.acquire(t, i.wrapping_mul(0x9E37_79B9_7F4A_7C15))).is_admitted() {
            throttle.record(t, true);
        }
    };
    if lines_wanted() {
        let iters = 1_000_000;
        report(
            "floor/atomic_fetch_add",
            best_of(5, || {
                ns_per_op(iters, |_| {
                    black_box(floor.fetch_add(1, Ordering::Relaxed));
                })
            }),
        );
        report("shedder/acquire+done", best_of(5, || ns_per_op(iters, shed_op)));
        report("throttle/acquire+record", best_of(5, || ns_per_op(iters, throttle_op)));
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    c.bench_function("floor/atomic_fetch_add", |b| b.iter(|| floor.fetch_add(1, Ordering::Relaxed)));
    let mut i = 0;
    c.bench_function("shedder/acquire+done", |b| {
        b.iter(|| {
            i += 1;
            shed_op(i)
        })
    });
    c.bench_function("throttle/acquire+record", |b| {
        b.iter(|| {
            i += 1;
            throttle_op(i)
        })
    });
    c.final_summary();
}
