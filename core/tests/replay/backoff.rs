//! `backoff` vectors: delays, the attempt limit, server advice, and the
//! `Retry-After` parser.

use super::common::*;
use serde_json::Value;
use weir_core::backoff::{parse_retry_after, Backoff, BackoffConfig, Jitter};
use weir_core::ConfigError;

pub fn backoff_config(c: &Value) -> BackoffConfig {
    let d = BackoffConfig::default();
    BackoffConfig {
        base_ns: field_u64(c, "base_ns").unwrap_or(d.base_ns),
        cap_ns: field_u64(c, "cap_ns").unwrap_or(d.cap_ns),
        multiplier: field_f64(c, "multiplier").unwrap_or(d.multiplier),
        jitter: c
            .get("jitter")
            .and_then(Value::as_str)
            .map(|j| Jitter::from_name(j).unwrap_or_else(|| panic!("unknown jitter {j}")))
            .unwrap_or(d.jitter),
        max_attempts: field_u64(c, "max_attempts").map_or(d.max_attempts, |v| u32::try_from(v).unwrap_or(u32::MAX)),
        advised_cap_ns: field_u64(c, "advised_cap_ns").unwrap_or(d.advised_cap_ns),
    }
}

pub fn config_error(_: &str, c: &Value) -> Option<ConfigError> {
    Backoff::new(backoff_config(c)).err()
}

pub fn opt_arg(step: &Value, name: &str) -> Option<u64> {
    step.get("args").and_then(|a| a.get(name)).map(num)
}

pub fn str_arg<'a>(step: &'a Value, name: &str) -> &'a str {
    step.get("args")
        .and_then(|a| a.get(name))
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no args.{name}: {step}"))
}

pub fn replay(_: &str, c: &Value, steps: &[Value]) {
    let backoff = Backoff::new(backoff_config(c)).unwrap_or_else(|e| panic!("{e}"));
    for (i, step) in steps.iter().enumerate() {
        match op(step) {
            "delay" => {
                let d = backoff.delay(
                    arg(step, "retry") as u32,
                    arg(step, "draw"),
                    opt_arg(step, "previous_ns").unwrap_or(0),
                );
                assert!(d <= backoff.config().cap_ns, "step {i}: delay {d} above cap");
                check_u64(step, i, "delay_ns", d);
            }
            "next" => {
                let got = backoff.next(
                    arg(step, "attempt") as u32,
                    opt_arg(step, "draw").unwrap_or(0),
                    opt_arg(step, "previous_ns").unwrap_or(0),
                    opt_arg(step, "advised_ns"),
                );
                let (reason, delay) = match got {
                    Ok(d) => ("admitted", d),
                    Err(r) => (r.as_str(), 0),
                };
                check_str(step, i, "reason", reason);
                check_u64(step, i, "delay_ns", delay);
            }
            "parse_retry_after" => {
                let got =
                    parse_retry_after(str_arg(step, "value").as_bytes(), opt_arg(step, "now_unix_s").unwrap_or(0));
                check_header(step, i, got.map_err(|e| e.as_str()));
            }
            other => panic!("unknown backoff op {other}"),
        }
    }
}

/// `expect.ns` for a parsed value, `expect.error` for a refusal.
pub fn check_header(step: &Value, i: usize, got: Result<u64, &str>) {
    match got {
        Ok(ns) => {
            assert!(expect(step).get("error").is_none(), "step {i} ({step}): parsed {ns}, expected an error");
            check_u64(step, i, "ns", ns);
        }
        Err(e) => {
            assert!(expect(step).get("ns").is_none(), "step {i} ({step}): refused ({e}), expected a value");
            check_str(step, i, "error", e);
        }
    }
}
