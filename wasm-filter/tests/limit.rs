//! Limit rules through the real filter module in the test host.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

mod common;

use common::{plugin, start, started};
use weir_proxy_wasm_testhost::{Host, Request, Upstream};

const ONE: &str = r#"{"rules": [{"name": "api", "limit": {"rate": 10, "per": "1s", "burst": 3}}]}"#;

#[test]
fn admits_the_burst_then_answers_429_with_headers() {
    let (host, mut vm) = start(ONE);
    for _ in 0..3 {
        let out = vm.http(&Request::get("/"), &Upstream::ok()).unwrap();
        assert_eq!(out.status, 200);
        assert!(out.reached_upstream);
    }
    let out = vm.http(&Request::get("/"), &Upstream::ok()).unwrap();
    assert_eq!(out.status, 429);
    assert!(!out.reached_upstream);
    assert_eq!(out.request_action, 1, "a refused request is paused, not continued");
    assert_eq!(out.header("retry-after"), Some("1"));
    assert_eq!(out.header("x-ratelimit-limit"), Some("3"));
    assert_eq!(out.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(out.header("x-ratelimit-reset"), Some("1"));
    assert_eq!(out.header("x-weir-rule"), Some("api"));
    assert!(String::from_utf8_lossy(&out.body).contains("rule \"api\""));
    assert_eq!(host.counter("weir.api.admitted"), Some(0), "counters wait for the flush tick");
    assert_eq!(vm.tick_period_ms(), 1000, "the default stats_flush");
    vm.tick().unwrap();
    assert_eq!(host.counter("weir.api.admitted"), Some(3));
    assert_eq!(host.counter("weir.api.limited"), Some(1));
    host.advance(100_000_000);
    assert_eq!(vm.http(&Request::get("/"), &Upstream::ok()).unwrap().status, 200, "one token back after 100 ms");
    assert!(host.unimplemented_calls().is_empty(), "{:?}", host.unimplemented_calls());
}

#[test]
fn status_code_is_configurable_and_shadow_mode_rejects_nothing() {
    let config = r#"{"rules": [
        {"name": "a", "match": {"path_prefix": "/a"}, "limit": {"rate": 1, "burst": 1, "status": 503}},
        {"name": "b", "match": {"path_prefix": "/b"}, "mode": "shadow", "limit": {"rate": 1, "burst": 1}}
    ]}"#;
    let (host, mut vm) = start(config);
    assert_eq!(vm.http(&Request::get("/a"), &Upstream::ok()).unwrap().status, 200);
    assert_eq!(vm.http(&Request::get("/a"), &Upstream::ok()).unwrap().status, 503);
    for _ in 0..5 {
        assert_eq!(vm.http(&Request::get("/b"), &Upstream::ok()).unwrap().status, 200);
    }
    vm.tick().unwrap();
    assert_eq!(host.counter("weir.b.admitted"), Some(1));
    assert_eq!(host.counter("weir.b.shadow_limited"), Some(4));
    assert_eq!(host.counter("weir.b.limited"), Some(0));
}

#[test]
fn matches_on_path_method_and_headers() {
    let config = r#"{"rules": [{"name": "m", "limit": {"rate": 1, "burst": 1},
        "match": {"path_exact": "/x", "method": "post", "headers": [{"name": "X-Tenant", "equals": "a"}, {"name": "x-present"}]}}]}"#;
    let (_host, mut vm) = start(config);
    let hit = || Request::new("POST", "/x?q=1").header("x-tenant", "a").header("x-present", "");
    assert_eq!(vm.http(&hit(), &Upstream::ok()).unwrap().status, 200);
    assert_eq!(vm.http(&hit(), &Upstream::ok()).unwrap().status, 429);
    let misses = [
        Request::new("GET", "/x").header("x-tenant", "a").header("x-present", "1"),
        Request::new("POST", "/xy").header("x-tenant", "a").header("x-present", "1"),
        Request::new("POST", "/x").header("x-tenant", "b").header("x-present", "1"),
        Request::new("POST", "/x").header("x-tenant", "a"),
    ];
    for req in &misses {
        assert_eq!(vm.http(req, &Upstream::ok()).unwrap().status, 200, "{req:?}");
    }
}

#[test]
fn cost_comes_from_a_header_when_configured() {
    let config = r#"{"rules": [{"name": "w", "limit": {"rate": 10, "burst": 10, "cost_header": "x-cost"}}]}"#;
    let (_host, mut vm) = start(config);
    let heavy = Request::get("/").header("x-cost", "8");
    assert_eq!(vm.http(&heavy, &Upstream::ok()).unwrap().status, 200);
    assert_eq!(vm.http(&heavy, &Upstream::ok()).unwrap().status, 429);
    let junk = Request::get("/").header("x-cost", "-3");
    assert_eq!(vm.http(&junk, &Upstream::ok()).unwrap().status, 200, "junk falls back to cost 1");
    assert_eq!(vm.http(&Request::get("/"), &Upstream::ok()).unwrap().status, 200);
    assert_eq!(vm.http(&Request::get("/"), &Upstream::ok()).unwrap().status, 429);
}

#[test]
fn success_headers_are_added_to_admitted_responses() {
    let config = r#"{"rules": [{"name": "h", "limit": {"rate": 5, "burst": 5, "headers_on_success": true}}]}"#;
    let (_host, mut vm) = start(config);
    let out = vm.http(&Request::get("/"), &Upstream::ok()).unwrap();
    assert_eq!(out.header("x-ratelimit-limit"), Some("5"));
    assert_eq!(out.header("x-ratelimit-remaining"), Some("4"));
    assert_eq!(out.header("x-ratelimit-reset"), Some("1"));
}

#[test]
fn keyed_limits_count_each_client_apart() {
    let config =
        r#"{"rules": [{"name": "k", "limit": {"rate": 1, "burst": 2, "key": "client_address", "max_keys": 16}}]}"#;
    let (host, mut vm) = start(config);
    let from = |a: &str| Request::get("/").from_address(a);
    for _ in 0..2 {
        assert_eq!(vm.http(&from("10.0.0.1:1000"), &Upstream::ok()).unwrap().status, 200);
    }
    assert_eq!(vm.http(&from("10.0.0.1:2000"), &Upstream::ok()).unwrap().status, 429, "same host, other port");
    assert_eq!(vm.http(&from("10.0.0.2:1000"), &Upstream::ok()).unwrap().status, 200);
    let sets = host.shared_keys().iter().filter(|k| k.starts_with("weir.limit.k.k")).count();
    assert_eq!(sets, 2, "16 keys are two sets of 8, created at configure time");
}

#[test]
fn a_full_key_table_fails_closed_instead_of_forgetting_spent_tokens() {
    let config = r#"{"rules": [{"name": "t", "debug_headers": true,
        "limit": {"rate": 1, "per": "1m", "burst": 1, "key": {"header": "x-user"}, "max_keys": 8}}]}"#;
    let (host, mut vm) = start(config);
    let user = |u: usize| Request::get("/").header("x-user", &format!("user-{u}"));
    for u in 0..8 {
        assert_eq!(vm.http(&user(u), &Upstream::ok()).unwrap().status, 200);
    }
    let out = vm.http(&user(8), &Upstream::ok()).unwrap();
    assert_eq!(out.status, 429);
    assert_eq!(out.header("x-weir-reason"), Some("table_full"));
    host.advance(60_000_000_000);
    assert_eq!(vm.http(&user(8), &Upstream::ok()).unwrap().status, 200, "idle entries are reused");
    let no_key = Request::get("/");
    assert_eq!(vm.http(&no_key, &Upstream::ok()).unwrap().status, 200, "no key, rule does not apply");
}

#[test]
fn a_cas_mismatch_is_retried_never_failed_open() {
    let config = r#"{"rules": [{"name": "c", "limit": {"rate": 1, "per": "1h", "burst": 5}}]}"#;
    let host = Host::new();
    let mut vm = started(&host, config);
    // Another "worker" spends a token right before each of our writes.
    let other = host.clone();
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let spent = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let (count, theirs) = (calls.clone(), spent.clone());
    host.before_shared_set(move |key| {
        if count.fetch_add(1, std::sync::atomic::Ordering::SeqCst) % 2 == 0 {
            let (v, _) = other.shared_data(key).unwrap();
            let tat = u64::from_le_bytes(v.try_into().unwrap());
            let next = tat.max(other.time()) + 3_600_000_000_000;
            if next <= other.time() + 5 * 3_600_000_000_000 {
                other.write_shared_data(key, &next.to_le_bytes());
                theirs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }
    });
    let mut admitted = 0;
    for _ in 0..10 {
        if vm.http(&Request::get("/"), &Upstream::ok()).unwrap().status == 200 {
            admitted += 1;
        }
    }
    host.clear_before_shared_set();
    let theirs = spent.load(std::sync::atomic::Ordering::SeqCst) as usize;
    assert!(theirs >= 2, "the race was lost at least twice: {theirs}");
    assert!(admitted >= 1);
    assert_eq!(admitted + theirs, 5, "ours + theirs = the burst, exactly");
}

#[test]
fn two_vms_on_two_threads_admit_exactly_the_burst() {
    let config = r#"{"rules": [{"name": "x", "limit": {"rate": 1, "per": "1h", "burst": 300}}]}"#;
    let host = Host::new();
    let vms: Vec<_> = (0..2).map(|_| started(&host, config)).collect();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
    let threads: Vec<_> = vms
        .into_iter()
        .map(|mut vm| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                let n =
                    (0..400).filter(|_| vm.http(&Request::get("/"), &Upstream::ok()).unwrap().status == 200).count();
                vm.tick().unwrap();
                n
            })
        })
        .collect();
    let admitted: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(admitted, 300);
    assert_eq!(host.counter("weir.x.admitted"), Some(300));
    assert_eq!(host.counter("weir.x.limited"), Some(500));
}

#[test]
fn unreadable_state_follows_on_state_error() {
    let config = r#"{"rules": [
        {"name": "open", "match": {"path_prefix": "/o"}, "on_state_error": "allow", "limit": {"rate": 1, "burst": 1}},
        {"name": "closed", "match": {"path_prefix": "/c"}, "limit": {"rate": 1, "burst": 1}}
    ]}"#;
    let (host, mut vm) = start(config);
    host.write_shared_data("weir.limit.open", b"garbage");
    host.write_shared_data("weir.limit.closed", b"garbage");
    assert_eq!(vm.http(&Request::get("/o"), &Upstream::ok()).unwrap().status, 200);
    assert_eq!(vm.http(&Request::get("/c"), &Upstream::ok()).unwrap().status, 429);
    vm.tick().unwrap();
    assert_eq!(host.counter("weir.open.state_error"), Some(1));
    assert_eq!(host.counter("weir.closed.state_error"), Some(1));
    assert!(!vm.is_dead(), "a state error is a decision, not a trap");
}

#[test]
fn reconfiguring_keeps_spent_tokens() {
    let host = Host::new();
    let mut vm = started(&host, ONE);
    for _ in 0..3 {
        vm.http(&Request::get("/"), &Upstream::ok()).unwrap();
    }
    let mut fresh = host.instantiate(plugin()).unwrap();
    assert_eq!(fresh.configure(ONE.as_bytes()), Ok(true));
    assert_eq!(fresh.http(&Request::get("/"), &Upstream::ok()).unwrap().status, 429);
}

const LEASED: &str =
    r#"{"rules": [{"name": "l", "limit": {"rate": 1, "per": "1h", "burst": 25, "lease": 10, "lease_ttl": "50ms"}}]}"#;

#[test]
fn leased_tokens_never_exceed_the_shared_bucket_across_workers() {
    let host = Host::new();
    let mut a = started(&host, LEASED);
    let mut b = started(&host, LEASED);
    let mut admitted = 0;
    for i in 0..60 {
        let vm = if i % 2 == 0 { &mut a } else { &mut b };
        if vm.http(&Request::get("/"), &Upstream::ok()).unwrap().status == 200 {
            admitted += 1;
        }
    }
    assert_eq!(admitted, 25, "workers that keep spending drain the bucket exactly");
    // Each batch is one shared-data write, not one per request.
    let (tat, _) = host.shared_data("weir.limit.l").unwrap();
    assert!(u64::from_le_bytes(tat.try_into().unwrap()) > host.time());
}

#[test]
fn an_expired_lease_drops_its_tokens_rather_than_spend_them_late() {
    let (host, mut vm) = start(LEASED);
    assert_eq!(vm.http(&Request::get("/"), &Upstream::ok()).unwrap().status, 200);
    host.advance(100_000_000);
    let later = (0..30).filter(|_| vm.http(&Request::get("/"), &Upstream::ok()).unwrap().status == 200).count();
    assert_eq!(later, 15, "the 9 tokens left in the expired lease are gone, never over-admitted");
}

#[test]
fn a_cost_of_a_whole_batch_or_more_skips_the_lease() {
    let config = r#"{"rules": [{"name": "l", "limit": {"rate": 1, "per": "1h", "burst": 25, "lease": 10, "cost_header": "x-cost"}}]}"#;
    let (_host, mut vm) = start(config);
    let heavy = Request::get("/").header("x-cost", "20");
    assert_eq!(vm.http(&heavy, &Upstream::ok()).unwrap().status, 200);
    assert_eq!(vm.http(&heavy, &Upstream::ok()).unwrap().status, 429);
    let admitted = (0..10).filter(|_| vm.http(&Request::get("/"), &Upstream::ok()).unwrap().status == 200).count();
    assert_eq!(admitted, 5);
}
