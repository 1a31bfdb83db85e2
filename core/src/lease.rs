//! Leases: quota granted in batches by a central store (Redis, in `weir-fleet`)
//! and spent locally at core speed.
//!
//! Two pieces, both free of I/O:
//!
//! - [`LeasePlanner`] answers "should this node ask the store for more now, and
//!   for how many?" from the node's recent rate of demand, the tokens left in
//!   its lease and the time. Batches are sized to last `batch_period_ns` at the
//!   recent rate, clamped to `[min_batch, max_batch]`, and asked for early
//!   enough (`lead_ns`) that the next batch lands before the current one runs
//!   out.
//! - [`AtomicLease`] (threads) and [`Lease`] (single thread) hold the current
//!   lease: tokens left and when they expire. Spending never takes more than
//!   was granted, so local admission can never exceed what the store leased.
//!
//! The node holds at most `max_batch` tokens at any time: the planner never
//! asks beyond it and the cells clamp to it. That cap is what bounds how far a
//! fleet can overshoot its global limit (see `weir-fleet`'s README).

use crate::error::check;
use crate::sync::{atomic_u64, AtomicU64, Ordering};
use crate::word::{Measured, Order, Word};
use crate::{ConfigError, Nanos, Value};

/// The largest lease a cell can hold: tokens live in the low 24 bits of the
/// packed state so that the expiry fits in the remaining 40.
pub const MAX_LEASE_TOKENS: u64 = (1 << TOKEN_BITS) - 1;

const TOKEN_BITS: u32 = 24;
/// Expiries are kept in ticks of 2^20 ns (~1.05 ms) after the cell's own
/// time base (see [`Base`]); 40 bits of ticks cover 2^60 ns (~36 years)
/// after it, so comparisons never wrap whatever clock the host reads.
const TICK_SHIFT: u32 = 20;
const MAX_TICK: u64 = (1 << (64 - TOKEN_BITS)) - 1;

/// Longest lease lifetime accepted: far below the tick horizon, and longer
/// than any sane lease.
const MAX_TTL_NS: Nanos = 1 << 50;

/// How a node plans its leases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseConfig {
    /// The smallest batch worth a round trip to the store. Default 1.
    pub min_batch: u64,
    /// The most tokens a node may hold at once; caps every ask and every
    /// grant. At most [`MAX_LEASE_TOKENS`]. Default 1000.
    pub max_batch: u64,
    /// A batch is sized to last this long at the node's recent rate.
    /// Default 100 ms.
    pub batch_period_ns: Nanos,
    /// Ask for the next batch when the tokens left would last less than this
    /// at the recent rate, or the lease expires within it: it covers the
    /// store's round trip and the host's scheduling delay. Default 10 ms.
    pub lead_ns: Nanos,
    /// How long a lease stays spendable after it was asked for; unspent
    /// tokens are dropped then, so quota cannot be hoarded. Must be at least
    /// `batch_period_ns + lead_ns`. Default 1 s.
    pub ttl_ns: Nanos,
}

impl Default for LeaseConfig {
    fn default() -> Self {
        Self {
            min_batch: 1,
            max_batch: 1000,
            batch_period_ns: 100 * crate::MILLISECOND,
            lead_ns: 10 * crate::MILLISECOND,
            ttl_ns: crate::SECOND,
        }
    }
}

/// A node's recent rate of demand: `tokens` asked for (admitted or not) over
/// the last `over_ns`. `over_ns == 0` means no measurement, taken as no demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rate {
    /// Tokens demanded.
    pub tokens: u64,
    /// Over this span, in nanoseconds.
    pub over_ns: Nanos,
}

impl Rate {
    /// Tokens demanded in `span` at this rate, rounded up so that any demand
    /// at all plans for at least one token.
    fn tokens_in(self, span: Nanos) -> u64 {
        if self.over_ns == 0 || self.tokens == 0 {
            return 0;
        }
        let num = u128::from(self.tokens) * u128::from(span);
        let den = u128::from(self.over_ns);
        u64::try_from(num.div_ceil(den)).unwrap_or(u64::MAX)
    }

    /// How long `tokens` last at this rate, rounded down (plan early, not late).
    fn lasts(self, tokens: u64) -> Nanos {
        if self.over_ns == 0 || self.tokens == 0 {
            return Nanos::MAX;
        }
        let num = u128::from(tokens) * u128::from(self.over_ns);
        u64::try_from(num / u128::from(self.tokens)).unwrap_or(Nanos::MAX)
    }
}

/// The planner's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Tokens to ask the store for now; 0 means do not ask now. Never below
    /// `min_batch` and never more than makes the lease hold `max_batch`.
    pub ask: u64,
    /// When to plan again if nothing else happens: now when `ask > 0` (plan
    /// again once the answer is in), else the time the lease reaches its low
    /// water mark or nears expiry. `u64::MAX` when there is no demand: the
    /// host plans again on the next request the lease cannot serve.
    pub next_at: Nanos,
    /// Ask again when the tokens left fall to this many; hosts compare it on
    /// the hot path to wake their refill early.
    pub low_water: u64,
}

/// Decides when a node asks the store for quota and how much. Pure: holds only
/// its validated config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeasePlanner {
    config: LeaseConfig,
}

impl LeasePlanner {
    /// A planner for `config`, or the first rule it breaks.
    pub fn new(config: LeaseConfig) -> Result<Self, ConfigError> {
        check::at_least("min_batch", ">= 1", config.min_batch, 1)?;
        check::at_least("max_batch", ">= min_batch", config.max_batch, config.min_batch)?;
        check::at_most("max_batch", "<= 16777215", config.max_batch, MAX_LEASE_TOKENS)?;
        check::at_least("batch_period_ns", ">= 1", config.batch_period_ns, 1)?;
        check::at_most("ttl_ns", "<= 2^50", config.ttl_ns, MAX_TTL_NS)?;
        let floor = config.batch_period_ns.saturating_add(config.lead_ns);
        if config.ttl_ns < floor {
            return Err(ConfigError::new("ttl_ns", ">= batch_period_ns + lead_ns", Value::Unsigned(config.ttl_ns)));
        }
        Ok(Self { config })
    }

    /// The validated config.
    pub const fn config(&self) -> &LeaseConfig {
        &self.config
    }

    /// When a lease asked for at `now` expires.
    pub const fn expiry(&self, asked_at: Nanos) -> Nanos {
        asked_at.saturating_add(self.config.ttl_ns)
    }

    /// What to do at `now`, given the recent `rate` of demand and the lease
    /// currently held: `left` tokens that expire at `expires_at`.
    pub fn plan(&self, now: Nanos, rate: Rate, left: u64, expires_at: Nanos) -> Plan {
        let c = &self.config;
        let low_water = rate.tokens_in(c.lead_ns).min(c.max_batch);
        if rate.tokens == 0 || rate.over_ns == 0 {
            return Plan { ask: 0, next_at: Nanos::MAX, low_water };
        }
        // Tokens that will be gone before an answer could land do not count.
        let expiring = now.saturating_add(c.lead_ns) >= expires_at;
        let usable = if expiring { 0 } else { left.min(c.max_batch) };
        let room = c.max_batch - usable;
        if usable <= low_water {
            let batch = rate.tokens_in(c.batch_period_ns).clamp(c.min_batch, c.max_batch);
            let ask = batch.min(room);
            // An ask the cap squeezes below min_batch is not worth its round
            // trip; wait until there is room for a real batch.
            if ask >= c.min_batch {
                return Plan { ask, next_at: now, low_water };
            }
        }
        // Plan again once enough is spent to reach the low water mark and to
        // make room for min_batch; at least one token's worth ahead, so a
        // full lease at a flood does not plan again at once, forever (and at
        // least a nanosecond ahead even when one token lasts less than that).
        let to_spend = usable.saturating_sub(low_water).max(c.min_batch.saturating_sub(room)).max(1);
        let drains_at = now.saturating_add(rate.lasts(to_spend));
        let renew_at = expires_at.saturating_sub(c.lead_ns);
        Plan { ask: 0, next_at: drains_at.min(renew_at).max(now.saturating_add(1)), low_water }
    }
}

/// What a spend attempt found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spend {
    /// The cost was taken from the lease; `left` tokens remain.
    Spent {
        /// Tokens left after the spend.
        left: u64,
    },
    /// The lease is live but holds fewer than `cost` tokens; nothing taken.
    Short {
        /// Tokens left (fewer than the cost).
        left: u64,
    },
    /// There is no live lease (never granted, or past its expiry).
    Expired,
}

/// A lease cell's time base: the instant of its first grant, rounded down to
/// a tick. Times are packed as ticks after it, so a host passes its own
/// clock's `now` as it reads it (nanoseconds since boot, since the Unix
/// epoch, since the process started) instead of shifting it below 2^60.
/// Being tick-aligned, the base moves no rounding: a lease expires at the
/// same instant, in the same tick, as it would on an absolute count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Base(u64);

impl Base {
    /// No grant yet: every lease is empty, so no time is ever packed.
    const UNSET: Base = Base(u64::MAX);

    const fn at(now: Nanos) -> Self {
        Base(now & !((1 << TICK_SHIFT) - 1))
    }

    /// `t` as the packed state counts it (an instant before the base is the
    /// base: it cannot be later than any expiry granted after it).
    const fn since(self, t: Nanos) -> Nanos {
        t.saturating_sub(self.0)
    }

    /// The expiry `state` holds, on the host's clock; 0 when never granted.
    fn expires_at(self, state: Packed) -> Nanos {
        match state.expiry_tick() {
            0 => 0,
            _ => self.0.saturating_add(state.expires_at()),
        }
    }
}

/// The packed lease: `[expiry tick: 40 bits][tokens: 24 bits]`, times
/// counted from the cell's [`Base`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Packed(u64);

const TOKEN_MASK: u64 = MAX_LEASE_TOKENS;

fn tick(t: Nanos) -> u64 {
    (t >> TICK_SHIFT).min(MAX_TICK)
}

impl Packed {
    const EMPTY: Packed = Packed(0);

    fn new(tokens: u64, expires_at: Nanos) -> Self {
        Packed((tick(expires_at) << TOKEN_BITS) | tokens.min(MAX_LEASE_TOKENS))
    }

    fn tokens(self) -> u64 {
        self.0 & TOKEN_MASK
    }

    fn expiry_tick(self) -> u64 {
        self.0 >> TOKEN_BITS
    }

    /// Expiries are rounded down to a tick, so a lease ends up to one tick
    /// early, never late.
    fn live_at(self, now: Nanos) -> bool {
        tick(now) < self.expiry_tick()
    }

    /// Tokens still spendable at `now`.
    fn left_at(self, now: Nanos) -> u64 {
        if self.live_at(now) {
            self.tokens()
        } else {
            0
        }
    }

    fn expires_at(self) -> Nanos {
        self.expiry_tick() << TICK_SHIFT
    }

    /// The spend kernel: the new state, if any, and the outcome.
    fn spend(self, now: Nanos, cost: u64) -> (Option<Packed>, Spend) {
        if !self.live_at(now) {
            return (None, Spend::Expired);
        }
        let left = self.tokens();
        match left.checked_sub(cost) {
            Some(rest) => (Some(Packed((self.0 & !TOKEN_MASK) | rest)), Spend::Spent { left: rest }),
            None => (None, Spend::Short { left }),
        }
    }

    /// The grant kernel: tokens still live are kept and join the new grant
    /// under its expiry; the total is clamped to `cap`.
    fn grant(self, now: Nanos, tokens: u64, expires_at: Nanos, cap: u64) -> Packed {
        let total = self.left_at(now).saturating_add(tokens).min(cap);
        Packed::new(total, expires_at)
    }
}

/// A view of a lease at some instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseSnapshot {
    /// Tokens spendable now (0 when expired).
    pub left: u64,
    /// When the lease expires (rounded down to ~1 ms); 0 when never granted.
    pub expires_at: Nanos,
}

/// A lease for single-threaded hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    state: Packed,
    base: Base,
    cap: u64,
}

impl Lease {
    /// An empty lease that never holds more than `cap` tokens (clamped to
    /// [`MAX_LEASE_TOKENS`]); use the planner's `max_batch`.
    pub const fn new(cap: u64) -> Self {
        let cap = if cap > MAX_LEASE_TOKENS { MAX_LEASE_TOKENS } else { cap };
        Self { state: Packed::EMPTY, base: Base::UNSET, cap }
    }

    /// Takes `cost` tokens if the lease is live and holds them.
    pub fn try_spend(&mut self, now: Nanos, cost: u64) -> Spend {
        let (next, outcome) = self.state.spend(self.base.since(now), cost);
        if let Some(next) = next {
            self.state = next;
        }
        outcome
    }

    /// Adds `tokens` granted by the store, valid until `expires_at`; returns
    /// the tokens now held.
    pub fn grant(&mut self, now: Nanos, tokens: u64, expires_at: Nanos) -> u64 {
        if self.base == Base::UNSET {
            self.base = Base::at(now);
        }
        let (now, expires_at) = (self.base.since(now), self.base.since(expires_at));
        self.state = self.state.grant(now, tokens, expires_at, self.cap);
        self.state.left_at(now)
    }

    /// The lease as seen at `now`.
    pub fn snapshot(&self, now: Nanos) -> LeaseSnapshot {
        LeaseSnapshot { left: self.state.left_at(self.base.since(now)), expires_at: self.base.expires_at(self.state) }
    }
}

/// A lease shared by threads: every spend and grant is one CAS on one word,
/// so concurrent spenders take exactly the granted tokens between them.
#[derive(Debug)]
pub struct AtomicLease {
    state: AtomicU64,
    /// The [`Base`], set once by the first grant.
    base: AtomicU64,
    cap: u64,
}

impl AtomicLease {
    /// An empty lease that never holds more than `cap` tokens (clamped to
    /// [`MAX_LEASE_TOKENS`]); use the planner's `max_batch`.
    pub fn new(cap: u64) -> Self {
        Self { state: atomic_u64(Packed::EMPTY.0), base: atomic_u64(Base::UNSET.0), cap: cap.min(MAX_LEASE_TOKENS) }
    }

    /// The base, read after the state: a state a grant published was
    /// packed against a base that grant had already set.
    #[inline]
    fn base(&self) -> Base {
        Base(self.base.load_in(Order::Relaxed))
    }

    /// Takes `cost` tokens if the lease is live and holds them.
    pub fn try_spend(&self, now: Nanos, cost: u64) -> Spend {
        self.state.measure_and_replace(
            Order::Publish,
            #[inline(always)]
            |current| match Packed(current).spend(self.base().since(now), cost) {
                (Some(next), outcome) => Measured::Replace(outcome, next.0),
                (None, outcome) => Measured::Keep(outcome),
            },
        )
    }

    /// Adds `tokens` granted by the store, valid until `expires_at`; returns
    /// the tokens now held.
    pub fn grant(&self, now: Nanos, tokens: u64, expires_at: Nanos) -> u64 {
        let base = Base(self.base.measure_and_replace(Order::Publish, |held| match Base(held) {
            Base::UNSET => Measured::Replace(Base::at(now).0, Base::at(now).0),
            set => Measured::Keep(set.0),
        }));
        let (now, expires_at) = (base.since(now), base.since(expires_at));
        self.state.measure_and_replace(Order::Publish, |current| {
            let next = Packed(current).grant(now, tokens, expires_at, self.cap);
            Measured::Replace(next.left_at(now), next.0)
        })
    }

    /// Empties the lease and returns the tokens it still held at `now`.
    pub fn revoke(&self, now: Nanos) -> u64 {
        let held = Packed(self.state.swap(Packed::EMPTY.0, Ordering::AcqRel));
        held.left_at(self.base().since(now))
    }

    /// The lease as seen at `now`.
    pub fn snapshot(&self, now: Nanos) -> LeaseSnapshot {
        let state = Packed(self.state.load(Ordering::Acquire));
        let base = self.base();
        LeaseSnapshot { left: state.left_at(base.since(now)), expires_at: base.expires_at(state) }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::MILLISECOND as MS;

    fn planner() -> LeasePlanner {
        LeasePlanner::new(LeaseConfig {
            min_batch: 5,
            max_batch: 200,
            batch_period_ns: 100 * MS,
            lead_ns: 10 * MS,
            ttl_ns: 1000 * MS,
        })
        .unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn batch_follows_rate_within_bounds() {
        let p = planner();
        // 1000/s: a 100 ms batch is 100 tokens; lead of 10 ms is 10 tokens.
        let plan = p.plan(0, Rate { tokens: 1000, over_ns: 1000 * MS }, 0, 0);
        assert_eq!(plan, Plan { ask: 100, next_at: 0, low_water: 10 });
        // A trickle still asks for min_batch; a flood is capped at max_batch.
        assert_eq!(p.plan(0, Rate { tokens: 1, over_ns: 1000 * MS }, 0, 0).ask, 5);
        assert_eq!(p.plan(0, Rate { tokens: 1_000_000, over_ns: 1000 * MS }, 0, 0).ask, 200);
    }

    #[test]
    fn no_demand_no_ask() {
        let plan = planner().plan(0, Rate::default(), 0, 0);
        assert_eq!(plan, Plan { ask: 0, next_at: Nanos::MAX, low_water: 0 });
    }

    #[test]
    fn waits_until_low_water_or_expiry() {
        let p = planner();
        let rate = Rate { tokens: 1000, over_ns: 1000 * MS };
        // 60 tokens at 1/ms reach the low water of 10 after 50 ms.
        let plan = p.plan(0, rate, 60, 1000 * MS);
        assert_eq!(plan, Plan { ask: 0, next_at: 50 * MS, low_water: 10 });
        // Expiry in 30 ms: plan again 10 ms before it.
        assert_eq!(p.plan(0, rate, 60, 30 * MS).next_at, 20 * MS);
        // Within lead of expiry, the tokens left do not count.
        assert_eq!(p.plan(25 * MS, rate, 60, 30 * MS).ask, 100);
    }

    #[test]
    fn never_asks_beyond_max_batch() {
        let p = planner();
        let flood = Rate { tokens: 10_000_000, over_ns: 1000 * MS };
        let plan = p.plan(0, flood, 195, 1000 * MS);
        assert_eq!((plan.ask, plan.low_water), (5, 200));
        // Room for 1 is below min_batch 5: wait until 4 more are spent.
        let plan = p.plan(0, flood, 199, 1000 * MS);
        assert_eq!((plan.ask, plan.next_at), (0, 400));
    }

    #[test]
    fn config_errors_name_the_field() {
        let base = LeaseConfig::default();
        let err = |c| LeasePlanner::new(c).err().map(|e: ConfigError| e.field());
        assert_eq!(err(LeaseConfig { min_batch: 0, ..base }), Some("min_batch"));
        assert_eq!(err(LeaseConfig { max_batch: 0, ..base }), Some("max_batch"));
        assert_eq!(err(LeaseConfig { max_batch: 1 << 24, ..base }), Some("max_batch"));
        assert_eq!(err(LeaseConfig { batch_period_ns: 0, ..base }), Some("batch_period_ns"));
        assert_eq!(err(LeaseConfig { ttl_ns: 50 * MS, ..base }), Some("ttl_ns"));
        assert_eq!(err(base), None);
    }

    #[test]
    fn spend_takes_only_what_was_granted() {
        let mut lease = Lease::new(100);
        assert_eq!(lease.try_spend(0, 1), Spend::Expired);
        assert_eq!(lease.grant(0, 3, 100 * MS), 3);
        assert_eq!(lease.try_spend(MS, 2), Spend::Spent { left: 1 });
        assert_eq!(lease.try_spend(MS, 2), Spend::Short { left: 1 });
        assert_eq!(lease.try_spend(100 * MS, 1), Spend::Expired);
    }

    #[test]
    fn a_clock_past_2_pow_60_reads_as_it_is() {
        // Nanoseconds since the Unix epoch in December 2026: above 2^60,
        // where ticks counted from 0 would all clamp to the last one.
        let epoch = 1_796_600_000_123_456_789u64;
        assert!(epoch > 1 << 60);
        let expires_at = epoch + 100 * MS;
        let rounded = (expires_at >> TICK_SHIFT) << TICK_SHIFT;
        let mut plain = Lease::new(100);
        let atomic = AtomicLease::new(100);
        assert_eq!((plain.grant(epoch, 3, expires_at), atomic.grant(epoch, 3, expires_at)), (3, 3));
        for spend in [plain.try_spend(epoch + MS, 2), atomic.try_spend(epoch + MS, 2)] {
            assert_eq!(spend, Spend::Spent { left: 1 });
        }
        let live = LeaseSnapshot { left: 1, expires_at: rounded };
        assert_eq!((plain.snapshot(epoch + 2 * MS), atomic.snapshot(epoch + 2 * MS)), (live, live));
        for spend in [plain.try_spend(rounded, 1), atomic.try_spend(rounded, 1)] {
            assert_eq!(spend, Spend::Expired);
        }
        assert_eq!(atomic.revoke(rounded - 1), 1);
        assert_eq!(atomic.snapshot(rounded).expires_at, 0);
    }

    #[test]
    fn an_empty_lease_reports_no_expiry() {
        let atomic = AtomicLease::new(10);
        assert_eq!(atomic.snapshot(u64::MAX), LeaseSnapshot { left: 0, expires_at: 0 });
        assert_eq!(atomic.try_spend(u64::MAX, 1), Spend::Expired);
        assert_eq!(Lease::new(10).snapshot(5), LeaseSnapshot { left: 0, expires_at: 0 });
    }

    #[test]
    fn grant_keeps_live_tokens_drops_expired_and_caps() {
        let mut lease = Lease::new(10);
        lease.grant(0, 4, 100 * MS);
        assert_eq!(lease.grant(50 * MS, 3, 200 * MS), 7);
        assert_eq!(lease.grant(60 * MS, 30, 200 * MS), 10);
        assert_eq!(lease.grant(300 * MS, 2, 400 * MS), 2);
    }
}
