//! Properties of the hedging decision: the delay stays within floor and
//! ceiling; a hedge is sent only once due and never past `max_hedges`; a
//! caller that follows the answers spends exactly one retry per hedge sent.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use weir_core::budget::{AtomicRetryBudget, RetryBudgetConfig};
use weir_core::hedge::{HedgeAction, HedgeAsk, HedgeConfig, HedgeKernel};
use weir_core::{Reason, MILLISECOND, SECOND};

fn config() -> impl Strategy<Value = HedgeConfig> {
    (0.01..=1.0f64, 0u64..50, 0u64..500, 1u64..=16, 0u64..40).prop_map(|(q, floor, extra, n, min)| HedgeConfig {
        quantile: q,
        floor_ns: floor * MILLISECOND,
        ceiling_ns: (floor + extra) * MILLISECOND,
        max_hedges: n,
        min_samples: min,
    })
}

proptest! {
    #[test]
    fn hedges_follow_the_rules(
        config in config(),
        estimate in prop::option::of(0u64..2 * SECOND),
        samples in 0u64..100,
        steps in prop::collection::vec(0u64..300 * MILLISECOND, 1..60),
        deposits in 0u64..100,
        deadline in prop::option::of(0u64..3 * SECOND),
    ) {
        let kernel = HedgeKernel::new(config).unwrap();
        // A window longer than any trace, so every retry spent is still in it.
        let window = RetryBudgetConfig { min_per_second: 1, window_ns: 1_000 * SECOND, ..Default::default() };
        let budget = AtomicRetryBudget::new(window).unwrap();
        for _ in 0..deposits {
            budget.deposit(0);
        }
        let (mut now, mut sent, mut stopped) = (0u64, 0u64, false);
        for step in steps {
            now += step;
            let left = deadline.map_or(u64::MAX, |d| d.saturating_sub(now));
            let ask = HedgeAsk { started_at: 0, hedges_sent: sent, quantile_ns: estimate, samples, deadline_left: left };
            let d = kernel.next(now, &ask, &budget);
            prop_assert!(config.floor_ns <= d.delay && d.delay <= config.ceiling_ns);
            let trusted = estimate.filter(|_| samples >= config.min_samples);
            prop_assert_eq!(d.delay, trusted.map_or(config.ceiling_ns, |q| q.clamp(config.floor_ns, config.ceiling_ns)));
            match d.action {
                HedgeAction::Send => {
                    prop_assert!(!stopped && now >= d.due && sent < config.max_hedges);
                    prop_assert_eq!(d.due, (sent + 1) * d.delay);
                    sent += 1;
                }
                HedgeAction::Wait => prop_assert!(now < d.due),
                HedgeAction::Stop => {
                    stopped = true;
                    prop_assert!(matches!(d.reason, Reason::AttemptsExhausted | Reason::DeadlineTooClose | Reason::BudgetExhausted));
                    if d.reason == Reason::AttemptsExhausted {
                        prop_assert_eq!(sent, config.max_hedges);
                    }
                }
            }
        }
        prop_assert!(sent <= config.max_hedges);
        prop_assert_eq!(budget.snapshot(now).1, sent, "one retry spent per hedge sent");
    }
}

#[test]
fn refusals_name_field_rule_and_value() {
    let bad = |c: HedgeConfig| HedgeKernel::new(c).unwrap_err().to_string();
    let d = HedgeConfig::default();
    assert_eq!(bad(HedgeConfig { quantile: f64::NAN, ..d }), "quantile must be in (0, 1], got NaN");
    assert_eq!(bad(HedgeConfig { floor_ns: 5, ceiling_ns: 4, ..d }), "ceiling_ns must be >= floor_ns, got 4");
    assert_eq!(bad(HedgeConfig { max_hedges: 17, ..d }), "max_hedges must be <= 16, got 17");
}
