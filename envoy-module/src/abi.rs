//! Envoy's dynamic-module C ABI, as far as weir uses it: the types, the
//! callbacks weir calls, and (in `exports`) the hooks Envoy calls.
//!
//! Written from the interface Envoy documents for its releases 1.38-1.40
//! (`source/extensions/dynamic_modules/abi.h`). Every callback below has the
//! same signature in the three releases (checked against each binary's
//! code: the same argument registers, the same attribute and header
//! enums); what differs between them lives in `release`. The real-Envoy
//! suite (`tests/envoy/test_symbols.py`) fails if a release does not
//! export a callback the built module imports, or looks up a hook it lacks.

use core::ffi::c_void;

/// Bytes owned by Envoy, valid until the hook that received them returns
/// (or until a header setter runs).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct EnvoyBuffer {
    pub ptr: *const u8,
    pub length: usize,
}

impl EnvoyBuffer {
    pub const EMPTY: EnvoyBuffer = EnvoyBuffer { ptr: core::ptr::null(), length: 0 };

    /// The bytes, or `None` for Envoy's null buffer.
    ///
    /// # Safety
    /// `ptr` must point to `length` readable bytes for the returned lifetime.
    pub unsafe fn bytes<'a>(self) -> Option<&'a [u8]> {
        if self.ptr.is_null() {
            return None;
        }
        // SAFETY: non-null, and the caller vouches for the length and lifetime.
        Some(unsafe { core::slice::from_raw_parts(self.ptr, self.length) })
    }
}

/// Bytes owned by the module, lent to Envoy for one call.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ModuleBuffer {
    pub ptr: *const u8,
    pub length: usize,
}

impl ModuleBuffer {
    pub fn of(bytes: &[u8]) -> Self {
        Self { ptr: bytes.as_ptr(), length: bytes.len() }
    }
}

/// One header of a local response, lent to Envoy for one call.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ModuleHeader {
    pub key_ptr: *const u8,
    pub key_length: usize,
    pub value_ptr: *const u8,
    pub value_length: usize,
}

impl ModuleHeader {
    pub fn of(key: &str, value: &str) -> Self {
        Self { key_ptr: key.as_ptr(), key_length: key.len(), value_ptr: value.as_ptr(), value_length: value.len() }
    }
}

/// Which header map a header callback works on.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderMap {
    Request = 0,
    RequestTrailers = 1,
    Response = 2,
    ResponseTrailers = 3,
}

/// Envoy's log levels (its `spdlog` levels, in order).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    Trace = 0,
    Debug = 1,
    Info = 2,
    Warn = 3,
    Error = 4,
    Critical = 5,
}

/// `source.address` in Envoy's attribute list (`ip:port`).
pub const ATTRIBUTE_SOURCE_ADDRESS: u32 = 24;

/// What a metric callback answered; 0 is success.
pub const METRICS_SUCCESS: u32 = 0;

/// A headers hook's answer: go on, or stop (a local response was sent).
pub const HEADERS_CONTINUE: u32 = 0;
pub const HEADERS_STOP_ITERATION: u32 = 1;
/// A body or trailers hook's answer: go on.
pub const DATA_CONTINUE: u32 = 0;
/// `on_http_filter_local_reply`'s answer: send the reply as Envoy built it.
pub const LOCAL_REPLY_CONTINUE: u32 = 0;

pub type FilterConfigEnvoy = *mut c_void;
pub type FilterEnvoy = *mut c_void;

extern "C" {
    pub fn envoy_dynamic_module_callback_log(level: LogLevel, message: ModuleBuffer);
    pub fn envoy_dynamic_module_callback_log_enabled(level: LogLevel) -> bool;

    pub fn envoy_dynamic_module_callback_http_get_header(
        filter: FilterEnvoy,
        map: HeaderMap,
        key: ModuleBuffer,
        result: *mut EnvoyBuffer,
        index: usize,
        values: *mut usize,
    ) -> bool;
    pub fn envoy_dynamic_module_callback_http_set_header(
        filter: FilterEnvoy,
        map: HeaderMap,
        key: ModuleBuffer,
        value: ModuleBuffer,
    ) -> bool;
    pub fn envoy_dynamic_module_callback_http_add_header(
        filter: FilterEnvoy,
        map: HeaderMap,
        key: ModuleBuffer,
        value: ModuleBuffer,
    ) -> bool;
    pub fn envoy_dynamic_module_callback_http_send_response(
        filter: FilterEnvoy,
        status: u32,
        headers: *const ModuleHeader,
        headers_len: usize,
        body: ModuleBuffer,
        details: ModuleBuffer,
    );
    pub fn envoy_dynamic_module_callback_http_clear_route_cache(filter: FilterEnvoy);
    pub fn envoy_dynamic_module_callback_http_filter_get_attribute_string(
        filter: FilterEnvoy,
        attribute: u32,
        result: *mut EnvoyBuffer,
    ) -> bool;

    pub fn envoy_dynamic_module_callback_http_filter_config_define_counter(
        config: FilterConfigEnvoy,
        name: ModuleBuffer,
        label_names: *const ModuleBuffer,
        label_names_len: usize,
        id: *mut usize,
    ) -> u32;
    pub fn envoy_dynamic_module_callback_http_filter_config_define_gauge(
        config: FilterConfigEnvoy,
        name: ModuleBuffer,
        label_names: *const ModuleBuffer,
        label_names_len: usize,
        id: *mut usize,
    ) -> u32;
    pub fn envoy_dynamic_module_callback_http_filter_set_gauge(
        filter: FilterEnvoy,
        id: usize,
        label_values: *const ModuleBuffer,
        label_values_len: usize,
        value: u64,
    ) -> u32;
    pub fn envoy_dynamic_module_callback_http_filter_increment_counter(
        filter: FilterEnvoy,
        id: usize,
        label_values: *const ModuleBuffer,
        label_values_len: usize,
        value: u64,
    ) -> u32;
}
