//! One state word, two stores: an atomic one for threaded hosts and a plain
//! one for single-threaded hosts. The breaker and the adaptive limit write
//! their cells once, generic over [`Word`], so the plain cell runs exactly
//! the compare-exchange loops the atomic cell runs (governor's
//! `StateStore::measure_and_replace`, here as a trait over the word).

use crate::sync::{atomic_u64, AtomicU64, Ordering};
use core::cell::Cell;

/// A `u64` cell that can be read, swapped on a match, and stored.
pub(crate) trait Word {
    /// A word holding `v`.
    fn new(v: u64) -> Self;

    /// Reads the word (acquire: sees what the store that published it saw).
    fn get(&self) -> u64;

    /// Replaces `current` with `next`; on a mismatch returns what it held.
    fn swap_if(&self, current: u64, next: u64) -> Result<(), u64>;

    /// Writes the word (release: publishes every write before it).
    fn set(&self, v: u64);

    /// Applies `f` until it sticks, writing nothing when it changes nothing
    /// (a success in a window already clean costs a load, not a locked
    /// instruction); returns `(old, new)`.
    #[inline]
    fn update(&self, f: impl Fn(u64) -> u64) -> (u64, u64) {
        let mut current = self.get();
        loop {
            let next = f(current);
            if next == current {
                return (current, next);
            }
            match self.swap_if(current, next) {
                Ok(()) => return (current, next),
                Err(seen) => current = seen,
            }
        }
    }
}

impl Word for AtomicU64 {
    #[inline]
    fn new(v: u64) -> Self {
        atomic_u64(v)
    }

    #[inline]
    fn get(&self) -> u64 {
        self.load(Ordering::Acquire)
    }

    #[inline]
    fn swap_if(&self, current: u64, next: u64) -> Result<(), u64> {
        self.compare_exchange_weak(current, next, Ordering::AcqRel, Ordering::Acquire).map(|_| ())
    }

    #[inline]
    fn set(&self, v: u64) {
        self.store(v, Ordering::Release);
    }
}

impl Word for Cell<u64> {
    #[inline]
    fn new(v: u64) -> Self {
        Cell::new(v)
    }

    #[inline]
    fn get(&self) -> u64 {
        Cell::get(self)
    }

    #[inline]
    fn swap_if(&self, current: u64, next: u64) -> Result<(), u64> {
        let held = Cell::get(self);
        if held == current {
            Cell::set(self, next);
            Ok(())
        } else {
            Err(held)
        }
    }

    #[inline]
    fn set(&self, v: u64) {
        Cell::set(self, v);
    }
}
