//! The filter's contexts: a root per plugin (configuration, per-worker
//! state, the stats flush tick), a stream per request. `exports` calls them.
//!
//! A request runs the matching rules' actions in phases, so that nothing
//! holding a slot is taken before a refusal that would strand it: every
//! `limit`, then the first `deadline`, every `throttle`, the first `shed`,
//! the first `pick`. A request goes to one upstream, hence one deadline,
//! one shedder slot and one picked cluster.

use crate::answer;
use crate::config;
use crate::host::{self, LOG_ERROR, LOG_INFO, MAP_RESPONSE_HEADERS};
use crate::plan::{self, Plan};
use crate::request::{self, Request};
use crate::rules::{self, limit::Admitted, request_header, Refusal};
use crate::shared::EnvoyStore;
use std::rc::Rc;
use weir_core::picker::PickTicket;

/// What `proxy_on_request_headers` answers: go on, or stop (the filter
/// sent a local response).
pub const CONTINUE: u32 = 0;
pub const PAUSE: u32 = 1;

#[derive(Default)]
pub struct Root {
    plan: Option<Rc<Plan>>,
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
        match plan::build(config, &EnvoyStore, now, crate::rng::Rng::seed(now)) {
            Ok(p) => {
                host::log(LOG_INFO, &format!("weir: configured {} rule(s)", p.rules.len()));
                host::set_tick_period_ms(p.stats_flush_ms);
                if let Some(old) = self.plan.replace(Rc::new(p)) {
                    old.metrics.flush();
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
        if let Some(plan) = &self.plan {
            plan.metrics.flush();
        }
    }

    pub fn stream(&self) -> Stream {
        Stream { plan: self.plan.clone(), ..Stream::default() }
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
    plan: Option<Rc<Plan>>,
    notes: Admitted,
    started: u64,
    /// Rules (bit = index) whose throttle sent this request on.
    throttles: u64,
    /// The rule whose shedder admitted this request.
    shed: Option<usize>,
    pick: Option<(usize, PickTicket)>,
    /// The filter answered itself; that answer is not the upstream's.
    answered: bool,
}

impl Stream {
    fn decide(&mut self, plan: &Plan, now: u64) -> Result<(), Refusal> {
        let req = Request {
            path: if plan.needs_path { request_header(":path") } else { None },
            method: if plan.needs_method { request_header(":method") } else { None },
        };
        let mut matched = 0u64;
        for (i, rp) in plan.rules.iter().enumerate() {
            if request::matches(&rp.rule.matcher, &req, request_header) {
                matched |= 1 << i;
            }
        }
        let fits = |i: usize| matched & (1 << i) != 0;
        for (i, rp) in plan.rules.iter().enumerate().filter(|(i, _)| fits(*i)) {
            if let Some(r) = rules::limit::run(plan, i, rp, &req, now, &mut self.notes) {
                return Err(r);
            }
        }
        let first =
            |has: fn(&config::Rule) -> bool| plan.rules.iter().enumerate().find(|(i, rp)| fits(*i) && has(&rp.rule));
        if let Some((i, rp)) = first(|r| r.deadline.is_some()) {
            if let Some(r) = rules::deadline::run(plan, i, rp, now) {
                return Err(r);
            }
        }
        for (i, rp) in plan.rules.iter().enumerate().filter(|(i, rp)| fits(*i) && rp.throttle.is_some()) {
            if rules::throttle::acquire(plan, i, rp, now)? {
                self.throttles |= 1 << i;
            }
        }
        if let Some((i, rp)) = first(|r| r.shed.is_some()) {
            if rules::shed::acquire(plan, i, rp, now)? {
                self.shed = Some(i);
            }
        }
        if let Some((i, rp)) = first(|r| r.pick.is_some()) {
            self.pick = rules::pick::pick(plan, rp, now).map(|t| (i, t));
        }
        Ok(())
    }

    /// Reports the upstream's answer (`status` `None`: it never came) to
    /// every throttle, shedder and picker that let this request through.
    fn complete(&mut self, plan: &Plan, now: u64, status: Option<u32>) {
        if !self.pending() {
            return;
        }
        // The CPU header is read once (shed and pick usually share
        // `x-weir-cpu`), and never when no response came.
        let read_cpu = |header: &str| -> Option<u64> {
            status?;
            host::header(MAP_RESPONSE_HEADERS, header).and_then(|v| request::parse_uint(&v))
        };
        let mut shed_cpu: Option<(&str, Option<u64>)> = None;
        if let Some(rp) = self.shed.take().and_then(|i| plan.rules.get(i)) {
            if let Some(s) = &rp.rule.shed {
                let cpu = read_cpu(&s.cpu_header);
                shed_cpu = Some((&s.cpu_header, cpu));
                rules::shed::done(rp, self.started, now, cpu);
            }
        }
        let throttles = std::mem::take(&mut self.throttles);
        for (_, rp) in plan.rules.iter().enumerate().filter(|(i, _)| throttles & (1 << i) != 0) {
            rules::throttle::record(plan, rp, now, status);
        }
        if let Some((rp, ticket)) = self.pick.take().and_then(|(i, t)| Some((plan.rules.get(i)?, t))) {
            if let Some(p) = &rp.rule.pick {
                let cpu = match shed_cpu {
                    Some((name, cpu)) if name == p.cpu_header => cpu,
                    _ => read_cpu(&p.cpu_header),
                };
                rules::pick::done(rp, ticket, self.started, now, status, cpu);
            }
        }
    }

    /// Whether a throttle, shedder or picker waits for this request's answer.
    fn pending(&self) -> bool {
        self.shed.is_some() || self.throttles != 0 || self.pick.is_some()
    }

    /// Takes the request back from every learner that let it through
    /// before a later phase answered it: the filter's own answer is neither
    /// a request the upstream saw nor its failure. Throttles admit before
    /// the shedder, so a shed request is in their windows; the shedder's
    /// slot goes back without a response time; the picker runs last, so no
    /// phase refuses a picked request.
    fn forget(&mut self, plan: &Plan) {
        let throttles = std::mem::take(&mut self.throttles);
        for (_, rp) in plan.rules.iter().enumerate().filter(|(i, _)| throttles & (1 << i) != 0) {
            rules::throttle::forget(rp, self.started);
        }
        if let Some(rp) = self.shed.take().and_then(|i| plan.rules.get(i)) {
            rules::shed::cancel(rp);
        }
        self.pick = None;
    }

    pub fn request_headers(&mut self) -> u32 {
        let Some(plan) = self.plan.clone() else {
            return CONTINUE;
        };
        if let Some(h) = &plan.debug.trap_on_header {
            if request_header(h).is_some() {
                trap();
            }
        }
        let Ok(now) = host::now() else {
            return CONTINUE;
        };
        self.started = now;
        match self.decide(&plan, now) {
            Ok(()) => CONTINUE,
            Err(r) => {
                self.forget(&plan);
                self.answered = true;
                if let Some(rp) = plan.rules.get(r.rule) {
                    answer::refuse(&rp.rule.name, rp.rule.debug_headers, &r);
                }
                PAUSE
            }
        }
    }

    pub fn response_headers(&mut self) {
        if self.answered {
            return;
        }
        if let Some(plan) = self.plan.clone() {
            if self.pending() {
                let now = host::now().unwrap_or(self.started);
                let status = host::header(MAP_RESPONSE_HEADERS, ":status").and_then(|v| request::parse_uint(&v));
                self.complete(&plan, now, Some(status.map_or(0, |s| s.min(999) as u32)));
            }
        }
        if let Some((limit, remaining, reset)) = self.notes.success_headers.take() {
            host::add_header(MAP_RESPONSE_HEADERS, "x-ratelimit-limit", &limit.to_string());
            host::add_header(MAP_RESPONSE_HEADERS, "x-ratelimit-remaining", &remaining.to_string());
            host::add_header(MAP_RESPONSE_HEADERS, "x-ratelimit-reset", &request::ceil_seconds(reset).to_string());
        }
        if let Some(d) = self.notes.debug.take() {
            for (k, v) in answer::debug_values(&d) {
                host::add_header(MAP_RESPONSE_HEADERS, k, &v);
            }
        }
    }

    /// The stream's end, response or not.
    pub fn done(&mut self) {
        // A stream that ends without response headers (reset, timeout)
        // still frees its shedder slot and counts as a failure. Most
        // streams have nothing pending: no clock read for them.
        if !self.pending() {
            return;
        }
        if let Some(plan) = self.plan.clone() {
            let now = host::now().unwrap_or(self.started);
            self.complete(&plan, now, None);
        }
    }
}
