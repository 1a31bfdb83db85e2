use super::kernel::{BudgetKernel, RetryBudgetConfig, Tally, MAX_BUCKETS};
use crate::sync::{atomic_u64, AtomicU64, Ordering};
use crate::word::{Measured, Order, Word};
use crate::{ConfigError, Decision, Nanos};

/// A retry budget for many threads. Lock-free: one CAS on the current bucket
/// per deposit or admitted withdraw.
#[derive(Debug)]
pub struct AtomicRetryBudget {
    kernel: BudgetKernel,
    words: [AtomicU64; MAX_BUCKETS],
    /// The newest bucket number seen: a caller whose clock is behind counts
    /// in the newest bucket instead, so time going backwards cannot make old
    /// retries look expired.
    newest: AtomicU64,
}

impl AtomicRetryBudget {
    /// An empty budget (the floor is available at once).
    pub fn new(config: RetryBudgetConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            kernel: BudgetKernel::new(config)?,
            words: core::array::from_fn(|_| atomic_u64(BudgetKernel::empty_word())),
            newest: atomic_u64(0),
        })
    }

    /// The kernel.
    pub const fn kernel(&self) -> &BudgetKernel {
        &self.kernel
    }

    #[inline]
    fn bucket(&self, now: Nanos) -> u64 {
        let n = self.kernel.bucket_of(now);
        let newest = self.newest.load(Ordering::Relaxed);
        if n > newest {
            self.newest.fetch_max(n, Ordering::Relaxed).max(n)
        } else {
            newest
        }
    }

    /// Counts one request (an original call, not a retry).
    #[inline]
    pub fn deposit(&self, now: Nanos) {
        let n = self.bucket(now);
        let Some(word) = self.words.get(self.kernel.slot_of(n)) else { return };
        word.measure_and_replace(
            Order::Relaxed,
            #[inline(always)]
            |current| Measured::Replace((), self.kernel.deposit(current, n)),
        );
    }

    /// Asks to retry after `delay` with `deadline_left` of the caller's
    /// deadline remaining (`u64::MAX` for none). Admitted retries are counted;
    /// refusals change nothing. `remaining` is the retries still allowed.
    #[inline]
    pub fn withdraw(&self, now: Nanos, delay: Nanos, deadline_left: Nanos) -> Decision {
        if let Some(refused) = BudgetKernel::too_close(delay, deadline_left) {
            return refused;
        }
        let n = self.bucket(now);
        let slot = self.kernel.slot_of(n);
        let Some(word) = self.words.get(slot) else { return self.kernel.withdraw(Tally::default(), 0, n, now).1 };
        word.measure_and_replace(
            Order::Relaxed,
            #[inline(always)]
            |current| {
                // Older buckets only change when the window moves on, which gives
                // a later `n`; within this `n` the CAS on the current bucket is
                // the single point that orders every withdraw.
                let older = self.older(n, slot);
                match self.kernel.withdraw(older, current, n, now) {
                    (Some(next), decision) => Measured::Replace(decision, next),
                    (None, decision) => Measured::Keep(decision),
                }
            },
        )
    }

    fn older(&self, n: u64, slot: usize) -> Tally {
        let buckets = self.kernel.buckets() as usize;
        self.words
            .iter()
            .take(buckets)
            .enumerate()
            .filter(|(i, _)| *i != slot)
            .fold(Tally::default(), |acc, (_, w)| self.kernel.add_older(acc, w.load(Ordering::Relaxed), n))
    }

    /// `(requests, retries)` in the window ending at `now`.
    pub fn snapshot(&self, now: Nanos) -> (u64, u64) {
        let n = self.bucket(now);
        let slot = self.kernel.slot_of(n);
        let older = self.older(n, slot);
        let cur = self.words.get(slot).map_or(Tally::default(), |w| self.kernel.current(w.load(Ordering::Relaxed), n));
        (older.requests + cur.requests, older.retries + cur.retries)
    }
}

/// A retry budget for one thread; same kernel, plain words.
#[derive(Debug, Clone)]
pub struct RetryBudget {
    kernel: BudgetKernel,
    words: [u64; MAX_BUCKETS],
    newest: u64,
}

impl RetryBudget {
    /// An empty budget.
    pub fn new(config: RetryBudgetConfig) -> Result<Self, ConfigError> {
        Ok(Self { kernel: BudgetKernel::new(config)?, words: [BudgetKernel::empty_word(); MAX_BUCKETS], newest: 0 })
    }

    /// The kernel.
    pub const fn kernel(&self) -> &BudgetKernel {
        &self.kernel
    }

    fn bucket(&mut self, now: Nanos) -> u64 {
        self.newest = self.newest.max(self.kernel.bucket_of(now));
        self.newest
    }

    /// As [`AtomicRetryBudget::deposit`].
    pub fn deposit(&mut self, now: Nanos) {
        let n = self.bucket(now);
        if let Some(word) = self.words.get_mut(self.kernel.slot_of(n)) {
            *word = self.kernel.deposit(*word, n);
        }
    }

    /// As [`AtomicRetryBudget::withdraw`].
    pub fn withdraw(&mut self, now: Nanos, delay: Nanos, deadline_left: Nanos) -> Decision {
        if let Some(refused) = BudgetKernel::too_close(delay, deadline_left) {
            return refused;
        }
        let n = self.bucket(now);
        let slot = self.kernel.slot_of(n);
        let older = self.older(n, slot);
        let current = self.words.get(slot).copied().unwrap_or(0);
        let (next, decision) = self.kernel.withdraw(older, current, n, now);
        if let (Some(next), Some(word)) = (next, self.words.get_mut(slot)) {
            *word = next;
        }
        decision
    }

    fn older(&self, n: u64, slot: usize) -> Tally {
        let buckets = self.kernel.buckets() as usize;
        self.words
            .iter()
            .take(buckets)
            .enumerate()
            .filter(|(i, _)| *i != slot)
            .fold(Tally::default(), |acc, (_, w)| self.kernel.add_older(acc, *w, n))
    }

    /// As [`AtomicRetryBudget::snapshot`].
    pub fn snapshot(&mut self, now: Nanos) -> (u64, u64) {
        let n = self.bucket(now);
        let slot = self.kernel.slot_of(n);
        let older = self.older(n, slot);
        let cur = self.words.get(slot).map_or(Tally::default(), |w| self.kernel.current(*w, n));
        (older.requests + cur.requests, older.retries + cur.retries)
    }
}
