//! Replays `host/tests/vectors/limiter-units.json`: user units -> the kernel
//! config, as every binding must build it.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use weir_core::limiter::Gcra;
use weir_host::units::limiter_config;

fn number(v: &Value) -> f64 {
    match v {
        Value::String(s) => match s.as_str() {
            "NaN" => f64::NAN,
            "inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            other => panic!("not a number: {other}"),
        },
        other => other.as_f64().unwrap_or_else(|| panic!("not a number: {other}")),
    }
}

#[test]
fn limiter_units_vectors() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/limiter-units.json");
    let file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = file["cases"].as_array().unwrap();
    assert!(cases.len() >= 20);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let burst = case.get("burst").map(number);
        let got = limiter_config(number(&case["rate"]), case["per_ns"].as_u64().unwrap(), burst);
        match (&case["config"], &case["error"]) {
            (Value::Object(want), _) => {
                let c = got.unwrap_or_else(|e| panic!("{name}: refused: {e}"));
                assert_eq!(c.rate, want["rate"].as_u64().unwrap(), "{name}: rate");
                assert_eq!(c.period_ns, want["period_ns"].as_u64().unwrap(), "{name}: period_ns");
                assert_eq!(c.burst, want["burst"].as_u64().unwrap(), "{name}: burst");
                let interval = Gcra::new(c).unwrap().interval();
                assert_eq!(interval, case["interval_ns"].as_u64().unwrap(), "{name}: interval");
            }
            (_, Value::Object(want)) => {
                let e = got.err().unwrap_or_else(|| panic!("{name}: accepted"));
                assert_eq!(e.field, want["field"].as_str().unwrap(), "{name}: field");
                assert_eq!(e.rule, want["rule"].as_str().unwrap(), "{name}: rule");
            }
            _ => panic!("{name}: neither config nor error"),
        }
    }
}
