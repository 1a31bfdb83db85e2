//! The policy engine inside a service's own process, for the bindings (C,
//! Go, Python, Node): the same JSON document and phase plan as the Envoy
//! filter, limits on process atomics ([`store::ProcessStore`]), weir-host's
//! clock.
//!
//! A [`ProcessPolicy`] is shared by every thread of the service. Its
//! learners (shedder, throttle, picker) are one per policy, not per thread:
//! a service's shedder must see every request in flight. They sit behind
//! one lock, held for the length of a check or a report; the limits decide
//! on atomics exact across processes' threads either way.
//!
//! A check returns a [`Verdict`]: admitted, with the headers the engine set
//! on the request and wants on the response, the picked upstream and the
//! deadline; or the answer to send (status, headers, body, reason, rule).
//! When a learner let the request through, the verdict carries a
//! [`Ticket`]; reporting its [`Outcome`] teaches them. A ticket dropped
//! unreported is taken back by every learner, as if weir had answered.
//!
//! [`ProcessPolicy::replace`] swaps the document atomically: limits whose
//! rule name, rate, burst and table size are unchanged keep their state
//! (no burst is granted by a reload); the rest, and every learner, start
//! fresh. Requests checked before the swap report to the policy that
//! checked them.

pub mod exchange;
pub mod store;

pub use exchange::{Outcome, RequestView};
pub use store::ProcessStore;

use crate::answer::Answer;
use crate::config::{self, ConfigProblem};
use crate::config::{KeySource, Rule};
use crate::plan::{self, Plan};
use crate::stream::Stream;
use exchange::{Checked, Reported};
use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// A policy refused: the rule and field at fault (empty at the top level),
/// and what was wrong with the value given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    pub rule: String,
    pub field: String,
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(
            &ConfigProblem { rule: self.rule.clone(), field: self.field.clone(), message: self.message.clone() },
            f,
        )
    }
}

impl std::error::Error for PolicyError {}

impl From<ConfigProblem> for PolicyError {
    fn from(p: ConfigProblem) -> Self {
        Self { rule: p.rule, field: p.field, message: p.message }
    }
}

/// The decision on one request.
#[derive(Debug, Default)]
pub struct Verdict {
    /// The answer to send instead of handling the request; `None`: admitted.
    /// Boxed, as is the ticket's stream: a plain admission moves a small verdict.
    pub refusal: Option<Box<Answer>>,
    /// Headers the engine set on the request (a picked cluster, timeouts
    /// for the upstream), one value per name.
    pub request_headers: Vec<(String, String)>,
    /// Headers for an admitted request's response (`x-ratelimit-*`).
    pub response_headers: Vec<(String, String)>,
    /// The cluster a `pick` chose.
    pub upstream: Option<String>,
    /// The time the upstream gets, from a `deadline` rule.
    pub deadline_ns: Option<u64>,
    /// Present when a learner waits for the outcome.
    pub ticket: Option<Ticket>,
}

impl Verdict {
    pub fn admitted(&self) -> bool {
        self.refusal.is_none()
    }
}

/// Which parts of a request the policy in place reads, so a binding
/// converts only those from its language's strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Reads {
    pub method: bool,
    pub path: bool,
    pub headers: bool,
    pub client_address: bool,
    pub key: bool,
}

impl Reads {
    fn of(plan: &Plan<ProcessStore>) -> Self {
        let keys = |want: &dyn Fn(&KeySource) -> bool| {
            plan.rules.iter().flat_map(|r| &r.rule.limits).any(|l| match &l.key {
                KeySource::Composite(parts) => parts.iter().any(want),
                k => want(k),
            })
        };
        let reads_headers = |r: &Rule| {
            !r.matcher.headers.is_empty() || r.deadline.is_some() || r.limits.iter().any(|l| l.cost_header.is_some())
        };
        Self {
            method: plan.needs_method,
            path: plan.needs_path,
            headers: plan.debug.trap_on_header.is_some()
                || plan.rules.iter().any(|r| reads_headers(&r.rule))
                || keys(&|k| matches!(k, KeySource::Header(_) | KeySource::RawHeader(_))),
            client_address: keys(&|k| matches!(k, KeySource::ClientAddress)),
            key: keys(&|k| matches!(k, KeySource::Caller)),
        }
    }

    /// Nothing left out.
    pub const NONE: Reads = Reads { method: false, path: false, headers: false, client_address: false, key: false };

    /// What a view built from `self` leaves out.
    pub fn omitted(self) -> Reads {
        Reads {
            method: !self.method,
            path: !self.path,
            headers: !self.headers,
            client_address: !self.client_address,
            key: !self.key,
        }
    }

    fn bits(self) -> u8 {
        u8::from(self.method)
            | u8::from(self.path) << 1
            | u8::from(self.headers) << 2
            | u8::from(self.client_address) << 3
            | u8::from(self.key) << 4
    }

    fn from_bits(b: u8) -> Self {
        Self { method: b & 1 != 0, path: b & 2 != 0, headers: b & 4 != 0, client_address: b & 8 != 0, key: b & 16 != 0 }
    }
}

/// One policy document bound to its state: the plan and its counters.
struct Engine {
    /// Which document of the policy this is (they count up from 0), so a
    /// ticket finds the plan that checked it.
    generation: u64,
    plan: Plan<ProcessStore>,
    /// Counters drained from the plan, by the plan's counter index.
    totals: Vec<u64>,
    reads: Reads,
    /// Tickets of this document not yet reported nor dropped.
    waiting: usize,
}

impl Engine {
    fn build(json: &[u8], store: ProcessStore, now: u64, seed: u64) -> Result<Self, PolicyError> {
        let config = config::parse(json)?;
        let plan = plan::build(config, store, now, seed).map_err(|message| PolicyError {
            rule: String::new(),
            field: String::new(),
            message,
        })?;
        let totals = vec![0; plan.metrics.names().len()];
        let reads = Reads::of(&plan);
        Ok(Self { generation: 0, plan, totals, reads, waiting: 0 })
    }

    fn drain(&mut self) {
        let Engine { plan, totals, .. } = self;
        plan.metrics.drain(|counter, n| {
            if let Some(t) = totals.get_mut(counter.0) {
                *t = t.saturating_add(n);
            }
        });
    }

    fn counters(&mut self) -> Vec<(String, u64)> {
        self.drain();
        self.plan.metrics.names().iter().cloned().zip(self.totals.iter().copied()).collect()
    }
}

/// A policy's engines behind its one lock, which a check takes once: the
/// current document's, and each replaced one whose requests still wait
/// for their outcome.
struct Engines {
    current: Engine,
    replaced: Vec<Engine>,
}

type Shared = Arc<Mutex<Engines>>;

fn lock(shared: &Shared) -> MutexGuard<'_, Engines> {
    // A panic under the lock leaves the plans as consistent as any
    // decision it interrupted: keep serving.
    shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Engines {
    /// Runs `settle` on the engine that checked a ticket of `generation`,
    /// then counts that ticket done. Returns a replaced engine whose last
    /// ticket this was, for the caller to drop after the lock.
    fn settle(&mut self, generation: u64, settle: impl FnOnce(&mut Engine)) -> Option<Engine> {
        if self.current.generation == generation {
            settle(&mut self.current);
            self.current.waiting = self.current.waiting.saturating_sub(1);
            return None;
        }
        let at = self.replaced.iter().position(|e| e.generation == generation)?;
        let engine = self.replaced.get_mut(at)?;
        settle(engine);
        engine.waiting = engine.waiting.saturating_sub(1);
        (engine.waiting == 0).then(|| self.replaced.swap_remove(at))
    }
}

/// A request a learner let through, waiting for its outcome.
pub struct Ticket {
    shared: Shared,
    generation: u64,
    stream: Box<Stream>,
    reported: bool,
}

impl fmt::Debug for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ticket").field("started", &self.stream.started()).finish_non_exhaustive()
    }
}

impl Ticket {
    /// Reports what the upstream answered, at weir-host's clock unless
    /// `outcome.latency_ns` says when.
    pub fn report(self, outcome: &Outcome) {
        self.report_at(outcome, weir_host::monotonic_now)
    }

    /// Reports with `now` read only when `outcome.latency_ns` is absent.
    pub fn report_at(self, outcome: &Outcome, now: impl FnOnce() -> u64) {
        self.report_answer_at(outcome, false, now)
    }

    /// As [`Ticket::report_at`], for an answer that may carry
    /// `x-weir-no-retry: 1` (`no_retry`): an overload a weir further down
    /// decided, which the breaker does not count against this upstream.
    pub fn report_answer_at(mut self, outcome: &Outcome, no_retry: bool, now: impl FnOnce() -> u64) {
        self.reported = true;
        let started = self.stream.started();
        let at = || outcome.latency_ns.map_or_else(now, |l| started.saturating_add(l));
        let Ticket { shared, generation, stream, .. } = &mut self;
        let mut engines = lock(shared);
        let done = engines.settle(*generation, |engine| {
            match outcome.status {
                Some(_) => stream.response(&engine.plan, &mut Reported::new(outcome, no_retry), at),
                None => stream.done(&engine.plan, at),
            }
            engine.drain();
        });
        drop(engines);
        drop(done);
    }

    /// When the request was checked.
    pub fn started(&self) -> u64 {
        self.stream.started()
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if !self.reported {
            let Ticket { shared, generation, stream, .. } = self;
            let mut engines = lock(shared);
            let done = engines.settle(*generation, |engine| stream.abandon(&engine.plan));
            drop(engines);
            drop(done);
        }
    }
}

/// A policy document serving a process, replaceable while it serves.
pub struct ProcessPolicy {
    shared: Shared,
    /// Every generation's limits live here, so a reload finds the ones it keeps.
    store: ProcessStore,
    seed: u64,
    /// One reload at a time, so two cannot both build on the same old state.
    reloading: Mutex<()>,
    /// The current generation's [`Reads`], readable without a lock.
    reads: AtomicU8,
}

impl ProcessPolicy {
    /// Parses and validates `json` and binds it at weir-host's clock.
    pub fn from_json(json: &str) -> Result<Self, PolicyError> {
        let now = weir_host::monotonic_now();
        Self::from_json_at(json, now, crate::rng::Rng::seed(now))
    }

    /// As [`ProcessPolicy::from_json`], at `now` with the learners' random
    /// draws from `seed`: a replayed trace decides the same every time.
    pub fn from_json_at(json: &str, now: u64, seed: u64) -> Result<Self, PolicyError> {
        let store = ProcessStore::private();
        let current = Engine::build(json.as_bytes(), store.clone(), now, seed)?;
        let reads = AtomicU8::new(current.reads.bits());
        let shared = Arc::new(Mutex::new(Engines { current, replaced: Vec::new() }));
        Ok(Self { shared, store, seed, reloading: Mutex::new(()), reads })
    }

    /// The parts of a request the policy reads: a binding may leave the
    /// others out of the [`RequestView`] (an empty method and path, no
    /// headers) without changing any verdict.
    pub fn reads(&self) -> Reads {
        Reads::from_bits(self.reads.load(Ordering::Acquire))
    }

    /// Decides `request` at weir-host's clock.
    pub fn check(&self, request: &RequestView<'_>) -> Verdict {
        self.check_at(request, weir_host::monotonic_now())
    }

    /// Decides `request` at `now` (ns on weir-host's clock, or any clock the
    /// caller keeps for every call).
    pub fn check_at(&self, request: &RequestView<'_>, now: u64) -> Verdict {
        let mut verdict = Verdict::default();
        self.check_into(request, now, &mut verdict);
        verdict
    }

    /// As [`ProcessPolicy::check_at`], into `verdict` (a default one): a
    /// host that reads the verdict where it keeps it moves none.
    pub fn check_into(&self, request: &RequestView<'_>, now: u64, verdict: &mut Verdict) {
        // Nothing omitted: nothing for the document to ask for.
        let _ = decide(&self.shared, request, Reads::NONE, now, verdict);
    }

    /// As [`ProcessPolicy::check_at`] for a view that leaves out the parts
    /// `omitted` names (as [`ProcessPolicy::reads`] allowed). If the policy
    /// in place reads one of them (a reload came in between), nothing is
    /// decided and the error is what to convert before asking again.
    pub fn check_partial_at(&self, request: &RequestView<'_>, omitted: Reads, now: u64) -> Result<Verdict, Reads> {
        let mut verdict = Verdict::default();
        decide(&self.shared, request, omitted, now, &mut verdict)?;
        Ok(verdict)
    }

    /// Reports a checked request's outcome (see [`Ticket::report`]).
    pub fn report(&self, ticket: Ticket, outcome: &Outcome) {
        ticket.report(outcome);
    }

    /// Swaps in `json` at weir-host's clock; on a refusal the policy in
    /// place keeps serving and the error says why.
    pub fn replace(&self, json: &str) -> Result<(), PolicyError> {
        self.replace_at(json, weir_host::monotonic_now())
    }

    pub fn replace_at(&self, json: &str, now: u64) -> Result<(), PolicyError> {
        let _one = self.reloading.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // Built while the old generation still holds its limits, so the
        // store hands the unchanged ones over.
        let mut next = Engine::build(json.as_bytes(), self.store.clone(), now, self.seed ^ now)?;
        let mut engines = lock(&self.shared);
        carry_counters(&mut engines.current, &mut next);
        next.generation = engines.current.generation.wrapping_add(1);
        // A check that read the old flags and meets the new generation is
        // caught by `check_partial_at`.
        let bits = next.reads.bits();
        let old = std::mem::replace(&mut engines.current, next);
        // The old plan stays while requests it checked wait for their
        // outcome: they report to it, not to the new one.
        let unused = if old.waiting > 0 {
            engines.replaced.push(old);
            None
        } else {
            Some(old)
        };
        self.reads.store(bits, Ordering::Release);
        drop(engines);
        drop(unused);
        Ok(())
    }

    /// Every counter (`weir.<rule>.<outcome>`, the filter's names) and its
    /// total since the policy was made, across reloads for names kept.
    pub fn counters(&self) -> Vec<(String, u64)> {
        lock(&self.shared).current.counters()
    }

    /// The hottest keys of each limit of `rule` (in the order of its
    /// limits; empty for one without `hot_keys`), on weir-host's clock;
    /// `None` for an unknown rule.
    pub fn hot_keys(&self, rule: &str) -> Option<Vec<Vec<crate::hot_keys::HotKeyCount>>> {
        self.hot_keys_at(rule, weir_host::monotonic_now())
    }

    /// [`Self::hot_keys`] at `now`.
    pub fn hot_keys_at(&self, rule: &str, now: u64) -> Option<Vec<Vec<crate::hot_keys::HotKeyCount>>> {
        crate::hot_keys::of_rule(&lock(&self.shared).current.plan, rule, now)
    }

    /// The rule names, in order.
    pub fn rules(&self) -> Vec<String> {
        lock(&self.shared).current.plan.rules.iter().map(|rp| rp.rule.name.clone()).collect()
    }
}

/// Decides `request` on the current document into `verdict` (a default
/// one), unless the document reads a part of the request `omitted` names:
/// then nothing is decided and the error is what it reads. The engine
/// writes into the verdict in place: a check moves no verdict around.
#[inline(always)]
fn decide(
    shared: &Shared,
    request: &RequestView<'_>,
    omitted: Reads,
    now: u64,
    verdict: &mut Verdict,
) -> Result<(), Reads> {
    let mut stream = Stream::default();
    let mut engines = lock(shared);
    let engine = &mut engines.current;
    if engine.reads.bits() & omitted.bits() != 0 {
        return Err(engine.reads);
    }
    let plan = &engine.plan;
    let mut ex = Checked { request, verdict };
    let refusal = stream.request(plan, &mut ex, now);
    if refusal.is_none() {
        stream.admitted_headers(&mut ex);
    }
    // Each part is written only when there is one: a bare admission's
    // verdict is not written again just before it is copied out.
    if let Some(upstream) = stream.upstream(plan) {
        verdict.upstream = Some(upstream.to_owned());
    }
    let pending = stream.pending();
    if refusal.is_some() {
        engine.drain();
    }
    if pending {
        engine.waiting = engine.waiting.saturating_add(1);
    }
    let generation = engine.generation;
    drop(engines);
    if let Some(refusal) = refusal {
        verdict.refusal = Some(Box::new(refusal));
    }
    if pending {
        verdict.ticket = Some(Ticket { shared: shared.clone(), generation, stream: Box::new(stream), reported: false });
    }
    Ok(())
}

/// Totals of counters the new document names too carry on.
fn carry_counters(old: &mut Engine, next: &mut Engine) {
    let before = old.counters();
    let names: Vec<String> = next.plan.metrics.names().to_vec();
    for (name, total) in names.iter().zip(next.totals.iter_mut()) {
        if let Some((_, n)) = before.iter().find(|(old_name, _)| old_name == name) {
            *total = *n;
        }
    }
}
