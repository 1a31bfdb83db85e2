//! Keys a caller crafts offline to fill a victim's keyed-table set work
//! against the unseeded hash, and stop working once the table is seeded with
//! a secret the caller does not know.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use weir_core::hash::{hash_key, hash_key_seeded, HashSeed};
use weir_core::limiter::{set_index, WAYS};

const SETS: usize = 128;

/// The first `WAYS` candidate keys that land in `target`'s set under `hash`:
/// what an attacker who can compute the placement searches for.
fn crafted(hash: impl Fn(&[u8]) -> u64, target: usize) -> Vec<String> {
    (0u32..)
        .map(|i| format!("attacker-{i}"))
        .filter(|k| set_index(hash(k.as_bytes()), SETS) == target)
        .take(WAYS)
        .collect()
}

#[test]
fn keys_crafted_offline_fill_the_unseeded_set() {
    let victim = set_index(hash_key(b"tenant-7"), SETS);
    let keys = crafted(hash_key, victim);
    assert_eq!(keys.len(), WAYS);
    assert!(keys.iter().all(|k| set_index(hash_key(k.as_bytes()), SETS) == victim));
}

#[test]
fn keys_crafted_for_one_seed_scatter_under_another() {
    let known = HashSeed::from_secret(b"a seed the attacker learned");
    let secret = HashSeed::from_secret(b"the deployment's own secret");
    // Even an attacker who could compute placement under one seed (here:
    // knows `known`) has keys that scatter under the deployment's seed.
    for victim_key in ["tenant-7", "10.0.0.1", "/api/orders", "user:42"] {
        let victim_known = set_index(hash_key_seeded(&known, victim_key.as_bytes()), SETS);
        let keys = crafted(|b| hash_key_seeded(&known, b), victim_known);
        assert_eq!(keys.len(), WAYS);
        let victim_secret = set_index(hash_key_seeded(&secret, victim_key.as_bytes()), SETS);
        let still_aimed =
            keys.iter().filter(|k| set_index(hash_key_seeded(&secret, k.as_bytes()), SETS) == victim_secret).count();
        // By chance each lands there with p = 1/128; eight of eight is what
        // the attack needs, and two already happens with p < 0.003.
        assert!(still_aimed <= 1, "{victim_key}: {still_aimed} of {WAYS} crafted keys still share the set");
    }
}

#[test]
fn seeds_differ_by_every_byte_of_the_secret() {
    let a = HashSeed::from_secret(b"secret-a");
    let b = HashSeed::from_secret(b"secret-b");
    assert_ne!(a.halves(), b.halves());
    assert_ne!(hash_key_seeded(&a, b"k"), hash_key_seeded(&b, b"k"));
    assert_ne!(hash_key_seeded(&a, b"k"), hash_key(b"k"));
}
