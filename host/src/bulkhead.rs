//! [`Bulkhead`]: a cap on work in flight with a bounded FIFO wait queue, the
//! one bulkhead every binding wraps. The decisions live here once; a binding
//! only parks its waiters (a Go channel, an asyncio future, a JS promise) and
//! wakes the one [`Bulkhead::release`] names.
//!
//! While nobody waits, acquire and release are one compare-exchange on a
//! word holding both the permits in flight and the waiters, as in core's
//! `ConcurrencyLimiter`. The queue's lock is taken only when the cap is
//! reached or someone waits. Because the waiter count and the permit count
//! change together in that one word, a release can never free a permit
//! unseen by a waiter that is enqueueing at the same time: either the
//! release lands first and the newcomer takes the freed permit, or the
//! enqueue lands first and the release hands the permit over under the lock.
//!
//! Fairness: while anyone waits, a new arrival never takes a permit, even
//! one just freed; a released permit goes to the oldest waiter, whose permit
//! count never drops in between (a hand-off, not a free and a re-take).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use crate::units::UnitError;
use weir_core::word::{Measured, Order, Word};
use weir_core::{Decision, Reason};

/// Waiters a queue holds when the caller names no bound.
pub const DEFAULT_MAX_QUEUE: u64 = 1024;
/// The longest a waiter waits when the caller names no bound: 60 s.
pub const DEFAULT_MAX_WAIT_NS: u64 = 60_000_000_000;
/// The largest queue accepted (fits the waiter bits of the state word).
pub const MAX_QUEUE_LIMIT: u64 = 1 << 20;
/// The longest wait accepted: 24 hours.
pub const MAX_WAIT_LIMIT_NS: u64 = 86_400_000_000_000;
/// The largest cap accepted (fits the permit bits of the state word).
pub const MAX_IN_FLIGHT_LIMIT: u64 = (1 << IN_FLIGHT_BITS) - 1;

const IN_FLIGHT_BITS: u32 = 40;
const IN_FLIGHT_MASK: u64 = (1 << IN_FLIGHT_BITS) - 1;
const ONE_WAITER: u64 = 1 << IN_FLIGHT_BITS;

const MAX_IN_FLIGHT_RULE: &str = "a whole number from 1 to 2^40 - 1";
const MAX_QUEUE_RULE: &str = "a whole number from 0 to 1048576";
const MAX_WAIT_RULE: &str = "a duration from 1 ns to 24 hours";

/// A bulkhead's settings, validated. Build with [`BulkheadSettings::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkheadSettings {
    /// Permits in flight at once.
    pub max_in_flight: u64,
    /// Waiters queued at once; 0 refuses at once when every permit is out.
    pub max_queue: u64,
    /// The longest a waiter waits before it is refused (`wait_timeout`).
    pub max_wait_ns: u64,
}

impl BulkheadSettings {
    /// The settings from what the caller gave (`None`: the default). A
    /// refusal names the field as users spell it and the rule it broke.
    pub fn new(max_in_flight: u64, max_queue: Option<u64>, max_wait_ns: Option<u64>) -> Result<Self, UnitError> {
        if !(1..=MAX_IN_FLIGHT_LIMIT).contains(&max_in_flight) {
            return Err(UnitError::new("max_in_flight", MAX_IN_FLIGHT_RULE));
        }
        let max_queue = max_queue.unwrap_or(DEFAULT_MAX_QUEUE);
        if max_queue > MAX_QUEUE_LIMIT {
            return Err(UnitError::new("max_queue", MAX_QUEUE_RULE));
        }
        let max_wait_ns = max_wait_ns.unwrap_or(DEFAULT_MAX_WAIT_NS);
        if !(1..=MAX_WAIT_LIMIT_NS).contains(&max_wait_ns) {
            return Err(UnitError::new("max_wait", MAX_WAIT_RULE));
        }
        Ok(Self { max_in_flight, max_queue, max_wait_ns })
    }

    /// The wait a caller asking for `wanted_ns` gets: never longer than the
    /// bulkhead's own `max_wait`, which is what `None` gets.
    pub fn wait_for(&self, wanted_ns: Option<u64>) -> u64 {
        wanted_ns.map_or(self.max_wait_ns, |w| w.min(self.max_wait_ns))
    }
}

/// Why a caller did not get a permit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Refusal {
    /// Every permit is out and the bulkhead has no queue (`max_queue` 0),
    /// or a try that does not wait found someone waiting or no permit.
    ConcurrencyLimited = 0,
    /// Every permit is out and the queue holds `max_queue` waiters.
    QueueFull = 1,
    /// The waiter waited its longest and got no permit.
    WaitTimeout = 2,
    /// The waiter's caller gave up (a context, an abort signal, a task
    /// cancellation).
    Cancelled = 3,
}

impl Refusal {
    /// Every refusal, in code order.
    pub const ALL: [Refusal; 4] =
        [Refusal::ConcurrencyLimited, Refusal::QueueFull, Refusal::WaitTimeout, Refusal::Cancelled];

    /// `"concurrency_limited"`, `"queue_full"`, `"wait_timeout"` or `"cancelled"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Refusal::ConcurrencyLimited => "concurrency_limited",
            Refusal::QueueFull => "queue_full",
            Refusal::WaitTimeout => "wait_timeout",
            Refusal::Cancelled => "cancelled",
        }
    }

    /// The refusal with this code (the C ABI's).
    pub const fn from_code(code: u32) -> Option<Self> {
        match code {
            0 => Some(Refusal::ConcurrencyLimited),
            1 => Some(Refusal::QueueFull),
            2 => Some(Refusal::WaitTimeout),
            3 => Some(Refusal::Cancelled),
            _ => None,
        }
    }
}

/// A waiter's place in the queue, unique per bulkhead.
pub type Ticket = u64;

/// The answer to [`Bulkhead::acquire`].
#[derive(Debug, PartialEq, Eq)]
pub enum Admission {
    /// A permit is held: release it once.
    Acquired,
    /// Queued: wait until `release` names this ticket, and `cancel` it when
    /// giving up (at the maximum wait or on the caller's cancellation).
    Queued(Ticket),
    /// No permit and no place in the queue.
    Refused(Refusal),
}

/// The answer to [`Bulkhead::release`].
#[derive(Debug, PartialEq, Eq)]
pub enum Release<W> {
    /// Nothing was in flight: a release without an acquire, ignored.
    NotHeld,
    /// The permit is free again.
    Freed,
    /// The permit went straight to the oldest waiter: wake it.
    HandedOff(Ticket, W),
}

/// The answer to [`Bulkhead::cancel`].
#[derive(Debug, PartialEq, Eq)]
pub enum Cancel<W> {
    /// The waiter left the queue without a permit.
    Removed(W),
    /// The ticket is not waiting: its permit was handed over already (or it
    /// was never queued). A waiter cancelling its own ticket now holds a
    /// permit, and releases it if it no longer wants it.
    NotWaiting,
}

/// A bulkhead's numbers now and since it was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BulkheadStats {
    pub in_flight: u64,
    pub queued: u64,
    pub max_in_flight: u64,
    pub max_queue: u64,
    pub max_wait_ns: u64,
    /// Permits taken without waiting.
    pub admitted: u64,
    /// Permits handed to a waiter.
    pub admitted_after_wait: u64,
    /// Refusals by reason, indexed by [`Refusal`] code.
    pub refused: [u64; 4],
}

struct Queue<W> {
    next_ticket: Ticket,
    /// Oldest first; tickets rise, so a ticket is found by binary search.
    waiters: VecDeque<(Ticket, W)>,
}

/// A cap on work in flight with a bounded FIFO queue of waiters; `W` is
/// what a binding needs to wake one (a channel id, a future).
pub struct Bulkhead<W> {
    settings: BulkheadSettings,
    /// Waiters above `IN_FLIGHT_BITS`, permits in flight below.
    state: AtomicU64,
    queue: Mutex<Queue<W>>,
    admitted: AtomicU64,
    admitted_after_wait: AtomicU64,
    refused: [AtomicU64; 4],
}

impl<W> Bulkhead<W> {
    /// An empty bulkhead.
    pub fn new(settings: BulkheadSettings) -> Self {
        Self {
            settings,
            state: AtomicU64::new(0),
            queue: Mutex::new(Queue { next_ticket: 1, waiters: VecDeque::new() }),
            admitted: AtomicU64::new(0),
            admitted_after_wait: AtomicU64::new(0),
            refused: Default::default(),
        }
    }

    /// Its settings.
    pub fn settings(&self) -> BulkheadSettings {
        self.settings
    }

    /// Takes a permit if one is free and nobody waits; never queues. The
    /// decision is core's: admitted with the permits left, or
    /// `concurrency_limited`.
    #[inline]
    pub fn try_acquire(&self) -> Decision {
        match self.take_if_free() {
            Some(left) => {
                self.admitted.fetch_add(1, Ordering::Relaxed);
                Decision { reason: Reason::Admitted, retry_after: 0, remaining: left, reset_after: 0 }
            }
            None => {
                self.refuse(Refusal::ConcurrencyLimited);
                Decision { reason: Reason::ConcurrencyLimited, retry_after: 0, remaining: 0, reset_after: 0 }
            }
        }
    }

    /// Takes a permit if one is free and nobody waits, else queues `waiter`
    /// behind the others if there is room. A waiter not queued is dropped.
    pub fn acquire(&self, waiter: W) -> Admission {
        if self.take_if_free().is_some() {
            self.admitted.fetch_add(1, Ordering::Relaxed);
            return Admission::Acquired;
        }
        let mut queue = self.lock();
        let (settings, ticket) = (self.settings, queue.next_ticket);
        let admission = self.state.measure_and_replace(Order::Publish, |current| {
            let (waiting, in_flight) = split(current);
            if waiting == 0 && in_flight < settings.max_in_flight {
                Measured::Replace(Admission::Acquired, current + 1)
            } else if waiting >= settings.max_queue {
                let why = if settings.max_queue == 0 { Refusal::ConcurrencyLimited } else { Refusal::QueueFull };
                Measured::Keep(Admission::Refused(why))
            } else {
                Measured::Replace(Admission::Queued(ticket), current + ONE_WAITER)
            }
        });
        match admission {
            Admission::Acquired => {
                drop(queue);
                self.admitted.fetch_add(1, Ordering::Relaxed);
            }
            Admission::Queued(ticket) => {
                queue.next_ticket += 1;
                queue.waiters.push_back((ticket, waiter));
            }
            Admission::Refused(why) => {
                drop(queue);
                self.refuse(why);
            }
        }
        admission
    }

    /// Gives a permit back; with someone waiting, the permit goes to the
    /// oldest waiter, whom the caller must wake.
    pub fn release(&self) -> Release<W> {
        match self.release_unless_waiting() {
            Some(true) => return Release::Freed,
            Some(false) => return Release::NotHeld,
            None => {}
        }
        let mut queue = self.lock();
        if let Some((ticket, waiter)) = queue.waiters.pop_front() {
            // The waiter takes this permit over: in flight stays as it is.
            self.state.fetch_sub(ONE_WAITER, Ordering::AcqRel);
            drop(queue);
            self.admitted_after_wait.fetch_add(1, Ordering::Relaxed);
            return Release::HandedOff(ticket, waiter);
        }
        // The last waiter cancelled between the look and the lock; waiters
        // only join under this lock, so none can arrive before this exchange.
        self.state.measure_and_replace(Order::Publish, |current| {
            if current & IN_FLIGHT_MASK == 0 {
                return Measured::Keep(Release::NotHeld);
            }
            Measured::Replace(Release::Freed, current - 1)
        })
    }

    /// Gives a permit back only if nobody waits, never taking the queue's
    /// lock: `None` (and no change) when someone waits, for hosts whose
    /// fastest call may not block; they then call [`Self::release`].
    #[inline]
    pub fn release_unless_waiting(&self) -> Option<bool> {
        self.state.measure_and_replace(
            Order::Publish,
            #[inline(always)]
            |current| match split(current) {
                (0, 0) => Measured::Keep(Some(false)),
                (0, _) => Measured::Replace(Some(true), current - 1),
                _ => Measured::Keep(None),
            },
        )
    }

    /// Takes `ticket` out of the queue, counting it as refused for `why`
    /// (`WaitTimeout` or `Cancelled`).
    pub fn cancel(&self, ticket: Ticket, why: Refusal) -> Cancel<W> {
        let mut queue = self.lock();
        let Ok(at) = queue.waiters.binary_search_by_key(&ticket, |(t, _)| *t) else {
            return Cancel::NotWaiting;
        };
        let Some((_, waiter)) = queue.waiters.remove(at) else {
            return Cancel::NotWaiting;
        };
        self.state.fetch_sub(ONE_WAITER, Ordering::AcqRel);
        drop(queue);
        self.refuse(why);
        Cancel::Removed(waiter)
    }

    /// Whether `ticket` is still in the queue. A runtime whose waiters can
    /// be handed a permit by another thread, with no way to wake them, asks
    /// this: a waiter gone from the queue that did not cancel holds a permit.
    pub fn is_waiting(&self, ticket: Ticket) -> bool {
        self.lock().waiters.binary_search_by_key(&ticket, |(t, _)| *t).is_ok()
    }

    /// Permits in flight now.
    pub fn in_flight(&self) -> u64 {
        split(self.state.load(Ordering::Acquire)).1
    }

    /// Waiters queued now.
    pub fn queued(&self) -> u64 {
        split(self.state.load(Ordering::Acquire)).0
    }

    /// The numbers now and the counters since it was made.
    pub fn stats(&self) -> BulkheadStats {
        let (queued, in_flight) = split(self.state.load(Ordering::Acquire));
        let s = self.settings;
        BulkheadStats {
            in_flight,
            queued,
            max_in_flight: s.max_in_flight,
            max_queue: s.max_queue,
            max_wait_ns: s.max_wait_ns,
            admitted: self.admitted.load(Ordering::Relaxed),
            admitted_after_wait: self.admitted_after_wait.load(Ordering::Relaxed),
            refused: self.refused.each_ref().map(|c| c.load(Ordering::Relaxed)),
        }
    }

    /// One permit if free and nobody waits; the permits left after it.
    #[inline]
    fn take_if_free(&self) -> Option<u64> {
        self.state.measure_and_replace(
            Order::Take,
            #[inline(always)]
            |current| {
                let (waiting, in_flight) = split(current);
                if waiting > 0 || in_flight >= self.settings.max_in_flight {
                    return Measured::Keep(None);
                }
                Measured::Replace(Some(self.settings.max_in_flight - (in_flight + 1)), current + 1)
            },
        )
    }

    fn refuse(&self, why: Refusal) {
        self.refused[why as usize].fetch_add(1, Ordering::Relaxed);
    }

    fn lock(&self) -> MutexGuard<'_, Queue<W>> {
        // A panic while holding this lock leaves the queue consistent (each
        // change is one push, pop or remove), so a poisoned lock is usable.
        self.queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// (waiters, permits in flight).
#[inline]
fn split(word: u64) -> (u64, u64) {
    (word >> IN_FLIGHT_BITS, word & IN_FLIGHT_MASK)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulkhead(max: u64, queue: u64) -> Bulkhead<u32> {
        Bulkhead::new(BulkheadSettings::new(max, Some(queue), None).unwrap())
    }

    #[test]
    fn settings_refuse_by_field_and_rule() {
        assert_eq!(BulkheadSettings::new(0, None, None).unwrap_err().field, "max_in_flight");
        assert_eq!(BulkheadSettings::new(1 << 40, None, None).unwrap_err().field, "max_in_flight");
        let e = BulkheadSettings::new(1, Some(MAX_QUEUE_LIMIT + 1), None).unwrap_err();
        assert_eq!((e.field, e.rule), ("max_queue", MAX_QUEUE_RULE));
        assert_eq!(BulkheadSettings::new(1, None, Some(0)).unwrap_err().field, "max_wait");
        assert_eq!(BulkheadSettings::new(1, None, Some(MAX_WAIT_LIMIT_NS + 1)).unwrap_err().field, "max_wait");
        let s = BulkheadSettings::new(3, None, None).unwrap();
        assert_eq!((s.max_queue, s.max_wait_ns), (DEFAULT_MAX_QUEUE, DEFAULT_MAX_WAIT_NS));
        assert_eq!(
            (s.wait_for(None), s.wait_for(Some(5)), s.wait_for(Some(u64::MAX))),
            (s.max_wait_ns, 5, s.max_wait_ns)
        );
    }

    #[test]
    fn no_queue_refuses_as_concurrency_limited() {
        let b = bulkhead(1, 0);
        assert_eq!(b.acquire(0), Admission::Acquired);
        assert_eq!(b.acquire(1), Admission::Refused(Refusal::ConcurrencyLimited));
        assert_eq!(b.release(), Release::Freed);
        assert_eq!(b.release(), Release::NotHeld);
        assert_eq!(b.stats().refused, [1, 0, 0, 0]);
    }

    #[test]
    fn waiters_get_permits_oldest_first_and_newcomers_do_not_barge() {
        let b = bulkhead(2, 20);
        assert_eq!((b.acquire(100), b.acquire(101)), (Admission::Acquired, Admission::Acquired));
        let tickets: Vec<_> = (0..20u32)
            .map(|w| match b.acquire(w) {
                Admission::Queued(t) => t,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(b.acquire(99), Admission::Refused(Refusal::QueueFull));
        for (w, t) in tickets.iter().enumerate() {
            assert_eq!(b.release(), Release::HandedOff(*t, w as u32));
            assert!(!b.try_acquire().is_admitted(), "a try never barges while anyone waits");
            assert_eq!(b.in_flight(), 2);
        }
        assert_eq!((b.release(), b.release(), b.release()), (Release::Freed, Release::Freed, Release::NotHeld));
        let s = b.stats();
        assert_eq!((s.admitted, s.admitted_after_wait, s.refused), (2, 20, [20, 1, 0, 0]));
    }

    #[test]
    fn cancel_removes_a_waiter_and_a_granted_ticket_is_not_waiting() {
        let b = bulkhead(1, 4);
        assert_eq!(b.acquire(0), Admission::Acquired);
        let (Admission::Queued(t1), Admission::Queued(t2)) = (b.acquire(1), b.acquire(2)) else { panic!() };
        assert!(b.is_waiting(t1) && b.is_waiting(t2));
        assert_eq!(b.cancel(t1, Refusal::WaitTimeout), Cancel::Removed(1));
        assert!(!b.is_waiting(t1));
        assert_eq!(b.cancel(t1, Refusal::Cancelled), Cancel::NotWaiting);
        assert_eq!(b.release_unless_waiting(), None, "someone waits: no change");
        assert_eq!(b.release(), Release::HandedOff(t2, 2));
        assert!(!b.is_waiting(t2));
        assert_eq!(b.cancel(t2, Refusal::Cancelled), Cancel::NotWaiting, "granted already: the holder releases");
        assert_eq!(b.release_unless_waiting(), Some(true));
        assert_eq!(b.release_unless_waiting(), Some(false));
        assert_eq!((b.in_flight(), b.queued()), (0, 0));
        assert_eq!(b.stats().refused, [0, 0, 1, 0]);
    }

    #[test]
    fn the_last_waiter_cancelling_frees_the_next_release() {
        let b = bulkhead(1, 1);
        b.acquire(0);
        let Admission::Queued(t) = b.acquire(1) else { panic!() };
        b.cancel(t, Refusal::Cancelled);
        assert_eq!(b.release(), Release::Freed);
        assert_eq!(b.acquire(2), Admission::Acquired);
    }
}
