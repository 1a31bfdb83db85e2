//! Several rates on one limiter (10 a second and 1000 an hour), decided in
//! one call, all or nothing: a request is admitted only if every rate admits
//! it, and a refusal spends nothing in any rate.
//!
//! Spending from several state words at once cannot be one CAS, and a
//! spend-then-undo scheme would refuse other callers on tokens that are
//! handed back a moment later. So the rates are decided under one small
//! flag: a caller reads every rate, and writes all of them only when all
//! admit. The flag is held for a few dozen instructions and never across a
//! wait. Each rate changes live like a single limiter ([`super::LiveRate`]'s
//! rule), under the same flag.

use super::gcra::LimiterConfig;
use super::live::LiveRate;
use crate::sync::{atomic_u64, AtomicU64};
use crate::word::{lock, unlock};
use crate::{ConfigError, Decision, Nanos, Value};

/// Most rates one [`MultiLimiter`] holds.
pub const MAX_RATES: usize = 4;

/// Up to [`MAX_RATES`] rate limits decided together.
#[derive(Debug)]
pub struct MultiLimiter {
    flag: AtomicU64,
    len: usize,
    rates: [LiveRate; MAX_RATES],
}

impl MultiLimiter {
    /// A limiter of every rate in `configs` (1 to [`MAX_RATES`]), each with
    /// a full bucket.
    pub fn new(configs: &[LimiterConfig]) -> Result<Self, ConfigError> {
        let len = configs.len();
        let Some(first) = configs.first().filter(|_| len <= MAX_RATES) else {
            return Err(ConfigError::new("rates", "1 to 4 rates", Value::Unsigned(len as u64)));
        };
        for config in configs {
            LiveRate::new(*config)?;
        }
        let rate = |i: usize| LiveRate::new(*configs.get(i).unwrap_or(first));
        Ok(Self { flag: atomic_u64(0), len, rates: [rate(0)?, rate(1)?, rate(2)?, rate(3)?] })
    }

    /// How many rates.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false: a limiter holds at least one rate.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn lock(&self) {
        lock(&self.flag);
    }

    fn unlock(&self) {
        unlock(&self.flag);
    }

    /// Asks every rate for `cost` tokens at `now`. Admitted: `remaining` is
    /// the fewest any rate has left, `reset_after` the longest until all are
    /// full. Refused: the refusal of the rate that waits longest (when it
    /// admits, so does every other, barring other traffic); nothing spent.
    pub fn acquire(&self, now: Nanos, cost: u64) -> Decision {
        let rates = self.rates.get(..self.len).unwrap_or(&[]);
        let mut writes = [None; MAX_RATES];
        let mut refusal: Option<Decision> = None;
        let (mut remaining, mut reset_after) = (u64::MAX, 0);
        self.lock();
        for (rate, write) in rates.iter().zip(writes.iter_mut()) {
            let peek = rate.peek(now, cost);
            let d = peek.decision;
            if d.is_admitted() {
                remaining = remaining.min(d.remaining);
                reset_after = reset_after.max(d.reset_after);
                *write = peek.next;
            } else if refusal.is_none_or(|r| d.retry_after > r.retry_after) {
                refusal = Some(d);
            }
        }
        if refusal.is_none() {
            for (rate, write) in rates.iter().zip(writes) {
                if let Some(word) = write {
                    rate.commit(word);
                }
            }
        }
        self.unlock();
        refusal.unwrap_or(Decision::admit(remaining, reset_after))
    }

    /// Changes rate `index` at `now`, keeping what it had spent
    /// ([`super::Gcra::rescale`]).
    pub fn set_config(&self, index: usize, config: LimiterConfig, now: Nanos) -> Result<(), ConfigError> {
        let Some(rate) = self.rates.get(index).filter(|_| index < self.len) else {
            return Err(ConfigError::new("index", "below the number of rates", Value::Unsigned(index as u64)));
        };
        self.lock();
        let result = rate.set_config_serialised(config, now);
        self.unlock();
        result
    }

    /// The config of rate `index` in force.
    pub fn config(&self, index: usize) -> Option<LimiterConfig> {
        self.rates.get(index).filter(|_| index < self.len).map(LiveRate::config)
    }
}
