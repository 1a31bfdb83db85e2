//! The state word of a slot and its transitions, shared by both cells.
//!
//! `gen:32 | waiters:29 | state:3`. `gen` counts flights started in the slot;
//! `waiters` counts followers that have not left yet.

use crate::{ConfigError, Value};

const FREE: u64 = 0;
const CLAIMING: u64 = 1;
const ACTIVE: u64 = 2;
const DRAINING: u64 = 3;
const STATE_MASK: u64 = 0b111;
const WAITER_SHIFT: u32 = 3;
/// Most followers one flight can have; one more is answered `TableFull`.
pub const MAX_WAITERS: u64 = (1 << 29) - 1;

/// A caller's part in a flight: which slot, which flight. Pass it back to
/// `finish` (leader) or `leave` (follower).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ticket {
    /// Index of the slot in the table.
    pub slot: u32,
    /// The flight's generation in that slot.
    pub gen: u32,
}

/// The answer to `begin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flight {
    /// Do the work, then `finish`.
    Leader(Ticket),
    /// Wait for the leader's result, then `leave` (also to cancel).
    Follower(Ticket),
    /// The key's slot is busy with another key: do the work without sharing.
    TableFull,
}

/// A slot's phase, for snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlotState {
    /// No flight.
    Free,
    /// Being claimed by a new leader (a few instructions long).
    Claiming,
    /// A leader is working; followers may join.
    Active,
    /// The leader finished; followers are still reading its result.
    Draining,
}

#[inline]
pub(crate) const fn gen_of(s: u64) -> u32 {
    (s >> 32) as u32
}

#[inline]
pub(crate) const fn waiters_of(s: u64) -> u64 {
    (s >> WAITER_SHIFT) & MAX_WAITERS
}

#[inline]
const fn word(gen: u32, waiters: u64, state: u64) -> u64 {
    ((gen as u64) << 32) | (waiters << WAITER_SHIFT) | state
}

pub(crate) const fn state_of(s: u64) -> SlotState {
    match s & STATE_MASK {
        FREE => SlotState::Free,
        CLAIMING => SlotState::Claiming,
        ACTIVE => SlotState::Active,
        _ => SlotState::Draining,
    }
}

/// The slot of `key` in a table of `len` slots: a multiplicative mix (so
/// keys that differ only in their low bits spread out) reduced to the range
/// by a multiply-shift, which needs no division and any `len`.
#[inline]
pub(crate) const fn slot_of(key: u64, len: usize) -> usize {
    let mixed = key.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    ((mixed as u128 * len as u128) >> 64) as usize
}

pub(crate) fn check_capacity(len: usize) -> Result<(), ConfigError> {
    if len == 0 || len as u64 > u64::from(u32::MAX) {
        return Err(ConfigError::new("capacity", "in [1, 2^32 - 1]", Value::Unsigned(len as u64)));
    }
    Ok(())
}

/// What `begin` must do, given the slot's state word `s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Begin {
    /// The slot is free: claim it (`s -> claiming`), publish the key, then
    /// store `active`; the caller leads `gen`.
    Claim { claiming: u64, active: u64, gen: u32 },
    /// Another leader is between its claim and publishing the key.
    Wait,
    /// Compare `key` with the slot's; then apply [`begin_for`].
    CheckKey,
}

#[inline]
pub(crate) const fn begin(s: u64) -> Begin {
    match s & STATE_MASK {
        FREE => {
            let gen = gen_of(s).wrapping_add(1);
            Begin::Claim { claiming: word(gen_of(s), 0, CLAIMING), active: word(gen, 0, ACTIVE), gen }
        }
        CLAIMING => Begin::Wait,
        _ => Begin::CheckKey,
    }
}

/// For an active or draining slot: the new word and the answer, given
/// whether the slot holds the caller's key. `None` for the word: no write.
#[inline]
pub(crate) const fn begin_for(s: u64, same_key: bool, slot: u32) -> (Option<u64>, Flight) {
    let (gen, waiters) = (gen_of(s), waiters_of(s));
    if !same_key {
        return (None, Flight::TableFull);
    }
    match s & STATE_MASK {
        ACTIVE if waiters < MAX_WAITERS => {
            (Some(word(gen, waiters + 1, ACTIVE)), Flight::Follower(Ticket { slot, gen }))
        }
        // The previous flight of this key is done; its followers keep their
        // count while a new flight starts in the same slot.
        DRAINING => {
            let next = gen.wrapping_add(1);
            (Some(word(next, waiters, ACTIVE)), Flight::Leader(Ticket { slot, gen: next }))
        }
        _ => (None, Flight::TableFull),
    }
}

/// The word after the leader of `ticket` finishes, or `None` if the ticket's
/// flight is not the active one (stale or repeated `finish`).
#[inline]
pub(crate) const fn finish(s: u64, ticket: Ticket) -> Option<u64> {
    if s & STATE_MASK != ACTIVE || gen_of(s) != ticket.gen {
        return None;
    }
    let waiters = waiters_of(s);
    Some(if waiters == 0 { word(ticket.gen, 0, FREE) } else { word(ticket.gen, waiters, DRAINING) })
}

/// The word after a follower of `ticket` leaves, or `None` if there is no
/// follower of that flight or a later one to remove.
#[inline]
pub(crate) const fn leave(s: u64, ticket: Ticket) -> Option<u64> {
    let (gen, waiters) = (gen_of(s), waiters_of(s));
    let state = s & STATE_MASK;
    // A follower's flight is the slot's current one or an earlier one in the
    // same occupancy (the slot cannot have been freed while it was counted).
    let not_newer = gen.wrapping_sub(ticket.gen) < (1 << 31);
    if waiters == 0 || !not_newer || (state != ACTIVE && state != DRAINING) {
        return None;
    }
    Some(if state == DRAINING && waiters == 1 { word(gen, 0, FREE) } else { word(gen, waiters - 1, state) })
}

/// Whether the flight of `ticket` is over (its leader finished).
#[inline]
pub(crate) const fn is_done(s: u64, ticket: Ticket) -> bool {
    gen_of(s) != ticket.gen || s & STATE_MASK != ACTIVE
}
