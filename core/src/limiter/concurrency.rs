use crate::error::check;
use crate::sync::{atomic_u64, AtomicU64, Ordering};
use crate::word::{Measured, Order, Word};
use crate::{ConfigError, Decision, Reason};

/// A cap on requests in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConcurrencyConfig {
    /// Requests allowed in flight at once, at least 1.
    pub max_in_flight: u64,
}

/// Counts permits in flight; `acquire` takes one when below the cap and
/// `release` gives it back. Lock-free and exact: the check and the increment
/// are one compare-exchange, so the cap holds under any interleaving.
#[derive(Debug)]
pub struct ConcurrencyLimiter {
    max: u64,
    in_flight: AtomicU64,
}

impl ConcurrencyLimiter {
    /// A limiter with nothing in flight.
    pub fn new(config: ConcurrencyConfig) -> Result<Self, ConfigError> {
        let max = check::at_least("max_in_flight", ">= 1", config.max_in_flight, 1)?;
        Ok(Self { max, in_flight: atomic_u64(0) })
    }

    /// Takes a permit if one is free. `remaining` is the permits left after it.
    #[inline]
    pub fn acquire(&self) -> Decision {
        self.in_flight.measure_and_replace(
            Order::Take,
            #[inline(always)]
            |current| match current {
                full if full >= self.max => Measured::Keep(Decision::reject(Reason::ConcurrencyLimited, 0, 0, 0)),
                _ => Measured::Replace(Decision::admit(self.max - (current + 1), 0), current + 1),
            },
        )
    }

    /// Returns a permit. A release without a matching acquire is ignored
    /// rather than wrapping the count, and reported by returning `false`.
    #[inline]
    pub fn release(&self) -> bool {
        self.in_flight.measure_and_replace(
            Order::Give,
            #[inline(always)]
            |current| match current {
                0 => Measured::Keep(false),
                _ => Measured::Replace(true, current - 1),
            },
        )
    }

    /// Permits in flight now.
    pub fn in_flight(&self) -> u64 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// The cap.
    pub fn max_in_flight(&self) -> u64 {
        self.max
    }
}
