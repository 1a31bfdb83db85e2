use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Counters a host exports as metrics. All are totals since the limiter was
/// built, except `in_fallback` and `lease_left`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FleetStats {
    /// Requests admitted (from a lease or the fallback share).
    pub admitted: u64,
    /// Requests rejected.
    pub rejected: u64,
    /// Commands sent to Redis, failed ones included.
    pub redis_calls: u64,
    /// Lease requests Redis answered.
    pub leases: u64,
    /// Tokens Redis granted.
    pub leased_tokens: u64,
    /// Times the node switched to its fallback share.
    pub fallbacks: u64,
    /// Times the node went back to leasing after a fallback.
    pub resumes: u64,
    /// Requests admitted on the fallback share.
    pub fallback_admitted: u64,
    /// Whether the node is on its fallback share now.
    pub in_fallback: bool,
    /// Tokens left in the current lease.
    pub lease_left: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub admitted: AtomicU64,
    pub rejected: AtomicU64,
    pub redis_calls: AtomicU64,
    pub leases: AtomicU64,
    pub leased_tokens: AtomicU64,
    pub fallbacks: AtomicU64,
    pub resumes: AtomicU64,
    pub fallback_admitted: AtomicU64,
    pub in_fallback: AtomicBool,
}

impl Counters {
    pub fn snapshot(&self, lease_left: u64) -> FleetStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        FleetStats {
            admitted: get(&self.admitted),
            rejected: get(&self.rejected),
            redis_calls: get(&self.redis_calls),
            leases: get(&self.leases),
            leased_tokens: get(&self.leased_tokens),
            fallbacks: get(&self.fallbacks),
            resumes: get(&self.resumes),
            fallback_admitted: get(&self.fallback_admitted),
            in_fallback: self.in_fallback.load(Ordering::Relaxed),
            lease_left,
        }
    }
}
