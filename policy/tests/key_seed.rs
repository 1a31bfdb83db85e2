//! A policy's `seed`: keys crafted offline for a seed the client can
//! compute fill a victim's set of a keyed limit; under a secret seed, or the
//! random one a policy without `seed` gets, they scatter.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use weir_core::hash::{hash_key, hash_key_seeded, HashSeed};
use weir_core::limiter::{set_index, WAYS};
use weir_policy::config;
use weir_policy::process::{ProcessPolicy, RequestView};

const SETS: usize = 1024 / WAYS;

/// 1 per hour, bursts of 1, 1024 caller keys (128 sets of 8).
fn policy(seed: Option<&str>) -> ProcessPolicy {
    let seed = seed.map(|s| format!(r#""seed": "{s}", "#)).unwrap_or_default();
    let json = format!(
        r#"{{{seed}"rules": [{{"name": "u", "limit": {{"rate": 1, "per": "1h", "key": "caller", "max_keys": 1024}}}}]}}"#
    );
    ProcessPolicy::from_json_at(&json, 0, 7).unwrap_or_else(|e| panic!("{e}"))
}

fn crafted(hash: impl Fn(&[u8]) -> u64, victim: &str) -> Vec<String> {
    let target = set_index(hash(victim.as_bytes()), SETS);
    (0u32..)
        .map(|i| format!("attacker-{i}"))
        .filter(|k| set_index(hash(k.as_bytes()), SETS) == target)
        .take(WAYS)
        .collect()
}

/// Each crafted key spends its token, then the victim asks: the reason of its refusal, if any.
fn victim_after(p: &ProcessPolicy, keys: &[String]) -> Option<&'static str> {
    let ask = |key: &str| {
        let req = RequestView { method: b"GET", path: b"/", key: Some(key.as_bytes()), ..RequestView::default() };
        p.check_at(&req, 0).refusal.map(|r| r.reason)
    };
    for k in keys {
        assert_eq!(ask(k), None, "{k}");
    }
    ask("tenant-7")
}

#[test]
fn keys_crafted_for_a_known_seed_fill_the_victims_set() {
    let known = "a seed checked into a public repository";
    let seed = HashSeed::from_secret(known.as_bytes());
    let keys = crafted(|b| hash_key_seeded(&seed, b), "tenant-7");
    assert_eq!(victim_after(&policy(Some(known)), &keys), Some("table_full"));
}

#[test]
fn keys_crafted_against_the_unseeded_hash_scatter_under_a_secret_or_random_seed() {
    let keys = crafted(hash_key, "tenant-7");
    assert_eq!(victim_after(&policy(Some("the deployment's own secret")), &keys), None);
    assert_eq!(victim_after(&policy(None), &keys), None);
}

#[test]
fn the_seed_is_a_non_empty_string_and_never_shown() {
    let rules = r#""rules": [{"name": "u", "limit": {"rate": 1}}]"#;
    let parsed = config::parse(format!(r#"{{"seed": "s3cret", {rules}}}"#).as_bytes()).unwrap();
    assert_eq!(parsed.seed, Some(HashSeed::from_secret(b"s3cret")));
    assert!(!format!("{parsed:?}").contains("s3cret"));
    assert_eq!(config::parse(format!("{{{rules}}}").as_bytes()).unwrap().seed, None);
    for bad in [r#""""#, "7", "null", r#"["s3cret"]"#] {
        let e = config::parse(format!(r#"{{"seed": {bad}, {rules}}}"#).as_bytes()).unwrap_err();
        assert_eq!(e.field, "seed");
        assert!(e.message.starts_with("must be a non-empty string (a secret), got "), "{e}");
        assert!(!e.to_string().contains("s3cret"), "{e}");
    }
}
