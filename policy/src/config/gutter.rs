//! `pick.gutter`: a small overflow pool that takes the requests the
//! primary clusters cannot, instead of refusing them: when every primary
//! cluster is above the picker's CPU ceiling or below its success floor, or
//! its breaker is open. The pool has a rate limit of its own (a bucket in
//! the host's store, exact across workers), so a spill cannot swamp it.

use super::{ConfigProblem, Ctx, Limit};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gutter {
    pub clusters: Vec<String>,
    pub limit: Limit,
    /// The request header naming the pool that served (`primary` or
    /// `gutter`), for the upstream and the access log.
    pub pool_header: String,
    /// The status when the gutter's limit refuses too.
    pub status: u32,
}

impl Gutter {
    /// Where the gutter's bucket lives in the store.
    pub fn state_name(rule: &str) -> String {
        format!("weir.gutter.{rule}")
    }
}

const FIELDS: [&str; 4] = ["clusters", "limit", "pool_header", "status"];

pub(super) fn parse(ctx: &Ctx, v: &Value, primaries: &[String]) -> Result<Gutter, ConfigProblem> {
    let obj = ctx.object("pick.gutter", v, &FIELDS)?;
    let clusters = super::pick::cluster_list(ctx, "pick.gutter.clusters", obj.get("clusters"))?;
    if let Some((i, c)) = clusters.iter().enumerate().find(|(_, c)| primaries.contains(c)) {
        return Err(ctx.err(
            &format!("pick.gutter.clusters[{i}]"),
            format!("must not be one of pick.clusters (the gutter is a separate pool), got {}", super::show_str(c)),
        ));
    }
    let raw = obj.get("limit").ok_or_else(|| {
        ctx.err("pick.gutter.limit", "must be present: the gutter's own rate limit, e.g. {\"rate\": 50}".into())
    })?;
    let limit = super::limit::parse(ctx, "pick.gutter.limit", raw)?;
    if limit.key != super::KeySource::None {
        return Err(ctx.err("pick.gutter.limit.key", "must be absent (the gutter has one bucket)".into()));
    }
    let pool_header =
        obj.get("pool_header").map_or(Ok("x-weir-pool".into()), |h| ctx.header_name("pick.gutter.pool_header", h))?;
    let status = ctx.status("pick.gutter.status", obj.get("status"), 503)?;
    Ok(Gutter { clusters, limit, pool_header, status })
}
