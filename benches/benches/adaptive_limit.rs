//! The adaptive limit's acquire + release with the RTT supplied, one thread,
//! for each algorithm and both cells, beside the floor of a plain
//! concurrency cap (`ConcurrencyLimiter`, acquire + release) in the same run.
//! The limit is in use (a request is already in flight), so every release
//! runs the algorithm. No synchronous Rust implementation of these
//! algorithms exists to compare with (congestion-limiter is async, on tokio).

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::Criterion;
use std::hint::black_box;
use weir_benches::{best_of_interleaved, lines_wanted, ns_per_op, report};
use weir_core::adaptive_limit::{AdaptiveLimit, AdaptiveLimitConfig, AtomicAdaptiveLimit, Outcome};
use weir_core::limiter::{ConcurrencyConfig, ConcurrencyLimiter};

type Measure<'a> = Box<dyn Fn() -> f64 + 'a>;

fn atomic(config: AdaptiveLimitConfig) -> AtomicAdaptiveLimit {
    let limit = AtomicAdaptiveLimit::new(config).unwrap_or_else(|e| panic!("{e}"));
    // One request stays in flight, so the limit counts as used.
    let _held = limit.acquire();
    limit
}

fn cycle(limit: &AtomicAdaptiveLimit, i: u64) {
    if let Some(p) = limit.acquire().permit {
        // RTTs of 10 ms +- 1 us keep every algorithm updating.
        black_box(limit.release(p, 10_000_000 + (i & 1023), Outcome::Success));
    }
}

fn main() {
    let gradient2 = atomic(AdaptiveLimitConfig::gradient2());
    let vegas = atomic(AdaptiveLimitConfig::vegas());
    let aimd = atomic(AdaptiveLimitConfig::aimd());
    let plain =
        std::cell::RefCell::new(AdaptiveLimit::new(AdaptiveLimitConfig::gradient2()).unwrap_or_else(|e| panic!("{e}")));
    let _ = plain.borrow_mut().acquire();
    let cap = ConcurrencyLimiter::new(ConcurrencyConfig { max_in_flight: 200 }).unwrap_or_else(|e| panic!("{e}"));
    let iters = 2_000_000;
    let cases: [(&str, Measure<'_>); 5] = [
        ("adaptive/acquire+release/gradient2", Box::new(|| ns_per_op(iters, |i| cycle(&gradient2, i)))),
        ("adaptive/acquire+release/vegas", Box::new(|| ns_per_op(iters, |i| cycle(&vegas, i)))),
        ("adaptive/acquire+release/aimd", Box::new(|| ns_per_op(iters, |i| cycle(&aimd, i)))),
        (
            "adaptive/acquire+release/gradient2_plain",
            Box::new(|| {
                ns_per_op(iters, |i| {
                    let mut l = plain.borrow_mut();
                    if let Some(p) = l.acquire().permit {
                        black_box(l.release(p, 10_000_000 + (i & 1023), Outcome::Success));
                    }
                })
            }),
        ),
        (
            "floor/concurrency_cap",
            Box::new(|| {
                ns_per_op(iters, |_| {
                    if black_box(cap.acquire()).is_admitted() {
                        cap.release();
                    }
                })
            }),
        ),
    ];
    if lines_wanted() {
        let measures: Vec<(&str, &dyn Fn() -> f64)> = cases.iter().map(|(n, m)| (*n, m.as_ref())).collect();
        for (case, ns) in best_of_interleaved(5, &measures) {
            report(case, ns);
        }
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    let mut i = 0u64;
    for (name, limit) in [("gradient2", &gradient2), ("vegas", &vegas), ("aimd", &aimd)] {
        c.bench_function(&format!("adaptive/acquire+release/{name}"), |b| {
            b.iter(|| {
                i += 1;
                cycle(limit, i)
            })
        });
    }
    c.bench_function("floor/concurrency_cap", |b| {
        b.iter(|| {
            if black_box(cap.acquire()).is_admitted() {
                cap.release();
            }
        })
    });
    c.final_summary();
}
