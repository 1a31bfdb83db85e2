//! Reading vector JSON: integers may be JSON numbers or decimal strings
//! (for values above 2^53), and `expect` fields are optional.

use serde_json::Value;

pub fn num(v: &Value) -> u64 {
    match v {
        Value::Number(n) => n.as_u64().unwrap_or_else(|| panic!("not a u64: {n}")),
        Value::String(s) => s.parse().unwrap_or_else(|_| panic!("not a u64 string: {s}")),
        other => panic!("not an integer: {other}"),
    }
}

pub fn field_u64(obj: &Value, name: &str) -> Option<u64> {
    obj.get(name).map(num)
}

pub fn field_f64(obj: &Value, name: &str) -> Option<f64> {
    obj.get(name).map(|v| v.as_f64().unwrap_or_else(|| panic!("{name} is not a number: {v}")))
}

pub fn at(step: &Value) -> u64 {
    num(step.get("at").unwrap_or_else(|| panic!("step without `at`: {step}")))
}

pub fn op(step: &Value) -> &str {
    step.get("op").and_then(Value::as_str).unwrap_or_else(|| panic!("step without `op`: {step}"))
}

pub fn arg(step: &Value, name: &str) -> u64 {
    step.get("args").and_then(|a| a.get(name)).map(num).unwrap_or_else(|| panic!("step without args.{name}: {step}"))
}

pub fn arg_bool(step: &Value, name: &str) -> bool {
    step.get("args")
        .and_then(|a| a.get(name))
        .and_then(Value::as_bool)
        .unwrap_or_else(|| panic!("step without boolean args.{name}: {step}"))
}

pub fn expect(step: &Value) -> &Value {
    static EMPTY: Value = Value::Null;
    step.get("expect").unwrap_or(&EMPTY)
}

/// Compares the `expect` fields of `step` that are present with `actual`.
pub fn check_u64(step: &Value, index: usize, name: &str, actual: u64) {
    if let Some(want) = expect(step).get(name) {
        assert_eq!(actual, num(want), "step {index} ({step}): {name}");
    }
}

pub fn check_str(step: &Value, index: usize, name: &str, actual: &str) {
    if let Some(want) = expect(step).get(name) {
        assert_eq!(Some(actual), want.as_str(), "step {index} ({step}): {name}");
    }
}

pub fn check_decision(step: &Value, index: usize, d: &weir_core::Decision) {
    check_str(step, index, "reason", d.reason.as_str());
    check_u64(step, index, "retry_after", d.retry_after);
    check_u64(step, index, "remaining", d.remaining);
    check_u64(step, index, "reset_after", d.reset_after);
}
