//! The bucket geometry and a plain histogram over it: the snapshot type the
//! windowed estimators return, and the one place a quantile is read.

/// Sub-buckets per power of two are `2^SUB_BUCKET_BITS`.
pub const SUB_BUCKET_BITS: u32 = 5;
/// Buckets per row: one power of two, split in 32 equal parts.
pub const SUB_BUCKETS: usize = 1 << SUB_BUCKET_BITS;
/// Rows of the default geometry: exact below 64, then one row per power of
/// two up to `2^42` ns (73 min).
pub const DEFAULT_ROWS: usize = 38;
/// Every estimate is within this fraction of the exact nearest-rank sample:
/// `2^-(SUB_BUCKET_BITS + 1)` = 1/64 = 1.5625 %.
pub const RELATIVE_ERROR: f64 = 1.0 / 64.0;

/// The bucket `value` falls in, before clamping to the rows a histogram has.
///
/// Below 64 a value is its own bucket; above, with `s = floor(log2 v) - 5`,
/// the bucket is `v >> s` in row `s + 1`, so each power of two holds 32
/// buckets of width `2^s`.
#[inline]
pub(crate) const fn bucket_of(value: u64) -> usize {
    let shift = (64 - (value >> SUB_BUCKET_BITS).leading_zeros()).saturating_sub(1);
    (((shift as u64) << SUB_BUCKET_BITS) + (value >> shift)) as usize
}

/// The bucket a histogram of `rows` rows counts `value` in: values past its
/// range go to its last bucket.
#[inline]
pub(crate) const fn clamped_bucket(value: u64, rows: usize) -> usize {
    let bucket = bucket_of(value);
    let last = (rows * SUB_BUCKETS).saturating_sub(1);
    if bucket > last {
        last
    } else {
        bucket
    }
}

/// `(lower, width)` of bucket `index`.
#[inline]
pub(crate) const fn bounds(index: usize) -> (u64, u64) {
    if index < 2 * SUB_BUCKETS {
        return (index as u64, 1);
    }
    let shift = (index >> SUB_BUCKET_BITS) as u32 - 1;
    let lower = (((index & (SUB_BUCKETS - 1)) | SUB_BUCKETS) as u64) << shift;
    (lower, 1 << shift)
}

/// The value reported for bucket `index`: its midpoint, which is within
/// `width / 2 <= lower / 64` of every value the bucket holds.
#[inline]
pub(crate) const fn representative(index: usize) -> u64 {
    let (lower, width) = bounds(index);
    lower + width / 2
}

/// The 1-based rank of the `q`-quantile among `n` samples: `ceil(q * n)`,
/// clamped to `1..=n` (NaN reads as the minimum).
#[inline]
pub(crate) fn rank(q: f64, n: u64) -> u64 {
    let r = libm::ceil(q * n as f64);
    if r >= n as f64 {
        n
    } else if r >= 1.0 {
        r as u64
    } else {
        // Below 1, or NaN.
        1
    }
}

/// One non-empty bucket of a [`Histogram`], for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketCount {
    /// Smallest value the bucket holds.
    pub lower: u64,
    /// One past the largest value it holds; `u64::MAX` for the last bucket,
    /// which also holds every value past the histogram's range.
    pub upper: u64,
    /// Samples in it.
    pub count: u64,
}

/// Counts per bucket, no window: what the estimators' snapshots return, and
/// a mergeable sketch on its own (`ROWS` as in
/// [`AtomicQuantiles`](super::AtomicQuantiles)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Histogram<const ROWS: usize = DEFAULT_ROWS> {
    counts: [[u64; SUB_BUCKETS]; ROWS],
}

impl<const ROWS: usize> Default for Histogram<ROWS> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const ROWS: usize> Histogram<ROWS> {
    /// An empty histogram.
    pub const fn new() -> Self {
        Self { counts: [[0; SUB_BUCKETS]; ROWS] }
    }

    /// Largest value counted in its own bucket; larger ones share the last.
    pub const fn max_value() -> u64 {
        let (lower, width) = bounds((ROWS * SUB_BUCKETS).saturating_sub(1));
        lower.saturating_add(width - 1)
    }

    /// Counts `n` samples of `value` (saturating).
    #[inline]
    pub fn record_n(&mut self, value: u64, n: u64) {
        self.add_at(clamped_bucket(value, ROWS), n);
    }

    /// Counts one sample of `value`.
    #[inline]
    pub fn record(&mut self, value: u64) {
        self.record_n(value, 1);
    }

    #[inline]
    pub(crate) fn add_at(&mut self, index: usize, n: u64) {
        let row = index >> SUB_BUCKET_BITS;
        if let Some(c) = self.counts.get_mut(row).and_then(|r| r.get_mut(index & (SUB_BUCKETS - 1))) {
            *c = c.saturating_add(n);
        }
    }

    /// Adds every count of `other`: two sketches of the same geometry merge
    /// exactly, as if one had seen both streams.
    pub fn add(&mut self, other: &Self) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts.iter()) {
            for (m, t) in mine.iter_mut().zip(theirs.iter()) {
                *m = m.saturating_add(*t);
            }
        }
    }

    /// Samples counted.
    pub fn count(&self) -> u64 {
        self.counts.iter().flatten().fold(0u64, |acc, c| acc.saturating_add(*c))
    }

    /// The `q`-quantile: the midpoint of the bucket that holds the sample of
    /// rank `ceil(q * count)` (nearest rank, clamped to `1..=count`), so
    /// within [`RELATIVE_ERROR`] of that sample. `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        let n = self.count();
        if n == 0 {
            return None;
        }
        let wanted = rank(q, n);
        let mut seen = 0u64;
        for (index, c) in self.counts.iter().flatten().enumerate() {
            seen = seen.saturating_add(*c);
            if seen >= wanted {
                return Some(representative(index));
            }
        }
        None
    }

    /// The non-empty buckets in ascending order of value.
    pub fn buckets(&self) -> impl Iterator<Item = BucketCount> + '_ {
        let last = (ROWS * SUB_BUCKETS).saturating_sub(1);
        self.counts.iter().flatten().enumerate().filter(|(_, c)| **c > 0).map(move |(index, count)| {
            let (lower, width) = bounds(index);
            let upper = if index == last { u64::MAX } else { lower + width };
            BucketCount { lower, upper, count: *count }
        })
    }

    /// The bucket `value` is counted in, as `(lower, upper)` like
    /// [`BucketCount`].
    pub fn bucket_bounds(value: u64) -> (u64, u64) {
        let index = clamped_bucket(value, ROWS);
        let (lower, width) = bounds(index);
        let upper = if index == (ROWS * SUB_BUCKETS).saturating_sub(1) { u64::MAX } else { lower + width };
        (lower, upper)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_tile_the_line_in_order() {
        let mut expected_lower = 0u64;
        for index in 0..60 * SUB_BUCKETS {
            let (lower, width) = bounds(index);
            assert_eq!(lower, expected_lower, "bucket {index}");
            assert_eq!(bucket_of(lower), index);
            assert_eq!(bucket_of(lower + (width - 1)), index);
            if index >= 2 * SUB_BUCKETS {
                assert!(width * 32 <= lower, "bucket {index} is wider than 1/32 of its floor");
            }
            expected_lower = lower.wrapping_add(width);
        }
        assert_eq!(expected_lower, 0, "the last bucket ends at 2^64");
        assert_eq!(bucket_of(u64::MAX), 60 * SUB_BUCKETS - 1);
    }

    #[test]
    fn midpoint_is_within_the_stated_error() {
        for v in (0..20_000u64).chain((0..64).map(|s| 1u64 << s)).chain((1..64).map(|s| (1u64 << s) - 1)) {
            let estimate = representative(bucket_of(v));
            let error = estimate.abs_diff(v) as f64;
            assert!(error <= RELATIVE_ERROR * v as f64, "{v} -> {estimate}");
        }
    }

    #[test]
    fn default_range_and_the_last_bucket() {
        assert_eq!(Histogram::<DEFAULT_ROWS>::max_value(), (1 << 42) - 1);
        let mut h = Histogram::<DEFAULT_ROWS>::new();
        h.record(u64::MAX);
        let b: [BucketCount; 1] = [h.buckets().next().unwrap()];
        assert_eq!((b[0].lower, b[0].upper, b[0].count), (63 << 36, u64::MAX, 1));
    }

    #[test]
    fn rank_is_nearest_rank() {
        assert_eq!(rank(0.5, 10), 5);
        assert_eq!(rank(0.95, 100), 95);
        assert_eq!(rank(0.951, 100), 96);
        assert_eq!(rank(0.0, 10), 1);
        assert_eq!(rank(f64::NAN, 10), 1);
        assert_eq!(rank(2.0, 10), 10);
    }
}
