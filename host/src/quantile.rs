//! [`LatencyQuantiles`]: weir-core's windowed latency-quantile estimator on
//! the host clock, with what every binding needs once: the `q` check, one
//! snapshot shape for metrics, and the bucket geometry fixed for every
//! runtime (4 sub-window slots, 38 rows: 1/64 relative error up to 73 min).

use crate::units::UnitError;
use weir_core::quantile::{AtomicQuantiles, BucketCount, Histogram, QuantileConfig, DEFAULT_ROWS};
use weir_core::{ConfigError, Nanos};

pub use weir_core::quantile::RELATIVE_ERROR;

/// Sub-windows a host estimator may rotate through: the conformance
/// vectors' geometry, so a config refused in one runtime is refused in all.
pub const QUANTILE_SLOTS: usize = 4;

const Q_RULE: &str = "a number from 0 to 1";

/// Refuses a quantile outside `[0, 1]` (or NaN), naming the `q` field.
pub fn check_quantile(q: f64) -> Result<f64, UnitError> {
    if (0.0..=1.0).contains(&q) {
        Ok(q)
    } else {
        Err(UnitError::new("q", Q_RULE))
    }
}

/// The window ending at one instant, as metrics want it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuantileSnapshot {
    /// Samples in the window.
    pub count: u64,
    /// The non-empty buckets, ascending.
    pub buckets: Vec<BucketCount>,
    histogram: Histogram<DEFAULT_ROWS>,
}

impl QuantileSnapshot {
    /// The `q`-quantile of this snapshot (`q` clamped to `[0, 1]`); `None`
    /// when it is empty.
    pub fn quantile(&self, q: f64) -> Option<Nanos> {
        self.histogram.quantile(q)
    }
}

/// Recent latencies of one operation, for many threads: a record is one
/// compare-exchange, a read folds the window.
#[derive(Debug)]
pub struct LatencyQuantiles {
    cell: AtomicQuantiles<QUANTILE_SLOTS, DEFAULT_ROWS>,
}

impl LatencyQuantiles {
    /// An empty estimator over `config`'s window (whole nanoseconds;
    /// [`QuantileConfig::default`] is 10 s in 4 sub-windows).
    pub fn new(config: QuantileConfig) -> Result<Self, ConfigError> {
        Ok(Self { cell: AtomicQuantiles::new(config)? })
    }

    /// The window it was built with.
    pub fn config(&self) -> QuantileConfig {
        self.cell.kernel().config()
    }

    /// Counts `n` samples of `latency` at `now`.
    #[inline]
    pub fn record_n_at(&self, now: Nanos, latency: Nanos, n: u64) {
        self.cell.record_n(now, latency, n);
    }

    /// Counts one sample of `latency` at `now`.
    #[inline]
    pub fn record_at(&self, now: Nanos, latency: Nanos) {
        self.cell.record(now, latency);
    }

    /// [`Self::record_at`] on [`crate::monotonic_now`].
    #[inline]
    pub fn record(&self, latency: Nanos) {
        self.record_at(crate::monotonic_now(), latency);
    }

    /// The `q`-quantile of the window ending at `now` (nearest rank, within
    /// [`RELATIVE_ERROR`]); `None` when the window is empty. `q` outside
    /// `[0, 1]` is refused.
    pub fn quantile_at(&self, q: f64, now: Nanos) -> Result<Option<Nanos>, UnitError> {
        Ok(self.cell.quantile(check_quantile(q)?, now))
    }

    /// [`Self::quantile_at`] on [`crate::monotonic_now`].
    pub fn quantile(&self, q: f64) -> Result<Option<Nanos>, UnitError> {
        self.quantile_at(q, crate::monotonic_now())
    }

    /// Samples in the window ending at `now`.
    pub fn count_at(&self, now: Nanos) -> u64 {
        self.cell.count(now)
    }

    /// The window ending at `now`, bucket by bucket.
    pub fn snapshot_at(&self, now: Nanos) -> QuantileSnapshot {
        let histogram = self.cell.snapshot(now);
        QuantileSnapshot { count: histogram.count(), buckets: histogram.buckets().collect(), histogram }
    }

    /// [`Self::snapshot_at`] on [`crate::monotonic_now`].
    pub fn snapshot(&self) -> QuantileSnapshot {
        self.snapshot_at(crate::monotonic_now())
    }

    /// Adds `other`'s window ending at `now` into this one (e.g. per-worker
    /// estimators folded for one report). Both must share a window.
    pub fn merge_at(&self, other: &Self, now: Nanos) -> Result<(), ConfigError> {
        self.cell.merge(&other.cell, now)
    }

    /// `(lower, upper)` of the bucket `latency` is counted in (`upper` is
    /// `u64::MAX` for the last bucket).
    pub fn bucket_bounds(latency: Nanos) -> (Nanos, Nanos) {
        Histogram::<DEFAULT_ROWS>::bucket_bounds(latency)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use weir_core::{MILLISECOND, SECOND};

    #[test]
    fn reads_the_window_and_refuses_a_bad_q() {
        let q = LatencyQuantiles::new(QuantileConfig::default()).unwrap();
        for i in 1..=100 {
            q.record_at(SECOND, i * MILLISECOND);
        }
        let p95 = q.quantile_at(0.95, SECOND).unwrap().unwrap();
        assert!(p95.abs_diff(95 * MILLISECOND) <= 95 * MILLISECOND / 64, "{p95}");
        let snap = q.snapshot_at(SECOND);
        assert_eq!((snap.count, snap.quantile(0.95)), (100, Some(p95)));
        assert_eq!(snap.buckets.iter().map(|b| b.count).sum::<u64>(), 100);
        assert_eq!(q.count_at(30 * SECOND), 0, "a window later, forgotten");
        assert_eq!(q.quantile_at(1.5, SECOND).unwrap_err().field, "q");
        assert!(q.quantile_at(f64::NAN, SECOND).is_err());
    }

    #[test]
    fn refuses_more_sub_windows_than_slots() {
        let err = LatencyQuantiles::new(QuantileConfig { window_ns: 10 * SECOND, sub_windows: 5 }).unwrap_err();
        assert_eq!(err.field(), "sub_windows");
    }
}
