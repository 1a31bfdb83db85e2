//! `pick.gutter`: when no primary cluster can take a request (see
//! [`super::pick::primaries_full`]), the gutter's own limit decides on the
//! store's bucket and, admitted, the gutter's picker chooses one of its
//! clusters; the request header `pool_header` says `gutter`. Refused by the
//! gutter's limit, the request gets `gutter_full` (the rule's `fallback`
//! may answer it): the spill is bounded, the pool is small and cheap.

use super::Refusal;
use crate::exchange::Exchange;
use crate::plan::{Plan, RulePlan};
use crate::rules::pick::Pool;
use crate::store::LimitStore;
use weir_core::picker::PickTicket;

/// Sends the request to a gutter cluster at `now`, or refuses it.
/// `Ok(None)`: the rule has no gutter, or none of its clusters is up.
pub fn pick<S: LimitStore>(
    plan: &Plan<S>,
    index: usize,
    rp: &RulePlan<S>,
    ex: &mut impl Exchange,
    now: u64,
    open: &dyn Fn(&str) -> bool,
) -> Result<Option<PickTicket>, Refusal> {
    let Some(gutter) = rp.rule.pick.as_ref().and_then(|p| p.gutter.as_ref()) else { return Ok(None) };
    let (Some(cell), Some(bucket)) = (&rp.gutter_picker, &rp.gutter_bucket) else { return Ok(None) };
    let (m, c) = (&plan.metrics, &rp.counters);
    let limit = &gutter.limit;
    let decision = match plan.store.acquire(bucket, &limit.gcra, now, limit.cost) {
        Ok(d) => d,
        Err(e) => {
            m.inc(c.state_error);
            ex.warn(&format!("weir: rule \"{}\": gutter state unusable: {e:?}", rp.rule.name));
            crate::store::state_error_decision()
        }
    };
    if !decision.is_admitted() {
        m.inc(c.gutter_full);
        let label = Some("gutter_full");
        return Err(Refusal { rule: index, status: gutter.status, decision, burst: Some(limit.burst), label });
    }
    super::pick::gate(cell, &gutter.clusters, open);
    let Some(ticket) = cell.try_borrow_mut().ok().and_then(|mut p| p.pick(now, plan.rng.next())) else {
        m.inc(c.pick_none);
        return Ok(None);
    };
    let Some(cluster) = gutter.clusters.get(ticket.index as usize) else { return Ok(None) };
    if let Some(header) = rp.rule.pick.as_ref().map(|p| &p.header) {
        ex.set_request_header(header, cluster.as_bytes());
    }
    ex.set_request_header(&gutter.pool_header, Pool::Gutter.as_str().as_bytes());
    m.inc(c.gutter);
    m.inc(c.gutter_picked.get(ticket.index as usize).copied());
    Ok(Some(ticket))
}
