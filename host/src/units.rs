//! User units -> kernel configs, decided once for every runtime.
//!
//! A user writes "1/3 per second" or "100 per minute, bursts of 20" as the
//! numbers of their language; the kernel wants integers. The conversion (its
//! one rounding rule, its limits, its defaults) lives here, so
//! `Limiter(rate=1/3)` in Python, `NewLimiter(1.0/3, ...)` in Go and
//! `weir_limiter_config_from_units(1.0/3, ...)` in C build the same bucket.
//! Bindings keep their language's own duration idiom (seconds, milliseconds,
//! `time.Duration`) and hand over whole nanoseconds; a refusal names the
//! field and the rule, and each binding adds the value its user gave.
//! `host/tests/vectors/limiter-units.json` pins the conversion; every
//! runtime replays it.

use core::fmt;
use weir_core::limiter::{Gcra, LimiterConfig};

/// A unit conversion that was refused. Displays as `"rate must be a finite
/// number > 0"`; bindings append `", got <the user's value>"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitError {
    /// The argument as users spell it (`rate`, `per`, `burst`).
    pub field: &'static str,
    /// The rule it broke, phrased to follow "must be".
    pub rule: &'static str,
}

impl UnitError {
    /// A refusal of `field` (as users spell it) for breaking `rule`.
    pub const fn new(field: &'static str, rule: &'static str) -> Self {
        Self { field, rule }
    }

    /// The field as the kernel's config names it (`period_ns` for `per`),
    /// for hosts that also report it that way.
    pub fn kernel_field(&self) -> &'static str {
        match self.field {
            "per" => "period_ns",
            other => other,
        }
    }
}

impl fmt::Display for UnitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} must be {}", self.field, self.rule)
    }
}

impl std::error::Error for UnitError {}

const RATE_RULE: &str = "a finite number > 0";
const PER_RULE: &str = "a duration of at least 1 ns";
const BURST_RULE: &str = "a whole number from 1 to 2^53";
const DENSE_RULE: &str = "at most one token per nanosecond of per";
/// Integers of f64 above this are no longer all representable.
const EXACT_F64: f64 = 9_007_199_254_740_992.0;

/// The limiter `rate` tokens every `per_ns` nanoseconds with bursts of
/// `burst` (default: the tokens of one period, `floor(rate)`, at least 1).
///
/// A whole `rate` goes to the kernel as is, which spaces tokens
/// `ceil(per_ns / rate)` apart. A fractional one becomes one token every
/// `round(per_ns / rate)` nanoseconds: 1/3 per second is exactly 3 s. The
/// result is validated by the kernel too, so a config that passes here
/// builds a limiter in every binding.
pub fn limiter_config(rate: f64, per_ns: u64, burst: Option<f64>) -> Result<LimiterConfig, UnitError> {
    if !rate.is_finite() || rate <= 0.0 {
        return Err(UnitError::new("rate", RATE_RULE));
    }
    if per_ns == 0 {
        return Err(UnitError::new("per", PER_RULE));
    }
    // Checked before any rounding, so 1.5 per ns is refused rather than
    // rounded down to 1 per ns.
    if rate > per_ns as f64 {
        return Err(UnitError::new("rate", DENSE_RULE));
    }
    let (kernel_rate, period_ns) = if rate.fract() == 0.0 && rate < EXACT_F64 {
        // A whole number below 2^53 converts exactly.
        (rate as u64, per_ns)
    } else {
        let interval = (per_ns as f64 / rate).round();
        if interval < 1.0 || interval >= u64::MAX as f64 {
            return Err(UnitError::new("rate", DENSE_RULE));
        }
        (1, interval as u64)
    };
    if kernel_rate > period_ns {
        return Err(UnitError::new("rate", DENSE_RULE));
    }
    let burst = match burst {
        None => (rate.floor().min(EXACT_F64) as u64).max(1),
        Some(b) if b.is_finite() && b >= 1.0 && b.fract() == 0.0 && b <= EXACT_F64 => b as u64,
        Some(_) => return Err(UnitError::new("burst", BURST_RULE)),
    };
    let config = LimiterConfig { rate: kernel_rate, period_ns, burst };
    Gcra::new(config).map_err(|e| UnitError { field: user_field(e.field()), rule: e.rule() })?;
    Ok(config)
}

/// The config a live `set_rate(rate, per)` moves a limiter to: the new rate
/// through [`limiter_config`]'s rules and refusals, the burst kept (as
/// x/time/rate's `SetLimit` keeps it).
pub fn with_rate(current: LimiterConfig, rate: f64, per_ns: u64) -> Result<LimiterConfig, UnitError> {
    limiter_config(rate, per_ns, Some(current.burst as f64))
}

/// The config a live `set_burst(burst)` moves a limiter to: the burst
/// through [`limiter_config`]'s rule (a whole number from 1 to 2^53, small
/// enough to fit the kernel), the rate kept exactly as the kernel holds it.
pub fn with_burst(current: LimiterConfig, burst: f64) -> Result<LimiterConfig, UnitError> {
    if !(burst.is_finite() && burst >= 1.0 && burst.fract() == 0.0 && burst <= EXACT_F64) {
        return Err(UnitError::new("burst", BURST_RULE));
    }
    let config = LimiterConfig { burst: burst as u64, ..current };
    Gcra::new(config).map_err(|e| UnitError { field: user_field(e.field()), rule: e.rule() })?;
    Ok(config)
}

/// The kernel's field names in the words users wrote them with.
fn user_field(kernel: &'static str) -> &'static str {
    match kernel {
        "period_ns" => "per",
        other => other,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_third_per_second_is_three_seconds_exactly() {
        let c = limiter_config(1.0 / 3.0, 1_000_000_000, None).unwrap();
        assert_eq!(Gcra::new(c).unwrap().interval(), 3_000_000_000);
        assert_eq!(c.burst, 1);
    }

    #[test]
    fn live_changes_keep_the_other_half_and_follow_the_same_rules() {
        let c = limiter_config(10.0, 1_000_000_000, Some(4.0)).unwrap();
        let faster = with_rate(c, 100.0, 1_000_000_000).unwrap();
        assert_eq!((faster.rate, faster.burst), (100, 4));
        let third = with_rate(c, 1.0 / 3.0, 1_000_000_000).unwrap();
        assert_eq!((third.rate, third.period_ns, third.burst), (1, 3_000_000_000, 4));
        assert_eq!(with_rate(c, -1.0, 1).unwrap_err(), UnitError::new("rate", RATE_RULE));
        assert_eq!(with_rate(c, 1.0, 0).unwrap_err().field, "per");
        let bigger = with_burst(third, 9.0).unwrap();
        assert_eq!((bigger.rate, bigger.period_ns, bigger.burst), (1, 3_000_000_000, 9));
        assert_eq!(with_burst(c, 0.0).unwrap_err(), UnitError::new("burst", BURST_RULE));
        assert_eq!(with_burst(c, 2.5).unwrap_err().field, "burst");
        let overflow = with_burst(LimiterConfig { rate: 1, period_ns: u64::MAX / 2, burst: 1 }, 1e15).unwrap_err();
        assert!(overflow.rule.contains("fits"), "{overflow}");
    }

    #[test]
    fn refusals_name_the_user_field() {
        assert_eq!(limiter_config(f64::NAN, 1, None).unwrap_err().field, "rate");
        assert_eq!(limiter_config(1.0, 0, None).unwrap_err().field, "per");
        assert_eq!(limiter_config(1.0, 1, Some(0.5)).unwrap_err().field, "burst");
        let overflow = limiter_config(1.0, u64::MAX / 2, Some(1e15)).unwrap_err();
        assert_eq!(overflow.field, "burst");
        assert!(overflow.rule.contains("fits"), "{overflow}");
    }
}
