//! `shed` in mode `"latency"`: the settings it takes and refuses, what it
//! refuses and how, what each end of a request teaches it, and where its
//! state lives in each store.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use weir_core::adaptive_limit::Algorithm;
use weir_policy::config::{self, ShedMode};
use weir_policy::exchange::Exchange;
use weir_policy::plan::{self, Plan};
use weir_policy::process::store::ProcessStore;
use weir_policy::shared_data::{SharedData, Status, Store};
use weir_policy::store::LimitStore;
use weir_policy::stream::Stream;

const MS: u64 = 1_000_000;

#[derive(Default)]
struct Ex {
    status: Option<&'static str>,
}

impl Exchange for Ex {
    fn request_header(&self, _: &str) -> Option<Cow<'_, [u8]>> {
        None
    }
    fn set_request_header(&mut self, _: &str, _: &[u8]) {}
    fn client_address(&self) -> Option<Cow<'_, [u8]>> {
        None
    }
    fn response_header(&self, name: &str) -> Option<Cow<'_, [u8]>> {
        (name == ":status").then_some(())?;
        self.status.map(|s| Cow::Borrowed(s.as_bytes()))
    }
    fn add_response_header(&mut self, _: &str, _: &str) {}
    fn warn(&self, _: &str) {}
}

fn parse(json: &str) -> Result<config::Config, String> {
    config::parse(json.as_bytes()).map_err(|e| e.to_string())
}

fn build<S: LimitStore>(json: &str, store: S) -> Plan<S> {
    plan::build(parse(json).unwrap(), store, 0, 7).unwrap()
}

fn counter<S: LimitStore>(plan: &Plan<S>, name: &str) -> u64 {
    let index = plan.metrics.names().iter().position(|n| n == name).expect(name);
    plan.metrics.pending(weir_policy::metrics::Counter(index))
}

const FIXED: &str =
    r#"{"rules": [{"name": "api", "shed": {"mode": "latency", "initial_limit": 2, "min_limit": 1, "max_limit": 2}}]}"#;

#[test]
fn defaults_are_gradient2_for_a_proxy_and_cpu_stays_the_default_mode() {
    let c = parse(r#"{"rules": [{"name": "a", "shed": {"mode": "latency"}}]}"#).unwrap();
    let shed = c.rules[0].shed.as_ref().unwrap();
    assert_eq!(shed.mode, ShedMode::Latency(config::LATENCY_GRADIENT2));
    assert_eq!(shed.status, 503);
    let c = parse(r#"{"rules": [{"name": "a", "shed": {}}]}"#).unwrap();
    assert!(matches!(c.rules[0].shed.as_ref().unwrap().mode, ShedMode::Cpu { .. }));
    let c = parse(
        r#"{"rules": [{"name": "a", "shed": {"mode": "latency", "algorithm": "vegas", "alpha": 2, "beta": 4, "max_limit": 50}}]}"#,
    )
    .unwrap();
    let ShedMode::Latency(l) = c.rules[0].shed.as_ref().unwrap().mode else { panic!("latency") };
    assert_eq!((l.initial_limit, l.max_limit), (3, 50));
    assert!(matches!(l.algorithm, Algorithm::Vegas { alpha: 2, beta: 4, probe_multiplier: 30, .. }));
    let c = parse(r#"{"rules": [{"name": "a", "shed": {"mode": "latency", "min_limit": 8}}]}"#).unwrap();
    let ShedMode::Latency(l) = c.rules[0].shed.as_ref().unwrap().mode else { panic!("latency") };
    assert_eq!(l.initial_limit, 8, "an initial limit left out stays within the bounds given");
    let c = parse(r#"{"rules": [{"name": "a", "shed": {"mode": "latency", "max_limit": 2}}]}"#).unwrap();
    let ShedMode::Latency(l) = c.rules[0].shed.as_ref().unwrap().mode else { panic!("latency") };
    assert_eq!(l.initial_limit, 2, "an initial limit left out stays within the bounds given");
}

#[test]
fn bad_settings_name_the_rule_the_field_and_the_value() {
    for (shed, field, got) in [
        (r#"{"mode": "fast"}"#, "shed.mode", "\"fast\""),
        (r#"{"mode": "latency", "algorithm": "bbr"}"#, "shed.algorithm", "\"bbr\""),
        (r#"{"mode": "latency", "cpu_header": "x-cpu"}"#, "shed.cpu_header", "mode \"latency\""),
        (r#"{"mode": "latency", "alpha": 3}"#, "shed.alpha", "algorithm \"gradient2\""),
        (r#"{"mode": "latency", "algorithm": "aimd", "queue_size": 3}"#, "shed.queue_size", "algorithm \"aimd\""),
        (r#"{"mode": "cpu", "min_limit": 3}"#, "shed.min_limit", "known"),
        (r#"{"mode": "latency", "min_limit": 0}"#, "shed.min_limit", "got 0"),
        (r#"{"mode": "latency", "min_limit": 10, "max_limit": 5}"#, "shed.max_limit", "got 5"),
        (r#"{"mode": "latency", "initial_limit": 9, "max_limit": 5}"#, "shed.initial_limit", "got 9"),
        (r#"{"mode": "latency", "smoothing": 0}"#, "shed.smoothing", "got 0"),
        (r#"{"mode": "latency", "rtt_tolerance": 0.5}"#, "shed.rtt_tolerance", "got 0.5"),
        (r#"{"mode": "latency", "algorithm": "vegas", "alpha": 5, "beta": 2}"#, "shed.beta", "got 2"),
        (r#"{"mode": "latency", "algorithm": "aimd", "backoff_ratio": 1}"#, "shed.backoff_ratio", "got 1"),
        (r#"{"mode": "latency", "algorithm": "aimd", "timeout": "soon"}"#, "shed.timeout", "\"soon\""),
    ] {
        let json = format!(r#"{{"rules": [{{"name": "api", "shed": {shed}}}]}}"#);
        let err = parse(&json).expect_err(&json);
        assert!(err.starts_with(&format!("rule #1 \"api\": {field} ")), "{json}: {err}");
        assert!(err.contains(got), "{json}: {err}");
    }
}

#[test]
fn past_the_limit_answers_503_counted_as_shed() {
    let plan = build(FIXED, ProcessStore::private());
    let (mut a, mut b, mut c) = (Stream::default(), Stream::default(), Stream::default());
    assert!(a.request(&plan, &mut Ex::default(), 0).is_none());
    assert!(b.request(&plan, &mut Ex::default(), 0).is_none());
    let answer = c.request(&plan, &mut Ex::default(), 0).expect("a third in flight is over the limit of 2");
    assert_eq!((answer.status, answer.reason, answer.rule.as_str()), (503, "concurrency_limited", "api"));
    assert_eq!((counter(&plan, "weir.api.shed_passed"), counter(&plan, "weir.api.shed")), (2, 1));
    a.response(&plan, &mut Ex { status: Some("200") }, || 20 * MS);
    let mut d = Stream::default();
    assert!(d.request(&plan, &mut Ex::default(), 20 * MS).is_none(), "an answer frees its slot");
    let limit = plan.rules[0].concurrency.as_ref().unwrap();
    assert_eq!(limit.stats().in_flight, 2);
    b.done(&plan, || 30 * MS);
    d.done(&plan, || 30 * MS);
    assert_eq!(limit.stats().in_flight, 0, "a stream ending without an answer frees its slot too");
}

#[test]
fn a_shadow_rule_counts_what_it_would_refuse_and_lets_it_through() {
    let json = FIXED.replace(r#""name": "api","#, r#""name": "api", "mode": "shadow","#);
    let plan = build(&json, ProcessStore::private());
    for _ in 0..3 {
        assert!(Stream::default().request(&plan, &mut Ex::default(), 0).is_none());
    }
    assert_eq!(counter(&plan, "weir.api.shadow_shed"), 1);
}

#[test]
fn the_upstreams_answer_teaches_and_a_local_answer_does_not() {
    let json = r#"{"rules": [{"name": "api", "limit": {"rate": 1, "per": "1h"},
        "shed": {"mode": "latency", "algorithm": "aimd", "initial_limit": 10, "min_limit": 1, "max_limit": 20}}]}"#;
    let plan = build(json, ProcessStore::private());
    let limit = plan.rules[0].concurrency.as_ref().unwrap().clone();
    let mut s = Stream::default();
    assert!(s.request(&plan, &mut Ex::default(), 0).is_none());
    s.response(&plan, &mut Ex { status: Some("503") }, || 10 * MS);
    assert_eq!(limit.stats().limit, 9, "a 5xx is a drop: AIMD backs off by 0.9");
    // The rate limit refuses before the shed phase: nothing held, nothing learned.
    assert!(Stream::default().request(&plan, &mut Ex::default(), 10 * MS).is_some());
    assert_eq!((limit.stats().limit, limit.stats().in_flight), (9, 0));

    // A shed permit taken, then a local answer: the permit goes back ignored.
    let json = r#"{"rules": [
        {"name": "a", "shed": {"mode": "latency", "algorithm": "aimd", "initial_limit": 10, "min_limit": 1, "max_limit": 20}},
        {"name": "b", "shed": {"mode": "latency", "algorithm": "aimd", "initial_limit": 10, "min_limit": 1, "max_limit": 20}}]}"#;
    let plan = build(json, ProcessStore::private());
    let limit = plan.rules[0].concurrency.as_ref().unwrap().clone();
    let mut s = Stream::default();
    assert!(s.request(&plan, &mut Ex::default(), 0).is_none());
    assert_eq!(limit.stats().in_flight, 1, "the first matching rule's limit holds the request");
    s.abandon(&plan);
    assert_eq!((limit.stats().limit, limit.stats().in_flight), (10, 0), "an abandoned request teaches nothing");
    let mut s = Stream::default();
    assert!(s.request(&plan, &mut Ex::default(), 0).is_none());
    s.done(&plan, || 5 * MS);
    assert_eq!(limit.stats().limit, 9, "no answer at all (a reset, a timeout) is a drop");
}

#[test]
fn a_limit_learns_the_rtt_of_each_answer() {
    let json = r#"{"rules": [{"name": "api", "shed": {"mode": "latency", "initial_limit": 4, "min_limit": 1, "max_limit": 100}}]}"#;
    let plan = build(json, ProcessStore::private());
    let limit = plan.rules[0].concurrency.as_ref().unwrap().clone();
    let mut now = 0;
    // Four at a time, 20 ms each: the limit in use at a steady RTT grows
    // (until four is less than half of it: then it is not in use).
    for _ in 0..20 {
        let mut streams: Vec<Stream> = (0..4).map(|_| Stream::default()).collect();
        for s in &mut streams {
            assert!(s.request(&plan, &mut Ex::default(), now).is_none());
        }
        now += 20 * MS;
        for s in &mut streams {
            s.response(&plan, &mut Ex { status: Some("200") }, || now);
        }
    }
    let grown = limit.stats();
    assert_eq!(grown.limit, 8, "{grown:?}");
    assert!((grown.baseline_rtt_ns - 20e6).abs() < 1e3, "{grown:?}");
    // Then eight at a time take 100 ms each: a queue; the limit falls.
    for _ in 0..5 {
        let mut streams: Vec<Stream> = (0..limit.stats().limit).map(|_| Stream::default()).collect();
        for s in &mut streams {
            assert!(s.request(&plan, &mut Ex::default(), now).is_none());
        }
        now += 100 * MS;
        for s in &mut streams {
            s.response(&plan, &mut Ex { status: Some("200") }, || now);
        }
    }
    assert!(limit.stats().limit < grown.limit, "{:?} after {grown:?}", limit.stats());
}

/// One map behind every `SharedData` in a test: what Envoy's shared data is
/// to separate wasm VMs.
#[derive(Clone, Default)]
struct Shared(std::rc::Rc<RefCell<Entries>>);

type Entries = HashMap<String, (Vec<u8>, u32)>;

impl Store for Shared {
    fn get(&self, key: &str) -> Result<(Vec<u8>, u32), Status> {
        self.0.borrow().get(key).cloned().ok_or(Status::NOT_FOUND)
    }
    fn set(&self, key: &str, value: &[u8], _: u32) -> Result<(), Status> {
        let mut map = self.0.borrow_mut();
        let cas = map.get(key).map_or(1, |(_, c)| c + 1);
        map.insert(key.to_owned(), (value.to_vec(), cas));
        Ok(())
    }
}

#[test]
fn one_process_shares_one_limit_and_separate_vms_each_keep_their_own() {
    let store = ProcessStore::private();
    let (w1, w2) = (build(FIXED, store.clone()), build(FIXED, store.clone()));
    assert!(Stream::default().request(&w1, &mut Ex::default(), 0).is_none());
    assert!(Stream::default().request(&w2, &mut Ex::default(), 0).is_none());
    assert!(Stream::default().request(&w1, &mut Ex::default(), 0).is_some(), "the two workers share a limit of 2");
    let changed = FIXED.replace(r#""max_limit": 2"#, r#""max_limit": 3"#);
    let w3 = build(&changed, store);
    assert_eq!(w3.rules[0].concurrency.as_ref().unwrap().stats().in_flight, 0, "new settings, a new limit");

    let shared = Shared::default();
    let (v1, v2) = (build(FIXED, SharedData(shared.clone())), build(FIXED, SharedData(shared.clone())));
    for _ in 0..2 {
        assert!(Stream::default().request(&v1, &mut Ex::default(), 0).is_none());
        assert!(Stream::default().request(&v2, &mut Ex::default(), 0).is_none());
    }
    assert!(Stream::default().request(&v1, &mut Ex::default(), 0).is_some());
    assert!(shared.0.borrow().keys().all(|k| !k.starts_with("weir.shed.")), "nothing of it in shared data");
}
