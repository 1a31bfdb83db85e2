//! Whenever the retry budget admits a retry, the retries in the window that
//! ends at that instant are at most `floor(ratio * requests) +
//! min_per_second * window` (requests and retries counted independently
//! here); a refusal means that window is spent; both cells agree.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use weir_core::budget::{AtomicRetryBudget, RetryBudget, RetryBudgetConfig};
use weir_core::{MILLISECOND, SECOND};

#[derive(Debug, Clone)]
enum Op {
    Deposit(u64),
    Withdraw,
}

fn ops() -> impl Strategy<Value = Vec<(u64, Op)>> {
    prop::collection::vec(
        (0u64..300 * MILLISECOND, prop_oneof![3 => (1u64..20).prop_map(Op::Deposit), 2 => Just(Op::Withdraw)]),
        1..300,
    )
}

proptest! {
    #[test]
    fn retries_never_exceed_the_allowance(
        ratio_pct in 0u64..60, floor in 0u64..4, buckets in 1u64..12, window_s in 1u64..5, trace in ops()
    ) {
        let config = RetryBudgetConfig {
            ratio: ratio_pct as f64 / 100.0,
            min_per_second: floor,
            window_ns: window_s * SECOND,
            buckets,
        };
        let (Ok(atomic), Ok(mut plain)) = (AtomicRetryBudget::new(config), RetryBudget::new(config)) else {
            return Err(TestCaseError::fail("valid config refused"));
        };
        let bucket_ns = config.window_ns / buckets;
        // (bucket number, requests, retries) of every event, for the check.
        let mut log: Vec<(u64, u64, u64)> = Vec::new();
        let mut now = 0u64;
        for (gap, op) in trace {
            now += gap;
            let n = now / bucket_ns;
            match op {
                Op::Deposit(k) => {
                    for _ in 0..k {
                        atomic.deposit(now);
                        plain.deposit(now);
                    }
                    log.push((n, k, 0));
                }
                Op::Withdraw => {
                    let d = atomic.withdraw(now, 0, u64::MAX);
                    prop_assert_eq!(d, plain.withdraw(now, 0, u64::MAX));
                    if d.is_admitted() {
                        log.push((n, 0, 1));
                    }
                    let (requests, retries) = log
                        .iter()
                        .filter(|(b, _, _)| *b + buckets > n && *b <= n)
                        .fold((0, 0), |(r, t), (_, dr, dt)| (r + dr, t + dt));
                    let floor_total = floor * bucket_ns * buckets / SECOND;
                    let allowed = requests * ratio_pct / 100 + floor_total;
                    if d.is_admitted() {
                        prop_assert!(retries <= allowed, "{} retries over {} requests, allowed {}", retries, requests, allowed);
                    } else {
                        // Refused only when the window really is spent (it can
                        // be over-spent when requests that paid for an earlier
                        // retry have slid out of it).
                        prop_assert!(retries >= allowed, "refused with {} of {} spent", retries, allowed);
                    }
                }
            }
        }
    }
}
