//! `weir_concurrency_limiter`: a cap on requests in flight.

use crate::decision::weir_decision;
use crate::handle::{free, live, need, out, publish};
use crate::status::{config_error, guard, weir_status};
use weir_core::limiter::{ConcurrencyConfig, ConcurrencyLimiter};

/// A concurrency limiter. Thread-safe: acquire and release from any threads
/// at once (one CAS each); only `_free` must not race.
pub struct weir_concurrency_limiter {
    inner: ConcurrencyLimiter,
}

/// Makes a limiter allowing `max_in_flight` (>= 1) permits at once.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_concurrency_limiter_new(
    max_in_flight: u64,
    out: *mut *mut weir_concurrency_limiter,
) -> weir_status {
    guard(|| {
        need!(out);
        match ConcurrencyLimiter::new(ConcurrencyConfig { max_in_flight }) {
            // SAFETY: `out` checked non-NULL; writable per the contract.
            Ok(inner) => unsafe { publish(out, weir_concurrency_limiter { inner }) },
            Err(e) => config_error(e),
        }
    })
}

/// Takes a permit if one is free (`remaining` = permits left). An admitted
/// caller must call `weir_concurrency_limiter_release` once.
///
/// # Safety
/// `limiter` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_concurrency_limiter_acquire(
    limiter: *const weir_concurrency_limiter,
    out: *mut weir_decision,
) -> weir_status {
    guard(|| {
        let limiter = live!(limiter);
        need!(out);
        out!(out, limiter.inner.acquire().into());
        weir_status::Ok
    })
}

/// Gives a permit back. `WEIR_STATUS_NOT_FOUND` (and no change) when
/// nothing was in flight: a release without an acquire.
///
/// # Safety
/// `limiter` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn weir_concurrency_limiter_release(limiter: *const weir_concurrency_limiter) -> weir_status {
    guard(|| {
        let limiter = live!(limiter);
        if limiter.inner.release() {
            weir_status::Ok
        } else {
            weir_status::NotFound
        }
    })
}

/// Permits in flight now.
///
/// # Safety
/// `limiter` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_concurrency_limiter_in_flight(
    limiter: *const weir_concurrency_limiter,
    out: *mut u64,
) -> weir_status {
    guard(|| {
        let limiter = live!(limiter);
        need!(out);
        out!(out, limiter.inner.in_flight());
        weir_status::Ok
    })
}

/// Frees `*limiter` and sets it to NULL; NULL is a no-op.
///
/// # Safety
/// `limiter` is NULL or points to NULL or to a live limiter no other thread uses.
#[no_mangle]
pub unsafe extern "C" fn weir_concurrency_limiter_free(limiter: *mut *mut weir_concurrency_limiter) {
    let _ = guard(|| {
        // SAFETY: forwarded from this function's contract.
        unsafe { free(limiter) };
        weir_status::Ok
    });
}
