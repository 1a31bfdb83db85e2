//! Keyed limits in shared data: the table of `max_keys` entries is split
//! into sets of `WAYS` (key hash, TAT) pairs, one shared-data value per set,
//! created at configure time so memory is fixed and every write is a CAS.
//!
//! Entry reuse follows core's `KeyedLimiter` rule: a key lives in the set
//! its hash picks; a full bucket (`Gcra::is_idle`) frees its entry for any
//! key; a new key meeting a set of live entries is refused with
//! `TableFull` rather than evicting someone's spent tokens. Because a whole
//! set moves in one CAS, the filter needs no per-entry claim flag.

use crate::host::Status;
use crate::shared::{StateError, Store};
use weir_core::limiter::{Gcra, WAYS};
use weir_core::{Decision, Nanos, Reason};

const ENTRY: usize = 16;
pub const SET_BYTES: usize = WAYS * ENTRY;
/// Keys are hashes; 0 marks an empty entry, so a key hashing to 0 moves.
const ZERO_KEY: u64 = 0x9E37_79B9_7F4A_7C15;

/// FNV-1a: stable across VMs and restarts, which shared state needs.
pub fn hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    if h == 0 {
        ZERO_KEY
    } else {
        h
    }
}

/// Which set a key hash lives in.
pub fn set_index(key: u64, sets: u64) -> u64 {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) % sets.max(1)
}

pub fn set_key(rule_key: &str, index: u64) -> String {
    format!("{rule_key}.k{index}")
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

/// Decides for `key` inside one set; `None` means nothing changed.
fn decide(gcra: &Gcra, entries: &mut [(u64, u64); WAYS], key: u64, now: Nanos, cost: u64) -> (bool, Decision) {
    if let Some(entry) = entries.iter_mut().find(|(k, _)| *k == key) {
        let (next, d) = gcra.decide(entry.1, now, cost);
        let changed = next != entry.1;
        entry.1 = next;
        return (changed, d);
    }
    let mut earliest = u64::MAX;
    let mut free = None;
    for (i, (k, tat)) in entries.iter().enumerate() {
        if *k == 0 || gcra.is_idle(*tat, now) {
            free.get_or_insert(i);
        } else {
            earliest = earliest.min(tat - now);
        }
    }
    let Some(slot) = free.and_then(|i| entries.get_mut(i)) else {
        return (false, Decision { reason: Reason::TableFull, retry_after: earliest, remaining: 0, reset_after: 0 });
    };
    let (next, d) = gcra.decide(Gcra::full_state(), now, cost);
    if next == Gcra::full_state() {
        return (false, d);
    }
    *slot = (key, next);
    (true, d)
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
    for _ in 0..crate::shared::MAX_CAS_ROUNDS {
        let (bytes, cas) = store.get(set_key).map_err(StateError::Host)?;
        let mut entries = read(&bytes).ok_or(StateError::Corrupt)?;
        let (changed, d) = decide(gcra, &mut entries, key, now, cost);
        if !changed {
            return Ok(d);
        }
        match store.set(set_key, &write(&entries), cas) {
            Ok(()) => return Ok(d),
            Err(s) if s == Status::CAS_MISMATCH => continue,
            Err(s) => return Err(StateError::Host(s)),
        }
    }
    Err(StateError::Contended)
}

#[cfg(test)]
#[allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use weir_core::limiter::LimiterConfig;

    fn gcra() -> Gcra {
        Gcra::new(LimiterConfig { rate: 1, period_ns: 1_000, burst: 1 }).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_full_set_refuses_new_keys_until_an_entry_idles() {
        let g = gcra();
        let mut set = [(0u64, 0u64); WAYS];
        for k in 1..=WAYS as u64 {
            assert!(decide(&g, &mut set, k, 10, 1).1.is_admitted());
        }
        let (changed, d) = decide(&g, &mut set, 99, 10, 1);
        assert!(!changed);
        assert_eq!(d.reason, Reason::TableFull);
        assert_eq!(d.retry_after, 1_000);
        let (changed, d) = decide(&g, &mut set, 99, 1_010, 1);
        assert!(changed && d.is_admitted());
        assert_eq!(set.iter().filter(|(k, _)| *k == 99).count(), 1);
    }

    #[test]
    fn a_known_key_keeps_its_spent_tokens() {
        let g = gcra();
        let mut set = [(0u64, 0u64); WAYS];
        assert!(decide(&g, &mut set, 5, 10, 1).1.is_admitted());
        assert_eq!(decide(&g, &mut set, 5, 10, 1).1.reason, Reason::RateLimited);
    }

    #[test]
    fn bytes_round_trip_and_bad_lengths_are_refused() {
        let mut set = [(0u64, 0u64); WAYS];
        set[3] = (7, 9);
        assert_eq!(read(&write(&set)), Some(set));
        assert_eq!(read(&[0u8; 3]), None);
    }

    #[test]
    fn hashes_never_collide_with_the_empty_marker() {
        assert_ne!(hash(b""), 0);
        assert!(set_index(hash(b"10.0.0.1"), 4) < 4);
    }
}
