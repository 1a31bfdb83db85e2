//! The rate limiter a binding holds: its state either in this process or
//! in a file shared by every process that opens it.

use crate::shared::SharedLimiter;
use std::path::Path;
use weir_core::limiter::{AtomicLimiter, Gcra};
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

    /// The kernel (interval, burst).
    pub fn gcra(&self) -> &Gcra {
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

    /// Replaces the state word (for every process, when shared).
    pub fn restore(&self, state: u64) {
        match self {
            Bucket::Local(l) => l.restore(state),
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
