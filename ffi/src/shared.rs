//! `weir_shared_limiter`: one GCRA bucket shared by every process on the
//! host that opens the same file (pre-fork server workers, a pool of
//! daemons), with no server in between.

use crate::decision::{weir_decision, weir_decision_counts};
use crate::handle::{drop_handle, entry, live, publish};
use crate::limiter::{weir_limiter_config, Change};
use crate::status::{config_error, guard, guard_value, invalid_argument, set_last_error, unit_error, weir_status};
use std::ffi::{c_char, CStr, OsStr};
use std::os::unix::ffi::OsStrExt;
use weir_host::{Clock, Clocked, Counted, SharedError, SharedLimiter};

/// A rate limiter whose state lives in a memory-mapped file, so every
/// process that opens the same path spends from one bucket. Thread-safe like
/// `weir_limiter` (a lock-free CAS on one word); only
/// `weir_shared_limiter_free` must not race with other use of the handle.
pub struct weir_shared_limiter {
    inner: Counted<SharedLimiter>,
}

impl Clocked for weir_shared_limiter {
    const CLOCK: Clock = <SharedLimiter as Clocked>::CLOCK;
}

/// Opens the shared limiter at `path` (a file, best on a tmpfs such as
/// `/dev/shm`), creating it with a full bucket if it is missing or empty.
/// A file made with a different configuration is refused with
/// `WEIR_STATUS_INVALID_CONFIG`, the last error naming the differing field
/// (remove the file to change the limit; truncating it in place while
/// processes map it gets them SIGBUS); a file that is not a weir shared
/// limiter, or a failing system call, gives `WEIR_STATUS_INVALID_ARGUMENT`
/// with the reason in `weir_last_error_message()`. `*out` is untouched on
/// failure.
///
/// Every process must pass times from one clock: `CLOCK_MONOTONIC` as
/// `weir_shared_limiter_now()` (or `clock_gettime`) reads it.
/// Not `weir_now()`: each process calibrates that TSC clock on its own, and
/// two processes drift apart by a few ppm (over 100 ms a day), which would
/// let the one running ahead take every token.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string; `config` is NULL or readable;
/// `out` is NULL or writable for one pointer.
#[no_mangle]
pub unsafe extern "C" fn weir_shared_limiter_open(
    path: *const c_char,
    config: *const weir_limiter_config,
    out: *mut *mut weir_shared_limiter,
) -> weir_status {
    entry!(config; path, out => {
        // SAFETY: `path` is non-NULL and NUL-terminated per the contract.
        let path = OsStr::from_bytes(unsafe { CStr::from_ptr(path) }.to_bytes());
        match SharedLimiter::open(path, config.into()) {
            // SAFETY: `out` checked non-NULL; writable per the contract.
            Ok(cell) => unsafe { publish(out, weir_shared_limiter { inner: Counted::new(cell) }) },
            Err(SharedError::Config(e)) => config_error(e),
            Err(e @ SharedError::Mismatch { field, .. }) => {
                set_last_error(&e.to_string(), field, &e.mismatch_rule().unwrap_or_default());
                weir_status::InvalidConfig
            }
            Err(e) => invalid_argument(&e.to_string()),
        }
    })
}

/// Asks for `cost` tokens at `now`, nanoseconds of `CLOCK_MONOTONIC` (see
/// `weir_shared_limiter_open`). A cost of 0 asks without spending.
///
/// # Safety
/// `limiter` is NULL or live; `out` is NULL or writable.
// twin weir_shared_limiter_acquire_now: `weir_shared_limiter_acquire` now, on `CLOCK_MONOTONIC` read inside the
// call (a vDSO read, the clock every process sharing the limiter uses).
#[no_mangle]
pub unsafe extern "C" fn weir_shared_limiter_acquire(
    limiter: *const weir_shared_limiter,
    now: u64,
    cost: u64,
    out: *mut weir_decision,
) -> weir_status {
    entry!(limiter => out = limiter.inner.decide(|l| l.acquire(now, cost)).into())
}

/// `weir_shared_limiter_acquire` now, on `CLOCK_MONOTONIC` read inside the
/// call (a vDSO read, the clock every process sharing the limiter uses).
///
/// # Safety
/// As `weir_shared_limiter_acquire`.
// Written by ffi/twins from the `// twin` mark above; edit that, not this.
#[no_mangle]
pub unsafe extern "C" fn weir_shared_limiter_acquire_now(
    limiter: *const weir_shared_limiter,
    cost: u64,
    out: *mut weir_decision,
) -> weir_status {
    entry!(let now = crate::handle::now_of::<weir_shared_limiter>();
        limiter => out = limiter.inner.decide(|l| l.acquire(now, cost)).into())
}

/// Changes the limit for every process sharing the file to `*config`, now
/// on `CLOCK_MONOTONIC`, keeping what was spent (the rule of
/// `weir_limiter_set_config`). The config in force lives in the file;
/// changes from several processes are serialised by `flock`. Processes that
/// open the path later still pass the configuration the file was made with.
///
/// # Safety
/// `limiter` is NULL or live; `config` is NULL or readable.
#[no_mangle]
pub unsafe extern "C" fn weir_shared_limiter_set_config(
    limiter: *const weir_shared_limiter,
    config: *const weir_limiter_config,
) -> weir_status {
    entry!(limiter, config => shared_status(limiter.inner.cell().set_config(config.into())))
}

/// `weir_shared_limiter_set_config` with a new rate in user units, the burst kept.
///
/// # Safety
/// `limiter` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn weir_shared_limiter_set_rate(
    limiter: *const weir_shared_limiter,
    rate: f64,
    per_ns: u64,
) -> weir_status {
    guard(|| set(live!(limiter), Change::Rate { rate, per_ns }))
}

/// `weir_shared_limiter_set_config` with a new burst, the rate kept.
///
/// # Safety
/// `limiter` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn weir_shared_limiter_set_burst(limiter: *const weir_shared_limiter, burst: f64) -> weir_status {
    guard(|| set(live!(limiter), Change::Burst(burst)))
}

fn set(limiter: &weir_shared_limiter, change: Change) -> weir_status {
    match change.apply(limiter.inner.cell().config()) {
        Ok(config) => shared_status(limiter.inner.cell().set_config(config)),
        Err(e) => unit_error(e),
    }
}

fn shared_status(result: Result<(), SharedError>) -> weir_status {
    match result {
        Ok(()) => weir_status::Ok,
        Err(SharedError::Config(e)) => config_error(e),
        Err(e) => invalid_argument(&e.to_string()),
    }
}

/// The config in force for every process (after the latest change by any).
///
/// # Safety
/// `limiter` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_shared_limiter_get_config(
    limiter: *const weir_shared_limiter,
    out: *mut weir_limiter_config,
) -> weir_status {
    entry!(limiter => out = limiter.inner.cell().config().into())
}

/// The clock every process sharing a limiter decides on: nanoseconds of
/// `CLOCK_MONOTONIC` read from the kernel (what
/// `weir_shared_limiter_acquire_now` uses). Thread-safe.
#[no_mangle]
pub extern "C" fn weir_shared_limiter_now() -> u64 {
    guard_value(0, || <SharedLimiter as Clocked>::CLOCK.now())
}

/// The decisions this process made on the shared limiter so far, by
/// reason (every acquire through this handle, from every thread; other
/// processes count their own).
///
/// # Safety
/// `limiter` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_shared_limiter_decisions(
    limiter: *const weir_shared_limiter,
    out: *mut weir_decision_counts,
) -> weir_status {
    entry!(limiter => out = limiter.inner.decisions().into())
}

/// Unmaps `*limiter`'s file (the state stays in the file for the other
/// processes) and sets `*limiter` to NULL; NULL is a no-op.
///
/// # Safety
/// `limiter` is NULL or points to NULL or to a live handle that no other
/// thread is using.
#[no_mangle]
pub unsafe extern "C" fn weir_shared_limiter_free(limiter: *mut *mut weir_shared_limiter) {
    // SAFETY: forwarded from this function's contract.
    unsafe { drop_handle(limiter) }
}
