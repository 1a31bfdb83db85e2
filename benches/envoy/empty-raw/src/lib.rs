//! An HTTP filter that does nothing, written against the proxy-wasm ABI
//! directly: what Envoy and V8 cost per request when the module adds nothing.
//!
//! Envoy's host (proxy-wasm-cpp-host) needs only the ABI marker and an
//! allocator; every `proxy_on_*` callback it does not find is skipped
//! without entering the VM.

#![no_std]

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

#[no_mangle]
pub extern "C" fn proxy_abi_version_0_2_1() {}

/// Envoy hands the module data (configuration, header values) in memory the
/// module allocates; this filter never asks for any, so fresh pages suffice.
#[no_mangle]
pub extern "C" fn proxy_on_memory_allocate(size: usize) -> *mut u8 {
    let pages = size.div_ceil(65536).max(1);
    let first = core::arch::wasm32::memory_grow(0, pages);
    if first == usize::MAX {
        return core::ptr::null_mut();
    }
    (first * 65536) as *mut u8
}

#[no_mangle]
pub extern "C" fn proxy_on_vm_start(_root: u32, _size: u32) -> u32 {
    1
}

#[no_mangle]
pub extern "C" fn proxy_on_configure(_root: u32, _size: u32) -> u32 {
    1
}

#[no_mangle]
pub extern "C" fn proxy_on_request_headers(_stream: u32, _headers: u32, _end: u32) -> u32 {
    0
}

#[cfg(feature = "stream-callbacks")]
mod stream {
    #[no_mangle]
    pub extern "C" fn proxy_on_context_create(_id: u32, _parent: u32) {}

    #[no_mangle]
    pub extern "C" fn proxy_on_response_headers(_stream: u32, _headers: u32, _end: u32) -> u32 {
        0
    }

    #[no_mangle]
    pub extern "C" fn proxy_on_done(_stream: u32) -> u32 {
        1
    }
}
