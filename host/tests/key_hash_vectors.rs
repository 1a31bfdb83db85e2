//! Replays `host/tests/vectors/key-hash.json`: the seeded and unseeded key
//! hashes every runtime must agree on.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use weir_host::{hash_key, hash_key_seeded, HashSeed};

fn u64_of(v: &Value) -> u64 {
    v.as_str().and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("not a decimal string: {v}"))
}

#[test]
fn key_hash_vectors() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/key-hash.json");
    let file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = file["cases"].as_array().unwrap();
    assert!(cases.len() >= 18);
    for case in cases {
        let secret = case["secret"].as_str().unwrap();
        let key = case["key"].as_str().unwrap().as_bytes();
        let seed = HashSeed::from_secret(secret.as_bytes());
        assert_eq!(seed.halves(), (u64_of(&case["seed"][0]), u64_of(&case["seed"][1])), "seed of {secret:?}");
        assert_eq!(hash_key_seeded(&seed, key), u64_of(&case["seeded"]), "{case}");
        assert_eq!(hash_key(key), u64_of(&case["unseeded"]), "{case}");
    }
}
