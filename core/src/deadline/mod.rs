//! Deadline propagation: how long a call to a callee may take, and the
//! headers that carry it.
//!
//! The budget for a callee is `min(own remaining, callee timeout) - margin`:
//! the caller's own deadline (from the request that reached it, e.g. its
//! `grpc-timeout`) bounds every call it makes, the callee's configured timeout
//! bounds this one, and the margin leaves the caller time to answer after the
//! callee gives up. There is no state, so no cell: [`Deadline`] is a pure
//! function of its config, `now` and the deadline.
//!
//! ```
//! use weir_core::deadline::{format_grpc_timeout, parse_grpc_timeout, Deadline, DeadlineConfig};
//! use weir_core::MILLISECOND as MS;
//! let d = Deadline::new(DeadlineConfig { timeout_ns: 300 * MS, margin_ns: 5 * MS }).unwrap();
//! let own = parse_grpc_timeout(b"100m").unwrap(); // arrived with 100 ms left
//! assert_eq!(d.budget(0, Some(own)), Ok(95 * MS));
//! let mut buf = [0u8; 9];
//! let n = format_grpc_timeout(95 * MS, &mut buf).unwrap();
//! assert_eq!(&buf[..n], b"95000000n");
//! ```

mod header;

pub use header::{
    format_grpc_timeout, format_millis, parse_grpc_timeout, parse_millis, HeaderError, GRPC_TIMEOUT_MAX_LEN,
};

use crate::error::check;
use crate::{ConfigError, Nanos, Reason, Value};

/// Deadline settings for calls to one callee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadlineConfig {
    /// The callee's own timeout; `u64::MAX` for none (the default).
    pub timeout_ns: Nanos,
    /// Subtracted from the budget so the caller can still answer in time.
    /// Less than `timeout_ns`. Default 0, like Envoy's grpc-timeout offset.
    pub margin_ns: Nanos,
}

impl Default for DeadlineConfig {
    fn default() -> Self {
        Self { timeout_ns: u64::MAX, margin_ns: 0 }
    }
}

/// A validated deadline policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    config: DeadlineConfig,
}

impl Deadline {
    /// Validates `config`.
    pub fn new(config: DeadlineConfig) -> Result<Self, ConfigError> {
        check::at_least("timeout_ns", ">= 1", config.timeout_ns, 1)?;
        if config.margin_ns >= config.timeout_ns {
            return Err(ConfigError::new("margin_ns", "< timeout_ns", Value::Unsigned(config.margin_ns)));
        }
        Ok(Self { config })
    }

    /// The config.
    pub const fn config(&self) -> &DeadlineConfig {
        &self.config
    }

    /// The timeout to give the callee at `now`. `deadline` is the instant (on
    /// the same clock as `now`) by which the caller itself must be done, if it
    /// has one. Fails with [`Reason::DeadlineExceeded`] when nothing is left
    /// after the margin.
    #[inline]
    pub fn budget(&self, now: Nanos, deadline: Option<Nanos>) -> Result<Nanos, Reason> {
        let own = deadline.map_or(u64::MAX, |at| at.saturating_sub(now));
        match own.min(self.config.timeout_ns).saturating_sub(self.config.margin_ns) {
            0 => Err(Reason::DeadlineExceeded),
            left => Ok(left),
        }
    }
}

/// The instant `timeout` after `now`, saturating at `u64::MAX` (no deadline
/// is ever earlier than asked because the clock ran out of bits).
#[inline]
pub const fn deadline_at(now: Nanos, timeout: Nanos) -> Nanos {
    now.saturating_add(timeout)
}
