use crate::sync::{atomic_u64, AtomicU64};
use crate::word::Word;
use core::cell::Cell;

/// Counters per set: a key lives in one of the `WAYS` counters of its set.
pub const WAYS: usize = 16;
const WAY_BITS: u32 = WAYS.trailing_zeros();

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

/// Halves every counter once per decay period passed since the set was
/// last halved. One caller wins the move of the period word and halves;
/// a record racing it may be halved with the rest.
#[inline]
pub(crate) fn decay<W: Word>(set: &HotSetOf<W>, period: u64) {
    let held = set.period.get();
    if held >= period || set.period.swap_if(held, period).is_err() {
        return;
    }
    for counter in &set.counts {
        counter.update(|w| halve(w, period - held));
    }
}

/// Counts one request of `key`: its own counter if it has one, else the
/// set's smallest counter, taken over.
#[inline]
pub(crate) fn record<W: Word>(set: &HotSetOf<W>, key: u64) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let wanted = (key >> 56).wrapping_mul(ONES);
    loop {
        // Ways whose tag byte matches (a zero byte of `tags ^ wanted`; the
        // test may flag a few extra ways, never miss one), then the first
        // of them that holds the key.
        let mut hit = None;
        'tags: for (t, tags) in set.tags.iter().enumerate() {
            let x = tags.get() ^ wanted;
            let mut maybe = x.wrapping_sub(ONES) & !x & (ONES << 7);
            while maybe != 0 {
                let way = t * 8 + (maybe.trailing_zeros() / 8) as usize;
                if set.keys.get(way).is_some_and(|k| k.get() == key) {
                    hit = set.counts.get(way);
                    break 'tags;
                }
                maybe &= maybe - 1;
            }
        }
        if let Some(counter) = hit {
            counter.update(add_one);
            return;
        }
        // The smallest count with its way in the low bits, so the first of
        // equal counts wins.
        let mut smallest = u64::MAX;
        let mut seen = [0u64; WAYS];
        for (i, (counter, word)) in set.counts.iter().zip(seen.iter_mut()).enumerate() {
            *word = counter.get();
            smallest = smallest.min((count_of(*word) << WAY_BITS) | i as u64);
        }
        let way = (smallest & (WAYS as u64 - 1)) as usize;
        let (Some(counter), Some(slot), Some(tags)) = (set.counts.get(way), set.keys.get(way), set.tags.get(way / 8))
        else {
            return;
        };
        // The compare-exchange, on the counter as the scan saw it, orders
        // racing take-overs of one counter: a loser (or a take-over whose
        // counter moved since) looks again, and its key may be placed by now.
        let word = seen.get(way).copied().unwrap_or(0);
        if counter.swap_if(word, take_over(word)).is_ok() {
            slot.set(key);
            let shift = (way % 8) * 8;
            tags.update(|t| (t & !(0xFF << shift)) | ((key >> 56) << shift));
            return;
        }
    }
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
