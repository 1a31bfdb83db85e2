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
/// module allocates. Small values (the shared-data reads) land in one
/// scratch buffer, read before the next call; anything else gets fresh pages.
#[no_mangle]
pub extern "C" fn proxy_on_memory_allocate(size: usize) -> *mut u8 {
    static mut SCRATCH: [u8; 64] = [0; 64];
    if size <= 64 {
        // A VM runs one call at a time and the value is read before the
        // next allocation, so one buffer serves every small value.
        return core::ptr::addr_of_mut!(SCRATCH) as *mut u8;
    }
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
    #[cfg(feature = "clock")]
    calls::clock();
    #[cfg(feature = "shared-get")]
    calls::shared();
    0
}

#[cfg(any(feature = "clock", feature = "shared-get"))]
mod calls {
    #[link(wasm_import_module = "env")]
    extern "C" {
        #[cfg(feature = "clock")]
        fn proxy_get_current_time_nanoseconds(out: *mut u64) -> u32;
        #[cfg(feature = "shared-get")]
        fn proxy_get_shared_data(k: *const u8, kl: usize, v: *mut *mut u8, vl: *mut usize, cas: *mut u32) -> u32;
        #[cfg(feature = "shared-get")]
        fn proxy_set_shared_data(k: *const u8, kl: usize, v: *const u8, vl: usize, cas: u32) -> u32;
    }

    #[cfg(feature = "clock")]
    pub fn clock() {
        let mut t = 0u64;
        // SAFETY: an out-pointer to a live local.
        unsafe { proxy_get_current_time_nanoseconds(&mut t) };
    }

    /// Reads a counter and (with `shared`) writes it back one higher under
    /// its CAS token.
    #[cfg(feature = "shared-get")]
    pub fn shared() {
        const KEY: &[u8] = b"empty-raw";
        let (mut ptr, mut len, mut cas) = (core::ptr::null_mut(), 0usize, 0u32);
        // SAFETY: out-pointers to live locals; the host writes the value
        // into memory from proxy_on_memory_allocate.
        let found = unsafe { proxy_get_shared_data(KEY.as_ptr(), KEY.len(), &mut ptr, &mut len, &mut cas) } == 0;
        let mut n = 0u64;
        if found && len == 8 && !ptr.is_null() {
            // SAFETY: the host wrote `len` (8) bytes at `ptr`.
            n = u64::from_le_bytes(unsafe { *(ptr as *const [u8; 8]) });
        }
        if cfg!(feature = "shared") || !found {
            let next = (n + 1).to_le_bytes();
            // SAFETY: pointers and lengths of live locals.
            unsafe { proxy_set_shared_data(KEY.as_ptr(), KEY.len(), next.as_ptr(), 8, cas) };
        }
    }
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
