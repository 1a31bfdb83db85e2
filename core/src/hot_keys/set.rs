use crate::sync::{atomic_u64, AtomicU64, Ordering};
use crate::word::Word;
use core::cell::Cell;

/// Counters per set: a key lives in one of the `WAYS` counters of its set.
pub const WAYS: usize = 16;

/// A counter word is `error:32 | count:32`: the count a key has (an upper
/// bound on its requests) and how much of it may belong to the keys it
/// took the counter from (so `count - error` is a lower bound).
#[inline]
pub(crate) const fn count_of(word: u64) -> u64 {
    word & 0xFFFF_FFFF
}

#[inline]
pub(crate) const fn error_of(word: u64) -> u64 {
    word >> 32
}

#[inline]
const fn pack(count: u64, error: u64) -> u64 {
    (error << 32) | count
}

/// One more request on the counter's own key (saturating).
#[inline]
const fn add_one(word: u64) -> u64 {
    if count_of(word) == 0xFFFF_FFFF {
        word
    } else {
        word + 1
    }
}

/// The counter handed to a new key: Space-Saving's rule, the smallest count
/// plus one, all of the old count being error.
#[inline]
const fn take_over(word: u64) -> u64 {
    let count = count_of(word);
    if count == 0xFFFF_FFFF {
        pack(count, count)
    } else {
        pack(count + 1, count)
    }
}

/// Two counters of one key as one (saturating); an empty one adds nothing.
#[inline]
const fn merge(a: u64, b: u64) -> u64 {
    const fn sum(x: u64, y: u64) -> u64 {
        let s = x + y;
        if s > 0xFFFF_FFFF {
            0xFFFF_FFFF
        } else {
            s
        }
    }
    pack(sum(count_of(a), count_of(b)), sum(error_of(a), error_of(b)))
}

/// Count and error halved `halvings` times.
#[inline]
pub(crate) const fn halve(word: u64, halvings: u64) -> u64 {
    if halvings >= 32 {
        0
    } else {
        pack(count_of(word) >> halvings, error_of(word) >> halvings)
    }
}

/// [`WAYS`] counters with their keys, and the decay period they were last
/// halved in: 280 bytes, over the word store `W` ([`HotSet`] for
/// [`HotKeys`](super::HotKeys), [`PlainHotSet`] for
/// [`PlainHotKeys`](super::PlainHotKeys)).
#[derive(Debug)]
pub struct HotSetOf<W> {
    keys: [W; WAYS],
    counts: [W; WAYS],
    /// The top byte of each way's key, eight to a word: a lookup reads two
    /// words instead of sixteen keys, and confirms a match on the key.
    tags: [W; WAYS / 8],
    period: W,
}

/// A set of atomic words, for many threads.
pub type HotSet = HotSetOf<AtomicU64>;

/// A set of plain words, for one thread.
pub type PlainHotSet = HotSetOf<Cell<u64>>;

impl HotSetOf<AtomicU64> {
    /// An empty set.
    pub fn new() -> Self {
        Self {
            keys: core::array::from_fn(|_| atomic_u64(0)),
            counts: core::array::from_fn(|_| atomic_u64(0)),
            tags: core::array::from_fn(|_| atomic_u64(0)),
            period: atomic_u64(0),
        }
    }

    /// `N` empty sets: storage for `N * WAYS` counters.
    pub fn array<const N: usize>() -> [Self; N] {
        core::array::from_fn(|_| Self::new())
    }
}

impl Default for HotSetOf<AtomicU64> {
    fn default() -> Self {
        Self::new()
    }
}

impl HotSetOf<Cell<u64>> {
    /// An empty set.
    pub fn new() -> Self {
        Self {
            keys: core::array::from_fn(|_| Cell::new(0)),
            counts: core::array::from_fn(|_| Cell::new(0)),
            tags: core::array::from_fn(|_| Cell::new(0)),
            period: Cell::new(0),
        }
    }

    /// `N` empty sets: storage for `N * WAYS` counters.
    pub fn array<const N: usize>() -> [Self; N] {
        core::array::from_fn(|_| Self::new())
    }
}

impl Default for HotSetOf<Cell<u64>> {
    fn default() -> Self {
        Self::new()
    }
}

/// A counter word that takes one more request of its own key.
pub(crate) trait Counter: Word {
    /// [`add_one`] on the word.
    fn add_one(&self);
}

/// Below this count an atomic add cannot reach saturation: a thread would
/// have to stall between its check and its add through 2^31 requests of
/// its key (the argument `Arc`'s reference count makes).
const FAR_FROM_SATURATION: u64 = 1 << 31;

impl Counter for AtomicU64 {
    #[inline]
    fn add_one(&self) {
        // One locked add, which does not wait on the load the way a
        // compare-exchange waits for the value it compares; the loop that
        // stops at 2^32 - 1 only near there.
        if count_of(self.get()) < FAR_FROM_SATURATION {
            self.fetch_add(1, Ordering::AcqRel);
        } else {
            Word::update(self, add_one);
        }
    }
}

impl Counter for Cell<u64> {
    #[inline]
    fn add_one(&self) {
        Word::update(self, add_one);
    }
}

/// Halves every counter once per decay period passed since the set was
/// last halved. One caller wins the move of the period word and halves;
/// a record racing it may be halved with the rest.
#[inline]
pub(crate) fn decay<W: Word>(set: &HotSetOf<W>, period: u64) {
    let held = set.period.get();
    if held < period {
        halve_all(set, held, period);
    }
}

/// Kept out of line: once per set and period, it would otherwise widen
/// every record's code by sixteen compare-exchange loops.
#[cold]
#[inline(never)]
fn halve_all<W: Word>(set: &HotSetOf<W>, held: u64, period: u64) {
    if set.period.swap_if(held, period).is_err() {
        return;
    }
    for counter in &set.counts {
        counter.update(|w| halve(w, period - held));
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;

/// The high bit of every zero byte of `x` (and maybe of a byte above one:
/// a borrow can flag it, so a match is confirmed on the key).
#[inline]
const fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(ONES) & !x & (ONES << 7)
}

/// Counts one request of `key`: its own counter if it has one, else the
/// set's smallest counter, taken over.
#[inline]
pub(crate) fn record<W: Counter>(set: &HotSetOf<W>, key: u64) {
    if !add_if_held(set, key) {
        record_new(set, key);
    }
}

/// Adds one to `key`'s counter if the set holds it.
#[inline]
fn add_if_held<W: Counter>(set: &HotSetOf<W>, key: u64) -> bool {
    let wanted = (key >> 56).wrapping_mul(ONES);
    let [low, high] = &set.tags;
    // The ways whose tag byte matches, all sixteen in one mask in way order
    // (one branch on "any?" where a word at a time took two), then the
    // first of them that holds the key.
    let mut maybe = (u128::from(zero_bytes(high.get() ^ wanted)) << 64) | u128::from(zero_bytes(low.get() ^ wanted));
    while maybe != 0 {
        // `% WAYS` changes nothing (a set bit is below 128) and lets the
        // compiler drop the bounds checks.
        let way = (maybe.trailing_zeros() / 8) as usize % WAYS;
        if let (Some(slot), Some(counter)) = (set.keys.get(way), set.counts.get(way)) {
            if slot.get() == key {
                counter.add_one();
                return true;
            }
        }
        maybe &= maybe - 1;
    }
    false
}

/// A key the set did not hold: takes over the smallest counter, or, when a
/// racing request moved it first, looks again (the key may be placed by
/// now). Out of line: a miss's code would otherwise weigh on every hit's
/// registers.
#[inline(never)]
fn record_new<W: Counter>(set: &HotSetOf<W>, key: u64) {
    while !take_smallest(set, key) {
        if add_if_held(set, key) {
            return;
        }
    }
}

/// Hands the set's smallest counter (the first of equal counts) to `key`;
/// false when a racing request moved that counter first.
#[inline]
fn take_smallest<W: Word>(set: &HotSetOf<W>, key: u64) -> bool {
    // Each counter as its count above its way: the smallest is the least
    // count, and the first way among equal ones. A tree of minimums, four
    // deep where a chain of fifteen was the longest path of a take-over,
    // taken in groups of four so few values are live at once.
    let rank = |way: usize| (set.counts.get(way).map_or(u64::MAX, Word::get) << 32) | way as u64;
    let four = |way: usize| rank(way).min(rank(way + 1)).min(rank(way + 2).min(rank(way + 3)));
    let smallest = four(0).min(four(4)).min(four(8).min(four(12)));
    let way = (smallest % WAYS as u64) as usize;
    let (Some(counter), Some(slot), Some(tags)) = (set.counts.get(way), set.keys.get(way), set.tags.get(way / 8))
    else {
        return true;
    };
    // The compare-exchange orders racing take-overs of one counter. It acts
    // only on a counter whose count is still the one ranked: a take-over or
    // a hit that got there first moved it, and sends the caller to look
    // again rather than charge its key with the winner's count as error.
    let word = counter.get();
    if count_of(word) != smallest >> 32 || counter.swap_if(word, take_over(word)).is_err() {
        return false;
    }
    slot.set(key);
    let shift = (way % 8) * 8;
    tags.update(|t| (t & !(0xFF << shift)) | ((key >> 56) << shift));
    true
}

/// The set's `(key, counter word)` pairs as of `period` (halvings not
/// yet applied are applied to the copy), a key held twice (two racing
/// first requests) merged into one, empty counters as 0.
pub(crate) fn read<W: Word>(set: &HotSetOf<W>, period: u64) -> [(u64, u64); WAYS] {
    let held = set.period.get();
    let pending = period.saturating_sub(held);
    let mut out = [(0u64, 0u64); WAYS];
    for (i, (key, counter)) in set.keys.iter().zip(&set.counts).enumerate() {
        let word = halve(counter.get(), pending);
        let (key, word) = (key.get(), if count_of(word) == 0 { 0 } else { word });
        let twin = if word == 0 { None } else { out.iter().take(i).position(|(k, w)| *k == key && *w != 0) };
        let target = twin.unwrap_or(i);
        if let Some(slot) = out.get_mut(target) {
            *slot = (key, merge(slot.1, word));
        }
    }
    out
}
