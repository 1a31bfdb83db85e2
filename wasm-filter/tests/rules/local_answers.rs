use crate::common::start;
use weir_proxy_wasm_testhost::{Request, Upstream};

const MS: u64 = 1_000_000;

/// A healthy upstream behind a throttle and a tight shedder: the shedder's
/// refusals are the filter's own answers, never the upstream's failures.
const CONFIG: &str = r#"{"rules": [{"name": "api",
    "limit": {"rate": 1000000, "per": "1s"},
    "throttle": {"window": "1s", "buckets": 10, "k": 2, "min_requests": 10},
    "shed": {"max_in_flight": 4}}]}"#;

#[test]
fn a_throttle_never_counts_the_shedders_refusals() {
    let (host, mut vm) = start(CONFIG);
    let (mut passed, mut shed, mut throttled) = (0, 0, 0);
    // 30 windows of 10 buckets; each bucket sees 12 requests at once, 4 of
    // which reach the upstream: were the 8 shed ones counted, the window
    // would hold 3 requests per accept and the throttle would refuse.
    for _ in 0..300 {
        let streams: Vec<_> = (0..12).map(|_| vm.begin(&Request::get("/")).unwrap()).collect();
        for s in streams {
            if s.answered() {
                match String::from_utf8_lossy(&s.outcome().body) {
                    b if b.contains("queue_full") => shed += 1,
                    b if b.contains("throttled") => throttled += 1,
                    b => panic!("unexpected local answer: {b}"),
                }
                vm.finish(s, &Upstream::ok()).unwrap();
            } else {
                passed += 1;
                vm.finish(s, &Upstream::ok().latency_ns(MS)).unwrap();
            }
        }
        host.advance(100 * MS);
    }
    vm.tick().unwrap();
    assert_eq!(throttled, 0, "the throttle refused a healthy upstream's traffic ({shed} shed, {passed} passed)");
    assert_eq!((passed, shed), (1200, 2400));
    assert_eq!(host.counter("weir.api.throttled"), Some(0));
    assert_eq!(host.counter("weir.api.upstream_failures"), Some(0));
    assert_eq!(host.counter("weir.api.shed"), Some(2400));
}

/// Rule `b`'s throttle refuses `/b` (its upstream answers 404, a failure to
/// `b` only); rule `a`'s throttle let those requests through first and must
/// forget them, or it would refuse on a window of requests without answers.
#[test]
fn a_throttle_never_counts_a_later_throttles_refusals() {
    let config = r#"{"rules": [
        {"name": "a", "throttle": {"window": "1s", "buckets": 10, "k": 2, "min_requests": 10}},
        {"name": "b", "match": {"path_prefix": "/b"},
         "throttle": {"window": "1s", "buckets": 10, "k": 1, "min_requests": 10, "failures": ["4xx"]}}]}"#;
    let (host, mut vm) = start(config);
    let mut refused = 0;
    for _ in 0..1000 {
        host.advance(MS);
        let out = vm.http(&Request::get("/b"), &Upstream::status(404)).unwrap();
        if !out.reached_upstream {
            assert_eq!(out.header("x-weir-rule"), Some("b"), "only rule b refuses");
            refused += 1;
        }
    }
    vm.tick().unwrap();
    assert!(refused > 500, "rule b throttled: {refused} of 1000");
    assert_eq!(host.counter("weir.a.throttled"), Some(0));
    assert_eq!(host.counter("weir.a.upstream_failures"), Some(0));
}
