//! The quantile estimator: one record (atomic and plain cell) of a
//! lognormal-like latency with the clock advancing, and a p99 read of the
//! whole window; one thread, and the atomic record on two.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::Criterion;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use weir_benches::{best_of, best_of_interleaved, lines_wanted, ns_per_op, ns_per_op_threads, report};
use weir_core::quantile::{AtomicQuantiles, QuantileConfig, Quantiles};
use weir_core::random::SplitMix64;

/// 4,096 latencies from 100 us to about 1 s, skewed towards the small.
fn latencies() -> Vec<u64> {
    let mut g = SplitMix64::new(7);
    (0..4096).map(|_| 100_000u64 << (g.next_u64() % 14) | (g.next_u64() & 0xFFFF)).collect()
}

/// CPU time of this thread in ns (Linux's schedstat): on a shared machine
/// wall time also counts the time other processes held the core.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat").ok()?.split_whitespace().next()?.parse().ok()
}

/// ns of CPU per call of `op` over `iters` calls, when the platform says.
fn cpu_ns_per_op(iters: u64, mut op: impl FnMut(u64)) -> Option<f64> {
    let start = thread_cpu_ns()?;
    for i in 0..iters {
        op(i);
    }
    Some((thread_cpu_ns()? - start) as f64 / iters as f64)
}

fn main() {
    let values = latencies();
    let value = |i: u64| values[(i & 4095) as usize];
    let atomic: AtomicQuantiles = AtomicQuantiles::new(QuantileConfig::default()).unwrap_or_else(|e| panic!("{e}"));
    let plain =
        std::cell::RefCell::new(Quantiles::<4>::new(QuantileConfig::default()).unwrap_or_else(|e| panic!("{e}")));
    // The clock advances 1 us per record: sub-windows turn over during the run.
    let record = |i: u64| atomic.record(black_box(i * 1_000), black_box(value(i)));
    let record_plain = |i: u64| plain.borrow_mut().record(black_box(i * 1_000), black_box(value(i)));
    for i in 0..1_000_000 {
        record(i);
    }
    let p99 = |_: u64| {
        black_box(atomic.quantile(0.99, black_box(1_000_000_000)));
    };
    if lines_wanted() {
        let iters = 5_000_000;
        // Interleaved with the floor, so a busy machine slows both alike.
        let floor = AtomicU64::new(0);
        let fetch_add = || {
            ns_per_op(iters, |_| {
                black_box(floor.fetch_add(1, Ordering::Relaxed));
            })
        };
        let (atomic_case, plain_case) = (|| ns_per_op(iters, record), || ns_per_op(iters, record_plain));
        let cases: [(&str, &dyn Fn() -> f64); 3] = [
            ("floor/atomic_fetch_add", &fetch_add),
            ("quantile/record/atomic", &atomic_case),
            ("quantile/record/plain", &plain_case),
        ];
        for (case, ns) in best_of_interleaved(5, &cases) {
            report(case, ns);
        }
        if let Some(ns) = (0..5).filter_map(|_| cpu_ns_per_op(iters, record)).reduce(f64::min) {
            report("quantile/record/atomic/cpu_time", ns);
        }
        report("quantile/record/atomic/2threads", best_of(3, || ns_per_op_threads(2, iters / 2, record)));
        report("quantile/p99_of_window", best_of(5, || ns_per_op(2_000, p99)));
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    let mut i = 0u64;
    c.bench_function("quantile/record/atomic", |b| {
        b.iter(|| {
            i += 1;
            record(i)
        })
    });
    c.bench_function("quantile/record/plain", |b| {
        b.iter(|| {
            i += 1;
            record_plain(i)
        })
    });
    c.bench_function("quantile/p99_of_window", |b| b.iter(|| p99(0)));
    c.final_summary();
}
