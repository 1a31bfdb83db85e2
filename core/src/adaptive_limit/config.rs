use crate::error::check;
use crate::{ConfigError, Nanos, Value, SECOND};

/// Largest `max_limit`: the gate word counts in flight in 32 bits.
pub const MAX_LIMIT: u64 = 1_000_000;
/// Gradient2 averages its first samples plainly before the long-term
/// average takes over, so one early outlier cannot set the baseline.
pub const WARMUP_SAMPLES: u64 = 10;

/// The algorithm that learns the limit, with its own settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Algorithm {
    /// Netflix's Gradient2: a long-term RTT average against the latest RTT.
    Gradient2 {
        /// Share of the new estimate in each update, in (0, 1].
        smoothing: f64,
        /// How much slower than the long-term RTT a sample may be before the
        /// limit shrinks, >= 1 (1.5: 50% slower).
        rtt_tolerance: f64,
        /// Samples the long-term RTT averages over (its EWMA weight is
        /// `2 / (long_window + 1)`), >= 1.
        long_window: u64,
        /// Growth allowed per update while latency holds (the queue the
        /// limit leaves room for).
        queue_size: u64,
    },
    /// TCP Vegas as Netflix adapts it: the queue implied by `limit x (1 -
    /// rtt_noload / rtt)` against thresholds that scale with `log10(limit)`.
    Vegas {
        /// Share of the new estimate in each update, in (0, 1].
        smoothing: f64,
        /// Below `alpha x log10(limit)` queued the limit grows, >= 1.
        alpha: u64,
        /// Above `beta x log10(limit)` queued it shrinks, >= alpha.
        beta: u64,
        /// The no-load RTT is re-taken from a sample every
        /// `probe_multiplier x limit` samples, so it can rise again, >= 1.
        probe_multiplier: u64,
    },
    /// Additive increase, multiplicative decrease on drops or timeouts.
    Aimd {
        /// The limit's factor on a drop, in [0.5, 1).
        backoff_ratio: f64,
        /// A sample slower than this counts as a drop.
        timeout_ns: Nanos,
    },
}

impl Algorithm {
    /// Gradient2 with Netflix's settings.
    pub const GRADIENT2: Algorithm =
        Algorithm::Gradient2 { smoothing: 0.2, rtt_tolerance: 1.5, long_window: 600, queue_size: 4 };
    /// Vegas with Netflix's settings.
    pub const VEGAS: Algorithm = Algorithm::Vegas { smoothing: 1.0, alpha: 3, beta: 6, probe_multiplier: 30 };
    /// AIMD with Netflix's settings.
    pub const AIMD: Algorithm = Algorithm::Aimd { backoff_ratio: 0.9, timeout_ns: 5 * SECOND };

    /// `"gradient2"`, `"vegas"` or `"aimd"`.
    pub const fn name(&self) -> &'static str {
        match self {
            Algorithm::Gradient2 { .. } => "gradient2",
            Algorithm::Vegas { .. } => "vegas",
            Algorithm::Aimd { .. } => "aimd",
        }
    }
}

/// Adaptive concurrency limit settings. [`AdaptiveLimitConfig::default`] is
/// [`AdaptiveLimitConfig::gradient2`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdaptiveLimitConfig {
    /// The limit before any sample, in `[min_limit, max_limit]`.
    pub initial_limit: u64,
    /// The limit never goes below this, >= 1.
    pub min_limit: u64,
    /// The limit never goes above this, in `[min_limit, 1_000_000]`.
    pub max_limit: u64,
    /// How the limit is learned.
    pub algorithm: Algorithm,
}

impl AdaptiveLimitConfig {
    /// Gradient2 as Netflix ships it: limit 20 in [20, 200].
    pub const fn gradient2() -> Self {
        Self { initial_limit: 20, min_limit: 20, max_limit: 200, algorithm: Algorithm::GRADIENT2 }
    }

    /// Vegas as Netflix ships it: limit 20 in [1, 1000].
    pub const fn vegas() -> Self {
        Self { initial_limit: 20, min_limit: 1, max_limit: 1000, algorithm: Algorithm::VEGAS }
    }

    /// AIMD as Netflix ships it: limit 20 in [20, 200].
    pub const fn aimd() -> Self {
        Self { initial_limit: 20, min_limit: 20, max_limit: 200, algorithm: Algorithm::AIMD }
    }
}

impl Default for AdaptiveLimitConfig {
    fn default() -> Self {
        Self::gradient2()
    }
}

/// The validated config.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdaptiveLimitKernel {
    pub(crate) initial: u64,
    pub(crate) min: f64,
    pub(crate) max: f64,
    pub(crate) algorithm: Algorithm,
    /// Gradient2's EWMA weight, `2 / (long_window + 1)`.
    pub(crate) long_weight: f64,
}

fn smoothing(got: f64) -> Result<f64, ConfigError> {
    let s = check::float_in("smoothing", "a number in (0, 1]", got, 0.0, 1.0)?;
    if s == 0.0 {
        return Err(ConfigError::new("smoothing", "a number in (0, 1]", Value::Float(s)));
    }
    Ok(s)
}

impl AdaptiveLimitKernel {
    /// Validates `config`.
    pub fn new(config: AdaptiveLimitConfig) -> Result<Self, ConfigError> {
        let min = check::at_least("min_limit", ">= 1", config.min_limit, 1)?;
        let max = check::at_least("max_limit", ">= min_limit", config.max_limit, min)?;
        let max = check::at_most("max_limit", "<= 1000000", max, MAX_LIMIT)?;
        let initial = check::at_least("initial_limit", "in [min_limit, max_limit]", config.initial_limit, min)?;
        let initial = check::at_most("initial_limit", "in [min_limit, max_limit]", initial, max)?;
        let mut long_weight = 0.0;
        match config.algorithm {
            Algorithm::Gradient2 { smoothing: s, rtt_tolerance, long_window, queue_size } => {
                smoothing(s)?;
                check::float_in("rtt_tolerance", "a finite number >= 1", rtt_tolerance, 1.0, f64::MAX)?;
                let window = check::at_least("long_window", ">= 1", long_window, 1)?;
                check::at_most("queue_size", "<= 1000000", queue_size, MAX_LIMIT)?;
                long_weight = 2.0 / (window as f64 + 1.0);
            }
            Algorithm::Vegas { smoothing: s, alpha, beta, probe_multiplier } => {
                smoothing(s)?;
                let alpha = check::at_least("alpha", ">= 1", alpha, 1)?;
                check::at_least("beta", ">= alpha", beta, alpha)?;
                check::at_least("probe_multiplier", ">= 1", probe_multiplier, 1)?;
            }
            Algorithm::Aimd { backoff_ratio, timeout_ns } => {
                let r = check::float_in("backoff_ratio", "a number in [0.5, 1)", backoff_ratio, 0.5, 1.0)?;
                if r >= 1.0 {
                    return Err(ConfigError::new("backoff_ratio", "a number in [0.5, 1)", Value::Float(r)));
                }
                check::at_least("timeout_ns", ">= 1", timeout_ns, 1)?;
            }
        }
        Ok(Self { initial, min: min as f64, max: max as f64, algorithm: config.algorithm, long_weight })
    }

    /// The algorithm and its settings.
    pub const fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The bounds of the limit.
    pub const fn bounds(&self) -> (u64, u64) {
        (self.min as u64, self.max as u64)
    }

    /// The whole limit an estimate allows.
    #[inline]
    pub(crate) fn limit_of(&self, estimate: f64) -> u64 {
        // `as` saturates and maps NaN to 0; the clamp keeps the bounds.
        (estimate as u64).clamp(self.min as u64, self.max as u64)
    }
}
