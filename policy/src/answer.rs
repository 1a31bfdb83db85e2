//! The answers weir sends itself: the status the rule configures,
//! `retry-after` (seconds, rounded up so a client waiting that long is
//! never early), `x-ratelimit-*` for limits, and a body naming the rule.
//!
//! Every overload answer (a 429 or 5xx from `limit`, `shed`, `throttle`,
//! `breaker` or the gutter's limit) carries [`NO_RETRY`]: `1`, and a gRPC
//! request's also `grpc-retry-pushback-ms: -1` (gRPC's "do not retry").
//! The refusal was decided here, on purpose, so the layer that sent the
//! request must not send it again: with `A -> B -> C`, when B's weir
//! refuses A's request because C is failing, A's retry would only add load
//! to the path that is already refusing. A caller retries only failures of
//! the layer it talks to (a reset, a timeout, a 5xx without the marker).

use crate::config::Fallback;
use crate::request;
use crate::rules::Refusal;
use std::sync::Mutex;
use weir_core::Decision;

/// The header that says an answer is an overload decided on purpose and
/// must not be retried by the layer that receives it.
pub const NO_RETRY: &str = "x-weir-no-retry";
/// gRPC's retry pushback; a negative value tells the client not to retry.
pub const GRPC_PUSHBACK: &str = "grpc-retry-pushback-ms";

/// Whether an answer with `status` is an overload answer (no retry).
pub fn is_overload(status: u32) -> bool {
    status == 429 || status >= 500
}

/// A configured header name as the `&'static str` answers carry. Names are
/// kept once per distinct name for the process's life (a reload that
/// repeats a name reuses it), so memory is bounded by the names ever
/// configured, and every host keeps reading answers as it does.
pub fn intern(name: &str) -> &'static str {
    static NAMES: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let mut names = NAMES.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(known) = names.iter().find(|n| **n == name) {
        return known;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.push(leaked);
    leaked
}

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

/// The plain answer to `r`; `grpc`: the request was gRPC.
pub fn refusal(rule: &str, debug_headers: bool, r: &Refusal, grpc: bool) -> Answer {
    let d = &r.decision;
    let reason = r.reason();
    let mut headers: Vec<(&'static str, String)> = Vec::with_capacity(11);
    if d.retry_after > 0 {
        headers.push(("retry-after", request::ceil_seconds(d.retry_after).to_string()));
    }
    if let Some(burst) = r.burst {
        headers.push(("x-ratelimit-limit", burst.to_string()));
        headers.push(("x-ratelimit-remaining", d.remaining.to_string()));
        headers.push(("x-ratelimit-reset", request::ceil_seconds(d.reset_after).to_string()));
    }
    headers.push(("x-weir-rule", rule.to_string()));
    no_retry(&mut headers, r.status, grpc);
    if debug_headers {
        headers.extend(debug_values(d));
    }
    Answer {
        status: r.status,
        headers,
        body: format!("weir: {reason} by rule \"{rule}\"\n"),
        details: format!("weir_{reason}"),
        reason,
        rule: rule.to_string(),
    }
}

/// The rule's `fallback` answer to `r` in place of the plain one: the
/// configured status, body and headers, `x-weir-fallback` naming why, and
/// `retry-after` and the no-retry marker when the fallback is an overload
/// answer itself. `None` when the fallback routes instead of answering.
pub fn fallback(rule: &str, fallback: &Fallback, r: &Refusal, grpc: bool) -> Option<Answer> {
    let Fallback::Answer { status, body, headers: configured } = fallback else { return None };
    let reason = r.reason();
    let mut headers: Vec<(&'static str, String)> = Vec::with_capacity(configured.len() + 5);
    headers.extend(configured.iter().cloned());
    if is_overload(*status) && r.decision.retry_after > 0 {
        headers.push(("retry-after", request::ceil_seconds(r.decision.retry_after).to_string()));
    }
    headers.push(("x-weir-rule", rule.to_string()));
    headers.push(("x-weir-fallback", reason.to_string()));
    no_retry(&mut headers, *status, grpc);
    Some(Answer {
        status: *status,
        headers,
        body: body.clone(),
        details: format!("weir_fallback_{reason}"),
        reason,
        rule: rule.to_string(),
    })
}

fn no_retry(headers: &mut Vec<(&'static str, String)>, status: u32, grpc: bool) {
    if is_overload(status) {
        headers.push((NO_RETRY, "1".into()));
        if grpc {
            headers.push((GRPC_PUSHBACK, "-1".into()));
        }
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
