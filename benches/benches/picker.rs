//! p2c pick+done over 16 nodes (1 and 2 threads on one picker), against the
//! floor of one uncontended `AtomicU64::fetch_add` in the same run. Time is a
//! synthetic counter so the figure is core's cost alone; the `+clock` case
//! adds the host's clock read.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::Criterion;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use weir_benches::{best_of, clock, lines_wanted, ns_per_op, ns_per_op_threads, report};
use weir_core::picker::{NodeSlot, Outcome, Picker, PickerConfig};

fn draw(i: u64) -> u64 {
    // splitmix64: what a host's per-thread PRNG costs, roughly.
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn main() {
    let picker = Picker::new(PickerConfig::default(), NodeSlot::array::<16>()).unwrap_or_else(|e| panic!("{e}"));
    for id in 0..16 {
        picker.add(id, 0);
    }
    let now = clock();
    let floor = AtomicU64::new(0);
    let op = |i: u64| {
        let t = i * 1_000;
        if let Some(ticket) = picker.pick(t, draw(i)) {
            picker.done(black_box(ticket), t + 500, Outcome::ok(1_000_000 + (i & 0xFFFF) * 16));
        }
    };
    let op_clock = |i: u64| {
        let t = now();
        if let Some(ticket) = picker.pick(t, draw(i)) {
            picker.done(black_box(ticket), now(), Outcome::ok(1_000_000));
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
        report("picker/pick+done/16", best_of(5, || ns_per_op(iters, op)));
        report("picker/pick+done+clock/16", best_of(5, || ns_per_op(iters, op_clock)));
        report("picker/pick+done/16/2threads", best_of(3, || ns_per_op_threads(2, iters / 2, op)));
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    c.bench_function("floor/atomic_fetch_add", |b| b.iter(|| floor.fetch_add(1, Ordering::Relaxed)));
    let mut i = 0;
    c.bench_function("picker/pick+done/16", |b| {
        b.iter(|| {
            i += 1;
            op(i)
        })
    });
    c.final_summary();
}
