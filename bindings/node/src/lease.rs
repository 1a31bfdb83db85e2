//! `Lease`: a batch of quota taken from a store the host talks to (an
//! HTTP quota service, a database) and spent locally; core's planner says
//! when to ask for the next batch and how big.

use weir_core::lease::{AtomicLease, LeaseConfig, LeasePlanner, Rate, Spend};
use weir_core::ConfigError;

use crate::errors::created;
use crate::fast;
use crate::fast::Callback;
use crate::layout::{call, lease_grant, lease_new, lease_plan, lease_snapshot, lease_spend};
use crate::scratch::Scratch;
use crate::table::Table;

pub struct NodeLease {
    planner: LeasePlanner,
    cell: AtomicLease,
}

pub static LEASES: Table<NodeLease> = Table::new();

fn lease(s: Scratch) -> Result<NodeLease, ConfigError> {
    use lease_new::*;
    let planner = LeasePlanner::new(LeaseConfig {
        min_batch: s.u(MIN_BATCH),
        max_batch: s.u(MAX_BATCH),
        batch_period_ns: s.u(BATCH_PERIOD),
        lead_ns: s.u(LEAD),
        ttl_ns: s.u(TTL),
    })?;
    Ok(NodeLease { cell: AtomicLease::new(planner.config().max_batch), planner })
}

fast!(lease_new, |s: Scratch| created(s, &LEASES, lease(s)));

// In: handle, [now], the rate, and the store's left and expires_at, or
// this lease's own snapshot. Out: the plan.
fast!(lease_plan, |s: Scratch| if let Some(l) = LEASES.get(s.handle()) {
    use lease_plan::*;
    let now = s.now(call::NOW);
    let (left, expires_at) = if s.f(OWN) == 1.0 {
        let snap = l.cell.snapshot(now);
        (snap.left, snap.expires_at)
    } else {
        (s.int(LEFT), s.int(EXPIRES_AT))
    };
    let plan = l.planner.plan(now, Rate { tokens: s.int(RATE_TOKENS), over_ns: s.int(RATE_OVER) }, left, expires_at);
    s.out(ASK, plan.ask);
    s.out(NEXT_AT, plan.next_at);
    s.out(LOW_WATER, plan.low_water);
});

// In: handle, [now], tokens, expires_at or a ttl from now. Out: the tokens left.
fast!(lease_grant, |s: Scratch| if let Some(l) = LEASES.get(s.handle()) {
    use lease_grant::*;
    let now = s.now(call::NOW);
    let expires_at = if s.f(TTL_GIVEN) == 1.0 { now.saturating_add(s.int(TTL)) } else { s.int(EXPIRES_AT) };
    s.out(LEFT, l.cell.grant(now, s.int(TOKENS), expires_at));
});

// In: handle, [now], cost. Out: the outcome (0 spent, 1 short, 2 expired),
// the tokens left.
fast!(lease_spend, |s: Scratch| if let Some(l) = LEASES.get(s.handle()) {
    let (code, left) = match l.cell.try_spend(s.now(call::NOW), s.int(lease_spend::COST)) {
        Spend::Spent { left } => (0.0, left),
        Spend::Short { left } => (1.0, left),
        Spend::Expired => (2.0, 0),
    };
    s.set_f(lease_spend::OUTCOME, code);
    s.out(lease_spend::LEFT, left);
});

// In: handle, [now]. Out: tokens left, expires_at.
fast!(lease_snapshot, |s: Scratch| if let Some(l) = LEASES.get(s.handle()) {
    let snap = l.cell.snapshot(s.now(call::NOW));
    s.out(lease_snapshot::LEFT, snap.left);
    s.out(lease_snapshot::EXPIRES_AT, snap.expires_at);
});

// In: handle, [now]. Out: the tokens dropped.
fast!(lease_revoke, |s: Scratch| if let Some(l) = LEASES.get(s.handle()) {
    s.out(lease_snapshot::DROPPED, l.cell.revoke(s.now(call::NOW)));
});

pub const FNS: &[(&str, Callback)] = &[
    ("leaseNew", lease_new),
    ("leasePlan", lease_plan),
    ("leaseGrant", lease_grant),
    ("leaseSpend", lease_spend),
    ("leaseSnapshot", lease_snapshot),
    ("leaseRevoke", lease_revoke),
];
