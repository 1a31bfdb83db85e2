//! `examples/policy.json` is the document every runtime loads unchanged and
//! the one `examples/envoy/envoy.yaml` embeds: both must stay valid and equal.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::path::PathBuf;
use weir_policy::process::{ProcessPolicy, RequestView};

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

/// The block under `value: |` in the Envoy example, dedented.
fn embedded() -> String {
    let yaml = std::fs::read_to_string(examples().join("envoy/envoy.yaml")).unwrap();
    let mut lines = yaml.lines().skip_while(|l| l.trim() != "value: |").skip(1);
    let first = lines.next().unwrap();
    let indent = first.len() - first.trim_start().len();
    let mut doc = String::from(&first[indent..]);
    for line in lines.take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() >= indent) {
        doc.push('\n');
        doc.push_str(line.get(indent..).unwrap_or(""));
    }
    doc
}

#[test]
fn the_example_policy_loads_and_is_what_envoy_embeds() {
    let file = std::fs::read_to_string(examples().join("policy.json")).unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&file).unwrap();
    let in_envoy: serde_json::Value = serde_json::from_str(&embedded()).unwrap();
    assert_eq!(parsed, in_envoy, "examples/envoy/envoy.yaml embeds examples/policy.json");
    let policy = ProcessPolicy::from_json_at(&file, 0, 1).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(policy.rules(), ["per_client", "export", "per_user", "service"]);
    let headers = [(&b"x-tenant"[..], &b"acme"[..])];
    let req = RequestView {
        method: b"GET",
        path: b"/api/items",
        headers: &headers,
        client_address: Some(b"10.0.0.1:5000"),
        key: Some(b"alice"),
    };
    let admitted = (0..12).take_while(|_| policy.check_at(&req, 0).admitted()).count();
    assert_eq!(admitted, 10, "per_user allows alice of acme 10 a second");
    let refused = policy.check_at(&req, 0).refusal.unwrap();
    assert_eq!((refused.status, refused.rule.as_str()), (429, "per_user"));
}
