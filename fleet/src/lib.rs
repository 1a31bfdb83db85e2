//! Fleet-wide rate limits: quota leased from Redis in batches sized to each
//! node's recent rate, spent locally through weir-core's lease cell.
//!
//! A request costs one CAS on the node's lease; Redis sees one call per batch.
//! A background thread owns the only Redis connection: it asks for the next
//! batch before the current one runs out (weir-core's `LeasePlanner` says
//! when and how much), and when Redis is slow or down it switches the node to
//! a local share of the limit (`limit / nodes`, through weir-core's GCRA)
//! until Redis answers again. It never fails open.
//!
//! ```no_run
//! use std::time::Duration;
//! use weir_fleet::{FleetConfig, FleetLimiter};
//! let mut config = FleetConfig::new("redis://127.0.0.1:6379", "tenant:42", 1000, Duration::from_secs(1));
//! config.nodes = 8;
//! let limiter = FleetLimiter::new(config)?;
//! if limiter.try_acquire(1).is_admitted() { /* serve */ }
//! # Ok::<(), weir_fleet::FleetError>(())
//! ```

#![forbid(unsafe_code)]

mod clock;
mod config;
mod rate;
mod refill;
mod stats;
mod store;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use weir_core::lease::{AtomicLease, Spend};
use weir_core::limiter::{AtomicLimiter, LimiterConfig};
pub use weir_core::{Decision, Reason};

use clock::Clock;
use config::Resolved;
pub use config::{FleetConfig, FleetError};
use stats::Counters;
pub use stats::FleetStats;
use store::{Global, Store};

/// What the hot path and the refill thread share.
pub(crate) struct Shared {
    config: Resolved,
    clock: Clock,
    lease: AtomicLease,
    fallback: AtomicLimiter,
    /// Tokens demanded, admitted or not: the planner's rate input.
    demand: AtomicU64,
    /// The planner's low water mark: spending down to it wakes the refill.
    low_water: AtomicU64,
    /// Fallback tokens not yet reported to Redis as a debit.
    unreported: AtomicU64,
    /// `retry_after` for a request the lease cannot serve.
    retry_hint: AtomicU64,
    counters: Counters,
    nudged: AtomicBool,
    stop: Mutex<bool>,
    wake: Condvar,
}

impl Shared {
    /// Wakes the refill thread, at most once per refill round: only the
    /// first caller after a round pays for the lock.
    fn nudge(&self) {
        if !self.nudged.swap(true, Ordering::AcqRel) {
            let _guard = self.stop.lock().unwrap_or_else(PoisonError::into_inner);
            self.wake.notify_one();
        }
    }

    /// Sleeps until `deadline` or, unless `gated`, a nudge. True on stop.
    fn wait(&self, deadline: u64, gated: bool) -> bool {
        let mut stop = self.stop.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if *stop {
                return true;
            }
            let now = self.clock.now();
            if now >= deadline || (!gated && self.nudged.load(Ordering::Acquire)) {
                return false;
            }
            let timeout = Duration::from_nanos(deadline - now);
            stop = self.wake.wait_timeout(stop, timeout).unwrap_or_else(PoisonError::into_inner).0;
        }
    }
}

/// A limit shared by every node using the same Redis key. `Send + Sync`:
/// share one per process (e.g. in an `Arc`) across threads.
pub struct FleetLimiter {
    shared: Arc<Shared>,
    refill: Option<JoinHandle<()>>,
}

impl FleetLimiter {
    /// Validates `config` and starts the refill thread. Redis being down is
    /// not an error: the limiter starts on its fallback share and leases as
    /// soon as Redis answers.
    pub fn new(config: FleetConfig) -> Result<Self, FleetError> {
        let resolved = Resolved::new(&config)?;
        let fallback = AtomicLimiter::new(LimiterConfig {
            rate: (resolved.limit / resolved.nodes).max(1),
            period_ns: resolved.period_ns,
            burst: resolved.fallback_burst,
        })?;
        let client = redis::Client::open(config.redis_url.as_str()).map_err(|e| FleetError::RedisUrl(e.to_string()))?;
        let interval_us = resolved.period_ns as f64 / 1000.0 / resolved.limit as f64;
        let global = Global {
            key: config.key.clone(),
            interval_us,
            tau_us: interval_us * resolved.burst as f64,
            keep_ms: resolved.key_idle_ttl_ms,
        };
        let store = Store::new(client, resolved.redis_timeout, global);
        let max_batch = resolved.planner.config().max_batch;
        let shared = Arc::new(Shared {
            clock: Clock::new(),
            lease: AtomicLease::new(max_batch),
            fallback,
            demand: AtomicU64::new(0),
            low_water: AtomicU64::new(0),
            unreported: AtomicU64::new(0),
            retry_hint: AtomicU64::new(resolved.planner.config().lead_ns.max(1)),
            counters: Counters::default(),
            nudged: AtomicBool::new(false),
            stop: Mutex::new(false),
            wake: Condvar::new(),
            config: resolved,
        });
        let worker = Arc::clone(&shared);
        let refill = std::thread::Builder::new()
            .name("weir-fleet-refill".into())
            .spawn(move || refill::run(worker, store))
            .map_err(FleetError::Thread)?;
        Ok(Self { shared, refill: Some(refill) })
    }

    /// Asks for `cost` tokens now. Never blocks on Redis: answers from the
    /// lease (or, while Redis is unreachable, the fallback share) and, when
    /// the lease runs low, wakes the refill thread.
    pub fn try_acquire(&self, cost: u64) -> Decision {
        let s = &*self.shared;
        let max_batch = s.config.planner.config().max_batch;
        if cost > max_batch {
            s.counters.rejected.fetch_add(1, Ordering::Relaxed);
            return Decision { reason: Reason::CostExceedsBurst, retry_after: u64::MAX, remaining: 0, reset_after: 0 };
        }
        let now = s.clock.now();
        s.demand.fetch_add(cost, Ordering::Relaxed);
        match s.lease.try_spend(now, cost) {
            Spend::Spent { left } => {
                if left <= s.low_water.load(Ordering::Relaxed) {
                    s.nudge();
                }
                s.counters.admitted.fetch_add(1, Ordering::Relaxed);
                Decision { reason: Reason::Admitted, retry_after: 0, remaining: left, reset_after: 0 }
            }
            Spend::Short { .. } | Spend::Expired => self.miss(now, cost),
        }
    }

    #[cold]
    fn miss(&self, now: u64, cost: u64) -> Decision {
        let s = &*self.shared;
        s.nudge();
        if s.counters.in_fallback.load(Ordering::Acquire) {
            let d = s.fallback.acquire(now, cost);
            if d.is_admitted() {
                s.unreported.fetch_add(cost, Ordering::Relaxed);
                s.counters.fallback_admitted.fetch_add(1, Ordering::Relaxed);
                s.counters.admitted.fetch_add(1, Ordering::Relaxed);
            } else {
                s.counters.rejected.fetch_add(1, Ordering::Relaxed);
            }
            return d;
        }
        s.counters.rejected.fetch_add(1, Ordering::Relaxed);
        let retry_after = s.retry_hint.load(Ordering::Relaxed);
        Decision { reason: Reason::RateLimited, retry_after, remaining: 0, reset_after: 0 }
    }

    /// Counters for metrics.
    pub fn stats(&self) -> FleetStats {
        let s = &*self.shared;
        s.counters.snapshot(s.lease.snapshot(s.clock.now()).left)
    }

    /// The documented overshoot bound for this config: in any window of one
    /// period, the fleet admits at most `limit * (1 + bound())` as long as
    /// no more than `nodes` nodes share the key. See the README.
    pub fn bound(&self) -> f64 {
        self.shared.config.bound()
    }

    /// The largest batch this node leases (the `max_batch` in effect).
    pub fn max_batch(&self) -> u64 {
        self.shared.config.planner.config().max_batch
    }
}

impl Drop for FleetLimiter {
    fn drop(&mut self) {
        *self.shared.stop.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.shared.wake.notify_one();
        if let Some(refill) = self.refill.take() {
            // A refill thread that panicked has nothing left to clean up.
            let _ = refill.join();
        }
    }
}
