//! `fallback` and `pick.gutter` through the process host: the refusals of
//! bad documents, a fallback that routes, and the gutter taking over when
//! every primary cluster reports CPU above the ceiling.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use weir_policy::process::{Outcome, ProcessPolicy, RequestView};

const MS: u64 = 1_000_000;

fn refused(json: &str) -> String {
    match ProcessPolicy::from_json_at(json, 0, 7) {
        Ok(_) => panic!("accepted: {json}"),
        Err(e) => e.to_string(),
    }
}

fn get() -> RequestView<'static> {
    RequestView { method: b"GET", path: b"/", ..RequestView::default() }
}

#[test]
fn bad_fallbacks_are_named() {
    let limit = r#""limit": {"rate": 1}"#;
    assert_eq!(
        refused(&format!(r#"{{"rules": [{{"name": "a", {limit}, "fallback": {{"cluster": "slow", "status": 200}}}}]}}"#)),
        "rule #1 \"a\": fallback.status must not be set together with fallback.cluster (a request routed to a degraded cluster gets that cluster's answer)"
    );
    assert_eq!(
        refused(r#"{"rules": [{"name": "a", "pick": {"clusters": ["x"]}, "fallback": {"status": 200}}]}"#),
        "rule #1 \"a\": fallback must come with limit, shed, throttle or breaker (a fallback answers their refusals)"
    );
    assert_eq!(
        refused(&format!(
            r#"{{"rules": [{{"name": "a", {limit}, "fallback": {{"headers": {{"x-weir-rule": "b"}}}}}}]}}"#
        )),
        "rule #1 \"a\": fallback.headers.x-weir-rule must not be a header weir sets itself, got \"x-weir-rule\""
    );
    assert_eq!(
        refused(&format!(r#"{{"rules": [{{"name": "a", {limit}, "fallback": {{"status": 700}}}}]}}"#)),
        "rule #1 \"a\": fallback.status must be an integer in [200, 599], got 700"
    );
}

#[test]
fn bad_gutters_are_named() {
    assert_eq!(
        refused(r#"{"rules": [{"name": "p", "pick": {"clusters": ["a", "b"], "gutter": {"clusters": ["b"], "limit": {"rate": 5}}}}]}"#),
        "rule #1 \"p\": pick.gutter.clusters[0] must not be one of pick.clusters (the gutter is a separate pool), got \"b\""
    );
    assert!(refused(r#"{"rules": [{"name": "p", "pick": {"clusters": ["a"], "gutter": {"clusters": ["g"]}}}]}"#)
        .starts_with("rule #1 \"p\": pick.gutter.limit must be present"));
    assert_eq!(
        refused(
            r#"{"rules": [{"name": "p", "pick": {"clusters": ["a"], "gutter": {"clusters": ["g"], "limit": {"rate": 0}}}}]}"#
        ),
        "rule #1 \"p\": pick.gutter.limit.rate must be an integer in [1, 18446744073709551615], got 0"
    );
}

#[test]
fn the_gutter_serves_only_while_every_primary_is_above_the_ceiling() {
    let p = ProcessPolicy::from_json_at(
        r#"{"rules": [{"name": "p", "pick": {"clusters": ["a", "b"], "cpu_ceiling": 700,
            "gutter": {"clusters": ["g"], "limit": {"rate": 100}}}}]}"#,
        0,
        3,
    )
    .unwrap();
    let hot = |cpu| Outcome { status: Some(200), cpu: Some(cpu), latency_ns: Some(MS), ..Outcome::default() };
    let mut at = 0;
    let mut next = |cpu: u64| {
        at += MS;
        let v = p.check_at(&get(), at);
        let upstream = v.upstream.clone().unwrap();
        v.ticket.unwrap().report_at(&hot(cpu), || 0);
        upstream
    };
    // Until both primaries have said they are hot, the gutter stays idle.
    let mut seen = std::collections::HashSet::new();
    while seen.len() < 2 {
        let u = next(900);
        assert_ne!(u, "g", "one primary is still below the ceiling");
        seen.insert(u);
    }
    assert_eq!(next(100), "g");
    let pool = |p: &ProcessPolicy| p.counters().iter().find(|(n, _)| n == "weir.p.gutter").map(|(_, c)| *c);
    assert_eq!(pool(&p), Some(1));
}
