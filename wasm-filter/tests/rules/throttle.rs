use crate::common::start;
use weir_proxy_wasm_testhost::{Request, Upstream};

const MS: u64 = 1_000_000;
const CONFIG: &str = r#"{"rules": [{"name": "t", "throttle": {"window": "1s", "buckets": 10, "k": 2,
    "min_requests": 10, "max_reject_probability": 0.9}}]}"#;

/// Requests refused by the filter itself (not the upstream's own 503s).
fn local_refusals(vm: &mut weir_proxy_wasm_testhost::Vm, host: &weir_proxy_wasm_testhost::Host, status: u32) -> usize {
    (0..100)
        .filter(|_| {
            host.advance(MS);
            let out = vm.http(&Request::get("/"), &Upstream::status(status)).unwrap();
            !out.reached_upstream
        })
        .count()
}

#[test]
fn refuses_locally_while_the_upstream_fails_and_recovers_when_it_heals() {
    let (host, mut vm) = start(CONFIG);
    let refused = local_refusals(&mut vm, &host, 503);
    assert!(refused > 50, "throttling engaged: {refused} of 100 refused locally");
    let mut sent = 100;
    let out = (0..50)
        .map(|_| {
            sent += 1;
            vm.http(&Request::get("/"), &Upstream::status(503)).unwrap()
        })
        .find(|o| !o.reached_upstream)
        .unwrap();
    assert_eq!(out.status, 503);
    assert_eq!(out.header("x-weir-rule"), Some("t"));
    assert!(out.header("retry-after").is_some());
    assert_eq!(String::from_utf8_lossy(&out.body), "weir: throttled by rule \"t\"\n");
    // The window forgets the failures; a healthy upstream is never throttled.
    host.advance(1_100 * MS);
    assert_eq!(local_refusals(&mut vm, &host, 200), 0);
    vm.tick().unwrap();
    let throttled = host.counter("weir.t.throttled").unwrap();
    let passed = host.counter("weir.t.throttle_passed").unwrap();
    assert_eq!(throttled + passed, sent + 100);
    assert_eq!(host.counter("weir.t.upstream_failures"), Some(sent - throttled), "every 503 that went out");
}

#[test]
fn only_the_configured_statuses_count_as_failures() {
    let config = r#"{"rules": [{"name": "t", "throttle": {"k": 1, "min_requests": 1, "failures": [429, "4xx"], "status": 429}}]}"#;
    let (host, mut vm) = start(config);
    assert_eq!(local_refusals(&mut vm, &host, 503), 0, "503 is not a failure here");
    let refused = local_refusals(&mut vm, &host, 404);
    assert!(refused > 10, "{refused}");
}
