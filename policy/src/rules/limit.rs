//! `limit`: one GCRA decision on the store's state per limit of a matching rule.

use super::key;
use super::Refusal;
use crate::config::{Limit, Mode, OnStateError};
use crate::exchange::Exchange;
use crate::hot_keys::LimitHotKeys;
use crate::plan::{LimitPlan, LimitState, Plan, RulePlan};
use crate::request::{self, Request};
use crate::store::{state_error_decision, LimitStore, StateError};
use std::cell::RefCell;
use weir_core::lease::{Lease, Spend};
use weir_core::{Decision, Reason};

/// What an admitted request adds to its response.
#[derive(Debug, Default)]
pub struct Admitted {
    /// `x-ratelimit-*` values: (limit, remaining, reset ns).
    pub success_headers: Option<(u64, u64, u64)>,
    /// The exact decision, for rules with `debug_headers`.
    pub debug: Option<Decision>,
}

/// Decides every limit of the rule in order; the first refusal answers.
/// Limits decided before it have spent their tokens (as a client holding
/// several quotas spends from each it passed), so list the tightest first.
pub fn run<S: LimitStore>(
    plan: &Plan<S>,
    index: usize,
    rp: &RulePlan<S>,
    req: &Request,
    ex: &impl Exchange,
    now: u64,
    notes: &mut Admitted,
) -> Option<Refusal> {
    let mut decided = false;
    // Of this rule's limits, the one closest to refusing speaks for it.
    let mut headers: Option<(u64, u64, u64)> = None;
    for (limit, lp) in rp.rule.limits.iter().zip(&rp.limits) {
        match decide(plan, rp, limit, lp, req, ex, now) {
            Step::Skipped => {}
            Step::Admitted(decision) => {
                decided = true;
                if limit.headers_on_success && headers.is_none_or(|(_, left, _)| decision.remaining < left) {
                    headers = Some((limit.burst, decision.remaining, decision.reset_after));
                }
                if rp.rule.debug_headers {
                    notes.debug = Some(decision);
                }
            }
            Step::Refused(decision) => return refused(plan, index, rp, limit, decision),
        }
    }
    if decided {
        plan.metrics.inc(rp.counters.admitted);
    }
    if headers.is_some() {
        notes.success_headers = headers;
    }
    None
}

/// [`run`] for a plan that is one plain limit ([`Plan::one_plain_limit`]):
/// rule 0, its one limit, on an unkeyed bucket at the limit's fixed cost,
/// without a lease, hot keys or debug headers. The same decision
/// and the same counts as `run`, without the loop and the checks such a
/// limit skips: in Envoy every cache line of code a request runs is a miss,
/// and this is most proxies' whole policy.
#[inline(always)]
pub fn run_plain<S: LimitStore>(plan: &Plan<S>, ex: &impl Exchange, now: u64, notes: &mut Admitted) -> Option<Refusal> {
    let rp = plan.rules.first()?;
    let limit = rp.rule.limits.first()?;
    let LimitState::Bucket(bucket) = &rp.limits.first()?.state else { return None };
    match step(plan, rp, ex, plan.store.acquire(bucket, &limit.gcra, now, limit.cost)) {
        Step::Skipped => None,
        Step::Admitted(decision) => {
            if limit.headers_on_success {
                notes.success_headers = Some((limit.burst, decision.remaining, decision.reset_after));
            }
            plan.metrics.inc(rp.counters.admitted);
            None
        }
        Step::Refused(decision) => refused(plan, 0, rp, limit, decision),
    }
}

/// A limit's refusal: counted, and in shadow mode let through.
fn refused<S: LimitStore>(
    plan: &Plan<S>,
    index: usize,
    rp: &RulePlan<S>,
    limit: &Limit,
    decision: Decision,
) -> Option<Refusal> {
    if rp.rule.mode == Mode::Shadow {
        plan.metrics.inc(rp.counters.shadow_limited);
        return None;
    }
    plan.metrics.inc(rp.counters.limited);
    Some(Refusal { rule: index, status: limit.status, decision, burst: Some(limit.burst), label: None })
}

enum Step {
    /// The request lacks the key, or the state failed open.
    Skipped,
    Admitted(Decision),
    Refused(Decision),
}

fn decide<S: LimitStore>(
    plan: &Plan<S>,
    rp: &RulePlan<S>,
    limit: &Limit,
    lp: &LimitPlan<S>,
    req: &Request,
    ex: &impl Exchange,
    now: u64,
) -> Step {
    let Some(hash) = key::hash(&plan.key_seed, &limit.key, req, ex) else { return Step::Skipped };
    if let Some(hot) = &lp.hot {
        record_hot(hot, limit, hash, req, ex, now);
    }
    let cost = match &limit.cost_header {
        None => limit.cost,
        Some(name) => cost_of(name, ex, limit.cost),
    };
    let result = match (&lp.state, &lp.lease) {
        (LimitState::Bucket(bucket), Some(lease)) => {
            leased(&plan.store, bucket, limit, lease, plan.clock_base, now, cost)
        }
        (LimitState::Bucket(bucket), None) => plan.store.acquire(bucket, &limit.gcra, now, cost),
        (LimitState::Table(table), _) => plan.store.acquire_keyed(table, &limit.gcra, hash, now, cost),
        (LimitState::None, _) => return Step::Skipped,
    };
    step(plan, rp, ex, result)
}

/// What the store answered, as a step of the rule.
#[inline(always)]
fn step<S: LimitStore>(
    plan: &Plan<S>,
    rp: &RulePlan<S>,
    ex: &impl Exchange,
    result: Result<Decision, StateError>,
) -> Step {
    match result {
        Ok(decision) if decision.is_admitted() => Step::Admitted(decision),
        Ok(decision) => Step::Refused(decision),
        Err(e) => state_error(plan, rp, ex, e),
    }
}

/// Counts the key whatever the decision (a key refused often is hot too); a
/// report being read elsewhere skips one count rather than wait. Out of
/// line, as is the cost header: the plain limit's code stays a few cache
/// lines, and in Envoy each line a request touches is a miss. The lease and
/// the keyed table stay inline: out of line, they made a binding's policy
/// check a third slower (`benches/benches/policy.rs`, 26 -> 37 ns), for
/// three fewer code lines in Envoy.
#[inline(never)]
fn record_hot(hot: &RefCell<LimitHotKeys>, limit: &Limit, hash: u64, req: &Request, ex: &impl Exchange, now: u64) {
    if let Ok(mut hot) = hot.try_borrow_mut() {
        hot.record(now, hash, || key::shown(&limit.key, req, ex));
    }
}

/// The request's cost from its `cost_header`, else `default`.
#[inline(never)]
fn cost_of(header: &str, ex: &impl Exchange, default: u64) -> u64 {
    ex.request_header(header).and_then(|v| request::parse_uint(&v)).unwrap_or(default)
}

/// The store failed: counted, logged, and the rule's `on_state_error`.
#[cold]
fn state_error<S: LimitStore>(plan: &Plan<S>, rp: &RulePlan<S>, ex: &impl Exchange, e: StateError) -> Step {
    plan.metrics.inc(rp.counters.state_error);
    ex.warn(&format!("weir: rule \"{}\": shared state unusable: {e:?}", rp.rule.name));
    if rp.rule.on_state_error == OnStateError::Allow {
        return Step::Skipped;
    }
    Step::Refused(state_error_decision())
}

/// A decision through this worker's lease: spend from it when it holds the
/// cost, else take `lease` tokens from the shared bucket in one CAS (core's
/// GCRA with that cost) and spend from them. When the bucket cannot give a
/// whole batch, the request asks for just its own cost, so the bucket
/// drains to exactly zero and the refusal is the plain GCRA's.
///
/// Core's lease keeps expiries in 40 bits of ~1 ms ticks (2^60 ns), which
/// Envoy's clock (wall-clock ns since 1970, past 2^60) overflows, so the
/// lease runs on the time since this VM was configured (`base`).
fn leased<S: LimitStore>(
    store: &S,
    bucket: &S::Bucket,
    limit: &Limit,
    cell: &RefCell<Lease>,
    base: u64,
    now: u64,
    cost: u64,
) -> Result<Decision, StateError> {
    let local = now.saturating_sub(base);
    let exact = || store.acquire(bucket, &limit.gcra, now, cost);
    let Ok(mut lease) = cell.try_borrow_mut() else { return exact() };
    if cost >= limit.lease {
        return exact(); // A batch would be this one request.
    }
    let spent = |left| Decision { reason: Reason::Admitted, retry_after: 0, remaining: left, reset_after: 0 };
    if let Spend::Spent { left } = lease.try_spend(local, cost) {
        return Ok(spent(left));
    }
    let d = store.acquire(bucket, &limit.gcra, now, limit.lease)?;
    if !d.is_admitted() {
        return exact();
    }
    // Tokens still in the old lease (fewer than `cost`) are dropped by the
    // cap: the worker holds at most `lease`, all taken from the bucket.
    lease.grant(local, limit.lease, local.saturating_add(limit.lease_ttl_ns));
    match lease.try_spend(local, cost) {
        Spend::Spent { left } => Ok(spent(left)),
        // Unreachable (cost < lease was just granted); the batch covered it.
        _ => Ok(d),
    }
}
