//! `limit`: GCRA rate limits, unkeyed or keyed, whose state lives in the
//! host's store. A rule holds one (`"limit": {...}`) or several decided
//! together (`"limit": [{10/s}, {1000/h}]`).

use super::{key, show, ConfigProblem, Ctx};
use serde_json::Value;
use weir_core::limiter::{Gcra, LimiterConfig};

pub use super::key::KeySource;

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
    /// Keys this limit reports as its hottest (`hot_keys`); 0: none
    /// counted, nothing spent.
    pub hot_keys: u64,
}

impl Limit {
    /// Where the limit's state lives in the store: the first limit of a
    /// rule at `weir.limit.<rule>` (as when a rule had one), later ones at
    /// `weir.limit.<rule>.l<index>`.
    pub fn state_name(rule: &str, index: usize) -> String {
        if index == 0 {
            format!("weir.limit.{rule}")
        } else {
            format!("weir.limit.{rule}.l{index}")
        }
    }
}

const MAX_KEYS: u64 = 1 << 20;
/// Limits in one rule: a few windows (second, minute, hour, day) per key.
pub const MAX_LIMITS: usize = 8;
const FIELDS: [&str; 12] = [
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
    "hot_keys",
];
const LEASE_TTL_MIN: u64 = 5 * weir_core::MILLISECOND;
const LEASE_TTL_MAX: u64 = 10 * weir_core::SECOND;

/// `limit` as one object or a list of 1 to [`MAX_LIMITS`] objects, each
/// decided in the order written.
pub(super) fn parse_all(ctx: &Ctx, v: &Value) -> Result<Vec<Limit>, ConfigProblem> {
    let Value::Array(list) = v else { return Ok(vec![parse(ctx, "limit", v)?]) };
    if list.is_empty() || list.len() > MAX_LIMITS {
        return Err(ctx.err("limit", format!("must be a limit or a list of 1 to {MAX_LIMITS} limits, got {}", show(v))));
    }
    list.iter().enumerate().map(|(i, l)| parse(ctx, &format!("limit[{i}]"), l)).collect()
}

pub(super) fn parse(ctx: &Ctx, at: &str, v: &Value) -> Result<Limit, ConfigProblem> {
    let f = |name: &str| format!("{at}.{name}");
    let obj = ctx.object(at, v, &FIELDS)?;
    let rate = ctx.uint(&f("rate"), obj.get("rate").unwrap_or(&Value::Null), 1, u64::MAX)?;
    let per = obj.get("per").map_or(Ok(weir_core::SECOND), |p| ctx.duration(&f("per"), p))?;
    let burst = obj.get("burst").map_or(Ok(rate), |b| ctx.uint(&f("burst"), b, 1, u64::MAX))?;
    let cost = obj.get("cost").map_or(Ok(1), |c| ctx.uint(&f("cost"), c, 1, burst))?;
    let gcra = Gcra::new(LimiterConfig { rate, period_ns: per, burst })
        .map_err(|e| ctx.core(at, &[("period_ns", "per")], e))?;
    let cost_header = obj.get("cost_header").map(|h| ctx.header_name(&f("cost_header"), h)).transpose()?;
    let key = obj.get("key").map_or(Ok(KeySource::None), |k| key::parse(ctx, &f("key"), k))?;
    let max_keys = match obj.get("max_keys") {
        None => 1024,
        Some(m) => {
            let n = ctx.uint(&f("max_keys"), m, 8, MAX_KEYS)?;
            if n % 8 != 0 {
                return Err(ctx.err(&f("max_keys"), format!("must be a multiple of 8, got {n}")));
            }
            n
        }
    };
    let status = ctx.status(&f("status"), obj.get("status"), 429)?;
    let headers_on_success =
        obj.get("headers_on_success").map_or(Ok(false), |h| ctx.boolean(&f("headers_on_success"), h))?;
    let max_lease = burst.min(weir_core::lease::MAX_LEASE_TOKENS);
    let lease = obj.get("lease").map_or(Ok(1), |l| ctx.uint(&f("lease"), l, 1, max_lease))?;
    if lease > 1 && key != KeySource::None {
        return Err(ctx.err(&f("lease"), format!("must be 1 for a keyed limit (leases are per bucket), got {lease}")));
    }
    let lease_ttl_ns =
        obj.get("lease_ttl").map_or(Ok(50 * weir_core::MILLISECOND), |t| ctx.duration(&f("lease_ttl"), t))?;
    if !(LEASE_TTL_MIN..=LEASE_TTL_MAX).contains(&lease_ttl_ns) {
        return Err(ctx.err(
            &f("lease_ttl"),
            format!("must be from \"5ms\" to \"10s\", got {}", show(obj.get("lease_ttl").unwrap_or(&Value::Null))),
        ));
    }
    let max_hot = crate::hot_keys::MAX_REPORTED;
    let hot_keys = obj.get("hot_keys").map_or(Ok(0), |h| ctx.uint(&f("hot_keys"), h, 0, max_hot))?;
    if hot_keys > 0 && key == KeySource::None {
        return Err(
            ctx.err(&f("hot_keys"), format!("needs a keyed limit (a \"key\"), got {hot_keys} on a limit without one"))
        );
    }
    Ok(Limit {
        gcra,
        burst,
        cost,
        cost_header,
        key,
        max_keys,
        status,
        headers_on_success,
        lease,
        lease_ttl_ns,
        hot_keys,
    })
}
