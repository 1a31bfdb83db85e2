//! Latency quantiles in fixed memory: a windowed, mergeable histogram of
//! log-linear buckets.
//!
//! **Buckets and error.** A value below 64 has a bucket of its own; above,
//! each power of two `[2^e, 2^(e+1))` is split into `2^k` = 32 equal buckets
//! (`k` = [`SUB_BUCKET_BITS`] = 5), so a bucket is at most `1/32` of its
//! lower bound wide. A quantile is read as the sample of nearest rank
//! (`ceil(q * n)`, clamped to `1..=n`) and answered with the midpoint of its
//! bucket, which is within [`RELATIVE_ERROR`] = `2^-(k+1)` = 1/64 (1.5625 %)
//! of that sample, for every stream: the bound is arithmetic, not
//! statistical. The default 38 rows reach `2^42` ns (73 min); larger values
//! are counted in the last bucket, whose estimate is then only a floor.
//!
//! **Window.** The estimators keep `sub_windows` histograms in a ring,
//! rotated by `now`: a quantile covers the current sub-window and the ones
//! before it, so "recent p95" forgets a burst once it is a window old. A
//! bucket word carries the sub-window it counts (`tag:28 | count:36`), so a
//! record in a new sub-window resets just the word it touches; nothing
//! sweeps the ring, and a record is one compare-exchange on one word.
//!
//! **Merging.** Two estimators of the same config add, sub-window by
//! sub-window ([`AtomicQuantiles::merge`]); two [`Histogram`]s add bucket by
//! bucket ([`Histogram::add`]), as if one had seen both streams.
//!
//! **Concurrency.** [`AtomicQuantiles::record`] takes `&self` and never
//! loses a count (each is a compare-exchange loop on its bucket word); a
//! reader folds the words as they stand, so a quantile read during records
//! counts some of them and not others, never a torn word. [`Quantiles`] is
//! the same code over plain words.
//!
//! ```
//! use weir_core::quantile::{AtomicQuantiles, QuantileConfig};
//! use weir_core::MILLISECOND;
//! let q: AtomicQuantiles = AtomicQuantiles::new(QuantileConfig::default()).unwrap();
//! for i in 1..=100u64 {
//!     q.record(0, i * MILLISECOND);
//! }
//! let p95 = q.quantile(0.95, 0).unwrap();
//! assert!(p95.abs_diff(95 * MILLISECOND) <= 95 * MILLISECOND / 64);
//! assert_eq!(q.count(0), 100);
//! assert_eq!(q.count(20 * weir_core::SECOND), 0); // a window later, forgotten
//! ```

mod cell;
mod config;
mod histogram;

pub use cell::{AtomicQuantiles, Quantiles};
pub use config::{QuantileConfig, QuantileKernel};
pub use histogram::{BucketCount, Histogram, DEFAULT_ROWS, RELATIVE_ERROR, SUB_BUCKETS, SUB_BUCKET_BITS};
