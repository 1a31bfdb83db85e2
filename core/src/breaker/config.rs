use super::window::{MAX_BUCKETS, MAX_WINDOW_CALLS};
use crate::divide::Divisor;
use crate::error::check;
use crate::{ConfigError, Nanos, Value, MILLISECOND, SECOND};

/// How the closed breaker's sliding window is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum WindowKind {
    /// The outcomes of the last `window_calls` calls.
    Count = 0,
    /// The outcomes of the calls of the last `window_ns`, in `buckets`.
    Time = 1,
}

impl WindowKind {
    /// `"count"` or `"time"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            WindowKind::Count => "count",
            WindowKind::Time => "time",
        }
    }

    /// The kind named by [`Self::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "count" => Some(WindowKind::Count),
            "time" => Some(WindowKind::Time),
            _ => None,
        }
    }
}

/// Circuit breaker settings. [`BreakerConfig::default`] gives resilience4j's
/// defaults (a count window of 100 calls, 50% failures, 60 s open, 10 probes).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerConfig {
    /// Count- or time-based window.
    pub window: WindowKind,
    /// Count window: calls remembered, 1..=8192.
    pub window_calls: u64,
    /// Time window: its length; a whole number of buckets of at least 1 ms.
    pub window_ns: Nanos,
    /// Time window: buckets, 1..=128.
    pub buckets: u64,
    /// Calls the window must hold before a rate can trip the breaker (>= 1;
    /// with a count window, at most `window_calls`).
    pub minimum_calls: u64,
    /// Percent of failed calls at or above which the breaker opens, in
    /// [0, 100]; 0 turns the rule off.
    pub failure_rate_threshold: f64,
    /// Percent of slow calls at or above which the breaker opens, in
    /// [0, 100]; 0 turns the rule off.
    pub slow_call_rate_threshold: f64,
    /// A call that takes longer than this is slow.
    pub slow_call_ns: Nanos,
    /// Failures in a row that open the breaker whatever the window says;
    /// 0 turns the rule off.
    pub consecutive_failures: u64,
    /// How long the breaker stays open before it lets probes through.
    pub open_ns: Nanos,
    /// Calls let through in half-open to judge the service, 1..=30.
    pub half_open_probes: u64,
    /// Longest half-open may last from the end of the wait in open before
    /// the breaker opens again (probes that never report); 0 waits for them.
    pub half_open_max_ns: Nanos,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            window: WindowKind::Count,
            window_calls: 100,
            window_ns: 100 * SECOND,
            buckets: 100,
            minimum_calls: 100,
            failure_rate_threshold: 50.0,
            slow_call_rate_threshold: 100.0,
            slow_call_ns: 60 * SECOND,
            consecutive_failures: 0,
            open_ns: 60 * SECOND,
            half_open_probes: 10,
            half_open_max_ns: 0,
        }
    }
}

/// Most probes half-open may let through (one bit each in the state word).
pub const MAX_PROBES: u64 = 30;
/// Longest failure streak the state word counts (17 bits).
pub const MAX_CONSECUTIVE_FAILURES: u64 = (1 << 17) - 1;

/// Rates are compared in parts per million of integers, so every host gets
/// the same answer as core for the same counts.
const PPM: u64 = 1_000_000;

/// The validated config and the rules that move the breaker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerKernel {
    pub(crate) window: WindowKind,
    pub(crate) window_calls: u64,
    pub(crate) bucket: Divisor,
    pub(crate) buckets: Divisor,
    minimum_calls: u64,
    failure_ppm: u64,
    slow_ppm: u64,
    pub(crate) slow_call_ns: Nanos,
    consecutive: u64,
    pub(crate) open_ns: Nanos,
    pub(crate) probes: u64,
    pub(crate) half_open_max_ns: Nanos,
    probe_fail_bound: u64,
    probe_slow_bound: u64,
}

/// Why the breaker moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Cause {
    /// Closed -> open: the window's failure rate reached the threshold.
    FailureRate = 0,
    /// Closed -> open: the window's slow-call rate reached the threshold.
    SlowCallRate = 1,
    /// Closed -> open: `consecutive_failures` failures in a row.
    ConsecutiveFailures = 2,
    /// Open -> half-open: the wait in open is over.
    WaitOver = 3,
    /// Half-open -> open: the probes failed too often.
    ProbesFailed = 4,
    /// Half-open -> open: the probes were too often slow.
    ProbesSlow = 5,
    /// Half-open -> open: the probes did not all report within
    /// `half_open_max_ns`.
    ProbesTimedOut = 6,
    /// Half-open -> closed: every probe reported and none of the rules held.
    ProbesPassed = 7,
    /// The host forced the breaker open.
    ForcedOpen = 8,
    /// The host disabled the breaker.
    Disabled = 9,
    /// The host reset the breaker to closed with an empty window.
    Reset = 10,
}

impl Cause {
    /// A stable snake_case name for events, metrics and logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Cause::FailureRate => "failure_rate",
            Cause::SlowCallRate => "slow_call_rate",
            Cause::ConsecutiveFailures => "consecutive_failures",
            Cause::WaitOver => "wait_over",
            Cause::ProbesFailed => "probes_failed",
            Cause::ProbesSlow => "probes_slow",
            Cause::ProbesTimedOut => "probes_timed_out",
            Cause::ProbesPassed => "probes_passed",
            Cause::ForcedOpen => "forced_open",
            Cause::Disabled => "disabled",
            Cause::Reset => "reset",
        }
    }
}

/// Calls counted by the window (closed) or among the probes (half-open).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Calls that reported an outcome.
    pub calls: u64,
    /// Of those, the failed ones.
    pub failures: u64,
    /// Of those, the slow ones (failed or not).
    pub slow: u64,
    /// Failures in a row up to now (closed only).
    pub consecutive_failures: u64,
}

/// What the probes' outcomes so far say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Pending,
    Reopen(Cause),
    Close,
}

/// `ceil(ppm * n / 10^6)`, at least 1: the fewest of `n` calls that reach the rate.
fn bound(ppm: u64, n: u64) -> u64 {
    let product = u128::from(ppm) * u128::from(n);
    product.div_ceil(u128::from(PPM)).max(1) as u64
}

fn percent_to_ppm(field: &'static str, percent: f64) -> Result<u64, ConfigError> {
    let percent = check::float_in(field, "a percent in [0, 100]", percent, 0.0, 100.0)?;
    if percent == 0.0 {
        return Ok(0);
    }
    // A positive threshold never rounds to "off".
    Ok((libm::round(percent * 10_000.0) as u64).max(1))
}

impl BreakerKernel {
    /// Validates `config`.
    pub fn new(config: BreakerConfig) -> Result<Self, ConfigError> {
        let (window_calls, bucket_ns, buckets) = match config.window {
            WindowKind::Count => {
                let calls = check::at_least("window_calls", "in 1..=8192", config.window_calls, 1)?;
                let calls = check::at_most("window_calls", "in 1..=8192", calls, MAX_WINDOW_CALLS)?;
                (calls, SECOND, 1)
            }
            WindowKind::Time => {
                let buckets = check::at_least("buckets", "in 1..=128", config.buckets, 1)?;
                let buckets = check::at_most("buckets", "in 1..=128", buckets, MAX_BUCKETS)?;
                let window =
                    check::at_least("window_ns", ">= buckets * 1 ms", config.window_ns, buckets * MILLISECOND)?;
                if window % buckets != 0 {
                    return Err(ConfigError::new("window_ns", "a multiple of buckets", Value::Unsigned(window)));
                }
                (0, window / buckets, buckets)
            }
        };
        let minimum_calls = check::at_least("minimum_calls", ">= 1", config.minimum_calls, 1)?;
        if config.window == WindowKind::Count {
            check::at_most("minimum_calls", "<= window_calls", minimum_calls, window_calls)?;
        }
        let failure_ppm = percent_to_ppm("failure_rate_threshold", config.failure_rate_threshold)?;
        let slow_ppm = percent_to_ppm("slow_call_rate_threshold", config.slow_call_rate_threshold)?;
        let consecutive =
            check::at_most("consecutive_failures", "<= 131071", config.consecutive_failures, MAX_CONSECUTIVE_FAILURES)?;
        if failure_ppm == 0 && slow_ppm == 0 && consecutive == 0 {
            return Err(ConfigError::new(
                "failure_rate_threshold",
                "> 0 when slow_call_rate_threshold and consecutive_failures are 0 (nothing could open the breaker)",
                Value::Float(config.failure_rate_threshold),
            ));
        }
        let open_ns = check::at_least("open_ns", ">= 1", config.open_ns, 1)?;
        let probes = check::at_least("half_open_probes", "in 1..=30", config.half_open_probes, 1)?;
        let probes = check::at_most("half_open_probes", "in 1..=30", probes, MAX_PROBES)?;
        // The probes are judged by the closed rules scaled to them; with the
        // failure-rate rule off, one failed probe reopens (as gobreaker).
        let probe_fail_bound = match (failure_ppm, consecutive) {
            (0, 0) => u64::MAX,
            (0, _) => 1,
            (ppm, _) => bound(ppm, probes),
        };
        let probe_slow_bound = if slow_ppm == 0 { u64::MAX } else { bound(slow_ppm, probes) };
        Ok(Self {
            window: config.window,
            window_calls,
            bucket: Divisor::new(bucket_ns),
            buckets: Divisor::new(buckets),
            minimum_calls,
            failure_ppm,
            slow_ppm,
            slow_call_ns: config.slow_call_ns,
            consecutive,
            open_ns,
            probes,
            half_open_max_ns: config.half_open_max_ns,
            probe_fail_bound,
            probe_slow_bound,
        })
    }

    /// Whether a call that took `duration` is slow.
    #[inline]
    pub fn is_slow(&self, duration: Nanos) -> bool {
        duration > self.slow_call_ns
    }

    /// The rule a closed window holding `counts` breaks, if any. The streak
    /// needs no minimum of calls; the rates do.
    #[inline]
    pub fn trips(&self, counts: Counts) -> Option<Cause> {
        if self.consecutive != 0 && counts.consecutive_failures >= self.consecutive {
            return Some(Cause::ConsecutiveFailures);
        }
        if counts.calls < self.minimum_calls {
            return None;
        }
        let reaches = |part: u64, ppm: u64| {
            ppm != 0 && u128::from(part) * u128::from(PPM) >= u128::from(ppm) * u128::from(counts.calls)
        };
        if reaches(counts.failures, self.failure_ppm) {
            Some(Cause::FailureRate)
        } else if reaches(counts.slow, self.slow_ppm) {
            Some(Cause::SlowCallRate)
        } else {
            None
        }
    }

    /// The verdict of the probes that reported so far (`failed`, `slow` of
    /// `returned`). Reopens as soon as the outcome is certain, closes once
    /// every probe reported.
    #[inline]
    pub(crate) fn verdict(&self, returned: u64, failed: u64, slow: u64) -> Verdict {
        if failed >= self.probe_fail_bound {
            Verdict::Reopen(Cause::ProbesFailed)
        } else if slow >= self.probe_slow_bound {
            Verdict::Reopen(Cause::ProbesSlow)
        } else if returned >= self.probes {
            Verdict::Close
        } else {
            Verdict::Pending
        }
    }

    /// Probes half-open lets through.
    pub const fn half_open_probes(&self) -> u64 {
        self.probes
    }

    /// The failed probes that reopen the breaker (`u64::MAX`: never).
    pub const fn probe_failure_bound(&self) -> u64 {
        self.probe_fail_bound
    }

    /// The slow probes that reopen the breaker (`u64::MAX`: never).
    pub const fn probe_slow_bound(&self) -> u64 {
        self.probe_slow_bound
    }

    /// The wait in open.
    pub const fn open_ns(&self) -> Nanos {
        self.open_ns
    }

    /// Which window the breaker keeps.
    pub const fn window(&self) -> WindowKind {
        self.window
    }
}
