//! `limit`: one GCRA decision on shared state per matching rule.

use super::{request_header, Refusal};
use crate::config::{KeySource, Mode, OnStateError};
use crate::host::{self, LOG_WARN};
use crate::keyed;
use crate::plan::{Plan, RulePlan};
use crate::request::{self, Request};
use crate::shared::{self, EnvoyStore};
use weir_core::Decision;

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
fn key_hash(key: &KeySource, req: &Request) -> Option<u64> {
    match key {
        KeySource::None => Some(0),
        KeySource::Header(name) => Some(keyed::hash(&request_header(name)?)),
        KeySource::Path => Some(keyed::hash(request::path_only(req.path.as_deref()?))),
        KeySource::ClientAddress => {
            let addr = host::property(&["source", "address"])?;
            Some(keyed::hash(request::address_host(&addr)))
        }
        KeySource::RawHeader(name) => request::parse_uint(&request_header(name)?),
    }
}

pub fn run(plan: &Plan, index: usize, rp: &RulePlan, req: &Request, now: u64, notes: &mut Admitted) -> Option<Refusal> {
    let limit = rp.rule.limit.as_ref()?;
    let hash = key_hash(&limit.key, req)?;
    let cost = limit
        .cost_header
        .as_deref()
        .and_then(request_header)
        .and_then(|v| request::parse_uint(&v))
        .unwrap_or(limit.cost);
    let result = if limit.key == KeySource::None {
        shared::gcra_acquire(&EnvoyStore, &rp.state_key, &limit.gcra, now, cost)
    } else {
        let mut buf = plan.key_buf.try_borrow_mut().ok()?;
        let set = keyed::set_key(&mut buf, &rp.state_key, keyed::set_index(hash, rp.sets));
        keyed::acquire(&EnvoyStore, set, &limit.gcra, hash, now, cost)
    };
    let m = &plan.metrics;
    let c = &rp.counters;
    let decision = match result {
        Ok(d) => d,
        Err(e) => {
            m.inc(c.state_error);
            host::log(LOG_WARN, &format!("weir: rule \"{}\": shared state unusable: {e:?}", rp.rule.name));
            if rp.rule.on_state_error == OnStateError::Allow {
                return None;
            }
            shared::state_error_decision()
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
