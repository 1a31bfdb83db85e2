//! `hedge` vectors: hedging decisions against a shared retry budget (its
//! fields sit beside the hedge's in the config).

use super::budget::budget_config;
use super::common::*;
use serde_json::Value;
use weir_core::budget::AtomicRetryBudget;
use weir_core::hedge::{HedgeAsk, HedgeConfig, HedgeKernel};
use weir_core::ConfigError;

fn hedge_config(c: &Value) -> HedgeConfig {
    let d = HedgeConfig::default();
    HedgeConfig {
        quantile: field_f64(c, "quantile").unwrap_or(d.quantile),
        floor_ns: field_u64(c, "floor_ns").unwrap_or(d.floor_ns),
        ceiling_ns: field_u64(c, "ceiling_ns").unwrap_or(d.ceiling_ns),
        max_hedges: field_u64(c, "max_hedges").unwrap_or(d.max_hedges),
        min_samples: field_u64(c, "min_samples").unwrap_or(d.min_samples),
    }
}

pub fn config_error(_: &str, c: &Value) -> Option<ConfigError> {
    HedgeKernel::new(hedge_config(c)).err().or_else(|| AtomicRetryBudget::new(budget_config(c)).err())
}

fn ask(step: &Value) -> HedgeAsk {
    let a = &step["args"];
    HedgeAsk {
        started_at: arg(step, "started_at"),
        hedges_sent: arg(step, "hedges_sent"),
        quantile_ns: a.get("quantile_ns").map(num),
        samples: a.get("samples").map_or(0, num),
        deadline_left: a.get("deadline_left_ns").map_or(u64::MAX, num),
    }
}

pub fn replay(_: &str, c: &Value, steps: &[Value]) {
    let kernel = HedgeKernel::new(hedge_config(c)).unwrap_or_else(|e| panic!("{e}"));
    let budget = AtomicRetryBudget::new(budget_config(c)).unwrap_or_else(|e| panic!("{e}"));
    for (i, step) in steps.iter().enumerate() {
        let now = at(step);
        let decision = match op(step) {
            "deposit" => {
                for _ in 0..step["args"].get("count").map_or(1, num) {
                    budget.deposit(now);
                }
                None
            }
            "plan" => Some(kernel.plan(now, &ask(step))),
            "next" => Some(kernel.next(now, &ask(step), &budget)),
            other => panic!("unknown hedge op {other}"),
        };
        if let Some(d) = decision {
            check_str(step, i, "action", d.action.as_str());
            check_str(step, i, "reason", d.reason.as_str());
            check_u64(step, i, "due", d.due);
            check_u64(step, i, "delay", d.delay);
        }
        let (requests, retries) = budget.snapshot(now);
        check_u64(step, i, "requests", requests);
        check_u64(step, i, "retries", retries);
    }
}
