//! `weir_limiter`: a GCRA rate limiter (rate per period, burst, weighted
//! cost) over weir-core's lock-free atomic cell.

use crate::decision::weir_decision;
use crate::handle::{free, live, need, out, publish};
use crate::status::{config_error, guard, unit_error, weir_status};
use weir_core::limiter::{AtomicLimiter, LimiterConfig};

/// A rate limit: `rate` tokens every `period_ns`, holding at most `burst`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct weir_limiter_config {
    /// Tokens added per period; 1..=period_ns.
    pub rate: u64,
    /// The period `rate` refers to, ns (1000000000 for "per second").
    pub period_ns: u64,
    /// Bucket size, >= 1.
    pub burst: u64,
}

impl From<&weir_limiter_config> for LimiterConfig {
    fn from(c: &weir_limiter_config) -> Self {
        LimiterConfig { rate: c.rate, period_ns: c.period_ns, burst: c.burst }
    }
}

/// Fills `*out` with the limiter of `rate` tokens (any finite number > 0,
/// 1.0/3 included) every `per_ns` nanoseconds, holding at most `*burst`
/// (NULL: the default, the whole part of `rate`, at least 1). The same
/// conversion as every weir binding: a whole `rate` as is, a fractional one
/// as one token every `round(per_ns / rate)` ns. On
/// `WEIR_STATUS_INVALID_CONFIG` the last error names the field (`rate`,
/// `per`, `burst`) and the rule; `*out` is untouched.
///
/// # Safety
/// `burst` is NULL or readable; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_limiter_config_from_units(
    rate: f64,
    per_ns: u64,
    burst: *const f64,
    out: *mut weir_limiter_config,
) -> weir_status {
    guard(|| {
        need!(out);
        // SAFETY: NULL or readable per the contract.
        let burst = unsafe { burst.as_ref() }.copied();
        match weir_host::units::limiter_config(rate, per_ns, burst) {
            Ok(c) => {
                out!(out, weir_limiter_config { rate: c.rate, period_ns: c.period_ns, burst: c.burst });
                weir_status::Ok
            }
            Err(e) => unit_error(e),
        }
    })
}

/// A rate limiter. Thread-safe: every function may be called on one handle
/// from any number of threads at once (a lock-free CAS on one word); only
/// `weir_limiter_free` must not race with other use.
pub struct weir_limiter {
    pub(crate) inner: AtomicLimiter,
}

/// Makes a limiter with a full bucket. On `WEIR_STATUS_INVALID_CONFIG` the
/// last error names the field and rule; `*out` is untouched.
///
/// # Safety
/// `config` is NULL or readable; `out` is NULL or writable for one pointer.
#[no_mangle]
pub unsafe extern "C" fn weir_limiter_new(
    config: *const weir_limiter_config,
    out: *mut *mut weir_limiter,
) -> weir_status {
    guard(|| {
        let config = live!(config);
        need!(out);
        match AtomicLimiter::new(config.into()) {
            // SAFETY: `out` checked non-NULL; writable per the contract.
            Ok(inner) => unsafe { publish(out, weir_limiter { inner }) },
            Err(e) => config_error(e),
        }
    })
}

/// Asks for `cost` tokens at `now` (ns on any monotonic clock; use
/// `weir_now()` or your own, consistently). A cost of 0 asks without spending.
///
/// # Safety
/// `limiter` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_limiter_acquire(
    limiter: *const weir_limiter,
    now: u64,
    cost: u64,
    out: *mut weir_decision,
) -> weir_status {
    guard(|| {
        let limiter = live!(limiter);
        need!(out);
        out!(out, limiter.inner.acquire(now, cost).into());
        weir_status::Ok
    })
}

/// `weir_limiter_acquire` at `weir_now()`, read inside the call: the hot
/// path for bindings whose every foreign call is costly (Go's cgo).
///
/// # Safety
/// As `weir_limiter_acquire`.
#[no_mangle]
pub unsafe extern "C" fn weir_limiter_acquire_now(
    limiter: *const weir_limiter,
    cost: u64,
    out: *mut weir_decision,
) -> weir_status {
    guard(|| {
        let limiter = live!(limiter);
        need!(out);
        let decision = limiter.inner.acquire(weir_host::monotonic_now(), cost);
        out!(out, decision.into());
        weir_status::Ok
    })
}

/// The raw state (one word), for snapshots or moving a limiter between
/// processes that share a clock.
///
/// # Safety
/// `limiter` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_limiter_state(limiter: *const weir_limiter, out: *mut u64) -> weir_status {
    guard(|| {
        let limiter = live!(limiter);
        need!(out);
        out!(out, limiter.inner.state());
        weir_status::Ok
    })
}

/// Replaces the state with one from `weir_limiter_state`.
///
/// # Safety
/// `limiter` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn weir_limiter_restore(limiter: *const weir_limiter, state: u64) -> weir_status {
    guard(|| {
        let limiter = live!(limiter);
        limiter.inner.restore(state);
        weir_status::Ok
    })
}

/// Frees `*limiter` and sets it to NULL, so freeing the same variable twice
/// is a no-op; NULL is a no-op.
///
/// # Safety
/// `limiter` is NULL or points to NULL or to a live limiter that no other
/// thread is using.
#[no_mangle]
pub unsafe extern "C" fn weir_limiter_free(limiter: *mut *mut weir_limiter) {
    let _ = guard(|| {
        // SAFETY: forwarded from this function's contract.
        unsafe { free(limiter) };
        weir_status::Ok
    });
}
