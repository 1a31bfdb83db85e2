//! `throttle`: core's SRE client-side throttle over the statuses the
//! upstream answers.

use super::{grpc, show, ConfigProblem, Ctx};
use serde_json::Value;
use weir_core::throttle::{ThrottleConfig, ThrottleKernel};

#[derive(Debug, Clone, PartialEq)]
pub struct Throttle {
    pub config: ThrottleConfig,
    /// Inclusive status ranges that count as the upstream refusing work.
    pub failures: Vec<(u32, u32)>,
    /// `grpc-status` codes that count as the upstream refusing work,
    /// whatever `:status` came with them (gRPC answers errors with 200).
    pub grpc_failures: Vec<u32>,
    pub status: u32,
}

impl Throttle {
    /// Whether the upstream's answer counts against it.
    pub fn is_failure(&self, status: u32, grpc_status: Option<u32>) -> bool {
        self.failures.iter().any(|(lo, hi)| (*lo..=*hi).contains(&status))
            || grpc_status.is_some_and(|g| self.grpc_failures.contains(&g))
    }
}

const FIELDS: [&str; 8] =
    ["k", "window", "buckets", "min_requests", "max_reject_probability", "failures", "grpc_failures", "status"];

pub(super) fn parse(ctx: &Ctx, v: &Value) -> Result<Throttle, ConfigProblem> {
    let obj = ctx.object("throttle", v, &FIELDS)?;
    let mut config = ThrottleConfig::default();
    if let Some(k) = obj.get("k") {
        config.k = ctx.float("throttle.k", k, 1.0, 1e9)?;
    }
    if let Some(w) = obj.get("window") {
        config.window_ns = ctx.duration("throttle.window", w)?;
    }
    if let Some(b) = obj.get("buckets") {
        config.buckets = ctx.uint("throttle.buckets", b, 1, 128)?;
    }
    if let Some(m) = obj.get("min_requests") {
        config.min_requests = ctx.uint("throttle.min_requests", m, 0, u64::from(u32::MAX))?;
    }
    if let Some(p) = obj.get("max_reject_probability") {
        config.max_reject_probability = ctx.float("throttle.max_reject_probability", p, 0.0, 1.0)?;
    }
    ThrottleKernel::new(config).map_err(|e| ctx.core("throttle", &[("window_ns", "window")], e))?;
    let failures = match obj.get("failures") {
        None => vec![(429, 429), (500, 599)],
        Some(f) => parse_status_list(ctx, "throttle.failures", f)?,
    };
    let grpc_failures =
        obj.get("grpc_failures").map_or(Ok(Vec::new()), |g| grpc::parse(ctx, "throttle.grpc_failures", g))?;
    let status = ctx.status("throttle.status", obj.get("status"), 503)?;
    Ok(Throttle { config, failures, grpc_failures, status })
}

/// `[503, "5xx", 429]`: single statuses or whole classes.
pub(super) fn parse_status_list(ctx: &Ctx, field: &str, v: &Value) -> Result<Vec<(u32, u32)>, ConfigProblem> {
    let expected = "must be a status (100-599) or a class such as \"5xx\"";
    let list = v
        .as_array()
        .filter(|l| !l.is_empty())
        .ok_or_else(|| ctx.err(field, format!("must be a non-empty list, got {}", show(v))))?;
    let mut out = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let item_field = format!("{field}[{i}]");
        let range = match item {
            Value::Number(_) => {
                let s = ctx.uint(&item_field, item, 100, 599)? as u32;
                (s, s)
            }
            Value::String(s) => match s.as_bytes() {
                [c @ b'1'..=b'5', b'x' | b'X', b'x' | b'X'] => {
                    let base = u32::from(c - b'0') * 100;
                    (base, base + 99)
                }
                _ => return Err(ctx.err(&item_field, format!("{expected}, got {}", show(item)))),
            },
            _ => return Err(ctx.err(&item_field, format!("{expected}, got {}", show(item)))),
        };
        out.push(range);
    }
    Ok(out)
}
