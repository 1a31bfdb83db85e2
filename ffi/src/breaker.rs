//! `weir_breaker`: a circuit breaker (closed / open / half-open, forced
//! open, disabled) over weir-host's `CircuitBreaker`: the clock, the call's
//! duration, the decision counters and the queue of state changes live
//! there; this file only marshals.

use crate::decision::weir_decision;
use crate::handle::{drop_handle, entry, live, need, now_of, out, publish};
use crate::status::{config_error, guard, invalid_argument, weir_status};
use std::ffi::c_char;
use weir_core::breaker::{BreakerConfig, Permit, Transition};
use weir_host::{BreakerEvent, BreakerPermit, CircuitBreaker, WindowKind};

/// Which sliding window a closed breaker keeps.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum weir_breaker_window {
    /// The last `window_calls` calls.
    Count = 0,
    /// The calls of the last `window_ns`, in `buckets`.
    Time = 1,
}

/// A breaker's state. The values never change.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum weir_breaker_state {
    /// Calls pass; outcomes fill the window.
    Closed = 0,
    /// Calls are refused until the wait in open ends.
    Open = 1,
    /// A bounded number of probes pass.
    HalfOpen = 2,
    /// Refused until `weir_breaker_reset`.
    ForcedOpen = 3,
    /// Every call passes; nothing is recorded.
    Disabled = 4,
}

/// Why a breaker moved. The values never change.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum weir_breaker_cause {
    /// Closed -> open: the failure rate reached its threshold.
    FailureRate = 0,
    /// Closed -> open: the slow-call rate reached its threshold.
    SlowCallRate = 1,
    /// Closed -> open: `consecutive_failures` failures in a row.
    ConsecutiveFailures = 2,
    /// Open -> half-open: the wait in open is over.
    WaitOver = 3,
    /// Half-open -> open: the probes failed too often.
    ProbesFailed = 4,
    /// Half-open -> open: the probes were too often slow.
    ProbesSlow = 5,
    /// Half-open -> open: the probes did not all report in time.
    ProbesTimedOut = 6,
    /// Half-open -> closed: every probe reported and no rule held.
    ProbesPassed = 7,
    /// `weir_breaker_force_open`.
    ForcedOpen = 8,
    /// `weir_breaker_disable`.
    Disabled = 9,
    /// `weir_breaker_reset`.
    Reset = 10,
}

/// Breaker settings; `weir_breaker_config_default` gives resilience4j's
/// defaults (a count window of 100 calls, 100 minimum, 50% failures, slow
/// calls 100% over 60 s, 60 s open, 10 probes).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct weir_breaker_config {
    /// A `weir_breaker_window` value.
    pub window: u32,
    /// Count window: calls remembered, 1..=8192.
    pub window_calls: u64,
    /// Time window: its length, ns; a whole number of buckets of >= 1 ms.
    pub window_ns: u64,
    /// Time window: buckets, 1..=128.
    pub buckets: u64,
    /// Calls the window must hold before a rate can open the breaker.
    pub minimum_calls: u64,
    /// Percent of failed calls that opens the breaker, [0, 100]; 0 off.
    pub failure_rate_threshold: f64,
    /// Percent of slow calls that opens the breaker, [0, 100]; 0 off.
    pub slow_call_rate_threshold: f64,
    /// A call longer than this, ns, is slow.
    pub slow_call_ns: u64,
    /// Failures in a row that open the breaker; 0 off.
    pub consecutive_failures: u64,
    /// The wait in open, ns.
    pub open_ns: u64,
    /// Probes let through in half-open, 1..=30.
    pub half_open_probes: u64,
    /// Longest half-open may wait for its probes, ns; 0 waits for them.
    pub half_open_max_ns: u64,
}

impl From<BreakerConfig> for weir_breaker_config {
    fn from(c: BreakerConfig) -> Self {
        Self {
            window: c.window as u32,
            window_calls: c.window_calls,
            window_ns: c.window_ns,
            buckets: c.buckets,
            minimum_calls: c.minimum_calls,
            failure_rate_threshold: c.failure_rate_threshold,
            slow_call_rate_threshold: c.slow_call_rate_threshold,
            slow_call_ns: c.slow_call_ns,
            consecutive_failures: c.consecutive_failures,
            open_ns: c.open_ns,
            half_open_probes: c.half_open_probes,
            half_open_max_ns: c.half_open_max_ns,
        }
    }
}

impl weir_breaker_config {
    fn core(&self) -> Option<BreakerConfig> {
        let window = match self.window {
            0 => WindowKind::Count,
            1 => WindowKind::Time,
            _ => return None,
        };
        Some(BreakerConfig {
            window,
            window_calls: self.window_calls,
            window_ns: self.window_ns,
            buckets: self.buckets,
            minimum_calls: self.minimum_calls,
            failure_rate_threshold: self.failure_rate_threshold,
            slow_call_rate_threshold: self.slow_call_rate_threshold,
            slow_call_ns: self.slow_call_ns,
            consecutive_failures: self.consecutive_failures,
            open_ns: self.open_ns,
            half_open_probes: self.half_open_probes,
            half_open_max_ns: self.half_open_max_ns,
        })
    }
}

/// What an admitted call reports its outcome with. Copy it freely; report
/// it once (a second report of the same permit is ignored).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct weir_breaker_permit {
    /// The permit as core encodes it.
    pub bits: u32,
    /// 1 when the call is a half-open probe.
    pub probe: u32,
    /// When it was admitted (the `now` of the acquire), ns.
    pub started_at: u64,
}

impl From<BreakerPermit> for weir_breaker_permit {
    fn from(p: BreakerPermit) -> Self {
        Self { bits: p.permit.to_bits(), probe: u32::from(p.permit.is_probe()), started_at: p.started_at }
    }
}

impl From<&weir_breaker_permit> for BreakerPermit {
    fn from(p: &weir_breaker_permit) -> Self {
        Self { permit: Permit::from_bits(p.bits), started_at: p.started_at }
    }
}

/// A change of state: `moved` is 0 when the call changed nothing (then the
/// other fields are 0). Counts are the window's (closed) or the probes'
/// (half-open) that decided the move.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct weir_breaker_transition {
    /// 1 when the breaker moved.
    pub moved: u32,
    /// A `weir_breaker_state` value: the state left.
    pub from: u32,
    /// A `weir_breaker_state` value: the state entered.
    pub to: u32,
    /// A `weir_breaker_cause` value.
    pub cause: u32,
    /// Calls that reported an outcome.
    pub calls: u64,
    /// Of those, failed.
    pub failures: u64,
    /// Of those, slow.
    pub slow: u64,
    /// Failures in a row (closed only).
    pub consecutive_failures: u64,
    /// When it happened (the `now` of the call that caused it), ns.
    pub at: u64,
}

fn transition(at: u64, t: Option<Transition>) -> weir_breaker_transition {
    match t {
        None => weir_breaker_transition::default(),
        Some(t) => weir_breaker_transition {
            moved: 1,
            from: t.from as u32,
            to: t.to as u32,
            cause: t.cause as u32,
            calls: t.counts.calls,
            failures: t.counts.failures,
            slow: t.counts.slow,
            consecutive_failures: t.counts.consecutive_failures,
            at,
        },
    }
}

/// Writes `t` through `out` unless `out` is NULL (the caller does not care).
fn report(out: *mut weir_breaker_transition, at: u64, t: Option<Transition>) {
    if !out.is_null() {
        out!(out, transition(at, t));
    }
}

/// A breaker's snapshot.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct weir_breaker_stats {
    /// A `weir_breaker_state` value.
    pub state: u32,
    /// Closed: calls in the window.
    pub calls: u64,
    /// Closed: failed calls in the window.
    pub failures: u64,
    /// Closed: slow calls in the window.
    pub slow: u64,
    /// Closed: failures in a row.
    pub consecutive_failures: u64,
    /// Half-open: probe places taken (in flight plus reported).
    pub probes_issued: u64,
    /// Half-open: probes that reported.
    pub probes_returned: u64,
    /// Half-open: of those, failed.
    pub probes_failed: u64,
    /// Half-open: of those, slow.
    pub probes_slow: u64,
    /// Time left in open, ns; `UINT64_MAX` forced open; else 0.
    pub open_left_ns: u64,
    /// Calls admitted so far.
    pub admitted: u64,
    /// Calls refused as `WEIR_REASON_CIRCUIT_OPEN`.
    pub refused_open: u64,
    /// Calls refused as `WEIR_REASON_CIRCUIT_HALF_OPEN`.
    pub refused_half_open: u64,
    /// State changes lost because `weir_breaker_next_event` was not called
    /// and the queue of 64 was full.
    pub events_dropped: u64,
}

/// A circuit breaker. Thread-safe (one lock-free state word; the event
/// queue is touched only by calls that move the breaker); only `_free`
/// must not race.
pub struct weir_breaker {
    inner: CircuitBreaker,
}

impl weir_host::Clocked for weir_breaker {}

/// Writes the default config to `out`.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_breaker_config_default(out: *mut weir_breaker_config) -> weir_status {
    entry!(=> out = BreakerConfig::default().into())
}

/// Makes a closed breaker. On `WEIR_STATUS_INVALID_CONFIG` the last error
/// names the field and rule; an unknown `window` is
/// `WEIR_STATUS_INVALID_ARGUMENT`.
///
/// # Safety
/// `config` is NULL or readable; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_breaker_new(
    config: *const weir_breaker_config,
    out: *mut *mut weir_breaker,
) -> weir_status {
    entry!(config; out => {
        let Some(core) = config.core() else {
            return invalid_argument(&format!("window must be 0 (count) or 1 (time), got {}", config.window));
        };
        match CircuitBreaker::new(core) {
            // SAFETY: `out` checked non-NULL; writable per the contract.
            Ok(inner) => unsafe { publish(out, weir_breaker { inner }) },
            Err(e) => config_error(e),
        }
    })
}

fn acquire(
    b: &weir_breaker,
    now: u64,
    out: *mut weir_decision,
    permit: *mut weir_breaker_permit,
    moved: *mut weir_breaker_transition,
) -> weir_status {
    let a = b.inner.acquire_at(now);
    out!(out, a.decision.into());
    out!(permit, a.permit.map(Into::into).unwrap_or_default());
    report(moved, now, a.transition);
    weir_status::Ok
}

/// Asks to make a call at `now`. When admitted (`out->admitted`), report
/// how it went with `weir_breaker_record` (or give the permit back with
/// `weir_breaker_release`); refused, `out->retry_after_ns` is the time left
/// in open. `transition` may be NULL; else it says whether this call moved
/// the breaker (open -> half-open).
///
/// # Safety
/// `breaker` is NULL or live; `out` and `permit` are NULL or writable;
/// `transition` is NULL or writable.
// twin weir_breaker_acquire_now: `weir_breaker_acquire` at `weir_now()`.
#[no_mangle]
pub unsafe extern "C" fn weir_breaker_acquire(
    breaker: *const weir_breaker,
    now: u64,
    out: *mut weir_decision,
    permit: *mut weir_breaker_permit,
    transition: *mut weir_breaker_transition,
) -> weir_status {
    entry!(breaker; out, permit => acquire(breaker, now, out, permit, transition))
}

/// `weir_breaker_acquire` at `weir_now()`.
///
/// # Safety
/// As `weir_breaker_acquire`.
// Written by ffi/twins from the `// twin` mark above; edit that, not this.
#[no_mangle]
pub unsafe extern "C" fn weir_breaker_acquire_now(
    breaker: *const weir_breaker,
    out: *mut weir_decision,
    permit: *mut weir_breaker_permit,
    transition: *mut weir_breaker_transition,
) -> weir_status {
    entry!(let now = crate::handle::now_of::<weir_breaker>();
        breaker; out, permit => acquire(breaker, now, out, permit, transition))
}

/// Reports the call of `permit` at `now`: `failed` (0 or 1) and how long it
/// took. `transition` (NULL: not wanted) says whether it moved the breaker.
///
/// # Safety
/// `breaker` is NULL or live; `permit` is NULL or readable; `transition` is
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_breaker_record(
    breaker: *const weir_breaker,
    now: u64,
    permit: *const weir_breaker_permit,
    failed: bool,
    duration_ns: u64,
    transition: *mut weir_breaker_transition,
) -> weir_status {
    entry!(breaker, permit => {
        let t = breaker.inner.record_at(now, Permit::from_bits(permit.bits), failed, duration_ns);
        report(transition, now, t);
    })
}

/// `weir_breaker_record` at `weir_now()`, the duration being the time since
/// `permit->started_at`.
///
/// # Safety
/// As `weir_breaker_record`.
#[no_mangle]
pub unsafe extern "C" fn weir_breaker_record_now(
    breaker: *const weir_breaker,
    permit: *const weir_breaker_permit,
    failed: bool,
    transition: *mut weir_breaker_transition,
) -> weir_status {
    entry!(breaker, permit => {
        let now = now_of::<weir_breaker>();
        let duration = now.saturating_sub(permit.started_at);
        let t = breaker.inner.record_at(now, Permit::from_bits(permit.bits), failed, duration);
        report(transition, now, t);
    })
}

/// Gives back a permit whose call does not count (cancelled, or an error
/// the caller ignores): a half-open probe frees its place. `*released` is
/// 0 when the permit was stale or already reported.
///
/// # Safety
/// `breaker` is NULL or live; `permit` is NULL or readable; `released` is
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_breaker_release(
    breaker: *const weir_breaker,
    permit: *const weir_breaker_permit,
    released: *mut bool,
) -> weir_status {
    entry!(breaker, permit => released = breaker.inner.release(Permit::from_bits(permit.bits)))
}

/// The host's commands, in one shape.
fn command(
    breaker: *const weir_breaker,
    now: u64,
    transition: *mut weir_breaker_transition,
    run: fn(&CircuitBreaker, u64) -> Option<Transition>,
) -> weir_status {
    let b = live!(breaker);
    report(transition, now, run(&b.inner, now));
    weir_status::Ok
}

/// Holds the breaker open (refusing with `retry_after_ns` = `UINT64_MAX`)
/// until `weir_breaker_reset`.
///
/// # Safety
/// `breaker` is NULL or live; `transition` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_breaker_force_open(
    breaker: *const weir_breaker,
    now: u64,
    transition: *mut weir_breaker_transition,
) -> weir_status {
    guard(|| command(breaker, now, transition, CircuitBreaker::force_open_at))
}

/// Lets every call through and records nothing until `weir_breaker_reset`.
///
/// # Safety
/// As `weir_breaker_force_open`.
#[no_mangle]
pub unsafe extern "C" fn weir_breaker_disable(
    breaker: *const weir_breaker,
    now: u64,
    transition: *mut weir_breaker_transition,
) -> weir_status {
    guard(|| command(breaker, now, transition, CircuitBreaker::disable_at))
}

/// Closes the breaker with an empty window, from any state.
///
/// # Safety
/// As `weir_breaker_force_open`.
#[no_mangle]
pub unsafe extern "C" fn weir_breaker_reset(
    breaker: *const weir_breaker,
    now: u64,
    transition: *mut weir_breaker_transition,
) -> weir_status {
    guard(|| command(breaker, now, transition, CircuitBreaker::reset_at))
}

/// Takes the oldest state change not yet taken (the breaker keeps the last
/// 64), for delivering events off the hot path: call it after a call whose
/// transition says `moved`. `WEIR_STATUS_NOT_FOUND` when there is none.
///
/// # Safety
/// `breaker` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_breaker_next_event(
    breaker: *const weir_breaker,
    out: *mut weir_breaker_transition,
) -> weir_status {
    entry!(breaker; out => {
        match breaker.inner.next_event() {
            Some(BreakerEvent { at, transition: t }) => {
                out!(out, transition(at, Some(t)));
                weir_status::Ok
            }
            None => weir_status::NotFound,
        }
    })
}

/// The snapshot at `now`.
///
/// # Safety
/// `breaker` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_breaker_snapshot(
    breaker: *const weir_breaker,
    now: u64,
    out: *mut weir_breaker_stats,
) -> weir_status {
    guard(|| {
        let b = live!(breaker);
        need!(out);
        let s = b.inner.stats_at(now);
        let k = &s.breaker;
        out!(
            out,
            weir_breaker_stats {
                state: k.state as u32,
                calls: k.window.calls,
                failures: k.window.failures,
                slow: k.window.slow,
                consecutive_failures: k.window.consecutive_failures,
                probes_issued: k.probes_issued,
                probes_returned: k.probes.calls,
                probes_failed: k.probes.failures,
                probes_slow: k.probes.slow,
                open_left_ns: k.retry_after,
                admitted: s.admitted,
                refused_open: s.refused_open,
                refused_half_open: s.refused_half_open,
                events_dropped: s.events_dropped,
            }
        );
        weir_status::Ok
    })
}

/// The snake_case names, NUL-terminated, indexed by code.
const STATE_NAMES: [&std::ffi::CStr; 5] = [c"closed", c"open", c"half_open", c"forced_open", c"disabled"];
const CAUSE_NAMES: [&std::ffi::CStr; 11] = [
    c"failure_rate",
    c"slow_call_rate",
    c"consecutive_failures",
    c"wait_over",
    c"probes_failed",
    c"probes_slow",
    c"probes_timed_out",
    c"probes_passed",
    c"forced_open",
    c"disabled",
    c"reset",
];

/// The name of `weir_breaker_state` `code` (`"half_open"`), or `"unknown"`.
/// Never NULL; static.
#[no_mangle]
pub extern "C" fn weir_breaker_state_str(code: u32) -> *const c_char {
    STATE_NAMES.get(code as usize).copied().unwrap_or(c"unknown").as_ptr()
}

/// The name of `weir_breaker_cause` `code` (`"failure_rate"`), or
/// `"unknown"`. Never NULL; static.
#[no_mangle]
pub extern "C" fn weir_breaker_cause_str(code: u32) -> *const c_char {
    CAUSE_NAMES.get(code as usize).copied().unwrap_or(c"unknown").as_ptr()
}

/// Frees `*breaker` and sets it to NULL; NULL is a no-op.
///
/// # Safety
/// `breaker` is NULL or points to NULL or to a live breaker no other
/// thread is using.
#[no_mangle]
pub unsafe extern "C" fn weir_breaker_free(breaker: *mut *mut weir_breaker) {
    // SAFETY: forwarded from this function's contract.
    unsafe { drop_handle(breaker) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;
    use weir_host::{Cause, State};

    const STATES: [State; 5] = [State::Closed, State::Open, State::HalfOpen, State::ForcedOpen, State::Disabled];
    const CAUSES: [Cause; 11] = [
        Cause::FailureRate,
        Cause::SlowCallRate,
        Cause::ConsecutiveFailures,
        Cause::WaitOver,
        Cause::ProbesFailed,
        Cause::ProbesSlow,
        Cause::ProbesTimedOut,
        Cause::ProbesPassed,
        Cause::ForcedOpen,
        Cause::Disabled,
        Cause::Reset,
    ];

    #[test]
    fn names_match_core_for_every_code() {
        for (code, s) in STATES.iter().enumerate() {
            assert_eq!(*s as usize, code);
            // SAFETY: the function returns a static NUL-terminated string.
            let name = unsafe { CStr::from_ptr(weir_breaker_state_str(code as u32)) };
            assert_eq!(name.to_str().ok(), Some(s.as_str()));
        }
        for (code, c) in CAUSES.iter().enumerate() {
            assert_eq!(*c as usize, code);
            // SAFETY: as above.
            let name = unsafe { CStr::from_ptr(weir_breaker_cause_str(code as u32)) };
            assert_eq!(name.to_str().ok(), Some(c.as_str()));
        }
        // SAFETY: as above.
        assert_eq!(unsafe { CStr::from_ptr(weir_breaker_state_str(99)) }.to_str().ok(), Some("unknown"));
    }
}
