//! The floor of a dynamic module (see Cargo.toml): Envoy 1.40's hooks, the
//! one callback a refusal needs, and nothing per stream. A stream's module
//! pointer is its configuration's, so no stream allocates.

#![allow(clippy::missing_safety_doc)]

use core::ffi::{c_char, c_void};

#[repr(C)]
#[derive(Clone, Copy)]
pub struct Buffer {
    ptr: *const u8,
    length: usize,
}

impl Buffer {
    const fn of(s: &'static str) -> Self {
        Self { ptr: s.as_ptr(), length: s.len() }
    }
}

#[repr(C)]
pub struct Header {
    key: Buffer,
    value: Buffer,
}

// SAFETY: the headers point into string constants, never written.
unsafe impl Sync for Header {}

/// weir's refusal in the bench: the REFUSING rule's 429.
static HEADERS: [Header; 6] = [
    Header { key: Buffer::of("retry-after"), value: Buffer::of("3600") },
    Header { key: Buffer::of("x-ratelimit-limit"), value: Buffer::of("1") },
    Header { key: Buffer::of("x-ratelimit-remaining"), value: Buffer::of("0") },
    Header { key: Buffer::of("x-ratelimit-reset"), value: Buffer::of("3600") },
    Header { key: Buffer::of("x-weir-rule"), value: Buffer::of("bench") },
    Header { key: Buffer::of("x-weir-no-retry"), value: Buffer::of("1") },
];
const BODY: &str = "weir: rate_limited by rule \"bench\"\n";
const DETAILS: &str = "weir_rate_limited";

static PASS: u8 = 0;
static REFUSE: u8 = 1;

extern "C" {
    fn envoy_dynamic_module_callback_http_send_response(
        filter: *mut c_void,
        status: u32,
        headers: *const Header,
        headers_len: usize,
        body: Buffer,
        details: Buffer,
    );
}

#[no_mangle]
pub extern "C" fn envoy_dynamic_module_on_program_init() -> *const c_char {
    c"v0.2.0".as_ptr()
}

#[no_mangle]
pub unsafe extern "C" fn envoy_dynamic_module_on_http_filter_config_new(
    _: *mut c_void,
    _: Buffer,
    config: Buffer,
) -> *const c_void {
    // SAFETY: Envoy's buffer, valid for this call.
    let refuse = unsafe { core::slice::from_raw_parts(config.ptr, config.length) } == b"refuse";
    (if refuse { &REFUSE } else { &PASS }) as *const u8 as *const c_void
}

#[no_mangle]
pub extern "C" fn envoy_dynamic_module_on_http_filter_new(config: *const c_void, _: *mut c_void) -> *const c_void {
    config
}

#[no_mangle]
pub unsafe extern "C" fn envoy_dynamic_module_on_http_filter_request_headers(
    filter: *mut c_void,
    module: *const c_void,
    _: bool,
) -> u32 {
    if module != &REFUSE as *const u8 as *const c_void {
        return 0;
    }
    // SAFETY: a live stream; the headers and buffers are constants.
    unsafe {
        envoy_dynamic_module_callback_http_send_response(
            filter,
            429,
            HEADERS.as_ptr(),
            HEADERS.len(),
            Buffer::of(BODY),
            Buffer::of(DETAILS),
        );
    }
    1
}

#[no_mangle]
pub extern "C" fn envoy_dynamic_module_on_http_filter_per_route_config_new(_: Buffer, _: Buffer) -> *const c_void {
    core::ptr::null()
}

/// Hooks that answer "continue" (0) or nothing, taking no parameters: a C
/// caller's arguments go in registers it owns, so ignoring them is safe.
macro_rules! zero {
    ($($name:ident),* $(,)?) => {$(
        #[no_mangle]
        pub extern "C" fn $name() -> u32 { 0 }
    )*};
}

zero!(
    envoy_dynamic_module_on_http_filter_config_destroy,
    envoy_dynamic_module_on_http_filter_per_route_config_destroy,
    envoy_dynamic_module_on_http_filter_request_body,
    envoy_dynamic_module_on_http_filter_request_trailers,
    envoy_dynamic_module_on_http_filter_response_headers,
    envoy_dynamic_module_on_http_filter_response_body,
    envoy_dynamic_module_on_http_filter_response_trailers,
    envoy_dynamic_module_on_http_filter_stream_complete,
    envoy_dynamic_module_on_http_filter_destroy,
    envoy_dynamic_module_on_http_filter_local_reply,
    envoy_dynamic_module_on_http_filter_http_callout_done,
    envoy_dynamic_module_on_http_filter_http_stream_headers,
    envoy_dynamic_module_on_http_filter_http_stream_data,
    envoy_dynamic_module_on_http_filter_http_stream_trailers,
    envoy_dynamic_module_on_http_filter_http_stream_complete,
    envoy_dynamic_module_on_http_filter_http_stream_reset,
    envoy_dynamic_module_on_http_filter_scheduled,
    envoy_dynamic_module_on_http_filter_config_scheduled,
    envoy_dynamic_module_on_http_filter_config_http_callout_done,
    envoy_dynamic_module_on_http_filter_config_http_stream_headers,
    envoy_dynamic_module_on_http_filter_config_http_stream_data,
    envoy_dynamic_module_on_http_filter_config_http_stream_trailers,
    envoy_dynamic_module_on_http_filter_config_http_stream_complete,
    envoy_dynamic_module_on_http_filter_config_http_stream_reset,
    envoy_dynamic_module_on_http_filter_downstream_above_write_buffer_high_watermark,
    envoy_dynamic_module_on_http_filter_downstream_below_write_buffer_low_watermark,
);
