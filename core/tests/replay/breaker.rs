//! `breaker` vectors, through the atomic and the plain cell, which must agree
//! on every answer, every transition and every snapshot.

use super::common::*;
use serde_json::Value;
use weir_core::breaker::{AtomicBreaker, Breaker, BreakerConfig, BreakerStats, Permit, Transition, WindowKind};
use weir_core::ConfigError;

fn config(c: &Value) -> BreakerConfig {
    let d = BreakerConfig::default();
    let window = c.get("window").map_or(d.window, |w| {
        WindowKind::from_name(w.as_str().unwrap_or_default()).unwrap_or_else(|| panic!("unknown window {w}"))
    });
    BreakerConfig {
        window,
        window_calls: field_u64(c, "window_calls").unwrap_or(d.window_calls),
        window_ns: field_u64(c, "window_ns").unwrap_or(d.window_ns),
        buckets: field_u64(c, "buckets").unwrap_or(d.buckets),
        minimum_calls: field_u64(c, "minimum_calls").unwrap_or(d.minimum_calls),
        failure_rate_threshold: field_f64(c, "failure_rate_threshold").unwrap_or(d.failure_rate_threshold),
        slow_call_rate_threshold: field_f64(c, "slow_call_rate_threshold").unwrap_or(d.slow_call_rate_threshold),
        slow_call_ns: field_u64(c, "slow_call_ns").unwrap_or(d.slow_call_ns),
        consecutive_failures: field_u64(c, "consecutive_failures").unwrap_or(d.consecutive_failures),
        open_ns: field_u64(c, "open_ns").unwrap_or(d.open_ns),
        half_open_probes: field_u64(c, "half_open_probes").unwrap_or(d.half_open_probes),
        half_open_max_ns: field_u64(c, "half_open_max_ns").unwrap_or(d.half_open_max_ns),
    }
}

pub fn config_error(_primitive: &str, c: &Value) -> Option<ConfigError> {
    AtomicBreaker::new(config(c)).err()
}

fn arg_opt_u64(step: &Value, name: &str) -> u64 {
    step.get("args").and_then(|a| a.get(name)).map_or(0, num)
}

fn check_transitions(step: &Value, i: usize, got: &[Transition]) {
    let Some(want) = expect(step).get("transitions") else { return };
    let want = want.as_array().unwrap_or_else(|| panic!("step {i}: transitions is not a list"));
    assert_eq!(want.len(), got.len(), "step {i} ({step}): transitions {got:?}");
    for (w, t) in want.iter().zip(got) {
        let fields: [(&str, &str); 3] = [("from", t.from.as_str()), ("to", t.to.as_str()), ("cause", t.cause.as_str())];
        for (name, actual) in fields {
            if let Some(v) = w.get(name) {
                assert_eq!(v.as_str(), Some(actual), "step {i} ({step}): transition {name}");
            }
        }
        let counts = [
            ("calls", t.counts.calls),
            ("failures", t.counts.failures),
            ("slow", t.counts.slow),
            ("consecutive_failures", t.counts.consecutive_failures),
        ];
        for (name, actual) in counts {
            if let Some(v) = w.get(name) {
                assert_eq!(num(v), actual, "step {i} ({step}): transition {name}");
            }
        }
    }
}

fn check_stats(step: &Value, i: usize, s: &BreakerStats) {
    check_str(step, i, "state", s.state.as_str());
    check_u64(step, i, "calls", s.window.calls);
    check_u64(step, i, "failures", s.window.failures);
    check_u64(step, i, "slow", s.window.slow);
    check_u64(step, i, "consecutive_failures", s.window.consecutive_failures);
    check_u64(step, i, "probes_issued", s.probes_issued);
    check_u64(step, i, "probes_returned", s.probes.calls);
    check_u64(step, i, "open_left", s.retry_after);
}

fn permit_at(permits: &[Permit], step: &Value, i: usize) -> Permit {
    let n = arg(step, "permit") as usize;
    *permits.get(n).unwrap_or_else(|| panic!("step {i}: no permit {n} (only {} admitted)", permits.len()))
}

pub fn replay(_primitive: &str, c: &Value, steps: &[Value]) {
    let atomic = AtomicBreaker::new(config(c)).unwrap_or_else(|e| panic!("{e}"));
    let mut plain = Breaker::new(config(c)).unwrap_or_else(|e| panic!("{e}"));
    let mut permits: Vec<Permit> = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let now = at(step);
        let mut transitions = Vec::new();
        let disagree = format!("step {i}: atomic and plain cells disagree");
        match op(step) {
            "acquire" | "call" => {
                let a = atomic.acquire(now);
                assert_eq!(a, plain.acquire(now), "{disagree}");
                check_decision(step, i, &a.decision);
                transitions.extend(a.transition);
                if let Some(want) = expect(step).get("probe") {
                    assert_eq!(want.as_bool(), Some(a.permit.is_some_and(Permit::is_probe)), "step {i}: probe");
                }
                if let Some(permit) = a.permit {
                    if op(step) == "acquire" {
                        permits.push(permit);
                    } else {
                        let (failed, duration) = (arg_bool(step, "failed"), arg_opt_u64(step, "duration_ns"));
                        let t = atomic.record(now, permit, failed, duration);
                        assert_eq!(t, plain.record(now, permit, failed, duration), "{disagree}");
                        transitions.extend(t);
                    }
                }
            }
            "record" => {
                let permit = permit_at(&permits, step, i);
                let (failed, duration) = (arg_bool(step, "failed"), arg_opt_u64(step, "duration_ns"));
                let t = atomic.record(now, permit, failed, duration);
                assert_eq!(t, plain.record(now, permit, failed, duration), "{disagree}");
                transitions.extend(t);
            }
            "release" => {
                let permit = permit_at(&permits, step, i);
                let released = atomic.release(permit);
                assert_eq!(released, plain.release(permit), "{disagree}");
                if let Some(want) = expect(step).get("released") {
                    assert_eq!(want.as_bool(), Some(released), "step {i}: released");
                }
            }
            "force_open" | "disable" | "reset" => {
                let (a, p) = match op(step) {
                    "force_open" => (atomic.force_open(now), plain.force_open(now)),
                    "disable" => (atomic.disable(now), plain.disable(now)),
                    _ => (atomic.reset(now), plain.reset(now)),
                };
                assert_eq!(a, p, "{disagree}");
                transitions.extend(a);
            }
            other => panic!("unknown op {other}"),
        }
        check_transitions(step, i, &transitions);
        let stats = atomic.stats(now);
        assert_eq!(stats, plain.stats(now), "step {i}: stats disagree");
        check_stats(step, i, &stats);
    }
}
