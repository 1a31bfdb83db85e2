//! `weir_fleet_limiter`: one limit across every node that uses the same
//! Redis key, through weir-fleet (quota leased in rate-sized batches and
//! spent locally), so C and Go never re-implement the Redis side.

use crate::decision::weir_decision;
use crate::handle::{drop_handle, entry, out, publish};
use crate::status::{config_error, set_last_error, weir_status};
use std::ffi::{c_char, CStr};
use std::time::Duration;
use weir_core::{ConfigError, Value};
use weir_fleet::{FleetConfig, FleetError, FleetLimiter};

/// A fleet-wide limit: `limit` tokens per `period_ns` across every node
/// using Redis key `key`. Start from `weir_fleet_config_default`, then set
/// `redis_url`, `key` and `limit`. Fields left at 0 where noted take a
/// default derived from the others.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct weir_fleet_config {
    /// NUL-terminated `redis://host:port/db` (or `redis+unix://`) URL;
    /// copied by `weir_fleet_limiter_new`.
    pub redis_url: *const c_char,
    /// NUL-terminated, non-empty Redis key holding the global state; one
    /// key per limit. Copied by `weir_fleet_limiter_new`.
    pub key: *const c_char,
    /// Tokens per period, fleet-wide, >= 1.
    pub limit: u64,
    /// The period `limit` refers to, ns, >= 1000.
    pub period_ns: u64,
    /// Tokens the global bucket may grant at once after a quiet spell;
    /// 0: `max_batch`.
    pub burst: u64,
    /// Nodes expected to share the limit, 1..=limit: sizes batches, and in
    /// fallback each node admits `limit / nodes` per period on its own.
    pub nodes: u64,
    /// The smallest batch worth a round trip; 0: `ceil(max_batch / 4)`.
    pub min_batch: u64,
    /// The most tokens a node holds at once (bounds the overshoot);
    /// 0: `ceil(limit / (10 * nodes))`.
    pub max_batch: u64,
    /// A batch is sized to last this long at the node's recent rate, ns.
    pub batch_period_ns: u64,
    /// Ask for more when the lease would last less than this, ns.
    pub lead_ns: u64,
    /// A lease is spendable this long after it was asked for, ns.
    pub lease_ttl_ns: u64,
    /// The longest a Redis call may take before the node falls back, ns, >= 1.
    pub redis_timeout_ns: u64,
    /// While in fallback, how often to try Redis again, ns, >= 1.
    pub retry_interval_ns: u64,
    /// Tokens the fallback share may admit at once; 0: 1.
    pub fallback_burst: u64,
    /// How long the global state outlives its last use in Redis, ns.
    pub key_idle_ttl_ns: u64,
}

/// Counters for metrics; totals since the limiter was made, except
/// `in_fallback` and `lease_left`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct weir_fleet_stats {
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
    /// Tokens left in the current lease.
    pub lease_left: u64,
    /// 1 while the node is on its fallback share (Redis unreachable).
    pub in_fallback: u32,
}

/// A fleet limiter: a lease spent with one CAS per request and a background
/// thread that owns the one Redis connection. Thread-safe: every function
/// may run on one handle from any number of threads at once; only `_free`
/// must not race.
pub struct weir_fleet_limiter {
    inner: FleetLimiter,
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Writes the defaults to `out`: `redis_url` and `key` NULL, `limit` 0
/// (all three must be set), period 1 s, one node, batches of 100 ms, lead
/// 10 ms, lease ttl 1 s, Redis timeout 50 ms, retry every 50 ms, key idle
/// ttl 60 s, the derived fields 0.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_fleet_config_default(out: *mut weir_fleet_config) -> weir_status {
    entry!(; out => {
        let d = FleetConfig::new("", "", 0, Duration::from_secs(1));
        out!(
            out,
            weir_fleet_config {
                redis_url: std::ptr::null(),
                key: std::ptr::null(),
                limit: d.limit,
                period_ns: nanos(d.period),
                burst: d.burst,
                nodes: d.nodes,
                min_batch: d.min_batch,
                max_batch: d.max_batch,
                batch_period_ns: nanos(d.batch_period),
                lead_ns: nanos(d.lead),
                lease_ttl_ns: nanos(d.lease_ttl),
                redis_timeout_ns: nanos(d.redis_timeout),
                retry_interval_ns: nanos(d.retry_interval),
                fallback_burst: d.fallback_burst,
                key_idle_ttl_ns: nanos(d.key_idle_ttl),
            }
        );
    })
}

/// The UTF-8 text of a config string, or the config error naming `field`.
///
/// # Safety
/// `ptr` is NULL or a NUL-terminated string that stays unchanged during the call.
unsafe fn text(ptr: *const c_char, field: &'static str, rule: &'static str) -> Result<String, weir_status> {
    let refuse = || config_error(ConfigError::new(field, rule, Value::Unsigned(0)));
    if ptr.is_null() {
        return Err(refuse());
    }
    // SAFETY: non-NULL and NUL-terminated per the caller's promise.
    let s = unsafe { CStr::from_ptr(ptr) };
    s.to_str().map(str::to_owned).map_err(|_| refuse())
}

fn fleet_config(c: &weir_fleet_config) -> Result<FleetConfig, weir_status> {
    // SAFETY: the config's strings are NULL or NUL-terminated per
    // weir_fleet_limiter_new's contract.
    let redis_url = unsafe { text(c.redis_url, "redis_url", "a UTF-8 redis:// URL, not NULL") }?;
    // SAFETY: as above.
    let key = unsafe { text(c.key, "key", "non-empty UTF-8, not NULL") }?;
    Ok(FleetConfig {
        burst: c.burst,
        nodes: c.nodes,
        min_batch: c.min_batch,
        max_batch: c.max_batch,
        batch_period: Duration::from_nanos(c.batch_period_ns),
        lead: Duration::from_nanos(c.lead_ns),
        lease_ttl: Duration::from_nanos(c.lease_ttl_ns),
        redis_timeout: Duration::from_nanos(c.redis_timeout_ns),
        retry_interval: Duration::from_nanos(c.retry_interval_ns),
        fallback_burst: c.fallback_burst,
        key_idle_ttl: Duration::from_nanos(c.key_idle_ttl_ns),
        ..FleetConfig::new(redis_url, key, c.limit, Duration::from_nanos(c.period_ns))
    })
}

/// Makes a fleet limiter and starts its refill thread. Redis is not
/// contacted here, and Redis being down is not an error: the node starts
/// on its fallback share and leases once Redis answers.
/// `WEIR_STATUS_INVALID_CONFIG` names the field (`redis_url` for a NULL,
/// non-UTF-8 or unparsable URL); `WEIR_STATUS_OUT_OF_MEMORY` when the
/// thread cannot be started. `*out` is untouched on failure.
///
/// # Safety
/// `config` is NULL or readable, and its `redis_url` and `key` are NULL or
/// NUL-terminated; `out` is NULL or writable for one pointer.
#[no_mangle]
pub unsafe extern "C" fn weir_fleet_limiter_new(
    config: *const weir_fleet_config,
    out: *mut *mut weir_fleet_limiter,
) -> weir_status {
    entry!(config; out => {
        let config = match fleet_config(config) {
            Ok(c) => c,
            Err(status) => return status,
        };
        match FleetLimiter::new(config) {
            // SAFETY: `out` checked non-NULL; writable per the contract.
            Ok(inner) => unsafe { publish(out, weir_fleet_limiter { inner }) },
            Err(FleetError::Config(e)) => config_error(e),
            Err(e @ FleetError::RedisUrl(_)) => {
                set_last_error(&e.to_string(), "redis_url", "a redis:// URL");
                weir_status::InvalidConfig
            }
            Err(e @ FleetError::Thread(_)) => {
                set_last_error(&e.to_string(), "", "");
                weir_status::OutOfMemory
            }
        }
    })
}

/// Asks for `cost` tokens now (on the limiter's own clock, which its lease
/// expiries are on; there is no explicit-time variant). Never waits on
/// Redis: answers from the node's lease, or while Redis is unreachable its
/// fallback share; never fails open. A cost above `max_batch` is refused
/// with `WEIR_REASON_COST_EXCEEDS_BURST`.
///
/// # Safety
/// `limiter` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_fleet_limiter_acquire(
    limiter: *const weir_fleet_limiter,
    cost: u64,
    out: *mut weir_decision,
) -> weir_status {
    entry!(limiter => out = limiter.inner.try_acquire(cost).into())
}

/// The limiter's counters.
///
/// # Safety
/// `limiter` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_fleet_limiter_stats(
    limiter: *const weir_fleet_limiter,
    out: *mut weir_fleet_stats,
) -> weir_status {
    entry!(limiter; out => {
        let s = limiter.inner.stats();
        out!(
            out,
            weir_fleet_stats {
                admitted: s.admitted,
                rejected: s.rejected,
                redis_calls: s.redis_calls,
                leases: s.leases,
                leased_tokens: s.leased_tokens,
                fallbacks: s.fallbacks,
                resumes: s.resumes,
                fallback_admitted: s.fallback_admitted,
                lease_left: s.lease_left,
                in_fallback: u32::from(s.in_fallback),
            }
        );
    })
}

/// The documented overshoot bound of this limiter's config: in any window
/// of one period the fleet admits at most `limit * (1 + bound)` while no
/// more than `nodes` nodes share the key. `max_batch` (may be NULL) gets
/// the largest batch this node leases, which is also the largest cost it
/// can admit.
///
/// # Safety
/// `limiter` is NULL or live; `bound` is NULL or writable; `max_batch` is
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_fleet_limiter_bound(
    limiter: *const weir_fleet_limiter,
    bound: *mut f64,
    max_batch: *mut u64,
) -> weir_status {
    entry!(limiter; bound => {
        out!(bound, limiter.inner.bound());
        if !max_batch.is_null() {
            out!(max_batch, limiter.inner.max_batch());
        }
    })
}

/// Stops the refill thread (after the Redis call in flight, if any, which
/// `redis_timeout_ns` bounds), frees `*limiter` and sets it to NULL; NULL
/// or an already freed (NULLed) variable is a no-op.
///
/// # Safety
/// `limiter` is NULL or points to NULL or to a live limiter no other thread uses.
#[no_mangle]
pub unsafe extern "C" fn weir_fleet_limiter_free(limiter: *mut *mut weir_fleet_limiter) {
    // SAFETY: forwarded from this function's contract.
    unsafe { drop_handle(limiter) }
}
