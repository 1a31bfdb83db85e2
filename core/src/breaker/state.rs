//! The breaker's state word: `kind:3 | gen:16 | payload:45`.
//!
//! - closed: `head:14 | filled:14 | streak:17` — the count window's next
//!   slot, how many of its slots hold a call, and the failure streak. Every
//!   outcome recorded in closed passes through this word, so it is ordered
//!   against every transition by one compare-exchange.
//! - half-open: `out:30 | returned:5 | failed:5 | slow:5` — one bit per
//!   probe place held by a probe in flight, the probes that reported, and
//!   how they went. The probe bound is `popcount(out) + returned <=
//!   half_open_probes`, checked in the same compare-exchange that takes a
//!   place; a report or a release clears its place's bit, so a permit
//!   reported twice cannot count twice or free a second place.
//! - opening: a breaker that just tripped, while its opener writes when the
//!   wait ends; it refuses like open. Only the opener leaves it.
//!
//! `gen` changes on every transition: an outcome carries the `gen` of the
//! state that admitted it and is dropped when the state has moved on.

use super::config::Counts;

pub(crate) const CLOSED: u64 = 0;
pub(crate) const OPEN: u64 = 1;
pub(crate) const HALF_OPEN: u64 = 2;
pub(crate) const FORCED_OPEN: u64 = 3;
pub(crate) const DISABLED: u64 = 4;
pub(crate) const OPENING: u64 = 5;

const KIND_SHIFT: u32 = 61;
const GEN_SHIFT: u32 = 45;
const GEN_MASK: u64 = 0xFFFF;
const PAYLOAD_MASK: u64 = (1 << GEN_SHIFT) - 1;

const HEAD_SHIFT: u32 = 31;
const FILLED_SHIFT: u32 = 17;
const FIELD14: u64 = (1 << 14) - 1;
const STREAK_MASK: u64 = (1 << 17) - 1;

const OUT_MASK: u64 = (1 << 30) - 1;
const FIELD5: u64 = (1 << 5) - 1;

/// The state a host sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum State {
    /// Calls pass; outcomes fill the window.
    Closed = 0,
    /// Calls are refused until the wait ends.
    Open = 1,
    /// A bounded number of probes pass; the rest are refused.
    HalfOpen = 2,
    /// Refused until the host resets the breaker.
    ForcedOpen = 3,
    /// Every call passes; nothing is recorded.
    Disabled = 4,
}

impl State {
    /// A stable snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            State::Closed => "closed",
            State::Open => "open",
            State::HalfOpen => "half_open",
            State::ForcedOpen => "forced_open",
            State::Disabled => "disabled",
        }
    }
}

#[inline]
pub(crate) const fn kind(word: u64) -> u64 {
    word >> KIND_SHIFT
}

#[inline]
pub(crate) const fn gen(word: u64) -> u16 {
    ((word >> GEN_SHIFT) & GEN_MASK) as u16
}

#[inline]
pub(crate) const fn pack(kind: u64, gen: u16, payload: u64) -> u64 {
    (kind << KIND_SHIFT) | ((gen as u64) << GEN_SHIFT) | (payload & PAYLOAD_MASK)
}

/// The first state of a new phase: the next generation, empty payload.
#[inline]
pub(crate) const fn next_phase(word: u64, kind: u64) -> u64 {
    pack(kind, gen(word).wrapping_add(1), 0)
}

pub(crate) const fn state_of(word: u64) -> State {
    match kind(word) {
        CLOSED => State::Closed,
        HALF_OPEN => State::HalfOpen,
        FORCED_OPEN => State::ForcedOpen,
        DISABLED => State::Disabled,
        _ => State::Open,
    }
}

/// The closed payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Closed {
    pub head: u64,
    pub filled: u64,
    pub streak: u64,
}

impl Closed {
    #[inline]
    pub(crate) const fn of(word: u64) -> Self {
        Self {
            head: (word >> HEAD_SHIFT) & FIELD14,
            filled: (word >> FILLED_SHIFT) & FIELD14,
            streak: word & STREAK_MASK,
        }
    }

    #[inline]
    pub(crate) const fn word(self, gen: u16) -> u64 {
        pack(CLOSED, gen, (self.head << HEAD_SHIFT) | (self.filled << FILLED_SHIFT) | (self.streak & STREAK_MASK))
    }

    /// After one more outcome in a count window of `calls` slots (a time
    /// window passes `calls == 0` and only the streak moves).
    #[inline]
    pub(crate) fn after(self, failed: bool, calls: u64) -> Self {
        let streak = if failed { (self.streak + 1).min(STREAK_MASK) } else { 0 };
        if calls == 0 {
            return Self { streak, ..self };
        }
        let head = if self.head + 1 >= calls { 0 } else { self.head + 1 };
        Self { head, filled: (self.filled + 1).min(calls), streak }
    }
}

/// The half-open payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Probes {
    /// Places held by probes in flight, one bit each.
    pub out: u64,
    pub returned: u64,
    pub failed: u64,
    pub slow: u64,
}

impl Probes {
    #[inline]
    pub(crate) const fn of(word: u64) -> Self {
        Self {
            out: (word >> 15) & OUT_MASK,
            returned: (word >> 10) & FIELD5,
            failed: (word >> 5) & FIELD5,
            slow: word & FIELD5,
        }
    }

    #[inline]
    pub(crate) const fn word(self, gen: u16) -> u64 {
        pack(
            HALF_OPEN,
            gen,
            ((self.out & OUT_MASK) << 15)
                | ((self.returned & FIELD5) << 10)
                | ((self.failed & FIELD5) << 5)
                | (self.slow & FIELD5),
        )
    }

    /// Places taken: probes in flight plus probes that reported.
    #[inline]
    pub(crate) const fn taken(self) -> u64 {
        self.out.count_ones() as u64 + self.returned
    }

    /// Takes the lowest free place of `probes`, if the bound allows one.
    #[inline]
    pub(crate) const fn take(self, probes: u64) -> Option<(Self, u8)> {
        if self.taken() >= probes {
            return None;
        }
        let place = (!self.out & OUT_MASK).trailing_zeros();
        Some((Self { out: self.out | 1 << place, ..self }, place as u8))
    }

    /// Gives back `place`; `None` when no probe holds it.
    #[inline]
    pub(crate) const fn free(self, place: u8) -> Option<Self> {
        let bit = 1u64 << (place as u32 & 31);
        if self.out & bit == 0 {
            None
        } else {
            Some(Self { out: self.out & !bit, ..self })
        }
    }

    pub(crate) const fn counts(self) -> Counts {
        Counts { calls: self.returned, failures: self.failed, slow: self.slow, consecutive_failures: 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip() {
        let c = Closed { head: 8191, filled: 8192, streak: STREAK_MASK };
        let w = c.word(0xFFFF);
        assert_eq!((kind(w), gen(w), Closed::of(w)), (CLOSED, 0xFFFF, c));
        let p = Probes { out: OUT_MASK, returned: 30, failed: 7, slow: 31 };
        let w = p.word(3);
        assert_eq!((kind(w), gen(w), Probes::of(w)), (HALF_OPEN, 3, p));
        assert_eq!(gen(next_phase(pack(OPEN, 0xFFFF, 0), CLOSED)), 0, "generations wrap");
    }

    #[test]
    fn probe_places_are_bounded_and_freed_once() {
        let mut p = Probes { out: 0, returned: 1, failed: 0, slow: 0 };
        let mut places = [0u8; 2];
        for place in &mut places {
            let (next, taken) = p.take(3).unwrap();
            (p, *place) = (next, taken);
        }
        assert_eq!(places, [0, 1]);
        assert!(p.take(3).is_none(), "one reported and two in flight fill 3 places");
        p = p.free(0).unwrap();
        assert!(p.free(0).is_none(), "a place is freed once");
        assert_eq!(p.take(3).unwrap().1, 0, "the lowest free place is reused");
    }

    #[test]
    fn count_window_head_wraps_and_filled_saturates() {
        let mut c = Closed { head: 0, filled: 0, streak: 0 };
        for _ in 0..5 {
            c = c.after(true, 3);
        }
        assert_eq!(c, Closed { head: 2, filled: 3, streak: 5 });
        assert_eq!(c.after(false, 3).streak, 0);
    }
}
