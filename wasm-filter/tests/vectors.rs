//! The core conformance vectors for the limiter, replayed as HTTP requests
//! through the filter: the decision a client sees must be core's, exactly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

mod common;

use common::plugin;
use serde_json::Value;
use std::path::PathBuf;
use weir_proxy_wasm_testhost::{Host, Request, Upstream};

fn vectors(primitive: &str) -> Vec<(String, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../core/tests/vectors");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            if v["primitive"] == primitive {
                out.push((path.file_name().unwrap().to_string_lossy().into_owned(), v));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Integers above 2^53 are written as strings.
fn int(v: &Value) -> u64 {
    match v {
        Value::String(s) => s.parse().unwrap(),
        other => other.as_u64().unwrap(),
    }
}

/// The vector's config as a filter rule; cost comes per request from a
/// header, and for keyed vectors the numeric key from a raw-key header.
fn filter_config(config: &Value) -> String {
    let mut limit = serde_json::Map::new();
    if let Some(capacity) = config.get("capacity") {
        limit.insert("max_keys".into(), capacity.clone());
        limit.insert("key".into(), serde_json::json!({"debug_raw_header": "x-key"}));
    }
    limit.insert("rate".into(), config["rate"].clone());
    limit.insert("per".into(), Value::String(format!("{}ns", int(&config["period_ns"]))));
    limit.insert("burst".into(), config["burst"].clone());
    limit.insert("cost_header".into(), Value::String("x-cost".into()));
    let rule = serde_json::json!({"name": "v", "debug_headers": true, "limit": limit});
    serde_json::json!({"rules": [rule]}).to_string()
}

/// Entries of a keyed rule's sets whose bucket is not full at `now`, read
/// from shared data: the vectors' `live`.
fn live(host: &Host, now: u64) -> u64 {
    let mut n = 0;
    for key in host.shared_keys().iter().filter(|k| k.starts_with("weir.limit.v.k")) {
        let (bytes, _) = host.shared_data(key).unwrap();
        for entry in bytes.chunks_exact(16) {
            let tat = u64::from_le_bytes(entry[8..16].try_into().unwrap());
            n += u64::from(tat > now);
        }
    }
    n
}

#[test]
fn limiter_vectors_replay_through_http() {
    replay("limiter", 5, 20);
}

#[test]
fn keyed_limiter_vectors_replay_through_http() {
    replay("keyed_limiter", 10, 40);
}

fn replay(primitive: &str, min_files: usize, min_steps: usize) {
    let all = vectors(primitive);
    assert!(all.len() >= min_files, "{primitive} vectors found: {}", all.len());
    let mut steps = 0;
    for (name, v) in &all {
        let host = Host::new();
        host.set_time(0);
        let mut vm = host.instantiate(plugin()).unwrap();
        let configured = vm.configure(filter_config(&v["config"]).as_bytes()).unwrap();
        if let Some(err) = v.get("expect_config_error") {
            assert!(!configured, "{name}: accepted a config core refuses");
            let field = match err["field"].as_str().unwrap() {
                "period_ns" => "per".to_string(),
                "capacity" => "max_keys".to_string(),
                f => f.to_string(),
            };
            assert!(host.logged(4, &format!("limit.{field}")), "{name}: {:?}", host.logs());
            continue;
        }
        assert!(configured, "{name}: {:?}", host.logs());
        // A rate or burst changed while the limiter serves (`set_rate`,
        // `set_burst`) has no equivalent in the filter, whose limits change
        // by a new configuration; those vectors are the bindings' to replay.
        let changes_rate = |s: &Value| s["op"].as_str().is_some_and(|op| op.starts_with("set_"));
        if v["steps"].as_array().unwrap().iter().any(changes_rate) {
            continue;
        }
        for (i, step) in v["steps"].as_array().unwrap().iter().enumerate() {
            assert_eq!(step["op"], "acquire", "{name}");
            host.set_time(int(&step["at"]));
            let cost = int(&step["args"]["cost"]);
            let mut req = Request::get("/").header("x-cost", &cost.to_string());
            if let Some(key) = step["args"].get("key") {
                req = req.header("x-key", &int(key).to_string());
            }
            let out = vm.http(&req, &Upstream::ok()).unwrap();
            let expect = &step["expect"];
            let reason = out.header("x-weir-reason").unwrap_or("missing").to_string();
            let ctx = format!("{name} step {i}: {out:?}");
            if let Some(r) = expect.get("reason") {
                assert_eq!(reason, r.as_str().unwrap(), "{ctx}");
                assert_eq!(out.status == 200, reason == "admitted", "{ctx}");
            }
            for (field, header) in [
                ("retry_after", "x-weir-retry-after-ns"),
                ("remaining", "x-weir-remaining"),
                ("reset_after", "x-weir-reset-after-ns"),
            ] {
                if let Some(want) = expect.get(field) {
                    assert_eq!(out.header(header).map(|h| h.parse::<u64>().unwrap()), Some(int(want)), "{ctx} {field}");
                }
            }
            if let Some(want) = expect.get("live") {
                assert_eq!(live(&host, host.time()), int(want), "{ctx} live");
            }
            steps += 1;
        }
    }
    assert!(steps >= min_steps, "replayed {steps} {primitive} steps");
}
