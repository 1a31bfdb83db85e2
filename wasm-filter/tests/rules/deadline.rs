use crate::common::start;
use weir_core::deadline::format_grpc_timeout;
use weir_proxy_wasm_testhost::{Request, Upstream};

const MS: u64 = 1_000_000;
const CONFIG: &str = r#"{"rules": [{"name": "d", "deadline": {"timeout": "2s", "margin": "10ms"}}]}"#;

fn grpc(ns: u64) -> String {
    let mut buf = [0u8; 16];
    let n = format_grpc_timeout(ns, &mut buf).unwrap();
    String::from_utf8(buf[..n].to_vec()).unwrap()
}

#[test]
fn caps_and_propagates_the_timeout() {
    let (host, mut vm) = start(CONFIG);
    let plain = vm.http(&Request::get("/"), &Upstream::ok()).unwrap();
    assert_eq!(plain.upstream_header("x-envoy-upstream-rq-timeout-ms"), Some("1990"));
    assert_eq!(plain.upstream_header("grpc-timeout"), None, "not a gRPC request");

    let caller = Request::get("/").header("grpc-timeout", "500m");
    let out = vm.http(&caller, &Upstream::ok()).unwrap();
    assert_eq!(out.upstream_header("grpc-timeout"), Some(grpc(490 * MS).as_str()));
    assert_eq!(out.upstream_header("x-envoy-upstream-rq-timeout-ms"), Some("490"));

    let grpc_call = Request::new("POST", "/svc/M").header("content-type", "application/grpc+proto");
    let out = vm.http(&grpc_call, &Upstream::ok()).unwrap();
    assert_eq!(out.upstream_header("grpc-timeout"), Some(grpc(1990 * MS).as_str()), "capped by the timeout");

    let envoy_caller = Request::get("/").header("x-envoy-upstream-rq-timeout-ms", "300");
    let out = vm.http(&envoy_caller, &Upstream::ok()).unwrap();
    assert_eq!(out.upstream_header("x-envoy-upstream-rq-timeout-ms"), Some("290"));

    let junk = Request::get("/").header("grpc-timeout", "soon");
    let out = vm.http(&junk, &Upstream::ok()).unwrap();
    assert_eq!(out.upstream_header("x-envoy-upstream-rq-timeout-ms"), Some("1990"), "junk is ignored");
    vm.tick().unwrap();
    assert_eq!(host.counter("weir.d.deadline_set"), Some(5));
}

#[test]
fn a_spent_deadline_is_answered_504_without_calling_the_upstream() {
    let (host, mut vm) = start(CONFIG);
    let out = vm.http(&Request::get("/").header("grpc-timeout", "5m"), &Upstream::ok()).unwrap();
    assert!(!out.reached_upstream);
    assert_eq!(out.status, 504);
    assert_eq!(out.header("retry-after"), None, "retrying cannot help a spent deadline");
    assert_eq!(String::from_utf8_lossy(&out.body), "weir: deadline_exceeded by rule \"d\"\n");
    vm.tick().unwrap();
    assert_eq!(host.counter("weir.d.deadline_exceeded"), Some(1));
}

#[test]
fn grpc_timeout_writing_follows_the_switch() {
    let config = r#"{"rules": [{"name": "d", "deadline": {"timeout": "1s", "grpc_timeout": "always", "envoy_timeout": false}}]}"#;
    let (_host, mut vm) = start(config);
    let out = vm.http(&Request::get("/"), &Upstream::ok()).unwrap();
    assert_eq!(out.upstream_header("grpc-timeout"), Some(grpc(1000 * MS).as_str()));
    assert_eq!(out.upstream_header("x-envoy-upstream-rq-timeout-ms"), None);
}
