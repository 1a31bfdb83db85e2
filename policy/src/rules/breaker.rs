//! `breaker`: core's circuit breaker, one per upstream cluster a rule's
//! requests go to (the cluster `pick` chose, else the rule's `target`),
//! made on a cluster's first request. Open, it refuses with `breaker_open`
//! and `retry-after` = the time left in open; half-open, it lets core's
//! bounded number of probes through (`breaker_half_open` for the rest).
//!
//! What it learns: the upstream's `:status` and `grpc-status` against the
//! rule's `failures` and `grpc_failures`, and a stream that ended without
//! an answer as a failure. Two kinds of request teach it nothing:
//! - one weir answered itself after the breaker let it through: the phase
//!   plan takes it back ([`cancel`]), as every learner does;
//! - an upstream answer carrying `x-weir-no-retry: 1`: an overload refusal
//!   decided by a weir further down, on purpose (`A -> B -> C`: B refuses
//!   A because C is failing, or B sheds). It says B is alive and
//!   protecting itself or its dependency, not that B is broken: opening
//!   A's breaker on B would cut B's other, healthy traffic, and B already
//!   bounds what goes to C. The permit is released, neither a success nor a
//!   failure. The throttle and the picker still count such an answer as a
//!   refusal (see `stream.rs`): sending B fewer requests it will refuse is
//!   exactly their job.

use super::Refusal;
use crate::config::Mode;
use crate::plan::{Plan, RulePlan};
use crate::store::LimitStore;
use weir_core::breaker::{Breaker, Permit, State};
use weir_core::Reason;

/// Clusters one rule keeps a breaker for; requests to others pass
/// unguarded (a `pick` has at most 64 clusters, plus its gutter's).
pub const MAX_CLUSTERS: usize = 192;

/// What an admitted request holds until its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Held {
    /// The cluster's place in the rule's breakers.
    slot: usize,
    permit: Permit,
}

/// The cluster's breaker, made closed on first use; `None` past
/// [`MAX_CLUSTERS`].
fn slot<S: LimitStore>(rp: &RulePlan<S>, cluster: &str) -> Option<usize> {
    let (Some(rule), Some(cell)) = (&rp.rule.breaker, &rp.breakers) else { return None };
    let mut breakers = cell.try_borrow_mut().ok()?;
    if let Some(i) = breakers.iter().position(|(name, _)| name == cluster) {
        return Some(i);
    }
    if breakers.len() >= MAX_CLUSTERS {
        return None;
    }
    // The config was validated by core's kernel when the rule was parsed.
    let breaker = Breaker::new(rule.config).ok()?;
    breakers.push((cluster.to_owned(), breaker));
    Some(breakers.len() - 1)
}

/// Whether the cluster's breaker would let a request through at `now`,
/// without taking a probe: so `pick` can leave open clusters out and the
/// breaker's own decision after the pick admits.
pub fn admits<S: LimitStore>(rp: &RulePlan<S>, cluster: &str, now: u64) -> bool {
    let Some(Ok(breakers)) = rp.breakers.as_ref().map(|c| c.try_borrow()) else { return true };
    let Some((_, b)) = breakers.iter().find(|(name, _)| name == cluster) else { return true };
    let stats = b.stats(now);
    match stats.state {
        State::Closed | State::Disabled => true,
        State::Open => stats.retry_after == 0,
        State::HalfOpen => stats.probes_issued < b.kernel().half_open_probes(),
        State::ForcedOpen => false,
    }
}

/// Asks the cluster's breaker at `now`. `Ok(Some)`: admitted, and the
/// answer must be reported with [`done`] (or [`cancel`]).
pub fn acquire<S: LimitStore>(
    plan: &Plan<S>,
    index: usize,
    rp: &RulePlan<S>,
    cluster: &str,
    now: u64,
) -> Result<Option<Held>, Refusal> {
    let Some(rule) = &rp.rule.breaker else { return Ok(None) };
    let Some(slot) = slot(rp, cluster) else { return Ok(None) };
    let Some(Ok(mut breakers)) = rp.breakers.as_ref().map(|c| c.try_borrow_mut()) else { return Ok(None) };
    let Some((_, breaker)) = breakers.get_mut(slot) else { return Ok(None) };
    let admission = breaker.acquire(now);
    let (m, c) = (&plan.metrics, &rp.counters);
    if let Some(permit) = admission.permit {
        m.inc(c.breaker_passed);
        return Ok(Some(Held { slot, permit }));
    }
    if rp.rule.mode == Mode::Shadow {
        m.inc(c.shadow_breaker_open);
        return Ok(None);
    }
    m.inc(c.breaker_open);
    let label = match admission.decision.reason {
        Reason::CircuitHalfOpen => "breaker_half_open",
        _ => "breaker_open",
    };
    Err(Refusal { rule: index, status: rule.status, decision: admission.decision, burst: None, label: Some(label) })
}

/// The time left in open of the cluster's breaker (the soonest a refused
/// request may come back), 0 when it would admit.
pub fn time_left<S: LimitStore>(rp: &RulePlan<S>, cluster: &str, now: u64) -> u64 {
    let Some(Ok(breakers)) = rp.breakers.as_ref().map(|c| c.try_borrow()) else { return 0 };
    breakers.iter().find(|(name, _)| name == cluster).map_or(0, |(_, b)| b.stats(now).retry_after)
}

/// Gives the permit back: weir answered the request itself, or the
/// upstream's answer was an overload decided further down.
pub fn cancel<S: LimitStore>(rp: &RulePlan<S>, held: Held) {
    let Some(Ok(mut breakers)) = rp.breakers.as_ref().map(|c| c.try_borrow_mut()) else { return };
    if let Some((_, breaker)) = breakers.get_mut(held.slot) {
        breaker.release(held.permit);
    }
}

/// The upstream answered `status` (`None`: no answer, a failure) with
/// `grpc_status`, `no_retry` when it carried the marker, `duration` after
/// the request.
pub fn done<S: LimitStore>(
    plan: &Plan<S>,
    rp: &RulePlan<S>,
    held: Held,
    now: u64,
    duration: u64,
    (status, grpc_status): (Option<u32>, Option<u32>),
    no_retry: bool,
) {
    let Some(rule) = &rp.rule.breaker else { return };
    if no_retry && status.is_some() {
        plan.metrics.inc(rp.counters.breaker_no_retry);
        cancel(rp, held);
        return;
    }
    let Some(Ok(mut breakers)) = rp.breakers.as_ref().map(|c| c.try_borrow_mut()) else { return };
    let Some((_, breaker)) = breakers.get_mut(held.slot) else { return };
    let failed = status.is_none_or(|s| rule.is_failure(s, grpc_status));
    if failed {
        plan.metrics.inc(rp.counters.breaker_failures);
    }
    if breaker.record(now, held.permit, failed, duration).is_some_and(|t| t.to == State::Open) {
        plan.metrics.inc(rp.counters.breaker_trips);
    }
}
