//! `quantile` vectors: records, quantiles, merges and bucket bounds through
//! both cells of the default geometry (4 slots, 38 rows); a second
//! estimator of the same config takes the records marked `into: other`.

use super::common::*;
use serde_json::Value;
use weir_core::quantile::{AtomicQuantiles, Histogram, QuantileConfig, Quantiles};
use weir_core::ConfigError;

fn config(c: &Value) -> QuantileConfig {
    let d = QuantileConfig::default();
    QuantileConfig {
        window_ns: field_u64(c, "window_ns").unwrap_or(d.window_ns),
        sub_windows: field_u64(c, "sub_windows").unwrap_or(d.sub_windows),
    }
}

pub fn config_error(_: &str, c: &Value) -> Option<ConfigError> {
    AtomicQuantiles::<4>::new(config(c)).err()
}

fn check_value(step: &Value, i: usize, actual: Option<u64>) {
    match expect(step).get("value") {
        None => {}
        Some(Value::Null) => assert_eq!(actual, None, "step {i} ({step}): value"),
        Some(want) => assert_eq!(actual, Some(num(want)), "step {i} ({step}): value"),
    }
}

pub fn replay(_: &str, c: &Value, steps: &[Value]) {
    let build = || AtomicQuantiles::<4>::new(config(c)).unwrap_or_else(|e| panic!("{e}"));
    let (atomic, other) = (build(), build());
    let mut plain = Quantiles::<4>::new(config(c)).unwrap_or_else(|e| panic!("{e}"));
    let mut plain_other = Quantiles::<4>::new(config(c)).unwrap_or_else(|e| panic!("{e}"));
    for (i, step) in steps.iter().enumerate() {
        let now = at(step);
        match op(step) {
            "record" => {
                let (value, n) = (arg(step, "value"), step["args"].get("count").map_or(1, num));
                if step["args"].get("into").and_then(Value::as_str) == Some("other") {
                    other.record_n(now, value, n);
                    plain_other.record_n(now, value, n);
                } else {
                    atomic.record_n(now, value, n);
                    plain.record_n(now, value, n);
                }
            }
            "quantile" => {
                let q = step["args"]["q"].as_f64().unwrap_or_else(|| panic!("step {i}: q is not a number"));
                let value = atomic.quantile(q, now);
                assert_eq!(value, plain.quantile(q, now), "step {i}: cells disagree");
                check_value(step, i, value);
            }
            "merge" => {
                atomic.merge(&other, now).unwrap_or_else(|e| panic!("{e}"));
                plain.merge(&plain_other, now).unwrap_or_else(|e| panic!("{e}"));
            }
            "bucket" => {
                let (lower, upper) = Histogram::<38>::bucket_bounds(arg(step, "value"));
                check_u64(step, i, "lower", lower);
                check_u64(step, i, "upper", upper);
            }
            other => panic!("unknown quantile op {other}"),
        }
        assert_eq!(atomic.snapshot(now), plain.snapshot(now), "step {i}: snapshots disagree");
        check_u64(step, i, "count", atomic.count(now));
    }
}
