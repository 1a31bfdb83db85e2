//! `pick`: core's p2c picker over Envoy clusters, chosen through a request
//! header the route's `cluster_header` reads.

use super::{grpc, show, ConfigProblem, Ctx, Gutter};
use serde_json::Value;
use weir_core::picker::{PickerConfig, PickerKernel};

#[derive(Debug, Clone, PartialEq)]
pub struct Pick {
    pub config: PickerConfig,
    pub clusters: Vec<String>,
    /// The request header the filter sets to the chosen cluster.
    pub header: String,
    /// The response header carrying the upstream's CPU in permille.
    pub cpu_header: String,
    /// Inclusive status ranges that count against a cluster's success rate.
    pub failures: Vec<(u32, u32)>,
    /// `grpc-status` codes that count against it, whatever `:status` said.
    pub grpc_failures: Vec<u32>,
    /// Overflow clusters for when no primary can take the request.
    pub gutter: Option<Gutter>,
}

impl Pick {
    /// Whether the cluster's answer counts against its success rate.
    pub fn is_failure(&self, status: u32, grpc_status: Option<u32>) -> bool {
        self.failures.iter().any(|(lo, hi)| (*lo..=*hi).contains(&status))
            || grpc_status.is_some_and(|g| self.grpc_failures.contains(&g))
    }
}

const MAX_CLUSTERS: usize = 64;
const FIELDS: [&str; 11] = [
    "clusters",
    "header",
    "cpu_header",
    "tau",
    "force_pick",
    "success_floor",
    "cpu_ceiling",
    "latency_bias",
    "failures",
    "grpc_failures",
    "gutter",
];

pub(super) fn parse(ctx: &Ctx, v: &Value) -> Result<Pick, ConfigProblem> {
    let obj = ctx.object("pick", v, &FIELDS)?;
    let clusters = cluster_list(ctx, "pick.clusters", obj.get("clusters"))?;
    let mut config = PickerConfig::default();
    if let Some(t) = obj.get("tau") {
        config.tau_ns = ctx.duration("pick.tau", t)?;
    }
    if let Some(f) = obj.get("force_pick") {
        config.force_pick_ns = ctx.duration("pick.force_pick", f)?;
    }
    if let Some(s) = obj.get("success_floor") {
        config.success_floor = ctx.float("pick.success_floor", s, 0.0, 1.0)?;
    }
    if let Some(c) = obj.get("cpu_ceiling") {
        config.cpu_ceiling = ctx.uint("pick.cpu_ceiling", c, 0, 1000)?;
    }
    if let Some(b) = obj.get("latency_bias") {
        config.latency_bias_ns = ctx.duration("pick.latency_bias", b)?;
    }
    PickerKernel::new(config).map_err(|e| {
        ctx.core("pick", &[("tau_ns", "tau"), ("force_pick_ns", "force_pick"), ("latency_bias_ns", "latency_bias")], e)
    })?;
    let header = obj.get("header").map_or(Ok("x-weir-cluster".into()), |h| ctx.header_name("pick.header", h))?;
    let cpu_header =
        obj.get("cpu_header").map_or(Ok("x-weir-cpu".into()), |h| ctx.header_name("pick.cpu_header", h))?;
    let failures = match obj.get("failures") {
        None => vec![(500, 599)],
        Some(f) => super::throttle::parse_status_list(ctx, "pick.failures", f)?,
    };
    let grpc_failures =
        obj.get("grpc_failures").map_or(Ok(Vec::new()), |g| grpc::parse(ctx, "pick.grpc_failures", g))?;
    let gutter = obj.get("gutter").map(|g| super::gutter::parse(ctx, g, &clusters)).transpose()?;
    Ok(Pick { config, clusters, header, cpu_header, failures, grpc_failures, gutter })
}

/// A list of 1 to 64 unique cluster names.
pub(super) fn cluster_list(ctx: &Ctx, field: &str, raw: Option<&Value>) -> Result<Vec<String>, ConfigProblem> {
    let raw = raw.unwrap_or(&Value::Null);
    let list = raw.as_array().filter(|l| (1..=MAX_CLUSTERS).contains(&l.len())).ok_or_else(|| {
        ctx.err(field, format!("must be a list of 1 to {MAX_CLUSTERS} cluster names, got {}", show(raw)))
    })?;
    let mut clusters: Vec<String> = Vec::with_capacity(list.len());
    for (i, c) in list.iter().enumerate() {
        let item = format!("{field}[{i}]");
        let name = cluster_name(ctx, &item, c)?;
        if clusters.contains(&name) {
            return Err(ctx.err(&item, format!("must be a unique cluster name, got {} twice", show(c))));
        }
        clusters.push(name);
    }
    Ok(clusters)
}

/// One cluster name: printable, at most 128 bytes.
pub(super) fn cluster_name(ctx: &Ctx, field: &str, v: &Value) -> Result<String, ConfigProblem> {
    let name = ctx.string(field, v)?;
    if name.len() > 128 || !name.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ctx.err(field, format!("must be a cluster name of printable characters, got {}", show(v))));
    }
    Ok(name)
}
