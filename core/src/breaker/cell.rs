use super::config::{BreakerConfig, BreakerKernel, Cause, Counts, Verdict, WindowKind};
use super::state::{
    gen, kind, next_phase, state_of, Closed, Probes, State, CLOSED, DISABLED, FORCED_OPEN, HALF_OPEN, OPEN, OPENING,
};
use super::window::{self, WINDOW_WORDS};
use crate::sync::AtomicU64;
use crate::word::{Measured, Order, Word};
use crate::{ConfigError, Decision, Nanos, Reason};
use core::cell::Cell;

/// What an admitted call reports its outcome with. Outcomes of a permit
/// issued before the breaker last changed state are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permit {
    gen: u16,
    probe: bool,
    /// The probe's place in half-open.
    place: u8,
}

impl Permit {
    /// Whether the call is a half-open probe.
    pub const fn is_probe(self) -> bool {
        self.probe
    }

    /// The permit as 32 bits, for hosts that hand it across an ABI.
    pub const fn to_bits(self) -> u32 {
        self.gen as u32 | (self.probe as u32) << 16 | (self.place as u32) << 17
    }

    /// The permit [`Self::to_bits`] gave.
    pub const fn from_bits(bits: u32) -> Self {
        Self { gen: bits as u16, probe: bits & (1 << 16) != 0, place: (bits >> 17) as u8 }
    }
}

/// A change of state, for the host's events: from, to, why, and the counts
/// that decided it (the window's when closed, the probes' when half-open).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// The state left.
    pub from: State,
    /// The state entered.
    pub to: State,
    /// Why.
    pub cause: Cause,
    /// The counts behind the move.
    pub counts: Counts,
}

/// The answer to [`AtomicBreaker::acquire`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission {
    /// Admitted, or [`Reason::CircuitOpen`] / [`Reason::CircuitHalfOpen`]
    /// with `retry_after` = the time left in open. `remaining` is the probes
    /// still allowed in half-open.
    pub decision: Decision,
    /// Present when admitted: report the call's outcome with it.
    pub permit: Option<Permit>,
    /// The move this call caused (open -> half-open when the wait is over).
    pub transition: Option<Transition>,
}

/// What a breaker looks like at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerStats {
    /// The state.
    pub state: State,
    /// The closed window's counts and failure streak (zeros when not closed).
    pub window: Counts,
    /// Probe places taken: probes in flight plus probes that reported
    /// (half-open).
    pub probes_issued: u64,
    /// Probes that reported and how they went (half-open).
    pub probes: Counts,
    /// Time left in open; `u64::MAX` when forced open; else 0.
    pub retry_after: Nanos,
}

const fn admit(permit: Permit, remaining: u64, transition: Option<Transition>) -> Admission {
    Admission { decision: Decision::admit(remaining, 0), permit: Some(permit), transition }
}

const fn refuse(reason: Reason, retry_after: Nanos, transition: Option<Transition>) -> Admission {
    Admission { decision: Decision::reject(reason, retry_after, 0, 0), permit: None, transition }
}

/// The breaker's algorithm over any [`Word`] store: the atomic cell and the
/// plain cell are this one type.
#[derive(Debug)]
struct Core<W: Word> {
    kernel: BreakerKernel,
    state: W,
    /// When the current wait in open ends; written by the opener before it
    /// publishes the open state.
    open_until: W,
    window: [W; WINDOW_WORDS],
}

impl<W: Word> Core<W> {
    fn new(config: BreakerConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            kernel: BreakerKernel::new(config)?,
            state: W::new(Closed { head: 0, filled: 0, streak: 0 }.word(0)),
            open_until: W::new(0),
            window: core::array::from_fn(|_| W::new(0)),
        })
    }

    /// Its own loop over the word's primitives rather than
    /// [`Word::measure_and_replace`]: the answer is a large value, and moved
    /// through the measurement it made the closed breaker's decision 1.4x
    /// slower (4.1 -> 5.7 ns, interleaved runs of both).
    #[inline]
    fn acquire(&self, now: Nanos) -> Admission {
        let k = &self.kernel;
        let mut s = self.state.get();
        loop {
            let g = gen(s);
            match kind(s) {
                CLOSED | DISABLED => return admit(Permit { gen: g, probe: false, place: 0 }, 0, None),
                FORCED_OPEN => return refuse(Reason::CircuitOpen, u64::MAX, None),
                OPEN => {
                    let until = self.open_until.get();
                    if now < until {
                        return refuse(Reason::CircuitOpen, until - now, None);
                    }
                    let first = Probes { out: 1, returned: 0, failed: 0, slow: 0 };
                    let next = first.word(g.wrapping_add(1));
                    match self.state.swap_if(s, next) {
                        Ok(()) => {
                            window::clear(k, &self.window);
                            let t = Transition {
                                from: State::Open,
                                to: State::HalfOpen,
                                cause: Cause::WaitOver,
                                counts: Counts::default(),
                            };
                            let permit = Permit { gen: gen(next), probe: true, place: 0 };
                            return admit(permit, k.probes - 1, Some(t));
                        }
                        Err(seen) => s = seen,
                    }
                }
                HALF_OPEN => {
                    let p = Probes::of(s);
                    if k.half_open_max_ns != 0 && now >= self.open_until.get().saturating_add(k.half_open_max_ns) {
                        match self.state.swap_if(s, next_phase(s, OPENING)) {
                            Ok(()) => {
                                self.finish_open(s, now);
                                let t = Transition {
                                    from: State::HalfOpen,
                                    to: State::Open,
                                    cause: Cause::ProbesTimedOut,
                                    counts: p.counts(),
                                };
                                return refuse(Reason::CircuitOpen, k.open_ns, Some(t));
                            }
                            Err(seen) => s = seen,
                        }
                        continue;
                    }
                    let Some((next, place)) = p.take(k.probes) else {
                        return refuse(Reason::CircuitHalfOpen, 0, None);
                    };
                    match self.state.swap_if(s, next.word(g)) {
                        Ok(()) => {
                            let permit = Permit { gen: g, probe: true, place };
                            return admit(permit, k.probes - next.taken(), None);
                        }
                        Err(seen) => s = seen,
                    }
                }
                // OPENING: the opener is writing when the wait ends, which
                // is `open_ns` from about now.
                _ => return refuse(Reason::CircuitOpen, k.open_ns, None),
            }
        }
    }

    /// Finishes a move to open whose claim (`from` -> opening) won: writes
    /// when the wait ends, then publishes open. After the claim no caller but
    /// this one changes the word (a host's force/disable/reset may, and then
    /// wins).
    #[inline]
    fn finish_open(&self, from: u64, now: Nanos) {
        self.open_until.set(now.saturating_add(self.kernel.open_ns));
        let (opening, open) = (next_phase(from, OPENING), next_phase(from, OPEN));
        self.state.measure_and_replace(Order::Publish, |s| match s == opening {
            true => Measured::Replace((), open),
            false => Measured::Keep(()),
        });
    }

    /// Its own loop for the reason [`Self::acquire`] has one: through
    /// [`Word::measure_and_replace`] a call (acquire and record) measured
    /// 1.07x-1.16x slower.
    #[inline]
    fn record(&self, now: Nanos, permit: Permit, failed: bool, duration: Nanos) -> Option<Transition> {
        let k = &self.kernel;
        let slow = k.is_slow(duration);
        let mut s = self.state.get();
        loop {
            if gen(s) != permit.gen {
                return None;
            }
            match (kind(s), permit.probe) {
                (CLOSED, false) => {
                    let c = Closed::of(s);
                    let slots = if k.window == WindowKind::Count { k.window_calls } else { 0 };
                    let after = c.after(failed, slots);
                    let next = after.word(permit.gen);
                    if let Err(seen) = self.state.swap_if(s, next) {
                        s = seen;
                        continue;
                    }
                    window::record(k, &self.window, now, c.head, failed, slow);
                    let t = window::tally(k, &self.window, now, after.filled);
                    let counts = Counts {
                        calls: t.calls,
                        failures: t.failures,
                        slow: t.slow,
                        consecutive_failures: after.streak,
                    };
                    let cause = k.trips(counts)?;
                    return self.trip(next, now, cause, counts);
                }
                (HALF_OPEN, true) => {
                    let p = Probes::of(s).free(permit.place)?;
                    let p = Probes {
                        returned: p.returned + 1,
                        failed: p.failed + u64::from(failed),
                        slow: p.slow + u64::from(slow),
                        ..p
                    };
                    let moved = match k.verdict(p.returned, p.failed, p.slow) {
                        Verdict::Pending => self.state.swap_if(s, p.word(permit.gen)).map(|()| None),
                        Verdict::Reopen(cause) => self.state.swap_if(s, next_phase(s, OPENING)).map(|()| {
                            self.finish_open(s, now);
                            Some((State::Open, cause))
                        }),
                        Verdict::Close => {
                            let closed = Closed { head: 0, filled: 0, streak: 0 }.word(permit.gen.wrapping_add(1));
                            self.state.swap_if(s, closed).map(|()| Some((State::Closed, Cause::ProbesPassed)))
                        }
                    };
                    match moved {
                        Ok(to) => {
                            return to.map(|(to, cause)| Transition {
                                from: State::HalfOpen,
                                to,
                                cause,
                                counts: p.counts(),
                            })
                        }
                        Err(seen) => s = seen,
                    }
                }
                _ => return None,
            }
        }
    }

    /// Opens a closed breaker whose window broke a rule, unless another
    /// caller moved it first (then that caller reports the move).
    fn trip(&self, recorded: u64, now: Nanos, cause: Cause, counts: Counts) -> Option<Transition> {
        let g = gen(recorded);
        let from = self.state.measure_and_replace(Order::Publish, |s| match kind(s) == CLOSED && gen(s) == g {
            true => Measured::Replace(Some(s), next_phase(s, OPENING)),
            false => Measured::Keep(None),
        })?;
        self.finish_open(from, now);
        Some(Transition { from: State::Closed, to: State::Open, cause, counts })
    }

    #[inline]
    fn release(&self, permit: Permit) -> bool {
        self.state.measure_and_replace(
            Order::Publish,
            #[inline(always)]
            |s| {
                if gen(s) != permit.gen {
                    return Measured::Keep(false);
                }
                match (kind(s), permit.probe) {
                    (CLOSED | DISABLED, false) => Measured::Keep(true),
                    (HALF_OPEN, true) => match Probes::of(s).free(permit.place) {
                        Some(p) => Measured::Replace(true, p.word(permit.gen)),
                        None => Measured::Keep(false),
                    },
                    _ => Measured::Keep(false),
                }
            },
        )
    }

    /// Moves to `to` from wherever the breaker is, for the host's own
    /// commands. `None` when it already is there (a reset always happens).
    fn command(&self, now: Nanos, to: u64, cause: Cause) -> Option<Transition> {
        let (from, next, counts) = self.state.measure_and_replace(Order::Publish, |s| {
            if kind(s) == to && to != CLOSED {
                return Measured::Keep(None);
            }
            let next = next_phase(s, to);
            Measured::Replace(Some((s, next, self.stats_of(s, now).window)), next)
        })?;
        if to == CLOSED {
            // Outcomes of calls that start and end while this runs (a few
            // hundred nanoseconds) may go uncounted.
            window::clear(&self.kernel, &self.window);
        }
        Some(Transition { from: state_of(from), to: state_of(next), cause, counts })
    }

    fn stats_of(&self, s: u64, now: Nanos) -> BreakerStats {
        let k = &self.kernel;
        let mut stats = BreakerStats {
            state: state_of(s),
            window: Counts::default(),
            probes_issued: 0,
            probes: Counts::default(),
            retry_after: 0,
        };
        match kind(s) {
            CLOSED => {
                let c = Closed::of(s);
                let t = window::tally(k, &self.window, now, c.filled);
                stats.window =
                    Counts { calls: t.calls, failures: t.failures, slow: t.slow, consecutive_failures: c.streak };
            }
            HALF_OPEN => {
                let p = Probes::of(s);
                stats.probes_issued = p.taken();
                stats.probes = p.counts();
            }
            OPEN => stats.retry_after = self.open_until.get().saturating_sub(now),
            OPENING => stats.retry_after = k.open_ns,
            FORCED_OPEN => stats.retry_after = u64::MAX,
            _ => {}
        }
        stats
    }
}

/// A circuit breaker for many threads. Every decision and outcome is a
/// compare-exchange on one state word (see the module doc); the window is
/// lock-free words beside it.
#[derive(Debug)]
pub struct AtomicBreaker {
    core: Core<AtomicU64>,
}

impl AtomicBreaker {
    /// A closed breaker with an empty window.
    pub fn new(config: BreakerConfig) -> Result<Self, ConfigError> {
        Ok(Self { core: Core::new(config)? })
    }

    /// Asks to make a call at `now`. When admitted, report how it went with
    /// [`Self::record`] (or give the permit back with [`Self::release`]).
    #[inline]
    pub fn acquire(&self, now: Nanos) -> Admission {
        self.core.acquire(now)
    }

    /// Reports the call of `permit`: whether it failed and how long it took.
    /// Returns the move it caused, if any.
    #[inline]
    pub fn record(&self, now: Nanos, permit: Permit, failed: bool, duration: Nanos) -> Option<Transition> {
        self.core.record(now, permit, failed, duration)
    }

    /// Gives back a permit whose call does not count (cancelled, or an error
    /// the host ignores): a half-open probe becomes available again. `false`
    /// when the permit is stale or was already reported.
    #[inline]
    pub fn release(&self, permit: Permit) -> bool {
        self.core.release(permit)
    }

    /// Holds the breaker open until [`Self::reset`].
    pub fn force_open(&self, now: Nanos) -> Option<Transition> {
        self.core.command(now, FORCED_OPEN, Cause::ForcedOpen)
    }

    /// Lets every call through and records nothing until [`Self::reset`].
    pub fn disable(&self, now: Nanos) -> Option<Transition> {
        self.core.command(now, DISABLED, Cause::Disabled)
    }

    /// Closes the breaker with an empty window, from any state.
    pub fn reset(&self, now: Nanos) -> Option<Transition> {
        self.core.command(now, CLOSED, Cause::Reset)
    }

    /// The state, the window's or the probes' counts, and the time left in open.
    pub fn stats(&self, now: Nanos) -> BreakerStats {
        self.core.stats_of(self.core.state.get(), now)
    }

    /// The validated config.
    pub fn kernel(&self) -> &BreakerKernel {
        &self.core.kernel
    }
}

/// A circuit breaker for one thread: the same algorithm over plain words.
#[derive(Debug)]
pub struct Breaker {
    core: Core<Cell<u64>>,
}

impl Breaker {
    /// As [`AtomicBreaker::new`].
    pub fn new(config: BreakerConfig) -> Result<Self, ConfigError> {
        Ok(Self { core: Core::new(config)? })
    }

    /// As [`AtomicBreaker::acquire`].
    #[inline]
    pub fn acquire(&mut self, now: Nanos) -> Admission {
        self.core.acquire(now)
    }

    /// As [`AtomicBreaker::record`].
    #[inline]
    pub fn record(&mut self, now: Nanos, permit: Permit, failed: bool, duration: Nanos) -> Option<Transition> {
        self.core.record(now, permit, failed, duration)
    }

    /// As [`AtomicBreaker::release`].
    #[inline]
    pub fn release(&mut self, permit: Permit) -> bool {
        self.core.release(permit)
    }

    /// As [`AtomicBreaker::force_open`].
    pub fn force_open(&mut self, now: Nanos) -> Option<Transition> {
        self.core.command(now, FORCED_OPEN, Cause::ForcedOpen)
    }

    /// As [`AtomicBreaker::disable`].
    pub fn disable(&mut self, now: Nanos) -> Option<Transition> {
        self.core.command(now, DISABLED, Cause::Disabled)
    }

    /// As [`AtomicBreaker::reset`].
    pub fn reset(&mut self, now: Nanos) -> Option<Transition> {
        self.core.command(now, CLOSED, Cause::Reset)
    }

    /// As [`AtomicBreaker::stats`].
    pub fn stats(&self, now: Nanos) -> BreakerStats {
        self.core.stats_of(self.core.state.get(), now)
    }

    /// The validated config.
    pub fn kernel(&self) -> &BreakerKernel {
        &self.core.kernel
    }
}
