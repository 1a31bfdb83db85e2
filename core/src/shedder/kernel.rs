use crate::error::check;
use crate::window::{Bucket, Geometry, COUNTER_MAX, MAX_BUCKETS};
use crate::{ConfigError, Decision, Nanos, Reason, Value, MILLISECOND, SECOND};

/// Shedder settings. [`ShedderConfig::default`] gives the documented defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShedderConfig {
    /// Length of the rolling window the capacity is learned over.
    pub window_ns: Nanos,
    /// Buckets in the window, 1..=128. The window must split into whole
    /// buckets of at least 1 ms.
    pub buckets: u64,
    /// CPU at or above which shedding may start, permille of the CPU the
    /// service may use (1..=1000).
    pub cpu_threshold: u64,
    /// Weight of the previous smoothed CPU when a sample arrives, in [0, 1).
    pub cpu_decay: f64,
    /// How long after a shed the in-flight estimate stays enforced.
    pub cool_off_ns: Nanos,
    /// Hard cap on requests in flight; 0 turns it off.
    pub max_queue: u64,
}

impl Default for ShedderConfig {
    fn default() -> Self {
        Self {
            window_ns: 10 * SECOND,
            buckets: 100,
            cpu_threshold: 800,
            cpu_decay: 0.95,
            cool_off_ns: SECOND,
            max_queue: 0,
        }
    }
}

/// What a shedder knows at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShedderStats {
    /// Requests admitted and not yet done.
    pub in_flight: u64,
    /// Smoothed CPU, permille.
    pub cpu: f64,
    /// Most requests completed in one finished bucket of the window (>= 1).
    pub max_pass: u64,
    /// Shortest response time seen in the window, nanoseconds (1 ms if none).
    pub min_rt_ns: Nanos,
    /// The in-flight estimate enforced under CPU pressure.
    pub max_in_flight: u64,
    /// Whether a cool-off is running.
    pub cooling_off: bool,
}

/// The validated config and the pure decision rules.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShedderKernel {
    pub(crate) geometry: Geometry,
    cpu_threshold: f64,
    pub(crate) cpu_decay: f64,
    cool_off: Nanos,
    max_queue: u64,
}

/// Response times are kept in microseconds so they fit a 20-bit counter;
/// anything slower than ~1.05 s saturates, which only lowers the estimate.
pub(crate) const RT_UNIT: Nanos = 1_000;
const NO_RT: u64 = COUNTER_MAX;

impl ShedderKernel {
    /// Validates `config`.
    pub fn new(config: ShedderConfig) -> Result<Self, ConfigError> {
        let buckets = check::at_least("buckets", ">= 1", config.buckets, 1)?;
        let buckets = check::at_most("buckets", "<= 128", buckets, MAX_BUCKETS as u64)?;
        let window = check::at_least("window_ns", ">= buckets * 1 ms", config.window_ns, buckets * MILLISECOND)?;
        if window % buckets != 0 {
            return Err(ConfigError::new("window_ns", "a multiple of buckets", Value::Unsigned(window)));
        }
        let threshold = check::at_least("cpu_threshold", "in 1..=1000 (permille)", config.cpu_threshold, 1)?;
        let threshold = check::at_most("cpu_threshold", "in 1..=1000 (permille)", threshold, 1000)?;
        let decay = check::float_in("cpu_decay", "a number in [0, 1)", config.cpu_decay, 0.0, 1.0)?;
        if decay >= 1.0 {
            return Err(ConfigError::new("cpu_decay", "a number in [0, 1)", Value::Float(decay)));
        }
        Ok(Self {
            geometry: Geometry::new(window / buckets, buckets),
            cpu_threshold: threshold as f64,
            cpu_decay: decay,
            cool_off: config.cool_off_ns,
            max_queue: config.max_queue,
        })
    }

    /// The CPU after folding in one sample.
    #[inline]
    pub fn smooth_cpu(&self, previous: f64, sample_permille: u64) -> f64 {
        previous * self.cpu_decay + sample_permille as f64 * (1.0 - self.cpu_decay)
    }

    /// Little's law over the window's best bucket, rounded half up (as aegis).
    #[inline]
    pub fn max_in_flight(&self, max_pass: u64, min_rt_ns: Nanos) -> u64 {
        let product = max_pass as u128 * min_rt_ns as u128;
        let bucket = self.geometry.bucket_ns() as u128;
        let rounded = (product * 2 + bucket) / (bucket * 2);
        rounded.min(u64::MAX as u128) as u64
    }

    /// Whether a cool-off started by a shed at `last_shed` still runs at `now`.
    #[inline]
    pub fn cooling_off(&self, last_shed: Option<Nanos>, now: Nanos) -> bool {
        matches!(last_shed, Some(at) if now >= at && now - at < self.cool_off)
    }

    /// The rule. `in_flight` excludes the request being decided. Returns the
    /// rejection, and whether it starts (or restarts) a cool-off.
    #[inline]
    pub fn decide(&self, in_flight: u64, cpu: f64, cooling_off: bool, max_in_flight: u64) -> Option<(Decision, bool)> {
        if self.max_queue != 0 && in_flight >= self.max_queue {
            return Some((Decision::reject(Reason::QueueFull, self.geometry.bucket_ns(), 0, 0), false));
        }
        let over_estimate = in_flight > 1 && in_flight > max_in_flight;
        if cpu >= self.cpu_threshold {
            if over_estimate {
                return Some((
                    Decision::reject(Reason::CpuOverloaded, self.cool_off.max(self.geometry.bucket_ns()), 0, 0),
                    true,
                ));
            }
        } else if cooling_off && over_estimate {
            return Some((Decision::reject(Reason::CoolingOff, self.geometry.bucket_ns(), 0, 0), false));
        }
        None
    }

    /// The bucket update of one completed request.
    #[inline]
    pub(crate) fn record(rt_ns: Nanos) -> impl Fn(Bucket) -> Bucket {
        let rt = (rt_ns / RT_UNIT).clamp(1, NO_RT - 1);
        move |b: Bucket| Bucket { a: (b.a + 1).min(COUNTER_MAX), b: b.b.min(rt) }
    }

    pub(crate) const fn rt_init() -> u64 {
        NO_RT
    }

    /// Folds finished buckets into `(max_pass, min_rt_ns)` with aegis's
    /// floors: at least one pass, and 1 ms when no response time was seen.
    #[inline]
    pub(crate) fn capacity(acc: (u64, u64)) -> (u64, Nanos) {
        let (max_pass, min_rt) = acc;
        let min_rt_ns = if min_rt >= NO_RT { MILLISECOND } else { min_rt * RT_UNIT };
        (max_pass.max(1), min_rt_ns)
    }

    pub(crate) fn fold_bucket(acc: (u64, u64), b: Bucket) -> (u64, u64) {
        (acc.0.max(b.a), acc.1.min(b.b))
    }
}
