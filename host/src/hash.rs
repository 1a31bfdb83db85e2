/// The key hashes of weir-core, re-exported for hosts: unseeded, and
/// seeded with a deployment's secret (see `weir_core::hash`).
pub use weir_core::hash::{hash_key, hash_key_seeded, HashSeed};

/// [`hash_key`] of a string's UTF-8 bytes.
#[inline]
pub fn hash_str(key: &str) -> u64 {
    hash_key(key.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_hash_as_their_bytes() {
        assert_eq!(hash_str("tenant-7"), 0xd410_a48a_2f93_679a);
    }
}
