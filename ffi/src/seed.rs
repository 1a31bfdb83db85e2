//! `weir_hash_seed`: the secret a keyed table hashes its keys under, so no
//! caller can compute offline which keys share another caller's set.

use crate::handle::{bytes, need, out};
use crate::status::{config_error, guard, guard_value, weir_status};
use weir_core::{ConfigError, Value};
use weir_host::{HashSeed, KeyHasher};

/// A 128-bit key-hash seed. Keep it secret; processes that share keyed
/// state share it. Make one with `weir_hash_seed_from_secret`, or fill both
/// halves from a random source of your own.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct weir_hash_seed {
    pub k0: u64,
    pub k1: u64,
}

impl From<weir_hash_seed> for HashSeed {
    fn from(s: weir_hash_seed) -> Self {
        HashSeed::new(s.k0, s.k1)
    }
}

/// The hasher of a constructor's optional seed: NULL is the unseeded hash.
/// An all-zero seed is refused: it is what a seed variable holds before
/// anything filled it, and a seed everyone knows protects nothing.
///
/// # Safety
/// `seed` is NULL or readable.
pub(crate) unsafe fn hasher(seed: *const weir_hash_seed) -> Result<KeyHasher, weir_status> {
    // SAFETY: forwarded from this function's contract.
    match unsafe { seed.as_ref() } {
        None => Ok(KeyHasher::UNSEEDED),
        Some(weir_hash_seed { k0: 0, k1: 0 }) => {
            Err(config_error(ConfigError::new("seed", ZERO_SEED_RULE, Value::Unsigned(0))))
        }
        Some(s) => Ok(KeyHasher::seeded((*s).into())),
    }
}

const ZERO_SEED_RULE: &str = "a seed with a non-zero half (from weir_hash_seed_from_secret or a random source)";

/// Derives the seed of `secret_len` bytes at `secret` (a passphrase, a
/// random string from a secret store; every byte counts), the same seed
/// every weir runtime derives from those bytes. An empty secret gives a
/// seed everyone can compute: use a real one. `secret` may be NULL when
/// `secret_len` is 0.
///
/// # Safety
/// `secret` points to `secret_len` readable bytes; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_hash_seed_from_secret(
    secret: *const u8,
    secret_len: usize,
    out: *mut weir_hash_seed,
) -> weir_status {
    guard(|| {
        // SAFETY: forwarded from this function's contract.
        let Some(secret) = (unsafe { bytes(secret, secret_len) }) else { return weir_status::NullArgument };
        need!(out);
        let (k0, k1) = HashSeed::from_secret(secret).halves();
        out!(out, weir_hash_seed { k0, k1 });
        weir_status::Ok
    })
}

/// The hash of `len` bytes at `key` under `seed` (SipHash-2-4): where a
/// table made with `seed` places the key. `key` may be NULL when `len` is
/// 0; NULL with `len > 0` hashes as the empty key. Thread-safe.
///
/// # Safety
/// When `len > 0` and `key` is not NULL, `key` points to `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn weir_hash_key_seeded(seed: weir_hash_seed, key: *const u8, len: usize) -> u64 {
    // SAFETY: forwarded from this function's contract.
    let key = unsafe { bytes(key, len) }.unwrap_or(&[]);
    guard_value(0, || weir_host::hash_key_seeded(&seed.into(), key))
}
