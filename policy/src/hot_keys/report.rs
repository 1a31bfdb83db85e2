//! How the hot keys leave the worker: gauges named per rank (the host sets
//! them off the request path, on its stats tick) and a JSON answer on
//! `hot_keys_path` for an operator on the proxy's own machine.
//!
//! A gauge's name carries the rank, never the key: a stat name made from
//! keys would mint a new stat for every key that was ever hot, and a proxy
//! keeps every stat it defined. So a limit reporting `k` keys has exactly
//! `k` gauges, `weir.<rule>.hot_key.<rank>` (`weir.<rule>.l<i>.hot_key.<rank>`
//! for the rule's later limits, as their state is named), each the requests
//! its key surely had; the keys themselves are in the JSON answer.

use super::HotKeyCount;
use crate::answer::Answer;
use crate::exchange::Exchange;
use crate::plan::Plan;
use crate::request;
use crate::store::LimitStore;
use serde_json::{json, Value};

/// Every hot-key gauge of the plan, in the order [`gauge_values`] fills.
pub fn gauge_names<S: LimitStore>(plan: &Plan<S>) -> Vec<String> {
    let mut names = Vec::new();
    for rp in &plan.rules {
        for (i, lp) in rp.limits.iter().enumerate() {
            let Some(hot) = &lp.hot else { continue };
            let prefix = if i == 0 { format!("weir.{}", rp.rule.name) } else { format!("weir.{}.l{i}", rp.rule.name) };
            let k = hot.try_borrow().map_or(0, |h| h.reported());
            names.extend((1..=k).map(|rank| format!("{prefix}.hot_key.{rank}")));
        }
    }
    names
}

/// Each gauge's value at `now`: the requests its rank's key surely had
/// (decayed), 0 for a rank no key holds yet.
pub fn gauge_values<S: LimitStore>(plan: &Plan<S>, now: u64) -> Vec<u64> {
    let mut values = Vec::new();
    for lp in plan.rules.iter().flat_map(|rp| &rp.limits) {
        let Some(Ok(hot)) = lp.hot.as_ref().map(|h| h.try_borrow()) else { continue };
        let top = hot.top(now);
        values.extend((0..hot.reported()).map(|r| top.get(r).map_or(0, HotKeyCount::guaranteed)));
    }
    values
}

/// The hot keys of each limit of rule `rule` (in the order of its limits,
/// empty for a limit that reports none); `None` for an unknown rule.
pub fn of_rule<S: LimitStore>(plan: &Plan<S>, rule: &str, now: u64) -> Option<Vec<Vec<HotKeyCount>>> {
    let rp = plan.rules.iter().find(|rp| rp.rule.name == rule)?;
    Some(
        rp.limits
            .iter()
            .map(|lp| lp.hot.as_ref().and_then(|h| h.try_borrow().ok()).map_or_else(Vec::new, |h| h.top(now)))
            .collect(),
    )
}

fn report<S: LimitStore>(plan: &Plan<S>, now: u64) -> Value {
    let mut limits = Vec::new();
    for rp in &plan.rules {
        for (i, lp) in rp.limits.iter().enumerate() {
            let Some(Ok(hot)) = lp.hot.as_ref().map(|h| h.try_borrow()) else { continue };
            let keys: Vec<Value> = hot
                .top(now)
                .iter()
                .map(|k| json!({"key": String::from_utf8_lossy(&k.key), "count": k.count, "error": k.error}))
                .collect();
            limits.push(json!({"rule": rp.rule.name, "limit": i, "keys": keys}));
        }
    }
    json!({ "limits": limits })
}

/// The JSON report when this request asks `hot_keys_path` from the
/// loopback; `None` lets every other request through to the rules (a
/// remote client asking the path is an ordinary request).
#[inline(never)]
pub fn answer<S: LimitStore>(plan: &Plan<S>, ex: &impl Exchange, now: u64) -> Option<Answer> {
    let path = plan.hot_keys_path.as_deref()?;
    let asked = ex.request_header(":path")?;
    if request::path_only(&asked) != path.as_bytes() || !is_loopback(&ex.client_address()?) {
        return None;
    }
    Some(Answer {
        status: 200,
        headers: vec![("content-type", "application/json".into())],
        body: report(plan, now).to_string(),
        details: "weir_hot_keys".into(),
        reason: "hot_keys",
        rule: String::new(),
    })
}

fn is_loopback(address: &[u8]) -> bool {
    let host = request::address_host(address);
    host.starts_with(b"127.") || host == b"::1" || host.starts_with(b"::ffff:127.")
}

#[cfg(test)]
mod tests {
    use super::is_loopback;

    #[test]
    fn only_the_loopback_is_loopback() {
        for yes in ["127.0.0.1:5000", "127.3.2.1", "[::1]:80", "::1", "[::ffff:127.0.0.1]:9"] {
            assert!(is_loopback(yes.as_bytes()), "{yes}");
        }
        for no in ["10.0.0.1:80", "128.0.0.1", "[::2]:80", "1.127.0.0", ""] {
            assert!(!is_loopback(no.as_bytes()), "{no}");
        }
    }
}
