//! `breaker`: core's circuit breaker, one per upstream cluster, over the
//! statuses and `grpc-status` codes the upstream answers. The fields are
//! core's `BreakerConfig`, with durations named as the Python binding
//! names them (`open_duration`, not `open_ns`) and validated by core's own
//! kernel, so a value core refuses is refused here with core's rule.

use super::{grpc, show, ConfigProblem, Ctx};
use serde_json::Value;
use weir_core::breaker::{BreakerConfig, BreakerKernel, WindowKind};

#[derive(Debug, Clone, PartialEq)]
pub struct BreakerRule {
    pub config: BreakerConfig,
    /// The upstream a request without a picked cluster goes to (default:
    /// the rule's name), so a process or a route without `pick` keeps one
    /// breaker per rule.
    pub target: String,
    /// Inclusive status ranges that count as the upstream failing.
    pub failures: Vec<(u32, u32)>,
    /// `grpc-status` codes that count as it failing, whatever `:status` said.
    pub grpc_failures: Vec<u32>,
    pub status: u32,
}

impl BreakerRule {
    /// Whether the upstream's answer counts against its breaker.
    pub fn is_failure(&self, status: u32, grpc_status: Option<u32>) -> bool {
        self.failures.iter().any(|(lo, hi)| (*lo..=*hi).contains(&status))
            || grpc_status.is_some_and(|g| self.grpc_failures.contains(&g))
    }
}

/// Core's duration fields as this document names them.
const RENAMES: [(&str, &str); 4] = [
    ("window_ns", "window_duration"),
    ("slow_call_ns", "slow_call_duration"),
    ("open_ns", "open_duration"),
    ("half_open_max_ns", "half_open_max_wait"),
];

const FIELDS: [&str; 16] = [
    "target",
    "window",
    "window_calls",
    "window_duration",
    "buckets",
    "minimum_calls",
    "failure_rate_threshold",
    "slow_call_rate_threshold",
    "slow_call_duration",
    "consecutive_failures",
    "open_duration",
    "half_open_probes",
    "half_open_max_wait",
    "failures",
    "grpc_failures",
    "status",
];

pub(super) fn parse(ctx: &Ctx, v: &Value) -> Result<BreakerRule, ConfigProblem> {
    let obj = ctx.object("breaker", v, &FIELDS)?;
    let mut c = BreakerConfig::default();
    let f = |name: &str| format!("breaker.{name}");
    if let Some(w) = obj.get("window") {
        c.window = w
            .as_str()
            .and_then(WindowKind::from_name)
            .ok_or_else(|| ctx.err("breaker.window", format!("must be \"count\" or \"time\", got {}", show(w))))?;
    }
    let count = |name: &str, c: &mut u64| -> Result<(), ConfigProblem> {
        if let Some(v) = obj.get(name) {
            *c = ctx.uint(&f(name), v, 0, u64::from(u32::MAX))?;
        }
        Ok(())
    };
    count("window_calls", &mut c.window_calls)?;
    count("buckets", &mut c.buckets)?;
    count("minimum_calls", &mut c.minimum_calls)?;
    count("consecutive_failures", &mut c.consecutive_failures)?;
    count("half_open_probes", &mut c.half_open_probes)?;
    let span = |name: &str, c: &mut u64| -> Result<(), ConfigProblem> {
        if let Some(v) = obj.get(name) {
            *c = ctx.duration(&f(name), v)?;
        }
        Ok(())
    };
    span("window_duration", &mut c.window_ns)?;
    span("slow_call_duration", &mut c.slow_call_ns)?;
    span("open_duration", &mut c.open_ns)?;
    span("half_open_max_wait", &mut c.half_open_max_ns)?;
    if let Some(p) = obj.get("failure_rate_threshold") {
        c.failure_rate_threshold = ctx.float(&f("failure_rate_threshold"), p, 0.0, 100.0)?;
    }
    if let Some(p) = obj.get("slow_call_rate_threshold") {
        c.slow_call_rate_threshold = ctx.float(&f("slow_call_rate_threshold"), p, 0.0, 100.0)?;
    }
    BreakerKernel::new(c).map_err(|e| ctx.core("breaker", &RENAMES, e))?;
    let target = match obj.get("target") {
        None => ctx.rule_name().to_owned(),
        Some(t) => super::pick::cluster_name(ctx, "breaker.target", t)?,
    };
    let failures = match obj.get("failures") {
        None => vec![(500, 599)],
        Some(v) => super::throttle::parse_status_list(ctx, "breaker.failures", v)?,
    };
    let grpc_failures =
        obj.get("grpc_failures").map_or(Ok(Vec::new()), |g| grpc::parse(ctx, "breaker.grpc_failures", g))?;
    let status = ctx.status("breaker.status", obj.get("status"), 503)?;
    Ok(BreakerRule { config: c, target, failures, grpc_failures, status })
}
