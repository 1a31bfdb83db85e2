//! The filter's contexts: a root per plugin (configuration, per-worker
//! state, the stats flush tick), a stream per request. `exports` calls them.
//!
//! The decisions are weir-policy's (the same engine the dynamic module
//! runs): this file reads the configuration, builds the VM's plan over
//! Envoy shared data, hands each request to the engine through the host
//! calls, sends the answers it returns and flushes its counters.

use crate::host::{self, LOG_ERROR, LOG_INFO, LOG_WARN, MAP_REQUEST_HEADERS, MAP_RESPONSE_HEADERS};
use crate::shared::EnvoyStore;
use std::borrow::Cow;
use std::rc::Rc;
use weir_policy::exchange::Exchange;
use weir_policy::hot_keys;
use weir_policy::plan::{self, Plan};
use weir_policy::shared_data::SharedData;
use weir_policy::{answer::Answer, config};

/// What `proxy_on_request_headers` answers: go on, or stop (the filter
/// sent a local response).
pub const CONTINUE: u32 = 0;
pub const PAUSE: u32 = 1;

type VmPlan = Plan<SharedData<EnvoyStore>>;

/// A plan and the Envoy metric id of each of its counters and hot-key
/// gauges.
struct Bound {
    plan: VmPlan,
    ids: Vec<Option<u32>>,
    /// In the order of `hot_keys::gauge_values`.
    hot_key_gauges: Vec<Option<u32>>,
}

impl Bound {
    /// Hands the batched counters to the host (the tick, and a root's end)
    /// and sets the hot-key gauges: off the request path, each gauge one
    /// host call per tick whatever the traffic.
    fn flush(&self) {
        self.plan.metrics.drain(|counter, n| {
            host::increment(self.ids.get(counter.0).copied().flatten(), i64::try_from(n).unwrap_or(i64::MAX));
        });
        if !self.hot_key_gauges.is_empty() {
            let Ok(now) = host::now() else { return };
            for (id, value) in self.hot_key_gauges.iter().zip(hot_keys::gauge_values(&self.plan, now)) {
                host::set_gauge(*id, value);
            }
        }
    }
}

#[derive(Default)]
pub struct Root {
    bound: Option<Rc<Bound>>,
}

impl Root {
    pub fn configure(&mut self, size: usize) -> bool {
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
        let now = host::now().unwrap_or(0);
        match plan::build(config, SharedData(EnvoyStore), now, weir_policy::rng::Rng::seed(now)) {
            Ok(p) => {
                host::log(LOG_INFO, &format!("weir: configured {} rule(s)", p.rules.len()));
                host::set_tick_period_ms(p.stats_flush_ms);
                let ids = p.metrics.names().iter().map(|name| host::define_counter(name)).collect();
                let hot_key_gauges = hot_keys::gauge_names(&p).iter().map(|name| host::define_gauge(name)).collect();
                if let Some(old) = self.bound.replace(Rc::new(Bound { plan: p, ids, hot_key_gauges })) {
                    old.flush();
                }
                true
            }
            Err(message) => {
                host::log(LOG_ERROR, &format!("weir: configuration refused: {message}"));
                false
            }
        }
    }

    /// Hands the batched counters to the host (the tick, and a root's end).
    pub fn flush(&self) {
        if let Some(bound) = &self.bound {
            bound.flush();
        }
    }

    pub fn stream(&self) -> Stream {
        Stream { bound: self.bound.clone(), engine: weir_policy::stream::Stream::default() }
    }
}

/// Traps the VM on purpose; see `debug.trap_on_header`.
fn trap() {
    #[cfg(target_arch = "wasm32")]
    core::arch::wasm32::unreachable();
}

/// What one request holds between its request and its response.
#[derive(Default)]
pub struct Stream {
    bound: Option<Rc<Bound>>,
    engine: weir_policy::stream::Stream,
}

impl Stream {
    pub fn request_headers(&mut self) -> u32 {
        let Some(bound) = self.bound.clone() else {
            return CONTINUE;
        };
        let plan = &bound.plan;
        if let Some(h) = &plan.debug.trap_on_header {
            if host::header(MAP_REQUEST_HEADERS, h).is_some() {
                trap();
            }
        }
        let Ok(now) = host::now() else {
            return CONTINUE;
        };
        match self.engine.request(plan, &mut HostExchange, now) {
            None => CONTINUE,
            Some(answer) => {
                send(&answer);
                PAUSE
            }
        }
    }

    pub fn response_headers(&mut self) {
        if let Some(bound) = self.bound.clone() {
            let started = self.engine.started();
            self.engine.response(&bound.plan, &mut HostExchange, || host::now().unwrap_or(started));
        }
    }

    /// The stream's end, response or not.
    pub fn done(&mut self) {
        if let Some(bound) = self.bound.clone() {
            let started = self.engine.started();
            self.engine.done(&bound.plan, || host::now().unwrap_or(started));
        }
    }
}

fn send(answer: &Answer) {
    if let Err(s) =
        host::send_local_response(answer.status, &answer.details, answer.body.as_bytes(), &answer.header_pairs())
    {
        host::log(LOG_WARN, &format!("weir: local response refused by host (status {})", s.0));
    }
}

/// The current request and response, through proxy-wasm host calls.
struct HostExchange;

impl Exchange for HostExchange {
    fn request_header(&self, name: &str) -> Option<Cow<'_, [u8]>> {
        host::header(MAP_REQUEST_HEADERS, name).map(Cow::Owned)
    }
    fn set_request_header(&mut self, name: &str, value: &[u8]) {
        host::replace_header_bytes(MAP_REQUEST_HEADERS, name, value);
    }
    fn client_address(&self) -> Option<Cow<'_, [u8]>> {
        host::property(&["source", "address"]).map(Cow::Owned)
    }
    fn response_header(&self, name: &str) -> Option<Cow<'_, [u8]>> {
        host::header(MAP_RESPONSE_HEADERS, name).map(Cow::Owned)
    }
    fn add_response_header(&mut self, name: &str, value: &str) {
        host::add_header(MAP_RESPONSE_HEADERS, name, value);
    }
    fn warn(&self, message: &str) {
        host::log(LOG_WARN, message);
    }
}
