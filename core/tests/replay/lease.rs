//! `lease` vectors: one planner plus a plain and an atomic lease cell built
//! from `config`, driven by `plan`, `grant` and `spend` steps. The two cells
//! must agree at every step.

use super::common::*;
use serde_json::Value;
use weir_core::lease::{AtomicLease, Lease, LeaseConfig, LeasePlanner, Rate, Spend};
use weir_core::ConfigError;

fn planner(c: &Value) -> Result<LeasePlanner, ConfigError> {
    let d = LeaseConfig::default();
    LeasePlanner::new(LeaseConfig {
        min_batch: field_u64(c, "min_batch").unwrap_or(d.min_batch),
        max_batch: field_u64(c, "max_batch").unwrap_or(d.max_batch),
        batch_period_ns: field_u64(c, "batch_period_ns").unwrap_or(d.batch_period_ns),
        lead_ns: field_u64(c, "lead_ns").unwrap_or(d.lead_ns),
        ttl_ns: field_u64(c, "ttl_ns").unwrap_or(d.ttl_ns),
    })
}

pub fn config_error(_primitive: &str, c: &Value) -> Option<ConfigError> {
    planner(c).err()
}

fn outcome(s: Spend) -> (&'static str, u64) {
    match s {
        Spend::Spent { left } => ("spent", left),
        Spend::Short { left } => ("short", left),
        Spend::Expired => ("expired", 0),
    }
}

pub fn replay(_primitive: &str, c: &Value, steps: &[Value]) {
    let planner = planner(c).unwrap_or_else(|e| panic!("{e}"));
    let mut plain = Lease::new(planner.config().max_batch);
    let atomic = AtomicLease::new(planner.config().max_batch);
    for (i, step) in steps.iter().enumerate() {
        let now = at(step);
        match op(step) {
            "plan" => {
                let rate = Rate { tokens: arg(step, "rate_tokens"), over_ns: arg(step, "rate_over_ns") };
                let plan = planner.plan(now, rate, arg(step, "left"), arg(step, "expires_at"));
                check_u64(step, i, "ask", plan.ask);
                check_u64(step, i, "next_at", plan.next_at);
                check_u64(step, i, "low_water", plan.low_water);
            }
            "grant" => {
                let (tokens, expires_at) = (arg(step, "tokens"), arg(step, "expires_at"));
                let left = plain.grant(now, tokens, expires_at);
                assert_eq!(left, atomic.grant(now, tokens, expires_at), "step {i}: atomic and plain cells disagree");
                check_u64(step, i, "left", left);
            }
            "spend" => {
                let cost = arg(step, "cost");
                let spent = plain.try_spend(now, cost);
                assert_eq!(spent, atomic.try_spend(now, cost), "step {i}: atomic and plain cells disagree");
                let (name, left) = outcome(spent);
                check_str(step, i, "outcome", name);
                check_u64(step, i, "left", left);
            }
            other => panic!("step {i}: unknown lease op {other:?}"),
        }
    }
}
