//! Limits in process memory: every thread of a process (an Envoy worker, a
//! service's request handlers) decides on the same cells, so an unkeyed
//! limit is one `AtomicU64` (weir-core's GCRA in a compare-exchange loop,
//! `acquire_atomic`) and a keyed one is weir-core's `KeyedLimiter` over a
//! boxed table. Both are exact across threads at the cost of one
//! compare-exchange, with no lock and no copy.
//!
//! State is found by name in a registry, so every plan built from a policy
//! (each Envoy worker's, a reloaded one) that names the same rule with the
//! same rate, burst and table size decides on the same cells: a reload that
//! keeps a rule unchanged keeps its count, and grants no new burst. A rule
//! whose numbers changed starts fresh. The registry holds weak references:
//! state lives as long as a plan uses it. The Envoy module shares one
//! registry across its configurations ([`ProcessStore::global`]); each
//! policy a service loads has its own ([`ProcessStore::private`]), so two
//! policies never count together by accident.

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, LazyLock, Mutex, Weak};
use weir_core::adaptive_limit::{AdaptiveLimitConfig, AtomicAdaptiveLimit};
use weir_core::limiter::{acquire_atomic, Gcra, KeySet, KeyedLimiter, LimiterConfig};
use weir_core::{Decision, Nanos};

use crate::store::{LimitStore, StateError};

pub type Table = KeyedLimiter<Box<[KeySet]>>;

/// Which state a rule decides on: its name and every number that shapes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Identity {
    name: String,
    interval: Nanos,
    burst: u64,
    sets: u64,
}

impl Identity {
    fn of(name: &str, gcra: &Gcra, sets: u64) -> Self {
        Self { name: name.to_owned(), interval: gcra.interval(), burst: gcra.burst(), sets }
    }
}

#[derive(Default)]
pub struct Registry {
    buckets: HashMap<Identity, Weak<AtomicU64>>,
    tables: HashMap<Identity, Weak<Table>>,
    /// Latency limits by name, with the settings they were made with.
    concurrency: HashMap<String, (AdaptiveLimitConfig, Weak<AtomicAdaptiveLimit>)>,
}

static GLOBAL: LazyLock<Arc<Mutex<Registry>>> = LazyLock::new(Arc::default);

/// Finds live state under `id`, or makes it with `make`; forgets dead entries.
fn find_or_make<T>(
    map: &mut HashMap<Identity, Weak<T>>,
    id: Identity,
    make: impl FnOnce() -> Result<T, StateError>,
) -> Result<Arc<T>, StateError> {
    if let Some(live) = map.get(&id).and_then(Weak::upgrade) {
        return Ok(live);
    }
    map.retain(|_, state| state.strong_count() > 0);
    let state = Arc::new(make()?);
    map.insert(id, Arc::downgrade(&state));
    Ok(state)
}

/// Limit state in process memory, found by name in its registry.
#[derive(Clone, Default)]
pub struct ProcessStore {
    registry: Arc<Mutex<Registry>>,
}

impl ProcessStore {
    /// The process-wide registry: every store made by this shares state by name.
    pub fn global() -> Self {
        Self { registry: GLOBAL.clone() }
    }

    /// A registry of its own: shares state only with its clones.
    pub fn private() -> Self {
        Self::default()
    }
}

impl LimitStore for ProcessStore {
    type Bucket = Arc<AtomicU64>;
    type Table = Arc<Table>;

    fn bucket(&self, name: &str, gcra: &Gcra) -> Result<Arc<AtomicU64>, StateError> {
        let mut registry = self.registry.lock().map_err(|_| StateError::Contended)?;
        find_or_make(&mut registry.buckets, Identity::of(name, gcra, 0), || Ok(AtomicU64::new(Gcra::full_state())))
    }

    fn table(&self, name: &str, gcra: &Gcra, sets: u64) -> Result<Arc<Table>, StateError> {
        let mut registry = self.registry.lock().map_err(|_| StateError::Contended)?;
        find_or_make(&mut registry.tables, Identity::of(name, gcra, sets), || {
            let storage: Box<[KeySet]> = (0..sets.max(1)).map(|_| KeySet::new()).collect();
            let config = LimiterConfig { rate: 1, period_ns: gcra.interval(), burst: gcra.burst() };
            KeyedLimiter::with_storage(config, storage).map_err(|_| StateError::Corrupt)
        })
    }

    /// One cell per name and settings for every worker: the limit and the
    /// count in flight are one word, exact however connections split
    /// across workers.
    fn concurrency(&self, name: &str, config: &AdaptiveLimitConfig) -> Result<Arc<AtomicAdaptiveLimit>, StateError> {
        let mut registry = self.registry.lock().map_err(|_| StateError::Contended)?;
        let live = registry.concurrency.get(name).filter(|(made, _)| made == config).and_then(|(_, w)| w.upgrade());
        if let Some(live) = live {
            return Ok(live);
        }
        registry.concurrency.retain(|_, (_, state)| state.strong_count() > 0);
        let state = Arc::new(AtomicAdaptiveLimit::new(*config).map_err(|_| StateError::Corrupt)?);
        registry.concurrency.insert(name.to_owned(), (*config, Arc::downgrade(&state)));
        Ok(state)
    }

    #[inline]
    fn acquire(&self, bucket: &Arc<AtomicU64>, gcra: &Gcra, now: Nanos, cost: u64) -> Result<Decision, StateError> {
        Ok(acquire_atomic(gcra, bucket, now, cost))
    }

    #[inline]
    fn acquire_keyed(
        &self,
        table: &Arc<Table>,
        _: &Gcra,
        key: u64,
        now: Nanos,
        cost: u64,
    ) -> Result<Decision, StateError> {
        // The table was made for this rule's GCRA (its identity includes
        // interval and burst), so it decides with its own copy.
        Ok(table.acquire(key, now, cost))
    }
}
