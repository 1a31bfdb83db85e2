use crate::error::check;
use crate::window::{Bucket, Geometry, COUNTER_MAX, MAX_BUCKETS};
use crate::{ConfigError, Decision, Nanos, Reason, Value, MILLISECOND, SECOND};

/// Throttle settings. [`ThrottleConfig::default`] gives the documented defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThrottleConfig {
    /// The SRE multiplier: requests may run up to `k` times the accepts
    /// before any is refused locally. At least 1.
    pub k: f64,
    /// Length of the rolling window.
    pub window_ns: Nanos,
    /// Buckets in the window, 1..=128; the window splits into whole buckets
    /// of at least 1 ms.
    pub buckets: u64,
    /// Below this many requests in the window nothing is refused.
    pub min_requests: u64,
    /// Ceiling on the refusal probability, in [0, 1], so some requests
    /// always probe the backend.
    pub max_reject_probability: f64,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self { k: 2.0, window_ns: 10 * SECOND, buckets: 40, min_requests: 20, max_reject_probability: 0.9 }
    }
}

/// The window's counts and the probability they give.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThrottleStats {
    /// Requests in the window (admitted and refused).
    pub requests: u64,
    /// Requests the backend accepted.
    pub accepts: u64,
    /// The refusal probability a request would face now.
    pub reject_probability: f64,
}

/// The validated config and the SRE formula.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThrottleKernel {
    pub(crate) geometry: Geometry,
    k: f64,
    min_requests: u64,
    max_p: f64,
}

impl ThrottleKernel {
    /// Validates `config`.
    pub fn new(config: ThrottleConfig) -> Result<Self, ConfigError> {
        let k = check::float_in("k", "a finite number >= 1", config.k, 1.0, f64::MAX)?;
        let buckets = check::at_least("buckets", ">= 1", config.buckets, 1)?;
        let buckets = check::at_most("buckets", "<= 128", buckets, MAX_BUCKETS as u64)?;
        let window = check::at_least("window_ns", ">= buckets * 1 ms", config.window_ns, buckets * MILLISECOND)?;
        if window % buckets != 0 {
            return Err(ConfigError::new("window_ns", "a multiple of buckets", Value::Unsigned(window)));
        }
        let max_p =
            check::float_in("max_reject_probability", "a number in [0, 1]", config.max_reject_probability, 0.0, 1.0)?;
        Ok(Self { geometry: Geometry::new(window / buckets, buckets), k, min_requests: config.min_requests, max_p })
    }

    /// The refusal probability for a window holding `requests` and `accepts`.
    #[inline]
    pub fn reject_probability(&self, requests: u64, accepts: u64) -> f64 {
        if requests < self.min_requests {
            return 0.0;
        }
        let requests = requests as f64;
        let p = (requests - self.k * accepts as f64) / (requests + 1.0);
        p.clamp(0.0, self.max_p)
    }

    /// Refuses when the draw, read as a fraction of 2^64, falls below `p`.
    #[inline]
    pub fn decide(&self, p: f64, draw: u64) -> Decision {
        // p * 2^64 as an integer threshold; `as` saturates at u64::MAX.
        let threshold = (p * 18_446_744_073_709_551_616.0) as u64;
        if draw < threshold {
            Decision::reject(Reason::Throttled, self.geometry.bucket_ns(), 0, 0)
        } else {
            Decision::admit(0, 0)
        }
    }

    pub(crate) fn count_request(b: Bucket) -> Bucket {
        Bucket { a: (b.a + 1).min(COUNTER_MAX), b: b.b }
    }

    /// Takes back one [`count_request`](Self::count_request); an empty
    /// count stays empty.
    pub(crate) fn uncount_request(b: Bucket) -> Bucket {
        Bucket { a: b.a.saturating_sub(1), b: b.b }
    }

    pub(crate) fn count_accept(b: Bucket) -> Bucket {
        Bucket { a: b.a, b: (b.b + 1).min(COUNTER_MAX) }
    }

    pub(crate) fn sum(acc: (u64, u64), b: Bucket) -> (u64, u64) {
        (acc.0 + b.a, acc.1 + b.b)
    }
}
