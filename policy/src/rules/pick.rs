//! `pick`: core's p2c picker chooses a cluster and weir names it in the
//! request header the route's `cluster_header` reads; the response teaches
//! the picker that cluster's latency, success and CPU.

use crate::exchange::Exchange;
use crate::plan::{Plan, RulePlan};
use crate::store::LimitStore;
use weir_core::picker::{Outcome, PickTicket};

/// Picks a cluster at `now` and sets the header. `None` when no cluster is
/// up (the request goes on without the header; the route decides).
pub fn pick<S: LimitStore>(plan: &Plan<S>, rp: &RulePlan<S>, ex: &mut impl Exchange, now: u64) -> Option<PickTicket> {
    let (Some(rule), Some(cell)) = (&rp.rule.pick, &rp.picker) else { return None };
    let ticket = cell.try_borrow_mut().ok()?.pick(now, plan.rng.next());
    let Some(ticket) = ticket else {
        plan.metrics.inc(rp.counters.pick_none);
        return None;
    };
    let cluster = rule.clusters.get(ticket.index as usize)?;
    ex.set_request_header(&rule.header, cluster.as_bytes());
    plan.metrics.inc(rp.counters.picked.get(ticket.index as usize).copied());
    Some(ticket)
}

/// Reports the picked cluster's answer: `status` (`None`: no response, a
/// failure) and its `grpc-status`, the time since `started`, and the CPU it reported.
pub fn done<S: LimitStore>(
    rp: &RulePlan<S>,
    ticket: PickTicket,
    started: u64,
    now: u64,
    (status, grpc_status): (Option<u32>, Option<u32>),
    cpu: Option<u64>,
) {
    let (Some(rule), Some(cell)) = (&rp.rule.pick, &rp.picker) else { return };
    let Ok(mut picker) = cell.try_borrow_mut() else { return };
    let outcome = Outcome {
        latency_ns: now.saturating_sub(started),
        success: status.is_some_and(|s| !rule.is_failure(s, grpc_status)),
        cpu_permille: cpu.map(|c| c.min(1000) as u16),
    };
    picker.done(ticket, now, outcome);
}
