/// A stable 64-bit hash of a key (FNV-1a, then a final avalanche so nearby
/// keys spread over a keyed table). Stable across runtimes, processes and
/// releases: the Envoy filter, Python, Node and Go all key the same way.
#[inline]
pub fn hash_key(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    // splitmix64 finaliser
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// [`hash_key`] of a string's UTF-8 bytes.
#[inline]
pub fn hash_str(key: &str) -> u64 {
    hash_key(key.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_stable() {
        // Pinned: hosts in other languages rely on these exact values.
        assert_eq!(hash_str(""), 0xf52a_15e9_a9b5_e89b);
        assert_eq!(hash_str("a"), 0x02c0_bdbf_4814_20f8);
        assert_eq!(hash_str("tenant-7"), 0xd410_a48a_2f93_679a);
        assert_eq!(hash_key(b"10.0.0.1"), 0x7fb1_b600_f0f5_c6d3);
    }
}
