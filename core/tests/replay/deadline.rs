//! `deadline` vectors: callee budgets and the header codecs.

use super::backoff::{check_header, opt_arg, str_arg};
use super::common::*;
use serde_json::Value;
use weir_core::deadline::{
    format_grpc_timeout, format_millis, parse_grpc_timeout, parse_millis, Deadline, DeadlineConfig,
};
use weir_core::ConfigError;

fn deadline_config(c: &Value) -> DeadlineConfig {
    let d = DeadlineConfig::default();
    DeadlineConfig {
        timeout_ns: field_u64(c, "timeout_ns").unwrap_or(d.timeout_ns),
        margin_ns: field_u64(c, "margin_ns").unwrap_or(d.margin_ns),
    }
}

pub fn config_error(_: &str, c: &Value) -> Option<ConfigError> {
    Deadline::new(deadline_config(c)).err()
}

fn check_format(step: &Value, i: usize, buf: &[u8], got: Result<usize, weir_core::deadline::HeaderError>) {
    match got {
        Ok(n) => {
            let text = std::str::from_utf8(buf.get(..n).unwrap_or_default()).unwrap_or_default();
            assert!(expect(step).get("error").is_none(), "step {i} ({step}): wrote {text}, expected an error");
            check_str(step, i, "value", text);
        }
        Err(e) => {
            assert!(expect(step).get("value").is_none(), "step {i} ({step}): refused ({e}), expected a value");
            check_str(step, i, "error", e.as_str());
        }
    }
}

pub fn replay(_: &str, c: &Value, steps: &[Value]) {
    let deadline = Deadline::new(deadline_config(c)).unwrap_or_else(|e| panic!("{e}"));
    for (i, step) in steps.iter().enumerate() {
        match op(step) {
            "budget" => {
                let (reason, timeout) = match deadline.budget(at(step), opt_arg(step, "deadline_ns")) {
                    Ok(t) => ("admitted", t),
                    Err(r) => (r.as_str(), 0),
                };
                check_str(step, i, "reason", reason);
                check_u64(step, i, "timeout_ns", timeout);
            }
            "parse_grpc_timeout" => {
                check_header(step, i, parse_grpc_timeout(str_arg(step, "value").as_bytes()).map_err(|e| e.as_str()))
            }
            "parse_millis" => {
                check_header(step, i, parse_millis(str_arg(step, "value").as_bytes()).map_err(|e| e.as_str()))
            }
            "format_grpc_timeout" => {
                let mut buf = vec![0u8; opt_arg(step, "buf_len").unwrap_or(32) as usize];
                let got = format_grpc_timeout(arg(step, "ns"), &mut buf);
                check_format(step, i, &buf, got);
            }
            "format_millis" => {
                let mut buf = vec![0u8; opt_arg(step, "buf_len").unwrap_or(32) as usize];
                let got = format_millis(arg(step, "ns"), &mut buf);
                check_format(step, i, &buf, got);
            }
            other => panic!("unknown deadline op {other}"),
        }
    }
}
