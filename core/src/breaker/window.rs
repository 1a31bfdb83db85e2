//! The closed breaker's sliding window over fixed storage of
//! [`WINDOW_WORDS`] words, either kind:
//!
//! - count: one bit per remembered call for "failed" (words `0..128`) and
//!   one for "slow" (words `128..256`); the slot a call takes comes from the
//!   state word's `head`, and the counts are population counts.
//! - time: two words per bucket, `VALID | seq:23 | calls:40` and
//!   `VALID | seq:23 | failed:20 | slow:20`. A bucket's number tells a stale
//!   word from a current one, so nothing has to sweep old buckets. Failed and
//!   slow counts stop at 2^20 - 1 per bucket: past a million calls in one
//!   bucket a saturated count can only keep the breaker closed, never open it.
//!
//! The window is emptied when the breaker enters half-open, by the caller
//! that takes the first probe: nothing writes the window until the breaker
//! closes, and it cannot close before that caller's own probe reports.

use super::config::{BreakerKernel, WindowKind};
use crate::word::Word;
use crate::Nanos;

/// Words of storage every breaker carries (2 KiB as `u64`s).
pub const WINDOW_WORDS: usize = 256;
/// Most calls a count window remembers.
pub const MAX_WINDOW_CALLS: u64 = (WINDOW_WORDS as u64 / 2) * 64;
/// Most buckets a time window has.
pub const MAX_BUCKETS: u64 = WINDOW_WORDS as u64 / 2;

const SLOW_BITS: usize = WINDOW_WORDS / 2;
const VALID: u64 = 1 << 63;
const SEQ_SHIFT: u32 = 40;
const SEQ_MASK: u64 = (1 << 23) - 1;
const CALLS_MASK: u64 = (1 << 40) - 1;
const MARK_MAX: u64 = (1 << 20) - 1;

/// The window's totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    pub calls: u64,
    pub failures: u64,
    pub slow: u64,
}

#[inline]
fn seq_of(word: u64) -> u64 {
    (word >> SEQ_SHIFT) & SEQ_MASK
}

/// How many buckets `seq` lies behind `current`, modulo the 23-bit numbering.
#[inline]
fn age(current: u64, seq: u64) -> u64 {
    current.wrapping_sub(seq) & SEQ_MASK
}

/// Adds `add` to the bucket `seq` held by `word`, starting the bucket afresh
/// when the word holds an older one. A word holding a newer bucket (the
/// caller's clock is behind) takes the count, rather than lose it.
#[inline]
fn bump(word: u64, seq: u64, buckets: u64, add: impl Fn(u64) -> u64) -> u64 {
    let held = seq_of(word);
    let current = word & VALID != 0 && (held == seq || age(held, seq) < buckets);
    let (seq, body) = if current { (held, word & CALLS_MASK) } else { (seq, 0) };
    VALID | (seq << SEQ_SHIFT) | (add(body) & CALLS_MASK)
}

fn add_call(body: u64) -> u64 {
    (body + 1).min(CALLS_MASK)
}

fn add_marks(failed: bool, slow: bool) -> impl Fn(u64) -> u64 {
    move |body| {
        let f = ((body >> 20) + u64::from(failed)).min(MARK_MAX);
        let s = ((body & MARK_MAX) + u64::from(slow)).min(MARK_MAX);
        (f << 20) | s
    }
}

/// Writes one outcome. `slot` is the count window's slot from the state word.
#[inline]
pub(crate) fn record<W: Word>(
    k: &BreakerKernel,
    words: &[W; WINDOW_WORDS],
    now: Nanos,
    slot: u64,
    failed: bool,
    slow: bool,
) {
    match k.window {
        WindowKind::Count => {
            let (index, bit) = ((slot / 64) as usize, 1u64 << (slot % 64));
            let set = |on: bool| move |w: u64| if on { w | bit } else { w & !bit };
            if let Some(w) = words.get(index) {
                w.update(set(failed));
            }
            if let Some(w) = words.get(SLOW_BITS + index) {
                w.update(set(slow));
            }
        }
        WindowKind::Time => {
            let n = k.bucket.div(now);
            let (seq, index) = (n & SEQ_MASK, (n - k.buckets.div(n) * k.buckets.get()) as usize);
            let buckets = k.buckets.get();
            if let Some(w) = words.get(2 * index) {
                w.update(|held| bump(held, seq, buckets, add_call));
            }
            if let Some(w) = words.get(2 * index + 1) {
                w.update(|held| bump(held, seq, buckets, add_marks(failed, slow)));
            }
        }
    }
}

/// The window's totals at `now`; `filled` is the count window's number of
/// slots holding a call (from the state word).
#[inline]
pub(crate) fn tally<W: Word>(k: &BreakerKernel, words: &[W; WINDOW_WORDS], now: Nanos, filled: u64) -> Tally {
    match k.window {
        WindowKind::Count => {
            let used = k.window_calls.div_ceil(64) as usize;
            let ones =
                |from: usize| words.iter().skip(from).take(used).map(|w| u64::from(w.get().count_ones())).sum::<u64>();
            Tally { calls: filled, failures: ones(0), slow: ones(SLOW_BITS) }
        }
        WindowKind::Time => {
            let seq = k.bucket.div(now) & SEQ_MASK;
            let buckets = k.buckets.get();
            let live = |w: u64| w & VALID != 0 && age(seq, seq_of(w)) < buckets;
            let mut t = Tally::default();
            for pair in words.chunks_exact(2).take(buckets as usize) {
                if let [calls, marks] = pair {
                    let (c, m) = (calls.get(), marks.get());
                    if live(c) {
                        t.calls += c & CALLS_MASK;
                    }
                    if live(m) {
                        t.failures += (m >> 20) & MARK_MAX;
                        t.slow += m & MARK_MAX;
                    }
                }
            }
            t
        }
    }
}

/// Empties the part of the storage the window uses.
pub(crate) fn clear<W: Word>(k: &BreakerKernel, words: &[W; WINDOW_WORDS]) {
    let (runs, used) = match k.window {
        WindowKind::Count => ([0, SLOW_BITS], k.window_calls.div_ceil(64) as usize),
        WindowKind::Time => ([0, 0], 2 * k.buckets.get() as usize),
    };
    let second = if runs[1] == runs[0] { 0 } else { used };
    for w in words.iter().skip(runs[0]).take(used).chain(words.iter().skip(runs[1]).take(second)) {
        w.set(0);
    }
}
