use crate::common::start;
use weir_proxy_wasm_testhost::{Host, Request, Upstream, Vm};

const MS: u64 = 1_000_000;

/// cpu_decay 0: the CPU is the last report, so the test reads plainly.
fn config(mode: &str) -> String {
    format!(
        r#"{{"rules": [{{"name": "s", "mode": "{mode}", "shed": {{"window": "1s", "buckets": 10,
            "cpu_threshold": 800, "cpu_decay": 0, "cool_off": "1s"}}}}]}}"#
    )
}

fn cpu(permille: u32) -> Upstream {
    Upstream::ok().header("x-weir-cpu", &permille.to_string())
}

/// 20 sequential 10 ms requests: 10 pass per 100 ms bucket at a 10 ms
/// minimum RT, so the in-flight estimate is 10 * 10 / 100 = 1.
fn learn(host: &Host, vm: &mut Vm, permille: u32) {
    for _ in 0..20 {
        assert_eq!(vm.http(&Request::get("/"), &cpu(permille).latency_ns(10 * MS)).unwrap().status, 200);
    }
    host.advance(MS);
}

#[test]
fn sheds_past_the_estimate_under_high_cpu_then_lets_traffic_back() {
    let (host, mut vm) = start(&config("enforce"));
    learn(&host, &mut vm, 100);
    // Low CPU: three in flight is above the estimate, yet nothing is shed.
    let low: Vec<_> = (0..3).map(|_| vm.begin(&Request::get("/")).unwrap()).collect();
    assert!(low.iter().all(|s| !s.answered()));
    for s in low {
        vm.finish(s, &cpu(950)).unwrap();
    }
    // The upstream said 950: the third request in flight is shed.
    let a = vm.begin(&Request::get("/")).unwrap();
    let b = vm.begin(&Request::get("/")).unwrap();
    assert!(!a.answered() && !b.answered(), "one or two in flight are never shed");
    let c = vm.begin(&Request::get("/")).unwrap();
    assert!(c.answered());
    let out = c.outcome();
    assert_eq!(out.status, 503);
    assert_eq!(out.header("x-weir-rule"), Some("s"));
    assert_eq!(out.header("retry-after"), Some("1"));
    assert!(out.header("x-ratelimit-limit").is_none(), "rate-limit headers belong to limits");
    assert_eq!(String::from_utf8_lossy(&out.body), "weir: cpu_overloaded by rule \"s\"\n");
    vm.finish(c, &Upstream::ok()).unwrap();
    // The CPU falls, but the cool-off keeps the estimate enforced for 1 s.
    vm.finish(a, &cpu(100)).unwrap();
    vm.finish(b, &cpu(100)).unwrap();
    let held: Vec<_> = (0..3).map(|_| vm.begin(&Request::get("/")).unwrap()).collect();
    assert_eq!(held[2].outcome().header("x-weir-reason"), None);
    assert!(String::from_utf8_lossy(&held[2].outcome().body).contains("cooling_off"));
    for s in held {
        vm.finish(s, &cpu(100)).unwrap();
    }
    host.advance(1_100 * MS);
    let back: Vec<_> = (0..5).map(|_| vm.begin(&Request::get("/")).unwrap()).collect();
    assert!(back.iter().all(|s| !s.answered()), "low CPU and no cool-off: everything passes");
    for s in back {
        vm.finish(s, &cpu(100)).unwrap();
    }
    vm.tick().unwrap();
    assert_eq!(host.counter("weir.s.shed"), Some(2));
    assert_eq!(host.counter("weir.s.shed_passed"), Some(20 + 3 + 2 + 2 + 5));
}

#[test]
fn a_reset_stream_gives_its_slot_back() {
    let (host, mut vm) = start(&config("enforce"));
    learn(&host, &mut vm, 950);
    for _ in 0..3 {
        let a = vm.begin(&Request::get("/")).unwrap();
        let b = vm.begin(&Request::get("/")).unwrap();
        assert!(!a.answered() && !b.answered(), "slots of reset streams were freed");
        vm.reset(a).unwrap();
        vm.reset(b).unwrap();
    }
    let held: Vec<_> = (0..3).map(|_| vm.begin(&Request::get("/")).unwrap()).collect();
    assert!(held[2].answered());
}

#[test]
fn shadow_mode_counts_what_it_would_shed() {
    let (host, mut vm) = start(&config("shadow"));
    learn(&host, &mut vm, 950);
    let held: Vec<_> = (0..4).map(|_| vm.begin(&Request::get("/")).unwrap()).collect();
    assert!(held.iter().all(|s| !s.answered()));
    vm.tick().unwrap();
    assert_eq!(host.counter("weir.s.shadow_shed"), Some(2));
    assert_eq!(host.counter("weir.s.shed"), Some(0));
}

#[test]
fn max_in_flight_caps_the_queue_whatever_the_cpu() {
    let (_host, mut vm) = start(r#"{"rules": [{"name": "q", "shed": {"max_in_flight": 2, "status": 429}}]}"#);
    let held: Vec<_> = (0..3).map(|_| vm.begin(&Request::get("/")).unwrap()).collect();
    assert!(!held[1].answered());
    assert_eq!(held[2].outcome().status, 429);
    assert!(String::from_utf8_lossy(&held[2].outcome().body).contains("queue_full"));
}
