//! `weir_shedder`: BBR-style adaptive overload protection (CPU plus the
//! in-flight estimate learned over a rolling window) with a hard queue cap.

use crate::decision::{weir_decision, weir_decision_counts};
use crate::handle::{drop_handle, entry, live, now_of, out, publish};
use crate::status::{config_error, guard, weir_status};
use weir_core::shedder::{AtomicShedder, ShedderConfig};
use weir_host::Counted;

/// Shedder settings; `weir_shedder_config_default` fills in the defaults
/// (10 s window of 100 buckets, CPU threshold 800 permille, decay 0.95,
/// cool-off 1 s, no queue cap).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct weir_shedder_config {
    /// Rolling window, ns; a multiple of `buckets`, buckets of >= 1 ms.
    pub window_ns: u64,
    /// Buckets in the window, 1..=128.
    pub buckets: u64,
    /// CPU (permille) at or above which shedding may start, 1..=1000.
    pub cpu_threshold: u64,
    /// Weight of the previous smoothed CPU per sample, in [0, 1).
    pub cpu_decay: f64,
    /// How long after a shed the in-flight estimate stays enforced, ns.
    pub cool_off_ns: u64,
    /// Hard cap on requests in flight; 0 turns it off.
    pub max_queue: u64,
}

impl From<ShedderConfig> for weir_shedder_config {
    fn from(c: ShedderConfig) -> Self {
        Self {
            window_ns: c.window_ns,
            buckets: c.buckets,
            cpu_threshold: c.cpu_threshold,
            cpu_decay: c.cpu_decay,
            cool_off_ns: c.cool_off_ns,
            max_queue: c.max_queue,
        }
    }
}

impl From<&weir_shedder_config> for ShedderConfig {
    fn from(c: &weir_shedder_config) -> Self {
        Self {
            window_ns: c.window_ns,
            buckets: c.buckets,
            cpu_threshold: c.cpu_threshold,
            cpu_decay: c.cpu_decay,
            cool_off_ns: c.cool_off_ns,
            max_queue: c.max_queue,
        }
    }
}

/// What a shedder knows at one instant.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct weir_shedder_stats {
    /// Requests admitted and not yet done.
    pub in_flight: u64,
    /// Smoothed CPU, permille.
    pub cpu: f64,
    /// Most requests completed in one finished bucket of the window (>= 1).
    pub max_pass: u64,
    /// Shortest response time in the window, ns (1 ms if none).
    pub min_rt_ns: u64,
    /// The in-flight estimate enforced under CPU pressure.
    pub max_in_flight: u64,
    /// 1 while a cool-off runs.
    pub cooling_off: u32,
}

/// A shedder. Thread-safe: every function may run on one handle from any
/// number of threads at once (lock-free); only `_free` must not race.
pub struct weir_shedder {
    pub(crate) inner: Counted<AtomicShedder>,
    pub(crate) events: crate::events::weir_events,
}

impl weir_host::Clocked for weir_shedder {}

/// Writes the default config to `out`.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_shedder_config_default(out: *mut weir_shedder_config) -> weir_status {
    entry!(=> out = ShedderConfig::default().into())
}

/// Makes a shedder that has seen nothing (CPU 0, empty window).
///
/// # Safety
/// `config` is NULL or readable; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_shedder_new(
    config: *const weir_shedder_config,
    out: *mut *mut weir_shedder,
) -> weir_status {
    entry!(config; out => {
        let config: ShedderConfig = config.into();
        let events = crate::events::weir_events(weir_host::Events::shedder(&config));
        match AtomicShedder::new(config) {
            // SAFETY: `out` checked non-NULL; writable per the contract.
            Ok(cell) => unsafe { publish(out, weir_shedder { inner: Counted::new(cell), events }) },
            Err(e) => config_error(e),
        }
    })
}

/// Asks to start a request at `now`. When admitted, call `weir_shedder_done`
/// exactly once with the same `now` as `started_at`.
///
/// # Safety
/// `shedder` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_shedder_acquire(
    shedder: *const weir_shedder,
    now: u64,
    out: *mut weir_decision,
) -> weir_status {
    entry!(shedder => out = {
        let d = shedder.inner.decide(|s| s.acquire(now));
        shedder.events.observe(now, &d);
        d.into()
    })
}

/// `weir_shedder_acquire` at `weir_now()`; the time read is written to
/// `*started_at` to hand to `weir_shedder_done_now` when admitted.
///
/// # Safety
/// `shedder` is NULL or live; `out` and `started_at` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_shedder_acquire_now(
    shedder: *const weir_shedder,
    out: *mut weir_decision,
    started_at: *mut u64,
) -> weir_status {
    entry!(shedder; out => started_at = {
        let now = now_of::<weir_shedder>();
        let d = shedder.inner.decide(|s| s.acquire(now));
        shedder.events.observe(now, &d);
        out!(out, d.into());
        now
    })
}

/// Ends a request admitted at `started_at`, at `now`, recording its
/// response time.
///
/// # Safety
/// `shedder` is NULL or live.
// twin weir_shedder_done_now: `weir_shedder_done` at `weir_now()`.
#[no_mangle]
pub unsafe extern "C" fn weir_shedder_done(shedder: *const weir_shedder, started_at: u64, now: u64) -> weir_status {
    entry!(shedder => shedder.inner.cell().done(started_at, now))
}

/// `weir_shedder_done` at `weir_now()`.
///
/// # Safety
/// As `weir_shedder_done`.
// Written by ffi/twins from the `// twin` mark above; edit that, not this.
#[no_mangle]
pub unsafe extern "C" fn weir_shedder_done_now(shedder: *const weir_shedder, started_at: u64) -> weir_status {
    entry!(let now = crate::handle::now_of::<weir_shedder>(); shedder => shedder.inner.cell().done(started_at, now))
}

/// Ends an admitted request that never reached the service (a later step
/// refused it, or it was cancelled before sending) without a response time:
/// its near-zero time would teach the shedder a minimum RT it cannot keep.
///
/// # Safety
/// `shedder` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn weir_shedder_cancel(shedder: *const weir_shedder) -> weir_status {
    entry!(shedder => shedder.inner.cell().cancel())
}

/// Folds a CPU sample (permille, e.g. from `weir_cpu_sampler_sample`) into
/// the smoothed CPU. `smoothed` may be NULL; else it gets the new value.
///
/// # Safety
/// `shedder` is NULL or live; `smoothed` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_shedder_record_cpu(
    shedder: *const weir_shedder,
    permille: u64,
    smoothed: *mut f64,
) -> weir_status {
    guard(|| {
        let cpu = live!(shedder).inner.cell().record_cpu(permille);
        if !smoothed.is_null() {
            out!(smoothed, cpu);
        }
        weir_status::Ok
    })
}

/// What the shedder knows at `now`.
///
/// # Safety
/// `shedder` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_shedder_snapshot(
    shedder: *const weir_shedder,
    now: u64,
    out: *mut weir_shedder_stats,
) -> weir_status {
    entry!(shedder; out => {
        let s = shedder.inner.cell().stats(now);
        out!(
            out,
            weir_shedder_stats {
                in_flight: s.in_flight,
                cpu: s.cpu,
                max_pass: s.max_pass,
                min_rt_ns: s.min_rt_ns,
                max_in_flight: s.max_in_flight,
                cooling_off: u32::from(s.cooling_off),
            }
        );
    })
}

/// The decisions made on the shedder so far, by reason (every acquire,
/// from every thread, counted once).
///
/// # Safety
/// `shedder` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_shedder_decisions(
    shedder: *const weir_shedder,
    out: *mut weir_decision_counts,
) -> weir_status {
    entry!(shedder => out = shedder.inner.decisions().into())
}

/// Frees `*shedder` and sets it to NULL; NULL is a no-op.
///
/// # Safety
/// `shedder` is NULL or points to NULL or to a live shedder no other thread uses.
#[no_mangle]
pub unsafe extern "C" fn weir_shedder_free(shedder: *mut *mut weir_shedder) {
    // SAFETY: forwarded from this function's contract.
    unsafe { drop_handle(shedder) }
}
