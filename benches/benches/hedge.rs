//! The hedging decision, one thread: a wait (not yet due: no budget
//! touched); a send without a budget (the kernel alone); and a request's
//! deposit plus a send that spends one retry of the shared budget (ratio 1,
//! the clock advancing 2 us per request so buckets turn over).

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::Criterion;
use std::hint::black_box;
use weir_benches::{best_of, lines_wanted, ns_per_op, report};
use weir_core::budget::{AtomicRetryBudget, RetryBudgetConfig, Unbudgeted};
use weir_core::hedge::{HedgeAsk, HedgeConfig, HedgeKernel};
use weir_core::{MILLISECOND, SECOND};

fn main() {
    let kernel = HedgeKernel::new(HedgeConfig::default()).unwrap_or_else(|e| panic!("{e}"));
    let budget = AtomicRetryBudget::new(RetryBudgetConfig { ratio: 1.0, ..Default::default() })
        .unwrap_or_else(|e| panic!("{e}"));
    let ask = |started_at: u64| HedgeAsk {
        started_at,
        hedges_sent: 0,
        quantile_ns: Some(40 * MILLISECOND),
        samples: 1_000,
        deadline_left: u64::MAX,
    };
    let wait = |i: u64| {
        black_box(kernel.next(black_box(SECOND + i), &ask(SECOND + i), &budget));
    };
    let send = |i: u64| {
        black_box(kernel.next(black_box(SECOND), &ask(black_box(i % 1_000)), &Unbudgeted));
    };
    let deposit_and_send = |i: u64| {
        let now = black_box(SECOND + 2_000 * i);
        budget.deposit(now);
        black_box(kernel.next(now, &ask(now - SECOND), &budget));
    };
    if lines_wanted() {
        let iters = 2_000_000;
        report("hedge/next/wait", best_of(5, || ns_per_op(iters, wait)));
        report("hedge/next/send_unbudgeted", best_of(5, || ns_per_op(iters, send)));
        report("hedge/deposit+next/send_budgeted", best_of(5, || ns_per_op(iters, deposit_and_send)));
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    let mut i = 0u64;
    c.bench_function("hedge/next/wait", |b| {
        b.iter(|| {
            i += 1;
            wait(i)
        })
    });
    c.bench_function("hedge/next/send_unbudgeted", |b| {
        b.iter(|| {
            i += 1;
            send(i)
        })
    });
    c.bench_function("hedge/deposit+next/send_budgeted", |b| {
        b.iter(|| {
            i += 1;
            deposit_and_send(i)
        })
    });
    c.final_summary();
}
