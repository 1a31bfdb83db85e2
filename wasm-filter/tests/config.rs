//! Every bad configuration is refused with one log line naming the rule and the field.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

mod common;

use common::plugin;
use weir_proxy_wasm_testhost::Host;

/// Configures a fresh VM with `config`; returns the error log lines if refused.
fn refused(config: &str) -> Vec<String> {
    let host = Host::new();
    let mut vm = host.instantiate(plugin()).unwrap();
    let ok = vm.configure(config.as_bytes()).unwrap();
    assert!(!ok, "accepted: {config}");
    assert!(!vm.is_dead());
    host.logs().into_iter().filter(|l| l.level >= 4).map(|l| l.message).collect()
}

fn assert_refused(config: &str, needles: &[&str]) {
    let lines = refused(config);
    let line = lines.iter().find(|l| l.contains("configuration refused"));
    let Some(line) = line else { panic!("no refusal logged for {config}: {lines:?}") };
    for needle in needles {
        assert!(line.contains(needle), "{line:?} lacks {needle:?}");
    }
}

fn rule(body: &str) -> String {
    format!(r#"{{"rules": [{{"name": "api", {body}}}]}}"#)
}

#[test]
fn names_the_rule_and_field_of_every_bad_limit_field() {
    let cases: &[(&str, &[&str])] = &[
        (r#""limit": {"rate": 0}"#, &["rule #1 \"api\"", "limit.rate", "got 0"]),
        (r#""limit": {"rate": "ten"}"#, &["limit.rate", "\"ten\""]),
        (r#""limit": {"rate": 5, "burst": 0}"#, &["limit.burst", "got 0"]),
        (r#""limit": {"rate": 5, "per": "0s"}"#, &["limit.per"]),
        (r#""limit": {"rate": 5, "per": "1 fortnight"}"#, &["limit.per", "1 fortnight"]),
        (r#""limit": {"rate": 2000000000, "per": "1s"}"#, &["limit.rate", "period"]),
        (r#""limit": {"rate": 1, "per": "1h", "burst": 18446744073709551615}"#, &["limit.burst"]),
        (r#""limit": {"rate": 5, "cost": 6}"#, &["limit.cost", "got 6"]),
        (r#""limit": {"rate": 5, "key": "tenant"}"#, &["limit.key", "\"tenant\""]),
        (r#""limit": {"rate": 5, "key": {"header": ""}}"#, &["limit.key.header"]),
        (r#""limit": {"rate": 5, "key": "path", "max_keys": 12}"#, &["limit.max_keys", "multiple of 8"]),
        (r#""limit": {"rate": 5, "status": 99}"#, &["limit.status", "99"]),
        (r#""limit": {"rate": 5, "rte": 5}"#, &["limit.rte", "not a known field"]),
        (r#""limit": {"rate": 5}, "mode": "loud""#, &["mode", "\"loud\""]),
        (r#""limit": {"rate": 5}, "on_state_error": 1"#, &["on_state_error"]),
        (r#""limit": {"rate": 5}, "match": {"path_exact": "/a", "path_prefix": "/b"}"#, &["match.path_prefix"]),
        (r#""limit": {"rate": 5}, "match": {"headers": [{"equals": "x"}]}"#, &["match.headers[0].name"]),
        (r#""limit": {"rate": 5}, "match": {"method": 3}"#, &["match.method"]),
        (r#""mode": "shadow""#, &["rule #1 \"api\"", "limit", "must be present"]),
    ];
    for (body, needles) in cases {
        assert_refused(&rule(body), needles);
    }
}

#[test]
fn names_the_rule_and_field_of_every_bad_shed_throttle_pick_deadline_field() {
    let cases: &[(&str, &[&str])] = &[
        (r#""shed": {"cpu_threshold": 0}"#, &["rule #1 \"api\"", "shed.cpu_threshold", "got 0"]),
        (r#""shed": {"cpu_threshold": 1001}"#, &["shed.cpu_threshold", "1001"]),
        (r#""shed": {"cpu_decay": 1}"#, &["shed.cpu_decay"]),
        (r#""shed": {"window": "10s", "buckets": 3}"#, &["shed.window", "multiple of buckets"]),
        (r#""shed": {"buckets": 0}"#, &["shed.buckets"]),
        (r#""shed": {"buckets": 129}"#, &["shed.buckets"]),
        (r#""shed": {"window": "soon"}"#, &["shed.window", "\"soon\""]),
        (r#""shed": {"cool_off": 5}"#, &["shed.cool_off"]),
        (r#""shed": {"max_in_flight": -1}"#, &["shed.max_in_flight"]),
        (r#""shed": {"cpu_header": "x:cpu"}"#, &["shed.cpu_header"]),
        (r#""shed": {"status": 700}"#, &["shed.status", "700"]),
        (r#""shed": {"cpu": 5}"#, &["shed.cpu", "not a known field"]),
        (r#""shed": 1"#, &["shed", "must be an object"]),
        (r#""throttle": {"k": 0.5}"#, &["throttle.k", "0.5"]),
        (r#""throttle": {"max_reject_probability": 1.5}"#, &["throttle.max_reject_probability"]),
        (r#""throttle": {"window": "1ms", "buckets": 2}"#, &["throttle.window"]),
        (r#""throttle": {"min_requests": "many"}"#, &["throttle.min_requests"]),
        (r#""throttle": {"failures": []}"#, &["throttle.failures", "non-empty"]),
        (r#""throttle": {"failures": [503, "6xx"]}"#, &["throttle.failures[1]", "\"6xx\""]),
        (r#""throttle": {"failures": [99]}"#, &["throttle.failures[0]", "99"]),
        (r#""throttle": {"status": 100}"#, &["throttle.status"]),
        (r#""throttle": {"K": 2}"#, &["throttle.K", "not a known field"]),
        (r#""pick": {}"#, &["pick.clusters", "must be a list"]),
        (r#""pick": {"clusters": []}"#, &["pick.clusters"]),
        (r#""pick": {"clusters": ["a", "a"]}"#, &["pick.clusters[1]", "unique"]),
        (r#""pick": {"clusters": ["a", 3]}"#, &["pick.clusters[1]"]),
        (r#""pick": {"clusters": ["a"], "header": ""}"#, &["pick.header"]),
        (r#""pick": {"clusters": ["a"], "tau": "0s"}"#, &["pick.tau"]),
        (r#""pick": {"clusters": ["a"], "success_floor": 2}"#, &["pick.success_floor"]),
        (r#""pick": {"clusters": ["a"], "cpu_ceiling": 1001}"#, &["pick.cpu_ceiling"]),
        (r#""pick": {"clusters": ["a"], "failures": ["5x"]}"#, &["pick.failures[0]"]),
        (r#""deadline": {"timeout": "0ms"}"#, &["deadline.timeout"]),
        (r#""deadline": {"timeout": "1s", "margin": "1s"}"#, &["deadline.margin", "< timeout_ns"]),
        (r#""deadline": {"grpc_timeout": "sometimes"}"#, &["deadline.grpc_timeout", "\"sometimes\""]),
        (r#""deadline": {"envoy_timeout": "yes"}"#, &["deadline.envoy_timeout"]),
        (r#""deadline": {"status": "504"}"#, &["deadline.status"]),
        (r#""limit": {"rate": 5, "key": {"debug_raw_header": 7}}"#, &["limit.key.debug_raw_header"]),
        (r#""limit": {"rate": 5, "lease": 6}"#, &["limit.lease", "got 6"]),
        (r#""limit": {"rate": 5, "lease": 0}"#, &["limit.lease", "got 0"]),
        (r#""limit": {"rate": 5, "lease": 2, "key": "path"}"#, &["limit.lease", "keyed"]),
        (r#""limit": {"rate": 5, "lease": 2, "lease_ttl": "1ms"}"#, &["limit.lease_ttl", "\"1ms\""]),
    ];
    for (body, needles) in cases {
        assert_refused(&rule(body), needles);
    }
}

#[test]
fn names_bad_top_level_settings() {
    let ok = r#""rules": [{"name": "a", "limit": {"rate": 1}}]"#;
    assert_refused(&format!(r#"{{{ok}, "stats_flush": "0s"}}"#), &["stats_flush", "\"0s\""]);
    assert_refused(&format!(r#"{{{ok}, "stats_flush": "2m"}}"#), &["stats_flush"]);
    assert_refused(&format!(r#"{{{ok}, "debug": {{"trap": true}}}}"#), &["debug.trap", "not a known field"]);
    assert_refused(&format!(r#"{{{ok}, "debug": {{"trap_on_header": ""}}}}"#), &["debug.trap_on_header"]);
}

#[test]
fn names_bad_rule_names_and_top_level_fields() {
    assert_refused(r#"{"rules": [{"name": "a b", "limit": {"rate": 1}}]}"#, &["rule #1", "name", "\"a b\""]);
    assert_refused(r#"{"rules": [{"limit": {"rate": 1}}]}"#, &["rule #1", "name"]);
    assert_refused(
        r#"{"rules": [{"name": "a", "limit": {"rate": 1}}, {"name": "a", "limit": {"rate": 1}}]}"#,
        &["rule #2 \"a\"", "name", "unique"],
    );
    assert_refused(r#"{"rules": []}"#, &["rules", "got 0"]);
    assert_refused(r#"{"rule": []}"#, &["rule", "not a known field"]);
    assert_refused("not json", &["configuration", "JSON"]);
    assert_refused("", &["configuration"]);
}

#[test]
fn a_good_configuration_is_accepted_and_logged() {
    let host = Host::new();
    let mut vm = host.instantiate(plugin()).unwrap();
    let config =
        rule(r#""limit": {"rate": 100, "per": "1m", "burst": 20, "key": {"header": "x-user"}, "max_keys": 64}"#);
    assert_eq!(vm.configure(config.as_bytes()), Ok(true));
    assert!(host.logged(2, "configured 1 rule"));
    // The table's 8 sets, and the key seed this first VM chose for all.
    let keys = host.shared_keys();
    assert_eq!(keys.iter().filter(|k| k.starts_with("weir.limit.api.k")).count(), 8);
    assert_eq!(keys.len(), 9, "{keys:?}");
    assert!(keys.iter().any(|k| k == weir_policy::key_seed::SHARED_DATA_KEY), "{keys:?}");
}

#[test]
fn every_action_together_is_accepted_and_defines_its_counters() {
    let host = Host::new();
    let mut vm = host.instantiate(plugin()).unwrap();
    let config = rule(
        r#""limit": {"rate": 100}, "shed": {}, "throttle": {}, "deadline": {"timeout": "1s"},
           "pick": {"clusters": ["a", "b"]}"#,
    );
    assert_eq!(vm.configure(config.as_bytes()), Ok(true), "{:?}", host.logs());
    let names: Vec<String> = host.metrics().into_iter().map(|(n, _)| n).collect();
    for n in [
        "admitted",
        "shed",
        "shed_passed",
        "throttled",
        "upstream_failures",
        "picked.a",
        "picked.b",
        "deadline_exceeded",
    ] {
        assert!(names.contains(&format!("weir.api.{n}")), "{n} missing from {names:?}");
    }
}
