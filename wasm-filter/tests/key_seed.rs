//! The key-hash seed through the real filter module: keys crafted offline
//! against a hash the client can compute fill a victim's set; under the
//! configured secret they do not. Without a configured seed, every worker
//! VM shares the one the first VM chose.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

mod common;

use common::{start, started};
use weir_core::hash::{hash_key, hash_key_seeded, HashSeed};
use weir_core::limiter::{set_index, WAYS};
use weir_proxy_wasm_testhost::{Host, Request, Upstream};

/// 1 per hour, bursts of 1, 1024 keys (128 sets of 8), keyed on `x-user`.
fn config(seed: Option<&str>) -> String {
    let seed = seed.map(|s| format!(r#""seed": "{s}", "#)).unwrap_or_default();
    format!(
        r#"{{{seed}"rules": [{{"name": "u", "debug_headers": true,
            "limit": {{"rate": 1, "per": "1h", "burst": 1, "key": "header:x-user", "max_keys": 1024}}}}]}}"#
    )
}

const SETS: usize = 1024 / WAYS;

/// The first `WAYS` candidates that land in `victim`'s set under `hash`.
fn crafted(hash: impl Fn(&[u8]) -> u64, victim: &str) -> Vec<String> {
    let target = set_index(hash(victim.as_bytes()), SETS);
    (0u32..)
        .map(|i| format!("attacker-{i}"))
        .filter(|k| set_index(hash(k.as_bytes()), SETS) == target)
        .take(WAYS)
        .collect()
}

/// Each crafted key spends its token, then the victim asks: its status and reason.
fn victim_after(seed: Option<&str>, keys: &[String]) -> (u32, Option<String>) {
    let (_host, mut vm) = start(&config(seed));
    let user = |u: &str| Request::get("/").header("x-user", u);
    for k in keys {
        assert_eq!(vm.http(&user(k), &Upstream::ok()).unwrap().status, 200, "{k}");
    }
    let out = vm.http(&user("tenant-7"), &Upstream::ok()).unwrap();
    (out.status, out.header("x-weir-reason").map(str::to_owned))
}

#[test]
fn keys_crafted_for_a_seed_the_client_knows_fill_the_victims_set() {
    let known = "a seed checked into a public repository";
    let seed = HashSeed::from_secret(known.as_bytes());
    let keys = crafted(|b| hash_key_seeded(&seed, b), "tenant-7");
    assert_eq!(victim_after(Some(known), &keys), (429, Some("table_full".to_owned())));
}

#[test]
fn keys_crafted_against_the_unseeded_hash_do_not_fill_a_set_under_a_seed() {
    let keys = crafted(hash_key, "tenant-7");
    // They would: all eight share the victim's set under the public hash.
    let victim = set_index(hash_key(b"tenant-7"), SETS);
    assert!(keys.iter().all(|k| set_index(hash_key(k.as_bytes()), SETS) == victim));
    assert_eq!(victim_after(Some("the deployment's own secret"), &keys).0, 200);
    // And with no seed configured, the filter's random one scatters them too.
    assert_eq!(victim_after(None, &keys).0, 200);
}

#[test]
fn without_a_seed_every_worker_places_a_key_in_the_same_set() {
    let host = Host::new();
    let mut workers: Vec<_> = (0..3).map(|_| started(&host, &config(None))).collect();
    let seeds = host.shared_keys().iter().filter(|k| k.as_str() == weir_policy::key_seed::SHARED_DATA_KEY).count();
    assert_eq!(seeds, 1, "one seed, written by the first worker, read by the others");
    let alice = || Request::get("/").header("x-user", "alice");
    assert_eq!(workers[0].http(&alice(), &Upstream::ok()).unwrap().status, 200);
    for vm in &mut workers[1..] {
        let out = vm.http(&alice(), &Upstream::ok()).unwrap();
        assert_eq!((out.status, out.header("x-weir-reason")), (429, Some("rate_limited")));
    }
    // A reconfigured worker keeps the seed, so alice's spent token stays spent.
    let mut reloaded = started(&host, &config(None));
    assert_eq!(reloaded.http(&alice(), &Upstream::ok()).unwrap().status, 429);
}

#[test]
fn a_seed_is_refused_by_name_without_repeating_it() {
    for bad in [r#""""#, "42", r#"{"secret": "x"}"#] {
        let host = Host::new();
        let mut vm = host.instantiate(common::plugin()).unwrap();
        let json = config(None).replacen('{', &format!(r#"{{"seed": {bad}, "#), 1);
        assert_eq!(vm.configure(json.as_bytes()), Ok(false), "{json}");
        let logs: Vec<String> = host.logs().into_iter().map(|l| l.message).collect();
        let line = logs.iter().find(|l| l.contains("configuration refused")).expect("a refusal is logged");
        assert!(line.contains("seed must be a non-empty string (a secret)"), "{line}");
        assert!(!line.contains("secret\": \"x"), "{line}");
    }
}
