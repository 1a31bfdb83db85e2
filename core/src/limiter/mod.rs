//! Rate and concurrency limits.
//!
//! - [`Gcra`] is the rate-limit kernel: the generic cell rate algorithm, a
//!   token bucket whose whole state is one `u64` (the "theoretical arrival
//!   time"). [`AtomicLimiter`] runs it in a CAS loop on one `AtomicU64`;
//!   [`Limiter`] is the plain single-threaded cell.
//! - [`KeyedLimiter`] keeps one GCRA state per key in a table of fixed
//!   capacity: its memory never grows with new keys.
//! - [`ConcurrencyLimiter`] caps requests in flight.
//! - Rate and burst change at run time keeping what was spent
//!   ([`AtomicLimiter::set_config`], [`KeyedLimiter::set_config`]; the rule is
//!   [`Gcra::rescale`], the concurrency argument [`LiveRate`]'s).
//! - [`MultiLimiter`] decides several rates (10/s and 1000/h) in one call,
//!   all or nothing.
//!
//! ```
//! use weir_core::{limiter::{AtomicLimiter, LimiterConfig}, SECOND};
//! let limiter = AtomicLimiter::new(LimiterConfig { rate: 10, period_ns: SECOND, burst: 3 }).unwrap();
//! let now = 0;
//! assert!(limiter.acquire(now, 1).is_admitted());
//! assert!(limiter.acquire(now, 1).is_admitted());
//! assert!(limiter.acquire(now, 1).is_admitted());
//! let refused = limiter.acquire(now, 1);
//! assert_eq!(refused.retry_after, SECOND / 10);
//! ```

mod cell;
mod concurrency;
mod gcra;
mod keyed;
mod live;
mod multi;

pub use cell::{acquire_atomic, AtomicLimiter, Limiter};
pub use concurrency::{ConcurrencyConfig, ConcurrencyLimiter};
pub use gcra::{Gcra, LimiterConfig, TAT_LIMIT};
pub use keyed::{decide_in_set, set_index, KeySet, KeyedLimiter, WAYS};
pub use live::{LiveRate, RateSlot};
pub use multi::{MultiLimiter, MAX_RATES};
