//! `weir_concurrency_limiter`: a cap on requests in flight (a bulkhead) with
//! a bounded FIFO queue of waiters, weir-host's `Bulkhead`.
//!
//! The caller parks its own waiters: `_enqueue` takes a token of the
//! caller's choosing (a channel id, a pointer), and `_release_next` returns
//! the token of the waiter the permit went to, which the caller then wakes.
//! Nothing here blocks.

use crate::decision::weir_decision;
use crate::handle::{drop_handle, entry, need, out, publish};
use crate::status::{invalid_argument, unit_error, weir_status};
use weir_host::{Admission, Bulkhead, BulkheadSettings, Cancel, Refusal, Release};

/// Pass as `max_queue` or `max_wait_ns` for weir's default (1024 waiters,
/// 60 s).
pub const WEIR_BULKHEAD_DEFAULT: u64 = u64::MAX;

/// A concurrency limiter. Thread-safe: every call but `_free` from any
/// threads at once (one CAS each while nobody waits).
pub struct weir_concurrency_limiter {
    inner: Bulkhead<u64>,
}

/// Why a caller got no permit (`weir_bulkhead_admission.refusal`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum weir_bulkhead_refusal {
    /// Every permit is out and there is no queue (`max_queue` 0).
    ConcurrencyLimited = 0,
    /// Every permit is out and the queue is full.
    QueueFull = 1,
    /// The waiter waited `max_wait` (or its own shorter wait).
    WaitTimeout = 2,
    /// The waiter's caller gave up.
    Cancelled = 3,
}

/// The outcome of `weir_concurrency_limiter_enqueue`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct weir_bulkhead_admission {
    /// 0: a permit is held; 1: queued as `ticket`; 2: refused for `refusal`.
    pub outcome: u32,
    /// A `weir_bulkhead_refusal` when refused.
    pub refusal: u32,
    /// The waiter's ticket when queued (never 0).
    pub ticket: u64,
}

/// A bulkhead's numbers now and since it was made.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct weir_bulkhead_stats {
    pub in_flight: u64,
    pub queued: u64,
    pub max_in_flight: u64,
    pub max_queue: u64,
    pub max_wait_ns: u64,
    /// Permits taken without waiting.
    pub admitted: u64,
    /// Permits handed to a waiter.
    pub admitted_after_wait: u64,
    /// Refusals indexed by `weir_bulkhead_refusal`.
    pub refused: [u64; 4],
}

fn option(value: u64) -> Option<u64> {
    (value != WEIR_BULKHEAD_DEFAULT).then_some(value)
}

/// Makes a limiter allowing `max_in_flight` (>= 1) permits at once, with the
/// default queue and maximum wait.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_concurrency_limiter_new(
    max_in_flight: u64,
    out: *mut *mut weir_concurrency_limiter,
) -> weir_status {
    // SAFETY: forwarded from this function's contract.
    unsafe { weir_concurrency_limiter_new_queued(max_in_flight, WEIR_BULKHEAD_DEFAULT, WEIR_BULKHEAD_DEFAULT, out) }
}

/// Makes a limiter allowing `max_in_flight` permits at once, at most
/// `max_queue` (0 to 2^20) waiters, each waiting at most `max_wait_ns`
/// (1 ns to 24 h); `WEIR_BULKHEAD_DEFAULT` for either takes weir's default.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_concurrency_limiter_new_queued(
    max_in_flight: u64,
    max_queue: u64,
    max_wait_ns: u64,
    out: *mut *mut weir_concurrency_limiter,
) -> weir_status {
    entry!(; out => {
        match BulkheadSettings::new(max_in_flight, option(max_queue), option(max_wait_ns)) {
            // SAFETY: `out` checked non-NULL; writable per the contract.
            Ok(s) => unsafe { publish(out, weir_concurrency_limiter { inner: Bulkhead::new(s) }) },
            Err(e) => unit_error(e),
        }
    })
}

/// Takes a permit if one is free and nobody waits; never queues
/// (`remaining` = permits left). An admitted caller must release once.
///
/// # Safety
/// `limiter` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_concurrency_limiter_acquire(
    limiter: *const weir_concurrency_limiter,
    out: *mut weir_decision,
) -> weir_status {
    entry!(limiter => out = limiter.inner.try_acquire().into())
}

/// Takes a permit if one is free and nobody waits, else queues the caller's
/// `token` behind the other waiters if there is room. A queued caller waits
/// until `_release_next` names its token, and calls `_cancel` with its
/// ticket when it gives up (at its maximum wait or when cancelled).
///
/// # Safety
/// `limiter` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_concurrency_limiter_enqueue(
    limiter: *const weir_concurrency_limiter,
    token: u64,
    out: *mut weir_bulkhead_admission,
) -> weir_status {
    entry!(limiter => out = {
        match limiter.inner.acquire(token) {
            Admission::Acquired => weir_bulkhead_admission::default(),
            Admission::Queued(ticket) => weir_bulkhead_admission { outcome: 1, refusal: 0, ticket },
            Admission::Refused(why) => weir_bulkhead_admission { outcome: 2, refusal: why as u32, ticket: 0 },
        }
    })
}

/// Gives a permit back. With someone waiting the permit goes to the oldest
/// waiter: `*handed_off` is true and `*token` is that waiter's token, which
/// the caller must wake. `WEIR_STATUS_NOT_FOUND` (and no change) when
/// nothing was in flight.
///
/// # Safety
/// `limiter` is NULL or live; `handed_off` and `token` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_concurrency_limiter_release_next(
    limiter: *const weir_concurrency_limiter,
    handed_off: *mut bool,
    token: *mut u64,
) -> weir_status {
    entry!(limiter; handed_off => {
        need!(token);
        let (handed, to) = match limiter.inner.release() {
            Release::NotHeld => return weir_status::NotFound,
            Release::Freed => (false, 0),
            Release::HandedOff(_, t) => (true, t),
        };
        out!(handed_off, handed);
        out!(token, to);
    })
}

/// Gives a permit back if nobody waits, never taking a lock (for callers
/// whose fastest path may not block): `WEIR_STATUS_UNAVAILABLE` and no
/// change when someone waits (call `_release_next` then);
/// `WEIR_STATUS_NOT_FOUND` when nothing was in flight.
///
/// # Safety
/// `limiter` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn weir_concurrency_limiter_release_fast(
    limiter: *const weir_concurrency_limiter,
) -> weir_status {
    entry!(limiter => {
        match limiter.inner.release_unless_waiting() {
            Some(true) => weir_status::Ok,
            Some(false) => weir_status::NotFound,
            None => weir_status::Unavailable,
        }
    })
}

/// Gives a permit back when no caller of this limiter waits through
/// `_enqueue` (a waiter handed the permit here is never told; use
/// `_release_next` then). `WEIR_STATUS_NOT_FOUND` (and no change) when
/// nothing was in flight: a release without an acquire.
///
/// # Safety
/// `limiter` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn weir_concurrency_limiter_release(limiter: *const weir_concurrency_limiter) -> weir_status {
    entry!(limiter => {
        match limiter.inner.release() {
            Release::NotHeld => weir_status::NotFound,
            Release::Freed | Release::HandedOff(..) => weir_status::Ok,
        }
    })
}

/// Takes `ticket` out of the queue, counted as refused for `why`
/// (`WEIR_BULKHEAD_REFUSAL_WAIT_TIMEOUT` or `_CANCELLED`): `*removed` true.
/// `*removed` false means the ticket is not waiting: its permit was handed
/// over already, so the caller holds it (and wakes on its token) and must
/// release it if it no longer wants it.
///
/// # Safety
/// `limiter` is NULL or live; `removed` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_concurrency_limiter_cancel(
    limiter: *const weir_concurrency_limiter,
    ticket: u64,
    why: u32,
    removed: *mut bool,
) -> weir_status {
    entry!(limiter => removed = {
        let why = match Refusal::from_code(why) {
            Some(w @ (Refusal::WaitTimeout | Refusal::Cancelled)) => w,
            _ => return invalid_argument("why must be WEIR_BULKHEAD_REFUSAL_WAIT_TIMEOUT or _CANCELLED"),
        };
        let was_waiting = matches!(limiter.inner.cancel(ticket, why), Cancel::Removed(_));
        was_waiting
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
    entry!(limiter => out = limiter.inner.in_flight())
}

/// The numbers now and the counters so far.
///
/// # Safety
/// `limiter` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_concurrency_limiter_stats(
    limiter: *const weir_concurrency_limiter,
    out: *mut weir_bulkhead_stats,
) -> weir_status {
    entry!(limiter => out = {
        let s = limiter.inner.stats();
        weir_bulkhead_stats {
            in_flight: s.in_flight,
            queued: s.queued,
            max_in_flight: s.max_in_flight,
            max_queue: s.max_queue,
            max_wait_ns: s.max_wait_ns,
            admitted: s.admitted,
            admitted_after_wait: s.admitted_after_wait,
            refused: s.refused,
        }
    })
}

/// Frees `*limiter` and sets it to NULL; NULL is a no-op. No waiter may be
/// queued (its caller would never be woken).
///
/// # Safety
/// `limiter` is NULL or points to NULL or to a live limiter no other thread uses.
#[no_mangle]
pub unsafe extern "C" fn weir_concurrency_limiter_free(limiter: *mut *mut weir_concurrency_limiter) {
    // SAFETY: forwarded from this function's contract.
    unsafe { drop_handle(limiter) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_waiter_is_handed_the_permit_by_token_and_a_cancel_reports_it() {
        let mut c: *mut weir_concurrency_limiter = std::ptr::null_mut();
        // SAFETY: every pointer is a live local; the limiter is freed last.
        unsafe {
            assert_eq!(weir_concurrency_limiter_new_queued(1, 2, WEIR_BULKHEAD_DEFAULT, &mut c), weir_status::Ok);
            let mut a = weir_bulkhead_admission::default();
            weir_concurrency_limiter_enqueue(c, 10, &mut a);
            assert_eq!(a.outcome, 0);
            let mut tickets = [0u64; 2];
            for (i, token) in [11u64, 12].into_iter().enumerate() {
                weir_concurrency_limiter_enqueue(c, token, &mut a);
                assert_eq!(a.outcome, 1);
                tickets[i] = a.ticket;
            }
            weir_concurrency_limiter_enqueue(c, 13, &mut a);
            assert_eq!((a.outcome, a.refusal), (2, weir_bulkhead_refusal::QueueFull as u32));
            assert_eq!(weir_concurrency_limiter_release_fast(c), weir_status::Unavailable);
            let (mut handed, mut token) = (false, 0u64);
            weir_concurrency_limiter_release_next(c, &mut handed, &mut token);
            assert_eq!((handed, token), (true, 11));
            let mut removed = true;
            weir_concurrency_limiter_cancel(c, tickets[0], 3, &mut removed);
            assert!(!removed, "ticket 1 holds the permit now");
            weir_concurrency_limiter_cancel(c, tickets[1], 2, &mut removed);
            assert!(removed);
            assert_eq!(weir_concurrency_limiter_cancel(c, 1, 0, &mut removed), weir_status::InvalidArgument);
            assert_eq!(weir_concurrency_limiter_release_fast(c), weir_status::Ok);
            assert_eq!(weir_concurrency_limiter_release_fast(c), weir_status::NotFound);
            assert_eq!(weir_concurrency_limiter_release_next(c, &mut handed, &mut token), weir_status::NotFound);
            let mut s = weir_bulkhead_stats::default();
            weir_concurrency_limiter_stats(c, &mut s);
            assert_eq!((s.in_flight, s.queued, s.admitted, s.admitted_after_wait), (0, 0, 1, 1));
            assert_eq!(s.refused, [0, 1, 1, 0]);
            assert_eq!(weir_concurrency_limiter_new_queued(1, 1 << 21, 5, &mut c), weir_status::InvalidConfig);
            weir_concurrency_limiter_free(&mut c);
        }
    }
}
