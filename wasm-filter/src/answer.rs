//! The answers the filter sends itself: the status the rule configures,
//! `retry-after` (seconds, rounded up so a client waiting that long is
//! never early), `x-ratelimit-*` for limits, and a body naming the rule.

use crate::host::{self, LOG_WARN};
use crate::request;
use crate::rules::Refusal;
use weir_core::Decision;

pub fn refuse(rule: &str, debug_headers: bool, r: &Refusal) {
    let d = &r.decision;
    let retry = request::ceil_seconds(d.retry_after).to_string();
    let mut headers: Vec<(&str, String)> = Vec::with_capacity(9);
    if d.retry_after > 0 {
        headers.push(("retry-after", retry));
    }
    if let Some(burst) = r.burst {
        headers.push(("x-ratelimit-limit", burst.to_string()));
        headers.push(("x-ratelimit-remaining", d.remaining.to_string()));
        headers.push(("x-ratelimit-reset", request::ceil_seconds(d.reset_after).to_string()));
    }
    headers.push(("x-weir-rule", rule.to_string()));
    if debug_headers {
        headers.extend(debug_values(d));
    }
    let pairs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let body = format!("weir: {} by rule \"{rule}\"\n", d.reason.as_str());
    let details = format!("weir_{}", d.reason.as_str());
    if let Err(s) = host::send_local_response(r.status, &details, body.as_bytes(), &pairs) {
        host::log(LOG_WARN, &format!("weir: local response refused by host (status {})", s.0));
    }
}

pub fn debug_values(d: &Decision) -> [(&'static str, String); 4] {
    [
        ("x-weir-reason", d.reason.as_str().to_string()),
        ("x-weir-retry-after-ns", d.retry_after.to_string()),
        ("x-weir-remaining", d.remaining.to_string()),
        ("x-weir-reset-after-ns", d.reset_after.to_string()),
    ]
}
