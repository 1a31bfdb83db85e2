//! A policy of one plain limit (one rule without a `match`, one unkeyed
//! limit at a fixed cost) is checked without the phases. These tests hold
//! that shortcut to the phases' answers: which policies take it, and that
//! for any such limit and any run of requests it answers, counts and adds
//! response headers exactly as the phases do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use proptest::prelude::*;
use std::borrow::Cow;
use weir_policy::answer::Answer;
use weir_policy::config;
use weir_policy::exchange::Exchange;
use weir_policy::plan::{self, Plan};
use weir_policy::process::ProcessStore;
use weir_policy::stream::{Checked, Stream};

fn build(json: &str) -> Plan<ProcessStore> {
    plan::build(config::parse(json.as_bytes()).unwrap(), ProcessStore::private(), 0, 7).unwrap()
}

#[test]
fn only_one_unkeyed_limit_at_a_fixed_cost_takes_the_shortcut() {
    let takes = |json: &str| build(json).one_plain_limit;
    assert!(takes(r#"{"rules": [{"name": "a", "limit": {"rate": 5}}]}"#));
    assert!(takes(r#"{"rules": [{"name": "a", "limit": {"rate": 5, "cost": 2, "status": 503}}]}"#));
    assert!(takes(r#"{"rules": [{"name": "a", "limit": {"rate": 5, "headers_on_success": true}}]}"#));
    assert!(takes(r#"{"rules": [{"name": "a", "mode": "shadow", "limit": {"rate": 5}}]}"#));
    let phases = [
        (r#"{"rules": [{"name": "a", "limit": {"rate": 5}}, {"name": "b", "limit": {"rate": 5}}]}"#, "two rules"),
        (r#"{"rules": [{"name": "a", "match": {"path_prefix": "/api"}, "limit": {"rate": 5}}]}"#, "a match"),
        (r#"{"rules": [{"name": "a", "limit": [{"rate": 5}, {"rate": 50, "per": "1m"}]}]}"#, "two limits"),
        (r#"{"rules": [{"name": "a", "limit": {"rate": 5, "key": "client_address"}}]}"#, "a key"),
        (r#"{"rules": [{"name": "a", "limit": {"rate": 5, "cost_header": "x-cost"}}]}"#, "a cost header"),
        (r#"{"rules": [{"name": "a", "limit": {"rate": 500, "lease": 16}}]}"#, "a lease"),
        (r#"{"rules": [{"name": "a", "debug_headers": true, "limit": {"rate": 5}}]}"#, "debug headers"),
        (r#"{"rules": [{"name": "a", "limit": {"rate": 5}, "fallback": {"status": 200}}]}"#, "a fallback"),
        (r#"{"rules": [{"name": "a", "limit": {"rate": 5}, "shed": {"max_in_flight": 4}}]}"#, "a shed"),
        (r#"{"rules": [{"name": "a", "limit": {"rate": 5}}], "hot_keys_path": "/hot"}"#, "a hot-key report"),
    ];
    for (json, what) in phases {
        assert!(!takes(json), "{what}: the phases decide");
    }
}

/// A request and its response: its `content-type` (gRPC or not), the
/// response status, and the headers the engine added to the response.
struct Ex {
    grpc: bool,
    added: Vec<(String, String)>,
}

impl Exchange for Ex {
    fn request_header(&self, name: &str) -> Option<Cow<'_, [u8]>> {
        (name == "content-type" && self.grpc).then_some(Cow::Borrowed(b"application/grpc".as_slice()))
    }
    fn set_request_header(&mut self, _: &str, _: &[u8]) {}
    fn client_address(&self) -> Option<Cow<'_, [u8]>> {
        Some(Cow::Borrowed(b"10.0.0.1:1234".as_slice()))
    }
    fn response_header(&self, name: &str) -> Option<Cow<'_, [u8]>> {
        (name == ":status").then_some(Cow::Borrowed(b"200".as_slice()))
    }
    fn add_response_header(&mut self, name: &str, value: &str) {
        self.added.push((name.to_owned(), value.to_owned()));
    }
    fn warn(&self, _: &str) {}
}

/// Everything one request shows: the answer sent instead, the headers added
/// to an upstream's response, and every counter it moved.
#[derive(Debug, PartialEq)]
struct Seen {
    answer: Option<Answer>,
    added: Vec<(String, String)>,
    counted: Vec<(usize, u64)>,
}

fn request(plan: &Plan<ProcessStore>, now: u64, grpc: bool) -> Seen {
    let mut stream = Stream::default();
    let mut ex = Ex { grpc, added: Vec::new() };
    let answer = match stream.check(plan, &mut ex, now) {
        Checked::Pass => None,
        Checked::Refused(plain) => Some(plain.answer()),
        Checked::Answer(answer) => Some(answer),
    };
    if answer.is_none() {
        stream.response(plan, &mut ex, || now);
    }
    stream.done(plan, || now);
    let mut counted = Vec::new();
    plan.metrics.drain(|counter, n| counted.push((counter.0, n)));
    Seen { answer, added: ex.added, counted }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_shortcut_answers_and_counts_as_the_phases_do(
        rate in 1u64..=5,
        per_ms in prop::sample::select(vec![100u64, 1_000, 60_000]),
        extra_burst in 0u64..=3,
        cost_pick in 0u64..=7,
        status in prop::sample::select(vec![429u32, 503]),
        headers_on_success in any::<bool>(),
        shadow in any::<bool>(),
        requests in prop::collection::vec((0u64..400, any::<bool>()), 1..60),
    ) {
        let burst = rate + extra_burst;
        let cost = 1 + cost_pick % burst;
        let json = format!(
            r#"{{"rules": [{{"name": "api", "mode": "{}", "limit": {{"rate": {rate}, "per": "{per_ms}ms",
            "burst": {burst}, "cost": {cost}, "status": {status}, "headers_on_success": {headers_on_success}}}}}]}}"#,
            if shadow { "shadow" } else { "enforce" }
        );
        let shortcut = build(&json);
        let mut phases = build(&json);
        prop_assert!(shortcut.one_plain_limit);
        phases.one_plain_limit = false;
        let mut now = 1_000_000_000u64;
        for (step_ms, grpc) in requests {
            now += step_ms * 1_000_000;
            prop_assert_eq!(request(&shortcut, now, grpc), request(&phases, now, grpc), "at {} ns", now);
        }
    }
}
