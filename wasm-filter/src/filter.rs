//! The proxy-wasm contexts: one root per VM (configuration, shared state),
//! one HTTP context per request (match, decide, answer).

use crate::config::{self, KeySource, Mode, OnStateError};
use crate::host::{self, LOG_ERROR, LOG_INFO, LOG_WARN, MAP_REQUEST_HEADERS, MAP_RESPONSE_HEADERS};
use crate::keyed;
use crate::plan::{self, Plan, RulePlan};
use crate::request::{self, Request};
use crate::shared::{self, EnvoyStore};
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType};
use std::rc::Rc;
use weir_core::Decision;

#[derive(Default)]
pub struct Root {
    plan: Option<Rc<Plan>>,
}

impl Context for Root {}

impl RootContext for Root {
    fn on_configure(&mut self, size: usize) -> bool {
        let bytes = match host::plugin_configuration(size) {
            Ok(b) => b,
            Err(s) => {
                host::log(LOG_ERROR, &format!("weir: configuration refused: cannot read it (host status {})", s.0));
                return false;
            }
        };
        let config = match config::parse(&bytes) {
            Ok(c) => c,
            Err(problem) => {
                host::log(LOG_ERROR, &format!("weir: configuration refused: {problem}"));
                return false;
            }
        };
        match plan::build(config, &EnvoyStore) {
            Ok(p) => {
                host::log(LOG_INFO, &format!("weir: configured {} rule(s)", p.rules.len()));
                self.plan = Some(Rc::new(p));
                true
            }
            Err(message) => {
                host::log(LOG_ERROR, &format!("weir: configuration refused: {message}"));
                false
            }
        }
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Stream { plan: self.plan.clone(), success_headers: None, debug: None }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

pub struct Stream {
    plan: Option<Rc<Plan>>,
    /// `x-ratelimit-*` values to add to the response of an admitted request.
    success_headers: Option<(u64, u64, u64)>,
    /// The exact admitted decision, for rules with `debug_headers`.
    debug: Option<Decision>,
}

impl Context for Stream {}

fn request_header(name: &str) -> Option<Vec<u8>> {
    host::header(MAP_REQUEST_HEADERS, name)
}

/// The state key and key hash of a rule for this request; `None` when the
/// request lacks what the rule keys on (then the rule does not apply).
fn key_for(rp: &RulePlan, key: &KeySource, req: &Request) -> Option<(String, u64)> {
    let raw = match key {
        KeySource::None => return Some((rp.state_key.clone(), 0)),
        KeySource::Header(name) => request_header(name)?,
        KeySource::Path => request::path_only(req.path.as_deref()?).to_vec(),
        KeySource::ClientAddress => {
            let addr = host::property(&["source", "address"])?;
            request::address_host(&addr).to_vec()
        }
    };
    let hash = keyed::hash(&raw);
    Some((keyed::set_key(&rp.state_key, keyed::set_index(hash, rp.sets)), hash))
}

impl Stream {
    /// Runs one rule; `Some` is the decision that refuses the request.
    fn run(&mut self, rp: &RulePlan, req: &Request, now: u64) -> Option<Decision> {
        let limit = rp.rule.limit.as_ref()?;
        let (state_key, hash) = key_for(rp, &limit.key, req)?;
        let cost = limit
            .cost_header
            .as_deref()
            .and_then(request_header)
            .and_then(|v| request::parse_cost(&v))
            .unwrap_or(limit.cost);
        let result = if limit.key == KeySource::None {
            shared::gcra_acquire(&EnvoyStore, &state_key, &limit.gcra, now, cost)
        } else {
            keyed::acquire(&EnvoyStore, &state_key, &limit.gcra, hash, now, cost)
        };
        let decision = match result {
            Ok(d) => d,
            Err(e) => {
                host::increment(rp.counters.state_error, 1);
                host::log(LOG_WARN, &format!("weir: rule \"{}\": shared state unusable: {e:?}", rp.rule.name));
                if rp.rule.on_state_error == OnStateError::Allow {
                    return None;
                }
                shared::state_error_decision()
            }
        };
        if decision.is_admitted() {
            host::increment(rp.counters.admitted, 1);
            if limit.headers_on_success {
                self.success_headers = Some((limit.burst, decision.remaining, decision.reset_after));
            }
            if rp.rule.debug_headers {
                self.debug = Some(decision);
            }
            return None;
        }
        if rp.rule.mode == Mode::Shadow {
            host::increment(rp.counters.shadow_limited, 1);
            return None;
        }
        host::increment(rp.counters.limited, 1);
        Some(decision)
    }

    fn refuse(&self, rp: &RulePlan, d: &Decision) {
        let (status, burst) = rp.rule.limit.as_ref().map_or((429, 0), |l| (l.status, l.burst));
        let retry = request::ceil_seconds(d.retry_after).to_string();
        let limit = burst.to_string();
        let remaining = d.remaining.to_string();
        let reset = request::ceil_seconds(d.reset_after).to_string();
        let body = format!("weir: {} by rule \"{}\"\n", d.reason.as_str(), rp.rule.name);
        let debug = debug_values(d);
        let mut headers = vec![
            ("retry-after", retry.as_str()),
            ("x-ratelimit-limit", limit.as_str()),
            ("x-ratelimit-remaining", remaining.as_str()),
            ("x-ratelimit-reset", reset.as_str()),
            ("x-weir-rule", rp.rule.name.as_str()),
        ];
        if rp.rule.debug_headers {
            headers.extend(debug.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let details = format!("weir_{}", d.reason.as_str());
        if let Err(s) = host::send_local_response(status, &details, body.as_bytes(), &headers) {
            host::log(LOG_WARN, &format!("weir: local response refused by host (status {})", s.0));
        }
    }
}

fn debug_values(d: &Decision) -> [(&'static str, String); 4] {
    [
        ("x-weir-reason", d.reason.as_str().to_string()),
        ("x-weir-retry-after-ns", d.retry_after.to_string()),
        ("x-weir-remaining", d.remaining.to_string()),
        ("x-weir-reset-after-ns", d.reset_after.to_string()),
    ]
}

impl HttpContext for Stream {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        let Some(plan) = self.plan.clone() else {
            return Action::Continue;
        };
        let req = Request {
            path: if plan.needs_path { request_header(":path") } else { None },
            method: if plan.needs_method { request_header(":method") } else { None },
        };
        let now = match host::now() {
            Ok(t) => t,
            Err(_) => return Action::Continue,
        };
        for rp in &plan.rules {
            if !request::matches(&rp.rule.matcher, &req, request_header) {
                continue;
            }
            if let Some(decision) = self.run(rp, &req, now) {
                self.refuse(rp, &decision);
                return Action::Pause;
            }
        }
        Action::Continue
    }

    fn on_http_response_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        if let Some((limit, remaining, reset)) = self.success_headers.take() {
            host::add_header(MAP_RESPONSE_HEADERS, "x-ratelimit-limit", &limit.to_string());
            host::add_header(MAP_RESPONSE_HEADERS, "x-ratelimit-remaining", &remaining.to_string());
            host::add_header(MAP_RESPONSE_HEADERS, "x-ratelimit-reset", &request::ceil_seconds(reset).to_string());
        }
        if let Some(d) = self.debug.take() {
            for (k, v) in debug_values(&d) {
                host::add_header(MAP_RESPONSE_HEADERS, k, &v);
            }
        }
        Action::Continue
    }
}
