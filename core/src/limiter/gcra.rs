use crate::divide::Divisor;
use crate::error::check;
use crate::{ConfigError, Decision, Nanos, Reason, Value};

/// Every TAT a kernel produces is below this: the top bit of a state word is
/// left free for the cells that change their config at run time (they keep
/// a generation there), and `2^63 - 1` itself stays a marker no TAT equals.
/// Time past it (292 years of nanoseconds) fails closed with
/// [`Reason::TimeOverflow`].
pub const TAT_LIMIT: u64 = (1 << 63) - 1;

/// A rate limit: `rate` tokens every `period_ns`, holding at most `burst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimiterConfig {
    /// Tokens added per period. At least 1 and at most one per nanosecond.
    pub rate: u64,
    /// The period `rate` refers to, in nanoseconds (`SECOND` for "per second").
    pub period_ns: Nanos,
    /// Bucket size: tokens that can be spent at once after a quiet spell.
    pub burst: u64,
}

/// The GCRA kernel: config turned into the two numbers the algorithm needs.
///
/// State is a single `u64`, the theoretical arrival time (TAT): the instant the
/// bucket would be full again. A request of `cost` tokens moves it forward by
/// `cost * interval` from `max(tat, now)` and is admitted when the result is no
/// more than `burst * interval` ahead of `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gcra {
    /// Nanoseconds per token, rounded *up* so the admitted rate never exceeds
    /// the configured one (`rate * T + burst` stays a true upper bound).
    interval: Divisor,
    /// `burst * interval`: how far ahead of `now` the TAT may run.
    tolerance: Nanos,
    burst: u64,
}

impl Gcra {
    /// Validates `config`.
    pub fn new(config: LimiterConfig) -> Result<Self, ConfigError> {
        let rate = check::at_least("rate", ">= 1", config.rate, 1)?;
        let period = check::at_least("period_ns", ">= 1", config.period_ns, 1)?;
        let burst = check::at_least("burst", ">= 1", config.burst, 1)?;
        if rate > period {
            return Err(ConfigError::new(
                "rate",
                "<= period_ns (at most one token per nanosecond)",
                Value::Unsigned(rate),
            ));
        }
        let interval = period.div_ceil(rate);
        let Some(tolerance) = interval.checked_mul(burst) else {
            return Err(ConfigError::new(
                "burst",
                "small enough that burst * period_ns / rate fits in u64 nanoseconds",
                Value::Unsigned(burst),
            ));
        };
        Ok(Self { interval: Divisor::new(interval), tolerance, burst })
    }

    /// Nanoseconds between two tokens.
    pub const fn interval(&self) -> Nanos {
        self.interval.get()
    }

    /// The bucket size.
    pub const fn burst(&self) -> u64 {
        self.burst
    }

    /// The state of a full bucket at any `now`: a TAT in the past.
    pub const fn full_state() -> u64 {
        0
    }

    /// Decides a request of `cost` tokens at `now` against state `tat`.
    /// Returns the new state (equal to `tat` unless admitted with cost > 0)
    /// and the decision. A cost of 0 asks without spending.
    #[inline]
    pub fn decide(&self, tat: u64, now: Nanos, cost: u64) -> (u64, Decision) {
        let base = if tat > now { tat } else { now };
        let ahead = base - now;
        let tokens_now = || self.interval.div(self.tolerance.saturating_sub(ahead));
        let Some(increment) = self.interval.get().checked_mul(cost).filter(|inc| *inc <= self.tolerance) else {
            return (tat, Decision::reject(Reason::CostExceedsBurst, u64::MAX, tokens_now(), ahead));
        };
        let Some(new_tat) = base.checked_add(increment).filter(|t| *t < TAT_LIMIT) else {
            return (tat, Decision::reject(Reason::TimeOverflow, u64::MAX, tokens_now(), ahead));
        };
        let allow_at = new_tat.saturating_sub(self.tolerance);
        if now < allow_at {
            return (tat, Decision::reject(Reason::RateLimited, allow_at - now, tokens_now(), ahead));
        }
        let reset_after = new_tat - now;
        let remaining = self.interval.div(self.tolerance - reset_after);
        let next = if cost == 0 { tat } else { new_tat };
        (next, Decision::admit(remaining, reset_after))
    }

    /// The state transition alone: the new TAT when `cost` (>= 1) tokens fit
    /// at `now`, `None` when they do not (ask [`Self::decide`] why). Cells
    /// run this inside their compare-exchange loop, so the window between
    /// reading and writing the state holds nothing else.
    #[inline]
    pub fn next_state(&self, tat: u64, now: Nanos, cost: u64) -> Option<u64> {
        let base = if tat > now { tat } else { now };
        let increment = if cost == 1 { self.interval.get() } else { self.interval.get().checked_mul(cost)? };
        if increment > self.tolerance || cost == 0 {
            return None;
        }
        let new_tat = base.checked_add(increment).filter(|t| *t < TAT_LIMIT)?;
        (new_tat.saturating_sub(self.tolerance) <= now).then_some(new_tat)
    }

    /// The decision for a request admitted at `now` that moved the state to
    /// `new_tat` (as [`Self::next_state`] returned it).
    #[inline]
    pub fn admitted(&self, new_tat: u64, now: Nanos) -> Decision {
        let reset_after = new_tat.saturating_sub(now);
        Decision::admit(self.interval.div(self.tolerance.saturating_sub(reset_after)), reset_after)
    }

    /// The state under `self` that holds what `tat` under `from` had spent
    /// at `now`: the rule every live change of rate or burst follows.
    ///
    /// A TAT `ahead = tat - now` in the future means `ahead / from.interval`
    /// tokens are spent. Under the new kernel the same tokens take
    /// `ceil(ahead * interval / from.interval)` nanoseconds to refill
    /// (rounded up, so a change never hands out a fraction of a token), capped
    /// at the new tolerance `burst * interval` (an empty bucket: a smaller
    /// burst leaves it empty, never in debt). A bucket that is full at `now`
    /// (`tat <= now`) stays as it is.
    ///
    /// So right after a change the tokens spent are at least what they were
    /// (a fraction rounded up to the new interval), or the whole new burst:
    /// a faster or slower rate leaves as many tokens free as before, a larger
    /// burst frees only the size it adds; from then on the bucket refills at
    /// the new rate. The cap is the one place a change forgives
    /// anything: debt beyond the new burst is dropped, so lowering the burst
    /// and raising it again within one refill window admits what was dropped.
    pub fn rescale(&self, from: &Gcra, tat: u64, now: Nanos) -> u64 {
        if tat <= now {
            return tat;
        }
        let ahead = u128::from(tat - now);
        let scaled = (ahead * u128::from(self.interval.get())).div_ceil(u128::from(from.interval.get()));
        let capped = scaled.min(u128::from(self.tolerance)) as u64;
        now.saturating_add(capped).min(TAT_LIMIT - 1)
    }

    /// `burst * interval`: how far ahead of `now` the TAT may run.
    pub const fn tolerance(&self) -> Nanos {
        self.tolerance
    }

    /// The kernel's numbers as plain words, `(interval, magic, tolerance,
    /// burst)`, for cells that keep a kernel in atomics (and in memory other
    /// processes write): [`Self::from_words`] turns them back.
    pub(crate) const fn words(&self) -> [u64; 4] {
        [self.interval.get(), self.interval.magic(), self.tolerance, self.burst]
    }

    /// The kernel [`Self::words`] gave, or `None` when the words are not one
    /// (memory another process wrote garbage into): every invariant the
    /// decision arithmetic relies on is checked, with multiplications only.
    #[inline]
    pub(crate) fn from_words(words: [u64; 4]) -> Option<Self> {
        let [interval, magic, tolerance, burst] = words;
        let divisor = Divisor::from_parts(interval, magic)?;
        if burst == 0 || interval.checked_mul(burst) != Some(tolerance) {
            return None;
        }
        Some(Self { interval: divisor, tolerance, burst })
    }

    /// The same kernel from words this crate wrote itself (no checks).
    #[inline]
    pub(crate) const fn from_trusted_words(words: [u64; 4]) -> Self {
        let [interval, magic, tolerance, burst] = words;
        Self { interval: Divisor::from_trusted_parts(interval, magic), tolerance, burst }
    }

    /// Whether state `tat` is a full bucket at `now` (nothing to remember).
    #[inline]
    pub const fn is_idle(&self, tat: u64, now: Nanos) -> bool {
        tat <= now
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SECOND;

    fn gcra(rate: u64, burst: u64) -> Gcra {
        match Gcra::new(LimiterConfig { rate, period_ns: SECOND, burst }) {
            Ok(g) => g,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn interval_rounds_up_so_rate_is_never_exceeded() {
        assert_eq!(gcra(3, 1).interval(), 333_333_334);
    }

    #[test]
    fn admits_burst_then_refuses_with_exact_wait() {
        let g = gcra(10, 2);
        let (s, d) = g.decide(0, 1_000, 1);
        assert!(d.is_admitted());
        assert_eq!(d.remaining, 1);
        let (s, d) = g.decide(s, 1_000, 1);
        assert!(d.is_admitted());
        assert_eq!(d.remaining, 0);
        assert_eq!(d.reset_after, 2 * SECOND / 10);
        let (s2, d) = g.decide(s, 1_000, 1);
        assert_eq!(d.reason, Reason::RateLimited);
        assert_eq!(d.retry_after, SECOND / 10);
        assert_eq!(s2, s);
    }

    #[test]
    fn refuses_cost_above_burst_forever() {
        let (_, d) = gcra(10, 2).decide(0, 0, 3);
        assert_eq!(d.reason, Reason::CostExceedsBurst);
        assert_eq!(d.retry_after, u64::MAX);
    }

    #[test]
    fn names_the_field_it_refuses() {
        let e = Gcra::new(LimiterConfig { rate: 1, period_ns: SECOND, burst: 0 });
        assert_eq!(e.map(|_| ()).map_err(|e| e.field()), Err("burst"));
    }
}
