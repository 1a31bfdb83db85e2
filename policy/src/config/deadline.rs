//! `deadline`: cap the time the upstream gets and propagate what is left,
//! by core's deadline rule.

use super::{show, ConfigProblem, Ctx};
use serde_json::Value;
use weir_core::deadline::{Deadline, DeadlineConfig};

/// When to write `grpc-timeout` to the upstream request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrpcWrite {
    /// On gRPC requests (`content-type: application/grpc...`) and requests
    /// that arrived with a `grpc-timeout`.
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineRule {
    pub deadline: Deadline,
    pub grpc: GrpcWrite,
    /// Whether to write `x-envoy-upstream-rq-timeout-ms`, which Envoy's router obeys.
    pub envoy: bool,
    /// The answer when nothing is left of the caller's deadline.
    pub status: u32,
}

const FIELDS: [&str; 5] = ["timeout", "margin", "grpc_timeout", "envoy_timeout", "status"];

pub(super) fn parse(ctx: &Ctx, v: &Value) -> Result<DeadlineRule, ConfigProblem> {
    let obj = ctx.object("deadline", v, &FIELDS)?;
    let mut config = DeadlineConfig::default();
    if let Some(t) = obj.get("timeout") {
        config.timeout_ns = ctx.duration("deadline.timeout", t)?;
    }
    if let Some(m) = obj.get("margin") {
        config.margin_ns = match m.as_str() {
            Some("0") | Some("0s") | Some("0ms") => 0,
            _ => ctx.duration("deadline.margin", m)?,
        };
    }
    let deadline = Deadline::new(config)
        .map_err(|e| ctx.core("deadline", &[("timeout_ns", "timeout"), ("margin_ns", "margin")], e))?;
    let grpc = match obj.get("grpc_timeout") {
        None => GrpcWrite::Auto,
        Some(g) => match g.as_str() {
            Some("auto") => GrpcWrite::Auto,
            Some("always") => GrpcWrite::Always,
            Some("never") => GrpcWrite::Never,
            _ => {
                return Err(ctx.err(
                    "deadline.grpc_timeout",
                    format!("must be \"auto\", \"always\" or \"never\", got {}", show(g)),
                ))
            }
        },
    };
    let envoy = obj.get("envoy_timeout").map_or(Ok(true), |e| ctx.boolean("deadline.envoy_timeout", e))?;
    let status = ctx.status("deadline.status", obj.get("status"), 504)?;
    Ok(DeadlineRule { deadline, grpc, envoy, status })
}
