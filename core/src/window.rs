//! A rolling window of time buckets, each one packed into a `u64`, shared by
//! the shedder (passes, min RT) and the throttle (requests, accepts).
//!
//! A bucket word is `seq:24 | a:20 | b:20`. `seq` is the bucket's number
//! (`now / bucket_ns`) modulo 2^24, so a stale bucket is recognised by its
//! number and reset lazily by whoever writes it next; no clean-up timer. The
//! two 20-bit counters saturate at [`COUNTER_MAX`].

use crate::divide::Divisor;
use crate::sync::{atomic_u64, AtomicU64, Ordering};
use crate::word::{Measured, Order, Word};
use crate::Nanos;

/// Largest number of buckets a window may have.
pub const MAX_BUCKETS: usize = 128;
/// Largest value of a bucket counter.
pub const COUNTER_MAX: u64 = (1 << 20) - 1;
const SEQ_MASK: u64 = (1 << 24) - 1;

/// One unpacked bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    /// First counter (passes, requests).
    pub a: u64,
    /// Second counter (min RT, accepts).
    pub b: u64,
}

#[inline]
const fn pack(seq: u64, bucket: Bucket) -> u64 {
    ((seq & SEQ_MASK) << 40) | ((bucket.a & COUNTER_MAX) << 20) | (bucket.b & COUNTER_MAX)
}

#[inline]
const fn unpack(word: u64) -> (u64, Bucket) {
    (word >> 40, Bucket { a: (word >> 20) & COUNTER_MAX, b: word & COUNTER_MAX })
}

/// How many buckets `seq` is behind `current`, modulo the 24-bit numbering.
#[inline]
const fn age(current: u64, seq: u64) -> u64 {
    current.wrapping_sub(seq) & SEQ_MASK
}

/// Bucket geometry, validated by the owning primitive's config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    bucket: Divisor,
    buckets: Divisor,
}

impl Geometry {
    /// `buckets` buckets of `bucket_ns` each; both at least 1.
    pub(crate) const fn new(bucket_ns: Nanos, buckets: u64) -> Self {
        Self { bucket: Divisor::new(bucket_ns), buckets: Divisor::new(buckets) }
    }

    /// Nanoseconds per bucket.
    pub const fn bucket_ns(&self) -> Nanos {
        self.bucket.get()
    }

    /// Buckets in the window.
    pub const fn buckets(&self) -> u64 {
        self.buckets.get()
    }

    /// The 24-bit number of the bucket `now` falls in.
    #[inline]
    pub const fn seq(&self, now: Nanos) -> u64 {
        self.bucket.div(now) & SEQ_MASK
    }

    /// The slot of the bucket `now` falls in.
    #[inline]
    const fn index(&self, now: Nanos) -> usize {
        let n = self.bucket.div(now);
        (n - self.buckets.div(n) * self.buckets.get()) as usize
    }
}

/// The buckets, as atomics. Writers CAS one word; readers fold a range.
#[derive(Debug)]
pub struct Window {
    geometry: Geometry,
    words: [AtomicU64; MAX_BUCKETS],
    /// What `b` starts at in a fresh bucket (0 for counts, MAX for minimums).
    b_init: u64,
}

impl Window {
    /// An empty window.
    pub fn new(geometry: Geometry, b_init: u64) -> Self {
        // Seq numbers 0..buckets would look current at time 0; start every
        // word one full lap "old" so an empty window reads as empty.
        let stale = pack(SEQ_MASK - MAX_BUCKETS as u64, Bucket { a: 0, b: b_init });
        Self { geometry, words: core::array::from_fn(|_| atomic_u64(stale)), b_init }
    }

    /// The geometry.
    pub fn geometry(&self) -> Geometry {
        self.geometry
    }

    /// Applies `update` to the bucket of `now`, resetting it first if it
    /// holds an older bucket. A write from a clock that went backwards lands
    /// in whichever newer bucket now occupies the slot rather than erasing it.
    #[inline]
    pub fn update(&self, now: Nanos, update: impl Fn(Bucket) -> Bucket) {
        let seq = self.geometry.seq(now);
        let index = self.geometry.index(now);
        let Some(word) = self.words.get(index) else { return };
        word.measure_and_replace(
            Order::Relaxed,
            #[inline(always)]
            |current| {
                let (held_seq, held) = unpack(current);
                let (target_seq, base) = if held_seq == seq {
                    (seq, held)
                } else if age(held_seq, seq) < self.geometry.buckets() {
                    // The slot holds a newer bucket than `now`'s (time went back).
                    (held_seq, held)
                } else {
                    (seq, Bucket { a: 0, b: self.b_init })
                };
                Measured::Replace((), pack(target_seq, update(base)))
            },
        );
    }

    /// Applies `amend` to the bucket an [`update`](Self::update) at `at`
    /// wrote, if its slot still holds it; a slot since recycled for a later
    /// bucket is left alone (what `at` added is gone with the old bucket).
    /// Returns whether it applied.
    #[inline]
    pub fn amend(&self, at: Nanos, amend: impl Fn(Bucket) -> Bucket) -> bool {
        let seq = self.geometry.seq(at);
        let Some(word) = self.words.get(self.geometry.index(at)) else { return false };
        word.measure_and_replace(
            Order::Relaxed,
            #[inline(always)]
            |current| {
                let (held_seq, held) = unpack(current);
                if age(held_seq, seq) >= self.geometry.buckets() {
                    return Measured::Keep(false);
                }
                Measured::Replace(true, pack(held_seq, amend(held)))
            },
        )
    }

    /// The bucket `now` falls in, as `fold` with age 0 would see it.
    #[inline]
    pub fn current(&self, now: Nanos) -> Bucket {
        let seq = self.geometry.seq(now);
        let held = self.words.get(self.geometry.index(now)).map(|w| unpack(w.load(Ordering::Relaxed)));
        match held {
            Some((held_seq, bucket)) if held_seq == seq => bucket,
            _ => Bucket { a: 0, b: self.b_init },
        }
    }

    /// Folds the buckets whose age relative to `now`'s bucket lies in
    /// `min_age..buckets` (0 includes the current bucket).
    #[inline]
    pub fn fold<T>(&self, now: Nanos, min_age: u64, init: T, mut f: impl FnMut(T, Bucket) -> T) -> T {
        let seq = self.geometry.seq(now);
        let mut acc = init;
        for word in self.words.iter().take(self.geometry.buckets() as usize) {
            let (held_seq, bucket) = unpack(word.load(Ordering::Relaxed));
            let a = age(seq, held_seq);
            if a >= min_age && a < self.geometry.buckets() {
                acc = f(acc, bucket);
            }
        }
        acc
    }
}

/// The same window for single-threaded cells.
#[derive(Debug, Clone)]
pub struct PlainWindow {
    geometry: Geometry,
    words: [u64; MAX_BUCKETS],
    b_init: u64,
}

impl PlainWindow {
    /// An empty window.
    pub fn new(geometry: Geometry, b_init: u64) -> Self {
        let stale = pack(SEQ_MASK - MAX_BUCKETS as u64, Bucket { a: 0, b: b_init });
        Self { geometry, words: [stale; MAX_BUCKETS], b_init }
    }

    /// As [`Window::update`].
    #[inline]
    pub fn update(&mut self, now: Nanos, update: impl Fn(Bucket) -> Bucket) {
        let seq = self.geometry.seq(now);
        let index = self.geometry.index(now);
        let Some(word) = self.words.get_mut(index) else { return };
        let (held_seq, held) = unpack(*word);
        let (target_seq, base) = if held_seq == seq || age(held_seq, seq) < self.geometry.buckets() {
            (held_seq, held)
        } else {
            (seq, Bucket { a: 0, b: self.b_init })
        };
        *word = pack(target_seq, update(base));
    }

    /// As [`Window::amend`].
    #[inline]
    pub fn amend(&mut self, at: Nanos, amend: impl Fn(Bucket) -> Bucket) -> bool {
        let seq = self.geometry.seq(at);
        let Some(word) = self.words.get_mut(self.geometry.index(at)) else { return false };
        let (held_seq, held) = unpack(*word);
        if age(held_seq, seq) >= self.geometry.buckets() {
            return false;
        }
        *word = pack(held_seq, amend(held));
        true
    }

    /// As [`Window::fold`].
    #[inline]
    pub fn fold<T>(&self, now: Nanos, min_age: u64, init: T, mut f: impl FnMut(T, Bucket) -> T) -> T {
        let seq = self.geometry.seq(now);
        let mut acc = init;
        for word in self.words.iter().take(self.geometry.buckets() as usize) {
            let (held_seq, bucket) = unpack(*word);
            let a = age(seq, held_seq);
            if a >= min_age && a < self.geometry.buckets() {
                acc = f(acc, bucket);
            }
        }
        acc
    }
}
