//! `throttle`: core's SRE throttle refuses locally with the probability
//! its window gives; responses count as accepts unless their status is one
//! of the rule's `failures`.

use super::Refusal;
use crate::config::Mode;
use crate::plan::{Plan, RulePlan};
use crate::store::LimitStore;

/// Asks the rule's throttle at `now`. `Ok(true)`: sent on, and the
/// response must be reported with [`record`].
pub fn acquire<S: LimitStore>(plan: &Plan<S>, index: usize, rp: &RulePlan<S>, now: u64) -> Result<bool, Refusal> {
    let (Some(rule), Some(cell)) = (&rp.rule.throttle, &rp.throttle) else { return Ok(false) };
    let Ok(mut throttle) = cell.try_borrow_mut() else { return Ok(false) };
    let decision = throttle.acquire(now, plan.rng.next());
    let (m, c) = (&plan.metrics, &rp.counters);
    if decision.is_admitted() {
        m.inc(c.throttle_passed);
        return Ok(true);
    }
    if rp.rule.mode == Mode::Shadow {
        m.inc(c.shadow_throttled);
        // Sent on all the same, so its answer counts like any other.
        return Ok(true);
    }
    m.inc(c.throttled);
    Err(Refusal { rule: index, status: rule.status, decision, burst: None, label: None })
}

/// Takes back a request this throttle sent on at `acquired_at` that the
/// filter then answered itself: it never reached the upstream.
pub fn forget<S: LimitStore>(rp: &RulePlan<S>, acquired_at: u64) {
    let Some(Ok(mut throttle)) = rp.throttle.as_ref().map(|c| c.try_borrow_mut()) else { return };
    throttle.forget(acquired_at);
}

/// The upstream answered `status` with `grpc_status` if it sent one (or
/// nothing: `status` `None`, a failure).
pub fn record<S: LimitStore>(
    plan: &Plan<S>,
    rp: &RulePlan<S>,
    now: u64,
    status: Option<u32>,
    grpc_status: Option<u32>,
) {
    let (Some(rule), Some(cell)) = (&rp.rule.throttle, &rp.throttle) else { return };
    let Ok(mut throttle) = cell.try_borrow_mut() else { return };
    let success = status.is_some_and(|s| !rule.is_failure(s, grpc_status));
    if !success {
        plan.metrics.inc(rp.counters.upstream_failures);
    }
    throttle.record(now, success);
}
