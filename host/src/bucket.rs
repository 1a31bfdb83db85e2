//! The rate limiter a binding holds: its state either in this process or
//! in a file shared by every process that opens it.

use crate::shared::{SharedError, SharedLimiter};
use std::path::Path;
use weir_core::limiter::{AtomicLimiter, Gcra, LimiterConfig};
use weir_core::{Decision, Nanos};

/// One GCRA bucket, local or shared; the same calls either way.
#[derive(Debug)]
pub enum Bucket {
    /// State in this process (an `AtomicLimiter`).
    Local(AtomicLimiter),
    /// State in a mapped file ([`SharedLimiter`]).
    Shared(SharedLimiter),
}

impl Bucket {
    /// Asks for `cost` tokens at `now`.
    #[inline]
    pub fn acquire(&self, now: Nanos, cost: u64) -> Decision {
        match self {
            Bucket::Local(l) => l.acquire(now, cost),
            Bucket::Shared(l) => l.acquire(now, cost),
        }
    }

    /// The clock this bucket's decisions must be taken on: the TSC clock
    /// for a local bucket, `CLOCK_MONOTONIC` from the kernel for a shared
    /// one (see [`SharedLimiter::now`]).
    #[inline]
    pub fn now(&self) -> Nanos {
        match self {
            Bucket::Local(_) => crate::monotonic_now(),
            Bucket::Shared(_) => SharedLimiter::now(),
        }
    }

    /// Asks for `cost` tokens at [`Self::now`].
    #[inline]
    pub fn acquire_now(&self, cost: u64) -> Decision {
        self.acquire(self.now(), cost)
    }

    /// Changes rate and burst now (on [`Self::now`]), keeping what was
    /// spent; for a shared bucket, for every process. Build `config` from
    /// user units with [`crate::units::with_rate`] / [`crate::units::with_burst`].
    pub fn set_config(&self, config: LimiterConfig) -> Result<(), SharedError> {
        match self {
            Bucket::Local(l) => Ok(l.set_config(config, crate::monotonic_now())?),
            Bucket::Shared(l) => l.set_config(config),
        }
    }

    /// The config in force.
    pub fn config(&self) -> LimiterConfig {
        match self {
            Bucket::Local(l) => l.config(),
            Bucket::Shared(l) => l.config(),
        }
    }

    /// The kernel in force (interval, burst).
    pub fn gcra(&self) -> Gcra {
        match self {
            Bucket::Local(l) => l.gcra(),
            Bucket::Shared(l) => l.gcra(),
        }
    }

    /// The raw state word.
    pub fn state(&self) -> u64 {
        match self {
            Bucket::Local(l) => l.state(),
            Bucket::Shared(l) => l.state(),
        }
    }

    /// Replaces the state word (for every process, when shared; that takes
    /// the file's lock, whose failure is the error).
    pub fn restore(&self, state: u64) -> Result<(), SharedError> {
        match self {
            Bucket::Local(l) => {
                l.restore(state);
                Ok(())
            }
            Bucket::Shared(l) => l.restore(state),
        }
    }

    /// The file of a shared bucket.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Bucket::Local(_) => None,
            Bucket::Shared(l) => Some(l.path()),
        }
    }
}
