//! The policy vectors (`tests/vectors/*.json`, format in its README)
//! replayed through the process host, as every binding replays them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use weir_policy::process::{Outcome, ProcessPolicy, RequestView, Ticket};

fn vectors() -> Vec<(String, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let mut out: Vec<(String, Value)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            (p.file_name().unwrap().to_string_lossy().into_owned(), v)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn outcome(r: &Value) -> Outcome {
    Outcome {
        status: r.get("status").and_then(Value::as_u64).map(|s| s as u32),
        grpc_status: r.get("grpc_status").and_then(Value::as_u64).map(|s| s as u32),
        latency_ns: r.get("latency").and_then(Value::as_u64),
        cpu: r.get("cpu").and_then(Value::as_u64),
    }
}

fn check(policy: &ProcessPolicy, step: &Value, ctx: &str) -> Option<Ticket> {
    let r = &step["request"];
    let s = |f: &str| r.get(f).and_then(Value::as_str).map(|s| s.as_bytes());
    let headers: Vec<(Vec<u8>, Vec<u8>)> = r
        .get("headers")
        .and_then(Value::as_object)
        .map(|h| h.iter().map(|(k, v)| (k.as_bytes().to_vec(), text(v).into_bytes())).collect())
        .unwrap_or_default();
    let pairs: Vec<(&[u8], &[u8])> = headers.iter().map(|(k, v)| (k.as_slice(), v.as_slice())).collect();
    let view = RequestView {
        method: s("method").unwrap_or(b"GET"),
        path: s("path").unwrap_or(b"/"),
        headers: &pairs,
        client_address: s("client_address"),
        key: s("key"),
    };
    let verdict = policy.check_at(&view, step["at"].as_u64().unwrap());
    let expect = &step["expect"];
    let status = verdict.refusal.as_ref().map_or(200, |a| a.status);
    assert_eq!(u64::from(status), expect["status"].as_u64().unwrap(), "{ctx}: {verdict:?}");
    let headers: Vec<(String, String)> = match &verdict.refusal {
        Some(a) => {
            for (field, got) in [("reason", a.reason), ("rule", a.rule.as_str())] {
                if let Some(want) = expect.get(field) {
                    assert_eq!(got, want.as_str().unwrap(), "{ctx}: {field}");
                }
            }
            let body = expect
                .get("body")
                .and_then(Value::as_str)
                .map_or_else(|| format!("weir: {} by rule \"{}\"\n", a.reason, a.rule), str::to_owned);
            assert_eq!(a.body, body, "{ctx}: body");
            a.headers.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
        }
        None => verdict.response_headers.clone(),
    };
    for (set, field) in [(&headers, "headers"), (&verdict.request_headers, "request_headers")] {
        for (name, want) in expect.get(field).and_then(Value::as_object).into_iter().flatten() {
            let got = set.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
            assert_eq!(got, Some(text(want).as_str()), "{ctx}: {field} {name}: {set:?}");
        }
    }
    if let Some(want) = expect.get("upstream") {
        assert_eq!(verdict.upstream.as_deref(), want.as_str(), "{ctx}: upstream");
    }
    verdict.ticket
}

#[test]
fn policy_vectors_replay_through_the_process_host() {
    let all = vectors();
    assert!(all.len() >= 6, "vectors found: {}", all.len());
    assert!(all.iter().any(|(n, _)| n == "refusal-teaches-nothing.json"));
    for (name, v) in &all {
        assert_eq!(v["kind"], "policy", "{name}");
        let policy =
            ProcessPolicy::from_json_at(&v["policy"].to_string(), 0, 1).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut held: HashMap<String, Ticket> = HashMap::new();
        for (i, step) in v["steps"].as_array().unwrap().iter().enumerate() {
            let ctx = format!("{name} step {i}");
            let at = step["at"].as_u64().unwrap();
            match step["op"].as_str().unwrap() {
                "check" => {
                    let ticket = check(&policy, step, &ctx);
                    match (ticket, step.get("respond"), step.get("id").and_then(Value::as_str)) {
                        (Some(t), Some(r), _) => t.report_at(&outcome(r), || at),
                        (Some(t), None, Some(id)) => {
                            held.insert(id.to_owned(), t);
                        }
                        _ => {}
                    }
                }
                "respond" => {
                    let t = held.remove(step["id"].as_str().unwrap()).unwrap_or_else(|| panic!("{ctx}: no such id"));
                    t.report_at(&outcome(step), || at);
                }
                "reset" => {
                    let t = held.remove(step["id"].as_str().unwrap()).unwrap_or_else(|| panic!("{ctx}: no such id"));
                    t.report_at(&Outcome::default(), || at);
                }
                op => panic!("{ctx}: unknown op {op}"),
            }
        }
        let counters = policy.counters();
        for (counter, want) in v["counters"].as_object().into_iter().flatten() {
            let got = counters.iter().find(|(n, _)| n == counter).map(|(_, c)| *c);
            assert_eq!(got, want.as_u64(), "{name}: counter {counter}");
        }
    }
}
