//! The policy vectors (`policy/tests/vectors`), replayed as HTTP through
//! the filter in the test host with its clock set per step: Envoy must
//! reach the verdicts the process host and every binding reach.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

mod common;

use common::plugin;
use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use weir_proxy_wasm_testhost::{Host, Outcome, Request, Stream, Upstream, Vm};

fn vectors() -> Vec<(String, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../policy/tests/vectors");
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

fn request(r: &Value) -> Request {
    let s = |f: &str| r.get(f).and_then(Value::as_str);
    let mut req = Request::new(s("method").unwrap_or("GET"), s("path").unwrap_or("/"));
    for (k, v) in r.get("headers").and_then(Value::as_object).into_iter().flatten() {
        req = req.header(k, &text(v));
    }
    if let Some(addr) = s("client_address") {
        req = req.from_address(addr);
    }
    assert!(r.get("key").is_none(), "a proxy has no caller key: list the vector's hosts as [\"process\"]");
    req
}

fn upstream(r: &Value) -> Upstream {
    let mut u = Upstream::status(r.get("status").and_then(Value::as_u64).unwrap_or(200) as u32);
    if let Some(g) = r.get("grpc_status") {
        u = u.header("grpc-status", &text(g));
    }
    if let Some(c) = r.get("cpu") {
        u = u.header("x-weir-cpu", &text(c));
    }
    u
}

/// The body names the reason and the rule: `weir: <reason> by rule "<rule>"`;
/// a rule's `fallback` answer has its own body, and names them in headers.
fn reason_and_rule(out: &Outcome) -> (String, String) {
    if let (Some(reason), Some(rule)) = (out.header("x-weir-fallback"), out.header("x-weir-rule")) {
        return (reason.to_owned(), rule.to_owned());
    }
    let body = String::from_utf8_lossy(&out.body).into_owned();
    let rest = body.trim_end().strip_prefix("weir: ").unwrap_or_else(|| panic!("not weir's answer: {body:?}"));
    let (reason, rule) = rest.split_once(" by rule ").unwrap();
    (reason.to_owned(), rule.trim_matches('"').to_owned())
}

/// A local answer: its status, reason, rule and headers.
fn expect_answer(expect: &Value, out: &Outcome, ctx: &str) {
    assert_eq!(u64::from(out.status), expect["status"].as_u64().unwrap(), "{ctx}: {out:?}");
    let (reason, rule) = reason_and_rule(out);
    for (field, got) in [("reason", &reason), ("rule", &rule)] {
        if let Some(want) = expect.get(field) {
            assert_eq!(got, want.as_str().unwrap(), "{ctx}: {field}");
        }
    }
    if let Some(body) = expect.get("body").and_then(Value::as_str) {
        assert_eq!(String::from_utf8_lossy(&out.body), body, "{ctx}: body");
    }
    expect_headers(expect, out, ctx);
}

/// The headers the client saw (an admitted request's: after the response passed the filter).
fn expect_headers(expect: &Value, out: &Outcome, ctx: &str) {
    for (name, want) in expect.get("headers").and_then(Value::as_object).into_iter().flatten() {
        assert_eq!(out.header(name), Some(text(want).as_str()), "{ctx}: header {name}: {:?}", out.headers);
    }
}

fn expect_upstream(expect: &Value, stream: &Stream, ctx: &str) {
    let out = stream.outcome();
    for (name, want) in expect.get("request_headers").and_then(Value::as_object).into_iter().flatten() {
        assert_eq!(out.upstream_header(name), Some(text(want).as_str()), "{ctx}: request header {name}");
    }
    if let Some(want) = expect.get("upstream") {
        assert_eq!(out.upstream_header("x-weir-cluster"), want.as_str(), "{ctx}: upstream");
    }
}

fn replay(name: &str, v: &Value) {
    let host = Host::new();
    host.set_time(0);
    let mut vm: Vm = host.instantiate(plugin()).unwrap();
    assert!(vm.configure(v["policy"].to_string().as_bytes()).unwrap(), "{name}: {:?}", host.logs());
    let mut held: HashMap<String, (Stream, Value)> = HashMap::new();
    for (i, step) in v["steps"].as_array().unwrap().iter().enumerate() {
        let ctx = format!("{name} step {i}");
        host.set_time(step["at"].as_u64().unwrap());
        match step["op"].as_str().unwrap() {
            "check" => {
                let stream = vm.begin(&request(&step["request"])).unwrap();
                let expect = step["expect"].clone();
                if stream.answered() {
                    expect_answer(&expect, stream.outcome(), &ctx);
                    vm.finish(stream, &Upstream::ok()).unwrap();
                    continue;
                }
                assert_eq!(expect["status"], 200, "{ctx}: admitted, expected {expect}");
                expect_upstream(&expect, &stream, &ctx);
                match (step.get("respond"), step.get("id").and_then(Value::as_str)) {
                    (None, Some(id)) => {
                        held.insert(id.to_owned(), (stream, expect));
                    }
                    (respond, _) => {
                        let respond = respond.cloned().unwrap_or(Value::Null);
                        host.advance(respond.get("latency").and_then(Value::as_u64).unwrap_or(0));
                        let out = vm.finish(stream, &upstream(&respond)).unwrap();
                        expect_headers(&expect, &out, &ctx);
                    }
                }
            }
            "respond" => {
                let (stream, expect) = held.remove(step["id"].as_str().unwrap()).unwrap();
                let out = vm.finish(stream, &upstream(step)).unwrap();
                expect_headers(&expect, &out, &ctx);
            }
            "reset" => {
                let (stream, _) = held.remove(step["id"].as_str().unwrap()).unwrap();
                vm.reset(stream).unwrap();
            }
            op => panic!("{ctx}: unknown op {op}"),
        }
    }
    vm.tick().unwrap();
    for (counter, want) in v["counters"].as_object().into_iter().flatten() {
        assert_eq!(host.counter(counter), want.as_i64(), "{name}: counter {counter}");
    }
}

#[test]
fn policy_vectors_replay_through_the_filter() {
    let all = vectors();
    let mut replayed = 0;
    for (name, v) in &all {
        let hosts = v.get("hosts").and_then(Value::as_array);
        if hosts.is_some_and(|h| !h.iter().any(|x| x == "proxy")) {
            continue;
        }
        replay(name, v);
        replayed += 1;
    }
    assert!(replayed >= 5, "vectors replayed: {replayed} of {}", all.len());
}
