//! `fallback`: what a rule answers instead of its plain refusal when one
//! of its `limit`, `throttle`, `shed` or `breaker` refuses a request: a
//! configured status, body and headers (a static or degraded answer), or a
//! degraded cluster the request goes to instead. A deadline refusal keeps
//! its plain answer: the caller's time is gone whatever the answer says.

use super::{kind, show, show_str, ConfigProblem, Ctx};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fallback {
    /// Answer with this instead of the refusal.
    Answer {
        status: u32,
        body: String,
        /// Names interned (see [`crate::answer::intern`]), so the answer
        /// keeps the `&'static str` header names every host reads.
        headers: Vec<(&'static str, String)>,
    },
    /// Send the request on to `cluster`, named in `header` (the route's
    /// `cluster_header`), as `pick` does.
    Cluster { cluster: String, header: String },
}

const FIELDS: [&str; 5] = ["status", "body", "headers", "cluster", "header"];
const MAX_HEADERS: usize = 16;
const MAX_BODY: usize = 64 * 1024;

pub(super) fn parse(ctx: &Ctx, v: &Value, pick_header: Option<&str>) -> Result<Fallback, ConfigProblem> {
    let obj = ctx.object("fallback", v, &FIELDS)?;
    if let Some(c) = obj.get("cluster") {
        if let Some(other) = ["status", "body", "headers"].iter().find(|f| obj.contains_key(**f)) {
            return Err(ctx.err(
                &format!("fallback.{other}"),
                "must not be set together with fallback.cluster (a request routed to a degraded cluster gets that cluster's answer)".into(),
            ));
        }
        let cluster = super::pick::cluster_name(ctx, "fallback.cluster", c)?;
        let header = match obj.get("header") {
            Some(h) => ctx.header_name("fallback.header", h)?,
            None => pick_header.unwrap_or("x-weir-cluster").to_owned(),
        };
        return Ok(Fallback::Cluster { cluster, header });
    }
    if obj.contains_key("header") {
        return Err(ctx.err("fallback.header", "must be set only with fallback.cluster".into()));
    }
    if obj.is_empty() {
        return Err(ctx.err("fallback", "must set status, body or headers, or cluster, got an empty object".into()));
    }
    let status = ctx.status("fallback.status", obj.get("status"), 200)?;
    let body = match obj.get("body") {
        None => String::new(),
        Some(Value::String(s)) if s.len() <= MAX_BODY => s.clone(),
        Some(b) => {
            return Err(
                ctx.err("fallback.body", format!("must be a string of at most {MAX_BODY} bytes, got {}", kind(b)))
            )
        }
    };
    let mut headers = Vec::new();
    if let Some(h) = obj.get("headers") {
        let map = h.as_object().filter(|m| m.len() <= MAX_HEADERS).ok_or_else(|| {
            ctx.err(
                "fallback.headers",
                format!("must be an object of at most {MAX_HEADERS} headers (name: value), got {}", show(h)),
            )
        })?;
        for (name, value) in map {
            let field = format!("fallback.headers.{name}");
            let name = ctx.header_name(&field, &Value::String(name.clone()))?;
            if name.starts_with("x-weir-") || name == "retry-after" {
                return Err(ctx.err(&field, format!("must not be a header weir sets itself, got {}", show_str(&name))));
            }
            let value = match value.as_str() {
                Some(s) if s.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b)) => s.to_owned(),
                _ => return Err(ctx.err(&field, format!("must be a printable string, got {}", show(value)))),
            };
            headers.push((crate::answer::intern(&name), value));
        }
    }
    Ok(Fallback::Answer { status, body, headers })
}
