//! `ConcurrencyLimiter`: weir-host's bulkhead, a cap on work in flight with
//! a bounded FIFO queue. JS keeps its waiters by ticket; a release names
//! the ticket it handed the permit to. A limiter shared with worker threads
//! can hand a permit to another thread's waiter, which that thread finds by
//! asking whether its ticket still waits.

use weir_host::{Admission, Bulkhead, BulkheadSettings, Cancel, Refusal, Release};

use crate::errors;
use crate::fast;
use crate::fast::Callback;
use crate::layout::created as placed;
use crate::layout::{concurrency_enqueue, concurrency_new, concurrency_release, concurrency_stats, concurrency_ticket};
use crate::scratch::{status, Scratch};
use crate::table::Table;

pub static CONCURRENCY: Table<Bulkhead<()>> = Table::new();

// In: max, max_queue, max_wait ns, and whether each of those two was given
// (else weir's default).
fast!(concurrency_new, |s: Scratch| {
    use concurrency_new::*;
    let queue = (s.u(HAS_MAX_QUEUE) != 0).then(|| s.u(MAX_QUEUE));
    let wait = (s.u(HAS_MAX_WAIT) != 0).then(|| s.u(MAX_WAIT));
    match BulkheadSettings::new(s.u(MAX), queue, wait) {
        Ok(settings) => match CONCURRENCY.insert(Bulkhead::new(settings)) {
            None => s.status(status::FULL),
            Some(at) => {
                s.status(status::OK);
                s.set_f(placed::INDEX, at.index as f64);
                s.set_f(placed::GEN, at.gen as f64);
            }
        },
        Err(e) => {
            errors::set_parts(e.field, e.rule, "");
            s.status(status::CONFIG);
        }
    }
});

// A try that never queues: a decision.
fast!(concurrency_acquire, |s: Scratch| match CONCURRENCY.get(s.handle()) {
    Some(c) => s.decision(&c.try_acquire()),
    None => s.bad_handle(),
});

// In: the caller's own wait, if it gave one. Out: see
// [`concurrency_enqueue`]; the wait is the caller's, never above the limiter's.
fast!(concurrency_enqueue, |s: Scratch| match CONCURRENCY.get(s.handle()) {
    Some(c) => {
        use concurrency_enqueue::*;
        let wait_ns = c.settings().wait_for((s.u(HAS_MAX_WAIT) != 0).then(|| s.u(MAX_WAIT)));
        s.set_f(WAIT, wait_ns as f64);
        let (outcome, detail) = match c.acquire(()) {
            Admission::Acquired => (0.0, 0.0),
            Admission::Queued(ticket) => (1.0, ticket as f64),
            Admission::Refused(why) => (2.0, why as u32 as f64),
        };
        s.set_f(OUTCOME, outcome);
        const _: () = assert!(TICKET == REFUSAL);
        s.set_f(TICKET, detail);
    }
    None => s.bad_handle(),
});

// Out: see [`concurrency_release`].
fast!(concurrency_release, |s: Scratch| match CONCURRENCY.get(s.handle()) {
    Some(c) => {
        let (released, ticket) = match c.release() {
            Release::NotHeld => (0.0, 0.0),
            Release::Freed => (1.0, 0.0),
            Release::HandedOff(ticket, ()) => (1.0, ticket as f64),
        };
        s.set_f(concurrency_release::RELEASED, released);
        s.set_f(concurrency_release::IN_FLIGHT, c.in_flight() as f64);
        s.set_f(concurrency_release::HANDED_TO, ticket);
    }
    None => s.bad_handle(),
});

// In: the ticket, 1 for a timeout (else a cancellation). Out: whether it
// left the queue (0: it holds a permit).
fast!(concurrency_cancel, |s: Scratch| match CONCURRENCY.get(s.handle()) {
    Some(c) => {
        use concurrency_ticket::*;
        let why = if s.f(TIMED_OUT) != 0.0 { Refusal::WaitTimeout } else { Refusal::Cancelled };
        let removed = matches!(c.cancel(s.f(TICKET) as u64, why), Cancel::Removed(()));
        s.set_f(ANSWER, if removed { 1.0 } else { 0.0 });
    }
    None => s.bad_handle(),
});

// In: the ticket. Out: whether it still waits.
fast!(concurrency_waiting, |s: Scratch| match CONCURRENCY.get(s.handle()) {
    Some(c) => {
        let waiting = c.is_waiting(s.f(concurrency_ticket::TICKET) as u64);
        s.set_f(concurrency_ticket::ANSWER, if waiting { 1.0 } else { 0.0 })
    }
    None => s.bad_handle(),
});

// Out: see [`concurrency_stats`].
fast!(concurrency_stats, |s: Scratch| match CONCURRENCY.get(s.handle()) {
    Some(c) => {
        use concurrency_stats::*;
        let st = c.stats();
        for (slot, v) in [
            (IN_FLIGHT, st.in_flight),
            (MAX, st.max_in_flight),
            (QUEUED, st.queued),
            (MAX_QUEUE, st.max_queue),
            (MAX_WAIT, st.max_wait_ns),
            (ADMITTED, st.admitted),
            (ADMITTED_AFTER_WAIT, st.admitted_after_wait),
        ] {
            s.set_f(slot, v as f64);
        }
        for (i, v) in st.refused.into_iter().enumerate() {
            s.set_f(REFUSED + i, v as f64);
        }
    }
    None => s.bad_handle(),
});

pub const FNS: &[(&str, Callback)] = &[
    ("concurrencyNew", concurrency_new),
    ("concurrencyAcquire", concurrency_acquire),
    ("concurrencyEnqueue", concurrency_enqueue),
    ("concurrencyRelease", concurrency_release),
    ("concurrencyCancel", concurrency_cancel),
    ("concurrencyWaiting", concurrency_waiting),
    ("concurrencyStats", concurrency_stats),
];
