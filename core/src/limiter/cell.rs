use super::gcra::{Gcra, LimiterConfig};
use super::live::LiveRate;
use crate::sync::AtomicU64;
use crate::word::{Measured, Order, Word};
use crate::{ConfigError, Decision, Nanos};

/// A rate limiter for many threads: the GCRA kernel in a CAS loop on one
/// `AtomicU64`, with a config that can change at run time
/// ([`Self::set_config`], exact under concurrent callers: see
/// [`LiveRate`]). Lock-free; a refusal never writes.
#[derive(Debug)]
pub struct AtomicLimiter {
    cell: LiveRate,
}

impl AtomicLimiter {
    /// A limiter with a full bucket.
    pub fn new(config: LimiterConfig) -> Result<Self, ConfigError> {
        Ok(Self { cell: LiveRate::new(config)? })
    }

    /// Asks for `cost` tokens at `now`.
    #[inline]
    pub fn acquire(&self, now: Nanos, cost: u64) -> Decision {
        self.cell.acquire(now, cost)
    }

    /// Changes rate and burst at `now`, keeping what was spent
    /// ([`Gcra::rescale`]: a change refills nothing).
    pub fn set_config(&self, config: LimiterConfig, now: Nanos) -> Result<(), ConfigError> {
        self.cell.set_config(config, now)
    }

    /// The config in force.
    pub fn config(&self) -> LimiterConfig {
        self.cell.config()
    }

    /// The kernel in force (interval, burst).
    pub fn gcra(&self) -> Gcra {
        // This process wrote every config the cell holds, all validated.
        self.cell.gcra().unwrap_or(Gcra::from_trusted_words([1, 0, 1, 1]))
    }

    /// The raw state (the TAT), for snapshots and for moving state between
    /// processes.
    pub fn state(&self) -> u64 {
        self.cell.state()
    }

    /// Replaces the raw state (restore of a snapshot taken by [`Self::state`]).
    pub fn restore(&self, state: u64) {
        self.cell.restore(state);
    }
}

/// The atomic cell's CAS loop over a state word kept elsewhere, e.g. in
/// memory shared between processes (weir-host's `SharedLimiter`). Each
/// process keeps its own `gcra`; only the word is shared, so no process can
/// change another's kernel through it. A word nobody has written yet (0) is a
/// full bucket.
#[inline]
pub fn acquire_atomic(gcra: &Gcra, tat: &AtomicU64, now: Nanos, cost: u64) -> Decision {
    // Relaxed is enough: the state is this one word, and compare-exchange
    // orders every write to it; nothing else is published through it.
    // The admission is described after the exchange, so a lost race pays
    // for the bare transition only.
    let admitted = tat.measure_and_replace(
        Order::Relaxed,
        #[inline(always)]
        |current| match gcra.next_state(current, now, cost) {
            Some(next) => Measured::Replace(Ok(next), next),
            None => Measured::Keep(Err(gcra.decide(current, now, cost).1)),
        },
    );
    admitted.map_or_else(|refused| refused, |next| gcra.admitted(next, now))
}

/// A rate limiter for one thread (or a host that serialises calls itself).
#[derive(Debug, Clone)]
pub struct Limiter {
    gcra: Gcra,
    tat: u64,
}

impl Limiter {
    /// A limiter with a full bucket.
    pub fn new(config: LimiterConfig) -> Result<Self, ConfigError> {
        Ok(Self { gcra: Gcra::new(config)?, tat: Gcra::full_state() })
    }

    /// Asks for `cost` tokens at `now`.
    #[inline]
    pub fn acquire(&mut self, now: Nanos, cost: u64) -> Decision {
        match self.gcra.next_state(self.tat, now, cost) {
            Some(next) => {
                self.tat = next;
                self.gcra.admitted(next, now)
            }
            None => self.gcra.decide(self.tat, now, cost).1,
        }
    }

    /// The kernel (interval, burst).
    pub fn gcra(&self) -> &Gcra {
        &self.gcra
    }

    /// The raw state.
    pub fn state(&self) -> u64 {
        self.tat
    }

    /// Changes rate and burst at `now`, keeping what was spent (the same
    /// rule as [`AtomicLimiter::set_config`]).
    pub fn set_config(&mut self, config: LimiterConfig, now: Nanos) -> Result<(), ConfigError> {
        let gcra = Gcra::new(config)?;
        self.tat = gcra.rescale(&self.gcra, self.tat, now);
        self.gcra = gcra;
        Ok(())
    }

    /// Replaces the raw state.
    pub fn restore(&mut self, state: u64) {
        self.tat = state;
    }
}
