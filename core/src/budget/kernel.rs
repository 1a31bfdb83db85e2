use crate::error::check;
use crate::{ConfigError, Decision, Nanos, Reason, Value, SECOND};

/// Largest number of buckets in the window.
pub const MAX_BUCKETS: usize = 64;
/// Largest count a bucket holds (requests and retries each); counts saturate.
pub const COUNTER_MAX: u64 = (1 << 20) - 1;
const SEQ_MASK: u64 = (1 << 24) - 1;
const PPM: u64 = 1_000_000;

/// Retry budget settings. Defaults: the seed's 10 % ratio, tower's floor of
/// 10 retries per second and 10 s window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryBudgetConfig {
    /// Retries allowed per request, in `[0, 1000]` (0.1 = 10 %). Counted in
    /// parts per million, so 0.1 is exact.
    pub ratio: f64,
    /// Retries allowed per second of window regardless of traffic.
    pub min_per_second: u64,
    /// Length of the rolling window. At least `buckets` ns.
    pub window_ns: Nanos,
    /// Buckets in the window, in `1..=64`; the window slides a bucket at a time.
    pub buckets: u64,
}

impl Default for RetryBudgetConfig {
    fn default() -> Self {
        Self { ratio: 0.1, min_per_second: 10, window_ns: 10 * SECOND, buckets: 10 }
    }
}

/// What a window of buckets adds up to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    pub(crate) requests: u64,
    pub(crate) retries: u64,
}

/// The budget kernel: the validated config and the pure functions both cells
/// run over their bucket words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetKernel {
    ratio_ppm: u64,
    floor: u64,
    bucket_ns: Nanos,
    buckets: u64,
}

#[inline]
pub(crate) const fn pack(seq: u64, t: Tally) -> u64 {
    ((seq & SEQ_MASK) << 40) | (t.requests << 20) | t.retries
}

#[inline]
pub(crate) const fn unpack(word: u64) -> (u64, Tally) {
    (word >> 40, Tally { requests: (word >> 20) & COUNTER_MAX, retries: word & COUNTER_MAX })
}

impl BudgetKernel {
    /// Validates `config`.
    pub fn new(config: RetryBudgetConfig) -> Result<Self, ConfigError> {
        let ratio = check::float_in("ratio", "in [0, 1000]", config.ratio, 0.0, 1000.0)?;
        let buckets = check::at_least("buckets", ">= 1", config.buckets, 1)?;
        check::at_most("buckets", "<= 64", buckets, MAX_BUCKETS as u64)?;
        let window = check::at_least("window_ns", ">= buckets", config.window_ns, buckets)?;
        let bucket_ns = window / buckets;
        // The floor over the counted window, computed once; it must fit a u64.
        let floor = u128::from(config.min_per_second) * u128::from(bucket_ns * buckets) / u128::from(SECOND);
        let floor = u64::try_from(floor).map_err(|_| {
            ConfigError::new(
                "min_per_second",
                "small enough that the floor over the window fits u64",
                Value::Unsigned(config.min_per_second),
            )
        })?;
        Ok(Self { ratio_ppm: libm::round(ratio * PPM as f64) as u64, floor, bucket_ns, buckets })
    }

    /// Nanoseconds per bucket (`window_ns / buckets`, rounded down).
    pub const fn bucket_ns(&self) -> Nanos {
        self.bucket_ns
    }

    /// Buckets in the window.
    pub const fn buckets(&self) -> u64 {
        self.buckets
    }

    /// Retries the window allows after `requests` requests.
    #[inline]
    pub const fn allowance(&self, requests: u64) -> u64 {
        let by_ratio = (requests as u128 * self.ratio_ppm as u128 / PPM as u128) as u64;
        by_ratio.saturating_add(self.floor)
    }

    /// The bucket number of `now`.
    #[inline]
    pub(crate) const fn bucket_of(&self, now: Nanos) -> u64 {
        now / self.bucket_ns
    }

    /// The ring slot of bucket `n`.
    #[inline]
    pub(crate) const fn slot_of(&self, n: u64) -> usize {
        (n % self.buckets) as usize
    }

    /// The counts in `word` if it holds bucket `n`, else an empty bucket.
    #[inline]
    pub(crate) const fn current(&self, word: u64, n: u64) -> Tally {
        let (seq, t) = unpack(word);
        if seq == n & SEQ_MASK {
            t
        } else {
            Tally { requests: 0, retries: 0 }
        }
    }

    /// Adds `word` to `acc` if it holds one of the `buckets - 1` buckets
    /// before `n` (the current bucket is counted separately).
    #[inline]
    pub(crate) const fn add_older(&self, acc: Tally, word: u64, n: u64) -> Tally {
        let (seq, t) = unpack(word);
        let age = (n & SEQ_MASK).wrapping_sub(seq) & SEQ_MASK;
        if age >= 1 && age < self.buckets {
            Tally { requests: acc.requests + t.requests, retries: acc.retries + t.retries }
        } else {
            acc
        }
    }

    /// The word after counting one request in bucket `n` held in `word`.
    #[inline]
    pub(crate) const fn deposit(&self, word: u64, n: u64) -> u64 {
        let t = self.current(word, n);
        let requests = if t.requests < COUNTER_MAX { t.requests + 1 } else { COUNTER_MAX };
        pack(n, Tally { requests, retries: t.retries })
    }

    /// Decides one retry in bucket `n` (time `now`), given the older buckets
    /// and the current bucket's word: the new word if admitted, and the
    /// decision.
    #[inline]
    pub(crate) fn withdraw(&self, older: Tally, word: u64, n: u64, now: Nanos) -> (Option<u64>, Decision) {
        let t = self.current(word, n);
        let requests = older.requests + t.requests;
        let retries = older.retries + t.retries;
        let allowed = self.allowance(requests);
        if retries < allowed && t.retries < COUNTER_MAX {
            let next = pack(n, Tally { requests: t.requests, retries: t.retries + 1 });
            (Some(next), Decision::admit(allowed - retries - 1, 0))
        } else {
            // The earliest the window can change for the better: the next
            // bucket boundary, when the oldest bucket's retries fall out.
            let boundary = n.saturating_add(1).saturating_mul(self.bucket_ns);
            (None, Decision::reject(Reason::BudgetExhausted, boundary.saturating_sub(now), 0, 0))
        }
    }

    /// The verdict for a retry whose `delay` would not end before
    /// `deadline_left` has run out; `None` when the deadline leaves room.
    #[inline]
    pub(crate) const fn too_close(delay: Nanos, deadline_left: Nanos) -> Option<Decision> {
        if delay >= deadline_left {
            Some(Decision::reject(Reason::DeadlineTooClose, u64::MAX, 0, 0))
        } else {
            None
        }
    }

    /// A word that reads as empty for any bucket number.
    pub(crate) const fn empty_word() -> u64 {
        // seq MASK with zero counts: counts are zero whether it matches or not.
        pack(SEQ_MASK, Tally { requests: 0, retries: 0 })
    }
}
