//! The module's callback set. Envoy enters the VM for every `proxy_on_*`
//! callback a module exports; the filter exports only those it acts on, and
//! this pins the list (an SDK re-added would export a dozen more).
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

#[test]
fn exports_exactly_the_callbacks_the_filter_uses() {
    let exports = common::plugin().exported_functions();
    let callbacks: Vec<&str> =
        exports.iter().map(String::as_str).filter(|e| e.starts_with("proxy_") || e.starts_with('_')).collect();
    assert_eq!(
        callbacks,
        [
            "proxy_abi_version_0_2_1",
            "proxy_on_configure",
            "proxy_on_context_create",
            "proxy_on_done",
            "proxy_on_memory_allocate",
            "proxy_on_request_headers",
            "proxy_on_response_headers",
            "proxy_on_tick",
        ],
        "all function exports: {exports:?}"
    );
}
