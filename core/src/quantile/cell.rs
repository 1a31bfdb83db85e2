use super::config::{QuantileConfig, QuantileKernel};
use super::histogram::{clamped_bucket, Histogram, DEFAULT_ROWS, SUB_BUCKETS, SUB_BUCKET_BITS};
use crate::sync::AtomicU64;
use crate::word::Word;
use crate::{ConfigError, Nanos, Value};
use core::cell::Cell;

/// A bucket word is `tag:28 | count:36`: the tag is the low 28 bits of the
/// sub-window the count belongs to, so a word left from an older lap of the
/// ring reads as empty and is reset by the next write to it. No sub-window
/// is ever cleared in one sweep: each bucket forgets on its own.
const COUNT_BITS: u32 = 36;
const COUNT_MAX: u64 = (1 << COUNT_BITS) - 1;
const TAG_MASK: u64 = (1 << 28) - 1;

#[inline]
const fn pack(tag: u64, count: u64) -> u64 {
    (tag << COUNT_BITS) | count
}

#[inline]
const fn tag_of(word: u64) -> u64 {
    word >> COUNT_BITS
}

/// The word after adding `n` samples of sub-window `tag`. A word holding a
/// newer sub-window (the caller's clock is behind) takes the samples into
/// that one, as the shared rolling window does; an older one starts over.
#[inline]
const fn bump(word: u64, tag: u64, n: u64) -> u64 {
    let held = tag_of(word);
    let ahead = held.wrapping_sub(tag) & TAG_MASK;
    let (tag, base) = if ahead < 1 << 27 { (held, word & COUNT_MAX) } else { (tag, 0) };
    let sum = base + n;
    pack(tag, if sum > COUNT_MAX { COUNT_MAX } else { sum })
}

/// The estimator's algorithm over any [`Word`] store.
#[derive(Debug)]
struct Core<W: Word, const SLOTS: usize, const ROWS: usize> {
    kernel: QuantileKernel,
    words: [[[W; SUB_BUCKETS]; ROWS]; SLOTS],
}

impl<W: Word, const SLOTS: usize, const ROWS: usize> Core<W, SLOTS, ROWS> {
    const GEOMETRY: () = assert!(SLOTS >= 1 && ROWS >= 1, "an estimator needs a slot and a row");

    fn new(config: QuantileConfig) -> Result<Self, ConfigError> {
        let () = Self::GEOMETRY;
        Ok(Self {
            kernel: QuantileKernel::new(config, SLOTS)?,
            words: core::array::from_fn(|_| core::array::from_fn(|_| core::array::from_fn(|_| W::new(0)))),
        })
    }

    #[inline]
    fn word(&self, slot: usize, index: usize) -> Option<&W> {
        self.words.get(slot)?.get(index >> SUB_BUCKET_BITS)?.get(index & (SUB_BUCKETS - 1))
    }

    #[inline]
    fn record_n(&self, now: Nanos, value: u64, n: u64) {
        let epoch = self.kernel.epoch(now);
        let tag = epoch & TAG_MASK;
        if let Some(word) = self.word(self.kernel.slot(epoch), clamped_bucket(value, ROWS)) {
            word.update(|w| bump(w, tag, n));
        }
    }

    /// Calls `f(bucket, count)` for every bucket word of the window ending
    /// at `now` that holds a count of its sub-window.
    fn each_in_window(&self, now: Nanos, mut f: impl FnMut(usize, u64, u64)) {
        let current = self.kernel.epoch(now);
        for age in 0..self.kernel.sub_windows().min(current.saturating_add(1)) {
            let epoch = current - age;
            let tag = epoch & TAG_MASK;
            let Some(slot) = self.words.get(self.kernel.slot(epoch)) else { continue };
            for (index, word) in slot.iter().flatten().enumerate() {
                let w = word.get();
                if tag_of(w) == tag && w & COUNT_MAX > 0 {
                    f(index, epoch, w & COUNT_MAX);
                }
            }
        }
    }

    fn snapshot(&self, now: Nanos) -> Histogram<ROWS> {
        let mut h = Histogram::new();
        self.each_in_window(now, |index, _, count| h.add_at(index, count));
        h
    }

    fn count(&self, now: Nanos) -> u64 {
        let mut n = 0u64;
        self.each_in_window(now, |_, _, count| n = n.saturating_add(count));
        n
    }

    fn merge<V: Word>(&self, other: &Core<V, SLOTS, ROWS>, now: Nanos) -> Result<(), ConfigError> {
        if other.kernel != self.kernel {
            let theirs = other.kernel.config();
            let (field, got) = if theirs.sub_windows != self.kernel.config().sub_windows {
                ("sub_windows", theirs.sub_windows)
            } else {
                ("window_ns", theirs.window_ns)
            };
            return Err(ConfigError::new(field, "the same in both estimators of a merge", Value::Unsigned(got)));
        }
        other.each_in_window(now, |index, epoch, count| {
            let tag = epoch & TAG_MASK;
            if let Some(word) = self.word(self.kernel.slot(epoch), index) {
                word.update(|w| bump(w, tag, count));
            }
        });
        Ok(())
    }
}

/// A windowed latency-quantile estimator for many threads: every record is
/// one compare-exchange on one bucket word, lock-free.
///
/// `SLOTS` is the most sub-windows a config may ask for; `ROWS` the range
/// (38: exact to 63, then 32 buckets per power of two up to `2^42` ns).
/// Memory: `SLOTS * ROWS * 32` words (38 KiB by default).
#[derive(Debug)]
pub struct AtomicQuantiles<const SLOTS: usize = 4, const ROWS: usize = DEFAULT_ROWS> {
    core: Core<AtomicU64, SLOTS, ROWS>,
}

impl<const SLOTS: usize, const ROWS: usize> AtomicQuantiles<SLOTS, ROWS> {
    /// An empty estimator.
    pub fn new(config: QuantileConfig) -> Result<Self, ConfigError> {
        Ok(Self { core: Core::new(config)? })
    }

    /// Counts one sample of `value` (nanoseconds, or any unit) at `now`.
    #[inline]
    pub fn record(&self, now: Nanos, value: u64) {
        self.core.record_n(now, value, 1);
    }

    /// Counts `n` samples of `value` at `now`.
    #[inline]
    pub fn record_n(&self, now: Nanos, value: u64, n: u64) {
        self.core.record_n(now, value, n);
    }

    /// The `q`-quantile of the window ending at `now` (see
    /// [`Histogram::quantile`]); `None` when the window is empty. Reads every
    /// bucket of the window: for many quantiles at once, take a
    /// [`snapshot`](Self::snapshot).
    pub fn quantile(&self, q: f64, now: Nanos) -> Option<u64> {
        self.core.snapshot(now).quantile(q)
    }

    /// Samples in the window ending at `now`.
    pub fn count(&self, now: Nanos) -> u64 {
        self.core.count(now)
    }

    /// The window ending at `now` as one histogram, for metrics.
    pub fn snapshot(&self, now: Nanos) -> Histogram<ROWS> {
        self.core.snapshot(now)
    }

    /// Adds the window of `other` ending at `now` into this estimator, each
    /// sub-window into the same sub-window. Both must have the same config.
    pub fn merge(&self, other: &Self, now: Nanos) -> Result<(), ConfigError> {
        self.core.merge(&other.core, now)
    }

    /// The validated window.
    pub const fn kernel(&self) -> &QuantileKernel {
        &self.core.kernel
    }
}

/// The same estimator for one thread: plain words, the same code.
#[derive(Debug)]
pub struct Quantiles<const SLOTS: usize = 4, const ROWS: usize = DEFAULT_ROWS> {
    core: Core<Cell<u64>, SLOTS, ROWS>,
}

impl<const SLOTS: usize, const ROWS: usize> Quantiles<SLOTS, ROWS> {
    /// An empty estimator.
    pub fn new(config: QuantileConfig) -> Result<Self, ConfigError> {
        Ok(Self { core: Core::new(config)? })
    }

    /// As [`AtomicQuantiles::record`].
    #[inline]
    pub fn record(&mut self, now: Nanos, value: u64) {
        self.core.record_n(now, value, 1);
    }

    /// As [`AtomicQuantiles::record_n`].
    #[inline]
    pub fn record_n(&mut self, now: Nanos, value: u64, n: u64) {
        self.core.record_n(now, value, n);
    }

    /// As [`AtomicQuantiles::quantile`].
    pub fn quantile(&self, q: f64, now: Nanos) -> Option<u64> {
        self.core.snapshot(now).quantile(q)
    }

    /// As [`AtomicQuantiles::count`].
    pub fn count(&self, now: Nanos) -> u64 {
        self.core.count(now)
    }

    /// As [`AtomicQuantiles::snapshot`].
    pub fn snapshot(&self, now: Nanos) -> Histogram<ROWS> {
        self.core.snapshot(now)
    }

    /// As [`AtomicQuantiles::merge`].
    pub fn merge(&mut self, other: &Self, now: Nanos) -> Result<(), ConfigError> {
        self.core.merge(&other.core, now)
    }

    /// The validated window.
    pub const fn kernel(&self) -> &QuantileKernel {
        &self.core.kernel
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bump_counts_resets_and_follows_a_newer_tag() {
        assert_eq!(bump(pack(5, 3), 5, 1), pack(5, 4));
        assert_eq!(bump(pack(1, 3), 5, 1), pack(5, 1), "an older lap starts over");
        assert_eq!(bump(pack(9, 3), 5, 1), pack(9, 4), "a late write joins the newer sub-window");
        assert_eq!(bump(pack(2, COUNT_MAX), 2, 7), pack(2, COUNT_MAX), "saturates");
        assert_eq!(bump(pack(0, 3), TAG_MASK, 1), pack(0, 4), "tags wrap");
    }
}
