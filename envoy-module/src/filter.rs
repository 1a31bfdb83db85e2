//! A filter configuration and its streams: the glue between Envoy's hooks
//! and weir's policy engine (`weir-policy`, the same engine the wasm filter
//! runs).
//!
//! A configuration is made on Envoy's main thread: the JSON is parsed and
//! validated, a plan is built once to resolve the limits' process-memory
//! state and to define the counters with Envoy. Each worker then builds its
//! own plan from the same configuration on its first stream, holding the
//! same limit cells (exact across workers) and its own shedder, throttle
//! and picker, as each VM of the wasm filter does. The configuration owns
//! the worker plans (`workers`), and a stream points at its worker's: Envoy
//! destroys a configuration only after its streams. Counters are batched in
//! the worker's plan and handed to Envoy when a stream completes.

use crate::abi::{self, HeaderMap, LogLevel};
use crate::envoy::{log, Config, Stream};
use crate::last_refusal::LastRefusal;
use crate::spare::Spare;
use crate::state::ProcessStore;
use crate::workers::PerWorker;
use std::borrow::Cow;
use std::cell::Cell;
use std::ptr::NonNull;
use std::sync::Arc;
use weir_policy::answer::Answer;
use weir_policy::config;
use weir_policy::exchange::Exchange;
use weir_policy::hot_keys;
use weir_policy::plan::{self, LimitState, Plan};
use weir_policy::stream::Checked;

type WorkerPlan = Plan<ProcessStore>;

pub struct FilterConfig {
    config: config::Config,
    /// Envoy's counter id for each of the plan's counters, by index.
    counter_ids: Arc<[Option<usize>]>,
    /// Envoy's gauge id for each hot-key gauge, in the order of
    /// `hot_keys::gauge_values`.
    gauge_ids: Arc<[Option<usize>]>,
    /// Each worker's plan, made on its first stream.
    workers: PerWorker<Worker>,
    /// The limit cells, kept alive while Envoy holds the configuration, so
    /// a worker that builds its plan later finds the same ones.
    _held: Vec<Arc<dyn std::any::Any + Send + Sync>>,
}

// Envoy calls a configuration's hooks from every worker at once.
const _: () = {
    const fn shared_across_workers<T: Sync + Send>() {}
    shared_across_workers::<FilterConfig>();
};

impl FilterConfig {
    /// Parses, validates and binds `json`; `None` (after a log line naming
    /// the rule and the field) refuses it.
    pub fn new(envoy: Config, json: &[u8]) -> Option<Self> {
        let refuse = |why: &dyn std::fmt::Display| {
            log(LogLevel::Error, &format!("weir: configuration refused: {why}"));
            None
        };
        let config = match config::parse(json) {
            Ok(c) => c,
            Err(problem) => return refuse(&problem),
        };
        let now = weir_host::monotonic_now();
        let proto = match plan::build(config.clone(), ProcessStore::global(), now, 0) {
            Ok(p) => p,
            Err(message) => return refuse(&message),
        };
        let counter_ids: Arc<[Option<usize>]> =
            proto.metrics.names().iter().map(|name| envoy.define_counter(name)).collect();
        let gauge_ids: Arc<[Option<usize>]> =
            hot_keys::gauge_names(&proto).iter().map(|name| envoy.define_gauge(name)).collect();
        let held = proto
            .rules
            .iter()
            .flat_map(|rp| &rp.limits)
            .filter_map(|lp| -> Option<Arc<dyn std::any::Any + Send + Sync>> {
                match &lp.state {
                    LimitState::Bucket(b) => Some(b.clone()),
                    LimitState::Table(t) => Some(t.clone()),
                    LimitState::None => None,
                }
            })
            .collect();
        log(LogLevel::Info, &format!("weir: configured {} rule(s)", proto.rules.len()));
        Some(Self { config, counter_ids, gauge_ids, workers: PerWorker::default(), _held: held })
    }

    /// A stream on the calling worker, with that worker's plan, in a box
    /// from that worker's spares.
    pub fn stream(&self) -> Box<FilterStream> {
        match self.workers.get_or_make(|| self.worker()) {
            Some(worker) => {
                worker.spare.take(|| FilterStream { worker: Some(NonNull::from(worker)), stream: Default::default() })
            }
            None => Box::new(FilterStream { worker: None, stream: Default::default() }),
        }
    }

    /// The calling worker's plan of this configuration, built on its first
    /// stream.
    #[cold]
    fn worker(&self) -> Option<Worker> {
        let now = weir_host::monotonic_now();
        let plan = plan::build(self.config.clone(), ProcessStore::global(), now, seed(now)).ok()?;
        Some(Worker {
            plan,
            counter_ids: self.counter_ids.clone(),
            gauge_ids: self.gauge_ids.clone(),
            gauges_due: Cell::new(now),
            spare: Spare::default(),
            last_refusal: LastRefusal::default(),
        })
    }
}

/// A worker's plan of one configuration.
struct Worker {
    plan: WorkerPlan,
    counter_ids: Arc<[Option<usize>]>,
    gauge_ids: Arc<[Option<usize>]>,
    /// When the hot-key gauges are next set: once per `stats_flush`, at the
    /// end of the first stream after it, so a request pays for the top-k
    /// read at most once a period whatever the traffic.
    gauges_due: Cell<u64>,
    /// Stream boxes this worker ended, for its next streams.
    spare: Spare,
    /// The last plain refusal this worker sent, laid out.
    last_refusal: LastRefusal,
}

impl Worker {
    /// `now` is read only when the configuration has hot-key gauges: most
    /// streams end without a clock read.
    fn set_gauges(&self, envoy: Stream, now: impl FnOnce() -> u64) {
        if self.gauge_ids.is_empty() {
            return;
        }
        let now = now();
        if now < self.gauges_due.get() {
            return;
        }
        let period = u64::from(self.plan.stats_flush_ms) * 1_000_000;
        self.gauges_due.set(now.saturating_add(period));
        for (id, value) in self.gauge_ids.iter().zip(hot_keys::gauge_values(&self.plan, now)) {
            if let Some(id) = id {
                envoy.set_gauge(*id, value);
            }
        }
    }
}

/// A seed that differs per worker: std's per-thread hasher keys (the
/// kernel's randomness) mixed with the clock.
fn seed(now: u64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(now);
    h.finish()
}

pub struct FilterStream {
    /// The worker plan this stream decides under, owned by its
    /// configuration; `None` if that worker could not build one.
    worker: Option<NonNull<Worker>>,
    stream: weir_policy::stream::Stream,
}

// SAFETY: the pointer is to the plan of the worker whose spares hold this
// stream's box; a box moves between threads only with that worker's plan
// as a whole (`workers`), and its hooks run on that worker's thread.
unsafe impl Send for FilterStream {}

impl FilterStream {
    fn worker<'w>(&self) -> Option<&'w Worker> {
        // SAFETY: the worker lives in the configuration, which Envoy
        // destroys only after this stream; only this worker's thread runs
        // the stream's hooks.
        self.worker.map(|w| unsafe { &*w.as_ptr() })
    }

    /// Ends a stream: what it holds is dropped now, and its box, reset,
    /// kept by its worker for the worker's next stream.
    pub fn recycle(mut stream: Box<Self>) {
        stream.stream = weir_policy::stream::Stream::default();
        if let Some(worker) = stream.worker() {
            worker.spare.keep(stream);
        }
    }

    pub fn request_headers(&mut self, envoy: Stream) -> u32 {
        let Some(worker) = self.worker() else { return abi::HEADERS_CONTINUE };
        let plan = &worker.plan;
        if let Some(h) = &plan.debug.trap_on_header {
            trap_on(envoy, h);
        }
        let now = weir_host::monotonic_now();
        let mut exchange = Exchanged { envoy, request_changed: false };
        match self.stream.check(plan, &mut exchange, now) {
            Checked::Pass => {
                if exchange.request_changed {
                    envoy.clear_route_cache();
                }
                abi::HEADERS_CONTINUE
            }
            Checked::Refused(plain) => {
                worker.last_refusal.send(envoy, &plain);
                abi::HEADERS_STOP_ITERATION
            }
            Checked::Answer(answer) => send(envoy, &answer),
        }
    }

    pub fn response_headers(&mut self, envoy: Stream) {
        if let Some(worker) = self.worker() {
            self.stream.response(
                &worker.plan,
                &mut Exchanged { envoy, request_changed: false },
                weir_host::monotonic_now,
            );
        }
    }

    /// The stream's end: frees what it held and hands the worker's batched
    /// counters to Envoy.
    pub fn complete(&mut self, envoy: Stream) {
        let Some(worker) = self.worker() else { return };
        self.stream.done(&worker.plan, weir_host::monotonic_now);
        worker.plan.metrics.drain(|counter, n| {
            if let Some(Some(id)) = worker.counter_ids.get(counter.0) {
                envoy.increment(*id, n);
            }
        });
        worker.set_gauges(envoy, weir_host::monotonic_now);
    }
}

/// Sends an answer of the policy's own (a fallback's, the hot-key report).
#[inline(never)]
fn send(envoy: Stream, answer: &Answer) -> u32 {
    let headers = answer.headers.iter().map(|(k, v)| (*k, v.as_str()));
    envoy.send_response(answer.status, headers, answer.body.as_bytes(), &answer.details);
    abi::HEADERS_STOP_ITERATION
}

/// `debug.trap_on_header` (tests only): a panic inside the hook when the
/// request has the header, which the hook's frame must contain.
#[cold]
#[allow(clippy::panic)]
fn trap_on(envoy: Stream, header: &str) {
    if envoy.header(HeaderMap::Request, header).is_some() {
        panic!("debug.trap_on_header: a deliberate panic");
    }
}

/// One stream's request and response, as the engine reads and writes them.
/// Envoy chose the route before the filter ran; a request header the
/// engine set (a picked cluster) makes it choose again, as the wasm host
/// does on any request header change.
struct Exchanged {
    envoy: Stream,
    request_changed: bool,
}

impl Exchange for Exchanged {
    fn request_header(&self, name: &str) -> Option<Cow<'_, [u8]>> {
        self.envoy.header(HeaderMap::Request, name).map(Cow::Borrowed)
    }
    fn set_request_header(&mut self, name: &str, value: &[u8]) {
        self.request_changed |= self.envoy.set_header(HeaderMap::Request, name, value);
    }
    fn client_address(&self) -> Option<Cow<'_, [u8]>> {
        self.envoy.source_address().map(Cow::Borrowed)
    }
    fn response_header(&self, name: &str) -> Option<Cow<'_, [u8]>> {
        self.envoy.header(HeaderMap::Response, name).map(Cow::Borrowed)
    }
    fn add_response_header(&mut self, name: &str, value: &str) {
        self.envoy.add_header(HeaderMap::Response, name, value.as_bytes());
    }
    fn warn(&self, message: &str) {
        log(LogLevel::Warn, message);
    }
}
