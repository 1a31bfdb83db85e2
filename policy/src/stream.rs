//! One request through the plan: the matching rules' actions in phases, so
//! that nothing holding a slot is taken before a refusal that would strand
//! it: every `limit`, then the first `deadline`, every `throttle`, the first
//! `shed`, the first `pick` (its gutter when no primary cluster can take
//! the request), the first `breaker` (on the cluster picked, else its
//! `target`). A request goes to one upstream, hence one deadline, one
//! shedder slot, one picked cluster and one breaker. Its response (or its
//! end without one) teaches the throttles, the shedder, the picker and the
//! breaker that let it through; a request weir answered itself teaches none
//! of them. A refusal is answered by the refusing rule's `fallback` when it
//! has one: a configured answer, or the request sent to a degraded cluster.
//! A policy of one plain limit ([`Plan::one_plain_limit`]) has nothing for
//! the phases to order, and is decided without them.
//!
//! An upstream answer carrying `x-weir-no-retry: 1` is an overload a weir
//! further down decided. The breaker does not count it (see
//! `rules/breaker.rs`); the throttle and the picker count it as the
//! refusal it is: the throttle exists to send fewer requests that will be
//! refused, and the picker to prefer a cluster that takes them.

use crate::answer::{self, Answer, PlainRefusal};
use crate::config::{self, Fallback};
use crate::exchange::Exchange;
use crate::plan::{Plan, RulePlan};
use crate::request::{self, Request};
use crate::rules::pick::Pool;
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
    pick: Option<(usize, Pool, PickTicket)>,
    /// The rule whose breaker admitted this request.
    breaker: Option<(usize, rules::breaker::Held)>,
    /// The rule whose `fallback` sent the refused request to its cluster.
    rerouted: Option<usize>,
    /// weir answered itself; that answer is not the upstream's.
    answered: bool,
}

/// The rules whose bits are set in `mask`, in order.
fn each<S: LimitStore>(plan: &Plan<S>, mut mask: u64) -> impl Iterator<Item = (usize, &RulePlan<S>)> {
    core::iter::from_fn(move || {
        let i = mask.trailing_zeros() as usize;
        mask &= mask.wrapping_sub(1);
        plan.rules.get(i).map(|rp| (i, rp))
    })
}

/// The request line parts some rule reads. Out of line, as is the
/// matching: in Envoy every cache line of code a request runs is a miss
/// (Envoy's own work between two requests evicts it), so the code a plain
/// limit runs is kept to a few lines and what it skips goes elsewhere.
#[inline(never)]
fn read_request<'e, S: LimitStore>(plan: &Plan<S>, ex: &'e impl Exchange) -> Request<'e> {
    Request {
        path: if plan.needs_path { ex.request_header(":path") } else { None },
        method: if plan.needs_method { ex.request_header(":method") } else { None },
    }
}

/// Of the rules with a `match`, those the request meets (bit = index).
#[inline(never)]
fn matching<S: LimitStore>(plan: &Plan<S>, req: &Request, ex: &impl Exchange) -> u64 {
    let mut matched = 0u64;
    for (i, rp) in each(plan, plan.phases.conditional) {
        if request::matches(&rp.rule.matcher, req, |name| ex.request_header(name)) {
            matched |= 1 << i;
        }
    }
    matched
}

/// What [`Stream::check`] decided.
#[derive(Debug)]
pub enum Checked<'p> {
    /// The request goes on (with any request headers the rules set).
    Pass,
    /// Send this answer instead: a `fallback`'s, or the hot-key report.
    Answer(Answer),
    /// Send the refusing rule's plain answer instead, laid out by the host
    /// ([`PlainRefusal::send`] or [`PlainRefusal::answer`]).
    Refused(PlainRefusal<'p>),
}

impl Stream {
    /// Decides a request at `now`: `None` lets it go on (with any request
    /// headers the rules set), `Some` is the answer to send instead.
    pub fn request<S: LimitStore>(&mut self, plan: &Plan<S>, ex: &mut impl Exchange, now: u64) -> Option<Answer> {
        match self.check(plan, ex, now) {
            Checked::Pass => None,
            Checked::Answer(answer) => Some(answer),
            Checked::Refused(plain) => Some(plain.answer()),
        }
    }

    /// As [`Stream::request`], with a plain refusal handed back before it
    /// is put into words, so a host can send it without allocating.
    pub fn check<'p, S: LimitStore>(&mut self, plan: &'p Plan<S>, ex: &mut impl Exchange, now: u64) -> Checked<'p> {
        self.started = now;
        if plan.one_plain_limit {
            return self.check_plain(plan, ex, now);
        }
        if let Some(report) = plan.hot_keys_path.as_ref().and_then(|_| crate::hot_keys::answer(plan, ex, now)) {
            self.answered = true;
            return Checked::Answer(report);
        }
        let Err(refusal) = self.decide(plan, ex, now) else { return Checked::Pass };
        self.forget(plan);
        let Some(rp) = plan.rules.get(refusal.rule) else { return Checked::Pass };
        if let Some(fallback) = rp.rule.fallback.as_ref().filter(|_| refusal.may_fall_back()) {
            return self.fall_back(plan, rp, fallback, refusal, ex);
        }
        self.answered = true;
        let grpc = rules::deadline::is_grpc(ex);
        Checked::Refused(PlainRefusal { rule: &rp.rule.name, debug_headers: rp.rule.debug_headers, refusal, grpc })
    }

    /// [`Stream::check`] for a plan that is one plain limit
    /// ([`Plan::one_plain_limit`]): what the phases would do for it, with
    /// nothing pending to forget and no fallback to try.
    #[inline(always)]
    fn check_plain<'p, S: LimitStore>(&mut self, plan: &'p Plan<S>, ex: &impl Exchange, now: u64) -> Checked<'p> {
        let Some(refusal) = rules::limit::run_plain(plan, ex, now, &mut self.notes) else { return Checked::Pass };
        self.answered = true;
        let grpc = rules::deadline::is_grpc(ex);
        let rule = plan.rules.first().map_or("", |rp| rp.rule.name.as_str());
        Checked::Refused(PlainRefusal { rule, debug_headers: false, refusal, grpc })
    }

    /// A refusal answered by its rule's `fallback`. Out of line: the plain
    /// refusal's code stays a few cache lines.
    #[inline(never)]
    fn fall_back<'p, S: LimitStore>(
        &mut self,
        plan: &Plan<S>,
        rp: &RulePlan<S>,
        fallback: &Fallback,
        refusal: Refusal,
        ex: &mut impl Exchange,
    ) -> Checked<'p> {
        plan.metrics.inc(rp.counters.fallback);
        if let Fallback::Cluster { cluster, header } = fallback {
            ex.set_request_header(header, cluster.as_bytes());
            self.notes = Admitted::default();
            self.rerouted = Some(refusal.rule);
            return Checked::Pass;
        }
        self.answered = true;
        let grpc = rules::deadline::is_grpc(ex);
        answer::fallback(&rp.rule.name, fallback, &refusal, grpc).map_or(Checked::Pass, Checked::Answer)
    }

    fn decide<S: LimitStore>(&mut self, plan: &Plan<S>, ex: &mut impl Exchange, now: u64) -> Result<(), Refusal> {
        // The request line is borrowed from the exchange while the matching
        // and the limits read it, and dropped before the later phases,
        // which may set headers.
        let read = &*ex;
        let req = if plan.needs_path || plan.needs_method { read_request(plan, read) } else { Request::default() };
        let mut matched = plan.phases.unconditional;
        if plan.phases.conditional != 0 {
            matched |= matching(plan, &req, read);
        }
        let phases = &plan.phases;
        for (i, rp) in each(plan, matched & phases.limit) {
            if let Some(r) = rules::limit::run(plan, i, rp, &req, read, now, &mut self.notes) {
                return Err(r);
            }
        }
        drop(req);
        if matched & (phases.deadline | phases.throttle | phases.shed | phases.pick | phases.breaker) == 0 {
            return Ok(());
        }
        self.decide_after_limits(plan, ex, now, matched)
    }

    /// The phases after the limits. Out of line: the pickers and breakers
    /// keep kilobytes of candidates on the stack, which a request that only
    /// meets limits (most, in a proxy) should not touch. In Envoy every
    /// cache line a request touches is one Envoy's own work evicted.
    #[inline(never)]
    fn decide_after_limits<S: LimitStore>(
        &mut self,
        plan: &Plan<S>,
        ex: &mut impl Exchange,
        now: u64,
        matched: u64,
    ) -> Result<(), Refusal> {
        let phases = &plan.phases;
        let first = |phase: u64| each(plan, matched & phase).next();
        if let Some((i, rp)) = first(phases.deadline) {
            if let Some(r) = rules::deadline::run(plan, i, rp, ex, now) {
                return Err(r);
            }
        }
        for (i, rp) in each(plan, matched & phases.throttle) {
            if rules::throttle::acquire(plan, i, rp, now)? {
                self.throttles |= 1 << i;
            }
        }
        if let Some((i, rp)) = first(phases.shed) {
            self.shed = rules::shed::acquire(plan, i, rp, now)?.map(|held| (i, held));
        }
        let breaker = first(phases.breaker);
        // A breaker in shadow mode refuses nothing, so it steers nothing.
        let enforced = breaker.filter(|(_, brp)| brp.rule.mode == config::Mode::Enforce);
        let open = |name: &str| enforced.is_some_and(|(_, brp)| !rules::breaker::admits(brp, name, now));
        let mut cluster: Option<&str> = None;
        if let Some((i, rp)) = first(phases.pick) {
            let gutter = rp.rule.pick.as_ref().and_then(|p| p.gutter.as_ref());
            if gutter.is_some() && rules::pick::primaries_full(rp, &open) {
                if let Some(t) = rules::gutter::pick(plan, i, rp, ex, now, &open)? {
                    cluster = gutter.and_then(|g| g.clusters.get(t.index as usize)).map(String::as_str);
                    self.pick = Some((i, Pool::Gutter, t));
                }
            } else if let Some(t) = rules::pick::pick(plan, rp, ex, now, &open) {
                cluster = rp.rule.pick.as_ref().and_then(|p| p.clusters.get(t.index as usize)).map(String::as_str);
                self.pick = Some((i, Pool::Primary, t));
            }
            if let (None, Some((_, brp)), Some(p)) = (cluster, enforced, &rp.rule.pick) {
                // Every cluster's breaker is open (the gutter's too, if it
                // has one): the primary that reopens first answers, with
                // its time left.
                cluster = p.clusters.iter().map(String::as_str).min_by_key(|c| rules::breaker::time_left(brp, c, now));
            }
        }
        if let Some((i, rp)) = breaker {
            let target = cluster.or(rp.rule.breaker.as_ref().map(|b| b.target.as_str())).unwrap_or_default();
            self.breaker = rules::breaker::acquire(plan, i, rp, target, now)?.map(|held| (i, held));
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
    #[inline(never)]
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
        if let Some((rp, pool, ticket)) = self.pick.take().and_then(|(i, p, t)| Some((plan.rules.get(i)?, p, t))) {
            if let Some(p) = &rp.rule.pick {
                let cpu = match shed_cpu {
                    Some((name, cpu)) if name == p.cpu_header => cpu,
                    _ => read_cpu(&p.cpu_header),
                };
                rules::pick::done(rp, pool, ticket, self.started, now, (status, grpc_status), cpu);
            }
        }
        if let Some((rp, held)) = self.breaker.take().and_then(|(i, h)| Some((plan.rules.get(i)?, h))) {
            let no_retry = status.is_some()
                && ex.and_then(|e| e.response_header(answer::NO_RETRY)).is_some_and(|v| v.as_ref() == b"1");
            let duration = now.saturating_sub(self.started);
            rules::breaker::done(plan, rp, held, now, duration, (status, grpc_status), no_retry);
        }
    }

    /// Whether a throttle, shedder or picker waits for this request's answer.
    pub fn pending(&self) -> bool {
        self.shed.is_some() || self.throttles != 0 || self.pick.is_some() || self.breaker.is_some()
    }

    /// The picked primary node: (rule index, index in its `pick.clusters`).
    pub fn picked(&self) -> Option<(usize, u32)> {
        match &self.pick {
            Some((rule, Pool::Primary, ticket)) => Some((*rule, ticket.index)),
            _ => None,
        }
    }

    /// The cluster the request goes to, when the policy chose it: a
    /// picked primary or gutter cluster, or a fallback's degraded cluster.
    pub fn upstream<'p, S: LimitStore>(&self, plan: &'p Plan<S>) -> Option<&'p str> {
        if let Some(rule) = self.rerouted {
            return match plan.rules.get(rule)?.rule.fallback.as_ref()? {
                Fallback::Cluster { cluster, .. } => Some(cluster),
                Fallback::Answer { .. } => None,
            };
        }
        let (rule, pool, ticket) = self.pick.as_ref()?;
        let pick = plan.rules.get(*rule)?.rule.pick.as_ref()?;
        let clusters = match pool {
            Pool::Primary => &pick.clusters,
            Pool::Gutter => &pick.gutter.as_ref()?.clusters,
        };
        clusters.get(ticket.index as usize).map(String::as_str)
    }

    /// The pool that served the request, when its rule has a gutter.
    pub fn pool<S: LimitStore>(&self, plan: &Plan<S>) -> Option<Pool> {
        let (rule, pool, _) = self.pick.as_ref()?;
        plan.rules.get(*rule)?.rule.pick.as_ref()?.gutter.as_ref().map(|_| *pool)
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
    /// refuses a picked request but the breaker, whose decision the pick
    /// was gated on (a cluster it would refuse is left out of the draw).
    fn forget<S: LimitStore>(&mut self, plan: &Plan<S>) {
        if self.pending() {
            self.forget_pending(plan);
        }
    }

    #[inline(never)]
    fn forget_pending<S: LimitStore>(&mut self, plan: &Plan<S>) {
        if let Some((rp, held)) = self.breaker.take().and_then(|(i, h)| Some((plan.rules.get(i)?, h))) {
            rules::breaker::cancel(rp, held);
        }
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
