//! The `breaker` rule through the process host: errors that name the field
//! and the value, half-open probes bounded, the no-retry marker on its
//! answers (and gRPC's pushback for a gRPC request), and an upstream answer
//! carrying the marker left out of what the breaker counts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use weir_policy::process::{Outcome, ProcessPolicy, RequestView};

const MS: u64 = 1_000_000;
const S: u64 = 1_000_000_000;

fn policy(json: &str) -> ProcessPolicy {
    ProcessPolicy::from_json_at(json, 0, 7).unwrap_or_else(|e| panic!("{e}"))
}

fn refused(json: &str) -> String {
    match ProcessPolicy::from_json_at(json, 0, 7) {
        Ok(_) => panic!("accepted: {json}"),
        Err(e) => e.to_string(),
    }
}

fn get() -> RequestView<'static> {
    RequestView { method: b"GET", path: b"/items", ..RequestView::default() }
}

fn answer(status: u32) -> Outcome {
    Outcome { status: Some(status), latency_ns: Some(MS), ..Outcome::default() }
}

fn count(p: &ProcessPolicy, name: &str) -> u64 {
    p.counters().iter().find(|(n, _)| n == name).map_or(0, |(_, c)| *c)
}

#[test]
fn bad_breaker_fields_are_named_with_the_value_given() {
    let rule = |breaker: &str| format!(r#"{{"rules": [{{"name": "api", "breaker": {breaker}}}]}}"#);
    assert_eq!(
        refused(&rule(r#"{"half_open_probes": 31}"#)),
        "rule #1 \"api\": breaker.half_open_probes must be in 1..=30, got 31"
    );
    assert_eq!(
        refused(&rule(r#"{"window": "sliding"}"#)),
        "rule #1 \"api\": breaker.window must be \"count\" or \"time\", got \"sliding\""
    );
    assert!(refused(&rule(r#"{"open_duration": "soon"}"#))
        .starts_with("rule #1 \"api\": breaker.open_duration must be a duration"));
    assert_eq!(
        refused(&rule(r#"{"window_calls": 10, "minimum_calls": 20}"#)),
        "rule #1 \"api\": breaker.minimum_calls must be <= window_calls, got 20"
    );
    assert_eq!(
        refused(&rule(r#"{"failure_rate_threshold": 150}"#)),
        "rule #1 \"api\": breaker.failure_rate_threshold must be a number in [0, 100], got 150"
    );
    assert_eq!(
        refused(&rule(r#"{"failures": ["6xx"]}"#)),
        "rule #1 \"api\": breaker.failures[0] must be a status (100-599) or a class such as \"5xx\", got \"6xx\""
    );
    assert_eq!(
        refused(&rule(r#"{"colour": 1}"#)).split(" (known").next().unwrap(),
        "rule #1 \"api\": breaker.colour is not a known field"
    );
}

#[test]
fn half_open_lets_through_only_its_probes_and_a_probe_failure_reopens() {
    let p = policy(
        r#"{"rules": [{"name": "api", "breaker": {"consecutive_failures": 2, "open_duration": "5s", "half_open_probes": 2}}]}"#,
    );
    for at in [0, MS] {
        p.check_at(&get(), at).ticket.unwrap().report_at(&answer(502), || 0);
    }
    let open = p.check_at(&get(), 2 * MS).refusal.expect("two failures in a row open it");
    assert_eq!((open.status, open.reason), (503, "breaker_open"));
    let probes: Vec<_> = (0..2).map(|i| p.check_at(&get(), 6 * S + i * MS)).collect();
    assert!(probes.iter().all(|v| v.admitted()), "two probes pass");
    let third = p.check_at(&get(), 6 * S + 3 * MS).refusal.expect("a third request waits for the probes");
    assert_eq!(third.reason, "breaker_half_open");
    let mut probes = probes.into_iter();
    probes.next().unwrap().ticket.unwrap().report_at(&answer(500), || 0);
    let reopened = p.check_at(&get(), 6 * S + 4 * MS).refusal.expect("a failed probe reopens it");
    assert_eq!(reopened.reason, "breaker_open");
    drop(probes);
    assert_eq!(count(&p, "weir.api.breaker_trips"), 2);
}

#[test]
fn an_answer_marked_no_retry_is_not_the_upstreams_failure() {
    let p = policy(r#"{"rules": [{"name": "b", "breaker": {"consecutive_failures": 1}}]}"#);
    // B answered 503 because C, behind it, timed out and B's own weir
    // refused: B is not broken, so A's breaker on B stays closed.
    for i in 0..5 {
        let v = p.check_at(&get(), i * MS);
        assert!(v.admitted(), "request {i}: {:?}", v.refusal);
        v.ticket.unwrap().report_answer_at(&answer(503), true, || 0);
    }
    assert_eq!(count(&p, "weir.b.breaker_no_retry"), 5);
    assert_eq!(count(&p, "weir.b.breaker_failures"), 0);
    // The same status without the marker is B failing.
    p.check_at(&get(), 10 * MS).ticket.unwrap().report_answer_at(&answer(503), false, || 0);
    assert!(!p.check_at(&get(), 11 * MS).admitted());
}

#[test]
fn every_overload_answer_says_do_not_retry_and_a_grpc_one_says_it_in_grpc_terms_too() {
    let p = policy(
        r#"{"rules": [{"name": "q", "limit": {"rate": 1, "per": "1h"}, "breaker": {"consecutive_failures": 1}}]}"#,
    );
    assert!(p.check_at(&get(), 0).admitted());
    let grpc = RequestView {
        method: b"POST",
        path: b"/pkg.Svc/Call",
        headers: &[(b"content-type", b"application/grpc")],
        ..RequestView::default()
    };
    let limited = p.check_at(&grpc, MS).refusal.unwrap();
    let has = |a: &weir_policy::answer::Answer, name: &str| {
        a.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.clone())
    };
    assert_eq!((limited.status, has(&limited, "x-weir-no-retry")), (429, Some("1".into())));
    assert_eq!(has(&limited, "grpc-retry-pushback-ms").as_deref(), Some("-1"));
    let plain = p.check_at(&get(), 2 * MS).refusal.unwrap();
    assert_eq!(has(&plain, "x-weir-no-retry").as_deref(), Some("1"));
    assert_eq!(has(&plain, "grpc-retry-pushback-ms"), None, "not a gRPC request");
}

#[test]
fn a_breaker_in_shadow_mode_counts_what_it_would_refuse_and_steers_no_pick() {
    let p = policy(
        r#"{"rules": [{"name": "s", "mode": "shadow", "pick": {"clusters": ["only"]}, "breaker": {"consecutive_failures": 1}}]}"#,
    );
    p.check_at(&get(), 0).ticket.unwrap().report_at(&answer(500), || 0);
    for i in 1..4 {
        let v = p.check_at(&get(), i * MS);
        assert!(v.admitted(), "shadow refuses nothing");
        assert_eq!(
            v.upstream.as_deref(),
            Some("only"),
            "an open breaker in shadow mode leaves the cluster in the draw"
        );
    }
    assert_eq!(count(&p, "weir.s.shadow_breaker_open"), 3);
    assert_eq!(count(&p, "weir.s.breaker_open"), 0);
}
