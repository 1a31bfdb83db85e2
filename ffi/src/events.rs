//! `weir_events`: what a shedder, throttle, retry budget or keyed table's
//! decisions meant (weir-host's `Events`), taken by the caller off the hot
//! path. A handle's decisions queue events; a caller that wants them reads
//! `*weir_events_pending_word()` after a decision (one load, no call) and,
//! when it is not zero, drains them into its own buffer from any thread.

use crate::handle::{entry, need, out};
use crate::status::weir_status;
use crate::{weir_keyed_limiter, weir_retry_budget, weir_shedder, weir_throttle};
use std::ffi::c_char;
use std::ops::Deref;
use weir_host::{EventKind, Events};

/// What happened. The values never change.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum weir_event_kind {
    /// Decisions were refused; `count` says how many since the last one.
    Refused = 0,
    /// A shedder began shedding.
    DroppingStarted = 1,
    /// A shedder admitted again after a cool-off without a shed.
    DroppingStopped = 2,
    /// A throttle began refusing locally.
    RefusingStarted = 3,
    /// A throttle admitted again one bucket after its last refusal.
    RefusingStopped = 4,
    /// A retry budget refused a retry.
    BudgetExhausted = 5,
    /// A retry budget admitted a retry again.
    BudgetRecovered = 6,
    /// A keyed table had no entry free for a new key.
    TableFull = 7,
    /// A keyed table held keys again after being full.
    TableRecovered = 8,
}

/// One event.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct weir_event {
    /// A `weir_event_kind`.
    pub kind: u32,
    /// A `weir_reason`: the refusal behind it (the first counted, or the
    /// one that started the state).
    pub reason: u32,
    /// When, ns: the decision that caused it.
    pub at: u64,
    /// Refused: refusals counted into it. A state's end: refusals while it
    /// lasted. A state's start: 1.
    pub count: u64,
    /// A state's end: when the state began, ns. Otherwise `at`.
    pub since: u64,
}

/// The event queue of one handle; borrowed from it, valid while it lives.
pub struct weir_events(pub(crate) Events);

impl Deref for weir_events {
    type Target = Events;
    fn deref(&self) -> &Events {
        &self.0
    }
}

/// The shedder's event queue, valid until the shedder is freed.
///
/// # Safety
/// `shedder` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_shedder_events(
    shedder: *const weir_shedder,
    out: *mut *const weir_events,
) -> weir_status {
    entry!(shedder => out = &shedder.events as *const weir_events)
}

/// The throttle's event queue, valid until the throttle is freed.
///
/// # Safety
/// `throttle` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_throttle_events(
    throttle: *const weir_throttle,
    out: *mut *const weir_events,
) -> weir_status {
    entry!(throttle => out = &throttle.events as *const weir_events)
}

/// The budget's event queue, valid until the budget is freed.
///
/// # Safety
/// `budget` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_retry_budget_events(
    budget: *const weir_retry_budget,
    out: *mut *const weir_events,
) -> weir_status {
    entry!(budget => out = &budget.events as *const weir_events)
}

/// The limiter's event queue, valid until the limiter is freed.
///
/// # Safety
/// `limiter` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_keyed_limiter_events(
    limiter: *const weir_keyed_limiter,
    out: *mut *const weir_events,
) -> weir_status {
    entry!(limiter => out = &limiter.events as *const weir_events)
}

/// The word that counts the queued events, for a caller that looks after
/// each decision without a call: read it with an atomic load (acquire);
/// not zero means `weir_events_drain` has something. NULL for NULL.
///
/// # Safety
/// `events` is NULL or from a live handle.
#[no_mangle]
pub unsafe extern "C" fn weir_events_pending_word(events: *const weir_events) -> *const u64 {
    // SAFETY: NULL or live per this function's contract.
    match unsafe { events.as_ref() } {
        Some(e) => e.pending_word().as_ptr().cast_const(),
        None => std::ptr::null(),
    }
}

/// Moves up to `capacity` queued events, oldest first, into `buffer` and
/// writes how many to `written` (0 when none are queued).
///
/// # Safety
/// `events` is NULL or from a live handle; `buffer` is writable for
/// `capacity` events (may be NULL when `capacity` is 0); `written` is NULL
/// or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_events_drain(
    events: *const weir_events,
    buffer: *mut weir_event,
    capacity: usize,
    written: *mut usize,
) -> weir_status {
    entry!(events => written = {
        if capacity > 0 {
            need!(buffer);
        }
        let mut n = 0;
        while n < capacity {
            let Some(e) = events.next() else { break };
            let one =
                weir_event { kind: e.kind as u32, reason: e.reason as u32, at: e.at, count: e.count, since: e.since };
            // SAFETY: `buffer` is non-NULL (checked when `capacity` > 0) and
            // writable for `capacity` events; `n < capacity`.
            let slot = unsafe { buffer.add(n) };
            out!(slot, one);
            n += 1;
        }
        n
    })
}

/// Events lost because nobody drained a full queue (64 kept).
///
/// # Safety
/// `events` is NULL or from a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_events_dropped(events: *const weir_events, out: *mut u64) -> weir_status {
    entry!(events => out = events.dropped())
}

/// The kind's name (`"refused"`, `"dropping_started"`, ...); `"unknown"`
/// for a code that is not a kind. Never NULL; static.
#[no_mangle]
pub extern "C" fn weir_event_kind_str(kind: u32) -> *const c_char {
    const NAMES: [&std::ffi::CStr; 9] = [
        c"refused",
        c"dropping_started",
        c"dropping_stopped",
        c"refusing_started",
        c"refusing_stopped",
        c"budget_exhausted",
        c"budget_recovered",
        c"table_full",
        c"table_recovered",
    ];
    let name = u8::try_from(kind).ok().and_then(EventKind::from_code).and_then(|k| NAMES.get(k as usize));
    name.copied().unwrap_or(c"unknown").as_ptr()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::*;
    use std::ptr::{null, null_mut};

    #[test]
    fn names_match_the_host_names() {
        for k in EventKind::ALL {
            // SAFETY: static NUL-terminated strings.
            let name = unsafe { std::ffi::CStr::from_ptr(weir_event_kind_str(k as u32)) };
            assert_eq!(name.to_str().unwrap(), k.as_str());
        }
        // SAFETY: as above.
        assert_eq!(unsafe { std::ffi::CStr::from_ptr(weir_event_kind_str(99)) }.to_str().unwrap(), "unknown");
    }

    #[test]
    fn a_throttle_refusing_is_drained_into_the_callers_buffer() {
        let mut config =
            weir_throttle_config { k: 1.0, window_ns: 0, buckets: 0, min_requests: 0, max_reject_probability: 0.0 };
        let mut t = null_mut();
        let mut ev = null();
        let mut decision = weir_decision::default();
        let mut buf = [weir_event::default(); 8];
        let mut n = 0;
        // SAFETY: every pointer is a live local or a handle made here.
        unsafe {
            assert_eq!(weir_throttle_config_default(&mut config), weir_status::Ok);
            config.min_requests = 1;
            config.max_reject_probability = 1.0;
            assert_eq!(weir_throttle_new(&config, &mut t), weir_status::Ok);
            assert_eq!(weir_throttle_events(t, &mut ev), weir_status::Ok);
            let word = weir_events_pending_word(ev);
            // Nothing accepted: every request after the first is refused.
            for i in 1..=5u64 {
                weir_throttle_acquire(t, i, 0, &mut decision);
            }
            assert!(*word > 0);
            assert_eq!(weir_events_drain(ev, buf.as_mut_ptr(), buf.len(), &mut n), weir_status::Ok);
            assert_eq!(*word, 0);
            let kinds: Vec<_> = buf[..n].iter().map(|e| e.kind).collect();
            assert_eq!(kinds, vec![weir_event_kind::Refused as u32, weir_event_kind::RefusingStarted as u32]);
            assert_eq!(buf[0].reason, weir_reason::Throttled as u32);
            assert!(buf[0].count >= 1);
            assert_eq!(weir_events_drain(ev, null_mut(), 0, &mut n), weir_status::Ok);
            assert_eq!(n, 0);
            assert_eq!(weir_events_drain(null(), buf.as_mut_ptr(), 1, &mut n), weir_status::NullArgument);
            assert!(weir_events_pending_word(null()).is_null());
            weir_throttle_free(&mut t);
        }
    }
}
