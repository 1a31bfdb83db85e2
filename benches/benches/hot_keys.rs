//! The hot-key detector: one record (atomic and plain cell, 1,024 counters)
//! of a key drawn from Zipf(1.1) over 10^6 keys, and a top(100) snapshot;
//! one thread, and the atomic record on two.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::Criterion;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use weir_benches::{best_of, best_of_interleaved, lines_wanted, ns_per_op, ns_per_op_threads, report};
use weir_core::hot_keys::{HotKey, HotKeys, HotKeysConfig, HotSet, PlainHotKeys, PlainHotSet};
use weir_core::random::SplitMix64;

const STREAM: usize = 1 << 20;

/// A million keys of a Zipf(1.1) stream over 10^6 keys, hashed.
fn zipf_keys() -> Vec<u64> {
    let mut cdf = Vec::with_capacity(1_000_000);
    let mut total = 0.0;
    for k in 1..=1_000_000u32 {
        total += f64::from(k).powf(-1.1);
        cdf.push(total);
    }
    let mut g = SplitMix64::new(11);
    (0..STREAM)
        .map(|_| {
            let u = (g.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * total;
            let rank = cdf.partition_point(|&c| c <= u) as u64;
            SplitMix64::new(rank).next_u64()
        })
        .collect()
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
    let keys = zipf_keys();
    let key = |i: u64| keys[i as usize & (STREAM - 1)];
    let config = HotKeysConfig::default();
    let atomic = HotKeys::<[HotSet; 64]>::new(config).unwrap_or_else(|e| panic!("{e}"));
    let plain =
        std::cell::RefCell::new(PlainHotKeys::<[PlainHotSet; 64]>::new(config).unwrap_or_else(|e| panic!("{e}")));
    // 1 us per request: the 10 s half-life passes a few times in a run.
    let record = |i: u64| atomic.record(black_box(i * 1_000), black_box(key(i)));
    let record_plain = |i: u64| plain.borrow_mut().record(black_box(i * 1_000), black_box(key(i)));
    for i in 0..STREAM as u64 {
        record(i);
    }
    let mut out = [HotKey::default(); 100];
    let mut top = |_: u64| {
        black_box(atomic.top(black_box(STREAM as u64 * 1_000), &mut out));
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
            ("hot_keys/record/atomic", &atomic_case),
            ("hot_keys/record/plain", &plain_case),
        ];
        for (case, ns) in best_of_interleaved(5, &cases) {
            report(case, ns);
        }
        if let Some(ns) = (0..5).filter_map(|_| cpu_ns_per_op(iters, record)).reduce(f64::min) {
            report("hot_keys/record/atomic/cpu_time", ns);
        }
        report("hot_keys/record/atomic/2threads", best_of(3, || ns_per_op_threads(2, iters / 2, record)));
        report("hot_keys/top100", best_of(5, || ns_per_op(2_000, &mut top)));
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    let mut i = 0u64;
    c.bench_function("hot_keys/record/atomic", |b| {
        b.iter(|| {
            i += 1;
            record(i)
        })
    });
    c.bench_function("hot_keys/record/plain", |b| {
        b.iter(|| {
            i += 1;
            record_plain(i)
        })
    });
    c.bench_function("hot_keys/top100", |b| b.iter(|| top(0)));
    c.final_summary();
}
