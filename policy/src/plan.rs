//! A validated configuration bound to one worker: limit state resolved in
//! the host's store, counters named, the per-worker adaptive state built.
//! Made when the host configures (a VM's `on_configure`, a module worker's
//! first stream), shared by that worker's streams.
//!
//! Limits live in the store (a quota must hold across workers). The
//! shedder, throttle and picker live in the plan, one per worker: they
//! learn ratios and latencies (CPU, success rate, in-flight against Little's
//! law), which each worker estimates as well from its own share of the
//! traffic. A latency limit (`shed` mode `"latency"`) caps what is in
//! flight, which a per-worker share gets wrong when connections split
//! unevenly, so its cell comes from the store.

use crate::config::{Config, Debug, Gutter, KeySource, Limit, Rule, Shed, ShedMode};
use crate::hot_keys::LimitHotKeys;
use crate::metrics::{Counter, Metrics};
use crate::rng::Rng;
use crate::store::LimitStore;
use std::cell::RefCell;
use std::sync::Arc;
use weir_core::adaptive_limit::AtomicAdaptiveLimit;
use weir_core::breaker::Breaker;
use weir_core::hash::HashSeed;
use weir_core::lease::Lease;
use weir_core::picker::{PlainNodeSlot, PlainPicker};
use weir_core::shedder::Shedder;
use weir_core::throttle::Throttle;

pub type Picker = PlainPicker<Vec<PlainNodeSlot>>;

/// Counters of one rule, named `weir.<rule>.<outcome>` so an Envoy
/// `stats_tags` regex can lift the rule name into a tag. Only the counters
/// of the actions a rule has are defined.
#[derive(Debug, Default)]
pub struct Counters {
    pub admitted: Option<Counter>,
    pub limited: Option<Counter>,
    pub shadow_limited: Option<Counter>,
    pub state_error: Option<Counter>,
    pub shed_passed: Option<Counter>,
    pub shed: Option<Counter>,
    pub shadow_shed: Option<Counter>,
    pub throttle_passed: Option<Counter>,
    pub throttled: Option<Counter>,
    pub shadow_throttled: Option<Counter>,
    pub upstream_failures: Option<Counter>,
    /// `picked.<cluster>`, in the order of `pick.clusters`.
    pub picked: Vec<Counter>,
    pub pick_none: Option<Counter>,
    pub deadline_set: Option<Counter>,
    pub deadline_exceeded: Option<Counter>,
    pub shadow_deadline_exceeded: Option<Counter>,
    pub breaker_passed: Option<Counter>,
    pub breaker_open: Option<Counter>,
    pub shadow_breaker_open: Option<Counter>,
    pub breaker_failures: Option<Counter>,
    /// Moves to open.
    pub breaker_trips: Option<Counter>,
    /// Upstream answers carrying `x-weir-no-retry`, which the breaker ignores.
    pub breaker_no_retry: Option<Counter>,
    /// Refusals the rule's `fallback` answered (or routed) instead.
    pub fallback: Option<Counter>,
    /// Requests the gutter served, and those its limit refused.
    pub gutter: Option<Counter>,
    pub gutter_full: Option<Counter>,
    /// `picked.<cluster>`, in the order of `pick.gutter.clusters`.
    pub gutter_picked: Vec<Counter>,
}

impl Counters {
    fn define(rule: &Rule, m: &mut Metrics) -> Self {
        let name = &rule.name;
        let mut c = |outcome: &str| Some(m.define(format!("weir.{name}.{outcome}")));
        let mut out = Counters::default();
        if !rule.limits.is_empty() {
            out.admitted = c("admitted");
            out.limited = c("limited");
            out.shadow_limited = c("shadow_limited");
            out.state_error = c("state_error");
        }
        if rule.shed.is_some() {
            out.shed_passed = c("shed_passed");
            out.shed = c("shed");
            out.shadow_shed = c("shadow_shed");
        }
        if rule.throttle.is_some() {
            out.throttle_passed = c("throttle_passed");
            out.throttled = c("throttled");
            out.shadow_throttled = c("shadow_throttled");
            out.upstream_failures = c("upstream_failures");
        }
        if let Some(pick) = &rule.pick {
            out.pick_none = c("pick_none");
            out.picked = pick.clusters.iter().filter_map(|cl| c(&format!("picked.{cl}"))).collect();
            if let Some(g) = &pick.gutter {
                out.gutter = c("gutter");
                out.gutter_full = c("gutter_full");
                out.gutter_picked = g.clusters.iter().filter_map(|cl| c(&format!("picked.{cl}"))).collect();
                if out.state_error.is_none() {
                    out.state_error = c("state_error");
                }
            }
        }
        if rule.breaker.is_some() {
            out.breaker_passed = c("breaker_passed");
            out.breaker_open = c("breaker_open");
            out.shadow_breaker_open = c("shadow_breaker_open");
            out.breaker_failures = c("breaker_failures");
            out.breaker_trips = c("breaker_trips");
            out.breaker_no_retry = c("breaker_no_retry");
        }
        if rule.fallback.is_some() {
            out.fallback = c("fallback");
        }
        if rule.deadline.is_some() {
            out.deadline_set = c("deadline_set");
            out.deadline_exceeded = c("deadline_exceeded");
            out.shadow_deadline_exceeded = c("shadow_deadline_exceeded");
        }
        out
    }
}

/// Where a rule's limit decides.
pub enum LimitState<S: LimitStore> {
    None,
    Bucket(S::Bucket),
    Table(S::Table),
}

/// One of a rule's limits, bound to its state.
/// The per-worker learners and trackers, each hundreds of bytes, are boxed:
/// a plan's structs then hold what every request reads in a few cache
/// lines, and a rule that has no shedder or picker does not spread its
/// limits' fields across kilobytes of empty ones.
pub struct LimitPlan<S: LimitStore> {
    pub state: LimitState<S>,
    /// This worker's tokens taken ahead from the shared bucket (`limit.lease` > 1).
    pub lease: Option<RefCell<Lease>>,
    /// This worker's hottest keys of the limit (`limit.hot_keys` > 0).
    pub hot: Option<Box<RefCell<LimitHotKeys>>>,
}

pub struct RulePlan<S: LimitStore> {
    pub rule: Rule,
    /// In the order of `rule.limits`.
    pub limits: Vec<LimitPlan<S>>,
    pub counters: Counters,
    pub shedder: Option<Box<RefCell<Shedder>>>,
    /// A `shed` in mode `"latency"`: the cell the store chose (shared by
    /// every worker in one process, this worker's own in a wasm VM).
    pub concurrency: Option<Arc<AtomicAdaptiveLimit>>,
    pub throttle: Option<Box<RefCell<Throttle>>>,
    pub picker: Option<Box<RefCell<Picker>>>,
    /// `pick.gutter`: its picker and its limit's bucket.
    pub gutter_picker: Option<Box<RefCell<Picker>>>,
    pub gutter_bucket: Option<S::Bucket>,
    /// `breaker`: one per upstream cluster, by name, made on first use.
    /// Per worker, as the throttle: each worker sees a fair share of a
    /// cluster's answers, and a breaker must not wait on shared state.
    pub breakers: Option<RefCell<Vec<(String, Breaker)>>>,
}

pub struct Plan<S: LimitStore> {
    pub rules: Vec<RulePlan<S>>,
    pub store: S,
    pub metrics: Metrics,
    pub rng: Rng,
    pub debug: Debug,
    pub stats_flush_ms: u32,
    /// The clock at configure time: the origin of clocks that need a small one.
    pub clock_base: u64,
    /// Every limit's key is hashed under it.
    pub key_seed: HashSeed,
    pub needs_path: bool,
    pub needs_method: bool,
    /// `hot_keys_path`: the path answered locally, to loopback clients,
    /// with every limit's hot keys as JSON.
    pub hot_keys_path: Option<String>,
    /// Some throttle or picker counts `grpc-status` codes as failures.
    pub needs_grpc_status: bool,
    /// Which rules take part in each phase, so a check visits only those.
    pub phases: Phases,
    /// The policy is one rule without a `match` whose only action is one
    /// limit on an unkeyed bucket at a fixed cost, without a lease, a
    /// fallback, debug headers or a hot-key report: most proxies' whole
    /// policy, which a check decides without the phases
    /// ([`crate::rules::limit::run_plain`]). Set by [`build`]; a plan of
    /// another shape with it set would be decided by its first limit alone.
    pub one_plain_limit: bool,
}

/// For each phase of a check, the rules (bit = index) that have it: a
/// request's matched rules masked with one of these are the rules that
/// phase runs, found without visiting the others.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Phases {
    /// Rules without a `match`: they match every request.
    pub unconditional: u64,
    /// Rules with a `match`: the request is tested against these only.
    pub conditional: u64,
    pub limit: u64,
    pub deadline: u64,
    pub throttle: u64,
    pub shed: u64,
    pub pick: u64,
    pub breaker: u64,
}

impl Phases {
    fn of<S: LimitStore>(rules: &[RulePlan<S>]) -> Self {
        let mask = |has: &dyn Fn(&RulePlan<S>) -> bool| {
            rules.iter().enumerate().filter(|(_, rp)| has(rp)).fold(0u64, |m, (i, _)| m | 1u64 << i)
        };
        Phases {
            unconditional: mask(&|rp| rp.rule.matcher == crate::config::Match::default()),
            conditional: mask(&|rp| rp.rule.matcher != crate::config::Match::default()),
            limit: mask(&|rp| !rp.limits.is_empty()),
            deadline: mask(&|rp| rp.rule.deadline.is_some()),
            throttle: mask(&|rp| rp.throttle.is_some()),
            shed: mask(&|rp| rp.rule.shed.is_some()),
            pick: mask(&|rp| rp.rule.pick.is_some()),
            breaker: mask(&|rp| rp.rule.breaker.is_some()),
        }
    }
}

/// See [`Plan::one_plain_limit`].
fn is_one_plain_limit<S: LimitStore>(rules: &[RulePlan<S>], phases: &Phases) -> bool {
    let [rp] = rules else { return false };
    let ([limit], [lp]) = (rp.rule.limits.as_slice(), rp.limits.as_slice()) else { return false };
    phases.unconditional == 1
        && (phases.deadline | phases.throttle | phases.shed | phases.pick | phases.breaker) == 0
        && rp.rule.fallback.is_none()
        && !rp.rule.debug_headers
        && limit.cost_header.is_none()
        && matches!(lp.state, LimitState::Bucket(_))
        && lp.lease.is_none()
        && lp.hot.is_none()
}

/// Binds `config` to this worker at `now`, resolving every limit's state in
/// `store`. Fails with a log-ready message if the store refuses one.
pub fn build<S: LimitStore>(config: Config, store: S, now: u64, seed: u64) -> Result<Plan<S>, String> {
    // Only hashed keys need the store's shared seed: a policy without them
    // leaves nothing of it in the store, and its seed hashes nothing.
    let hashes_keys = config.rules.iter().flat_map(|r| &r.limits).any(|l| l.key.is_hashed());
    let key_seed = match config.seed {
        Some(s) => s,
        None if hashes_keys => {
            store.key_seed().map_err(|e| format!("cannot read or create the shared key seed: {e:?}"))?
        }
        None => crate::key_seed::random_seed(),
    };
    let mut metrics = Metrics::default();
    let mut rules = Vec::with_capacity(config.rules.len());
    for rule in config.rules {
        let fail = |what: &str, e: &dyn std::fmt::Debug| format!("rule \"{}\": cannot create {what}: {e:?}", rule.name);
        let limits = rule
            .limits
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let state_key = Limit::state_name(&rule.name, i);
                let state = if l.key == KeySource::None {
                    LimitState::Bucket(
                        store
                            .bucket(&state_key, &l.gcra)
                            .map_err(|e| fail(&format!("shared state {state_key}"), &e))?,
                    )
                } else {
                    let sets = l.max_keys / weir_core::limiter::WAYS as u64;
                    LimitState::Table(
                        store
                            .table(&state_key, &l.gcra, sets)
                            .map_err(|e| fail(&format!("shared state {state_key}.k*"), &e))?,
                    )
                };
                let lease = (l.lease > 1).then(|| RefCell::new(Lease::new(l.lease)));
                let hot = match l.hot_keys {
                    0 => None,
                    k => Some(Box::new(RefCell::new(LimitHotKeys::new(k).map_err(|e| fail("the hot-key table", &e))?))),
                };
                Ok(LimitPlan { state, lease, hot })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let (mut shedder, mut concurrency) = (None, None);
        match rule.shed.as_ref().map(|s| &s.mode) {
            Some(ShedMode::Cpu { config, .. }) => {
                shedder = Some(Box::new(RefCell::new(Shedder::new(*config).map_err(|e| fail("the shedder", &e))?)));
            }
            Some(ShedMode::Latency(config)) => {
                let name = Shed::state_name(&rule.name);
                concurrency = Some(store.concurrency(&name, config).map_err(|e| fail(&name, &e))?);
            }
            None => {}
        }
        let throttle = match &rule.throttle {
            Some(t) => Some(Box::new(RefCell::new(Throttle::new(t.config).map_err(|e| fail("the throttle", &e))?))),
            None => None,
        };
        let picker_over = |clusters: &[String]| -> Result<Box<RefCell<Picker>>, String> {
            let config = rule.pick.as_ref().map(|p| p.config).unwrap_or_default();
            let slots = vec![PlainNodeSlot::default(); clusters.len()];
            let mut picker = PlainPicker::new(config, slots).map_err(|e| fail("the picker", &e))?;
            for i in 0..clusters.len() {
                picker.add(i as u64, now).ok_or_else(|| fail("a picker node", &i))?;
            }
            Ok(Box::new(RefCell::new(picker)))
        };
        let picker = rule.pick.as_ref().map(|p| picker_over(&p.clusters)).transpose()?;
        let gutter = rule.pick.as_ref().and_then(|p| p.gutter.as_ref());
        let gutter_picker = gutter.map(|g| picker_over(&g.clusters)).transpose()?;
        let gutter_bucket = match gutter {
            Some(g) => {
                let name = Gutter::state_name(&rule.name);
                Some(store.bucket(&name, &g.limit.gcra).map_err(|e| fail(&format!("shared state {name}"), &e))?)
            }
            None => None,
        };
        let breakers = rule.breaker.as_ref().map(|_| RefCell::new(Vec::new()));
        let counters = Counters::define(&rule, &mut metrics);
        rules.push(RulePlan {
            rule,
            limits,
            counters,
            shedder,
            concurrency,
            throttle,
            picker,
            gutter_picker,
            gutter_bucket,
            breakers,
        });
    }
    let needs_path = config.hot_keys_path.is_some()
        || rules.iter().any(|r| r.rule.matcher.needs_path() || r.rule.limits.iter().any(|l| l.key.needs_path()));
    let needs_method = rules.iter().any(|r| r.rule.matcher.method.is_some());
    let needs_grpc_status = rules.iter().any(|r| {
        r.rule.throttle.as_ref().is_some_and(|t| !t.grpc_failures.is_empty())
            || r.rule.pick.as_ref().is_some_and(|p| !p.grpc_failures.is_empty())
            || r.rule.breaker.as_ref().is_some_and(|b| !b.grpc_failures.is_empty())
    });
    let phases = Phases::of(&rules);
    let one_plain_limit = is_one_plain_limit(&rules, &phases) && config.hot_keys_path.is_none();
    Ok(Plan {
        one_plain_limit,
        phases,
        rules,
        store,
        metrics,
        rng: Rng::new(seed),
        debug: config.debug,
        stats_flush_ms: config.stats_flush_ms,
        clock_base: now,
        key_seed,
        needs_path,
        needs_method,
        hot_keys_path: config.hot_keys_path,
        needs_grpc_status,
    })
}
