//! Model checks of the retry budget: racing withdraws never spend more than
//! the allowance, and deposits racing withdraws are never lost. Run with
//! `RUSTFLAGS="--cfg loom" cargo test -p weir-core --release --test loom_budget`.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use weir_core::budget::{AtomicRetryBudget, RetryBudgetConfig};
use weir_core::SECOND;

fn budget(ratio: f64) -> Arc<AtomicRetryBudget> {
    let config = RetryBudgetConfig { ratio, min_per_second: 0, window_ns: 2 * SECOND, buckets: 2 };
    Arc::new(AtomicRetryBudget::new(config).unwrap())
}

#[test]
fn racing_withdraws_take_exactly_the_allowance() {
    loom::model(|| {
        let b = budget(0.5);
        for _ in 0..4 {
            b.deposit(0); // allowance 2
        }
        let handles: Vec<_> = (0..3)
            .map(|_| {
                let b = b.clone();
                thread::spawn(move || b.withdraw(0, 0, u64::MAX).is_admitted() as u64)
            })
            .collect();
        let admitted: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(admitted, 2);
        assert_eq!(b.snapshot(0), (4, 2));
    });
}

#[test]
fn deposit_racing_withdraw_is_counted() {
    loom::model(|| {
        let b = budget(1.0);
        b.deposit(0);
        let d = {
            let b = b.clone();
            thread::spawn(move || b.deposit(0))
        };
        let w = {
            let b = b.clone();
            thread::spawn(move || b.withdraw(0, 0, u64::MAX).is_admitted())
        };
        d.join().unwrap();
        assert!(w.join().unwrap(), "one request already pays for one retry");
        assert_eq!(b.snapshot(0), (2, 1));
        assert!(b.withdraw(0, 0, u64::MAX).is_admitted(), "the raced deposit pays for a second");
        assert!(!b.withdraw(0, 0, u64::MAX).is_admitted());
    });
}
