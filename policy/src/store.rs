//! Where limit state lives. A plan resolves each limit's state once, when
//! it is built (`bucket`, `table`), and decides on it per request; the
//! store is the only thing that differs between a limit exact across Envoy's
//! workers through shared data and one exact across threads through atomics.

use std::sync::Arc;
use weir_core::adaptive_limit::{AdaptiveLimitConfig, AtomicAdaptiveLimit};
use weir_core::hash::HashSeed;
use weir_core::limiter::Gcra;
use weir_core::{Decision, Nanos, Reason};

/// A status the host returned for a shared-data call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status(pub u32);

impl Status {
    pub const NOT_FOUND: Status = Status(1);
    pub const CAS_MISMATCH: Status = Status(8);
}

/// Why limit state could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateError {
    /// The host refused a read or write (or the key vanished).
    Host(Status),
    /// The stored bytes are not a state this filter wrote.
    Corrupt,
    /// Other writers won the CAS race this many times in a row. Reaching it
    /// needs a host that never lets a write through; the caller fails closed.
    Contended,
}

/// Limit state, shared by every worker that decides on it.
pub trait LimitStore {
    /// One unkeyed limit's state.
    type Bucket;
    /// One keyed limit's table.
    type Table;
    /// The state named `name` (`weir.limit.<rule>`), created empty (a full
    /// bucket) if it does not exist yet; existing state is kept.
    fn bucket(&self, name: &str, gcra: &Gcra) -> Result<Self::Bucket, StateError>;
    /// A table of `sets` sets of `WAYS` entries named `name`.
    fn table(&self, name: &str, gcra: &Gcra, sets: u64) -> Result<Self::Table, StateError>;
    /// One GCRA decision for `cost` tokens at `now`.
    fn acquire(&self, bucket: &Self::Bucket, gcra: &Gcra, now: Nanos, cost: u64) -> Result<Decision, StateError>;
    /// One decision for the key hash `key`.
    fn acquire_keyed(
        &self,
        table: &Self::Table,
        gcra: &Gcra,
        key: u64,
        now: Nanos,
        cost: u64,
    ) -> Result<Decision, StateError>;
    /// The key-hash seed of a policy that sets none: one that every worker
    /// deciding on this store's state shares, random to everyone else. In
    /// one address space that is the process's seed; a store shared by
    /// separate VMs keeps the seed beside the state.
    fn key_seed(&self) -> Result<HashSeed, StateError> {
        Ok(crate::key_seed::process_seed())
    }
    /// The latency-learned concurrency limit named `name` (a `shed` in
    /// mode `"latency"`). Its in-flight count and limit share one word, so
    /// it is exact among the threads that hold the same cell. By default
    /// each plan (one per worker) makes its own: a store whose workers share
    /// memory returns one cell per name to all of them; a store whose
    /// workers are separate VMs keeps the default, since a shared-data
    /// round trip on every request and every response would cost more than
    /// the limit is worth (see the wasm filter's README).
    fn concurrency(&self, name: &str, config: &AdaptiveLimitConfig) -> Result<Arc<AtomicAdaptiveLimit>, StateError> {
        let _ = name;
        AtomicAdaptiveLimit::new(*config).map(Arc::new).map_err(|_| StateError::Corrupt)
    }
}

/// The decision a rule takes when its state is unusable and it fails closed.
pub fn state_error_decision() -> Decision {
    Decision { reason: Reason::RateLimited, retry_after: weir_core::SECOND, remaining: 0, reset_after: 0 }
}
