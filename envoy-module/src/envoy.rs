//! Safe handles over the callbacks: a filter configuration (defines
//! counters, on the main thread) and a stream (headers, the local answer,
//! attributes, counter increments, on its worker). Everything `unsafe`
//! about the ABI is in this file.

use crate::abi::{self, EnvoyBuffer, FilterConfigEnvoy, FilterEnvoy, HeaderMap, LogLevel, ModuleBuffer, ModuleHeader};

/// Logs under Envoy's `dynamic_modules` logger, if that level is on.
pub fn log(level: LogLevel, message: &str) {
    // SAFETY: plain values and a buffer that outlives the call.
    unsafe {
        if abi::envoy_dynamic_module_callback_log_enabled(level) {
            abi::envoy_dynamic_module_callback_log(level, ModuleBuffer::of(message.as_bytes()));
        }
    }
}

/// Envoy's filter configuration object, valid from `config_new` to
/// `config_destroy`.
#[derive(Debug, Clone, Copy)]
pub struct Config(pub FilterConfigEnvoy);

impl Config {
    /// Defines a counter without labels; `None` if Envoy refused it.
    pub fn define_counter(self, name: &str) -> Option<usize> {
        let mut id = 0usize;
        // SAFETY: `self.0` is the live config Envoy handed to `config_new`;
        // the name buffer and the out-pointer outlive the call.
        let result = unsafe {
            abi::envoy_dynamic_module_callback_http_filter_config_define_counter(
                self.0,
                ModuleBuffer::of(name.as_bytes()),
                core::ptr::null(),
                0,
                &mut id,
            )
        };
        (result == abi::METRICS_SUCCESS).then_some(id)
    }

    /// Defines a gauge without labels; `None` if Envoy refused it.
    pub fn define_gauge(self, name: &str) -> Option<usize> {
        let mut id = 0usize;
        // SAFETY: as in `define_counter`.
        let result = unsafe {
            abi::envoy_dynamic_module_callback_http_filter_config_define_gauge(
                self.0,
                ModuleBuffer::of(name.as_bytes()),
                core::ptr::null(),
                0,
                &mut id,
            )
        };
        (result == abi::METRICS_SUCCESS).then_some(id)
    }
}

/// Envoy's per-stream filter object, valid until `on_http_filter_destroy`.
/// Only used on the stream's worker, inside a hook.
#[derive(Debug, Clone, Copy)]
pub struct Stream(pub FilterEnvoy);

impl Stream {
    /// The first value of a header. The bytes stay Envoy's: valid until the
    /// current hook returns or a header of the same map is set.
    pub fn header(&self, map: HeaderMap, name: &str) -> Option<&[u8]> {
        let mut value = EnvoyBuffer::EMPTY;
        // SAFETY: a live stream, a key buffer that outlives the call, an
        // out-pointer to a local; the count pointer may be null.
        let found = unsafe {
            abi::envoy_dynamic_module_callback_http_get_header(
                self.0,
                map,
                ModuleBuffer::of(name.as_bytes()),
                &mut value,
                0,
                core::ptr::null_mut(),
            )
        };
        // SAFETY: Envoy filled `value` with bytes it owns for this hook.
        found.then(|| unsafe { value.bytes() }).flatten()
    }

    /// Sets a header, replacing every value it had.
    pub fn set_header(&self, map: HeaderMap, name: &str, value: &[u8]) -> bool {
        // SAFETY: a live stream and buffers that outlive the call.
        unsafe {
            abi::envoy_dynamic_module_callback_http_set_header(
                self.0,
                map,
                ModuleBuffer::of(name.as_bytes()),
                ModuleBuffer::of(value),
            )
        }
    }

    /// Adds a value to a header.
    pub fn add_header(&self, map: HeaderMap, name: &str, value: &[u8]) -> bool {
        // SAFETY: as above.
        unsafe {
            abi::envoy_dynamic_module_callback_http_add_header(
                self.0,
                map,
                ModuleBuffer::of(name.as_bytes()),
                ModuleBuffer::of(value),
            )
        }
    }

    /// Makes Envoy pick the route again: a request header the route reads
    /// (`cluster_header`, what `pick` sets) changed.
    pub fn clear_route_cache(&self) {
        // SAFETY: a live stream.
        unsafe { abi::envoy_dynamic_module_callback_http_clear_route_cache(self.0) }
    }

    /// The downstream address as Envoy prints it (`ip:port`, `[v6]:port`).
    pub fn source_address(&self) -> Option<&[u8]> {
        let mut value = EnvoyBuffer::EMPTY;
        // SAFETY: a live stream and an out-pointer to a local.
        let found = unsafe {
            abi::envoy_dynamic_module_callback_http_filter_get_attribute_string(
                self.0,
                abi::ATTRIBUTE_SOURCE_ADDRESS,
                &mut value,
            )
        };
        // SAFETY: as in `header`.
        found.then(|| unsafe { value.bytes() }).flatten()
    }

    /// Answers the request locally; Envoy stops the filter chain. The
    /// header array lives on the stack: a plain answer has at most 11
    /// headers (`retry-after`, 3 `x-ratelimit-*`, `x-weir-rule`, the two
    /// no-retry markers, 4 debug), a `fallback` answer at most 21 (16
    /// configured, `retry-after`, `x-weir-rule`, `x-weir-fallback`, the
    /// markers); any past `MAX_HEADERS` would be dropped rather than allocate.
    pub fn send_response<'k, 'v>(
        &self,
        status: u32,
        headers: impl IntoIterator<Item = (&'k str, &'v str)>,
        body: &[u8],
        details: &str,
    ) {
        const MAX_HEADERS: usize = 24;
        // Only the headers given are written: a refusal's half-dozen, not
        // the whole array, so the answer touches a few cache lines.
        let mut array = [core::mem::MaybeUninit::<ModuleHeader>::uninit(); MAX_HEADERS];
        let mut len = 0;
        for (slot, (k, v)) in array.iter_mut().zip(headers) {
            slot.write(ModuleHeader::of(k, v));
            len += 1;
        }
        // SAFETY: a live stream; the first `len` headers are initialised,
        // and Envoy reads only those; the array, the strings it points into
        // and the buffers outlive the call.
        unsafe {
            abi::envoy_dynamic_module_callback_http_send_response(
                self.0,
                status,
                array.as_ptr().cast::<ModuleHeader>(),
                len,
                ModuleBuffer::of(body),
                ModuleBuffer::of(details.as_bytes()),
            );
        }
    }

    /// Answers the request locally with an answer laid out already.
    ///
    /// # Safety
    /// Every header's name and value pointers, and the body's and the
    /// details' pointers, must point to that many readable bytes for the
    /// length of the call; the details must be UTF-8.
    pub unsafe fn send_prepared(
        &self,
        status: u32,
        headers: &[ModuleHeader],
        body: ModuleBuffer,
        details: ModuleBuffer,
    ) {
        // SAFETY: a live stream; the bytes by the caller's contract, and
        // the header slice outlives the call.
        unsafe {
            abi::envoy_dynamic_module_callback_http_send_response(
                self.0,
                status,
                headers.as_ptr(),
                headers.len(),
                body,
                details,
            );
        }
    }

    /// Adds `by` to a counter defined by this stream's configuration.
    pub fn increment(&self, counter: usize, by: u64) {
        // SAFETY: a live stream; no labels.
        unsafe {
            abi::envoy_dynamic_module_callback_http_filter_increment_counter(self.0, counter, core::ptr::null(), 0, by);
        }
    }

    /// Sets a gauge defined by this stream's configuration.
    pub fn set_gauge(&self, gauge: usize, value: u64) {
        // SAFETY: a live stream; no labels.
        unsafe {
            abi::envoy_dynamic_module_callback_http_filter_set_gauge(self.0, gauge, core::ptr::null(), 0, value);
        }
    }
}
