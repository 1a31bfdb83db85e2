//! `ConcurrencyLimiter`: weir-host's bulkhead, a cap on work in flight with
//! a bounded FIFO queue. JS keeps its waiters by ticket; a release names
//! the ticket it handed the permit to. A limiter shared with worker threads
//! can hand a permit to another thread's waiter, which that thread finds by
//! asking whether its ticket still waits.

use weir_host::{Admission, Bulkhead, BulkheadSettings, Cancel, Refusal, Release};

use crate::errors;
use crate::fast;
use crate::fast::Callback;
use crate::scratch::{status, Scratch};
use crate::table::Table;

pub static CONCURRENCY: Table<Bulkhead<()>> = Table::new();

// In: slot 1 max, slot 2 max_queue, slot 3 max_wait ns; slot 4 and 5 whether
// each of those two was given (else weir's default).
fast!(concurrency_new, |s: Scratch| {
    let queue = (s.u(4) != 0).then(|| s.u(2));
    let wait = (s.u(5) != 0).then(|| s.u(3));
    match BulkheadSettings::new(s.u(1), queue, wait) {
        Ok(settings) => match CONCURRENCY.insert(Bulkhead::new(settings)) {
            None => s.set_f(1, status::FULL),
            Some(placed) => {
                s.set_f(1, status::OK);
                s.set_f(2, placed.index as f64);
                s.set_f(3, placed.gen as f64);
            }
        },
        Err(e) => {
            errors::set_parts(e.field, e.rule, "");
            s.set_f(1, status::CONFIG);
        }
    }
});

// A try that never queues: a decision in slots 1..=4.
fast!(concurrency_acquire, |s: Scratch| match CONCURRENCY.get(s.handle()) {
    Some(c) => s.decision(&c.try_acquire()),
    None => s.bad_handle(),
});

// In: slot 1 the caller's own wait in ns (exact), slot 2 whether it gave
// one. Out: slot 1 0 acquired, 1 queued (slot 2 the ticket, slot 3 the wait
// in ns: the caller's, never above the limiter's), 2 refused (slot 2 the
// refusal code).
fast!(concurrency_enqueue, |s: Scratch| match CONCURRENCY.get(s.handle()) {
    Some(c) => {
        let wait_ns = c.settings().wait_for((s.u(2) != 0).then(|| s.u(1)));
        s.set_f(3, wait_ns as f64);
        let (outcome, detail) = match c.acquire(()) {
            Admission::Acquired => (0.0, 0.0),
            Admission::Queued(ticket) => (1.0, ticket as f64),
            Admission::Refused(why) => (2.0, why as u32 as f64),
        };
        s.set_f(1, outcome);
        s.set_f(2, detail);
    }
    None => s.bad_handle(),
});

// Out: slot 1 whether a permit was returned, slot 2 the permits in flight,
// slot 3 the ticket it was handed to (0: freed).
fast!(concurrency_release, |s: Scratch| match CONCURRENCY.get(s.handle()) {
    Some(c) => {
        let (released, ticket) = match c.release() {
            Release::NotHeld => (0.0, 0.0),
            Release::Freed => (1.0, 0.0),
            Release::HandedOff(ticket, ()) => (1.0, ticket as f64),
        };
        s.set_f(1, released);
        s.set_f(2, c.in_flight() as f64);
        s.set_f(3, ticket);
    }
    None => s.bad_handle(),
});

// In: slot 1 ticket, slot 2 1 for a timeout (else a cancellation). Out: slot
// 1 whether it left the queue (0: it holds a permit).
fast!(concurrency_cancel, |s: Scratch| match CONCURRENCY.get(s.handle()) {
    Some(c) => {
        let why = if s.f(2) != 0.0 { Refusal::WaitTimeout } else { Refusal::Cancelled };
        let removed = matches!(c.cancel(s.f(1) as u64, why), Cancel::Removed(()));
        s.set_f(1, if removed { 1.0 } else { 0.0 });
    }
    None => s.bad_handle(),
});

// In: slot 1 ticket. Out: slot 1 whether it still waits.
fast!(concurrency_waiting, |s: Scratch| match CONCURRENCY.get(s.handle()) {
    Some(c) => s.set_f(1, if c.is_waiting(s.f(1) as u64) { 1.0 } else { 0.0 }),
    None => s.bad_handle(),
});

// Out: slots 1..=7 in flight, max, queued, max queue, max wait ns, admitted,
// admitted after a wait; slots 8..=11 refusals by code.
fast!(concurrency_stats, |s: Scratch| match CONCURRENCY.get(s.handle()) {
    Some(c) => {
        let st = c.stats();
        let numbers = [
            st.in_flight,
            st.max_in_flight,
            st.queued,
            st.max_queue,
            st.max_wait_ns,
            st.admitted,
            st.admitted_after_wait,
        ];
        for (slot, v) in numbers.into_iter().chain(st.refused).enumerate() {
            s.set_f(slot + 1, v as f64);
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
