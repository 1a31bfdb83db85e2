//! Keyed limits in shared data: the table of `max_keys` entries is split
//! into sets of `WAYS` (key hash, TAT) pairs, one shared-data value per set,
//! created at configure time so memory is fixed and every write is a CAS.
//!
//! The placement (`set_index`), the key hash (`hash_key`) and the rule
//! inside a set (`decide_in_set`) are core's, the same as `KeyedLimiter`'s,
//! so a key lands where it would in every other host. Because a whole set
//! moves in one CAS, the filter needs no per-entry claim flag.

use super::{Measured, StateError, Store};
use weir_core::limiter::{decide_in_set, Gcra, WAYS};
use weir_core::{Decision, Nanos};

const ENTRY: usize = 16;
pub const SET_BYTES: usize = WAYS * ENTRY;

pub use weir_core::hash::hash_key as hash;

/// Which set a key hash lives in.
pub fn set_index(key: u64, sets: u64) -> u64 {
    weir_core::limiter::set_index(key, usize::try_from(sets).unwrap_or(usize::MAX).max(1)) as u64
}

/// `weir.limit.<rule>.k<index>`, written into `buf` so the hot path does not allocate.
pub fn set_key<'a>(buf: &'a mut KeyBuf, rule_key: &str, index: u64) -> &'a str {
    use std::fmt::Write;
    buf.clear();
    let _ = write!(buf, "{rule_key}.k{index}");
    buf.as_str()
}

/// A fixed buffer for shared-data keys (rule names are at most 64 bytes).
pub struct KeyBuf {
    bytes: [u8; 128],
    len: usize,
}

impl Default for KeyBuf {
    fn default() -> Self {
        Self { bytes: [0; 128], len: 0 }
    }
}

impl KeyBuf {
    fn clear(&mut self) {
        self.len = 0;
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(self.bytes.get(..self.len).unwrap_or_default()).unwrap_or_default()
    }
}

impl std::fmt::Write for KeyBuf {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(std::fmt::Error)?;
        self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

fn read(bytes: &[u8]) -> Option<[(u64, u64); WAYS]> {
    if bytes.len() != SET_BYTES {
        return None;
    }
    let mut out = [(0u64, 0u64); WAYS];
    for (slot, chunk) in out.iter_mut().zip(bytes.chunks_exact(ENTRY)) {
        let (k, t) = chunk.split_at(8);
        *slot = (u64::from_le_bytes(k.try_into().ok()?), u64::from_le_bytes(t.try_into().ok()?));
    }
    Some(out)
}

fn write(entries: &[(u64, u64); WAYS]) -> [u8; SET_BYTES] {
    let mut out = [0u8; SET_BYTES];
    for (chunk, (k, t)) in out.chunks_exact_mut(ENTRY).zip(entries.iter()) {
        let (kb, tb) = chunk.split_at_mut(8);
        kb.copy_from_slice(&k.to_le_bytes());
        tb.copy_from_slice(&t.to_le_bytes());
    }
    out
}

/// One decision for `key` on the set stored at `set_key`.
pub fn acquire(
    store: &impl Store,
    set_key: &str,
    gcra: &Gcra,
    key: u64,
    now: Nanos,
    cost: u64,
) -> Result<Decision, StateError> {
    super::measure_and_replace(store, set_key, |bytes| {
        let before = read(bytes).ok_or(StateError::Corrupt)?;
        let mut entries = before;
        let d = decide_in_set(gcra, &mut entries, key, now, cost);
        Ok(if entries == before { Measured::Keep(d) } else { Measured::Replace(d, write(&entries)) })
    })
}

#[cfg(test)]
#[allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip_and_bad_lengths_are_refused() {
        let mut set = [(0u64, 0u64); WAYS];
        set[3] = (7, 9);
        assert_eq!(read(&write(&set)), Some(set));
        assert_eq!(read(&[0u8; 3]), None);
    }

    #[test]
    fn keys_are_placed_as_core_places_them() {
        assert_eq!(hash(b"10.0.0.1"), 0x7fb1_b600_f0f5_c6d3, "core's pinned hash");
        for key in [0u64, 1, 17, u64::MAX] {
            assert_eq!(set_index(key, 5), weir_core::limiter::set_index(key, 5) as u64);
        }
        let mut buf = KeyBuf::default();
        assert_eq!(set_key(&mut buf, "weir.limit.a", 12), "weir.limit.a.k12");
    }
}
