//! The hooks Envoy calls. Each is declared through `frame::hook!`, so a
//! panic stops at the hook. A configuration lives in a `Box<FilterConfig>`
//! and a stream in a `Box<FilterStream>` (reused per worker, see `spare`),
//! each handed to Envoy as a raw pointer and taken back by its `destroy` hook.
//!
//! Envoy resolves every hook below when it loads the module and refuses a
//! module that lacks one, including the callout, stream-callout, scheduler
//! and watermark hooks weir never asks for; those are no-ops.

use crate::abi::{self, EnvoyBuffer, FilterConfigEnvoy, FilterEnvoy};
use crate::envoy::{Config, Stream};
use crate::filter::{FilterConfig, FilterStream};
use crate::frame::hook;
use crate::release;
use core::ffi::{c_char, c_void};

hook! {
    /// The ABI version this build speaks; Envoy compares it with its own.
    fn envoy_dynamic_module_on_program_init() -> *const c_char, on_panic: core::ptr::null(), {
        release::ABI_VERSION.as_ptr()
    }
}

hook! {
    /// Parses and validates the JSON (`filter_config`); NULL refuses it, and
    /// Envoy then refuses the listener. The log line names rule and field.
    fn envoy_dynamic_module_on_http_filter_config_new(
        config: FilterConfigEnvoy,
        name: EnvoyBuffer,
        json: EnvoyBuffer,
    ) -> *const c_void, on_panic: core::ptr::null(), {
        let _ = name;
        // SAFETY: Envoy's buffer, valid for this hook.
        let json = unsafe { json.bytes() }.unwrap_or_default();
        match FilterConfig::new(Config(config), json) {
            Some(c) => Box::into_raw(Box::new(c)) as *const c_void,
            None => core::ptr::null(),
        }
    }
}

hook! {
    fn envoy_dynamic_module_on_http_filter_config_destroy(config: *const c_void), {
        if !config.is_null() {
            // SAFETY: the pointer `config_new` made with Box::into_raw, given back once.
            drop(unsafe { Box::from_raw(config as *mut FilterConfig) });
        }
    }
}

hook! {
    /// weir has no per-route configuration: a route that sets one is refused.
    fn envoy_dynamic_module_on_http_filter_per_route_config_new(
        name: EnvoyBuffer,
        json: EnvoyBuffer,
    ) -> *const c_void, on_panic: core::ptr::null(), {
        let _ = (name, json);
        crate::envoy::log(abi::LogLevel::Error, "weir: per-route configuration is not supported; configure the filter itself");
        core::ptr::null()
    }
}

hook! {
    fn envoy_dynamic_module_on_http_filter_per_route_config_destroy(config: *const c_void), {
        let _ = config;
    }
}

hook! {
    /// A stream begins on a worker.
    fn envoy_dynamic_module_on_http_filter_new(config: *const c_void, filter: FilterEnvoy) -> *const c_void,
        on_panic: core::ptr::null(), {
        let _ = filter;
        if config.is_null() {
            return core::ptr::null();
        }
        // SAFETY: a live config from `config_new`; Envoy destroys it only
        // after every stream made from it.
        let config = unsafe { &*(config as *const FilterConfig) };
        Box::into_raw(config.stream()) as *const c_void
    }
}

/// The stream behind a module pointer.
///
/// # Safety
/// `ptr` must be a pointer `on_http_filter_new` returned and Envoy has not
/// destroyed yet; Envoy calls a stream's hooks on one thread, one at a time.
unsafe fn stream<'a>(ptr: *const c_void) -> Option<&'a mut FilterStream> {
    // SAFETY: the caller's contract.
    unsafe { (ptr as *mut FilterStream).as_mut() }
}

hook! {
    fn envoy_dynamic_module_on_http_filter_request_headers(filter: FilterEnvoy, module: *const c_void, end_of_stream: bool)
        -> u32, on_panic: abi::HEADERS_CONTINUE, {
        let _ = end_of_stream;
        // SAFETY: Envoy passes the stream's own pointer.
        match unsafe { stream(module) } {
            Some(s) => s.request_headers(Stream(filter)),
            None => abi::HEADERS_CONTINUE,
        }
    }
}

hook! {
    fn envoy_dynamic_module_on_http_filter_response_headers(filter: FilterEnvoy, module: *const c_void, end_of_stream: bool)
        -> u32, on_panic: abi::HEADERS_CONTINUE, {
        let _ = end_of_stream;
        // SAFETY: as above.
        if let Some(s) = unsafe { stream(module) } {
            s.response_headers(Stream(filter));
        }
        abi::HEADERS_CONTINUE
    }
}

hook! {
    /// The stream ended, with or without a response.
    fn envoy_dynamic_module_on_http_filter_stream_complete(filter: FilterEnvoy, module: *const c_void), {
        // SAFETY: as above.
        if let Some(s) = unsafe { stream(module) } {
            s.complete(Stream(filter));
        }
    }
}

hook! {
    fn envoy_dynamic_module_on_http_filter_destroy(module: *const c_void), {
        if !module.is_null() {
            // SAFETY: the pointer `filter_new` made with Box::into_raw, given back once.
            FilterStream::recycle(unsafe { Box::from_raw(module as *mut FilterStream) });
        }
    }
}

// What weir does not act on: bodies and trailers pass, local replies go
// out as Envoy built them, and callouts, callout streams, schedulers and
// watermarks are never started or matter. These hooks take no parameters:
// a C caller passes arguments in registers (and on its own stack, which it
// cleans), so a function that declares none ignores them safely, whatever
// a release passes.

macro_rules! answers {
    ($($name:ident -> $answer:expr;)*) => {$(
        hook! { fn $name() -> u32, on_panic: $answer, { $answer } }
    )*};
}

macro_rules! ignored {
    ($($name:ident;)*) => {$(
        hook! { fn $name(), {} }
    )*};
}

answers! {
    envoy_dynamic_module_on_http_filter_request_body -> abi::DATA_CONTINUE;
    envoy_dynamic_module_on_http_filter_request_trailers -> abi::DATA_CONTINUE;
    envoy_dynamic_module_on_http_filter_response_body -> abi::DATA_CONTINUE;
    envoy_dynamic_module_on_http_filter_response_trailers -> abi::DATA_CONTINUE;
    envoy_dynamic_module_on_http_filter_local_reply -> abi::LOCAL_REPLY_CONTINUE;
}

ignored! {
    envoy_dynamic_module_on_http_filter_http_callout_done;
    envoy_dynamic_module_on_http_filter_http_stream_headers;
    envoy_dynamic_module_on_http_filter_http_stream_data;
    envoy_dynamic_module_on_http_filter_http_stream_trailers;
    envoy_dynamic_module_on_http_filter_http_stream_complete;
    envoy_dynamic_module_on_http_filter_http_stream_reset;
    envoy_dynamic_module_on_http_filter_scheduled;
    envoy_dynamic_module_on_http_filter_config_scheduled;
    envoy_dynamic_module_on_http_filter_config_http_callout_done;
    envoy_dynamic_module_on_http_filter_config_http_stream_headers;
    envoy_dynamic_module_on_http_filter_config_http_stream_data;
    envoy_dynamic_module_on_http_filter_config_http_stream_trailers;
    envoy_dynamic_module_on_http_filter_config_http_stream_complete;
    envoy_dynamic_module_on_http_filter_config_http_stream_reset;
    envoy_dynamic_module_on_http_filter_downstream_above_write_buffer_high_watermark;
    envoy_dynamic_module_on_http_filter_downstream_below_write_buffer_low_watermark;
}
