//! Backoff next-delay (each jitter) and retry-budget deposit / withdraw.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::Criterion;
use std::hint::black_box;
use weir_benches::{best_of, lines_wanted, ns_per_op, report};
use weir_core::backoff::{Backoff, BackoffConfig, Jitter};
use weir_core::budget::{AtomicRetryBudget, RetryBudgetConfig};

fn main() {
    let backoff =
        |jitter| Backoff::new(BackoffConfig { jitter, ..BackoffConfig::default() }).unwrap_or_else(|e| panic!("{e}"));
    let (full, decorrelated) = (backoff(Jitter::Full), backoff(Jitter::Decorrelated));
    let float =
        Backoff::new(BackoffConfig { multiplier: 1.5, ..BackoffConfig::default() }).unwrap_or_else(|e| panic!("{e}"));
    // A budget that always has room: the floor alone is 10^6 retries.
    let budget = AtomicRetryBudget::new(RetryBudgetConfig { min_per_second: 100_000, ..RetryBudgetConfig::default() })
        .unwrap_or_else(|e| panic!("{e}"));
    let delay = |b: &Backoff, i: u64| {
        black_box(b.delay(black_box((i & 7) as u32 + 1), i.wrapping_mul(0x9E37_79B9_7F4A_7C15), i))
    };
    let withdraw = |i: u64| {
        let t = i * 1_000;
        budget.deposit(t);
        black_box(budget.withdraw(t, 0, u64::MAX));
    };
    if lines_wanted() {
        let iters = 2_000_000;
        report(
            "backoff/delay/full",
            best_of(5, || {
                ns_per_op(iters, |i| {
                    delay(&full, i);
                })
            }),
        );
        report(
            "backoff/delay/decorrelated",
            best_of(5, || {
                ns_per_op(iters, |i| {
                    delay(&decorrelated, i);
                })
            }),
        );
        report(
            "backoff/delay/full/multiplier_1.5",
            best_of(5, || {
                ns_per_op(iters, |i| {
                    delay(&float, i);
                })
            }),
        );
        report("budget/deposit+withdraw", best_of(5, || ns_per_op(iters, withdraw)));
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    let mut i = 0u64;
    c.bench_function("backoff/delay/full", |b| {
        b.iter(|| {
            i += 1;
            delay(&full, i)
        })
    });
    c.bench_function("budget/deposit+withdraw", |b| {
        b.iter(|| {
            i += 1;
            withdraw(i)
        })
    });
    c.final_summary();
}
