//! The seed every key hash of a policy is taken under. A policy's own
//! `seed` (a secret in the JSON) wins; without one, the store chooses a
//! random seed that every worker deciding on the same state shares, so a
//! key lands in the same set whichever worker sees it, while no client can
//! compute where its keys land (and aim them at another client's set).
//!
//! - In one address space (the Envoy dynamic module, a service's process)
//!   that is one seed per process: [`process_seed`].
//! - Across the wasm filter's worker VMs, which share nothing but Envoy's
//!   shared data, the first VM to configure writes a seed there and every
//!   other reads it: [`shared_data_seed`]. It outlives reloads as the limit
//!   state in shared data does, so a reload keeps every key where it was.

use crate::shared_data::Store;
use crate::store::{StateError, Status};
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;
use weir_core::hash::HashSeed;

/// Where the wasm filter keeps the seed it chose, beside the limit state.
pub const SHARED_DATA_KEY: &str = "weir.key_seed";

/// A seed from the host's randomness: std's hasher keys come from the
/// operating system (or WASI `random_get` in a wasm VM), and SipHash under
/// those secret keys gives values no client can predict.
pub fn random_seed() -> HashSeed {
    let keys = std::collections::hash_map::RandomState::new();
    let half = |n: u64| {
        let mut h = keys.build_hasher();
        h.write_u64(n);
        h.finish()
    };
    HashSeed::new(half(0x6b30), half(0x6b31))
}

/// This process's seed, chosen at random on first use.
pub fn process_seed() -> HashSeed {
    static SEED: OnceLock<HashSeed> = OnceLock::new();
    *SEED.get_or_init(random_seed)
}

/// The seed in `store` under [`SHARED_DATA_KEY`], written there first if no
/// worker has yet.
///
/// The host inserts a missing key whatever CAS token a write carries, but
/// refuses a write to an existing key whose token differs. Writing with a
/// token no live value holds (`u32::MAX`, reached only after 2^32 writes,
/// while the seed is written at the first configure) therefore creates the
/// key if it is absent and fails if another worker created it meanwhile;
/// either way the value read back afterwards is the one every worker uses.
pub fn shared_data_seed(store: &impl Store) -> Result<HashSeed, StateError> {
    const CREATE_ONLY: u32 = u32::MAX;
    match store.get(SHARED_DATA_KEY) {
        Ok((bytes, _)) => return decode(&bytes),
        Err(s) if s == Status::NOT_FOUND => {}
        Err(s) => return Err(StateError::Host(s)),
    }
    match store.set(SHARED_DATA_KEY, &encode(random_seed()), CREATE_ONLY) {
        Ok(()) => {}
        Err(s) if s == Status::CAS_MISMATCH => {}
        Err(s) => return Err(StateError::Host(s)),
    }
    let (bytes, _) = store.get(SHARED_DATA_KEY).map_err(StateError::Host)?;
    decode(&bytes)
}

fn encode(seed: HashSeed) -> [u8; 16] {
    let (k0, k1) = seed.halves();
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&k0.to_le_bytes());
    out[8..].copy_from_slice(&k1.to_le_bytes());
    out
}

fn decode(bytes: &[u8]) -> Result<HashSeed, StateError> {
    let (k0, k1) = bytes.split_at_checked(8).ok_or(StateError::Corrupt)?;
    let half = |b: &[u8]| b.try_into().map(u64::from_le_bytes).map_err(|_| StateError::Corrupt);
    Ok(HashSeed::new(half(k0)?, half(k1)?))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::cell::{Cell, RefCell};
    use std::collections::HashMap;

    /// Envoy's shared data as it behaves: a missing key is inserted whatever
    /// the token; an existing one only with its own token (or 0).
    #[derive(Default)]
    struct Shared {
        map: RefCell<HashMap<String, (Vec<u8>, u32)>>,
        next: Cell<u32>,
        /// Another worker writes its own seed between our read and our write.
        race: Cell<bool>,
    }

    impl Store for Shared {
        fn get(&self, key: &str) -> Result<(Vec<u8>, u32), Status> {
            self.map.borrow().get(key).cloned().ok_or(Status::NOT_FOUND)
        }
        fn set(&self, key: &str, value: &[u8], cas: u32) -> Result<(), Status> {
            if self.race.replace(false) {
                self.set(key, &encode(HashSeed::new(7, 7)), 0)?;
            }
            let mut map = self.map.borrow_mut();
            self.next.set(self.next.get() + 1);
            match map.get_mut(key) {
                Some(e) if cas != 0 && e.1 != cas => Err(Status::CAS_MISMATCH),
                Some(e) => {
                    *e = (value.to_vec(), self.next.get());
                    Ok(())
                }
                None => {
                    map.insert(key.into(), (value.to_vec(), self.next.get()));
                    Ok(())
                }
            }
        }
    }

    #[test]
    fn every_worker_reads_the_seed_the_first_one_wrote() {
        let shared = Shared::default();
        let first = shared_data_seed(&shared).unwrap();
        for _ in 0..4 {
            assert_eq!(shared_data_seed(&shared).unwrap(), first);
        }
    }

    #[test]
    fn a_worker_that_loses_the_race_takes_the_winners_seed() {
        let shared = Shared { race: Cell::new(true), ..Shared::default() };
        assert_eq!(shared_data_seed(&shared).unwrap(), HashSeed::new(7, 7));
        assert_eq!(shared_data_seed(&shared).unwrap(), HashSeed::new(7, 7));
    }

    #[test]
    fn a_stored_seed_of_the_wrong_size_is_corrupt() {
        let shared = Shared::default();
        shared.set(SHARED_DATA_KEY, b"short", 0).unwrap();
        assert_eq!(shared_data_seed(&shared), Err(StateError::Corrupt));
    }

    #[test]
    fn random_seeds_differ_and_a_process_keeps_one() {
        assert_ne!(random_seed(), random_seed());
        assert_eq!(process_seed(), process_seed());
    }
}
