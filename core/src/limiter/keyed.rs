//! One GCRA state per key, in a table whose memory is fixed when it is made.
//!
//! The table is split into sets of [`WAYS`] entries; a key hashes to one set
//! and may live in any of its ways. An entry holds the key and its TAT.
//!
//! **Reuse and eviction rule.** An entry whose bucket is full again
//! (`tat <= now`) remembers nothing that a fresh entry would not, so it is free
//! to be taken by any key; a new key takes the idle entry that refilled
//! longest ago (never-used entries first), so keys that come back often keep
//! their entry and skip the claim path. When a new key arrives and every way of its set
//! still holds a key that has spent tokens, nothing is evicted: the new key is
//! refused with [`Reason::TableFull`] and `retry_after` set to when the
//! earliest of those entries fills up again. Evicting a live entry would hand
//! its key a full bucket on its next request — over-admission — so the table
//! fails closed instead. Size the table for the keys that are active within one
//! `burst * period / rate` window.
//!
//! **Concurrency.** Requests for a key already in the table are lock-free: a
//! CAS on the entry's TAT. Taking an entry for a new key is serialised per set
//! by a small claim flag, so two threads can never put the same key in two
//! ways. A claimer freezes the entry it takes (TAT := `FROZEN`) before it
//! rewrites the key, and every TAT write is strictly increasing, so a thread
//! that read the old key can never land its CAS on the new key's state.
//!
//! **Live config.** [`KeyedLimiter::set_config`] changes rate and burst for
//! every key. The table keeps two kernels and the top bit of each entry's
//! state names the one its TAT was written under (TATs stay below
//! [`super::TAT_LIMIT`], so the bit is free). A change writes the new kernel
//! into the slot not in force, makes it the table's, then walks every set
//! under its claim flag and moves each entry still under the old kernel to
//! the new one. An entry the walk has not reached yet is decided under the
//! kernel it names, as a request before the change would have been, and the
//! walk then carries its result over.
//!
//! **The keyed rule of a change**: an entry's TAT becomes
//! `max(rescaled, tat + 1 ns)`, where `rescaled` is the single limiter's rule
//! ([`Gcra::rescale`]). So on a slower rate or a larger burst, what was spent
//! stays spent exactly as for one limiter; on a faster rate or a smaller
//! burst an entry keeps its TAT (plus 1 ns) and drains at the new rate from
//! there: never a token granted by the change, at the price of refilling
//! later than one limiter would. The reason is exactness without a lock on
//! the hit path: an entry's state word then only ever grows, so a caller's
//! CAS from a word it read can never succeed after a change moved that
//! entry, however many changes came between.

use super::gcra::{Gcra, LimiterConfig, TAT_LIMIT};
use super::live::slot_of;
use crate::sync::{atomic_u64, AtomicU64, Ordering};
use crate::word::{lock, unlock, Measured, Order, Word};
use crate::{ConfigError, Decision, Nanos, Reason, Value};

/// Entries per set.
pub const WAYS: usize = 8;

/// The key stored in entries nobody has taken yet.
const EMPTY: u64 = 0;
/// Where a caller's key 0 goes, so that 0 can mark empty entries. Keys are
/// hashes, so this merges two of 2^64 keys, like any other hash collision.
const ZERO_KEY: u64 = 0x9E37_79B9_7F4A_7C15;
/// The TAT of an entry being handed to a new key. GCRA never produces it.
const FROZEN: u64 = u64::MAX;
/// The top bit of an entry's state: the kernel slot its TAT was written under.
const SLOT_BIT: u64 = 1 << 63;

/// A kernel slot of a table, in atomics.
#[derive(Debug)]
struct KernelSlot {
    words: [AtomicU64; 4],
    rate: AtomicU64,
    period_ns: AtomicU64,
}

impl KernelSlot {
    fn new(config: LimiterConfig, gcra: &Gcra) -> Self {
        let [a, b, c, d] = gcra.words();
        Self {
            words: [atomic_u64(a), atomic_u64(b), atomic_u64(c), atomic_u64(d)],
            rate: atomic_u64(config.rate),
            period_ns: atomic_u64(config.period_ns),
        }
    }

    fn write(&self, config: LimiterConfig, gcra: &Gcra) {
        for (word, value) in self.words.iter().zip(gcra.words()) {
            word.store(value, Ordering::Release);
        }
        self.rate.store(config.rate, Ordering::Release);
        self.period_ns.store(config.period_ns, Ordering::Release);
    }

    /// The kernel without its burst, which deciding never reads: one load
    /// fewer on the hit path.
    #[inline(always)]
    fn hot(&self) -> Gcra {
        let [interval, magic, tolerance, _] = &self.words;
        Gcra::from_trusted_words([
            interval.load(Ordering::Acquire),
            magic.load(Ordering::Acquire),
            tolerance.load(Ordering::Acquire),
            0,
        ])
    }

    /// Read with `Acquire`: a caller that sees a rewrite also sees the
    /// walk that moved its entry away from this slot before it.
    #[inline]
    fn kernel(&self) -> Gcra {
        Gcra::from_trusted_words([
            self.words[0].load(Ordering::Acquire),
            self.words[1].load(Ordering::Acquire),
            self.words[2].load(Ordering::Acquire),
            self.words[3].load(Ordering::Acquire),
        ])
    }
}

/// [`WAYS`] entries of a keyed table: 136 bytes, 17 per key.
#[derive(Debug)]
pub struct KeySet {
    claim: AtomicU64,
    keys: [AtomicU64; WAYS],
    tats: [AtomicU64; WAYS],
}

impl KeySet {
    /// An empty set.
    pub fn new() -> Self {
        Self {
            claim: atomic_u64(0),
            keys: core::array::from_fn(|_| atomic_u64(EMPTY)),
            tats: core::array::from_fn(|_| atomic_u64(Gcra::full_state())),
        }
    }

    fn lock(&self) {
        lock(&self.claim);
    }

    fn unlock(&self) {
        unlock(&self.claim);
    }
}

impl Default for KeySet {
    fn default() -> Self {
        Self::new()
    }
}

/// A keyed rate limiter over caller-chosen storage: `[KeySet; N]` for a table
/// sized at compile time, or a boxed slice in hosts that size it at run time.
#[derive(Debug)]
pub struct KeyedLimiter<S> {
    /// `SLOT_BIT` or 0: the slot new entries are written under.
    current: AtomicU64,
    setting: AtomicU64,
    slots: [KernelSlot; 2],
    sets: S,
}

impl<const SETS: usize> KeyedLimiter<[KeySet; SETS]> {
    /// A table of `SETS * WAYS` entries held inline.
    pub fn new(config: LimiterConfig) -> Result<Self, ConfigError> {
        Self::with_storage(config, core::array::from_fn(|_| KeySet::new()))
    }
}

/// The set a key (as given by the caller) lives in, for a table of `sets`
/// sets. Hosts that keep sets elsewhere (the Envoy filter keeps one per
/// shared-data value) place keys with this so they agree with this table.
#[inline]
pub fn set_index(key: u64, sets: usize) -> usize {
    let key = if key == EMPTY { ZERO_KEY } else { key };
    // Multiplicative hashing spreads sequential ids; the top 32 bits then
    // scale onto the set count (Lemire's fast range) without a division.
    let mixed = key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
    ((u128::from(mixed) * sets as u128) >> 32) as usize
}

/// The keyed-table rule for one set held as plain `(key, tat)` pairs, for
/// hosts that move a whole set at once (the Envoy filter CASes a set as one
/// shared-data value). Same rule as [`KeyedLimiter::acquire`]: the key's own
/// entry if present, else the idle entry that refilled longest ago, else
/// `TableFull` with the
/// wait until the earliest entry refills. Returns the decision; `ways` is
/// updated in place (unchanged when nothing needs remembering).
pub fn decide_in_set(gcra: &Gcra, ways: &mut [(u64, u64); WAYS], key: u64, now: Nanos, cost: u64) -> Decision {
    let key = if key == EMPTY { ZERO_KEY } else { key };
    if let Some(way) = ways.iter_mut().find(|(k, _)| *k == key) {
        let (next, decision) = gcra.decide(way.1, now, cost);
        way.1 = next;
        return decision;
    }
    let mut earliest = u64::MAX;
    let mut free: Option<&mut (u64, u64)> = None;
    for way in ways.iter_mut() {
        if gcra.is_idle(way.1, now) {
            if free.as_ref().is_none_or(|f| way.1 < f.1) {
                free = Some(way);
            }
        } else {
            earliest = earliest.min(way.1 - now);
        }
    }
    let Some(way) = free else {
        return Decision::reject(Reason::TableFull, earliest, 0, 0);
    };
    let (next, decision) = gcra.decide(way.1, now, cost);
    if next != way.1 {
        *way = (key, next);
    }
    decision
}

enum Lookup {
    Done(Decision),
    Absent,
}

impl<S: AsRef<[KeySet]>> KeyedLimiter<S> {
    /// A table over `storage`, which must hold at least one set.
    pub fn with_storage(config: LimiterConfig, storage: S) -> Result<Self, ConfigError> {
        let gcra = Gcra::new(config)?;
        let len = storage.as_ref().len();
        if len == 0 {
            return Err(ConfigError::new("capacity", ">= 8 (one set of 8 entries)", Value::Unsigned(0)));
        }
        Ok(Self {
            current: atomic_u64(0),
            setting: atomic_u64(0),
            slots: [KernelSlot::new(config, &gcra), KernelSlot::new(config, &gcra)],
            sets: storage,
        })
    }

    /// Changes rate and burst for every key at `now` (the module's keyed
    /// rule). Walks the whole table, one set at a time under its claim flag;
    /// requests for keys keep flowing meanwhile.
    pub fn set_config(&self, config: LimiterConfig, now: Nanos) -> Result<(), ConfigError> {
        let gcra = Gcra::new(config)?;
        lock(&self.setting);
        let old_bit = self.current.load(Ordering::Acquire);
        let new_bit = old_bit ^ SLOT_BIT;
        let old = slot_of(&self.slots, old_bit).kernel();
        slot_of(&self.slots, new_bit).write(config, &gcra);
        self.current.store(new_bit, Ordering::Release);
        for set in self.sets.as_ref() {
            set.lock();
            for (k, t) in set.keys.iter().zip(set.tats.iter()) {
                // A way no key ever took is matched by no caller's hit path
                // (claims hold the flag held here), so it needs no growth.
                let grow = u64::from(k.load(Ordering::Acquire) != EMPTY);
                // Under the claim flag no entry is FROZEN; every entry the
                // last change left is under `old` or already under `gcra`.
                t.measure_and_replace(Order::Publish, |word| {
                    if word & SLOT_BIT == new_bit {
                        return Measured::Keep(());
                    }
                    let tat = word & !SLOT_BIT;
                    let moved = gcra.rescale(&old, tat, now).max(tat + grow).min(TAT_LIMIT - 1);
                    Measured::Replace((), new_bit | moved)
                });
            }
            set.unlock();
        }
        unlock(&self.setting);
        Ok(())
    }

    /// The config in force.
    pub fn config(&self) -> LimiterConfig {
        let slot = slot_of(&self.slots, self.current.load(Ordering::Acquire));
        LimiterConfig {
            rate: slot.rate.load(Ordering::Acquire),
            period_ns: slot.period_ns.load(Ordering::Acquire),
            burst: slot.words[3].load(Ordering::Acquire),
        }
    }

    /// Entries in the table.
    pub fn capacity(&self) -> usize {
        self.sets.as_ref().len() * WAYS
    }

    /// The kernel in force, shared by every key.
    pub fn gcra(&self) -> Gcra {
        slot_of(&self.slots, self.current.load(Ordering::Acquire)).kernel()
    }

    /// Keys whose bucket is not full at `now` (the entries that cannot be reused).
    pub fn live(&self, now: Nanos) -> usize {
        self.sets
            .as_ref()
            .iter()
            .flat_map(|set| set.keys.iter().zip(set.tats.iter()))
            .filter(|(k, t)| {
                let tat = t.load(Ordering::Relaxed);
                k.load(Ordering::Relaxed) != EMPTY && tat != FROZEN && tat & !SLOT_BIT > now
            })
            .count()
    }

    /// Asks for `cost` tokens for `key` at `now`. `key` is a hash of whatever
    /// the host keys on (client address, tenant, path).
    pub fn acquire(&self, key: u64, now: Nanos, cost: u64) -> Decision {
        let key = if key == EMPTY { ZERO_KEY } else { key };
        let Some(set) = self.set_of(key) else {
            return Decision::reject(Reason::TableFull, u64::MAX, 0, 0);
        };
        loop {
            if let Lookup::Done(d) = self.hit(set, key, now, cost) {
                return d;
            }
            set.lock();
            let outcome = self.claim(set, key, now, cost);
            set.unlock();
            if let Some(d) = outcome {
                return d;
            }
        }
    }

    fn set_of(&self, key: u64) -> Option<&KeySet> {
        let sets = self.sets.as_ref();
        sets.get(set_index(key, sets.len()))
    }

    /// The lock-free path: the key already owns a way.
    ///
    /// Its own loop over the word's primitives rather than
    /// [`Word::measure_and_replace`]: an entry that moves away mid-loop sends
    /// the search on to the next way, and the decision goes straight into
    /// the answer. Through `measure_and_replace` this path measured 2-3%
    /// slower (keyed/weir/1000: 13.0 -> 13.3 ns, interleaved runs of both).
    fn hit(&self, set: &KeySet, key: u64, now: Nanos, cost: u64) -> Lookup {
        'ways: for (k, t) in set.keys.iter().zip(set.tats.iter()) {
            // A cheap filter: most ways hold other keys.
            if k.load(Ordering::Relaxed) != key {
                continue;
            }
            // TAT before key: a claimer writes the new key before the new TAT,
            // so a TAT read that is not FROZEN pairs with the key read after it.
            let mut word = t.load_in(Order::Publish);
            if word == FROZEN || k.load(Ordering::Acquire) != key {
                continue;
            }
            loop {
                // The kernel the entry's TAT was written under.
                let gcra = slot_of(&self.slots, word).hot();
                let tat = word & !SLOT_BIT;
                let (next, decision) = gcra.decide(tat, now, cost);
                let seen = if next == tat {
                    // A refusal writes nothing; it stands if the entry did
                    // not move while its kernel was read.
                    let again = t.load_in(Order::Publish);
                    if again == word {
                        return Lookup::Done(decision);
                    }
                    again
                } else {
                    match t.swap_if_in(word, (word & SLOT_BIT) | next, Order::Publish) {
                        Ok(()) => return Lookup::Done(decision),
                        Err(seen) => seen,
                    }
                };
                if seen == FROZEN || k.load(Ordering::Acquire) != key {
                    continue 'ways;
                }
                word = seen;
            }
        }
        Lookup::Absent
    }

    /// The serialised path, run under the set's claim flag: find the key
    /// again (another thread may just have claimed it) or take a free way.
    /// `None` means "look again": the key is present now, or the way it
    /// was about to take came back to life.
    fn claim(&self, set: &KeySet, key: u64, now: Nanos, cost: u64) -> Option<Decision> {
        let mut earliest = u64::MAX;
        let mut free = None;
        for (k, t) in set.keys.iter().zip(set.tats.iter()) {
            let word = t.load(Ordering::Acquire);
            if k.load(Ordering::Acquire) == key {
                return None;
            }
            // Idle is idle under any kernel: `tat <= now`.
            let tat = word & !SLOT_BIT;
            if tat <= now {
                if free.is_none_or(|(_, _, _, oldest)| tat < oldest) {
                    free = Some((k, t, word, tat));
                }
            } else {
                earliest = earliest.min(tat - now);
            }
        }
        let Some((k, t, idle_word, idle_tat)) = free else {
            return Some(Decision::reject(Reason::TableFull, earliest, 0, 0));
        };
        // Changes walk this set under the flag held here, so the kernel in
        // force cannot move under a claim.
        let current = self.current.load(Ordering::Acquire);
        let gcra = slot_of(&self.slots, current).kernel();
        let (next, decision) = gcra.decide(idle_tat, now, cost);
        if next == idle_tat {
            // Nothing to remember (refused, or a zero-cost probe): keep the way free.
            return Some(decision);
        }
        // The freeze fails if the old key spent tokens since we looked; then
        // this way is live again and the scan starts over.
        let frozen = t.measure_and_replace(Order::Publish, |word| match word {
            held if held == idle_word => Measured::Replace(true, FROZEN),
            _ => Measured::Keep(false),
        });
        if !frozen {
            return None;
        }
        k.store(key, Ordering::Release);
        t.store(current | next, Ordering::Release);
        Some(decision)
    }
}
