//! The key hashes every host uses, so a key lands in the same keyed-table
//! set in the Envoy filter, C, Go, Python and Node.
//!
//! [`hash_key`] is unseeded: anyone can compute where a key lands, so a
//! caller who controls keys (a header, a path) can search offline for keys
//! that share a victim's set and keep it full. [`hash_key_seeded`] is
//! SipHash-2-4 under a 128-bit [`HashSeed`] the deployment keeps secret:
//! without the seed, where a key lands cannot be predicted. Processes that
//! share keyed state share the seed.

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

/// The 128-bit key of [`hash_key_seeded`]. Keep it secret: it is what
/// stops a caller from aiming keys at another caller's set.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct HashSeed {
    k0: u64,
    k1: u64,
}

impl core::fmt::Debug for HashSeed {
    // A seed printed in a log would be a seed given away.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("HashSeed(..)")
    }
}

impl HashSeed {
    /// A seed from its two 64-bit halves.
    pub const fn new(k0: u64, k1: u64) -> Self {
        Self { k0, k1 }
    }

    /// A seed from a secret of any length (a passphrase, a random string
    /// from a deployment's secret store): its two halves are the secret's
    /// SipHash-2-4 under two fixed keys, so every byte of it counts.
    pub fn from_secret(secret: &[u8]) -> Self {
        const DERIVE: HashSeed = HashSeed::new(0x7765_6972_2d73_6565, 0x642d_6465_7269_7665);
        let k0 = siphash24(DERIVE, secret);
        let k1 = siphash24(HashSeed::new(DERIVE.k1, DERIVE.k0), secret);
        Self { k0, k1 }
    }

    /// The two halves, for hosts that pass the seed on (C, a shared file).
    pub const fn halves(&self) -> (u64, u64) {
        (self.k0, self.k1)
    }
}

/// SipHash-2-4 of `bytes` under `seed`: a keyed hash meant for exactly
/// this (hash-flooding resistance), stable across runtimes and releases.
#[inline]
pub fn hash_key_seeded(seed: &HashSeed, bytes: &[u8]) -> u64 {
    siphash24(*seed, bytes)
}

#[inline]
fn sip_round(v: &mut [u64; 4]) {
    v[0] = v[0].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(13) ^ v[0];
    v[0] = v[0].rotate_left(32);
    v[2] = v[2].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(16) ^ v[2];
    v[0] = v[0].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(21) ^ v[0];
    v[2] = v[2].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(17) ^ v[2];
    v[2] = v[2].rotate_left(32);
}

fn siphash24(seed: HashSeed, bytes: &[u8]) -> u64 {
    let mut v = [
        seed.k0 ^ 0x736f_6d65_7073_6575,
        seed.k1 ^ 0x646f_7261_6e64_6f6d,
        seed.k0 ^ 0x6c79_6765_6e65_7261,
        seed.k1 ^ 0x7465_6462_7974_6573,
    ];
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let mut buf = [0u8; 8];
        buf.copy_from_slice(word);
        let m = u64::from_le_bytes(buf);
        v[3] ^= m;
        sip_round(&mut v);
        sip_round(&mut v);
        v[0] ^= m;
    }
    // The last block: the remaining bytes, with the length's low byte on top.
    let mut last = [0u8; 8];
    let tail = words.remainder();
    for (slot, byte) in last.iter_mut().zip(tail) {
        *slot = *byte;
    }
    let m = u64::from_le_bytes(last) | ((bytes.len() as u64) << 56);
    v[3] ^= m;
    sip_round(&mut v);
    sip_round(&mut v);
    v[0] ^= m;
    v[2] ^= 0xff;
    for _ in 0..4 {
        sip_round(&mut v);
    }
    v[0] ^ v[1] ^ v[2] ^ v[3]
}

#[cfg(test)]
mod tests {
    use super::{hash_key, hash_key_seeded, HashSeed};

    #[test]
    fn siphash24_matches_the_reference() {
        // The SipHash paper's test vector: key 00..0f, message 00..0e.
        let seed = HashSeed::new(0x0706_0504_0302_0100, 0x0f0e_0d0c_0b0a_0908);
        let msg: [u8; 15] = core::array::from_fn(|i| i as u8);
        assert_eq!(hash_key_seeded(&seed, &msg), 0xa129_ca61_49be_45e5);
        // And core's own (deprecated) SipHash-2-4 over every length 0..64.
        #[allow(deprecated)]
        for len in 0..64usize {
            use core::hash::Hasher;
            let bytes: [u8; 64] = core::array::from_fn(|i| (i as u8).wrapping_mul(37));
            let mut reference = core::hash::SipHasher::new_with_keys(seed.k0, seed.k1);
            reference.write(&bytes[..len]);
            assert_eq!(hash_key_seeded(&seed, &bytes[..len]), reference.finish(), "len {len}");
        }
    }

    #[test]
    fn a_seed_debug_prints_nothing_of_itself() {
        struct Out([u8; 64], usize);
        impl core::fmt::Write for Out {
            fn write_str(&mut self, s: &str) -> core::fmt::Result {
                let end = self.1 + s.len();
                self.0.get_mut(self.1..end).ok_or(core::fmt::Error)?.copy_from_slice(s.as_bytes());
                self.1 = end;
                Ok(())
            }
        }
        let mut out = Out([0; 64], 0);
        core::fmt::write(&mut out, format_args!("{:?}", HashSeed::from_secret(b"s3cret"))).unwrap();
        assert_eq!(&out.0[..out.1], b"HashSeed(..)");
    }

    #[test]
    fn is_pinned() {
        // Hosts in other languages and stored shared state rely on these.
        assert_eq!(hash_key(b""), 0xf52a_15e9_a9b5_e89b);
        assert_eq!(hash_key(b"a"), 0x02c0_bdbf_4814_20f8);
        assert_eq!(hash_key(b"tenant-7"), 0xd410_a48a_2f93_679a);
        assert_eq!(hash_key(b"10.0.0.1"), 0x7fb1_b600_f0f5_c6d3);
    }
}
