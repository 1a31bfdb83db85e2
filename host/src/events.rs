//! [`Events`]: what a primitive's decisions mean to a listener, detected
//! once here and queued for the host to deliver off the hot path, the way
//! [`crate::CircuitBreaker`] queues its moves.
//!
//! Two families of event:
//!
//! - **Edges**: a shedder starts or stops dropping, a throttle starts or
//!   stops refusing, a retry budget runs dry or recovers, a keyed table
//!   fills or finds room again. The state is one atomic flag; a decision
//!   that agrees with it costs one relaxed load (plus, on a refusal, the
//!   refusal's time and count). Only the decision that flips the flag takes
//!   the queue's lock, re-checks under it and queues the edge, so edges
//!   reach the queue in the order they happened. A state is left at the
//!   first decision that leaves it (an admission; for a table, any key that
//!   found its entry) coming at least `hold` after the last refusal: a
//!   shedder holds for its cool-off, a throttle and a budget for one bucket
//!   of their window, a table for [`TABLE_HOLD_NS`]. Without the hold, a
//!   shedder that admits up to its estimate and sheds the rest would flip
//!   on every other request.
//! - **Refusals**, counted rather than queued one by one: the refusal that
//!   finds the count at zero queues one `Refused` marker; every later
//!   refusal only adds to the count, and taking the marker takes the count.
//!   A listener that keeps up sees one event per refusal; one that falls
//!   behind sees fewer events with larger counts. No decision allocates:
//!   the queue's room is reserved up front, and when nobody drains it the
//!   oldest event gives way and is counted in [`Events::dropped`].

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Mutex, MutexGuard};
use weir_core::budget::RetryBudgetConfig;
use weir_core::shedder::ShedderConfig;
use weir_core::throttle::ThrottleConfig;
use weir_core::{Decision, Nanos, Reason, MILLISECOND, SECOND};

/// Events kept for a host that drains them.
pub const EVENTS_QUEUE: usize = 64;

/// How long a keyed table must go without a `TableFull` refusal before a
/// key that finds its entry counts as the table having room again.
pub const TABLE_HOLD_NS: Nanos = SECOND;

/// What happened. Codes are part of the C ABI (`WEIR_EVENT_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum EventKind {
    /// Decisions were refused; `count` says how many since the last one.
    Refused = 0,
    /// A shedder began shedding.
    DroppingStarted = 1,
    /// A shedder admitted again after a cool-off without a shed.
    DroppingStopped = 2,
    /// A throttle began refusing locally.
    RefusingStarted = 3,
    /// A throttle admitted again a bucket after its last refusal.
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

impl EventKind {
    /// Every kind, in code order.
    pub const ALL: [EventKind; 9] = [
        EventKind::Refused,
        EventKind::DroppingStarted,
        EventKind::DroppingStopped,
        EventKind::RefusingStarted,
        EventKind::RefusingStopped,
        EventKind::BudgetExhausted,
        EventKind::BudgetRecovered,
        EventKind::TableFull,
        EventKind::TableRecovered,
    ];

    /// The name every binding uses (Node in camelCase).
    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::Refused => "refused",
            EventKind::DroppingStarted => "dropping_started",
            EventKind::DroppingStopped => "dropping_stopped",
            EventKind::RefusingStarted => "refusing_started",
            EventKind::RefusingStopped => "refusing_stopped",
            EventKind::BudgetExhausted => "budget_exhausted",
            EventKind::BudgetRecovered => "budget_recovered",
            EventKind::TableFull => "table_full",
            EventKind::TableRecovered => "table_recovered",
        }
    }

    /// The kind with code `code`.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.get(usize::from(code)).copied()
    }
}

/// One event and the numbers behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// The refusal behind it: the first one counted (`Refused`), the one
    /// that started the state (an edge and its end).
    pub reason: Reason,
    /// The `now` of the decision that caused it (`Refused`: the first
    /// refusal counted).
    pub at: Nanos,
    /// `Refused`: refusals counted into it, up to when it was taken. A
    /// state's end: refusals while the state lasted. A state's start: 1.
    pub count: u64,
    /// A state's end: when the state began. Otherwise `at`.
    pub since: Nanos,
}

/// Which decisions move a state, and which state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Watch {
    Refusals,
    Shedder,
    Throttle,
    Budget,
    Table,
}

impl Watch {
    fn kinds(self) -> Option<(EventKind, EventKind)> {
        match self {
            Watch::Refusals => None,
            Watch::Shedder => Some((EventKind::DroppingStarted, EventKind::DroppingStopped)),
            Watch::Throttle => Some((EventKind::RefusingStarted, EventKind::RefusingStopped)),
            Watch::Budget => Some((EventKind::BudgetExhausted, EventKind::BudgetRecovered)),
            Watch::Table => Some((EventKind::TableFull, EventKind::TableRecovered)),
        }
    }

    #[inline]
    fn enters(self, r: Reason) -> bool {
        match self {
            Watch::Refusals => false,
            Watch::Shedder => matches!(r, Reason::CpuOverloaded | Reason::CoolingOff | Reason::QueueFull),
            Watch::Throttle => r == Reason::Throttled,
            Watch::Budget => r == Reason::BudgetExhausted,
            Watch::Table => r == Reason::TableFull,
        }
    }

    #[inline]
    fn leaves(self, r: Reason) -> bool {
        match self {
            // A key over its own rate still found its entry in the table.
            Watch::Table => matches!(r, Reason::Admitted | Reason::RateLimited | Reason::CostExceedsBurst),
            _ => r == Reason::Admitted,
        }
    }
}

/// The event detector and queue of one primitive. Thread-safe.
#[derive(Debug)]
pub struct Events {
    watch: Watch,
    hold_ns: Nanos,
    in_state: AtomicBool,
    state_reason: AtomicU8,
    state_since: AtomicU64,
    state_refusals: AtomicU64,
    last_refused: AtomicU64,
    refusals: AtomicU64,
    /// Mirrors the queue's length so a caller can look without the lock
    /// (Go reads it through a pointer after each decision).
    pending: AtomicU64,
    queue: Mutex<VecDeque<Event>>,
    dropped: AtomicU64,
}

impl Events {
    fn new(watch: Watch, hold_ns: Nanos) -> Self {
        Self {
            watch,
            hold_ns,
            in_state: AtomicBool::new(false),
            state_reason: AtomicU8::new(0),
            state_since: AtomicU64::new(0),
            state_refusals: AtomicU64::new(0),
            last_refused: AtomicU64::new(0),
            refusals: AtomicU64::new(0),
            pending: AtomicU64::new(0),
            queue: Mutex::new(VecDeque::with_capacity(EVENTS_QUEUE)),
            dropped: AtomicU64::new(0),
        }
    }

    /// Refusals only (a rate or concurrency limiter).
    pub fn refusals() -> Self {
        Self::new(Watch::Refusals, 0)
    }

    /// Refusals, and dropping started / stopped with the cool-off as hold.
    pub fn shedder(config: &ShedderConfig) -> Self {
        Self::new(Watch::Shedder, config.cool_off_ns.max(MILLISECOND))
    }

    /// Refusals, and refusing started / stopped, holding one bucket.
    pub fn throttle(config: &ThrottleConfig) -> Self {
        Self::new(Watch::Throttle, config.window_ns / config.buckets.max(1))
    }

    /// Refusals, and exhausted / recovered, holding one bucket.
    pub fn budget(config: &RetryBudgetConfig) -> Self {
        Self::new(Watch::Budget, config.window_ns / config.buckets.max(1))
    }

    /// Refusals, and table full / recovered, holding [`TABLE_HOLD_NS`].
    pub fn table() -> Self {
        Self::new(Watch::Table, TABLE_HOLD_NS)
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<Event>> {
        // A poisoned lock only means a drainer panicked; the queue is
        // still a valid VecDeque.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn push(&self, q: &mut VecDeque<Event>, e: Event) {
        if q.len() >= EVENTS_QUEUE {
            if let Some(old) = q.pop_front() {
                if old.kind == EventKind::Refused {
                    // The marker is gone: the next refusal queues a new one.
                    self.refusals.store(0, Ordering::Relaxed);
                }
            }
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        q.push_back(e);
        self.pending.store(q.len() as u64, Ordering::Release);
    }

    /// Looks at one decision made at `now`; `true` when it queued an event
    /// (the host then schedules a delivery).
    #[inline]
    pub fn observe(&self, now: Nanos, d: &Decision) -> bool {
        if d.reason == Reason::Admitted && !self.in_state.load(Ordering::Relaxed) {
            return false;
        }
        self.observe_slow(now, d.reason)
    }

    fn observe_slow(&self, now: Nanos, reason: Reason) -> bool {
        let mut queued = false;
        if reason != Reason::Admitted && self.refusals.fetch_add(1, Ordering::Relaxed) == 0 {
            let mut q = self.lock();
            self.push(&mut q, Event { kind: EventKind::Refused, reason, at: now, count: 0, since: now });
            queued = true;
        }
        let Some((start, stop)) = self.watch.kinds() else { return queued };
        if self.watch.enters(reason) {
            self.last_refused.fetch_max(now, Ordering::Relaxed);
            if self.in_state.load(Ordering::Relaxed) {
                self.state_refusals.fetch_add(1, Ordering::Relaxed);
                return queued;
            }
            let mut q = self.lock();
            if self.in_state.load(Ordering::Relaxed) {
                self.state_refusals.fetch_add(1, Ordering::Relaxed);
                return queued;
            }
            self.in_state.store(true, Ordering::Relaxed);
            self.state_reason.store(reason as u8, Ordering::Relaxed);
            self.state_since.store(now, Ordering::Relaxed);
            self.state_refusals.store(1, Ordering::Relaxed);
            self.push(&mut q, Event { kind: start, reason, at: now, count: 1, since: now });
            return true;
        }
        if !self.watch.leaves(reason) || !self.in_state.load(Ordering::Relaxed) {
            return queued;
        }
        if now < self.last_refused.load(Ordering::Relaxed).saturating_add(self.hold_ns) {
            return queued;
        }
        let mut q = self.lock();
        if !self.in_state.load(Ordering::Relaxed) {
            return queued;
        }
        self.in_state.store(false, Ordering::Relaxed);
        let reason = Reason::from_code(self.state_reason.load(Ordering::Relaxed)).unwrap_or(reason);
        let since = self.state_since.load(Ordering::Relaxed);
        let count = self.state_refusals.load(Ordering::Relaxed);
        self.push(&mut q, Event { kind: stop, reason, at: now, count, since });
        true
    }

    /// The oldest event not yet taken (a `Refused` one with its count).
    pub fn next(&self) -> Option<Event> {
        let mut q = self.lock();
        let mut e = q.pop_front()?;
        self.pending.store(q.len() as u64, Ordering::Release);
        if e.kind == EventKind::Refused {
            e.count = self.refusals.swap(0, Ordering::Relaxed);
        }
        Some(e)
    }

    /// Events queued and not yet taken.
    #[inline]
    pub fn pending(&self) -> u64 {
        self.pending.load(Ordering::Acquire)
    }

    /// The word [`Self::pending`] reads, for a host that reads it in place.
    pub fn pending_word(&self) -> &AtomicU64 {
        &self.pending
    }

    /// Events that gave way in a full queue nobody drained.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Whether the watched state (dropping, refusing, exhausted, full) holds.
    pub fn in_state(&self) -> bool {
        self.in_state.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(reason: Reason) -> Decision {
        Decision { reason, retry_after: 0, remaining: 0, reset_after: 0 }
    }

    fn drain(e: &Events) -> Vec<(EventKind, Nanos, u64)> {
        std::iter::from_fn(|| e.next()).map(|e| (e.kind, e.at, e.count)).collect()
    }

    #[test]
    fn admissions_outside_a_state_queue_nothing() {
        let e = Events::shedder(&ShedderConfig::default());
        for now in 0..1000 {
            assert!(!e.observe(now, &d(Reason::Admitted)));
        }
        assert_eq!(e.pending(), 0);
    }

    #[test]
    fn a_state_starts_once_and_stops_after_the_hold() {
        let config = ShedderConfig { cool_off_ns: SECOND, ..Default::default() };
        let e = Events::shedder(&config);
        assert!(e.observe(10, &d(Reason::CpuOverloaded)));
        e.observe(20, &d(Reason::CoolingOff));
        assert!(!e.observe(30, &d(Reason::Admitted)), "inside the hold the state stays");
        e.observe(40, &d(Reason::CoolingOff));
        assert!(e.observe(40 + SECOND, &d(Reason::Admitted)));
        assert!(!e.observe(50 + SECOND, &d(Reason::Admitted)));
        let got: Vec<_> = std::iter::from_fn(|| e.next()).collect();
        assert_eq!(got.len(), 3);
        assert_eq!((got[0].kind, got[0].count), (EventKind::Refused, 3));
        assert_eq!((got[1].kind, got[1].at, got[1].reason), (EventKind::DroppingStarted, 10, Reason::CpuOverloaded));
        let stop = got[2];
        assert_eq!((stop.kind, stop.at, stop.since, stop.count), (EventKind::DroppingStopped, 40 + SECOND, 10, 3));
        assert_eq!(stop.reason, Reason::CpuOverloaded);
    }

    #[test]
    fn refusals_are_counted_into_one_marker_per_take() {
        let e = Events::refusals();
        assert!(e.observe(1, &d(Reason::RateLimited)));
        assert!(!e.observe(2, &d(Reason::RateLimited)));
        assert!(!e.observe(3, &d(Reason::CostExceedsBurst)));
        assert_eq!(drain(&e), vec![(EventKind::Refused, 1, 3)]);
        assert!(e.observe(4, &d(Reason::RateLimited)), "taking the marker re-arms it");
        assert_eq!(drain(&e), vec![(EventKind::Refused, 4, 1)]);
    }

    #[test]
    fn a_table_recovers_on_a_key_that_found_its_entry() {
        let e = Events::table();
        e.observe(0, &d(Reason::TableFull));
        e.observe(TABLE_HOLD_NS, &d(Reason::RateLimited));
        let kinds: Vec<_> = drain(&e).into_iter().map(|(k, _, _)| k).collect();
        assert_eq!(kinds, vec![EventKind::Refused, EventKind::TableFull, EventKind::TableRecovered]);
    }

    #[test]
    fn a_budget_refusal_of_another_kind_neither_starts_nor_ends_the_state() {
        let e = Events::budget(&RetryBudgetConfig::default());
        e.observe(0, &d(Reason::DeadlineTooClose));
        assert!(!e.in_state());
        e.observe(1, &d(Reason::BudgetExhausted));
        e.observe(10 * SECOND, &d(Reason::DeadlineTooClose));
        assert!(e.in_state());
    }

    #[test]
    fn an_undrained_queue_keeps_the_newest_and_rearms_refusals() {
        let config = ShedderConfig { cool_off_ns: MILLISECOND, ..Default::default() };
        let e = Events::shedder(&config);
        let mut now = 0;
        for _ in 0..EVENTS_QUEUE {
            now += 2 * MILLISECOND;
            e.observe(now, &d(Reason::QueueFull));
            now += 2 * MILLISECOND;
            e.observe(now, &d(Reason::Admitted));
        }
        assert_eq!(e.pending(), EVENTS_QUEUE as u64);
        assert!(e.dropped() > 0);
        assert!(e.observe(now + 1, &d(Reason::QueueFull)), "the dropped marker is queued again");
        let got = drain(&e);
        assert_eq!(got.iter().filter(|(k, _, _)| *k == EventKind::Refused).count(), 1);
    }

    #[test]
    fn edges_from_many_threads_alternate_in_the_queue() {
        let config = ThrottleConfig { window_ns: 10 * MILLISECOND, buckets: 10, ..Default::default() };
        let e = Events::throttle(&config);
        std::thread::scope(|s| {
            for t in 0..4u64 {
                let e = &e;
                s.spawn(move || {
                    for i in 0..20_000u64 {
                        let now = i * 100_000 + t;
                        let r = if i % 40 < 20 { Reason::Throttled } else { Reason::Admitted };
                        e.observe(now, &d(r));
                    }
                });
            }
        });
        // A full queue gives way at the front only, so what is left is one
        // unbroken run of edges, and it must alternate.
        let kinds: Vec<_> = drain(&e).into_iter().map(|(k, _, _)| k).filter(|k| *k != EventKind::Refused).collect();
        assert!(kinds.len() > 10, "edges were queued: {kinds:?}");
        for w in kinds.windows(2) {
            assert_ne!(w[0], w[1], "two starts or two stops in a row: {kinds:?}");
        }
    }
}
