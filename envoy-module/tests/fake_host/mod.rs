//! A fake Envoy for the module's hooks: it defines the callbacks the module
//! imports (`#[no_mangle]`, the same C signatures Envoy exports), so a test
//! binary links the module against it and drives the hooks as Envoy would:
//! a configuration made on one thread, streams on any thread, headers,
//! local answers, the source address and counters.
//!
//! An Envoy filter pointer is a `*mut FakeStream`, a configuration pointer a
//! `*const FakeConfig`; counter ids are handed out from the release's
//! `METRIC_ID_BASE`, as the Envoy the module is built for numbers them.

#![allow(dead_code, clippy::missing_safety_doc)]

use std::ffi::c_void;
use std::sync::{Mutex, MutexGuard};
use weir_envoy::abi::{EnvoyBuffer, HeaderMap, LogLevel, ModuleBuffer, ModuleHeader};
use weir_envoy::release::METRIC_ID_BASE;

static LOGS: Mutex<Vec<(u32, String)>> = Mutex::new(Vec::new());

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Every line the module logged so far (level, message).
pub fn logs() -> Vec<(u32, String)> {
    lock(&LOGS).clone()
}

/// # Safety
/// `b` points to `length` readable bytes.
unsafe fn text(b: ModuleBuffer) -> String {
    // SAFETY: the caller's contract.
    String::from_utf8_lossy(unsafe { std::slice::from_raw_parts(b.ptr, b.length) }).into_owned()
}

#[no_mangle]
pub extern "C" fn envoy_dynamic_module_callback_log(level: LogLevel, message: ModuleBuffer) {
    // SAFETY: the module's buffers (and header arrays) are valid for their length during the callback, as the ABI requires.
    lock(&LOGS).push((level as u32, unsafe { text(message) }));
}

#[no_mangle]
pub extern "C" fn envoy_dynamic_module_callback_log_enabled(_: LogLevel) -> bool {
    true
}

/// Envoy's filter configuration: the counters it defined.
#[derive(Default)]
pub struct FakeConfig {
    counters: Mutex<Vec<(String, u64)>>,
    /// Gauges have ids of their own, from the same base, as in Envoy.
    gauges: Mutex<Vec<(String, u64)>>,
}

impl FakeConfig {
    /// A counter's value by its full name (`weir.<rule>.<outcome>`).
    pub fn counter(&self, name: &str) -> Option<u64> {
        lock(&self.counters).iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }

    /// A gauge's value by its full name (`weir.<rule>.hot_key.<rank>`).
    pub fn gauge(&self, name: &str) -> Option<u64> {
        lock(&self.gauges).iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }

    pub fn counter_names(&self) -> Vec<String> {
        lock(&self.counters).iter().map(|(n, _)| n.clone()).collect()
    }
}

#[no_mangle]
pub extern "C" fn envoy_dynamic_module_callback_http_filter_config_define_counter(
    config: *mut c_void,
    name: ModuleBuffer,
    _: *const ModuleBuffer,
    _: usize,
    id: *mut usize,
) -> u32 {
    // SAFETY: the module passes back the pointers this fake gave it (a live FakeConfig or FakeStream), one callback at a time per stream.
    let config = unsafe { &*(config as *const FakeConfig) };
    let mut counters = lock(&config.counters);
    // SAFETY: the module's buffers (and header arrays) are valid for their length during the callback, as the ABI requires.
    counters.push((unsafe { text(name) }, 0));
    // SAFETY: out-pointers from the module point to its own locals, aligned and writable for the call.
    unsafe { *id = counters.len() - 1 + METRIC_ID_BASE };
    0
}

#[no_mangle]
pub extern "C" fn envoy_dynamic_module_callback_http_filter_increment_counter(
    filter: *mut c_void,
    id: usize,
    _: *const ModuleBuffer,
    _: usize,
    value: u64,
) -> u32 {
    // SAFETY: the module passes back the pointers this fake gave it (a live FakeConfig or FakeStream), one callback at a time per stream.
    let stream = unsafe { &*(filter as *const FakeStream) };
    // SAFETY: the module passes back the pointers this fake gave it (a live FakeConfig or FakeStream), one callback at a time per stream.
    let config = unsafe { &*stream.config };
    let mut counters = lock(&config.counters);
    match id.checked_sub(METRIC_ID_BASE).and_then(|i| counters.get_mut(i)) {
        Some((_, v)) => {
            *v += value;
            0
        }
        None => 1,
    }
}

#[no_mangle]
pub extern "C" fn envoy_dynamic_module_callback_http_filter_config_define_gauge(
    config: *mut c_void,
    name: ModuleBuffer,
    _: *const ModuleBuffer,
    _: usize,
    id: *mut usize,
) -> u32 {
    // SAFETY: the module passes back the pointers this fake gave it (a live FakeConfig or FakeStream), one callback at a time per stream.
    let config = unsafe { &*(config as *const FakeConfig) };
    let mut gauges = lock(&config.gauges);
    // SAFETY: the module's buffers are valid for their length during the callback, as the ABI requires.
    gauges.push((unsafe { text(name) }, 0));
    // SAFETY: out-pointers from the module point to its own locals, aligned and writable for the call.
    unsafe { *id = gauges.len() - 1 + METRIC_ID_BASE };
    0
}

#[no_mangle]
pub extern "C" fn envoy_dynamic_module_callback_http_filter_set_gauge(
    filter: *mut c_void,
    id: usize,
    _: *const ModuleBuffer,
    _: usize,
    value: u64,
) -> u32 {
    // SAFETY: the module passes back the pointers this fake gave it (a live FakeConfig or FakeStream), one callback at a time per stream.
    let stream = unsafe { &*(filter as *const FakeStream) };
    // SAFETY: as above.
    let config = unsafe { &*stream.config };
    let mut gauges = lock(&config.gauges);
    match id.checked_sub(METRIC_ID_BASE).and_then(|i| gauges.get_mut(i)) {
        Some((_, v)) => {
            *v = value;
            0
        }
        None => 1,
    }
}

/// The local answer a stream sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub status: u32,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub details: String,
}

impl Sent {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// One HTTP stream as Envoy's filter object holds it.
pub struct FakeStream {
    config: *const FakeConfig,
    pub request: Vec<(String, Vec<u8>)>,
    pub response: Vec<(String, Vec<u8>)>,
    pub source: Option<Vec<u8>>,
    pub sent: Option<Sent>,
    /// Times the module asked Envoy to pick the route again.
    pub route_cleared: u32,
}

impl FakeStream {
    fn map(&mut self, map: HeaderMap) -> &mut Vec<(String, Vec<u8>)> {
        match map {
            HeaderMap::Response | HeaderMap::ResponseTrailers => &mut self.response,
            _ => &mut self.request,
        }
    }

    pub fn request_header(&self, name: &str) -> Option<&str> {
        self.request.iter().find(|(k, _)| k == name).and_then(|(_, v)| std::str::from_utf8(v).ok())
    }

    pub fn response_header(&self, name: &str) -> Option<&str> {
        self.response.iter().find(|(k, _)| k == name).and_then(|(_, v)| std::str::from_utf8(v).ok())
    }
}

#[no_mangle]
pub extern "C" fn envoy_dynamic_module_callback_http_get_header(
    filter: *mut c_void,
    map: HeaderMap,
    key: ModuleBuffer,
    result: *mut EnvoyBuffer,
    index: usize,
    values: *mut usize,
) -> bool {
    // SAFETY: the module passes back the pointers this fake gave it (a live FakeConfig or FakeStream), one callback at a time per stream.
    let stream = unsafe { &mut *(filter as *mut FakeStream) };
    // SAFETY: the module's buffers (and header arrays) are valid for their length during the callback, as the ABI requires.
    let key = unsafe { text(key) };
    let found: Vec<&(String, Vec<u8>)> = stream.map(map).iter().filter(|(k, _)| *k == key).collect();
    if !values.is_null() {
        // SAFETY: out-pointers from the module point to its own locals, aligned and writable for the call.
        unsafe { *values = found.len() };
    }
    match found.get(index) {
        Some((_, v)) => {
            // SAFETY: out-pointers from the module point to its own locals, aligned and writable for the call.
            unsafe { *result = EnvoyBuffer { ptr: v.as_ptr(), length: v.len() } };
            true
        }
        None => {
            // SAFETY: out-pointers from the module point to its own locals, aligned and writable for the call.
            unsafe { *result = EnvoyBuffer::EMPTY };
            false
        }
    }
}

#[no_mangle]
pub extern "C" fn envoy_dynamic_module_callback_http_set_header(
    filter: *mut c_void,
    map: HeaderMap,
    key: ModuleBuffer,
    value: ModuleBuffer,
) -> bool {
    // SAFETY: the module passes back the pointers this fake gave it (a live FakeConfig or FakeStream), one callback at a time per stream.
    let stream = unsafe { &mut *(filter as *mut FakeStream) };
    // SAFETY: the module's buffers (and header arrays) are valid for their length during the callback, as the ABI requires.
    let (key, value) = unsafe { (text(key), std::slice::from_raw_parts(value.ptr, value.length).to_vec()) };
    let headers = stream.map(map);
    headers.retain(|(k, _)| *k != key);
    headers.push((key, value));
    true
}

#[no_mangle]
pub extern "C" fn envoy_dynamic_module_callback_http_add_header(
    filter: *mut c_void,
    map: HeaderMap,
    key: ModuleBuffer,
    value: ModuleBuffer,
) -> bool {
    // SAFETY: the module passes back the pointers this fake gave it (a live FakeConfig or FakeStream), one callback at a time per stream.
    let stream = unsafe { &mut *(filter as *mut FakeStream) };
    // SAFETY: the module's buffers (and header arrays) are valid for their length during the callback, as the ABI requires.
    let (key, value) = unsafe { (text(key), std::slice::from_raw_parts(value.ptr, value.length).to_vec()) };
    stream.map(map).push((key, value));
    true
}

#[no_mangle]
pub extern "C" fn envoy_dynamic_module_callback_http_send_response(
    filter: *mut c_void,
    status: u32,
    headers: *const ModuleHeader,
    headers_len: usize,
    body: ModuleBuffer,
    details: ModuleBuffer,
) {
    // SAFETY: the module passes back the pointers this fake gave it (a live FakeConfig or FakeStream), one callback at a time per stream.
    let stream = unsafe { &mut *(filter as *mut FakeStream) };
    // SAFETY: the module's buffers (and header arrays) are valid for their length during the callback, as the ABI requires.
    let headers = unsafe { std::slice::from_raw_parts(headers, headers_len) }
        .iter()
        // SAFETY: the module's buffers (and header arrays) are valid for their length during the callback, as the ABI requires.
        .map(|h| unsafe {
            (
                text(ModuleBuffer { ptr: h.key_ptr, length: h.key_length }),
                text(ModuleBuffer { ptr: h.value_ptr, length: h.value_length }),
            )
        })
        .collect();
    // SAFETY: the module's buffers (and header arrays) are valid for their length during the callback, as the ABI requires.
    stream.sent = Some(Sent { status, headers, body: unsafe { text(body) }, details: unsafe { text(details) } });
}

#[no_mangle]
pub extern "C" fn envoy_dynamic_module_callback_http_clear_route_cache(filter: *mut c_void) {
    // SAFETY: the module passes back the pointers this fake gave it (a live FakeConfig or FakeStream), one callback at a time per stream.
    let stream = unsafe { &mut *(filter as *mut FakeStream) };
    stream.route_cleared += 1;
}

#[no_mangle]
pub extern "C" fn envoy_dynamic_module_callback_http_filter_get_attribute_string(
    filter: *mut c_void,
    attribute: u32,
    result: *mut EnvoyBuffer,
) -> bool {
    // SAFETY: the module passes back the pointers this fake gave it (a live FakeConfig or FakeStream), one callback at a time per stream.
    let stream = unsafe { &*(filter as *const FakeStream) };
    match (&stream.source, attribute) {
        (Some(address), weir_envoy::abi::ATTRIBUTE_SOURCE_ADDRESS) => {
            // SAFETY: out-pointers from the module point to its own locals, aligned and writable for the call.
            unsafe { *result = EnvoyBuffer { ptr: address.as_ptr(), length: address.len() } };
            true
        }
        _ => false,
    }
}

use weir_envoy::abi::{HEADERS_CONTINUE, HEADERS_STOP_ITERATION};

extern "C" {
    fn envoy_dynamic_module_on_program_init() -> *const std::ffi::c_char;
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

/// The ABI version string the module answers at load.
pub fn program_init() -> String {
    // SAFETY: the module returns a static, NUL-terminated version string.
    let version = unsafe { std::ffi::CStr::from_ptr(envoy_dynamic_module_on_program_init()) };
    version.to_string_lossy().into_owned()
}

/// A filter configuration the module accepted, destroyed on drop.
pub struct Filter {
    pub config: Box<FakeConfig>,
    module: *const c_void,
}

// SAFETY: the module's configuration is shared by Envoy's workers; the fake shares it across test threads the same way, and the module's own state is Sync.
unsafe impl Send for Filter {}
// SAFETY: the module's configuration is shared by Envoy's workers; the fake shares it across test threads the same way, and the module's own state is Sync.
unsafe impl Sync for Filter {}

impl Filter {
    /// Configures the module with `json`; `None` when it refused.
    pub fn new(json: &str) -> Option<Filter> {
        let config = Box::<FakeConfig>::default();
        let name = "weir";
        // SAFETY: the hooks are called as Envoy calls them: with the configuration and stream pointers this fake made, each live until its destroy hook.
        let module = unsafe {
            envoy_dynamic_module_on_http_filter_config_new(
                &*config as *const FakeConfig as *mut c_void,
                EnvoyBuffer { ptr: name.as_ptr(), length: name.len() },
                EnvoyBuffer { ptr: json.as_ptr(), length: json.len() },
            )
        };
        (!module.is_null()).then_some(Filter { config, module })
    }

    /// Runs one request through the hooks (new, request headers; then the
    /// response headers if the module let it through, or none; complete;
    /// destroy) and returns what Envoy saw.
    pub fn exchange(&self, request: &[(&str, &str)], response: Option<&[(&str, &str)]>) -> FakeStream {
        let mut stream = self.begin(request);
        let (continued, module) = self.send_request(&mut stream);
        if continued {
            if let Some(headers) = response {
                stream.response = headers.iter().map(|(k, v)| (k.to_string(), v.as_bytes().to_vec())).collect();
                self.send_response(&mut stream, module);
            }
        }
        self.finish(&mut stream, module);
        stream
    }

    pub fn begin(&self, request: &[(&str, &str)]) -> FakeStream {
        FakeStream {
            config: &*self.config,
            request: request.iter().map(|(k, v)| (k.to_string(), v.as_bytes().to_vec())).collect(),
            response: Vec::new(),
            source: None,
            sent: None,
            route_cleared: 0,
        }
    }

    /// Creates the module's stream and delivers the request headers:
    /// (whether the request goes on, the module's stream).
    pub fn send_request(&self, stream: &mut FakeStream) -> (bool, *const c_void) {
        let envoy = stream as *mut FakeStream as *mut c_void;
        // SAFETY: the hooks are called as Envoy calls them: with the configuration and stream pointers this fake made, each live until its destroy hook.
        let module = unsafe { envoy_dynamic_module_on_http_filter_new(self.module, envoy) };
        assert!(!module.is_null(), "the module made no stream");
        // SAFETY: the hooks are called as Envoy calls them: with the configuration and stream pointers this fake made, each live until its destroy hook.
        let answer = unsafe { envoy_dynamic_module_on_http_filter_request_headers(envoy, module, true) };
        assert!(answer == HEADERS_CONTINUE || answer == HEADERS_STOP_ITERATION, "{answer}");
        assert_eq!(answer == HEADERS_STOP_ITERATION, stream.sent.is_some(), "stops exactly when it answers");
        (answer == HEADERS_CONTINUE, module)
    }

    pub fn send_response(&self, stream: &mut FakeStream, module: *const c_void) {
        let envoy = stream as *mut FakeStream as *mut c_void;
        // SAFETY: the hooks are called as Envoy calls them: with the configuration and stream pointers this fake made, each live until its destroy hook.
        let answer = unsafe { envoy_dynamic_module_on_http_filter_response_headers(envoy, module, true) };
        assert_eq!(answer, HEADERS_CONTINUE);
    }

    pub fn finish(&self, stream: &mut FakeStream, module: *const c_void) {
        let envoy = stream as *mut FakeStream as *mut c_void;
        // SAFETY: the hooks are called as Envoy calls them: with the configuration and stream pointers this fake made, each live until its destroy hook.
        unsafe {
            envoy_dynamic_module_on_http_filter_stream_complete(envoy, module);
            envoy_dynamic_module_on_http_filter_destroy(module);
        }
    }

    /// A counter's value: `weir.<rule>.<outcome>`.
    pub fn counter(&self, name: &str) -> u64 {
        self.config.counter(name).unwrap_or_else(|| panic!("no counter {name}: {:?}", self.config.counter_names()))
    }
}

impl Drop for Filter {
    fn drop(&mut self) {
        // SAFETY: the hooks are called as Envoy calls them: with the configuration and stream pointers this fake made, each live until its destroy hook.
        unsafe { envoy_dynamic_module_on_http_filter_config_destroy(self.module) };
    }
}
