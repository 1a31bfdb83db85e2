//! One compare-exchange shape for every state word in weir.
//!
//! A cell's state is one `u64`. Every change is the same move: read the
//! word, measure it (decide), and replace it only if nobody wrote in
//! between, else measure again on what they wrote. [`Word::measure_and_replace`]
//! is that loop, written once; a cell supplies the measurement, the store
//! supplies the read and the exchange. The atomic store serves threads (and
//! memory mapped by several processes), the plain [`Cell`] store serves a
//! single thread and runs the very same measurements. Stores that are not a
//! word (a key-value store with a version token) keep the same contract
//! through [`Measured`].

use crate::sync::{atomic_u64, spin, AtomicU64, Ordering};
use core::cell::Cell;

/// What a measurement decided about the word it read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measured<T, S = u64> {
    /// The answer is `T` whatever the word holds now; nothing is written.
    Keep(T),
    /// The answer is `T` if the word still holds what was measured, and the
    /// word becomes `S`; otherwise measure again.
    Replace(T, S),
    /// The answer is `T` if the word still holds what was measured, and
    /// nothing is written: for a measurement that also read memory the
    /// word guards, confirmed by a second read instead of a write.
    Confirm(T),
}

/// The memory orderings a word is read and exchanged with. Chosen per call,
/// so each cell keeps the orderings its proof needs and no stronger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// The word is the whole state: the exchange alone orders every write
    /// to it, and nothing else is published through it.
    Relaxed,
    /// Taking something the word hands out (a permit, a claim): a
    /// successful exchange acquires what its last giver released.
    Take,
    /// Giving something back: a successful exchange releases what this
    /// thread wrote before it.
    Give,
    /// The word publishes other memory: reads acquire, exchanges acquire
    /// and release, stores release.
    Publish,
}

impl Order {
    #[inline(always)]
    const fn load(self) -> Ordering {
        match self {
            Order::Relaxed | Order::Take | Order::Give => Ordering::Relaxed,
            Order::Publish => Ordering::Acquire,
        }
    }

    #[inline(always)]
    const fn exchange(self) -> (Ordering, Ordering) {
        match self {
            Order::Relaxed => (Ordering::Relaxed, Ordering::Relaxed),
            Order::Take => (Ordering::Acquire, Ordering::Relaxed),
            Order::Give => (Ordering::Release, Ordering::Relaxed),
            Order::Publish => (Ordering::AcqRel, Ordering::Acquire),
        }
    }

    #[inline(always)]
    const fn store(self) -> Ordering {
        match self {
            Order::Relaxed | Order::Take => Ordering::Relaxed,
            Order::Give | Order::Publish => Ordering::Release,
        }
    }
}

/// A `u64` state word: read, exchanged on a match, stored, and changed by
/// [`Self::measure_and_replace`].
pub trait Word {
    /// A word holding `v`.
    fn new(v: u64) -> Self
    where
        Self: Sized;

    /// Reads the word.
    fn load_in(&self, order: Order) -> u64;

    /// Replaces `current` with `next`; on a mismatch returns what it held.
    /// May fail spuriously (a weak exchange): callers loop.
    fn swap_if_in(&self, current: u64, next: u64, order: Order) -> Result<(), u64>;

    /// Writes the word.
    fn store_in(&self, v: u64, order: Order);

    /// Reads the word (acquire: sees what the store that published it saw).
    #[inline(always)]
    fn get(&self) -> u64 {
        self.load_in(Order::Publish)
    }

    /// [`Self::swap_if_in`] with [`Order::Publish`].
    #[inline(always)]
    fn swap_if(&self, current: u64, next: u64) -> Result<(), u64> {
        self.swap_if_in(current, next, Order::Publish)
    }

    /// Writes the word (release: publishes every write before it).
    #[inline(always)]
    fn set(&self, v: u64) {
        self.store_in(v, Order::Publish);
    }

    /// Measures the word with `measure` until the answer sticks: a
    /// [`Measured::Replace`] whose exchange lost, or a [`Measured::Confirm`]
    /// whose second read differs, measures again what the word holds now.
    /// A refusal that writes nothing costs a load, not a locked instruction.
    ///
    /// The loop is inlined into every caller; a hot caller marks its
    /// closure `#[inline(always)]` too, or the copies of the loop would call
    /// one out-of-line closure (measured: 2.5x the limiter's refusal).
    #[inline(always)]
    fn measure_and_replace<T>(&self, order: Order, mut measure: impl FnMut(u64) -> Measured<T>) -> T {
        let mut current = self.load_in(order);
        loop {
            match measure(current) {
                Measured::Keep(answer) => return answer,
                Measured::Replace(answer, next) => match self.swap_if_in(current, next, order) {
                    Ok(()) => return answer,
                    Err(seen) => current = seen,
                },
                Measured::Confirm(answer) => {
                    let again = self.load_in(order);
                    if again == current {
                        return answer;
                    }
                    current = again;
                }
            }
        }
    }

    /// Applies `f` until it sticks, writing nothing when it changes nothing
    /// (a success in a window already clean costs a load, not a locked
    /// instruction); returns `(old, new)`. Orders as [`Order::Publish`].
    #[inline]
    fn update(&self, f: impl Fn(u64) -> u64) -> (u64, u64) {
        self.update_in(Order::Publish, f)
    }

    /// [`Self::update`] with the orderings of `order`.
    #[inline(always)]
    fn update_in(&self, order: Order, f: impl Fn(u64) -> u64) -> (u64, u64) {
        self.measure_and_replace(
            order,
            #[inline(always)]
            |current| match f(current) {
                next if next == current => Measured::Keep((current, next)),
                next => Measured::Replace((current, next), next),
            },
        )
    }
}

/// Takes a flag word (0 free, 1 held) for a short critical section,
/// spinning while another holder has it: the writers of a cell that are
/// rare enough to serialise (config changes, table resizes).
#[inline]
pub(crate) fn lock(flag: &impl Word) {
    // Exchange first, no read before it: the flag is free nearly always.
    while flag.swap_if_in(0, 1, Order::Take).is_err() {
        spin();
    }
}

/// Releases a flag [`lock`] took, publishing what the holder wrote.
#[inline]
pub(crate) fn unlock(flag: &impl Word) {
    flag.store_in(0, Order::Give);
}

impl Word for AtomicU64 {
    #[inline]
    fn new(v: u64) -> Self {
        atomic_u64(v)
    }

    #[inline(always)]
    fn load_in(&self, order: Order) -> u64 {
        self.load(order.load())
    }

    #[inline(always)]
    fn swap_if_in(&self, current: u64, next: u64, order: Order) -> Result<(), u64> {
        let (success, failure) = order.exchange();
        self.compare_exchange_weak(current, next, success, failure).map(|_| ())
    }

    #[inline(always)]
    fn store_in(&self, v: u64, order: Order) {
        self.store(v, order.store());
    }
}

impl Word for Cell<u64> {
    #[inline]
    fn new(v: u64) -> Self {
        Cell::new(v)
    }

    #[inline(always)]
    fn load_in(&self, _: Order) -> u64 {
        Cell::get(self)
    }

    #[inline(always)]
    fn swap_if_in(&self, current: u64, next: u64, _: Order) -> Result<(), u64> {
        let held = Cell::get(self);
        if held == current {
            Cell::set(self, next);
            Ok(())
        } else {
            Err(held)
        }
    }

    #[inline(always)]
    fn store_in(&self, v: u64, _: Order) {
        Cell::set(self, v);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// A word whose first `losses` exchanges lose to a writer that adds 10,
    /// as another thread would between the read and the exchange.
    struct Contended {
        word: Cell<u64>,
        losses: Cell<u32>,
    }

    impl Word for Contended {
        fn new(v: u64) -> Self {
            Self { word: Cell::new(v), losses: Cell::new(0) }
        }
        fn load_in(&self, _: Order) -> u64 {
            self.word.get()
        }
        fn swap_if_in(&self, current: u64, next: u64, order: Order) -> Result<(), u64> {
            if self.losses.get() > 0 {
                self.losses.set(self.losses.get() - 1);
                self.word.set(self.word.get() + 10);
            }
            Word::swap_if_in(&self.word, current, next, order)
        }
        fn store_in(&self, v: u64, _: Order) {
            self.word.set(v);
        }
    }

    #[test]
    fn a_lost_exchange_measures_again_on_what_the_winner_wrote() {
        let w = Contended { word: Cell::new(1), losses: Cell::new(2) };
        let mut measured = [0u64; 4];
        let mut calls = 0;
        let answer = w.measure_and_replace(Order::Relaxed, |held| {
            if let Some(slot) = measured.get_mut(calls) {
                *slot = held;
            }
            calls += 1;
            Measured::Replace(held, held + 1)
        });
        assert_eq!(measured, [1, 11, 21, 0]);
        assert_eq!((answer, w.word.get()), (21, 22));
    }

    #[test]
    fn keep_writes_nothing_and_confirm_rereads() {
        let w = <Cell<u64> as Word>::new(5);
        assert_eq!(w.measure_and_replace(Order::Publish, |held| Measured::Keep(held * 2)), 10);
        assert_eq!(w.get(), 5);
        assert_eq!(w.measure_and_replace(Order::Publish, Measured::Confirm), 5);
        assert_eq!(Word::update(&w, |v| v), (5, 5));
        assert_eq!(w.update_in(Order::Relaxed, |v| v + 2), (5, 7));
        assert_eq!(w.get(), 7);
    }

    #[test]
    fn every_order_reads_and_writes_the_atomic_word() {
        for order in [Order::Relaxed, Order::Take, Order::Give, Order::Publish] {
            let w = <AtomicU64 as Word>::new(3);
            assert_eq!(w.swap_if_in(4, 9, order), Err(3));
            assert_eq!(w.update_in(order, |v| v * 3), (3, 9));
            w.store_in(1, order);
            assert_eq!(w.load_in(order), 1);
        }
    }
}
