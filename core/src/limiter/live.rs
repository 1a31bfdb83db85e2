//! A GCRA cell whose rate and burst change at run time, exactly, under
//! concurrent callers.
//!
//! **The rule of a change** ([`Gcra::rescale`]): what was spent stays spent.
//! A TAT `ahead` nanoseconds past `now` under the old interval becomes
//! `now + min(ceil(ahead * new_interval / old_interval), new_burst *
//! new_interval)` under the new one: the same tokens, refilling at the new
//! rate, never more than an empty bucket. A full bucket stays full. So a
//! change refills nothing (a larger burst frees only the size it adds):
//! tokens admitted never exceed what the old config allowed up to the change
//! plus what the new one allows after it.
//!
//! **Layout.** One state word and two config slots. The word's top bit names
//! the slot in force; its other 63 bits are `raw`, and the TAT is
//! `word + slot.shift` (wrapping `u64` arithmetic whose exact result is the
//! TAT, below [`TAT_LIMIT`]: the shift folds in the slot bit, so a decision
//! pays one add and one subtract for it). A setter (setters are serialised)
//! writes the new config and a new `shift` into the slot not in force, then
//! CASes the word to (the other slot, `raw + 1`), choosing `shift` so the
//! rescaled TAT comes out.
//!
//! **Why a decision never uses the wrong config.** `raw` only grows: an
//! admission moves the TAT forward, so `raw` by the same amount, and a change
//! adds 1 to it. So the word never takes a value twice, and a CAS
//! from the word a caller read succeeds only if no change landed since. The
//! slot a caller reads is the one its word names; a setter rewrites that
//! slot only after a later change moved the word away from it, and slot
//! stores are `Release` and slot loads `Acquire`, so a caller that saw any of
//! that rewrite sees the moved word at its CAS (which fails) or at the load
//! that confirms a refusal (which then retries). No generation wraps, so
//! there is no ABA. `raw` runs ahead of the TAT by what changes took off it
//! (a faster rate lowers the TAT, `raw` still grows); an admission whose
//! `raw` would reach the slot bit (after 2^63 ns of such changes) fails
//! closed with [`Reason::TimeOverflow`] rather than wrap, and a change that
//! finds `raw` at its limit restarts it at the TAT.

use super::gcra::{Gcra, LimiterConfig, TAT_LIMIT};
use crate::sync::{atomic_u64, AtomicU64, Ordering};
use crate::word::{lock, unlock, Measured, Order, Word};
use crate::{ConfigError, Decision, Nanos, Reason};

/// The top bit of the word: which slot is in force.
const SLOT_BIT: u64 = 1 << 63;
/// The low 63 bits: `raw`.
const RAW: u64 = SLOT_BIT - 1;

/// The slot of two that the top bit of `word` names.
#[inline(always)]
pub(crate) fn slot_of<T>(slots: &[T; 2], word: u64) -> &T {
    let [first, second] = slots;
    if word & SLOT_BIT == 0 {
        first
    } else {
        second
    }
}

/// One config: the kernel's words, the user's config, and the shift from
/// `raw` to the TAT. Seven words, all atomics, so the same type can live in
/// memory mapped by several processes.
#[repr(C)]
#[derive(Debug)]
pub struct RateSlot {
    kernel: [AtomicU64; 4],
    shift: AtomicU64,
    rate: AtomicU64,
    period_ns: AtomicU64,
}

impl RateSlot {
    fn new(config: LimiterConfig, gcra: &Gcra) -> Self {
        let [a, b, c, d] = gcra.words();
        Self {
            kernel: [atomic_u64(a), atomic_u64(b), atomic_u64(c), atomic_u64(d)],
            shift: atomic_u64(0),
            rate: atomic_u64(config.rate),
            period_ns: atomic_u64(config.period_ns),
        }
    }

    fn write(&self, config: LimiterConfig, gcra: &Gcra) {
        for (word, value) in self.kernel.iter().zip(gcra.words()) {
            word.store(value, Ordering::Release);
        }
        self.rate.store(config.rate, Ordering::Release);
        self.period_ns.store(config.period_ns, Ordering::Release);
    }

    #[inline]
    fn words(&self) -> [u64; 4] {
        [
            self.kernel[0].load(Ordering::Acquire),
            self.kernel[1].load(Ordering::Acquire),
            self.kernel[2].load(Ordering::Acquire),
            self.kernel[3].load(Ordering::Acquire),
        ]
    }

    /// The kernel, trusted (this process wrote it; a torn read only happens
    /// to a caller whose CAS or confirming load then fails).
    #[inline]
    fn kernel(&self) -> Gcra {
        Gcra::from_trusted_words(self.words())
    }

    /// The kernel, checked (memory another process may have scribbled on).
    #[inline]
    fn checked_kernel(&self) -> Option<Gcra> {
        Gcra::from_words(self.words())
    }

    fn config(&self) -> LimiterConfig {
        LimiterConfig {
            rate: self.rate.load(Ordering::Acquire),
            period_ns: self.period_ns.load(Ordering::Acquire),
            burst: self.kernel[3].load(Ordering::Acquire),
        }
    }
}

/// The refusal of an admission whose `raw` would reach the slot bit.
const fn overflow(tat: u64, now: Nanos) -> Decision {
    Decision::reject(Reason::TimeOverflow, u64::MAX, 0, tat.saturating_sub(now))
}

/// The refusal of a cell whose shared memory holds no valid config: fail
/// closed, for as long as it stays so.
const fn unreadable() -> Decision {
    Decision::reject(Reason::RateLimited, u64::MAX, 0, 0)
}

/// A GCRA limiter for many threads whose config changes live. Lock-free
/// acquires; setters are serialised by a flag (or by the caller, see
/// [`Self::set_config_serialised`]). `#[repr(C)]` and atomics only, so it
/// may live in a shared mapping (weir-host's `SharedLimiter`).
// Not aligned past 8 bytes on purpose: hosts embed the cell in objects
// whose allocators promise no more than 16 (a Python object's memory), and
// measured, a cache-line alignment gained nothing on the hot path.
#[repr(C)]
#[derive(Debug)]
pub struct LiveRate {
    word: AtomicU64,
    setting: AtomicU64,
    slots: [RateSlot; 2],
}

/// What [`LiveRate::peek`] found: the decision and, when admitted with a
/// cost, the word to write (valid while no one else writes the cell).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Peek {
    pub(crate) next: Option<u64>,
    pub(crate) decision: Decision,
}

impl LiveRate {
    /// A limiter with a full bucket.
    pub fn new(config: LimiterConfig) -> Result<Self, ConfigError> {
        let gcra = Gcra::new(config)?;
        Ok(Self {
            word: atomic_u64(0),
            setting: atomic_u64(0),
            slots: [RateSlot::new(config, &gcra), RateSlot::new(config, &gcra)],
        })
    }

    /// Resets memory this type lives in (a fresh shared mapping) to a full
    /// bucket under `config`. The caller excludes every other user meanwhile.
    pub fn init(&self, config: LimiterConfig) -> Result<(), ConfigError> {
        let gcra = Gcra::new(config)?;
        for slot in &self.slots {
            slot.write(config, &gcra);
            slot.shift.store(0, Ordering::Release);
        }
        self.setting.store(0, Ordering::Release);
        self.word.store(0, Ordering::Release);
        Ok(())
    }

    /// Asks for `cost` tokens at `now`.
    #[inline]
    pub fn acquire(&self, now: Nanos, cost: u64) -> Decision {
        self.acquire_with(now, cost, |cell, word| Some(cell.hot(word)))
    }

    /// [`Self::acquire`] for memory other processes write: every config read
    /// is validated, and one that is not a kernel refuses (`RateLimited`,
    /// `retry_after` `u64::MAX`) instead of deciding on garbage.
    #[inline]
    pub fn acquire_checked(&self, now: Nanos, cost: u64) -> Decision {
        self.acquire_with(now, cost, |cell, word| {
            let slot = slot_of(&cell.slots, word);
            Some((slot.checked_kernel()?, slot.shift.load(Ordering::Acquire)))
        })
    }

    /// The kernel and shift of the slot `word` names, trusted. The burst is
    /// left out: deciding never reads it, and the hot path saves the load.
    #[inline(always)]
    fn hot(&self, word: u64) -> (Gcra, u64) {
        let slot = slot_of(&self.slots, word);
        let [interval, magic, tolerance, _] = &slot.kernel;
        let words =
            [interval.load(Ordering::Acquire), magic.load(Ordering::Acquire), tolerance.load(Ordering::Acquire), 0];
        (Gcra::from_trusted_words(words), slot.shift.load(Ordering::Acquire))
    }

    #[inline(always)]
    fn acquire_with(&self, now: Nanos, cost: u64, kernel: impl Fn(&Self, u64) -> Option<(Gcra, u64)>) -> Decision {
        let admitted = self.word.measure_and_replace(
            Order::Publish,
            #[inline(always)]
            |word| {
                let Some((gcra, shift)) = kernel(self, word) else { return Measured::Keep(Err(unreadable())) };
                let tat = word.wrapping_add(shift);
                match gcra.next_state(tat, now, cost) {
                    Some(next) => match next.wrapping_sub(shift) {
                        next_word if (next_word ^ word) & SLOT_BIT == 0 => {
                            Measured::Replace(Ok((gcra, next)), next_word)
                        }
                        _ => Measured::Keep(Err(overflow(tat, now))),
                    },
                    // A refusal writes nothing; it stands if the word is
                    // still the one the slot was read under.
                    None => Measured::Confirm(Err(gcra.decide(tat, now, cost).1)),
                }
            },
        );
        admitted.map_or_else(|refused| refused, |(gcra, next)| gcra.admitted(next, now))
    }

    /// The decision for `cost` at `now` without writing, and the word that
    /// would record it. For callers that hold every writer off (a
    /// [`super::MultiLimiter`] under its lock) and commit with [`Self::commit`].
    pub(crate) fn peek(&self, now: Nanos, cost: u64) -> Peek {
        let seen = self.word.load(Ordering::Acquire);
        let slot = slot_of(&self.slots, seen);
        let gcra = slot.kernel();
        let shift = slot.shift.load(Ordering::Acquire);
        let tat = seen.wrapping_add(shift);
        match gcra.next_state(tat, now, cost) {
            Some(next) => match next.wrapping_sub(shift) {
                word if (word ^ seen) & SLOT_BIT == 0 => Peek { next: Some(word), decision: gcra.admitted(next, now) },
                _ => Peek { next: None, decision: overflow(tat, now) },
            },
            None => Peek { next: None, decision: gcra.decide(tat, now, cost).1 },
        }
    }

    /// Writes a word [`Self::peek`] returned; the caller guarantees nothing
    /// else wrote since.
    pub(crate) fn commit(&self, word: u64) {
        self.word.store(word, Ordering::Release);
    }

    /// Changes the config at `now`, keeping what was spent (the module's
    /// rule). Safe to call from any thread, at any time, as often as wanted.
    pub fn set_config(&self, config: LimiterConfig, now: Nanos) -> Result<(), ConfigError> {
        let gcra = Gcra::new(config)?;
        lock(&self.setting);
        self.install(config, gcra, now, None);
        unlock(&self.setting);
        Ok(())
    }

    /// [`Self::set_config`] for a caller that serialises every setter itself
    /// (a file lock, which a dying process cannot leave held, unlike the
    /// flag).
    pub fn set_config_serialised(&self, config: LimiterConfig, now: Nanos) -> Result<(), ConfigError> {
        let gcra = Gcra::new(config)?;
        self.install(config, gcra, now, None);
        Ok(())
    }

    /// Sets the TAT (a snapshot from [`Self::state`]), keeping the config.
    pub fn restore(&self, tat: u64) {
        lock(&self.setting);
        self.restore_serialised(tat);
        unlock(&self.setting);
    }

    /// [`Self::restore`] for a caller that serialises setters itself.
    pub fn restore_serialised(&self, tat: u64) {
        let slot = slot_of(&self.slots, self.word.load(Ordering::Acquire));
        let config = slot.config();
        // A config that does not validate (scribbled shared memory) is
        // replaced by the smallest one, which the next set_config fixes.
        let (config, gcra) = match Gcra::new(config) {
            Ok(g) => (config, g),
            Err(_) => {
                let one = LimiterConfig { rate: 1, period_ns: 1, burst: 1 };
                (one, Gcra::from_trusted_words([1, 0, 1, 1]))
            }
        };
        self.install(config, gcra, 0, Some(tat.min(TAT_LIMIT - 1)));
    }

    fn install(&self, config: LimiterConfig, gcra: Gcra, now: Nanos, tat: Option<u64>) {
        let word = self.word.load(Ordering::Acquire);
        let active = slot_of(&self.slots, word);
        // Setters are serialised and callers never flip the slot bit, so the
        // slot in force stays the same through the retries below.
        let old = active.checked_kernel().unwrap_or(gcra);
        let old_shift = active.shift.load(Ordering::Acquire);
        let next_slot = !word & SLOT_BIT;
        let target = slot_of(&self.slots, next_slot);
        target.write(config, &gcra);
        self.word.measure_and_replace(Order::Publish, |word| {
            let raw = word & RAW;
            // Garbage in a shared file may name no TAT; it counts as spent.
            let current = word.wrapping_add(old_shift).min(TAT_LIMIT - 1);
            let new_tat = tat.unwrap_or_else(|| gcra.rescale(&old, current, now));
            let new_raw = if raw < RAW { raw + 1 } else { new_tat };
            let new_word = next_slot | new_raw;
            target.shift.store(new_tat.wrapping_sub(new_word), Ordering::Release);
            Measured::Replace((), new_word)
        });
    }

    /// The TAT (the raw state other cells keep), e.g. for a snapshot.
    pub fn state(&self) -> u64 {
        loop {
            let word = self.word.load(Ordering::Acquire);
            let shift = slot_of(&self.slots, word).shift.load(Ordering::Acquire);
            if self.word.load(Ordering::Acquire) == word {
                return word.wrapping_add(shift);
            }
        }
    }

    /// The config in force.
    pub fn config(&self) -> LimiterConfig {
        loop {
            let word = self.word.load(Ordering::Acquire);
            let config = slot_of(&self.slots, word).config();
            if self.word.load(Ordering::Acquire) == word {
                return config;
            }
        }
    }

    /// The kernel in force (interval, burst), validated: `None` only when
    /// shared memory holds garbage.
    pub fn gcra(&self) -> Option<Gcra> {
        loop {
            let word = self.word.load(Ordering::Acquire);
            let gcra = slot_of(&self.slots, word).checked_kernel();
            if self.word.load(Ordering::Acquire) == word {
                return gcra;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SECOND;

    fn config(rate: u64, burst: u64) -> LimiterConfig {
        LimiterConfig { rate, period_ns: SECOND, burst }
    }

    #[test]
    fn a_raw_that_would_reach_the_slot_bit_fails_closed_and_a_change_restarts_it() {
        let Ok(cell) = LiveRate::new(config(10, 1)) else { panic!("config") };
        // Spend near the top of time, then restore an early TAT: raw stays
        // high (it only grows), so an admission at an early time would
        // push it past 63 bits.
        assert!(cell.acquire(TAT_LIMIT - SECOND, 1).is_admitted());
        cell.restore(0);
        assert_eq!(cell.state(), 0);
        let d = cell.acquire(2 * SECOND, 1);
        assert_eq!((d.reason, d.retry_after), (Reason::TimeOverflow, u64::MAX));
        assert_eq!(cell.state(), 0, "a refusal wrote");
        // Raw is not at its limit, so a change keeps growing it; at the
        // limit a change restarts it at the TAT.
        cell.word.store(SLOT_BIT - 1, Ordering::Relaxed);
        let Ok(()) = cell.set_config(config(10, 1), 0) else { panic!("config") };
        assert_eq!(cell.word.load(Ordering::Relaxed) & RAW, cell.state());
        assert!(cell.acquire(2 * SECOND, 1).is_admitted());
    }
}
