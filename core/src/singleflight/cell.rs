use super::kernel::{self, Begin, Flight, SlotState, Ticket};
use crate::sync::{atomic_u64, spin, AtomicU64, Ordering};
use crate::word::{Measured, Order, Word};
use crate::ConfigError;

/// One slot of a [`Singleflight`] table: 16 bytes.
#[derive(Debug)]
pub struct FlightSlot {
    key: AtomicU64,
    state: AtomicU64,
}

impl FlightSlot {
    /// A free slot.
    pub fn new() -> Self {
        Self { key: atomic_u64(0), state: atomic_u64(0) }
    }

    /// `N` free slots, for a table with a compile-time capacity.
    pub fn array<const N: usize>() -> [FlightSlot; N] {
        core::array::from_fn(|_| FlightSlot::new())
    }
}

impl Default for FlightSlot {
    fn default() -> Self {
        Self::new()
    }
}

/// A singleflight table for many threads, over caller storage `S`
/// (`[FlightSlot; N]`, `Box<[FlightSlot]>`, `&[FlightSlot]`).
///
/// Lock-free except for one window: between a leader's claim of a free slot
/// and the store that publishes its key (two plain stores, no waiting on
/// anyone), a `begin` for a key hashing to that slot spins.
#[derive(Debug)]
pub struct Singleflight<S: AsRef<[FlightSlot]>> {
    slots: S,
}

/// Where one measurement of a slot left [`Singleflight::begin`].
enum Step {
    /// This caller claimed the slot and leads the flight.
    Claimed { active: u64, gen: u32 },
    /// Another claim is half done: look again.
    Wait,
    /// Joined the flight of the same key, or found the table full for it.
    Joined(Flight),
}

impl<S: AsRef<[FlightSlot]>> Singleflight<S> {
    /// A table over `slots` (all free). Fails when there are none or more
    /// than `u32::MAX`.
    pub fn new(slots: S) -> Result<Self, ConfigError> {
        kernel::check_capacity(slots.as_ref().len())?;
        Ok(Self { slots })
    }

    /// Slots in the table.
    pub fn capacity(&self) -> usize {
        self.slots.as_ref().len()
    }

    /// Joins or starts the flight of `key` (a hash of the request's key).
    #[inline]
    pub fn begin(&self, key: u64) -> Flight {
        let slots = self.slots.as_ref();
        let index = kernel::slot_of(key, slots.len());
        let Some(slot) = slots.get(index) else { return Flight::TableFull };
        loop {
            let step = slot.state.measure_and_replace(
                Order::Publish,
                #[inline(always)]
                |s| match kernel::begin(s) {
                    Begin::Claim { claiming, active, gen } => {
                        Measured::Replace(Step::Claimed { active, gen }, claiming)
                    }
                    Begin::Wait => Measured::Keep(Step::Wait),
                    Begin::CheckKey => {
                        // The key cannot change while the state word keeps the
                        // value `s`: it is only written during a claim, which
                        // changes the word, so the exchange validates this read.
                        let same = slot.key.load(Ordering::Relaxed) == key;
                        match kernel::begin_for(s, same, index as u32) {
                            (Some(next), flight) => Measured::Replace(Step::Joined(flight), next),
                            (None, flight) => Measured::Keep(Step::Joined(flight)),
                        }
                    }
                },
            );
            match step {
                Step::Claimed { active, gen } => {
                    // Only the claimer writes the key, and the Release store
                    // of `active` publishes it to every reader that sees the
                    // slot active.
                    slot.key.store(key, Ordering::Relaxed);
                    slot.state.store(active, Ordering::Release);
                    return Flight::Leader(Ticket { slot: index as u32, gen });
                }
                Step::Wait => spin(),
                Step::Joined(flight) => return flight,
            }
        }
    }

    /// Ends the leader's flight. `false` if the ticket is stale (the flight
    /// already finished): nothing changes.
    #[inline]
    pub fn finish(&self, ticket: Ticket) -> bool {
        self.update(ticket, kernel::finish)
    }

    /// A follower is done with the flight (read the result, or gave up).
    /// `false` if there was no such follower to remove.
    #[inline]
    pub fn leave(&self, ticket: Ticket) -> bool {
        self.update(ticket, kernel::leave)
    }

    #[inline]
    fn update(&self, ticket: Ticket, step: fn(u64, Ticket) -> Option<u64>) -> bool {
        let Some(slot) = self.slots.as_ref().get(ticket.slot as usize) else { return false };
        slot.state.measure_and_replace(
            Order::Publish,
            #[inline(always)]
            |s| match step(s, ticket) {
                Some(next) => Measured::Replace(true, next),
                None => Measured::Keep(false),
            },
        )
    }

    /// Whether the flight of `ticket` has finished (for hosts that poll).
    #[inline]
    pub fn is_done(&self, ticket: Ticket) -> bool {
        self.slots
            .as_ref()
            .get(ticket.slot as usize)
            .is_none_or(|s| kernel::is_done(s.state.load(Ordering::Acquire), ticket))
    }

    /// A slot's phase and follower count.
    pub fn slot_state(&self, slot: usize) -> Option<(SlotState, u64)> {
        let s = self.slots.as_ref().get(slot)?.state.load(Ordering::Acquire);
        Some((kernel::state_of(s), kernel::waiters_of(s)))
    }

    /// Slots not free, for a gauge.
    pub fn occupied(&self) -> usize {
        self.slots
            .as_ref()
            .iter()
            .filter(|s| kernel::state_of(s.state.load(Ordering::Relaxed)) != SlotState::Free)
            .count()
    }
}
