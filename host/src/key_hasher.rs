//! The one answer to "how does this table hash a caller's key": unseeded
//! (where a key lands is public, so crafted keys can fill a victim's set)
//! or seeded with a secret (where it lands is unpredictable without the
//! secret). Every binding's keyed limiter and singleflight table holds one,
//! so a seed given to a constructor reaches every string or bytes key the
//! table sees, and no binding re-decides which hash to use.

use crate::hash::{hash_key, hash_key_seeded, HashSeed};
use crate::units::UnitError;

/// How a keyed table hashes its keys. `Default` is unseeded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeyHasher {
    seed: Option<HashSeed>,
}

/// Why an empty secret is refused: it is a seed everyone knows, so it
/// protects nothing, and an empty secret is most often an unset variable.
const SECRET_RULE: &str = "a non-empty secret";

impl KeyHasher {
    /// The public hash, [`hash_key`]: open to keys crafted offline.
    pub const UNSEEDED: KeyHasher = KeyHasher { seed: None };

    /// Hashes under `seed` ([`hash_key_seeded`]).
    pub const fn seeded(seed: HashSeed) -> Self {
        Self { seed: Some(seed) }
    }

    /// Hashes under the seed derived from `secret` ([`HashSeed::from_secret`]).
    /// Refuses an empty secret, naming the `seed` field.
    pub fn from_secret(secret: &[u8]) -> Result<Self, UnitError> {
        if secret.is_empty() {
            return Err(UnitError { field: "seed", rule: SECRET_RULE });
        }
        Ok(Self::seeded(HashSeed::from_secret(secret)))
    }

    /// Seeded from `secret` when there is one, else unseeded.
    pub fn from_optional_secret(secret: Option<&[u8]>) -> Result<Self, UnitError> {
        secret.map_or(Ok(Self::UNSEEDED), Self::from_secret)
    }

    /// The seed, if any.
    pub const fn seed(&self) -> Option<HashSeed> {
        self.seed
    }

    /// The hash of `key` the table places it by.
    #[inline]
    pub fn hash(&self, key: &[u8]) -> u64 {
        match &self.seed {
            Some(seed) => hash_key_seeded(seed, key),
            None => hash_key(key),
        }
    }

    /// [`Self::hash`] of a string's UTF-8 bytes.
    #[inline]
    pub fn hash_str(&self, key: &str) -> u64 {
        self.hash(key.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unseeded_is_the_public_hash() {
        assert_eq!(KeyHasher::default(), KeyHasher::UNSEEDED);
        assert_eq!(KeyHasher::UNSEEDED.hash_str("tenant-7"), 0xd410_a48a_2f93_679a);
        assert_eq!(KeyHasher::from_optional_secret(None).unwrap().hash(b"k"), hash_key(b"k"));
    }

    #[test]
    fn a_secret_seeds_every_key() {
        let hasher = KeyHasher::from_secret(b"s3cret").unwrap();
        let seed = HashSeed::from_secret(b"s3cret");
        assert_eq!(hasher.seed(), Some(seed));
        assert_eq!(hasher.hash_str("tenant-7"), hash_key_seeded(&seed, b"tenant-7"));
        assert_ne!(hasher.hash_str("tenant-7"), hash_key(b"tenant-7"));
        assert_eq!(KeyHasher::from_optional_secret(Some(b"s3cret")).unwrap(), hasher);
    }

    #[test]
    fn an_empty_secret_is_refused_by_name() {
        let err = KeyHasher::from_secret(b"").unwrap_err();
        assert_eq!((err.field, err.rule), ("seed", SECRET_RULE));
        assert_eq!(err.to_string(), "seed must be a non-empty secret");
    }
}
