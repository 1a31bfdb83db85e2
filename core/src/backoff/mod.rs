//! Exponential backoff with jitter, and the server's advice on when to retry.
//!
//! [`Backoff`] is a pure function: the caller keeps the attempt number and the
//! previous delay (decorrelated jitter needs it) and hands in a random draw,
//! so there is no state and so no cell. A server-advised delay (`Retry-After`,
//! `grpc-retry-pushback-ms`, parsed by [`parse_retry_after`] and
//! [`crate::deadline::parse_millis`]) replaces the computed one, clamped to
//! `advised_cap_ns`. Whether a retry may happen at all is the retry budget's
//! call ([`crate::budget`]).
//!
//! ```
//! use weir_core::backoff::{Backoff, BackoffConfig, Jitter};
//! use weir_core::MILLISECOND as MS;
//! let b = Backoff::new(BackoffConfig { jitter: Jitter::None, ..BackoffConfig::default() }).unwrap();
//! assert_eq!(b.delay(1, 0, 0), 25 * MS);
//! assert_eq!(b.delay(2, 0, 0), 50 * MS);
//! assert_eq!(b.delay(9, 0, 0), 250 * MS); // capped
//! ```

mod retry_after;

pub use retry_after::parse_retry_after;

use crate::error::check;
use crate::{ConfigError, Nanos, Reason, Value, MILLISECOND, SECOND};

/// How the computed exponential delay `d` is randomised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Jitter {
    /// Exactly `d`.
    None = 0,
    /// Uniform in `[0, d)` (AWS "full jitter"; Envoy's choice).
    Full = 1,
    /// Uniform in `[d/2, d)`.
    Equal = 2,
    /// Uniform in `[base, min(cap, 3 * previous delay))`, ignoring the attempt
    /// number (AWS "decorrelated jitter").
    Decorrelated = 3,
}

impl Jitter {
    /// The snake_case name used in configs and vectors.
    pub const fn as_str(self) -> &'static str {
        match self {
            Jitter::None => "none",
            Jitter::Full => "full",
            Jitter::Equal => "equal",
            Jitter::Decorrelated => "decorrelated",
        }
    }

    /// The jitter named `name` (see [`Jitter::as_str`]).
    pub fn from_name(name: &str) -> Option<Jitter> {
        Some(match name {
            "none" => Jitter::None,
            "full" => Jitter::Full,
            "equal" => Jitter::Equal,
            "decorrelated" => Jitter::Decorrelated,
            _ => return None,
        })
    }

    /// The jitter with this ABI code.
    pub const fn from_code(code: u8) -> Option<Jitter> {
        Some(match code {
            0 => Jitter::None,
            1 => Jitter::Full,
            2 => Jitter::Equal,
            3 => Jitter::Decorrelated,
            _ => return None,
        })
    }
}

/// Backoff settings. The defaults are Envoy's retry back-off (25 ms base,
/// cap 10x base, full jitter) with at most 3 attempts in all.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackoffConfig {
    /// Delay before the first retry, before jitter. At least 1 ns.
    pub base_ns: Nanos,
    /// Largest delay. At least `base_ns`.
    pub cap_ns: Nanos,
    /// Growth per attempt, in `[1, 1000]`.
    pub multiplier: f64,
    /// Randomisation of the delay.
    pub jitter: Jitter,
    /// Attempts in all, the first call included; at least 1 (1 = no retry).
    pub max_attempts: u32,
    /// Largest server-advised delay honoured; longer advice is cut to this.
    pub advised_cap_ns: Nanos,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        Self {
            base_ns: 25 * MILLISECOND,
            cap_ns: 250 * MILLISECOND,
            multiplier: 2.0,
            jitter: Jitter::Full,
            max_attempts: 3,
            advised_cap_ns: 30 * SECOND,
        }
    }
}

/// A validated backoff policy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    config: BackoffConfig,
}

/// `floor(span * draw / 2^64)`: a uniform pick in `[0, span)` (0 when span is 0)
/// that every host reproduces exactly, unlike a float.
#[inline]
pub(crate) const fn scale(span: u64, draw: u64) -> u64 {
    ((span as u128 * draw as u128) >> 64) as u64
}

impl Backoff {
    /// Validates `config`.
    pub fn new(config: BackoffConfig) -> Result<Self, ConfigError> {
        check::at_least("base_ns", ">= 1", config.base_ns, 1)?;
        check::at_least("cap_ns", ">= base_ns", config.cap_ns, config.base_ns)?;
        check::float_in("multiplier", "in [1, 1000]", config.multiplier, 1.0, 1000.0)?;
        if config.max_attempts == 0 {
            return Err(ConfigError::new("max_attempts", ">= 1", Value::Unsigned(0)));
        }
        Ok(Self { config })
    }

    /// The config.
    pub const fn config(&self) -> &BackoffConfig {
        &self.config
    }

    /// `min(cap, base * multiplier^(retry - 1))`, the delay before jitter of
    /// retry number `retry` (1 for the first retry; 0 counts as 1).
    #[inline]
    pub fn exponential(&self, retry: u32) -> Nanos {
        let c = &self.config;
        let steps = retry.saturating_sub(1);
        // Doubling is the common case and needs no float at all.
        if c.multiplier == 2.0 {
            return if steps < 64 && c.base_ns.leading_zeros() >= steps {
                (c.base_ns << steps).min(c.cap_ns)
            } else {
                c.cap_ns
            };
        }
        let grown = c.base_ns as f64 * libm::pow(c.multiplier, steps as f64);
        if grown.is_finite() && grown < c.cap_ns as f64 {
            grown as u64
        } else {
            c.cap_ns
        }
    }

    /// The delay before retry number `retry` (1 for the first retry), jittered
    /// with `draw`, a uniform random `u64`. `previous` is the delay returned
    /// for the retry before (0 for the first); only decorrelated jitter uses
    /// it. Always within `[0, cap_ns]`.
    #[inline]
    pub fn delay(&self, retry: u32, draw: u64, previous: Nanos) -> Nanos {
        let c = &self.config;
        match c.jitter {
            Jitter::None => self.exponential(retry),
            Jitter::Full => scale(self.exponential(retry), draw),
            Jitter::Equal => {
                let d = self.exponential(retry);
                let half = d / 2;
                half + scale(d - half, draw)
            }
            Jitter::Decorrelated => {
                let high = previous.saturating_mul(3).min(c.cap_ns).max(c.base_ns);
                c.base_ns + scale(high - c.base_ns, draw)
            }
        }
    }

    /// The delay after attempt number `attempt` failed (1 for the first
    /// call), or why there should be no retry. `advised` is the server's own
    /// delay, which replaces the computed one (clamped to `advised_cap_ns`).
    #[inline]
    pub fn next(&self, attempt: u32, draw: u64, previous: Nanos, advised: Option<Nanos>) -> Result<Nanos, Reason> {
        if attempt >= self.config.max_attempts {
            return Err(Reason::AttemptsExhausted);
        }
        Ok(match advised {
            Some(advice) => advice.min(self.config.advised_cap_ns),
            None => self.delay(attempt, draw, previous),
        })
    }
}
