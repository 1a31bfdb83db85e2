//! `adaptive_limit` vectors, through the atomic and the plain cell, which
//! must agree on every answer and every snapshot.

use super::common::*;
use serde_json::Value;
use weir_core::adaptive_limit::{
    AdaptiveLimit, AdaptiveLimitConfig, AdaptiveLimitStats, Algorithm, AtomicAdaptiveLimit, Outcome, Permit,
};
use weir_core::ConfigError;

fn config(c: &Value) -> AdaptiveLimitConfig {
    let name = c.get("algorithm").and_then(Value::as_str).unwrap_or("gradient2");
    let d = match name {
        "gradient2" => AdaptiveLimitConfig::gradient2(),
        "vegas" => AdaptiveLimitConfig::vegas(),
        "aimd" => AdaptiveLimitConfig::aimd(),
        other => panic!("unknown algorithm {other}"),
    };
    let f = |name: &str, default: f64| field_f64(c, name).unwrap_or(default);
    let u = |name: &str, default: u64| field_u64(c, name).unwrap_or(default);
    let algorithm = match d.algorithm {
        Algorithm::Gradient2 { smoothing, rtt_tolerance, long_window, queue_size } => Algorithm::Gradient2 {
            smoothing: f("smoothing", smoothing),
            rtt_tolerance: f("rtt_tolerance", rtt_tolerance),
            long_window: u("long_window", long_window),
            queue_size: u("queue_size", queue_size),
        },
        Algorithm::Vegas { smoothing, alpha, beta, probe_multiplier } => Algorithm::Vegas {
            smoothing: f("smoothing", smoothing),
            alpha: u("alpha", alpha),
            beta: u("beta", beta),
            probe_multiplier: u("probe_multiplier", probe_multiplier),
        },
        Algorithm::Aimd { backoff_ratio, timeout_ns } => Algorithm::Aimd {
            backoff_ratio: f("backoff_ratio", backoff_ratio),
            timeout_ns: u("timeout_ns", timeout_ns),
        },
    };
    AdaptiveLimitConfig {
        initial_limit: u("initial_limit", d.initial_limit),
        min_limit: u("min_limit", d.min_limit),
        max_limit: u("max_limit", d.max_limit),
        algorithm,
    }
}

pub fn config_error(_primitive: &str, c: &Value) -> Option<ConfigError> {
    AtomicAdaptiveLimit::new(config(c)).err()
}

fn outcome(step: &Value) -> Outcome {
    let name = step.get("args").and_then(|a| a.get("outcome")).and_then(Value::as_str).unwrap_or("success");
    Outcome::from_name(name).unwrap_or_else(|| panic!("unknown outcome {name}"))
}

fn check_stats(step: &Value, i: usize, s: &AdaptiveLimitStats) {
    check_u64(step, i, "limit", s.limit);
    check_u64(step, i, "in_flight", s.in_flight);
    check_u64(step, i, "estimate_milli", (s.estimate * 1000.0) as u64);
    check_u64(step, i, "baseline_rtt_ns", s.baseline_rtt_ns as u64);
}

pub fn replay(_primitive: &str, c: &Value, steps: &[Value]) {
    let atomic = AtomicAdaptiveLimit::new(config(c)).unwrap_or_else(|e| panic!("{e}"));
    let mut plain = AdaptiveLimit::new(config(c)).unwrap_or_else(|e| panic!("{e}"));
    let mut permits: Vec<Option<Permit>> = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let disagree = format!("step {i}: atomic and plain cells disagree");
        match op(step) {
            "acquire" => {
                let a = atomic.acquire();
                assert_eq!(a, plain.acquire(), "{disagree}");
                check_decision(step, i, &a.decision);
                if let Some(p) = a.permit {
                    permits.push(Some(p));
                }
            }
            "release" => {
                let n = arg(step, "permit") as usize;
                let permit = permits
                    .get_mut(n)
                    .and_then(Option::take)
                    .unwrap_or_else(|| panic!("step {i}: permit {n} was never admitted or is already released"));
                let (rtt, outcome) = (arg(step, "rtt_ns"), outcome(step));
                let limit = atomic.release(permit, rtt, outcome);
                assert_eq!(limit, plain.release(permit, rtt, outcome), "{disagree}");
            }
            "cycle" => {
                // `rounds` times: admit up to `concurrent` at once, then
                // release them in order with the same RTT and outcome.
                let rounds = step.get("args").and_then(|a| a.get("rounds")).map_or(1, num);
                let (concurrent, rtt, outcome) = (arg(step, "concurrent"), arg(step, "rtt_ns"), outcome(step));
                for _ in 0..rounds {
                    let mut held = Vec::new();
                    for _ in 0..concurrent {
                        let a = atomic.acquire();
                        assert_eq!(a, plain.acquire(), "{disagree}");
                        match a.permit {
                            Some(p) => held.push(p),
                            None => break,
                        }
                    }
                    for p in held {
                        assert_eq!(atomic.release(p, rtt, outcome), plain.release(p, rtt, outcome), "{disagree}");
                    }
                }
            }
            other => panic!("unknown op {other}"),
        }
        let stats = atomic.stats();
        assert_eq!(stats, plain.stats(), "step {i}: stats disagree");
        check_stats(step, i, &stats);
    }
}
