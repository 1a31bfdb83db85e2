use super::kernel::{self, Begin, Flight, SlotState, Ticket};
use crate::ConfigError;

/// One slot of a [`PlainSingleflight`] table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlainFlightSlot {
    key: u64,
    state: u64,
}

/// A singleflight table for one thread (an event loop), over caller storage.
#[derive(Debug, Clone)]
pub struct PlainSingleflight<S: AsRef<[PlainFlightSlot]> + AsMut<[PlainFlightSlot]>> {
    slots: S,
}

impl<S: AsRef<[PlainFlightSlot]> + AsMut<[PlainFlightSlot]>> PlainSingleflight<S> {
    /// As [`super::Singleflight::new`].
    pub fn new(slots: S) -> Result<Self, ConfigError> {
        kernel::check_capacity(slots.as_ref().len())?;
        Ok(Self { slots })
    }

    /// As [`super::Singleflight::begin`].
    pub fn begin(&mut self, key: u64) -> Flight {
        let slots = self.slots.as_mut();
        let index = kernel::slot_of(key, slots.len());
        let Some(slot) = slots.get_mut(index) else { return Flight::TableFull };
        match kernel::begin(slot.state) {
            Begin::Claim { active, gen, .. } => {
                slot.key = key;
                slot.state = active;
                Flight::Leader(Ticket { slot: index as u32, gen })
            }
            // A single thread never observes its own claim half done.
            Begin::Wait => Flight::TableFull,
            Begin::CheckKey => {
                let (next, flight) = kernel::begin_for(slot.state, slot.key == key, index as u32);
                if let Some(next) = next {
                    slot.state = next;
                }
                flight
            }
        }
    }

    /// As [`super::Singleflight::finish`].
    pub fn finish(&mut self, ticket: Ticket) -> bool {
        self.update(ticket, kernel::finish)
    }

    /// As [`super::Singleflight::leave`].
    pub fn leave(&mut self, ticket: Ticket) -> bool {
        self.update(ticket, kernel::leave)
    }

    fn update(&mut self, ticket: Ticket, step: fn(u64, Ticket) -> Option<u64>) -> bool {
        let Some(slot) = self.slots.as_mut().get_mut(ticket.slot as usize) else { return false };
        match step(slot.state, ticket) {
            Some(next) => {
                slot.state = next;
                true
            }
            None => false,
        }
    }

    /// As [`super::Singleflight::is_done`].
    pub fn is_done(&self, ticket: Ticket) -> bool {
        self.slots.as_ref().get(ticket.slot as usize).is_none_or(|s| kernel::is_done(s.state, ticket))
    }

    /// As [`super::Singleflight::slot_state`].
    pub fn slot_state(&self, slot: usize) -> Option<(SlotState, u64)> {
        let s = self.slots.as_ref().get(slot)?.state;
        Some((kernel::state_of(s), kernel::waiters_of(s)))
    }
}
