//! A validated configuration bound to one VM: shared-data keys created,
//! counters defined, the per-worker adaptive state built. Made in
//! `on_configure`, shared by the VM's streams.
//!
//! Limits live in shared data (a quota must hold across workers). The
//! shedder, throttle and picker live in the VM, one per worker: they learn
//! ratios and latencies (CPU, success rate, in-flight against Little's law),
//! which each worker estimates as well from its own share of the traffic;
//! sharing them would add a shared-data read and CAS per request and
//! response for no gain in exactness.

use crate::config::{Config, Debug, KeySource, Rule};
use crate::keyed::{self, KeyBuf};
use crate::metrics::{Counter, Metrics};
use crate::rng::Rng;
use crate::shared::{self, Store};
use std::cell::RefCell;
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
}

impl Counters {
    fn define(rule: &Rule, m: &mut Metrics) -> Self {
        let name = &rule.name;
        let mut c = |outcome: &str| Some(m.define(&format!("weir.{name}.{outcome}")));
        let mut out = Counters::default();
        if rule.limit.is_some() {
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
        }
        if rule.deadline.is_some() {
            out.deadline_set = c("deadline_set");
            out.deadline_exceeded = c("deadline_exceeded");
            out.shadow_deadline_exceeded = c("shadow_deadline_exceeded");
        }
        out
    }
}

pub struct RulePlan {
    pub rule: Rule,
    /// The shared-data key of an unkeyed limit, or the prefix of a keyed one's sets.
    pub state_key: String,
    pub sets: u64,
    pub counters: Counters,
    pub shedder: Option<RefCell<Shedder>>,
    pub throttle: Option<RefCell<Throttle>>,
    pub picker: Option<RefCell<Picker>>,
    /// This worker's tokens taken ahead from the shared bucket (`limit.lease` > 1).
    pub lease: Option<RefCell<Lease>>,
}

pub struct Plan {
    pub rules: Vec<RulePlan>,
    pub metrics: Metrics,
    pub rng: Rng,
    pub debug: Debug,
    pub stats_flush_ms: u32,
    /// The clock at configure time: the origin of clocks that need a small one.
    pub clock_base: u64,
    pub needs_path: bool,
    pub needs_method: bool,
    /// Scratch space for keyed set names, so a request does not allocate one.
    pub key_buf: RefCell<KeyBuf>,
}

/// Binds `config` to this VM at `now`, creating every shared-data value the
/// rules will CAS on. Fails with a log-ready message if the host refuses one.
pub fn build(config: Config, store: &impl Store, now: u64, seed: u64) -> Result<Plan, String> {
    let mut metrics = Metrics::default();
    let mut rules = Vec::with_capacity(config.rules.len());
    for rule in config.rules {
        let state_key = format!("weir.limit.{}", rule.name);
        let fail = |what: &str, e: &dyn std::fmt::Debug| format!("rule \"{}\": cannot create {what}: {e:?}", rule.name);
        let mut sets = 0;
        if let Some(limit) = &rule.limit {
            if limit.key == KeySource::None {
                shared::ensure(store, &state_key, &0u64.to_le_bytes())
                    .map_err(|e| fail(&format!("shared state {state_key}"), &e))?;
            } else {
                sets = limit.max_keys / weir_core::limiter::WAYS as u64;
                let empty = [0u8; keyed::SET_BYTES];
                for i in 0..sets {
                    let key = format!("{state_key}.k{i}");
                    shared::ensure(store, &key, &empty).map_err(|e| fail(&format!("shared state {key}"), &e))?;
                }
            }
        }
        let shedder = match &rule.shed {
            Some(s) => Some(RefCell::new(Shedder::new(s.config).map_err(|e| fail("the shedder", &e))?)),
            None => None,
        };
        let throttle = match &rule.throttle {
            Some(t) => Some(RefCell::new(Throttle::new(t.config).map_err(|e| fail("the throttle", &e))?)),
            None => None,
        };
        let picker = match &rule.pick {
            Some(p) => {
                let slots = vec![PlainNodeSlot::default(); p.clusters.len()];
                let mut picker = PlainPicker::new(p.config, slots).map_err(|e| fail("the picker", &e))?;
                for i in 0..p.clusters.len() {
                    picker.add(i as u64, now).ok_or_else(|| fail("a picker node", &i))?;
                }
                Some(RefCell::new(picker))
            }
            None => None,
        };
        let lease = rule.limit.as_ref().filter(|l| l.lease > 1).map(|l| RefCell::new(Lease::new(l.lease)));
        let counters = Counters::define(&rule, &mut metrics);
        rules.push(RulePlan { rule, state_key, sets, counters, shedder, throttle, picker, lease });
    }
    let needs_path = rules
        .iter()
        .any(|r| r.rule.matcher.needs_path() || r.rule.limit.as_ref().is_some_and(|l| l.key == KeySource::Path));
    let needs_method = rules.iter().any(|r| r.rule.matcher.method.is_some());
    Ok(Plan {
        rules,
        metrics,
        rng: Rng::new(seed),
        debug: config.debug,
        stats_flush_ms: config.stats_flush_ms,
        clock_base: now,
        needs_path,
        needs_method,
        key_buf: RefCell::new(KeyBuf::default()),
    })
}
