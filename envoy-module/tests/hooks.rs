//! The module's hooks driven by a fake Envoy (`fake_host`): configuration,
//! refusals, answers, counters, limits exact across threads, keys, costs,
//! shadow mode, deadlines, picking, a contained panic, and state kept
//! across a reload.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod fake_host;

use fake_host::{logs, program_init, Filter};
use std::sync::atomic::{AtomicU64, Ordering};

fn limit(name: &str, limit: &str) -> String {
    format!(r#"{{"rules": [{{"name": "{name}", "limit": {limit}}}]}}"#)
}

const GET: &[(&str, &str)] = &[(":method", "GET"), (":path", "/api/x")];
const OK: &[(&str, &str)] = &[(":status", "200")];

#[test]
fn answers_the_abi_version_of_its_release() {
    let expected = match weir_envoy::release::ENVOY {
        "1.38" | "1.39" => "v0.1.0",
        _ => "v0.2.0",
    };
    assert_eq!(program_init(), expected);
}

#[test]
fn a_bad_configuration_is_refused_with_a_line_naming_rule_and_field() {
    assert!(Filter::new(&limit("api", r#"{"rate": 5, "burst": 0}"#)).is_none());
    assert!(Filter::new("not json").is_none());
    let logs = logs();
    assert!(
        logs.iter().any(|(level, line)| *level == 4
            && line.contains(r#"weir: configuration refused: rule #1 "api": limit.burst must be an integer in [1, "#)
            && line.contains("got 0")),
        "{logs:?}"
    );
    assert!(logs.iter().any(|(_, line)| line.contains("configuration refused: configuration must be a JSON object")));
}

#[test]
fn refusals_carry_the_status_headers_and_body_of_the_wasm_filter() {
    let filter = Filter::new(&limit("answers", r#"{"rate": 1, "per": "10s", "burst": 2}"#)).unwrap();
    for _ in 0..2 {
        let s = filter.exchange(GET, Some(OK));
        assert!(s.sent.is_none());
    }
    let s = filter.exchange(GET, Some(OK));
    let sent = s.sent.unwrap();
    assert_eq!(sent.status, 429);
    assert_eq!(sent.header("retry-after"), Some("10"));
    assert_eq!(sent.header("x-ratelimit-limit"), Some("2"));
    assert_eq!(sent.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(sent.header("x-ratelimit-reset"), Some("20"));
    assert_eq!(sent.header("x-weir-rule"), Some("answers"));
    assert_eq!(sent.body, "weir: rate_limited by rule \"answers\"\n");
    assert_eq!(sent.details, "weir_rate_limited");
    assert_eq!(filter.counter("weir.answers.admitted"), 2);
    assert_eq!(filter.counter("weir.answers.limited"), 1);
    assert_eq!(filter.counter("weir.answers.shadow_limited"), 0);
    assert_eq!(filter.counter("weir.answers.state_error"), 0);
}

#[test]
fn admitted_responses_get_ratelimit_headers_when_asked() {
    let filter =
        Filter::new(&limit("success", r#"{"rate": 1, "per": "1h", "burst": 5, "headers_on_success": true}"#)).unwrap();
    let s = filter.exchange(GET, Some(OK));
    assert_eq!(s.response_header("x-ratelimit-limit"), Some("5"));
    assert_eq!(s.response_header("x-ratelimit-remaining"), Some("4"));
}

#[test]
fn a_limit_is_exact_across_threads() {
    let burst = 2_000u64;
    let filter = Filter::new(&limit("threads", &format!(r#"{{"rate": 1, "per": "1h", "burst": {burst}}}"#))).unwrap();
    let admitted = AtomicU64::new(0);
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..1_000 {
                    if filter.exchange(GET, Some(OK)).sent.is_none() {
                        admitted.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    assert_eq!(admitted.load(Ordering::Relaxed), burst);
    assert_eq!(filter.counter("weir.threads.admitted"), burst);
    assert_eq!(filter.counter("weir.threads.limited"), 4_000 - burst);
}

#[test]
fn keys_from_a_header_and_the_client_address_get_their_own_buckets() {
    let filter =
        Filter::new(&limit("user", r#"{"rate": 1, "per": "1h", "burst": 1, "key": {"header": "x-user"}}"#)).unwrap();
    let alice = [(":path", "/"), ("x-user", "alice")];
    let bob = [(":path", "/"), ("x-user", "bob")];
    assert!(filter.exchange(&alice, Some(OK)).sent.is_none());
    assert_eq!(filter.exchange(&alice, Some(OK)).sent.map(|s| s.status), Some(429));
    assert!(filter.exchange(&bob, Some(OK)).sent.is_none());
    assert!(filter.exchange(&[(":path", "/")], Some(OK)).sent.is_none(), "no key: the rule does not apply");

    let filter =
        Filter::new(&limit("client", r#"{"rate": 1, "per": "1h", "burst": 1, "key": "client_address"}"#)).unwrap();
    let from = |address: &str| {
        let mut s = filter.begin(GET);
        s.source = Some(address.as_bytes().to_vec());
        let (_, module) = filter.send_request(&mut s);
        filter.finish(&mut s, module);
        s.sent.map(|a| a.status)
    };
    assert_eq!(from("10.0.0.1:5000"), None);
    assert_eq!(from("10.0.0.1:5001"), Some(429), "the port is not part of the key");
    assert_eq!(from("10.0.0.2:5000"), None);
}

#[test]
fn a_cost_header_weighs_the_request() {
    let filter =
        Filter::new(&limit("weighted", r#"{"rate": 1, "per": "1h", "burst": 10, "cost_header": "x-weight"}"#)).unwrap();
    assert!(filter.exchange(&[(":path", "/"), ("x-weight", "7")], Some(OK)).sent.is_none());
    let s = filter.exchange(&[(":path", "/"), ("x-weight", "4")], Some(OK));
    assert_eq!(s.sent.map(|a| a.header("x-ratelimit-remaining").map(str::to_owned)), Some(Some("3".into())));
    assert!(filter.exchange(&[(":path", "/"), ("x-weight", "3")], Some(OK)).sent.is_none());
}

#[test]
fn shadow_mode_counts_what_it_would_refuse_and_refuses_nothing() {
    let filter = Filter::new(
        r#"{"rules": [{"name": "shadow", "mode": "shadow", "limit": {"rate": 1, "per": "1h", "burst": 1}}]}"#,
    )
    .unwrap();
    for _ in 0..3 {
        assert!(filter.exchange(GET, Some(OK)).sent.is_none());
    }
    assert_eq!(filter.counter("weir.shadow.admitted"), 1);
    assert_eq!(filter.counter("weir.shadow.shadow_limited"), 2);
    assert_eq!(filter.counter("weir.shadow.limited"), 0);
}

#[test]
fn rules_match_on_path_method_and_headers() {
    let filter = Filter::new(
        r#"{"rules": [{"name": "post", "match": {"path_prefix": "/api", "method": "POST"},
                       "limit": {"rate": 1, "per": "1h", "burst": 1}}]}"#,
    )
    .unwrap();
    let post = [(":method", "POST"), (":path", "/api/x?q=1")];
    assert!(filter.exchange(&post, Some(OK)).sent.is_none());
    assert!(filter.exchange(&post, Some(OK)).sent.is_some());
    assert!(filter.exchange(GET, Some(OK)).sent.is_none(), "GET does not match");
    assert!(filter.exchange(&[(":method", "POST"), (":path", "/other")], Some(OK)).sent.is_none());
}

#[test]
fn a_deadline_is_passed_upstream_and_an_exhausted_one_answered() {
    let filter = Filter::new(
        r#"{"rules": [{"name": "dl", "deadline": {"timeout": "2s", "margin": "100ms", "grpc_timeout": "always"}}]}"#,
    )
    .unwrap();
    let s = filter.exchange(&[(":path", "/")], Some(OK));
    assert!(s.sent.is_none());
    assert_eq!(s.request_header("x-envoy-upstream-rq-timeout-ms"), Some("1900"));
    assert!(s.request_header("grpc-timeout").is_some());
    let s = filter.exchange(&[(":path", "/"), ("x-envoy-upstream-rq-timeout-ms", "500")], Some(OK));
    assert_eq!(s.request_header("x-envoy-upstream-rq-timeout-ms"), Some("400"), "the caller's shorter deadline");
    let s = filter.exchange(&[(":path", "/"), ("grpc-timeout", "50m")], Some(OK));
    let sent = s.sent.unwrap();
    assert_eq!(sent.status, 504);
    assert_eq!(sent.body, "weir: deadline_exceeded by rule \"dl\"\n");
    assert_eq!(filter.counter("weir.dl.deadline_exceeded"), 1);
    assert_eq!(filter.counter("weir.dl.deadline_set"), 2);
}

#[test]
fn pick_names_a_cluster_and_learns_from_its_answers() {
    let filter = Filter::new(r#"{"rules": [{"name": "lb", "pick": {"clusters": ["a", "b"]}}]}"#).unwrap();
    let mut picked = [0u64; 2];
    for _ in 0..200 {
        let s = filter.exchange(&[(":path", "/")], Some(OK));
        assert_eq!(s.route_cleared, 1, "the route is chosen again for the picked cluster");
        match s.request_header("x-weir-cluster") {
            Some("a") => picked[0] += 1,
            Some("b") => picked[1] += 1,
            other => panic!("picked {other:?}"),
        }
    }
    assert!(picked[0] > 0 && picked[1] > 0, "{picked:?}");
    assert_eq!(filter.counter("weir.lb.picked.a"), picked[0]);
    assert_eq!(filter.counter("weir.lb.picked.b"), picked[1]);
}

#[test]
fn a_throttle_refuses_after_upstream_failures_and_counts_them() {
    let filter = Filter::new(
        r#"{"rules": [{"name": "thr", "throttle": {"min_requests": 5, "k": 2, "max_reject_probability": 0.9}}]}"#,
    )
    .unwrap();
    let failed: &[(&str, &str)] = &[(":status", "503")];
    let refused = (0..300).filter(|_| filter.exchange(&[(":path", "/")], Some(failed)).sent.is_some()).count();
    assert!(refused > 100, "{refused}");
    assert_eq!(filter.counter("weir.thr.throttled"), refused as u64);
    assert_eq!(filter.counter("weir.thr.upstream_failures"), 300 - refused as u64);
}

#[test]
fn a_panic_in_a_hook_is_contained_and_the_request_goes_on() {
    let filter = Filter::new(
        r#"{"debug": {"trap_on_header": "x-weir-trap"},
            "rules": [{"name": "trap", "limit": {"rate": 1, "per": "1h", "burst": 1}}]}"#,
    )
    .unwrap();
    let s = filter.exchange(&[(":path", "/"), ("x-weir-trap", "1")], Some(OK));
    assert!(s.sent.is_none());
    assert!(logs().iter().any(|(level, line)| *level == 4
        && line.contains("envoy_dynamic_module_on_http_filter_request_headers panicked and was contained")));
    assert!(filter.exchange(GET, Some(OK)).sent.is_none(), "the stream after it is decided as usual");
    assert!(filter.exchange(GET, Some(OK)).sent.is_some());
}

#[test]
fn a_reload_keeps_an_unchanged_limit_and_restarts_a_changed_one() {
    let first = Filter::new(&limit("reload", r#"{"rate": 1, "per": "1h", "burst": 2}"#)).unwrap();
    assert!(first.exchange(GET, Some(OK)).sent.is_none());
    let same = Filter::new(&limit("reload", r#"{"rate": 1, "per": "1h", "burst": 2}"#)).unwrap();
    drop(first);
    assert!(same.exchange(GET, Some(OK)).sent.is_none());
    assert!(same.exchange(GET, Some(OK)).sent.is_some(), "the count went on across the reload");
    let changed = Filter::new(&limit("reload", r#"{"rate": 1, "per": "1h", "burst": 3}"#)).unwrap();
    assert!(changed.exchange(GET, Some(OK)).sent.is_none(), "a new burst is a new bucket");
}

#[test]
fn a_latency_limit_holds_across_workers() {
    let filter = Filter::new(
        r#"{"rules": [{"name": "lat", "shed": {"mode": "latency", "initial_limit": 2, "min_limit": 1, "max_limit": 2}}]}"#,
    )
    .unwrap();
    let (opened, checked) = (std::sync::Barrier::new(2), std::sync::Barrier::new(2));
    std::thread::scope(|scope| {
        // Each worker (thread) holds one request in flight; the third, on
        // either, finds the one limit of 2 full.
        for worker in 0..2 {
            let (filter, opened, checked) = (&filter, &opened, &checked);
            scope.spawn(move || {
                let mut held = filter.begin(GET);
                let (continued, module) = filter.send_request(&mut held);
                assert!(continued, "worker {worker}: the first in flight is admitted");
                opened.wait();
                if worker == 1 {
                    let refused = filter.exchange(GET, Some(OK));
                    let sent = refused.sent.as_ref().expect("a third in flight is refused");
                    assert_eq!(sent.status, 503);
                }
                checked.wait();
                held.response = vec![(":status".into(), b"200".to_vec())];
                filter.send_response(&mut held, module);
                filter.finish(&mut held, module);
            });
        }
    });
    assert_eq!(filter.counter("weir.lat.shed_passed"), 2);
    assert_eq!(filter.counter("weir.lat.shed"), 1);
    assert!(filter.exchange(GET, Some(OK)).sent.is_none(), "answers free their slots on every worker");
}

#[test]
fn hot_keys_reach_gauges_at_a_streams_end_and_the_admin_path_names_them() {
    // Hot-key counts halve at every multiple of the half-life on the
    // module's clock. A slow run (Miri) can cross one mid-scenario, which
    // halves the counts asserted here: then it runs again, in the next one.
    let period = || weir_host::monotonic_now() / weir_policy::hot_keys::HALF_LIFE_NS;
    for _ in 0..3 {
        let began = period();
        let json = r#"{"seed": "s", "stats_flush": "1ms", "hot_keys_path": "/weir/hot_keys", "rules": [{"name": "hot",
            "limit": {"rate": 1000, "key": {"header": "x-user"}, "hot_keys": 2}}]}"#;
        let filter = Filter::new(json).unwrap();
        let from = |user: &'static str| [(":method", "GET"), (":path", "/api/x"), ("x-user", user)];
        for (user, n) in [("ann", 6), ("bob", 3), ("cy", 1)] {
            for _ in 0..n {
                assert!(filter.exchange(&from(user), Some(OK)).sent.is_none());
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(3));
        filter.exchange(&from("ann"), Some(OK));
        let gauges: Vec<_> = (1..=3).map(|rank| filter.config.gauge(&format!("weir.hot.hot_key.{rank}"))).collect();
        let ask = |address: &str| {
            let mut s = filter.begin(&[(":method", "GET"), (":path", "/weir/hot_keys")]);
            s.source = Some(address.as_bytes().to_vec());
            let (_, module) = filter.send_request(&mut s);
            filter.finish(&mut s, module);
            s.sent
        };
        let local = ask("127.0.0.1:40000").expect("answered by the module");
        let remote = ask("192.0.2.7:40000");
        if period() != began {
            continue;
        }
        assert_eq!(gauges[0], Some(7), "set once the period passed");
        assert_eq!(gauges[1], Some(3));
        assert_eq!(gauges[2], None, "one gauge per reported rank");
        assert_eq!((local.status, local.header("content-type")), (200, Some("application/json")));
        assert!(local.body.contains(r#"{"count":7,"error":0,"key":"ann"}"#), "{}", local.body);
        assert!(remote.is_none(), "a remote client is proxied as usual");
        return;
    }
    panic!("three runs in a row crossed a hot-key half-life");
}

#[test]
fn a_reused_stream_decides_under_its_own_configuration() {
    // Streams of two configurations end and begin in turn on one worker, so
    // each new stream gets the box the other's last stream gave back.
    let refusing = Filter::new(&limit("reuse_one", r#"{"rate": 1, "per": "1h", "burst": 1}"#)).unwrap();
    let open = Filter::new(&limit("reuse_many", r#"{"rate": 1, "per": "1h", "burst": 1000}"#)).unwrap();
    assert!(refusing.exchange(GET, Some(OK)).sent.is_none());
    for _ in 0..3 {
        assert_eq!(refusing.exchange(GET, Some(OK)).sent.map(|s| s.status), Some(429));
        assert!(open.exchange(GET, Some(OK)).sent.is_none());
    }
    assert_eq!(refusing.counter("weir.reuse_one.limited"), 3);
    drop(refusing);
    // The refusing configuration is gone; the boxes its streams gave back
    // now serve the other one alone.
    for _ in 0..3 {
        assert!(open.exchange(GET, Some(OK)).sent.is_none());
    }
    assert_eq!(open.counter("weir.reuse_many.admitted"), 6);
    assert_eq!(open.counter("weir.reuse_many.limited"), 0);
}

#[test]
fn a_worker_answers_each_refusal_with_its_own_rule_and_request() {
    // A worker keeps its last refusal laid out and sends it again while a
    // refusal answers the same: refusals that alternate between rules, or
    // between plain and gRPC requests, must each get their own answer.
    let filter = Filter::new(
        r#"{"rules": [
            {"name": "a", "match": {"path_prefix": "/a"}, "limit": {"rate": 1, "per": "1h", "burst": 1}},
            {"name": "b", "match": {"path_prefix": "/b"}, "limit": {"rate": 1, "per": "10s", "burst": 2}}]}"#,
    )
    .unwrap();
    let a = [(":method", "GET"), (":path", "/a")];
    let b = [(":method", "GET"), (":path", "/b")];
    let b_grpc = [(":method", "POST"), (":path", "/b"), ("content-type", "application/grpc")];
    let started = std::time::Instant::now();
    assert!(filter.exchange(&a, Some(OK)).sent.is_none());
    assert!(filter.exchange(&b, Some(OK)).sent.is_none());
    assert!(filter.exchange(&b, Some(OK)).sent.is_none());
    for _ in 0..2 {
        for (request, rule, retry_after, limit, grpc) in
            [(&a[..], "a", 3600, "1", false), (&b, "b", 10, "2", false), (&b_grpc, "b", 10, "2", true)]
        {
            for _ in 0..2 {
                let sent = filter.exchange(request, Some(OK)).sent.expect("refused");
                assert_eq!(sent.status, 429);
                assert_eq!(sent.header("x-weir-rule"), Some(rule));
                // The rule's whole wait while the test runs within its first
                // second; a slower run (Miri) sees it shrink as the clock
                // passes, by no more than the seconds gone.
                let shown: u64 = sent.header("retry-after").and_then(|v| v.parse().ok()).expect("retry-after");
                let gone = started.elapsed().as_secs();
                assert!(
                    shown <= retry_after && shown + gone >= retry_after,
                    "{rule}: retry-after {shown} after {gone} s"
                );
                assert_eq!(sent.header("x-ratelimit-limit"), Some(limit));
                assert_eq!(sent.header("grpc-retry-pushback-ms"), grpc.then_some("-1"));
                assert_eq!(sent.body, format!("weir: rate_limited by rule \"{rule}\"\n"));
                assert_eq!(sent.details, "weir_rate_limited");
            }
        }
    }
    assert_eq!(filter.counter("weir.a.limited"), 4);
    assert_eq!(filter.counter("weir.b.limited"), 8);
}
