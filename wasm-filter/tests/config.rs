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
    assert_eq!(host.shared_keys().len(), 8);
}
