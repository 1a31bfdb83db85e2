//! `Lease`: a batch of quota taken from a store the host talks to (an
//! HTTP quota service, a database) and spent locally; core's planner says
//! when to ask for the next batch and how big.

use weir_core::lease::{AtomicLease, LeaseConfig, LeasePlanner, Rate, Spend};
use weir_core::ConfigError;

use crate::errors::created;
use crate::fast;
use crate::fast::Callback;
use crate::scratch::Scratch;
use crate::table::Table;

pub struct NodeLease {
    planner: LeasePlanner,
    cell: AtomicLease,
}

pub static LEASES: Table<NodeLease> = Table::new();

fn lease(s: Scratch) -> Result<NodeLease, ConfigError> {
    let planner = LeasePlanner::new(LeaseConfig {
        min_batch: s.u(1),
        max_batch: s.u(2),
        batch_period_ns: s.u(3),
        lead_ns: s.u(4),
        ttl_ns: s.u(5),
    })?;
    Ok(NodeLease { cell: AtomicLease::new(planner.config().max_batch), planner })
}

fast!(lease_new, |s: Scratch| created(s, &LEASES, lease(s)));

// In: handle, [now] 1, rate tokens 2, rate over ns 3, and either left 4 +
// expires_at 5, or (slot 6 = 1) this lease's own snapshot. Out: ask 1,
// next_at 2, low_water 3.
fast!(lease_plan, |s: Scratch| if let Some(l) = LEASES.get(s.handle()) {
    let now = s.now(1);
    let (left, expires_at) = if s.f(6) == 1.0 {
        let snap = l.cell.snapshot(now);
        (snap.left, snap.expires_at)
    } else {
        (s.int(4), s.int(5))
    };
    let plan = l.planner.plan(now, Rate { tokens: s.int(2), over_ns: s.int(3) }, left, expires_at);
    s.out(1, plan.ask);
    s.out(2, plan.next_at);
    s.out(3, plan.low_water);
});

// In: handle, [now] 1, tokens 2, expires_at 3 (slot 4 = 1: a ttl from now
// instead). Out: slot 1 the tokens left.
fast!(lease_grant, |s: Scratch| if let Some(l) = LEASES.get(s.handle()) {
    let now = s.now(1);
    let expires_at = if s.f(4) == 1.0 { now.saturating_add(s.int(3)) } else { s.int(3) };
    s.out(1, l.cell.grant(now, s.int(2), expires_at));
});

// In: handle, [now] 1, cost 2. Out: slot 1 outcome (0 spent, 1 short, 2
// expired), slot 2 the tokens left.
fast!(lease_spend, |s: Scratch| if let Some(l) = LEASES.get(s.handle()) {
    let (code, left) = match l.cell.try_spend(s.now(1), s.int(2)) {
        Spend::Spent { left } => (0.0, left),
        Spend::Short { left } => (1.0, left),
        Spend::Expired => (2.0, 0),
    };
    s.set_f(1, code);
    s.out(2, left);
});

// In: handle, [now] 1. Out: slot 1 tokens left, 2 expires_at.
fast!(lease_snapshot, |s: Scratch| if let Some(l) = LEASES.get(s.handle()) {
    let snap = l.cell.snapshot(s.now(1));
    s.out(1, snap.left);
    s.out(2, snap.expires_at);
});

// In: handle, [now] 1. Out: slot 1 the tokens dropped.
fast!(lease_revoke, |s: Scratch| if let Some(l) = LEASES.get(s.handle()) {
    s.out(1, l.cell.revoke(s.now(1)));
});

pub const FNS: &[(&str, Callback)] = &[
    ("leaseNew", lease_new),
    ("leasePlan", lease_plan),
    ("leaseGrant", lease_grant),
    ("leaseSpend", lease_spend),
    ("leaseSnapshot", lease_snapshot),
    ("leaseRevoke", lease_revoke),
];
