use super::set::{self, count_of, error_of, Counter, HotSet, HotSetOf, PlainHotSet, WAYS};
use crate::divide::Divisor;
use crate::error::check;
use crate::limiter::set_index;
use crate::sync::AtomicU64;
use crate::{ConfigError, Nanos, Value, MILLISECOND, SECOND};
use core::cell::Cell;
use core::marker::PhantomData;

/// Hot-key detector settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HotKeysConfig {
    /// Every count and error is halved at each multiple of this on the `now`
    /// clock, so a key that stops coming fades by half per period (a key
    /// silent for 32 periods is gone). At least 1 ms; `u64::MAX` never
    /// halves.
    pub half_life_ns: Nanos,
}

impl Default for HotKeysConfig {
    fn default() -> Self {
        Self { half_life_ns: 10 * SECOND }
    }
}

/// A key and its count: it had at most `count` requests (decayed) and at
/// least `count - error`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HotKey {
    /// The key, as given to `record`.
    pub key: u64,
    /// Upper bound on its decayed request count.
    pub count: u64,
    /// How much of `count` may belong to other keys.
    pub error: u64,
}

impl HotKey {
    /// The requests it surely had: `count - error`.
    pub const fn guaranteed(&self) -> u64 {
        self.count.saturating_sub(self.error)
    }

    /// Whether `self` ranks before `other`: more guaranteed requests first,
    /// then the larger count, then the smaller key, so every runtime lists
    /// ties in one order. Ranking by the guarantee keeps out counters that
    /// only churned through the long tail (a large count, nearly all error).
    #[inline]
    const fn before(&self, other: &HotKey) -> bool {
        let (mine, theirs) = (self.guaranteed(), other.guaranteed());
        mine > theirs
            || (mine == theirs && (self.count > other.count || (self.count == other.count && self.key < other.key)))
    }
}

/// The validated config over a table of sets.
#[derive(Debug)]
struct Table<W, S> {
    half_life: Divisor,
    sets: S,
    words: PhantomData<W>,
}

/// Puts `candidate` into `out[..*len]`, kept sorted by [`HotKey::before`]
/// and at most `out.len()` long.
fn insert(out: &mut [HotKey], len: &mut usize, candidate: HotKey) {
    let full = *len == out.len();
    if full && out.last().is_none_or(|last| !candidate.before(last)) {
        return;
    }
    let at = out.iter().take(*len).position(|k| candidate.before(k)).unwrap_or(*len);
    let end = if full { *len - 1 } else { *len };
    if let Some(tail) = out.get_mut(at..=end) {
        tail.rotate_right(1);
        if let Some(first) = tail.first_mut() {
            *first = candidate;
        }
    }
    if !full {
        *len += 1;
    }
}

impl<W: Counter, S: AsRef<[HotSetOf<W>]>> Table<W, S> {
    fn new(config: HotKeysConfig, sets: S) -> Result<Self, ConfigError> {
        let half_life = check::at_least("half_life_ns", ">= 1 ms", config.half_life_ns, MILLISECOND)?;
        let count = sets.as_ref().len();
        if count == 0 {
            return Err(ConfigError::new("capacity", ">= 16 (one set)", Value::Unsigned(0)));
        }
        Ok(Self { half_life: Divisor::new(half_life), sets, words: PhantomData })
    }

    #[inline]
    fn set(&self, key: u64) -> Option<&HotSetOf<W>> {
        let sets = self.sets.as_ref();
        sets.get(set_index(key, sets.len()))
    }

    #[inline]
    fn record(&self, now: Nanos, key: u64) {
        if let Some(s) = self.set(key) {
            set::decay(s, self.half_life.div(now));
            set::record(s, key);
        }
    }

    fn top(&self, now: Nanos, out: &mut [HotKey]) -> usize {
        let period = self.half_life.div(now);
        let mut len = 0;
        for s in self.sets.as_ref() {
            for (key, word) in set::read(s, period) {
                if word != 0 {
                    insert(out, &mut len, HotKey { key, count: count_of(word), error: error_of(word) });
                }
            }
        }
        len
    }

    fn estimate(&self, now: Nanos, key: u64) -> HotKey {
        let Some(s) = self.set(key) else { return HotKey { key, count: 0, error: 0 } };
        let ways = set::read(s, self.half_life.div(now));
        if let Some((_, word)) = ways.iter().find(|(k, w)| *k == key && *w != 0) {
            return HotKey { key, count: count_of(*word), error: error_of(*word) };
        }
        // Unseen or pushed out: it has at most what the smallest counter
        // holds (every key pushed out had the smallest count when it went).
        let full = ways.iter().all(|(_, w)| *w != 0);
        let least = if full { ways.iter().map(|(_, w)| count_of(*w)).min().unwrap_or(0) } else { 0 };
        HotKey { key, count: least, error: least }
    }

    fn total(&self, now: Nanos) -> u64 {
        let period = self.half_life.div(now);
        self.sets
            .as_ref()
            .iter()
            .flat_map(|s| set::read(s, period))
            .fold(0u64, |acc, (_, w)| acc.saturating_add(count_of(w)))
    }

    fn capacity(&self) -> usize {
        self.sets.as_ref().len() * WAYS
    }
}

/// The hot-key detector for many threads: a request is a few loads and one
/// compare-exchange on its set, lock-free. Storage is `[HotSet; N]` for
/// `N * 16` counters fixed at compile time, or any slice of sets.
#[derive(Debug)]
pub struct HotKeys<S = [HotSet; 64]> {
    table: Table<AtomicU64, S>,
}

impl<const SETS: usize> HotKeys<[HotSet; SETS]> {
    /// A detector of `SETS * 16` counters held inline.
    pub fn new(config: HotKeysConfig) -> Result<Self, ConfigError> {
        Self::with_storage(config, HotSet::array())
    }
}

impl<S: AsRef<[HotSet]>> HotKeys<S> {
    /// A detector over caller-provided sets (at least one).
    pub fn with_storage(config: HotKeysConfig, sets: S) -> Result<Self, ConfigError> {
        Ok(Self { table: Table::new(config, sets)? })
    }

    /// Counts one request for `key` (a hash: keys spread over the sets by
    /// it) at `now`.
    #[inline]
    pub fn record(&self, now: Nanos, key: u64) {
        self.table.record(now, key);
    }

    /// Fills `out` with the keys that surely had the most requests at `now`
    /// (largest `count - error` first; then the larger count, then the
    /// smaller key) and returns how many it wrote.
    pub fn top(&self, now: Nanos, out: &mut [HotKey]) -> usize {
        self.table.top(now, out)
    }

    /// The count of one key at `now`; for a key without a counter, the
    /// smallest count of its set, all of it error (at most that, at least 0).
    pub fn estimate(&self, now: Nanos, key: u64) -> HotKey {
        self.table.estimate(now, key)
    }

    /// The sum of every count at `now`: the requests recorded, decayed (and
    /// short of them only where a counter saturated at `2^32 - 1`).
    pub fn total(&self, now: Nanos) -> u64 {
        self.table.total(now)
    }

    /// Counters in the table.
    pub fn capacity(&self) -> usize {
        self.table.capacity()
    }
}

/// The same detector for one thread: plain words, the same code.
#[derive(Debug)]
pub struct PlainHotKeys<S = [PlainHotSet; 64]> {
    table: Table<Cell<u64>, S>,
}

impl<const SETS: usize> PlainHotKeys<[PlainHotSet; SETS]> {
    /// A detector of `SETS * 16` counters held inline.
    pub fn new(config: HotKeysConfig) -> Result<Self, ConfigError> {
        Self::with_storage(config, PlainHotSet::array())
    }
}

impl<S: AsRef<[PlainHotSet]>> PlainHotKeys<S> {
    /// As [`HotKeys::with_storage`].
    pub fn with_storage(config: HotKeysConfig, sets: S) -> Result<Self, ConfigError> {
        Ok(Self { table: Table::new(config, sets)? })
    }

    /// As [`HotKeys::record`].
    #[inline]
    pub fn record(&mut self, now: Nanos, key: u64) {
        self.table.record(now, key);
    }

    /// As [`HotKeys::top`].
    pub fn top(&self, now: Nanos, out: &mut [HotKey]) -> usize {
        self.table.top(now, out)
    }

    /// As [`HotKeys::estimate`].
    pub fn estimate(&self, now: Nanos, key: u64) -> HotKey {
        self.table.estimate(now, key)
    }

    /// As [`HotKeys::total`].
    pub fn total(&self, now: Nanos) -> u64 {
        self.table.total(now)
    }

    /// Counters in the table.
    pub fn capacity(&self) -> usize {
        self.table.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_keeps_the_largest_in_order() {
        let mut out = [HotKey::default(); 3];
        let mut len = 0;
        for (key, count) in [(1, 5), (2, 9), (3, 1), (4, 7), (5, 9), (6, 2)] {
            insert(&mut out, &mut len, HotKey { key, count, error: 0 });
        }
        insert(&mut out, &mut len, HotKey { key: 7, count: 50, error: 45 });
        assert_eq!(len, 3);
        assert_eq!(out.map(|k| (k.key, k.count)), [(2, 9), (5, 9), (4, 7)]);
        let mut none: [HotKey; 0] = [];
        insert(&mut none, &mut 0, HotKey { key: 1, count: 1, error: 0 });
    }
}
