//! The one key hash every host uses, so a key lands in the same keyed-table
//! set in the Envoy filter, C, Go, Python and Node.

/// A stable 64-bit hash of a key: FNV-1a, then the splitmix64 finaliser so
/// that nearby keys spread over a table. Stable across runtimes, processes
/// and releases (pinned by tests).
#[inline]
pub fn hash_key(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

#[cfg(test)]
mod tests {
    use super::hash_key;

    #[test]
    fn is_pinned() {
        // Hosts in other languages and stored shared state rely on these.
        assert_eq!(hash_key(b""), 0xf52a_15e9_a9b5_e89b);
        assert_eq!(hash_key(b"a"), 0x02c0_bdbf_4814_20f8);
        assert_eq!(hash_key(b"tenant-7"), 0xd410_a48a_2f93_679a);
        assert_eq!(hash_key(b"10.0.0.1"), 0x7fb1_b600_f0f5_c6d3);
    }
}
