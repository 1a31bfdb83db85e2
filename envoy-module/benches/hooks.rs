//! The module's own cost per request, without Envoy: its hooks driven as
//! Envoy drives them (stream new, request headers, response headers, stream
//! complete, destroy) against a host whose callbacks do nothing but count,
//! so the time is the module's alone and the counts are the ABI calls it
//! makes per request. Whatever Envoy spends on its side of those calls
//! comes on top (benches/envoy measures the whole proxy).
//!
//! `cargo bench -p weir-envoy-module --bench hooks`

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::cell::Cell;
use std::ffi::c_void;
use std::hint::black_box;
use std::time::Instant;
use weir_envoy::abi::{EnvoyBuffer, HeaderMap, LogLevel, ModuleBuffer, ModuleHeader, HEADERS_CONTINUE};
use weir_envoy::release::METRIC_ID_BASE;

/// Callbacks the module made, by kind.
#[derive(Debug, Default, Clone, Copy)]
struct Calls {
    get_header: u64,
    set_or_add_header: u64,
    attribute: u64,
    send_response: u64,
    increment: u64,
    other: u64,
}

thread_local! {
    static CALLS: Cell<Calls> = Cell::new(Calls::default());
}

fn count(f: impl FnOnce(&mut Calls)) {
    CALLS.with(|c| {
        let mut calls = c.get();
        f(&mut calls);
        c.set(calls);
    });
}

#[no_mangle]
extern "C" fn envoy_dynamic_module_callback_log(_: LogLevel, _: ModuleBuffer) {}

#[no_mangle]
extern "C" fn envoy_dynamic_module_callback_log_enabled(_: LogLevel) -> bool {
    false
}

static NEXT_ID: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(METRIC_ID_BASE);

fn define(id: *mut usize) -> u32 {
    // SAFETY: the module's out-pointer to its own local, writable for the call.
    unsafe { *id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed) };
    0
}

#[no_mangle]
extern "C" fn envoy_dynamic_module_callback_http_filter_config_define_counter(
    _: *mut c_void,
    _: ModuleBuffer,
    _: *const ModuleBuffer,
    _: usize,
    id: *mut usize,
) -> u32 {
    define(id)
}

#[no_mangle]
extern "C" fn envoy_dynamic_module_callback_http_filter_config_define_gauge(
    _: *mut c_void,
    _: ModuleBuffer,
    _: *const ModuleBuffer,
    _: usize,
    id: *mut usize,
) -> u32 {
    define(id)
}

#[no_mangle]
extern "C" fn envoy_dynamic_module_callback_http_filter_increment_counter(
    _: *mut c_void,
    _: usize,
    _: *const ModuleBuffer,
    _: usize,
    value: u64,
) -> u32 {
    black_box(value);
    count(|c| c.increment += 1);
    0
}

#[no_mangle]
extern "C" fn envoy_dynamic_module_callback_http_filter_set_gauge(
    _: *mut c_void,
    _: usize,
    _: *const ModuleBuffer,
    _: usize,
    _: u64,
) -> u32 {
    count(|c| c.other += 1);
    0
}

/// A request without the headers asked for: every lookup misses, as the
/// bench's `GET /` misses `content-type`.
#[no_mangle]
extern "C" fn envoy_dynamic_module_callback_http_get_header(
    _: *mut c_void,
    _: HeaderMap,
    key: ModuleBuffer,
    _: *mut EnvoyBuffer,
    _: usize,
    _: *mut usize,
) -> bool {
    black_box(key);
    count(|c| c.get_header += 1);
    false
}

#[no_mangle]
extern "C" fn envoy_dynamic_module_callback_http_set_header(
    _: *mut c_void,
    _: HeaderMap,
    _: ModuleBuffer,
    _: ModuleBuffer,
) -> bool {
    count(|c| c.set_or_add_header += 1);
    true
}

#[no_mangle]
extern "C" fn envoy_dynamic_module_callback_http_add_header(
    _: *mut c_void,
    _: HeaderMap,
    _: ModuleBuffer,
    _: ModuleBuffer,
) -> bool {
    count(|c| c.set_or_add_header += 1);
    true
}

/// Reads every byte Envoy would copy, so an answer is not free to skip.
#[no_mangle]
extern "C" fn envoy_dynamic_module_callback_http_send_response(
    _: *mut c_void,
    status: u32,
    headers: *const ModuleHeader,
    headers_len: usize,
    body: ModuleBuffer,
    details: ModuleBuffer,
) {
    // SAFETY: the module lends its header array for the call, `headers_len` long.
    let headers = unsafe { std::slice::from_raw_parts(headers, headers_len) };
    let mut sum = u64::from(status) + body.length as u64 + details.length as u64;
    for h in headers {
        // SAFETY: each header's key and value point into buffers the module keeps alive for the call.
        let (k, v) = unsafe {
            (
                std::slice::from_raw_parts(h.key_ptr, h.key_length),
                std::slice::from_raw_parts(h.value_ptr, h.value_length),
            )
        };
        sum += k.iter().chain(v).map(|b| u64::from(*b)).sum::<u64>();
    }
    black_box(sum);
    count(|c| c.send_response += 1);
}

#[no_mangle]
extern "C" fn envoy_dynamic_module_callback_http_clear_route_cache(_: *mut c_void) {
    count(|c| c.other += 1);
}

#[no_mangle]
extern "C" fn envoy_dynamic_module_callback_http_filter_get_attribute_string(
    _: *mut c_void,
    _: u32,
    result: *mut EnvoyBuffer,
) -> bool {
    const ADDRESS: &[u8] = b"127.0.0.1:50000";
    // SAFETY: the module's out-pointer to its own local, writable for the call.
    unsafe { *result = EnvoyBuffer { ptr: ADDRESS.as_ptr(), length: ADDRESS.len() } };
    count(|c| c.attribute += 1);
    true
}

extern "C" {
    fn envoy_dynamic_module_on_http_filter_config_new(
        config: *mut c_void,
        name: EnvoyBuffer,
        json: EnvoyBuffer,
    ) -> *const c_void;
    fn envoy_dynamic_module_on_http_filter_config_destroy(config: *const c_void);
    fn envoy_dynamic_module_on_http_filter_new(config: *const c_void, filter: *mut c_void) -> *const c_void;
    fn envoy_dynamic_module_on_http_filter_request_headers(
        filter: *mut c_void,
        module: *const c_void,
        eos: bool,
    ) -> u32;
    fn envoy_dynamic_module_on_http_filter_response_headers(
        filter: *mut c_void,
        module: *const c_void,
        eos: bool,
    ) -> u32;
    fn envoy_dynamic_module_on_http_filter_stream_complete(filter: *mut c_void, module: *const c_void);
    fn envoy_dynamic_module_on_http_filter_destroy(module: *const c_void);
}

fn buffer(s: &str) -> EnvoyBuffer {
    EnvoyBuffer { ptr: s.as_ptr(), length: s.len() }
}

/// One request through every hook Envoy calls on it; whether it went on.
fn request(config: *const c_void) -> bool {
    let mut envoy_stream = 0u64;
    let envoy = &mut envoy_stream as *mut u64 as *mut c_void;
    // SAFETY: the hooks are called as Envoy calls them, with a live
    // configuration and a stream pointer live until its destroy hook.
    unsafe {
        let module = envoy_dynamic_module_on_http_filter_new(config, envoy);
        let went_on = envoy_dynamic_module_on_http_filter_request_headers(envoy, module, true) == HEADERS_CONTINUE;
        // Envoy calls it for the upstream's answer and for a local one alike.
        envoy_dynamic_module_on_http_filter_response_headers(envoy, module, false);
        envoy_dynamic_module_on_http_filter_stream_complete(envoy, module);
        envoy_dynamic_module_on_http_filter_destroy(module);
        went_on
    }
}

const BATCH: u64 = 200_000;
const BATCHES: usize = 15;

fn run(case: &str, json: &str, admits: bool) {
    let mut envoy_config = 0u64;
    // SAFETY: a configuration pointer the module only hands back to the define callbacks above.
    let config = unsafe {
        envoy_dynamic_module_on_http_filter_config_new(
            &mut envoy_config as *mut u64 as *mut c_void,
            buffer("weir"),
            buffer(json),
        )
    };
    assert!(!config.is_null(), "{case}: configuration refused");
    for _ in 0..2 {
        request(config); // The worker's plan is built, the bucket's one token spent.
    }
    CALLS.with(|c| c.set(Calls::default()));
    let mut per_batch = Vec::with_capacity(BATCHES);
    for _ in 0..BATCHES {
        let start = Instant::now();
        for _ in 0..BATCH {
            assert_eq!(request(config), admits, "{case}");
        }
        per_batch.push(start.elapsed().as_nanos() as f64 / BATCH as f64);
    }
    per_batch.sort_by(f64::total_cmp);
    let calls = CALLS.with(Cell::get);
    let per = |n: u64| n as f64 / (BATCH * BATCHES as u64) as f64;
    println!(
        "{case:<16} {:>6.1} ns/request (min {:.1}, max {:.1})  callbacks/request: get_header {:.0}, \
         attribute {:.0}, set/add header {:.0}, send_response {:.0}, increment_counter {:.0}, other {:.0}",
        per_batch[BATCHES / 2],
        per_batch[0],
        per_batch[BATCHES - 1],
        per(calls.get_header),
        per(calls.attribute),
        per(calls.set_or_add_header),
        per(calls.send_response),
        per(calls.increment),
        per(calls.other),
    );
    // SAFETY: the configuration from config_new, destroyed once.
    unsafe { envoy_dynamic_module_on_http_filter_config_destroy(config) };
}

fn main() {
    // The rules of benches/envoy/bench.py: a limit never reached, keyed or
    // not, and one that refuses every request after the first.
    let huge = 1_000_000_000u64;
    let unlimited =
        format!(r#"{{"rules": [{{"name": "bench", "limit": {{"rate": {huge}, "per": "1s", "burst": {huge}}}}}]}}"#);
    let keyed = format!(
        r#"{{"rules": [{{"name": "bench", "limit": {{"rate": {huge}, "per": "1s", "burst": {huge}, "key": "client_address"}}}}]}}"#
    );
    let refusing = r#"{"rules": [{"name": "bench", "limit": {"rate": 1, "per": "1h", "burst": 1}}]}"#;
    run("admit", &unlimited, true);
    run("admit keyed", &keyed, true);
    run("refuse", refusing, false);
}
