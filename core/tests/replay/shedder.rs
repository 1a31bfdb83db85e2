//! `shedder` and `throttle` vectors, through both cells.

use super::common::*;
use serde_json::Value;
use weir_core::shedder::{AtomicShedder, Shedder, ShedderConfig};
use weir_core::throttle::{AtomicThrottle, Throttle, ThrottleConfig};
use weir_core::ConfigError;

fn shedder_config(c: &Value) -> ShedderConfig {
    let d = ShedderConfig::default();
    ShedderConfig {
        window_ns: field_u64(c, "window_ns").unwrap_or(d.window_ns),
        buckets: field_u64(c, "buckets").unwrap_or(d.buckets),
        cpu_threshold: field_u64(c, "cpu_threshold").unwrap_or(d.cpu_threshold),
        cpu_decay: field_f64(c, "cpu_decay").unwrap_or(d.cpu_decay),
        cool_off_ns: field_u64(c, "cool_off_ns").unwrap_or(d.cool_off_ns),
        max_queue: field_u64(c, "max_queue").unwrap_or(d.max_queue),
    }
}

fn throttle_config(c: &Value) -> ThrottleConfig {
    let d = ThrottleConfig::default();
    ThrottleConfig {
        k: field_f64(c, "k").unwrap_or(d.k),
        window_ns: field_u64(c, "window_ns").unwrap_or(d.window_ns),
        buckets: field_u64(c, "buckets").unwrap_or(d.buckets),
        min_requests: field_u64(c, "min_requests").unwrap_or(d.min_requests),
        max_reject_probability: field_f64(c, "max_reject_probability").unwrap_or(d.max_reject_probability),
    }
}

pub fn config_error(primitive: &str, c: &Value) -> Option<ConfigError> {
    match primitive {
        "shedder" => AtomicShedder::new(shedder_config(c)).err(),
        "throttle" => AtomicThrottle::new(throttle_config(c)).err(),
        other => panic!("not a shedder/throttle primitive: {other}"),
    }
}

pub fn replay(primitive: &str, c: &Value, steps: &[Value]) {
    match primitive {
        "shedder" => {
            let atomic = AtomicShedder::new(shedder_config(c)).unwrap_or_else(|e| panic!("{e}"));
            let mut plain = Shedder::new(shedder_config(c)).unwrap_or_else(|e| panic!("{e}"));
            for (i, step) in steps.iter().enumerate() {
                let now = at(step);
                match op(step) {
                    "acquire" => {
                        let d = atomic.acquire(now);
                        assert_eq!(d, plain.acquire(now), "step {i}: atomic and plain cells disagree");
                        check_decision(step, i, &d);
                    }
                    "done" => {
                        atomic.done(arg(step, "started_at"), now);
                        plain.done(arg(step, "started_at"), now);
                    }
                    "cpu" => {
                        let cpu = atomic.record_cpu(arg(step, "permille"));
                        assert_eq!(cpu, plain.record_cpu(arg(step, "permille")));
                        check_u64(step, i, "cpu", cpu as u64);
                    }
                    other => panic!("unknown op {other}"),
                }
                let stats = atomic.stats(now);
                assert_eq!(stats, plain.stats(now), "step {i}: stats disagree");
                check_u64(step, i, "in_flight", stats.in_flight);
                check_u64(step, i, "max_in_flight", stats.max_in_flight);
            }
        }
        "throttle" => {
            let atomic = AtomicThrottle::new(throttle_config(c)).unwrap_or_else(|e| panic!("{e}"));
            let mut plain = Throttle::new(throttle_config(c)).unwrap_or_else(|e| panic!("{e}"));
            for (i, step) in steps.iter().enumerate() {
                let now = at(step);
                let p = atomic.stats(now).reject_probability;
                assert_eq!(p, plain.stats(now).reject_probability, "step {i}: stats disagree");
                check_u64(step, i, "reject_probability_ppm", (p * 1e6) as u64);
                match op(step) {
                    "acquire" => {
                        let d = atomic.acquire(now, arg(step, "draw"));
                        assert_eq!(d, plain.acquire(now, arg(step, "draw")), "step {i}: cells disagree");
                        check_decision(step, i, &d);
                    }
                    "record" => {
                        atomic.record(now, arg_bool(step, "success"));
                        plain.record(now, arg_bool(step, "success"));
                    }
                    "forget" => {
                        atomic.forget(arg(step, "acquired_at"));
                        plain.forget(arg(step, "acquired_at"));
                    }
                    other => panic!("unknown op {other}"),
                }
            }
        }
        other => panic!("not a shedder/throttle primitive: {other}"),
    }
}
