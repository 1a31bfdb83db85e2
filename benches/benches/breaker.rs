//! The breaker's decision (acquire in closed) and a whole call (acquire +
//! record) with time supplied, one thread, beside failsafe-rs and recloser
//! in the same run. failsafe runs under its own frozen clock (time supplied
//! there too); recloser reads no clock while closed. Every case takes the
//! admitting path: nothing ever fails.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::Criterion;
use std::hint::black_box;
use weir_benches::{best_of_interleaved, lines_wanted, ns_per_op, report};
use weir_core::breaker::{AtomicBreaker, Breaker, BreakerConfig, WindowKind};
use weir_core::SECOND;

type Measure<'a> = Box<dyn Fn() -> f64 + 'a>;

fn weir(window: WindowKind) -> AtomicBreaker {
    let config = BreakerConfig { window, window_ns: 10 * SECOND, buckets: 10, ..Default::default() };
    AtomicBreaker::new(config).unwrap_or_else(|e| panic!("{e}"))
}

fn main() {
    failsafe::clock::freeze(|_| run());
}

fn run() {
    let count = weir(WindowKind::Count);
    let time = weir(WindowKind::Time);
    let plain = std::cell::RefCell::new(Breaker::new(BreakerConfig::default()).unwrap_or_else(|e| panic!("{e}")));
    let fs = failsafe::Config::new().build();
    let rc = recloser::Recloser::default();
    let now = black_box(SECOND);
    let iters = 2_000_000;
    let decide = |i: u64| black_box(count.acquire(now + i)).decision.is_admitted();
    let call = |b: &AtomicBreaker, i: u64| {
        if let Some(p) = b.acquire(now + i).permit {
            black_box(b.record(now + i, p, false, 1_000));
        }
    };
    let cases: [(&str, Measure<'_>); 9] = [
        (
            "breaker/decision/weir",
            Box::new(|| {
                ns_per_op(iters, |i| {
                    black_box(decide(i));
                })
            }),
        ),
        (
            "breaker/decision/weir_plain",
            Box::new(|| {
                ns_per_op(iters, |i| {
                    black_box(plain.borrow_mut().acquire(now + i));
                })
            }),
        ),
        (
            "breaker/decision/failsafe",
            Box::new(|| {
                ns_per_op(iters, |_| {
                    black_box(fs.is_call_permitted());
                })
            }),
        ),
        ("breaker/call/weir_count", Box::new(|| ns_per_op(iters, |i| call(&count, i)))),
        ("breaker/call/weir_time", Box::new(|| ns_per_op(iters, |i| call(&time, i)))),
        (
            "breaker/call/weir_plain",
            Box::new(|| {
                ns_per_op(iters, |i| {
                    let mut b = plain.borrow_mut();
                    if let Some(p) = b.acquire(now + i).permit {
                        black_box(b.record(now + i, p, false, 1_000));
                    }
                })
            }),
        ),
        (
            "breaker/call/failsafe",
            Box::new(|| {
                ns_per_op(iters, |_| {
                    if fs.is_call_permitted() {
                        fs.on_success();
                    }
                })
            }),
        ),
        (
            "breaker/call/recloser",
            Box::new(|| {
                ns_per_op(iters, |_| {
                    let _ = black_box(rc.call(|| Ok::<(), ()>(())));
                })
            }),
        ),
        (
            "floor/black_box",
            Box::new(|| {
                ns_per_op(iters, |i| {
                    black_box(i);
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
    c.bench_function("breaker/decision/weir", |b| {
        b.iter(|| {
            i += 1;
            decide(i)
        })
    });
    c.bench_function("breaker/decision/failsafe", |b| b.iter(|| fs.is_call_permitted()));
    c.bench_function("breaker/call/weir_count", |b| {
        b.iter(|| {
            i += 1;
            call(&count, i)
        })
    });
    c.bench_function("breaker/call/weir_time", |b| {
        b.iter(|| {
            i += 1;
            call(&time, i)
        })
    });
    c.bench_function("breaker/call/failsafe", |b| {
        b.iter(|| {
            if fs.is_call_permitted() {
                fs.on_success();
            }
        })
    });
    c.bench_function("breaker/call/recloser", |b| b.iter(|| rc.call(|| Ok::<(), ()>(()))));
    c.final_summary();
}
