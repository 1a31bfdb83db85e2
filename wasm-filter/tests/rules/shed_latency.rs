//! `shed` in mode `"latency"` through the real filter: no CPU header, a
//! limit on what is in flight learned from the upstream's answers, one per
//! worker VM.

use crate::common::{start, started};
use weir_proxy_wasm_testhost::{Request, Upstream};

const MS: u64 = 1_000_000;

/// AIMD from 3, so one drop visibly takes the limit to 2.
const AIMD: &str = r#"{"rules": [{"name": "lat", "shed": {"mode": "latency", "algorithm": "aimd",
    "initial_limit": 3, "min_limit": 1, "max_limit": 3}}]}"#;

#[test]
fn past_the_limit_answers_503_without_any_cpu_header() {
    let (host, mut vm) = start(AIMD);
    let held: Vec<_> = (0..4).map(|_| vm.begin(&Request::get("/")).unwrap()).collect();
    assert!(held[..3].iter().all(|s| !s.answered()), "three in flight fit the limit");
    let out = held[3].outcome();
    assert_eq!(out.status, 503);
    assert_eq!(out.header("x-weir-rule"), Some("lat"));
    assert_eq!(String::from_utf8_lossy(&out.body), "weir: concurrency_limited by rule \"lat\"\n");
    for s in held {
        vm.finish(s, &Upstream::ok().latency_ns(10 * MS)).unwrap();
    }
    vm.tick().unwrap();
    assert_eq!(host.counter("weir.lat.shed"), Some(1));
    assert_eq!(host.counter("weir.lat.shed_passed"), Some(3));
}

#[test]
fn an_upstream_5xx_or_a_reset_shrinks_the_limit() {
    let (_host, mut vm) = start(AIMD);
    assert_eq!(vm.http(&Request::get("/"), &Upstream::status(503)).unwrap().status, 503);
    let held: Vec<_> = (0..3).map(|_| vm.begin(&Request::get("/")).unwrap()).collect();
    let admitted: Vec<bool> = held.iter().map(|s| !s.answered()).collect();
    assert_eq!(admitted, [true, true, false], "a 5xx is a drop: 3 x 0.9 -> 2");
    for s in held {
        vm.reset(s).unwrap();
    }
    let held: Vec<_> = (0..2).map(|_| vm.begin(&Request::get("/")).unwrap()).collect();
    assert!(!held[0].answered() && held[1].answered(), "two resets are drops: 2 -> 1");
}

#[test]
fn each_worker_vm_keeps_its_own_limit() {
    let (host, mut a) = start(AIMD);
    let mut b = started(&host, AIMD);
    let on_a: Vec<_> = (0..3).map(|_| a.begin(&Request::get("/")).unwrap()).collect();
    let on_b: Vec<_> = (0..3).map(|_| b.begin(&Request::get("/")).unwrap()).collect();
    assert!(on_a.iter().chain(&on_b).all(|s| !s.answered()));
    assert!(a.begin(&Request::get("/")).unwrap().answered());
    assert!(host.shared_keys().iter().all(|k| !k.starts_with("weir.shed.")), "nothing of it in shared data");
}
