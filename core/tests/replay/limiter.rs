//! `limiter`, `keyed_limiter` and `concurrency_limiter` vectors. Each vector
//! drives both the atomic and the plain cell where both exist, which must agree.

use super::common::*;
use serde_json::Value;
use weir_core::limiter::{
    AtomicLimiter, ConcurrencyConfig, ConcurrencyLimiter, KeySet, KeyedLimiter, Limiter, LimiterConfig, MultiLimiter,
};
use weir_core::ConfigError;

fn limiter_config(c: &Value) -> LimiterConfig {
    LimiterConfig {
        rate: field_u64(c, "rate").unwrap_or(0),
        period_ns: field_u64(c, "period_ns").unwrap_or(weir_core::SECOND),
        burst: field_u64(c, "burst").unwrap_or(0),
    }
}

fn multi_configs(c: &Value) -> Vec<LimiterConfig> {
    c.get("rates").and_then(Value::as_array).map(|rates| rates.iter().map(limiter_config).collect()).unwrap_or_default()
}

/// A `set_rate` step: the new config from its args, and the field its
/// `expect.error` says the change must be refused for (if any).
fn check_set(step: &Value, i: usize, result: Result<(), ConfigError>) {
    let want = expect(step).get("error").and_then(Value::as_str);
    match (result, want) {
        (Ok(()), None) => {}
        (Err(e), Some(field)) => assert_eq!(e.field(), field, "step {i}: set_rate refused for the wrong field"),
        (Ok(()), Some(field)) => panic!("step {i}: set_rate accepted, expected an error naming {field}"),
        (Err(e), None) => panic!("step {i}: set_rate refused: {e}"),
    }
}

pub fn config_error(primitive: &str, c: &Value) -> Option<ConfigError> {
    match primitive {
        "multi_limiter" => MultiLimiter::new(&multi_configs(c)).err(),
        "limiter" => AtomicLimiter::new(limiter_config(c)).err(),
        "keyed_limiter" => keyed(c).err(),
        "concurrency_limiter" => {
            ConcurrencyLimiter::new(ConcurrencyConfig { max_in_flight: field_u64(c, "max_in_flight").unwrap_or(0) })
                .err()
        }
        other => panic!("not a limiter primitive: {other}"),
    }
}

fn keyed(c: &Value) -> Result<KeyedLimiter<Box<[KeySet]>>, ConfigError> {
    let capacity = field_u64(c, "capacity").unwrap_or(0);
    if capacity % 8 != 0 {
        return Err(ConfigError::new("capacity", "a multiple of 8", weir_core::Value::Unsigned(capacity)));
    }
    let sets: Box<[KeySet]> = (0..capacity / 8).map(|_| KeySet::new()).collect();
    KeyedLimiter::with_storage(limiter_config(c), sets)
}

pub fn replay(primitive: &str, c: &Value, steps: &[Value]) {
    match primitive {
        "limiter" => {
            let atomic = AtomicLimiter::new(limiter_config(c)).unwrap_or_else(|e| panic!("{e}"));
            let mut plain = Limiter::new(limiter_config(c)).unwrap_or_else(|e| panic!("{e}"));
            for (i, step) in steps.iter().enumerate() {
                let (now, args) = (at(step), &step["args"]);
                if op(step) == "set_rate" {
                    let result = atomic.set_config(limiter_config(args), now);
                    assert_eq!(result, plain.set_config(limiter_config(args), now), "step {i}: cells disagree");
                    check_set(step, i, result);
                    assert_eq!(atomic.state(), plain.state(), "step {i}: cells disagree on the state");
                    continue;
                }
                assert_eq!(op(step), "acquire");
                let cost = arg(step, "cost");
                let d = atomic.acquire(now, cost);
                assert_eq!(d, plain.acquire(now, cost), "step {i}: atomic and plain cells disagree");
                check_decision(step, i, &d);
            }
        }
        "keyed_limiter" => {
            let table = keyed(c).unwrap_or_else(|e| panic!("{e}"));
            for (i, step) in steps.iter().enumerate() {
                if op(step) == "set_rate" {
                    check_set(step, i, table.set_config(limiter_config(&step["args"]), at(step)));
                    continue;
                }
                assert_eq!(op(step), "acquire");
                let d = table.acquire(arg(step, "key"), at(step), arg(step, "cost"));
                check_decision(step, i, &d);
                check_u64(step, i, "live", table.live(at(step)) as u64);
            }
        }
        "multi_limiter" => {
            let limiter = MultiLimiter::new(&multi_configs(c)).unwrap_or_else(|e| panic!("{e}"));
            for (i, step) in steps.iter().enumerate() {
                match op(step) {
                    "acquire" => check_decision(step, i, &limiter.acquire(at(step), arg(step, "cost"))),
                    "set_rate" => {
                        let index = arg(step, "index") as usize;
                        check_set(step, i, limiter.set_config(index, limiter_config(&step["args"]), at(step)));
                    }
                    other => panic!("unknown op {other}"),
                }
            }
        }
        "concurrency_limiter" => {
            let limiter = ConcurrencyLimiter::new(ConcurrencyConfig {
                max_in_flight: field_u64(c, "max_in_flight").unwrap_or(0),
            })
            .unwrap_or_else(|e| panic!("{e}"));
            for (i, step) in steps.iter().enumerate() {
                match op(step) {
                    "acquire" => check_decision(step, i, &limiter.acquire()),
                    "release" => {
                        let released = limiter.release();
                        if let Some(want) = expect(step).get("released") {
                            assert_eq!(Some(released), want.as_bool(), "step {i}: released");
                        }
                    }
                    other => panic!("unknown op {other}"),
                }
                check_u64(step, i, "in_flight", limiter.in_flight());
            }
        }
        other => panic!("not a limiter primitive: {other}"),
    }
}
