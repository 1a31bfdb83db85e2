//! `limit`: one GCRA decision on the store's state per matching rule.

use super::Refusal;
use crate::config::Limit;
use crate::config::{KeySource, Mode, OnStateError};
use crate::exchange::Exchange;
use crate::plan::{LimitState, Plan, RulePlan};
use crate::request::{self, Request};
use crate::store::{state_error_decision, LimitStore, StateError};
use std::cell::RefCell;
use weir_core::hash::hash_key;
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

/// The key hash for this request; `None` when the request lacks what the
/// rule keys on (then the rule does not apply).
fn key_hash(key: &KeySource, req: &Request, ex: &impl Exchange) -> Option<u64> {
    match key {
        KeySource::None => Some(0),
        KeySource::Header(name) => Some(hash_key(&ex.request_header(name)?)),
        KeySource::Path => Some(hash_key(request::path_only(req.path.as_deref()?))),
        KeySource::ClientAddress => {
            let addr = ex.client_address()?;
            Some(hash_key(request::address_host(&addr)))
        }
        KeySource::RawHeader(name) => request::parse_uint(&ex.request_header(name)?),
    }
}

pub fn run<S: LimitStore>(
    plan: &Plan<S>,
    index: usize,
    rp: &RulePlan<S>,
    req: &Request,
    ex: &impl Exchange,
    now: u64,
    notes: &mut Admitted,
) -> Option<Refusal> {
    let limit = rp.rule.limit.as_ref()?;
    let hash = key_hash(&limit.key, req, ex)?;
    let cost = limit
        .cost_header
        .as_deref()
        .and_then(|name| ex.request_header(name))
        .and_then(|v| request::parse_uint(&v))
        .unwrap_or(limit.cost);
    let result = match (&rp.limit, &rp.lease) {
        (LimitState::Bucket(bucket), Some(lease)) => {
            leased(&plan.store, bucket, limit, lease, plan.clock_base, now, cost)
        }
        (LimitState::Bucket(bucket), None) => plan.store.acquire(bucket, &limit.gcra, now, cost),
        (LimitState::Table(table), _) => plan.store.acquire_keyed(table, &limit.gcra, hash, now, cost),
        (LimitState::None, _) => return None,
    };
    let m = &plan.metrics;
    let c = &rp.counters;
    let decision = match result {
        Ok(d) => d,
        Err(e) => {
            m.inc(c.state_error);
            ex.warn(&format!("weir: rule \"{}\": shared state unusable: {e:?}", rp.rule.name));
            if rp.rule.on_state_error == OnStateError::Allow {
                return None;
            }
            state_error_decision()
        }
    };
    if decision.is_admitted() {
        m.inc(c.admitted);
        if limit.headers_on_success {
            notes.success_headers = Some((limit.burst, decision.remaining, decision.reset_after));
        }
        if rp.rule.debug_headers {
            notes.debug = Some(decision);
        }
        return None;
    }
    if rp.rule.mode == Mode::Shadow {
        m.inc(c.shadow_limited);
        return None;
    }
    m.inc(c.limited);
    Some(Refusal { rule: index, status: limit.status, decision, burst: Some(limit.burst) })
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
