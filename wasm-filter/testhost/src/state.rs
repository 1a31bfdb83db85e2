//! What every VM of one host shares, as Envoy shares it between workers.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Status codes of the proxy-wasm ABI the host returns.
pub(crate) mod status {
    pub const OK: u32 = 0;
    pub const NOT_FOUND: u32 = 1;
    pub const BAD_ARGUMENT: u32 = 2;
    pub const CAS_MISMATCH: u32 = 8;
    pub const UNIMPLEMENTED: u32 = 12;
}

/// One line a VM logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// proxy-wasm level: 0 trace .. 5 critical.
    pub level: u32,
    /// Which VM logged it (the order `Host::start` made them in).
    pub vm: usize,
    pub message: String,
}

type SetHook = Box<dyn Fn(&str) + Send + Sync>;

#[derive(Default)]
pub(crate) struct Shared {
    pub data: Mutex<HashMap<String, (Vec<u8>, u32)>>,
    pub next_cas: AtomicU64,
    pub metrics: Mutex<Metrics>,
    pub logs: Mutex<Vec<LogLine>>,
    pub clock: AtomicU64,
    pub vms: AtomicU64,
    pub unimplemented: Mutex<Vec<String>>,
    pub before_set: Mutex<Option<Arc<SetHook>>>,
}

#[derive(Default)]
pub(crate) struct Metrics {
    pub ids: HashMap<String, u32>,
    pub values: Vec<(String, u32, i64)>,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A test thread that panicked mid-call must not hide the state from the
    // assertion that reports it.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    pub fn shared_get(&self, key: &str) -> Option<(Vec<u8>, u32)> {
        lock(&self.data).get(key).cloned()
    }

    /// Envoy's rule: a CAS token is checked only when the key exists and the
    /// token is non-zero; every write gets a fresh token.
    pub fn shared_set(&self, key: &str, value: &[u8], cas: u32) -> u32 {
        let hook = lock(&self.before_set).clone();
        if let Some(hook) = hook {
            hook(key);
        }
        self.shared_set_raw(key, value, cas)
    }

    pub fn shared_set_raw(&self, key: &str, value: &[u8], cas: u32) -> u32 {
        let mut data = lock(&self.data);
        let fresh = (self.next_cas.fetch_add(1, Ordering::Relaxed) as u32).wrapping_add(1).max(1);
        match data.get_mut(key) {
            Some(entry) if cas != 0 && entry.1 != cas => status::CAS_MISMATCH,
            Some(entry) => {
                *entry = (value.to_vec(), fresh);
                status::OK
            }
            None => {
                data.insert(key.to_owned(), (value.to_vec(), fresh));
                status::OK
            }
        }
    }
}

/// The process a filter runs in: shared data, counters, logs, clock.
#[derive(Clone, Default)]
pub struct Host {
    pub(crate) shared: Arc<Shared>,
}

impl Host {
    /// A host whose clock starts at a realistic wall-clock instant.
    pub fn new() -> Self {
        let host = Self::default();
        host.set_time(1_700_000_000_000_000_000);
        host
    }

    /// Sets the clock (nanoseconds) every VM reads.
    pub fn set_time(&self, ns: u64) {
        self.shared.clock.store(ns, Ordering::SeqCst);
    }

    /// Moves the clock forward.
    pub fn advance(&self, ns: u64) {
        self.shared.clock.fetch_add(ns, Ordering::SeqCst);
    }

    pub fn time(&self) -> u64 {
        self.shared.clock.load(Ordering::SeqCst)
    }

    /// A counter's value by the name the filter defined, if defined.
    pub fn counter(&self, name: &str) -> Option<i64> {
        lock(&self.shared.metrics).values.iter().find(|(n, _, _)| n == name).map(|(_, _, v)| *v)
    }

    /// Every counter and gauge, by name.
    pub fn metrics(&self) -> Vec<(String, i64)> {
        lock(&self.shared.metrics).values.iter().map(|(n, _, v)| (n.clone(), *v)).collect()
    }

    pub fn logs(&self) -> Vec<LogLine> {
        lock(&self.shared.logs).clone()
    }

    /// Whether any log line of at least `level` contains `needle`.
    pub fn logged(&self, level: u32, needle: &str) -> bool {
        lock(&self.shared.logs).iter().any(|l| l.level >= level && l.message.contains(needle))
    }

    /// A shared-data value and its CAS token.
    pub fn shared_data(&self, key: &str) -> Option<(Vec<u8>, u32)> {
        self.shared.shared_get(key)
    }

    /// Writes shared data as another worker would (CAS 0: unconditional).
    /// Does not run the [`Host::before_shared_set`] hook, so a hook may call it.
    pub fn write_shared_data(&self, key: &str, value: &[u8]) {
        self.shared.shared_set_raw(key, value, 0);
    }

    /// Keys in shared data, sorted.
    pub fn shared_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = lock(&self.shared.data).keys().cloned().collect();
        keys.sort();
        keys
    }

    /// Runs `hook(key)` before every shared-data write, e.g. to make another
    /// writer win the race and force the filter through a CAS mismatch.
    pub fn before_shared_set(&self, hook: impl Fn(&str) + Send + Sync + 'static) {
        *lock(&self.shared.before_set) = Some(Arc::new(Box::new(hook)));
    }

    pub fn clear_before_shared_set(&self) {
        *lock(&self.shared.before_set) = None;
    }

    /// Imports the module called that this host does not implement.
    pub fn unimplemented_calls(&self) -> Vec<String> {
        lock(&self.shared.unimplemented).clone()
    }
}
