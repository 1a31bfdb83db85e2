//! The engine inside a process, as the bindings drive it: checks, reports,
//! keys from the caller, several limits, gRPC failures, reloads, threads.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use weir_policy::process::{Outcome, ProcessPolicy, RequestView};

const MS: u64 = 1_000_000;
const S: u64 = 1_000_000_000;

fn policy(json: &str) -> ProcessPolicy {
    ProcessPolicy::from_json_at(json, 0, 7).unwrap_or_else(|e| panic!("{e}"))
}

fn get(path: &str) -> RequestView<'_> {
    RequestView { method: b"GET", path: path.as_bytes(), ..RequestView::default() }
}

fn header<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

#[test]
fn a_refusal_carries_the_answer_the_filter_sends() {
    let p =
        policy(r#"{"rules": [{"name": "api", "match": {"path_prefix": "/api"}, "limit": {"rate": 2, "per": "1s"}}]}"#);
    assert!(p.check_at(&get("/api/a"), 0).admitted());
    assert!(p.check_at(&get("/api/a"), 0).admitted());
    assert!(p.check_at(&get("/other"), 0).admitted(), "no rule matches");
    let v = p.check_at(&get("/api/a?x=1"), 0);
    let answer = v.refusal.expect("the third request in a burst of 2 is refused");
    assert_eq!((answer.status, answer.reason, answer.rule.as_str()), (429, "rate_limited", "api"));
    let headers: Vec<(String, String)> = answer.headers.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    assert_eq!(header(&headers, "retry-after"), Some("1"));
    assert_eq!(header(&headers, "x-ratelimit-limit"), Some("2"));
    assert_eq!(header(&headers, "x-ratelimit-remaining"), Some("0"));
    assert_eq!(header(&headers, "x-weir-rule"), Some("api"));
    assert_eq!(answer.body, "weir: rate_limited by rule \"api\"\n");
    assert!(v.ticket.is_none(), "nothing learns from a limit-only policy");
    assert!(p.check_at(&get("/api/a"), 500 * MS).admitted(), "a token every 500ms");
    let counters = p.counters();
    let count = |name: &str| counters.iter().find(|(n, _)| n == name).map(|(_, c)| *c);
    assert_eq!(count("weir.api.admitted"), Some(3));
    assert_eq!(count("weir.api.limited"), Some(1));
}

#[test]
fn a_caller_key_and_a_composite_key_count_apart() {
    let p = policy(
        r#"{"rules": [
            {"name": "user", "limit": {"rate": 1, "per": "1h", "key": "caller"}},
            {"name": "tenant-client", "limit": {"rate": 2, "per": "1h", "key": ["header:x-tenant", "client_address"]}}
        ]}"#,
    );
    let req = |key: &'static [u8], tenant: &'static [u8], addr: &'static [u8]| RequestView {
        method: b"GET",
        path: b"/",
        headers: Box::leak(Box::new([(&b"X-Tenant"[..], tenant)])),
        client_address: Some(addr),
        key: Some(key),
    };
    assert!(p.check_at(&req(b"u1", b"a", b"10.0.0.1:5"), 0).admitted());
    let refused = p.check_at(&req(b"u1", b"a", b"10.0.0.1:6"), 0).refusal.unwrap();
    assert_eq!(refused.rule, "user");
    assert!(p.check_at(&req(b"u2", b"a", b"10.0.0.1:7"), 0).admitted(), "another user");
    // Tenant a from 10.0.0.1 has now spent its 2; tenant b, or another client, has not.
    let refused = p.check_at(&req(b"u3", b"a", b"10.0.0.1:8"), 0).refusal.unwrap();
    assert_eq!(refused.rule, "tenant-client");
    assert!(p.check_at(&req(b"u4", b"b", b"10.0.0.1:8"), 0).admitted());
    assert!(p.check_at(&req(b"u5", b"a", b"10.0.0.2:8"), 0).admitted());
    // Without a caller key the user rule does not apply; without the tenant, nor does the other.
    let anonymous = RequestView { method: b"GET", path: b"/", ..RequestView::default() };
    for _ in 0..5 {
        assert!(p.check_at(&anonymous, 0).admitted());
    }
}

#[test]
fn several_limits_of_a_rule_are_decided_in_one_call() {
    let p = policy(r#"{"rules": [{"name": "r", "limit": [{"rate": 2, "per": "1s"}, {"rate": 3, "per": "1m"}]}]}"#);
    assert!(p.check_at(&get("/"), 0).admitted());
    assert!(p.check_at(&get("/"), 0).admitted());
    let second = p.check_at(&get("/"), 0).refusal.unwrap();
    assert_eq!(second.headers.iter().find(|(k, _)| *k == "x-ratelimit-limit").unwrap().1, "2");
    // A second on, the per-second limit has refilled; the minute's third token goes.
    assert!(p.check_at(&get("/"), S).admitted());
    let minute = p.check_at(&get("/"), 2 * S).refusal.unwrap();
    assert_eq!(minute.headers.iter().find(|(k, _)| *k == "x-ratelimit-limit").unwrap().1, "3");
    assert_eq!(minute.headers.iter().find(|(k, _)| *k == "retry-after").unwrap().1, "18", "20s per token, 2s in");
}

#[test]
fn grpc_status_counts_as_a_failure_where_a_rule_says_so() {
    let p = policy(
        r#"{"rules": [{"name": "t", "throttle": {"max_reject_probability": 0, "grpc_failures": ["UNAVAILABLE", 8]}}]}"#,
    );
    for (i, grpc) in [Some(14), Some(8), Some(0), None, Some(3)].into_iter().enumerate() {
        let v = p.check_at(&get("/"), i as u64 * MS);
        let ticket = v.ticket.expect("the throttle waits for the answer");
        ticket.report_at(&Outcome { status: Some(200), grpc_status: grpc, ..Outcome::default() }, || 0);
    }
    let counters = p.counters();
    let failures = counters.iter().find(|(n, _)| n == "weir.t.upstream_failures").unwrap().1;
    assert_eq!(failures, 2, "UNAVAILABLE and RESOURCE_EXHAUSTED, not OK, absent or INVALID_ARGUMENT");
}

#[test]
fn a_reload_keeps_unchanged_limits_and_a_failed_one_keeps_the_old_policy() {
    let p = policy(
        r#"{"rules": [{"name": "a", "limit": {"rate": 1, "per": "1h"}}, {"name": "b", "limit": {"rate": 1, "per": "1h"}}]}"#,
    );
    assert!(p.check_at(&get("/"), 0).admitted());
    assert!(!p.check_at(&get("/"), 0).admitted());
    // Rule a unchanged, b's rate changed: a keeps its empty bucket, b starts full.
    p.replace_at(
        r#"{"rules": [{"name": "a", "limit": {"rate": 1, "per": "1h"}}, {"name": "b", "limit": {"rate": 2, "per": "1h"}}]}"#,
        S,
    )
    .unwrap();
    let v = p.check_at(&get("/"), S);
    assert_eq!(v.refusal.map(|a| a.rule), Some("a".into()), "no burst granted by a reload");
    let err = p.replace_at(r#"{"rules": [{"name": "a", "limit": [{"rate": 1}, {"rate": 0}]}]}"#, S).unwrap_err();
    assert_eq!((err.rule.as_str(), err.field.as_str()), ("rule #1 \"a\"", "limit[1].rate"));
    assert!(err.message.contains("got 0"), "{err}");
    assert_eq!(p.rules(), ["a", "b"], "the old policy still serves");
    let counters = p.counters();
    assert_eq!(counters.iter().find(|(n, _)| n == "weir.a.limited").unwrap().1, 2, "counters carry over");
}

#[test]
fn errors_name_the_rule_and_the_field() {
    for (json, field, got) in [
        (
            r#"{"rules": [{"name": "x", "limit": {"rate": 1, "key": ["caller", "caller"]}}]}"#,
            "limit.key[1]",
            "\"caller\"",
        ),
        (r#"{"rules": [{"name": "x", "limit": {"rate": 1, "key": "header:"}}]}"#, "limit.key", "\"header:\""),
        (r#"{"rules": [{"name": "x", "limit": {"rate": 1, "key": ["none", "path"]}}]}"#, "limit.key[0]", "\"none\""),
        (r#"{"rules": [{"name": "x", "limit": []}]}"#, "limit", "[]"),
        (
            r#"{"rules": [{"name": "x", "throttle": {"grpc_failures": ["NOPE"]}}]}"#,
            "throttle.grpc_failures[0]",
            "\"NOPE\"",
        ),
        (
            r#"{"rules": [{"name": "x", "pick": {"clusters": ["a"], "grpc_failures": [17]}}]}"#,
            "pick.grpc_failures[0]",
            "17",
        ),
    ] {
        let err = ProcessPolicy::from_json_at(json, 0, 0).err().unwrap_or_else(|| panic!("accepted {json}"));
        assert_eq!(err.rule, "rule #1 \"x\"", "{json}");
        assert_eq!(err.field, field, "{json}: {err}");
        assert!(err.message.contains(got), "{json}: {err}");
    }
}

#[test]
fn threads_share_one_limit_exactly() {
    let p = std::sync::Arc::new(policy(r#"{"rules": [{"name": "r", "limit": {"rate": 1000, "per": "1h"}}]}"#));
    let admitted: u64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let p = p.clone();
                s.spawn(move || (0..500).filter(|_| p.check_at(&get("/"), 0).admitted()).count() as u64)
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(admitted, 1000);
}

#[test]
fn an_unreported_ticket_gives_its_slot_back() {
    let p = policy(r#"{"rules": [{"name": "s", "shed": {"max_in_flight": 1}}]}"#);
    let held = p.check_at(&get("/"), 0);
    assert!(held.ticket.is_some());
    let second = p.check_at(&get("/"), 0);
    assert_eq!(second.refusal.map(|a| (a.status, a.reason)), Some((503, "queue_full")));
    drop(held);
    let third = p.check_at(&get("/"), 0);
    assert!(third.admitted(), "the dropped ticket freed its slot");
    third.ticket.unwrap().report_at(&Outcome { status: None, ..Outcome::default() }, || MS);
    assert!(p.check_at(&get("/"), 2 * MS).admitted(), "a report with no answer frees it too");
}

#[test]
fn a_ticket_checked_before_a_reload_settles_with_the_plan_that_checked_it() {
    let doc = r#"{"rules": [{"name": "s", "shed": {"max_in_flight": 1}}]}"#;
    let p = policy(doc);
    let before = p.check_at(&get("/"), 0);
    assert!(before.ticket.is_some());
    p.replace_at(doc, MS).unwrap();
    let after = p.check_at(&get("/"), MS);
    assert!(after.admitted(), "the reloaded policy's shedder starts fresh");
    // The old ticket frees the old shedder's slot, not the new one's.
    drop(before);
    let third = p.check_at(&get("/"), 2 * MS);
    assert_eq!(third.refusal.map(|a| (a.status, a.reason)), Some((503, "queue_full")));
    after.ticket.unwrap().report_at(&Outcome { status: Some(200), ..Outcome::default() }, || 3 * MS);
    assert!(p.check_at(&get("/"), 4 * MS).admitted());
}

#[test]
fn the_verdict_carries_the_upstream_and_the_deadline() {
    let p = policy(
        r#"{"rules": [{"name": "d", "deadline": {"timeout": "2s"}, "pick": {"clusters": ["only"]},
                       "limit": {"rate": 5, "headers_on_success": true}}]}"#,
    );
    let headers = [(&b"grpc-timeout"[..], &b"500m"[..])];
    let req = RequestView { method: b"POST", path: b"/svc/M", headers: &headers, ..RequestView::default() };
    let v = p.check_at(&req, 0);
    assert!(v.admitted());
    assert_eq!(v.upstream.as_deref(), Some("only"));
    assert_eq!(v.deadline_ns, Some(500 * MS));
    assert_eq!(header(&v.request_headers, "x-weir-cluster"), Some("only"));
    assert_eq!(header(&v.request_headers, "grpc-timeout"), Some("500000u"));
    assert_eq!(header(&v.response_headers, "x-ratelimit-remaining"), Some("4"));
    v.ticket.unwrap().report_at(&Outcome { status: Some(200), latency_ns: Some(3 * MS), ..Outcome::default() }, || 0);
}

#[test]
fn a_binding_may_leave_out_what_the_policy_does_not_read() {
    use weir_policy::process::Reads;
    let p = policy(r#"{"rules": [{"name": "r", "limit": {"rate": 1, "per": "1h"}}]}"#);
    let reads = p.reads();
    assert_eq!(reads, Reads::NONE, "one unkeyed limit reads nothing of the request");
    let bare = RequestView::default();
    assert!(p.check_partial_at(&bare, reads.omitted(), 0).unwrap().admitted());
    // After a reload that matches on the path, a view without it is sent back.
    p.replace_at(r#"{"rules": [{"name": "r", "match": {"path_prefix": "/a"}, "limit": {"rate": 1, "per": "1h"}}]}"#, 0)
        .unwrap();
    let needed = p.check_partial_at(&bare, reads.omitted(), 0).unwrap_err();
    assert!(needed.path && !needed.method && !needed.headers);
    assert_eq!(p.reads(), needed);
    let keyed = policy(
        r#"{"rules": [{"name": "k", "limit": {"rate": 1, "key": ["caller", "header:x-t"]},
                                        "deadline": {"timeout": "1s"}}]}"#,
    );
    let r = keyed.reads();
    assert!(r.key && r.headers && !r.client_address && !r.path);
}
