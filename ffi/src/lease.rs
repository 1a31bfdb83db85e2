//! `weir_lease_planner` and `weir_lease`: quota leased from a central store
//! in batches and spent locally (the store client is the host's, or
//! weir-fleet's).

use crate::handle::{drop_handle, entry, out, publish};
use crate::status::{config_error, weir_status};
use weir_core::lease::{AtomicLease, LeaseConfig, LeasePlanner, Rate, Spend};

/// How a node plans its leases; `weir_lease_config_default` gives
/// min 1, max 1000, batches of 100 ms, lead 10 ms, ttl 1 s.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct weir_lease_config {
    /// The smallest batch worth a round trip to the store, >= 1.
    pub min_batch: u64,
    /// The most tokens a node holds at once, min_batch..=16777215.
    pub max_batch: u64,
    /// A batch is sized to last this long at the recent rate, ns, >= 1.
    pub batch_period_ns: u64,
    /// Ask again this long before the lease runs dry or expires, ns.
    pub lead_ns: u64,
    /// Lease lifetime, ns; >= batch_period_ns + lead_ns, <= 2^50.
    pub ttl_ns: u64,
}

impl From<&weir_lease_config> for LeaseConfig {
    fn from(c: &weir_lease_config) -> Self {
        Self {
            min_batch: c.min_batch,
            max_batch: c.max_batch,
            batch_period_ns: c.batch_period_ns,
            lead_ns: c.lead_ns,
            ttl_ns: c.ttl_ns,
        }
    }
}

/// The planner's answer.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct weir_lease_plan {
    /// Tokens to ask the store for now; 0: do not ask now.
    pub ask: u64,
    /// When to plan again if nothing else happens; `UINT64_MAX` for never.
    pub next_at: u64,
    /// Ask again when the tokens left fall to this many.
    pub low_water: u64,
}

/// What a spend found.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum weir_spend_outcome {
    /// The cost was taken; `left` tokens remain.
    Spent = 0,
    /// The lease is live but holds fewer than the cost; nothing taken.
    Short = 1,
    /// No live lease (never granted, or expired).
    Expired = 2,
}

/// A spend's outcome and the tokens left.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct weir_lease_spend {
    /// A `weir_spend_outcome` value.
    pub outcome: u32,
    /// Tokens left (0 when expired).
    pub left: u64,
}

/// A lease planner (pure: holds only its config). Thread-safe.
pub struct weir_lease_planner {
    inner: LeasePlanner,
}

/// A lease shared by threads: every spend and grant is one CAS, so
/// concurrent spenders take exactly the granted tokens between them.
pub struct weir_lease {
    inner: AtomicLease,
}

/// Writes the default config to `out`.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_lease_config_default(out: *mut weir_lease_config) -> weir_status {
    entry!(; out => {
        let d = LeaseConfig::default();
        out!(
            out,
            weir_lease_config {
                min_batch: d.min_batch,
                max_batch: d.max_batch,
                batch_period_ns: d.batch_period_ns,
                lead_ns: d.lead_ns,
                ttl_ns: d.ttl_ns,
            }
        );
    })
}

/// Makes a planner.
///
/// # Safety
/// `config` is NULL or readable; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_lease_planner_new(
    config: *const weir_lease_config,
    out: *mut *mut weir_lease_planner,
) -> weir_status {
    entry!(config; out => {
        match LeasePlanner::new(config.into()) {
            // SAFETY: `out` checked non-NULL; writable per the contract.
            Ok(inner) => unsafe { publish(out, weir_lease_planner { inner }) },
            Err(e) => config_error(e),
        }
    })
}

/// What to do at `now`, given `rate_tokens` demanded over the last
/// `rate_over_ns` and the lease held: `left` tokens expiring at `expires_at`.
///
/// # Safety
/// `planner` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_lease_planner_plan(
    planner: *const weir_lease_planner,
    now: u64,
    rate_tokens: u64,
    rate_over_ns: u64,
    left: u64,
    expires_at: u64,
    out: *mut weir_lease_plan,
) -> weir_status {
    entry!(planner => out = {
        let p = planner.inner.plan(now, Rate { tokens: rate_tokens, over_ns: rate_over_ns }, left, expires_at);
        weir_lease_plan { ask: p.ask, next_at: p.next_at, low_water: p.low_water }
    })
}

/// When a lease asked for at `asked_at` expires.
///
/// # Safety
/// `planner` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_lease_planner_expiry(
    planner: *const weir_lease_planner,
    asked_at: u64,
    out: *mut u64,
) -> weir_status {
    entry!(planner => out = planner.inner.expiry(asked_at))
}

/// Frees `*planner` and sets it to NULL; NULL is a no-op.
///
/// # Safety
/// `planner` is NULL or points to NULL or to a live planner no other thread uses.
#[no_mangle]
pub unsafe extern "C" fn weir_lease_planner_free(planner: *mut *mut weir_lease_planner) {
    // SAFETY: forwarded from this function's contract.
    unsafe { drop_handle(planner) }
}

/// Makes an empty lease that never holds more than `cap` tokens (clamped to
/// 16777215); pass the planner's `max_batch`.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_lease_new(cap: u64, out: *mut *mut weir_lease) -> weir_status {
    entry!(; out => {
        // SAFETY: `out` checked non-NULL; writable per the contract.
        unsafe { publish(out, weir_lease { inner: AtomicLease::new(cap) }) }
    })
}

/// Takes `cost` tokens at `now` if the lease is live and holds them.
///
/// # Safety
/// `lease` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_lease_try_spend(
    lease: *const weir_lease,
    now: u64,
    cost: u64,
    out: *mut weir_lease_spend,
) -> weir_status {
    entry!(lease => out = {
        let (outcome, left) = match lease.inner.try_spend(now, cost) {
            Spend::Spent { left } => (weir_spend_outcome::Spent, left),
            Spend::Short { left } => (weir_spend_outcome::Short, left),
            Spend::Expired => (weir_spend_outcome::Expired, 0),
        };
        weir_lease_spend { outcome: outcome as u32, left }
    })
}

/// Adds `tokens` granted by the store at `now`, valid until `expires_at`;
/// `*left` gets the tokens now held (live ones are kept, the total capped).
///
/// # Safety
/// `lease` is NULL or live; `left` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_lease_grant(
    lease: *const weir_lease,
    now: u64,
    tokens: u64,
    expires_at: u64,
    left: *mut u64,
) -> weir_status {
    entry!(lease => left = lease.inner.grant(now, tokens, expires_at))
}

/// Empties the lease; `*left` gets the tokens it still held at `now`.
///
/// # Safety
/// `lease` is NULL or live; `left` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_lease_revoke(lease: *const weir_lease, now: u64, left: *mut u64) -> weir_status {
    entry!(lease => left = lease.inner.revoke(now))
}

/// The lease at `now`: tokens spendable and when it expires (0 if never
/// granted).
///
/// # Safety
/// `lease` is NULL or live; `left` and `expires_at` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_lease_snapshot(
    lease: *const weir_lease,
    now: u64,
    left: *mut u64,
    expires_at: *mut u64,
) -> weir_status {
    entry!(lease; left => expires_at = {
        let s = lease.inner.snapshot(now);
        out!(left, s.left);
        s.expires_at
    })
}

/// Frees `*lease` and sets it to NULL; NULL is a no-op.
///
/// # Safety
/// `lease` is NULL or points to NULL or to a live lease no other thread uses.
#[no_mangle]
pub unsafe extern "C" fn weir_lease_free(lease: *mut *mut weir_lease) {
    // SAFETY: forwarded from this function's contract.
    unsafe { drop_handle(lease) }
}
