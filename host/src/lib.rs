//! What every host of weir-core needs beyond core, written once: the C ABI,
//! the Python and Node packages and the fleet crate all reach these rather
//! than re-writing them per language, so a key hashes to the same table slot
//! and a clock reads the same way in every runtime.

mod adaptive_limit;
mod breaker;
#[cfg(unix)]
mod bucket;
mod bulkhead;
mod clock;
mod cpu;
mod decisions;
mod events;
mod feeder;
mod hash;
mod hedge;
mod hot_keys;
mod key_hasher;
mod quantile;
mod random;
#[cfg(unix)]
mod shared;
mod shedder_slots;
pub mod units;

pub use adaptive_limit::{
    AdaptiveLimitOptions, AdaptiveLimitSettings, AdaptiveLimiter, AdaptiveLimiterStats, AlgorithmKind, LimitAdmission,
    LimitPermit, Outcome,
};
pub use breaker::{
    BreakerAdmission, BreakerEvent, BreakerPermit, Cause, CircuitBreaker, CircuitBreakerStats, Counts, State,
    WindowKind, EVENT_QUEUE,
};
#[cfg(unix)]
pub use bucket::Bucket;
pub use bulkhead::{
    Admission, Bulkhead, BulkheadSettings, BulkheadStats, Cancel, Refusal, Release, Ticket, DEFAULT_MAX_QUEUE,
    DEFAULT_MAX_WAIT_NS, MAX_IN_FLIGHT_LIMIT, MAX_QUEUE_LIMIT, MAX_WAIT_LIMIT_NS,
};
pub use clock::{kernel_monotonic_now, monotonic_from_ticks, monotonic_now, ticks, Stopwatch, Ticks};
pub use clock::{Clock, Clocked};
pub use cpu::{CpuSampler, CpuSource};
pub use decisions::{Answer, Counted, Decisions, REASON_SLOTS};
pub use events::{Event, EventKind, Events, EVENTS_QUEUE, TABLE_HOLD_NS};
pub use feeder::CpuFeeder;
pub use hash::{hash_key, hash_key_seeded, hash_str, HashSeed};
pub use hedge::{Hedger, HedgerStats};
pub use hot_keys::{
    HotKeyCount, HotKeys, DEFAULT_CAPACITY as HOT_KEYS_DEFAULT_CAPACITY, MAX_CAPACITY as HOT_KEYS_MAX_CAPACITY,
};
pub use key_hasher::KeyHasher;
pub use quantile::{check_quantile, LatencyQuantiles, QuantileSnapshot, QUANTILE_SLOTS, RELATIVE_ERROR};
pub use random::draw;
#[cfg(unix)]
pub use shared::{SharedError, SharedLimiter};
pub use shedder_slots::{ShedderSlots, SlotBank, SlotEnd, CANCELLED, ENDED_AT_NS, ENDED_AT_TICKS, SHEDDER_SLOTS};
