//! Limits in process memory: every Envoy worker is a thread of one
//! process, so an unkeyed limit is one `AtomicU64` (weir-core's GCRA in a
//! compare-exchange loop, `acquire_atomic`) and a keyed one is weir-core's
//! `KeyedLimiter` over a boxed table. Both are exact across workers at the
//! cost of one compare-exchange, with no lock and no copy.
//!
//! State is found by name in a process-wide registry, so every worker's
//! plan, and every filter configuration that names the same rule with the
//! same rate, burst and table size, decides on the same cells; a listener
//! reload that keeps a rule unchanged keeps its count. A rule whose numbers
//! changed starts fresh. The registry holds weak references: state lives
//! as long as a configuration or a worker's plan uses it.

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, LazyLock, Mutex, Weak};
use weir_core::limiter::{acquire_atomic, Gcra, KeySet, KeyedLimiter, LimiterConfig};
use weir_core::{Decision, Nanos};
use weir_policy::store::{LimitStore, StateError};

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
struct Registry {
    buckets: HashMap<Identity, Weak<AtomicU64>>,
    tables: HashMap<Identity, Weak<Table>>,
}

static REGISTRY: LazyLock<Mutex<Registry>> = LazyLock::new(Mutex::default);

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

/// The store of the dynamic module: process memory.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessStore;

impl LimitStore for ProcessStore {
    type Bucket = Arc<AtomicU64>;
    type Table = Arc<Table>;

    fn bucket(&self, name: &str, gcra: &Gcra) -> Result<Arc<AtomicU64>, StateError> {
        let mut registry = REGISTRY.lock().map_err(|_| StateError::Contended)?;
        find_or_make(&mut registry.buckets, Identity::of(name, gcra, 0), || Ok(AtomicU64::new(Gcra::full_state())))
    }

    fn table(&self, name: &str, gcra: &Gcra, sets: u64) -> Result<Arc<Table>, StateError> {
        let mut registry = REGISTRY.lock().map_err(|_| StateError::Contended)?;
        find_or_make(&mut registry.tables, Identity::of(name, gcra, sets), || {
            let storage: Box<[KeySet]> = (0..sets.max(1)).map(|_| KeySet::new()).collect();
            let config = LimiterConfig { rate: 1, period_ns: gcra.interval(), burst: gcra.burst() };
            KeyedLimiter::with_storage(config, storage).map_err(|_| StateError::Corrupt)
        })
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
