//! `limit`: a GCRA rate limit, unkeyed or keyed, whose state lives in shared data.

use super::{show, ConfigProblem, Ctx};
use serde_json::Value;
use weir_core::limiter::{Gcra, LimiterConfig};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    None,
    Header(String),
    ClientAddress,
    Path,
    /// Test-only: the header's decimal value *is* the key hash, so core's
    /// conformance vectors (numeric keys) land in the same sets as in core.
    RawHeader(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    pub gcra: Gcra,
    pub burst: u64,
    pub cost: u64,
    /// A request header whose integer value is the cost (weighted requests);
    /// `cost` applies when it is absent or not an integer.
    pub cost_header: Option<String>,
    pub key: KeySource,
    /// Keyed entries in shared data, a multiple of 8 (one shared-data value per 8).
    pub max_keys: u64,
    pub status: u32,
    /// Adds `x-ratelimit-*` to admitted responses too, as Envoy's native filter can.
    pub headers_on_success: bool,
    /// Tokens a worker takes from the shared bucket per shared-data round
    /// trip (1: every request goes to shared data, exact timing).
    pub lease: u64,
    pub lease_ttl_ns: u64,
}

const MAX_KEYS: u64 = 1 << 20;
const FIELDS: [&str; 11] = [
    "rate",
    "per",
    "burst",
    "cost",
    "cost_header",
    "key",
    "max_keys",
    "status",
    "headers_on_success",
    "lease",
    "lease_ttl",
];
const LEASE_TTL_MIN: u64 = 5 * weir_core::MILLISECOND;
const LEASE_TTL_MAX: u64 = 10 * weir_core::SECOND;

pub(super) fn parse(ctx: &Ctx, v: &Value) -> Result<Limit, ConfigProblem> {
    let obj = ctx.object("limit", v, &FIELDS)?;
    let rate = ctx.uint("limit.rate", obj.get("rate").unwrap_or(&Value::Null), 1, u64::MAX)?;
    let per = obj.get("per").map_or(Ok(weir_core::SECOND), |p| ctx.duration("limit.per", p))?;
    let burst = obj.get("burst").map_or(Ok(rate), |b| ctx.uint("limit.burst", b, 1, u64::MAX))?;
    let cost = obj.get("cost").map_or(Ok(1), |c| ctx.uint("limit.cost", c, 1, burst))?;
    let gcra = Gcra::new(LimiterConfig { rate, period_ns: per, burst })
        .map_err(|e| ctx.core("limit", &[("period_ns", "per")], e))?;
    let cost_header = obj.get("cost_header").map(|h| ctx.header_name("limit.cost_header", h)).transpose()?;
    let key = obj.get("key").map_or(Ok(KeySource::None), |k| parse_key(ctx, k))?;
    let max_keys = match obj.get("max_keys") {
        None => 1024,
        Some(m) => {
            let n = ctx.uint("limit.max_keys", m, 8, MAX_KEYS)?;
            if n % 8 != 0 {
                return Err(ctx.err("limit.max_keys", format!("must be a multiple of 8, got {n}")));
            }
            n
        }
    };
    let status = ctx.status("limit.status", obj.get("status"), 429)?;
    let headers_on_success =
        obj.get("headers_on_success").map_or(Ok(false), |h| ctx.boolean("limit.headers_on_success", h))?;
    let max_lease = burst.min(weir_core::lease::MAX_LEASE_TOKENS);
    let lease = obj.get("lease").map_or(Ok(1), |l| ctx.uint("limit.lease", l, 1, max_lease))?;
    if lease > 1 && key != KeySource::None {
        return Err(ctx.err("limit.lease", format!("must be 1 for a keyed limit (leases are per bucket), got {lease}")));
    }
    let lease_ttl_ns =
        obj.get("lease_ttl").map_or(Ok(50 * weir_core::MILLISECOND), |t| ctx.duration("limit.lease_ttl", t))?;
    if !(LEASE_TTL_MIN..=LEASE_TTL_MAX).contains(&lease_ttl_ns) {
        return Err(ctx.err(
            "limit.lease_ttl",
            format!("must be from \"5ms\" to \"10s\", got {}", show(obj.get("lease_ttl").unwrap_or(&Value::Null))),
        ));
    }
    Ok(Limit { gcra, burst, cost, cost_header, key, max_keys, status, headers_on_success, lease, lease_ttl_ns })
}

fn parse_key(ctx: &Ctx, v: &Value) -> Result<KeySource, ConfigProblem> {
    let expected = "must be \"none\", \"client_address\", \"path\" or {\"header\": \"name\"}";
    match v {
        Value::String(s) => match s.as_str() {
            "none" => Ok(KeySource::None),
            "client_address" => Ok(KeySource::ClientAddress),
            "path" => Ok(KeySource::Path),
            _ => Err(ctx.err("limit.key", format!("{expected}, got {}", show(v)))),
        },
        Value::Object(o) if o.len() == 1 && o.contains_key("debug_raw_header") => {
            let h = ctx.header_name("limit.key.debug_raw_header", o.get("debug_raw_header").unwrap_or(&Value::Null))?;
            Ok(KeySource::RawHeader(h))
        }
        Value::Object(_) => {
            let obj = ctx.object("limit.key", v, &["header"])?;
            let h = ctx.header_name("limit.key.header", obj.get("header").unwrap_or(&Value::Null))?;
            Ok(KeySource::Header(h))
        }
        _ => Err(ctx.err("limit.key", format!("{expected}, got {}", show(v)))),
    }
}
