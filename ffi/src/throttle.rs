//! `weir_throttle`: Google SRE client-side adaptive throttling.

use crate::decision::{weir_decision, weir_decision_counts};
use crate::handle::{drop_handle, entry, out, publish};
use crate::status::{config_error, weir_status};
use weir_core::throttle::{AtomicThrottle, ThrottleConfig};
use weir_host::Counted;

/// Throttle settings; `weir_throttle_config_default` gives k 2.0, a 10 s
/// window of 40 buckets, 20 minimum requests, max refusal probability 0.9.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct weir_throttle_config {
    /// Requests may run up to `k` times the accepts before any is refused; >= 1.
    pub k: f64,
    /// Rolling window, ns; a multiple of `buckets`, buckets of >= 1 ms.
    pub window_ns: u64,
    /// Buckets in the window, 1..=128.
    pub buckets: u64,
    /// Below this many requests in the window nothing is refused.
    pub min_requests: u64,
    /// Ceiling on the refusal probability, in [0, 1].
    pub max_reject_probability: f64,
}

impl From<ThrottleConfig> for weir_throttle_config {
    fn from(c: ThrottleConfig) -> Self {
        Self {
            k: c.k,
            window_ns: c.window_ns,
            buckets: c.buckets,
            min_requests: c.min_requests,
            max_reject_probability: c.max_reject_probability,
        }
    }
}

impl From<&weir_throttle_config> for ThrottleConfig {
    fn from(c: &weir_throttle_config) -> Self {
        Self {
            k: c.k,
            window_ns: c.window_ns,
            buckets: c.buckets,
            min_requests: c.min_requests,
            max_reject_probability: c.max_reject_probability,
        }
    }
}

/// The window's counts and the refusal probability they give.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct weir_throttle_stats {
    /// Requests in the window (admitted and refused).
    pub requests: u64,
    /// Requests the backend accepted.
    pub accepts: u64,
    /// The refusal probability a request would face now.
    pub reject_probability: f64,
}

/// A throttle. Thread-safe (lock-free window words); only `_free` must not race.
pub struct weir_throttle {
    inner: Counted<AtomicThrottle>,
    pub(crate) events: crate::events::weir_events,
}

impl weir_host::Clocked for weir_throttle {}

/// Writes the default config to `out`.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_throttle_config_default(out: *mut weir_throttle_config) -> weir_status {
    entry!(=> out = ThrottleConfig::default().into())
}

/// Makes a throttle with an empty window.
///
/// # Safety
/// `config` is NULL or readable; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_throttle_new(
    config: *const weir_throttle_config,
    out: *mut *mut weir_throttle,
) -> weir_status {
    entry!(config; out => {
        let config: ThrottleConfig = config.into();
        let events = crate::events::weir_events(weir_host::Events::throttle(&config));
        match AtomicThrottle::new(config) {
            // SAFETY: `out` checked non-NULL; writable per the contract.
            Ok(cell) => unsafe { publish(out, weir_throttle { inner: Counted::new(cell), events }) },
            Err(e) => config_error(e),
        }
    })
}

/// Decides whether to send a request at `now` with `draw`, a uniform random
/// u64 (`weir_draw()`); the request is counted either way. When admitted,
/// report the backend's answer with `weir_throttle_record`, or
/// `weir_throttle_forget` if it never reaches the backend.
///
/// # Safety
/// `throttle` is NULL or live; `out` is NULL or writable.
// twin weir_throttle_acquire_now: `weir_throttle_acquire` at `weir_now()` with `weir_draw()`.
#[no_mangle]
pub unsafe extern "C" fn weir_throttle_acquire(
    throttle: *const weir_throttle,
    now: u64,
    draw: u64,
    out: *mut weir_decision,
) -> weir_status {
    entry!(throttle => out = {
        let d = throttle.inner.decide(|t| t.acquire(now, draw));
        throttle.events.observe(now, &d);
        d.into()
    })
}

/// `weir_throttle_acquire` at `weir_now()` with `weir_draw()`.
///
/// # Safety
/// As `weir_throttle_acquire`.
// Written by ffi/twins from the `// twin` mark above; edit that, not this.
#[no_mangle]
pub unsafe extern "C" fn weir_throttle_acquire_now(
    throttle: *const weir_throttle,
    out: *mut weir_decision,
) -> weir_status {
    entry!(let now = crate::handle::now_of::<weir_throttle>(); let draw = weir_host::draw(); throttle => out = {
        let d = throttle.inner.decide(|t| t.acquire(now, draw));
        throttle.events.observe(now, &d);
        d.into()
    })
}

/// Reports an admitted request's outcome at `now`: `success` non-zero when
/// the backend accepted it.
///
/// # Safety
/// `throttle` is NULL or live.
// twin weir_throttle_record_now: `weir_throttle_record` at `weir_now()`.
#[no_mangle]
pub unsafe extern "C" fn weir_throttle_record(throttle: *const weir_throttle, now: u64, success: bool) -> weir_status {
    entry!(throttle => throttle.inner.cell().record(now, success))
}

/// `weir_throttle_record` at `weir_now()`.
///
/// # Safety
/// As `weir_throttle_record`.
// Written by ffi/twins from the `// twin` mark above; edit that, not this.
#[no_mangle]
pub unsafe extern "C" fn weir_throttle_record_now(throttle: *const weir_throttle, success: bool) -> weir_status {
    entry!(let now = crate::handle::now_of::<weir_throttle>(); throttle => throttle.inner.cell().record(now, success))
}

/// Takes back a request admitted at `acquired_at` (the `now` its
/// `weir_throttle_acquire` took) that never reached the backend, because a
/// later step refused it: it counts as neither a request nor a failure.
/// Call it instead of `weir_throttle_record`.
///
/// # Safety
/// `throttle` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn weir_throttle_forget(throttle: *const weir_throttle, acquired_at: u64) -> weir_status {
    entry!(throttle => throttle.inner.cell().forget(acquired_at))
}

/// The window's counts at `now`.
///
/// # Safety
/// `throttle` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_throttle_snapshot(
    throttle: *const weir_throttle,
    now: u64,
    out: *mut weir_throttle_stats,
) -> weir_status {
    entry!(throttle; out => {
        let s = throttle.inner.cell().stats(now);
        out!(
            out,
            weir_throttle_stats { requests: s.requests, accepts: s.accepts, reject_probability: s.reject_probability }
        );
    })
}

/// The decisions made on the throttle so far, by reason (every acquire,
/// from every thread, counted once).
///
/// # Safety
/// `throttle` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_throttle_decisions(
    throttle: *const weir_throttle,
    out: *mut weir_decision_counts,
) -> weir_status {
    entry!(throttle => out = throttle.inner.decisions().into())
}

/// Frees `*throttle` and sets it to NULL; NULL is a no-op.
///
/// # Safety
/// `throttle` is NULL or points to NULL or to a live throttle no other thread uses.
#[no_mangle]
pub unsafe extern "C" fn weir_throttle_free(throttle: *mut *mut weir_throttle) {
    // SAFETY: forwarded from this function's contract.
    unsafe { drop_handle(throttle) }
}
