//! `pick`: core's p2c picker chooses a cluster and weir names it in the
//! request header the route's `cluster_header` reads; the response teaches
//! the picker that cluster's latency, success and CPU. A cluster whose
//! breaker refuses is left out of the draw (marked down for it), so a
//! request goes to a cluster that will take it.

use crate::exchange::Exchange;
use crate::plan::{Picker, Plan, RulePlan};
use crate::store::LimitStore;
use std::cell::RefCell;
use weir_core::picker::{Outcome, PickTicket, PickerKernel};

/// Which of a rule's pools served a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pool {
    Primary,
    Gutter,
}

impl Pool {
    pub fn as_str(self) -> &'static str {
        match self {
            Pool::Primary => "primary",
            Pool::Gutter => "gutter",
        }
    }
}

/// Marks each of `clusters` up or down in `picker` as `open(name)` says.
pub(super) fn gate(picker: &RefCell<Picker>, clusters: &[String], open: &dyn Fn(&str) -> bool) {
    let Ok(mut picker) = picker.try_borrow_mut() else { return };
    for (i, name) in clusters.iter().enumerate() {
        picker.set_up(i as u32, !open(name));
    }
}

/// Whether no primary cluster can take a request: each is above the
/// picker's CPU ceiling or below its success floor, or `open(name)`.
pub fn primaries_full<S: LimitStore>(rp: &RulePlan<S>, open: &dyn Fn(&str) -> bool) -> bool {
    let (Some(rule), Some(cell)) = (&rp.rule.pick, &rp.picker) else { return false };
    let Ok(kernel) = PickerKernel::new(rule.config) else { return false };
    let Ok(picker) = cell.try_borrow() else { return false };
    rule.clusters.iter().enumerate().all(|(i, name)| {
        open(name) || picker.node(i as u32).is_some_and(|n| !kernel.healthy(n.success, n.cpu_permille))
    })
}

/// Picks a primary cluster at `now` among those `open` leaves in, and sets
/// the header. `None` when no cluster is up (the request goes on without
/// the header; the route decides).
pub fn pick<S: LimitStore>(
    plan: &Plan<S>,
    rp: &RulePlan<S>,
    ex: &mut impl Exchange,
    now: u64,
    open: &dyn Fn(&str) -> bool,
) -> Option<PickTicket> {
    let (Some(rule), Some(cell)) = (&rp.rule.pick, &rp.picker) else { return None };
    gate(cell, &rule.clusters, open);
    let ticket = cell.try_borrow_mut().ok()?.pick(now, plan.rng.next());
    let Some(ticket) = ticket else {
        plan.metrics.inc(rp.counters.pick_none);
        return None;
    };
    let cluster = rule.clusters.get(ticket.index as usize)?;
    ex.set_request_header(&rule.header, cluster.as_bytes());
    if let Some(g) = &rule.gutter {
        ex.set_request_header(&g.pool_header, Pool::Primary.as_str().as_bytes());
    }
    plan.metrics.inc(rp.counters.picked.get(ticket.index as usize).copied());
    Some(ticket)
}

/// Reports the picked cluster's answer to the pool's picker: `status`
/// (`None`: no response, a failure) and its `grpc-status`, the time since
/// `started`, and the CPU it reported.
pub fn done<S: LimitStore>(
    rp: &RulePlan<S>,
    pool: Pool,
    ticket: PickTicket,
    started: u64,
    now: u64,
    (status, grpc_status): (Option<u32>, Option<u32>),
    cpu: Option<u64>,
) {
    let Some(rule) = &rp.rule.pick else { return };
    let cell = match pool {
        Pool::Primary => &rp.picker,
        Pool::Gutter => &rp.gutter_picker,
    };
    let Some(Ok(mut picker)) = cell.as_ref().map(|c| c.try_borrow_mut()) else { return };
    let outcome = Outcome {
        latency_ns: now.saturating_sub(started),
        success: status.is_some_and(|s| !rule.is_failure(s, grpc_status)),
        cpu_permille: cpu.map(|c| c.min(1000) as u16),
    };
    picker.done(ticket, now, outcome);
}
