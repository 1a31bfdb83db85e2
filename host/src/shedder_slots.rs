//! Ends of shedder requests handed over without a call into the library.
//!
//! A request admitted by [`ShedderSlots::acquire`] gets a held slot. When
//! it ends, the binding writes the end time (or that it was cancelled)
//! into the slot and sets the slot's `ready` bit: plain memory writes, no
//! call. A request admitted with every held slot taken ends through a
//! spare slot the binding claims at its end ([`ShedderSlots::end_spare`]).
//! The next acquire (or [`ShedderSlots::drain`]) applies every ready end to
//! the shedder *before* it decides, so the in-flight count it decides on
//! has every end that returned before it began, and frees the slots. The
//! binding only ferries numbers: the time is read here or as raw counter
//! ticks that [`crate::monotonic_from_ticks`] scales; what an end does to
//! the window is core's [`AtomicShedder::record_late`], and the ends leave
//! in-flight in the compare-exchange that decides
//! ([`AtomicShedder::acquire_after`]).
//!
//! The memory is the caller's (`#[repr(C)]`, zeroed = empty), so a binding
//! can keep it in its own heap and pass it to each call.

use crate::clock::monotonic_from_ticks;
use core::sync::atomic::{AtomicU64, Ordering};
use weir_core::shedder::AtomicShedder;
use weir_core::word::{Measured, Order, Word};
use weir_core::{Decision, Nanos, Reason};

/// Slots per shedder: requests in flight beyond this many are admitted
/// without one and end through a call.
pub const SHEDDER_SLOTS: usize = 64;

/// `how` of a slot whose request ended at `ended` nanoseconds.
pub const ENDED_AT_NS: u64 = 1;
/// `how` of a slot whose request ended at `ended` raw counter ticks
/// ([`crate::ticks`]).
pub const ENDED_AT_TICKS: u64 = 2;
/// `how` of a slot whose request never reached the service: it leaves
/// in-flight without teaching a response time.
pub const CANCELLED: u64 = 3;

/// One admitted request's end.
#[repr(C)]
#[derive(Debug, Default)]
pub struct SlotEnd {
    /// When the request was admitted, written by the acquire that claimed the slot.
    pub started_at: AtomicU64,
    /// When it ended, as `how` says.
    pub ended: AtomicU64,
    /// [`ENDED_AT_NS`], [`ENDED_AT_TICKS`] or [`CANCELLED`]; anything else
    /// counts as cancelled.
    pub how: AtomicU64,
}

/// One bank of slots.
#[repr(C)]
#[derive(Debug)]
pub struct SlotBank {
    /// Bit `i` set: slot `i` is taken (by a request, or by an end not yet applied).
    pub owned: AtomicU64,
    /// Bit `i` set: slot `i` holds an end to apply.
    pub ready: AtomicU64,
    /// The ends.
    pub slots: [SlotEnd; SHEDDER_SLOTS],
}

impl Default for SlotBank {
    fn default() -> Self {
        Self { owned: AtomicU64::new(0), ready: AtomicU64::new(0), slots: core::array::from_fn(|_| SlotEnd::default()) }
    }
}

/// The slots of one shedder. Zeroed memory is an empty set.
#[repr(C)]
#[derive(Debug, Default)]
pub struct ShedderSlots {
    /// Slots held by admitted requests from the acquire to their end: the
    /// acquire claims them and writes `started_at`.
    pub held: SlotBank,
    /// Slots for the ends of requests admitted without a held slot (more
    /// in flight than there are held slots): the caller claims one when the
    /// request ends, with a compare-exchange on `owned`, and writes all
    /// three words. Ends only wait here until the next acquire, so a
    /// handful of them serve any number of requests in flight.
    pub spare: SlotBank,
}

impl ShedderSlots {
    /// Applies the ready ends, then decides on a request at `now`. An
    /// admitted request gets a held slot unless all are taken (then `None`:
    /// it ends through a spare slot, [`Self::end_spare`], or through
    /// [`AtomicShedder::done`]).
    // Always inlined: returned through memory, the decision costs a
    // store-forwarding stall that is a tenth of the call (measured).
    #[inline(always)]
    pub fn acquire(&self, shedder: &AtomicShedder, now: Nanos) -> (Decision, Option<u32>) {
        let taken = take_ready(&self.held, shedder, now);
        let spares = take_ready(&self.spare, shedder, now);
        if spares != 0 {
            self.spare.owned.fetch_and(!spares, Ordering::Release);
        }
        let decision = shedder.acquire_after(now, u64::from(taken.count_ones() + spares.count_ones()));
        if decision.reason != Reason::Admitted {
            if taken != 0 {
                self.held.owned.fetch_and(!taken, Ordering::Release);
            }
            return (decision, None);
        }
        (decision, self.claim(taken, now))
    }

    /// Applies the ready ends at `now` (before a snapshot) and frees their slots.
    pub fn drain(&self, shedder: &AtomicShedder, now: Nanos) {
        for bank in [&self.held, &self.spare] {
            let taken = take_ready(bank, shedder, now);
            for _ in 0..taken.count_ones() {
                shedder.cancel();
            }
            if taken != 0 {
                bank.owned.fetch_and(!taken, Ordering::Release);
            }
        }
    }

    /// Records that the request in held `slot` ended at `ended` (`how` says
    /// in what unit, or that it was cancelled): what a binding does with
    /// plain memory writes, for Rust and C callers. A slot it was not given
    /// is ignored.
    pub fn end(&self, slot: u32, ended: u64, how: u64) {
        let Some(end) = self.held.slots.get(slot as usize) else { return };
        end.ended.store(ended, Ordering::Relaxed);
        end.how.store(how, Ordering::Relaxed);
        self.held.ready.fetch_or(1 << slot, Ordering::Release);
    }

    /// Hands over the end of a request admitted at `started_at` without a
    /// held slot, through a spare one; `false` when every spare slot is
    /// taken (then end it with [`AtomicShedder::done`]).
    pub fn end_spare(&self, started_at: Nanos, ended: u64, how: u64) -> bool {
        let Some(slot) = self.spare.take_free() else { return false };
        let Some(end) = self.spare.slots.get(slot as usize) else { return false };
        end.started_at.store(started_at, Ordering::Relaxed);
        end.ended.store(ended, Ordering::Relaxed);
        end.how.store(how, Ordering::Relaxed);
        self.spare.ready.fetch_or(1 << slot, Ordering::Release);
        true
    }

    /// Gives a request admitted at `now` a slot: one of the `taken` ones
    /// when there are any (they are this call's already, so that costs no
    /// atomic operation; the rest are freed), else the lowest free one.
    #[inline]
    fn claim(&self, taken: u64, now: Nanos) -> Option<u32> {
        let slot = if taken != 0 {
            let rest = taken & (taken - 1);
            if rest != 0 {
                self.held.owned.fetch_and(!rest, Ordering::Release);
            }
            taken.trailing_zeros()
        } else {
            self.held.take_free()?
        };
        if let Some(end) = self.held.slots.get(slot as usize) {
            end.started_at.store(now, Ordering::Relaxed);
        }
        Some(slot)
    }
}

impl SlotBank {
    /// Owns the lowest free slot; `None` when every one is taken. The
    /// exchange acquires what the slot's last owner released when it freed
    /// it (its reads of the end); it releases nothing: an end's words are
    /// published by `ready`, which the owner sets after writing them.
    #[inline(always)]
    fn take_free(&self) -> Option<u32> {
        self.owned.measure_and_replace(
            Order::Take,
            #[inline(always)]
            |current| match (!current).trailing_zeros() {
                64 => Measured::Keep(None),
                slot => Measured::Replace(Some(slot), current | 1 << slot),
            },
        )
    }
}

/// Takes a bank's ready ends and records their response times; returns
/// their slots' bits, still owned (the caller frees them) and still in
/// flight (the caller takes one out of in-flight per bit).
#[inline(always)]
fn take_ready(bank: &SlotBank, shedder: &AtomicShedder, now: Nanos) -> u64 {
    if bank.ready.load(Ordering::Relaxed) == 0 {
        return 0;
    }
    let taken = bank.ready.swap(0, Ordering::Acquire);
    let mut bits = taken;
    while bits != 0 {
        let i = bits.trailing_zeros() as usize;
        bits &= bits - 1;
        let Some(end) = bank.slots.get(i) else { continue };
        let started_at = end.started_at.load(Ordering::Relaxed);
        let ended = end.ended.load(Ordering::Relaxed);
        match end.how.load(Ordering::Relaxed) {
            ENDED_AT_NS => shedder.record_late(started_at, ended, now),
            ENDED_AT_TICKS => shedder.record_late(started_at, monotonic_from_ticks(ended), now),
            _ => {}
        }
    }
    taken
}

#[cfg(test)]
mod tests {
    use super::*;
    use weir_core::shedder::ShedderConfig;
    use weir_core::MILLISECOND;

    fn queue_of(n: u64) -> AtomicShedder {
        AtomicShedder::new(ShedderConfig { max_queue: n, ..ShedderConfig::default() }).unwrap()
    }

    #[test]
    fn an_end_is_applied_by_the_next_acquire_before_it_decides() {
        let shedder = queue_of(1);
        let slots = ShedderSlots::default();
        let (d, slot) = slots.acquire(&shedder, 0);
        assert_eq!(d.reason, Reason::Admitted);
        let slot = slot.unwrap();
        assert_eq!(slots.acquire(&shedder, 1).0.reason, Reason::QueueFull);
        slots.end(slot, 5 * MILLISECOND, ENDED_AT_NS);
        assert_eq!(shedder.stats(6 * MILLISECOND).in_flight, 1, "not applied until someone looks");
        let (d, again) = slots.acquire(&shedder, 6 * MILLISECOND);
        assert_eq!(d.reason, Reason::Admitted, "the end counted before the queue cap");
        assert_eq!(again, Some(slot), "its slot was freed and claimed again");
        assert_eq!(shedder.stats(6 * MILLISECOND).in_flight, 1);
    }

    #[test]
    fn ends_teach_the_window_as_calls_would() {
        let (by_call, by_slot) = (queue_of(0), queue_of(0));
        let slots = ShedderSlots::default();
        for i in 0..5u64 {
            let at = i * 250 * MILLISECOND;
            assert_eq!(by_call.acquire(at), slots.acquire(&by_slot, at).0);
        }
        let owned = slots.held.owned.load(Ordering::Relaxed);
        assert_eq!(owned, 0b11111);
        let ended = |i: u32| u64::from(i) * 253 * MILLISECOND + 3 * MILLISECOND;
        for i in 0..5u32 {
            by_call.done(u64::from(i) * 250 * MILLISECOND, ended(i));
        }
        // Handed over newest first, all applied at once, later.
        for i in (0..5u32).rev() {
            slots.end(i, ended(i), ENDED_AT_NS);
        }
        slots.drain(&by_slot, 2 * 1_000 * MILLISECOND);
        for at in [2_000, 2_100, 5_000, 20_000].map(|ms| ms * MILLISECOND) {
            assert_eq!(by_call.stats(at), by_slot.stats(at), "at {at}");
        }
        assert_eq!(slots.held.owned.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn a_cancelled_end_leaves_no_response_time() {
        let shedder = queue_of(0);
        let slots = ShedderSlots::default();
        let slot = slots.acquire(&shedder, 0).1.unwrap();
        slots.end(slot, 0, CANCELLED);
        slots.drain(&shedder, 500 * MILLISECOND);
        let stats = shedder.stats(500 * MILLISECOND);
        assert_eq!((stats.in_flight, stats.max_pass, stats.min_rt_ns), (0, 1, MILLISECOND));
    }

    #[test]
    fn past_the_last_slot_requests_end_through_a_spare_one() {
        let shedder = queue_of(0);
        let slots = ShedderSlots::default();
        for i in 0..SHEDDER_SLOTS as u32 {
            assert_eq!(slots.acquire(&shedder, 0).1, Some(i));
        }
        let (d, slot) = slots.acquire(&shedder, 0);
        assert_eq!((d.reason, slot), (Reason::Admitted, None));
        assert!(slots.end_spare(0, 4 * MILLISECOND, ENDED_AT_NS));
        slots.end(7, 1, ENDED_AT_NS);
        assert_eq!(slots.acquire(&shedder, 5 * MILLISECOND).1, Some(7), "the held end's slot, again");
        assert_eq!(shedder.stats(5 * MILLISECOND).in_flight, SHEDDER_SLOTS as u64, "both ends counted out");
        assert_eq!(slots.spare.owned.load(Ordering::Relaxed), 0, "the spare slot is free again");
        let stats = shedder.stats(500 * MILLISECOND);
        assert_eq!(stats.min_rt_ns, 1_000, "the 1 ns held end saturates to the 1 us floor");
    }

    #[test]
    fn with_every_spare_slot_waiting_an_end_is_refused() {
        let slots = ShedderSlots::default();
        for _ in 0..SHEDDER_SLOTS {
            assert!(slots.end_spare(0, 1, ENDED_AT_NS));
        }
        assert!(!slots.end_spare(0, 1, ENDED_AT_NS));
        let shedder = queue_of(0);
        slots.drain(&shedder, 2);
        assert!(slots.end_spare(0, 1, ENDED_AT_NS), "drained, the slots are free again");
    }

    #[test]
    fn a_refusal_frees_the_ends_it_applied() {
        let shedder = AtomicShedder::new(ShedderConfig { cpu_decay: 0.0, ..ShedderConfig::default() }).unwrap();
        let slots = ShedderSlots::default();
        let [a, b, c] = [0, 0, 0].map(|_| slots.acquire(&shedder, 0).1.unwrap());
        shedder.record_cpu(1000);
        slots.end(a, 1, ENDED_AT_NS);
        assert_eq!(slots.acquire(&shedder, 2).0.reason, Reason::CpuOverloaded);
        assert_eq!(slots.held.owned.load(Ordering::Relaxed), 1 << b | 1 << c);
        assert_eq!(slots.held.ready.load(Ordering::Relaxed), 0);
        assert_eq!(shedder.stats(2).in_flight, 2);
    }

    #[test]
    fn many_threads_leave_nothing_in_flight() {
        let shedder = queue_of(0);
        let slots = ShedderSlots::default();
        std::thread::scope(|scope| {
            for t in 0..4u64 {
                let (shedder, slots) = (&shedder, &slots);
                scope.spawn(move || {
                    for i in 0..20_000u64 {
                        let now = i * 1_000 + t;
                        match slots.acquire(shedder, now) {
                            (_, Some(slot)) => slots.end(slot, now + 500, ENDED_AT_NS),
                            (d, None)
                                if d.reason == Reason::Admitted && !slots.end_spare(now, now + 500, ENDED_AT_NS) =>
                            {
                                shedder.done(now, now + 500)
                            }
                            _ => {}
                        }
                    }
                });
            }
        });
        slots.drain(&shedder, 30_000_000);
        assert_eq!(shedder.stats(30_000_000).in_flight, 0);
        assert_eq!(slots.held.owned.load(Ordering::Relaxed), 0);
        assert_eq!(slots.spare.owned.load(Ordering::Relaxed), 0);
    }
}
