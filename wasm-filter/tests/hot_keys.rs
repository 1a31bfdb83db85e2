//! `limit.hot_keys` through the real filter module: gauges per rank set on
//! the stats tick, and the JSON report on `hot_keys_path` for loopback
//! clients only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

mod common;

use common::start;
use weir_proxy_wasm_testhost::{Request, Upstream};

const CONFIG: &str = r#"{"seed": "s", "hot_keys_path": "/weir/hot_keys", "rules": [{"name": "api",
    "limit": {"rate": 1000, "key": {"header": "x-user"}, "hot_keys": 3}}]}"#;

fn user(name: &str) -> Request {
    Request::get("/items").header("x-user", name)
}

#[test]
fn gauges_rank_the_hottest_keys_on_the_tick() {
    let (host, mut vm) = start(CONFIG);
    for (name, n) in [("ann", 9), ("bob", 4), ("cy", 2), ("dee", 1)] {
        for _ in 0..n {
            assert_eq!(vm.http(&user(name), &Upstream::ok()).unwrap().status, 200);
        }
    }
    assert_eq!(host.counter("weir.api.hot_key.1"), Some(0), "gauges wait for the tick");
    vm.tick().unwrap();
    let ranks: Vec<_> = (1..=3).map(|r| host.counter(&format!("weir.api.hot_key.{r}"))).collect();
    assert_eq!(ranks, [Some(9), Some(4), Some(2)]);
    assert_eq!(host.counter("weir.api.hot_key.4"), None, "one gauge per reported rank");
    assert!(host.unimplemented_calls().is_empty(), "{:?}", host.unimplemented_calls());
}

#[test]
fn the_admin_path_names_the_keys_to_loopback_clients() {
    let (_host, mut vm) = start(CONFIG);
    for _ in 0..5 {
        vm.http(&user("ann"), &Upstream::ok()).unwrap();
    }
    for _ in 0..2 {
        vm.http(&user("bob"), &Upstream::ok()).unwrap();
    }
    let admin = Request::get("/weir/hot_keys").from_address("127.0.0.1:51000");
    let out = vm.http(&admin, &Upstream::ok()).unwrap();
    assert_eq!(out.status, 200);
    assert!(!out.reached_upstream, "answered by the filter");
    assert_eq!(out.header("content-type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_slice(&out.body).unwrap();
    assert_eq!(body["limits"][0]["rule"], "api");
    assert_eq!(body["limits"][0]["keys"][0]["key"], "ann", "{body}");
    assert_eq!(body["limits"][0]["keys"][0]["count"], 5);
    assert_eq!(body["limits"][0]["keys"][1]["key"], "bob");
    let remote = Request::get("/weir/hot_keys").from_address("10.0.0.9:51000");
    assert!(vm.http(&remote, &Upstream::ok()).unwrap().reached_upstream, "a remote client is proxied as usual");
}
