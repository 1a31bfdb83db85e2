//! `retry_budget` vectors: deposits, withdraws and whole retry decisions
//! (backoff fields may sit in the same config), through both cells.

use super::backoff::{backoff_config, opt_arg};
use super::common::*;
use serde_json::Value;
use weir_core::backoff::Backoff;
use weir_core::budget::{retry, AtomicRetryBudget, RetryAsk, RetryBudget, RetryBudgetConfig};
use weir_core::ConfigError;

pub fn budget_config(c: &Value) -> RetryBudgetConfig {
    let d = RetryBudgetConfig::default();
    RetryBudgetConfig {
        ratio: field_f64(c, "ratio").unwrap_or(d.ratio),
        min_per_second: field_u64(c, "min_per_second").unwrap_or(d.min_per_second),
        window_ns: field_u64(c, "window_ns").unwrap_or(d.window_ns),
        buckets: field_u64(c, "buckets").unwrap_or(d.buckets),
    }
}

pub fn config_error(_: &str, c: &Value) -> Option<ConfigError> {
    AtomicRetryBudget::new(budget_config(c)).err().or_else(|| Backoff::new(backoff_config(c)).err())
}

pub fn replay(_: &str, c: &Value, steps: &[Value]) {
    let atomic = AtomicRetryBudget::new(budget_config(c)).unwrap_or_else(|e| panic!("{e}"));
    let mut plain = RetryBudget::new(budget_config(c)).unwrap_or_else(|e| panic!("{e}"));
    let backoff = Backoff::new(backoff_config(c)).unwrap_or_else(|e| panic!("{e}"));
    for (i, step) in steps.iter().enumerate() {
        let now = at(step);
        match op(step) {
            "deposit" => {
                for _ in 0..opt_arg(step, "count").unwrap_or(1) {
                    atomic.deposit(now);
                    plain.deposit(now);
                }
            }
            "withdraw" => {
                let delay = opt_arg(step, "delay_ns").unwrap_or(0);
                let left = opt_arg(step, "deadline_left_ns").unwrap_or(u64::MAX);
                let d = atomic.withdraw(now, delay, left);
                assert_eq!(d, plain.withdraw(now, delay, left), "step {i}: atomic and plain cells disagree");
                check_decision(step, i, &d);
            }
            "retry" => {
                let ask = RetryAsk {
                    attempt: arg(step, "attempt") as u32,
                    draw: opt_arg(step, "draw").unwrap_or(0),
                    previous_delay: opt_arg(step, "previous_ns").unwrap_or(0),
                    advised: opt_arg(step, "advised_ns"),
                    deadline_left: opt_arg(step, "deadline_left_ns").unwrap_or(u64::MAX),
                    no_retry: opt_arg(step, "no_retry").unwrap_or(0) != 0,
                };
                let r = retry(now, &backoff, &atomic, &ask);
                // Keep the plain cell in step: it must count the same retry.
                if r.decision.is_admitted() {
                    assert!(
                        plain.withdraw(now, r.delay, ask.deadline_left).is_admitted(),
                        "step {i}: plain cell refused"
                    );
                }
                check_decision(step, i, &r.decision);
                check_u64(step, i, "delay_ns", r.delay);
            }
            other => panic!("unknown retry_budget op {other}"),
        }
        let (requests, retries) = atomic.snapshot(now);
        assert_eq!((requests, retries), plain.snapshot(now), "step {i}: snapshots disagree");
        check_u64(step, i, "requests", requests);
        check_u64(step, i, "retries", retries);
    }
}
