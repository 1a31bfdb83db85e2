//! The answers weir sends itself: the status the rule configures,
//! `retry-after` (seconds, rounded up so a client waiting that long is
//! never early), `x-ratelimit-*` for limits, and a body naming the rule.

use crate::request;
use crate::rules::Refusal;
use weir_core::Decision;

/// A local answer, ready for the host to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u32,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
    /// Envoy's response code details: `weir_<reason>`.
    pub details: String,
    /// Why: `rate_limited`, `table_full`, `shed`, `throttled`, `deadline_exceeded`...
    pub reason: &'static str,
    /// The name of the rule that answered.
    pub rule: String,
}

impl Answer {
    /// The headers as borrowed pairs, the shape host calls take.
    pub fn header_pairs(&self) -> Vec<(&str, &str)> {
        self.headers.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }
}

pub fn refusal(rule: &str, debug_headers: bool, r: &Refusal) -> Answer {
    let d = &r.decision;
    let mut headers: Vec<(&'static str, String)> = Vec::with_capacity(9);
    if d.retry_after > 0 {
        headers.push(("retry-after", request::ceil_seconds(d.retry_after).to_string()));
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
    Answer {
        status: r.status,
        headers,
        body: format!("weir: {} by rule \"{rule}\"\n", d.reason.as_str()),
        details: format!("weir_{}", d.reason.as_str()),
        reason: d.reason.as_str(),
        rule: rule.to_string(),
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
