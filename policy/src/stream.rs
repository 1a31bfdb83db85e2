//! One request through the plan: the matching rules' actions in phases, so
//! that nothing holding a slot is taken before a refusal that would strand
//! it: every `limit`, then the first `deadline`, every `throttle`, the first
//! `shed`, the first `pick`. A request goes to one upstream, hence one
//! deadline, one shedder slot and one picked cluster. Its response (or its
//! end without one) teaches the throttles, the shedder and the picker that
//! let it through.

use crate::answer::{self, Answer};
use crate::config;
use crate::exchange::Exchange;
use crate::plan::Plan;
use crate::request::{self, Request};
use crate::rules::{self, limit::Admitted, Refusal};
use crate::store::LimitStore;
use weir_core::picker::PickTicket;

/// What one request holds between its request and its response.
#[derive(Debug, Default)]
pub struct Stream {
    notes: Admitted,
    started: u64,
    /// Rules (bit = index) whose throttle sent this request on.
    throttles: u64,
    /// The rule whose shedder or latency limit admitted this request.
    shed: Option<(usize, rules::shed::Held)>,
    pick: Option<(usize, PickTicket)>,
    /// weir answered itself; that answer is not the upstream's.
    answered: bool,
}

impl Stream {
    /// Decides a request at `now`: `None` lets it go on (with any request
    /// headers the rules set), `Some` is the answer to send instead.
    pub fn request<S: LimitStore>(&mut self, plan: &Plan<S>, ex: &mut impl Exchange, now: u64) -> Option<Answer> {
        self.started = now;
        let refusal = self.decide(plan, ex, now).err()?;
        self.forget(plan);
        self.answered = true;
        let rp = plan.rules.get(refusal.rule)?;
        Some(answer::refusal(&rp.rule.name, rp.rule.debug_headers, &refusal))
    }

    fn decide<S: LimitStore>(&mut self, plan: &Plan<S>, ex: &mut impl Exchange, now: u64) -> Result<(), Refusal> {
        let req = Request {
            path: if plan.needs_path { ex.request_header(":path").map(|v| v.into_owned()) } else { None },
            method: if plan.needs_method { ex.request_header(":method").map(|v| v.into_owned()) } else { None },
        };
        let mut matched = 0u64;
        for (i, rp) in plan.rules.iter().enumerate() {
            if request::matches(&rp.rule.matcher, &req, |name| ex.request_header(name)) {
                matched |= 1 << i;
            }
        }
        let fits = |i: usize| matched & (1 << i) != 0;
        for (i, rp) in plan.rules.iter().enumerate().filter(|(i, _)| fits(*i)) {
            if let Some(r) = rules::limit::run(plan, i, rp, &req, ex, now, &mut self.notes) {
                return Err(r);
            }
        }
        let first =
            |has: fn(&config::Rule) -> bool| plan.rules.iter().enumerate().find(|(i, rp)| fits(*i) && has(&rp.rule));
        if let Some((i, rp)) = first(|r| r.deadline.is_some()) {
            if let Some(r) = rules::deadline::run(plan, i, rp, ex, now) {
                return Err(r);
            }
        }
        for (i, rp) in plan.rules.iter().enumerate().filter(|(i, rp)| fits(*i) && rp.throttle.is_some()) {
            if rules::throttle::acquire(plan, i, rp, now)? {
                self.throttles |= 1 << i;
            }
        }
        if let Some((i, rp)) = first(|r| r.shed.is_some()) {
            self.shed = rules::shed::acquire(plan, i, rp, now)?.map(|held| (i, held));
        }
        if let Some((i, rp)) = first(|r| r.pick.is_some()) {
            self.pick = rules::pick::pick(plan, rp, ex, now).map(|t| (i, t));
        }
        Ok(())
    }

    /// The response headers arrived: teaches the learners (status, CPU
    /// header, latency) and adds `x-ratelimit-*` and debug headers to an
    /// admitted request's response.
    pub fn response<S: LimitStore>(&mut self, plan: &Plan<S>, ex: &mut impl Exchange, now: impl FnOnce() -> u64) {
        if self.answered {
            return;
        }
        if self.pending() {
            let now = now();
            let status = ex.response_header(":status").and_then(|v| request::parse_uint(&v));
            self.complete(plan, Some(&*ex), now, Some(status.map_or(0, |s| s.min(999) as u32)));
        }
        self.admitted_headers(ex);
    }

    /// Adds what an admitted request's response carries (`x-ratelimit-*`
    /// for `headers_on_success`, debug headers) to `ex`, once. Hosts that
    /// hand these to their caller at decision time call it after
    /// [`Stream::request`]; otherwise [`Stream::response`] does.
    pub fn admitted_headers(&mut self, ex: &mut impl Exchange) {
        if self.answered {
            return;
        }
        if let Some((limit, remaining, reset)) = self.notes.success_headers.take() {
            ex.add_response_header("x-ratelimit-limit", &limit.to_string());
            ex.add_response_header("x-ratelimit-remaining", &remaining.to_string());
            ex.add_response_header("x-ratelimit-reset", &request::ceil_seconds(reset).to_string());
        }
        if let Some(d) = self.notes.debug.take() {
            for (k, v) in answer::debug_values(&d) {
                ex.add_response_header(k, &v);
            }
        }
    }

    /// The stream's end, response or not. A stream that ends without
    /// response headers (reset, timeout) still frees its shedder slot and
    /// counts as a failure. Most streams have nothing pending: `now` is
    /// not read for them.
    pub fn done<S: LimitStore>(&mut self, plan: &Plan<S>, now: impl FnOnce() -> u64) {
        if self.pending() {
            self.complete::<S, NoExchange>(plan, None, now(), None);
        }
    }

    /// When the request began (its `request` call).
    pub fn started(&self) -> u64 {
        self.started
    }

    /// Reports the upstream's answer (`status` `None`: it never came) to
    /// every throttle, shedder and picker that let this request through.
    fn complete<S: LimitStore, E: Exchange>(&mut self, plan: &Plan<S>, ex: Option<&E>, now: u64, status: Option<u32>) {
        // The CPU header is read once (shed and pick usually share
        // `x-weir-cpu`), and never when no response came.
        let read_cpu = |header: &str| -> Option<u64> {
            status?;
            ex?.response_header(header).and_then(|v| request::parse_uint(&v))
        };
        let mut shed_cpu: Option<(&str, Option<u64>)> = None;
        if let Some((rp, held)) = self.shed.take().and_then(|(i, h)| Some((plan.rules.get(i)?, h))) {
            let cpu = match rp.rule.shed.as_ref().map(|s| &s.mode) {
                Some(config::ShedMode::Cpu { cpu_header, .. }) => {
                    let cpu = read_cpu(cpu_header);
                    shed_cpu = Some((cpu_header, cpu));
                    cpu
                }
                _ => None,
            };
            rules::shed::done(rp, held, self.started, now, status, cpu);
        }
        let grpc_status = match (status, ex) {
            (Some(_), Some(ex)) if plan.needs_grpc_status => {
                ex.response_header("grpc-status").and_then(|v| config::grpc::parse_status(&v))
            }
            _ => None,
        };
        let throttles = std::mem::take(&mut self.throttles);
        for (_, rp) in plan.rules.iter().enumerate().filter(|(i, _)| throttles & (1 << i) != 0) {
            rules::throttle::record(plan, rp, now, status, grpc_status);
        }
        if let Some((rp, ticket)) = self.pick.take().and_then(|(i, t)| Some((plan.rules.get(i)?, t))) {
            if let Some(p) = &rp.rule.pick {
                let cpu = match shed_cpu {
                    Some((name, cpu)) if name == p.cpu_header => cpu,
                    _ => read_cpu(&p.cpu_header),
                };
                rules::pick::done(rp, ticket, self.started, now, (status, grpc_status), cpu);
            }
        }
    }

    /// Whether a throttle, shedder or picker waits for this request's answer.
    pub fn pending(&self) -> bool {
        self.shed.is_some() || self.throttles != 0 || self.pick.is_some()
    }

    /// The picked node: (rule index, index in its `pick.clusters`).
    pub fn picked(&self) -> Option<(usize, u32)> {
        self.pick.as_ref().map(|(rule, ticket)| (*rule, ticket.index))
    }

    /// The caller will never report this request's outcome: every learner
    /// that let it through takes it back, as if weir had answered it.
    pub fn abandon<S: LimitStore>(&mut self, plan: &Plan<S>) {
        self.forget(plan);
    }

    /// Takes the request back from every learner that let it through
    /// before a later phase answered it: weir's own answer is neither a
    /// request the upstream saw nor its failure. Throttles admit before the
    /// shedder, so a shed request is in their windows; the shedder's slot
    /// goes back without a response time; the picker runs last, so no phase
    /// refuses a picked request.
    fn forget<S: LimitStore>(&mut self, plan: &Plan<S>) {
        let throttles = std::mem::take(&mut self.throttles);
        for (_, rp) in plan.rules.iter().enumerate().filter(|(i, _)| throttles & (1 << i) != 0) {
            rules::throttle::forget(rp, self.started);
        }
        if let Some((rp, held)) = self.shed.take().and_then(|(i, h)| Some((plan.rules.get(i)?, h))) {
            rules::shed::cancel(rp, held);
        }
        self.pick = None;
    }
}

/// The exchange of a stream that ended without a response: nothing to read.
enum NoExchange {}

impl Exchange for NoExchange {
    fn request_header(&self, _: &str) -> Option<std::borrow::Cow<'_, [u8]>> {
        match *self {}
    }
    fn set_request_header(&mut self, _: &str, _: &[u8]) {
        match *self {}
    }
    fn client_address(&self) -> Option<std::borrow::Cow<'_, [u8]>> {
        match *self {}
    }
    fn response_header(&self, _: &str) -> Option<std::borrow::Cow<'_, [u8]>> {
        match *self {}
    }
    fn add_response_header(&mut self, _: &str, _: &str) {
        match *self {}
    }
    fn warn(&self, _: &str) {
        match *self {}
    }
}
