//! The breaker's state word: `kind:3 | gen:16 | payload:45`.
//!
//! - closed: `head:14 | filled:14 | streak:17` — the count window's next
//!   slot, how many of its slots hold a call, and the failure streak. Every
//!   outcome recorded in closed passes through this word, so it is ordered
//!   against every transition by one compare-exchange.
//! - half-open: `issued:10 | returned:10 | failed:10 | slow:10` — probes
//!   let through, probes that reported, and how they went. The probe bound
//!   is `issued <= half_open_probes`, checked in the same compare-exchange
//!   that takes a probe.
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

const FIELD10: u64 = (1 << 10) - 1;

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
    pub issued: u64,
    pub returned: u64,
    pub failed: u64,
    pub slow: u64,
}

impl Probes {
    #[inline]
    pub(crate) const fn of(word: u64) -> Self {
        Self {
            issued: (word >> 30) & FIELD10,
            returned: (word >> 20) & FIELD10,
            failed: (word >> 10) & FIELD10,
            slow: word & FIELD10,
        }
    }

    #[inline]
    pub(crate) const fn word(self, gen: u16) -> u64 {
        pack(
            HALF_OPEN,
            gen,
            ((self.issued & FIELD10) << 30)
                | ((self.returned & FIELD10) << 20)
                | ((self.failed & FIELD10) << 10)
                | (self.slow & FIELD10),
        )
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
        let p = Probes { issued: 1000, returned: 999, failed: 7, slow: 1000 };
        let w = p.word(3);
        assert_eq!((kind(w), gen(w), Probes::of(w)), (HALF_OPEN, 3, p));
        assert_eq!(gen(next_phase(pack(OPEN, 0xFFFF, 0), CLOSED)), 0, "generations wrap");
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
