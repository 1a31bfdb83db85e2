//! [`HotKeys`]: weir-core's Space-Saving hot-key detector over caller keys.
//! The core table counts 64-bit hashes; the host hashes each key with the
//! table's [`KeyHasher`] (seeded when the caller gives a secret, so crafted
//! keys cannot aim at one set) and keeps the bytes of the keys the table
//! tracks, so `top(k)` answers with the caller's own keys.

use crate::key_hasher::KeyHasher;
use std::collections::HashMap;
use std::sync::RwLock;
use weir_core::hot_keys::{HotKey, HotKeysConfig, HotSet, WAYS};
use weir_core::{ConfigError, Nanos, Value};

/// Counters when the caller names none: the table that finds the top 100
/// of a Zipf(1.1) stream (core's recall test).
pub const DEFAULT_CAPACITY: u64 = 1024;

/// Most counters one detector may hold (64 Ki sets of 16).
pub const MAX_CAPACITY: u64 = 1 << 20;

/// One entry of a [`HotKeys::top`] snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HotKeyCount {
    /// The caller's key; `None` for one recorded by hash only.
    pub key: Option<Box<[u8]>>,
    /// The hash the table counts it under.
    pub hash: u64,
    /// At most this many requests (decayed).
    pub count: u64,
    /// How much of `count` may belong to other keys: it had at least
    /// `count - error`.
    pub error: u64,
}

/// The most requested keys of a stream, in fixed memory, for many threads.
#[derive(Debug)]
pub struct HotKeys {
    table: weir_core::hot_keys::HotKeys<Box<[HotSet]>>,
    hasher: KeyHasher,
    /// Key bytes by hash, for keys that have held a counter; pruned to the
    /// tracked keys when it outgrows the table, so memory stays bounded.
    names: RwLock<HashMap<u64, Box<[u8]>>>,
    capacity: usize,
}

impl HotKeys {
    /// A detector of `capacity` counters (a multiple of 16, at most
    /// [`MAX_CAPACITY`]) whose counts halve every `config.half_life_ns`,
    /// hashing keys with `hasher`.
    pub fn new(capacity: u64, config: HotKeysConfig, hasher: KeyHasher) -> Result<Self, ConfigError> {
        if capacity == 0 || capacity % WAYS as u64 != 0 {
            return Err(ConfigError::new("capacity", "a multiple of 16, at least 16", Value::Unsigned(capacity)));
        }
        if capacity > MAX_CAPACITY {
            return Err(ConfigError::new("capacity", "<= 1048576", Value::Unsigned(capacity)));
        }
        let sets = (capacity / WAYS as u64) as usize;
        let table = weir_core::hot_keys::HotKeys::with_storage(config, (0..sets).map(|_| HotSet::new()).collect())?;
        Ok(Self { table, hasher, names: RwLock::new(HashMap::new()), capacity: capacity as usize })
    }

    /// Counters in the table.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The hash `key` is counted under.
    #[inline]
    pub fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash(key)
    }

    /// Counts one request for `key` at `now`.
    pub fn record_at(&self, now: Nanos, key: &[u8]) {
        let hash = self.hasher.hash(key);
        self.table.record(now, hash);
        let known = self.names.read().unwrap_or_else(|e| e.into_inner()).contains_key(&hash);
        if !known {
            self.remember(now, hash, key);
        }
    }

    /// [`Self::record_at`] on [`crate::monotonic_now`].
    pub fn record(&self, key: &[u8]) {
        self.record_at(crate::monotonic_now(), key);
    }

    /// Counts one request for a key the caller already hashed; `top` lists
    /// it without its bytes.
    #[inline]
    pub fn record_hashed_at(&self, now: Nanos, hash: u64) {
        self.table.record(now, hash);
    }

    fn remember(&self, now: Nanos, hash: u64, key: &[u8]) {
        let mut names = self.names.write().unwrap_or_else(|e| e.into_inner());
        names.insert(hash, key.into());
        // Every key ever seen would grow without bound; past twice the
        // table, keep only the keys that still hold a counter.
        if names.len() > 2 * self.capacity + 64 {
            let mut tracked = vec![HotKey::default(); self.capacity];
            let n = self.table.top(now, &mut tracked);
            let keep: std::collections::HashSet<u64> = tracked.iter().take(n).map(|k| k.key).collect();
            names.retain(|h, _| keep.contains(h) || *h == hash);
        }
    }

    /// The `k` keys that surely had the most requests at `now`, largest
    /// `count - error` first.
    pub fn top_at(&self, now: Nanos, k: usize) -> Vec<HotKeyCount> {
        let mut out = vec![HotKey::default(); k.min(self.capacity)];
        let n = self.table.top(now, &mut out);
        let names = self.names.read().unwrap_or_else(|e| e.into_inner());
        out.iter()
            .take(n)
            .map(|h| HotKeyCount { key: names.get(&h.key).cloned(), hash: h.key, count: h.count, error: h.error })
            .collect()
    }

    /// [`Self::top_at`] on [`crate::monotonic_now`].
    pub fn top(&self, k: usize) -> Vec<HotKeyCount> {
        self.top_at(crate::monotonic_now(), k)
    }

    /// `(count, error)` of one hashed key at `now`; for a key without a
    /// counter, the smallest count of its set, all of it error.
    pub fn estimate_hashed_at(&self, now: Nanos, hash: u64) -> (u64, u64) {
        let e = self.table.estimate(now, hash);
        (e.count, e.error)
    }

    /// `(count, error)` of `key` at `now`.
    pub fn estimate_at(&self, now: Nanos, key: &[u8]) -> (u64, u64) {
        self.estimate_hashed_at(now, self.hasher.hash(key))
    }

    /// The sum of every count at `now`: the requests recorded, decayed.
    pub fn total_at(&self, now: Nanos) -> u64 {
        self.table.total(now)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn top_answers_with_the_callers_keys() {
        let hot = HotKeys::new(64, HotKeysConfig::default(), KeyHasher::from_secret(b"s").unwrap()).unwrap();
        for i in 0..2_000u32 {
            let key = if i % 3 == 0 { b"user:42".to_vec() } else { format!("user:{i}").into_bytes() };
            hot.record_at(0, &key);
        }
        let top = hot.top_at(0, 2);
        assert_eq!(top[0].key.as_deref(), Some(&b"user:42"[..]));
        assert!(top[0].count - top[0].error <= 667 && 667 <= top[0].count, "{top:?}");
        assert_eq!(hot.total_at(0), 2_000);
        let names = hot.names.read().unwrap().len();
        assert!(names <= 2 * 64 + 65, "{names} key copies kept for 64 counters");
    }

    #[test]
    fn refuses_a_capacity_off_the_sets() {
        for bad in [0, 17, MAX_CAPACITY + 16] {
            let err = HotKeys::new(bad, HotKeysConfig::default(), KeyHasher::UNSEEDED).unwrap_err();
            assert_eq!(err.field(), "capacity", "{bad}");
        }
        let short = HotKeys::new(16, HotKeysConfig { half_life_ns: 5 }, KeyHasher::UNSEEDED).unwrap_err();
        assert_eq!(short.field(), "half_life_ns");
    }
}
