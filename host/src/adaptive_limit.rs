//! [`AdaptiveLimiter`]: weir-core's atomic adaptive concurrency limit with
//! the clock (a permit remembers when it was issued, so the RTT is measured
//! here, once, on weir's clock), decisions counted by reason, and the
//! settings as users give them: an algorithm by name, and only the fields
//! they set, the rest taken from that algorithm's defaults.

use crate::decisions::Decisions;
use weir_core::adaptive_limit::{AdaptiveLimitConfig, AdaptiveLimitStats, Algorithm, AtomicAdaptiveLimit, Permit};
use weir_core::{ConfigError, Decision, Nanos, Reason, Value};

pub use weir_core::adaptive_limit::Outcome;

/// The algorithms by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum AlgorithmKind {
    /// Netflix's Gradient2 (the default).
    Gradient2 = 0,
    /// TCP Vegas.
    Vegas = 1,
    /// Additive increase, multiplicative decrease.
    Aimd = 2,
}

impl AlgorithmKind {
    /// `"gradient2"`, `"vegas"` or `"aimd"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            AlgorithmKind::Gradient2 => "gradient2",
            AlgorithmKind::Vegas => "vegas",
            AlgorithmKind::Aimd => "aimd",
        }
    }

    /// The kind named by [`Self::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "gradient2" => Some(AlgorithmKind::Gradient2),
            "vegas" => Some(AlgorithmKind::Vegas),
            "aimd" => Some(AlgorithmKind::Aimd),
            _ => None,
        }
    }

    /// The kind with this code (the C ABI's).
    pub const fn from_code(code: u32) -> Option<Self> {
        match code {
            0 => Some(AlgorithmKind::Gradient2),
            1 => Some(AlgorithmKind::Vegas),
            2 => Some(AlgorithmKind::Aimd),
            _ => None,
        }
    }

    /// Netflix's settings for this algorithm.
    pub const fn defaults(self) -> AdaptiveLimitConfig {
        match self {
            AlgorithmKind::Gradient2 => AdaptiveLimitConfig::gradient2(),
            AlgorithmKind::Vegas => AdaptiveLimitConfig::vegas(),
            AlgorithmKind::Aimd => AdaptiveLimitConfig::aimd(),
        }
    }
}

/// Every setting of every algorithm in one flat record (the C ABI's shape):
/// the fields of the algorithm not chosen are not read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdaptiveLimitSettings {
    pub algorithm: AlgorithmKind,
    pub initial_limit: u64,
    pub min_limit: u64,
    pub max_limit: u64,
    /// Gradient2 and Vegas.
    pub smoothing: f64,
    /// Gradient2.
    pub rtt_tolerance: f64,
    pub long_window: u64,
    pub queue_size: u64,
    /// Vegas.
    pub alpha: u64,
    pub beta: u64,
    pub probe_multiplier: u64,
    /// AIMD.
    pub backoff_ratio: f64,
    pub timeout_ns: Nanos,
}

impl AdaptiveLimitSettings {
    /// `algorithm` with its defaults; the other algorithms' fields hold
    /// their own defaults, so switching `algorithm` alone is meaningful.
    pub fn defaults(algorithm: AlgorithmKind) -> Self {
        let own = algorithm.defaults();
        let mut s = Self {
            algorithm,
            initial_limit: own.initial_limit,
            min_limit: own.min_limit,
            max_limit: own.max_limit,
            smoothing: 0.0,
            rtt_tolerance: 0.0,
            long_window: 0,
            queue_size: 0,
            alpha: 0,
            beta: 0,
            probe_multiplier: 0,
            backoff_ratio: 0.0,
            timeout_ns: 0,
        };
        // The shared `smoothing` ends as the chosen algorithm's.
        for a in [Algorithm::GRADIENT2, Algorithm::VEGAS, Algorithm::AIMD, own.algorithm] {
            s.take_fields(a);
        }
        s
    }

    fn take_fields(&mut self, algorithm: Algorithm) {
        match algorithm {
            Algorithm::Gradient2 { smoothing, rtt_tolerance, long_window, queue_size } => {
                (self.smoothing, self.rtt_tolerance, self.long_window, self.queue_size) =
                    (smoothing, rtt_tolerance, long_window, queue_size);
            }
            Algorithm::Vegas { smoothing, alpha, beta, probe_multiplier } => {
                (self.smoothing, self.alpha, self.beta, self.probe_multiplier) =
                    (smoothing, alpha, beta, probe_multiplier);
            }
            Algorithm::Aimd { backoff_ratio, timeout_ns } => {
                (self.backoff_ratio, self.timeout_ns) = (backoff_ratio, timeout_ns);
            }
        }
    }

    /// The kernel config (validated when the limiter is built).
    pub fn config(&self) -> AdaptiveLimitConfig {
        let algorithm = match self.algorithm {
            AlgorithmKind::Gradient2 => Algorithm::Gradient2 {
                smoothing: self.smoothing,
                rtt_tolerance: self.rtt_tolerance,
                long_window: self.long_window,
                queue_size: self.queue_size,
            },
            AlgorithmKind::Vegas => Algorithm::Vegas {
                smoothing: self.smoothing,
                alpha: self.alpha,
                beta: self.beta,
                probe_multiplier: self.probe_multiplier,
            },
            AlgorithmKind::Aimd => Algorithm::Aimd { backoff_ratio: self.backoff_ratio, timeout_ns: self.timeout_ns },
        };
        AdaptiveLimitConfig {
            initial_limit: self.initial_limit,
            min_limit: self.min_limit,
            max_limit: self.max_limit,
            algorithm,
        }
    }
}

/// The settings a user gave: `None` takes the chosen algorithm's default.
/// A field that belongs to another algorithm is refused by name rather than
/// silently ignored.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AdaptiveLimitOptions {
    pub algorithm: Option<AlgorithmKind>,
    pub initial_limit: Option<u64>,
    pub min_limit: Option<u64>,
    pub max_limit: Option<u64>,
    pub smoothing: Option<f64>,
    pub rtt_tolerance: Option<f64>,
    pub long_window: Option<u64>,
    pub queue_size: Option<u64>,
    pub alpha: Option<u64>,
    pub beta: Option<u64>,
    pub probe_multiplier: Option<u64>,
    pub backoff_ratio: Option<f64>,
    pub timeout_ns: Option<Nanos>,
}

const ONLY_GRADIENT2: &str = "set only with algorithm \"gradient2\"";
const ONLY_VEGAS: &str = "set only with algorithm \"vegas\"";
const ONLY_AIMD: &str = "set only with algorithm \"aimd\"";
const ONLY_SMOOTHING: &str = "set only with algorithm \"gradient2\" or \"vegas\"";

fn foreign<T: Copy>(
    field: &'static str,
    rule: &'static str,
    v: Option<T>,
    got: fn(T) -> Value,
) -> Result<(), ConfigError> {
    match v {
        Some(v) => Err(ConfigError::new(field, rule, got(v))),
        None => Ok(()),
    }
}

impl AdaptiveLimitOptions {
    /// The full settings: the given fields over the algorithm's defaults.
    pub fn settings(&self) -> Result<AdaptiveLimitSettings, ConfigError> {
        let kind = self.algorithm.unwrap_or(AlgorithmKind::Gradient2);
        let u = Value::Unsigned;
        let f = Value::Float;
        if kind != AlgorithmKind::Gradient2 {
            foreign("rtt_tolerance", ONLY_GRADIENT2, self.rtt_tolerance, f)?;
            foreign("long_window", ONLY_GRADIENT2, self.long_window, u)?;
            foreign("queue_size", ONLY_GRADIENT2, self.queue_size, u)?;
        }
        if kind != AlgorithmKind::Vegas {
            foreign("alpha", ONLY_VEGAS, self.alpha, u)?;
            foreign("beta", ONLY_VEGAS, self.beta, u)?;
            foreign("probe_multiplier", ONLY_VEGAS, self.probe_multiplier, u)?;
        }
        if kind != AlgorithmKind::Aimd {
            foreign("backoff_ratio", ONLY_AIMD, self.backoff_ratio, f)?;
            foreign("timeout_ns", ONLY_AIMD, self.timeout_ns, u)?;
        } else {
            foreign("smoothing", ONLY_SMOOTHING, self.smoothing, f)?;
        }
        let d = AdaptiveLimitSettings::defaults(kind);
        Ok(AdaptiveLimitSettings {
            algorithm: kind,
            initial_limit: self.initial_limit.unwrap_or(d.initial_limit),
            min_limit: self.min_limit.unwrap_or(d.min_limit),
            max_limit: self.max_limit.unwrap_or(d.max_limit),
            smoothing: self.smoothing.unwrap_or(d.smoothing),
            rtt_tolerance: self.rtt_tolerance.unwrap_or(d.rtt_tolerance),
            long_window: self.long_window.unwrap_or(d.long_window),
            queue_size: self.queue_size.unwrap_or(d.queue_size),
            alpha: self.alpha.unwrap_or(d.alpha),
            beta: self.beta.unwrap_or(d.beta),
            probe_multiplier: self.probe_multiplier.unwrap_or(d.probe_multiplier),
            backoff_ratio: self.backoff_ratio.unwrap_or(d.backoff_ratio),
            timeout_ns: self.timeout_ns.unwrap_or(d.timeout_ns),
        })
    }
}

/// A permit and the instant it was issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitPermit {
    /// What core releases.
    pub permit: Permit,
    /// When it was admitted, on the clock the limiter was asked with.
    pub started_at: Nanos,
}

/// The answer to [`AdaptiveLimiter::acquire`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitAdmission {
    /// Admitted with `remaining` slots, or [`Reason::ConcurrencyLimited`].
    pub decision: Decision,
    /// Present when admitted.
    pub permit: Option<LimitPermit>,
}

/// The snapshot: what the limit learned and the decisions so far.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdaptiveLimiterStats {
    /// Limit, in flight, estimate, baseline RTT.
    pub limit: AdaptiveLimitStats,
    /// Requests admitted.
    pub admitted: u64,
    /// Requests refused at the limit.
    pub refused: u64,
}

/// An adaptive concurrency limit for many threads (see
/// `weir_core::adaptive_limit`).
#[derive(Debug)]
pub struct AdaptiveLimiter {
    cell: AtomicAdaptiveLimit,
    decisions: Decisions,
    algorithm: AlgorithmKind,
}

impl AdaptiveLimiter {
    /// A limit at its initial value.
    pub fn new(settings: AdaptiveLimitSettings) -> Result<Self, ConfigError> {
        Ok(Self {
            cell: AtomicAdaptiveLimit::new(settings.config())?,
            decisions: Decisions::new(),
            algorithm: settings.algorithm,
        })
    }

    /// From the fields a user set.
    pub fn from_options(options: AdaptiveLimitOptions) -> Result<Self, ConfigError> {
        Self::new(options.settings()?)
    }

    /// Takes a slot if fewer than the limit are in flight; the permit
    /// remembers `now` for [`Self::release`].
    #[inline]
    pub fn acquire_at(&self, now: Nanos) -> LimitAdmission {
        let a = self.cell.acquire();
        self.decisions.count(&a.decision);
        LimitAdmission { decision: a.decision, permit: a.permit.map(|permit| LimitPermit { permit, started_at: now }) }
    }

    /// [`Self::acquire_at`] on [`crate::monotonic_now`].
    #[inline]
    pub fn acquire(&self) -> LimitAdmission {
        self.acquire_at(crate::monotonic_now())
    }

    /// Ends a request that took `rtt` ns; returns the limit now in force.
    /// Release each permit once: a second release frees another request's
    /// slot.
    #[inline]
    pub fn release_rtt(&self, permit: Permit, rtt: Nanos, outcome: Outcome) -> u64 {
        self.cell.release(permit, rtt, outcome)
    }

    /// Ends a request now; its RTT is the time since it was admitted.
    #[inline]
    pub fn release(&self, permit: LimitPermit, outcome: Outcome) -> u64 {
        let rtt = crate::monotonic_now().saturating_sub(permit.started_at);
        self.release_rtt(permit.permit, rtt, outcome)
    }

    /// The snapshot.
    pub fn stats(&self) -> AdaptiveLimiterStats {
        AdaptiveLimiterStats {
            limit: self.cell.stats(),
            admitted: self.decisions.get(Reason::Admitted),
            refused: self.decisions.get(Reason::ConcurrencyLimited),
        }
    }

    /// Decisions by reason.
    pub fn decisions(&self) -> &Decisions {
        &self.decisions
    }

    /// The algorithm learning the limit.
    pub fn algorithm(&self) -> AlgorithmKind {
        self.algorithm
    }

    /// The limit's bounds, `(min, max)`.
    pub fn bounds(&self) -> (u64, u64) {
        self.cell.kernel().bounds()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_algorithm() {
        let vegas = AdaptiveLimitOptions { algorithm: Some(AlgorithmKind::Vegas), ..Default::default() };
        let s = vegas.settings().unwrap();
        assert_eq!((s.min_limit, s.max_limit, s.smoothing), (1, 1000, 1.0));
        assert_eq!(s.config(), AdaptiveLimitConfig::vegas());
        let g = AdaptiveLimitOptions::default().settings().unwrap();
        assert_eq!(g.config(), AdaptiveLimitConfig::gradient2());
        for kind in [AlgorithmKind::Gradient2, AlgorithmKind::Vegas, AlgorithmKind::Aimd] {
            assert_eq!(AdaptiveLimitSettings::defaults(kind).config(), kind.defaults());
            assert_eq!(AlgorithmKind::from_name(kind.as_str()), Some(kind));
            assert_eq!(AlgorithmKind::from_code(kind as u32), Some(kind));
        }
    }

    #[test]
    fn another_algorithms_field_is_refused_by_name() {
        let o = AdaptiveLimitOptions { alpha: Some(4), ..Default::default() };
        let e = o.settings().unwrap_err();
        assert_eq!((e.field(), e.got()), ("alpha", Value::Unsigned(4)));
        assert!(e.rule().contains("vegas"), "{e}");
        let aimd =
            AdaptiveLimitOptions { algorithm: Some(AlgorithmKind::Aimd), smoothing: Some(0.5), ..Default::default() };
        assert_eq!(aimd.settings().unwrap_err().field(), "smoothing");
    }

    #[test]
    fn counts_decisions_and_measures_the_rtt() {
        let o = AdaptiveLimitOptions { initial_limit: Some(1), min_limit: Some(1), ..Default::default() };
        let l = AdaptiveLimiter::from_options(o).unwrap();
        let p = l.acquire().permit.unwrap();
        assert_eq!(l.acquire().decision.reason, Reason::ConcurrencyLimited);
        let held = LimitPermit { started_at: p.started_at.saturating_sub(5_000_000), ..p };
        l.release(held, Outcome::Success);
        let s = l.stats();
        assert_eq!((s.admitted, s.refused, s.limit.in_flight), (1, 1, 0));
        assert!(s.limit.baseline_rtt_ns >= 5_000_000.0, "{s:?}");
    }
}
