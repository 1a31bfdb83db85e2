//! The proxy-wasm host calls the filter makes, called raw.
//!
//! A trap turns a worker into a 503 machine under the default failure
//! policy, so no call here panics on a status it did not expect (as the
//! proxy-wasm SDK's wrappers do): every call returns the host's status, and
//! a host hiccup becomes a decision under the rule's `on_state_error` policy.

/// A status the host returned that was not `Ok` (the shared-data store's).
pub use weir_policy::store::Status;

pub const MAP_REQUEST_HEADERS: u32 = 0;
pub const MAP_RESPONSE_HEADERS: u32 = 2;
pub const BUFFER_PLUGIN_CONFIGURATION: u32 = 7;
pub const METRIC_COUNTER: u32 = 0;
pub const METRIC_GAUGE: u32 = 1;

pub const LOG_INFO: u32 = 2;
pub const LOG_WARN: u32 = 3;
pub const LOG_ERROR: u32 = 4;

#[cfg(target_arch = "wasm32")]
mod abi {
    #[link(wasm_import_module = "env")]
    extern "C" {
        pub fn proxy_log(level: u32, message_data: *const u8, message_size: usize) -> u32;
        pub fn proxy_get_current_time_nanoseconds(return_time: *mut u64) -> u32;
        pub fn proxy_get_buffer_bytes(
            buffer_type: u32,
            start: usize,
            max_size: usize,
            return_buffer_data: *mut *mut u8,
            return_buffer_size: *mut usize,
        ) -> u32;
        pub fn proxy_get_header_map_value(
            map_type: u32,
            key_data: *const u8,
            key_size: usize,
            return_value_data: *mut *mut u8,
            return_value_size: *mut usize,
        ) -> u32;
        pub fn proxy_add_header_map_value(
            map_type: u32,
            key_data: *const u8,
            key_size: usize,
            value_data: *const u8,
            value_size: usize,
        ) -> u32;
        pub fn proxy_replace_header_map_value(
            map_type: u32,
            key_data: *const u8,
            key_size: usize,
            value_data: *const u8,
            value_size: usize,
        ) -> u32;
        pub fn proxy_get_property(
            path_data: *const u8,
            path_size: usize,
            return_value_data: *mut *mut u8,
            return_value_size: *mut usize,
        ) -> u32;
        pub fn proxy_get_shared_data(
            key_data: *const u8,
            key_size: usize,
            return_value_data: *mut *mut u8,
            return_value_size: *mut usize,
            return_cas: *mut u32,
        ) -> u32;
        pub fn proxy_set_shared_data(
            key_data: *const u8,
            key_size: usize,
            value_data: *const u8,
            value_size: usize,
            cas: u32,
        ) -> u32;
        pub fn proxy_send_local_response(
            status_code: u32,
            status_code_details_data: *const u8,
            status_code_details_size: usize,
            body_data: *const u8,
            body_size: usize,
            additional_headers_map_data: *const u8,
            additional_headers_size: usize,
            grpc_status: i32,
        ) -> u32;
        pub fn proxy_define_metric(
            metric_type: u32,
            name_data: *const u8,
            name_size: usize,
            return_id: *mut u32,
        ) -> u32;
        pub fn proxy_increment_metric(metric_id: u32, offset: i64) -> u32;
        pub fn proxy_record_metric(metric_id: u32, value: u64) -> u32;
        pub fn proxy_set_tick_period_milliseconds(period: u32) -> u32;
    }
}

/// Native builds (unit tests, fuzzing) have no host: every call reports
/// "not found" so the pure parts of the filter still link and run.
#[cfg(not(target_arch = "wasm32"))]
#[allow(clippy::missing_safety_doc, clippy::too_many_arguments)]
mod abi {
    pub unsafe fn proxy_log(_: u32, _: *const u8, _: usize) -> u32 {
        0
    }
    pub unsafe fn proxy_get_current_time_nanoseconds(_: *mut u64) -> u32 {
        1
    }
    pub unsafe fn proxy_get_buffer_bytes(_: u32, _: usize, _: usize, _: *mut *mut u8, _: *mut usize) -> u32 {
        1
    }
    pub unsafe fn proxy_get_header_map_value(_: u32, _: *const u8, _: usize, _: *mut *mut u8, _: *mut usize) -> u32 {
        1
    }
    pub unsafe fn proxy_add_header_map_value(_: u32, _: *const u8, _: usize, _: *const u8, _: usize) -> u32 {
        1
    }
    pub unsafe fn proxy_replace_header_map_value(_: u32, _: *const u8, _: usize, _: *const u8, _: usize) -> u32 {
        1
    }
    pub unsafe fn proxy_get_property(_: *const u8, _: usize, _: *mut *mut u8, _: *mut usize) -> u32 {
        1
    }
    pub unsafe fn proxy_get_shared_data(_: *const u8, _: usize, _: *mut *mut u8, _: *mut usize, _: *mut u32) -> u32 {
        1
    }
    pub unsafe fn proxy_set_shared_data(_: *const u8, _: usize, _: *const u8, _: usize, _: u32) -> u32 {
        1
    }
    pub unsafe fn proxy_send_local_response(
        _: u32,
        _: *const u8,
        _: usize,
        _: *const u8,
        _: usize,
        _: *const u8,
        _: usize,
        _: i32,
    ) -> u32 {
        1
    }
    pub unsafe fn proxy_define_metric(_: u32, _: *const u8, _: usize, _: *mut u32) -> u32 {
        1
    }
    pub unsafe fn proxy_increment_metric(_: u32, _: i64) -> u32 {
        1
    }
    pub unsafe fn proxy_record_metric(_: u32, _: u64) -> u32 {
        1
    }
    pub unsafe fn proxy_set_tick_period_milliseconds(_: u32) -> u32 {
        1
    }
}

fn status(code: u32) -> Result<(), Status> {
    if code == 0 {
        Ok(())
    } else {
        Err(Status(code))
    }
}

/// Takes ownership of a buffer the host allocated through
/// `proxy_on_memory_allocate` (a boxed slice of exactly `size` bytes).
///
/// # Safety
/// `data` must be null or come from that allocator with length `size`.
unsafe fn owned(data: *mut u8, size: usize) -> Vec<u8> {
    if data.is_null() || size == 0 {
        return Vec::new();
    }
    // SAFETY: per the contract, `data` came from the filter's allocator as a
    // boxed slice of exactly `size` bytes, so capacity and length are `size`.
    unsafe { Vec::from_raw_parts(data, size, size) }
}

pub fn log(level: u32, message: &str) {
    // SAFETY: pointer and length of a live &str.
    unsafe {
        abi::proxy_log(level, message.as_ptr(), message.len());
    }
}

/// Host wall-clock nanoseconds, which Envoy shares across workers; GCRA
/// only compares instants, so a common clock is what exactness needs.
pub fn now() -> Result<u64, Status> {
    let mut t = 0u64;
    // SAFETY: out-pointer to a live u64.
    status(unsafe { abi::proxy_get_current_time_nanoseconds(&mut t) })?;
    Ok(t)
}

pub fn plugin_configuration(size: usize) -> Result<Vec<u8>, Status> {
    let mut data = core::ptr::null_mut();
    let mut len = 0usize;
    // SAFETY: out-pointers to live locals; the host allocates the buffer.
    unsafe {
        status(abi::proxy_get_buffer_bytes(BUFFER_PLUGIN_CONFIGURATION, 0, size, &mut data, &mut len))?;
        Ok(owned(data, len))
    }
}

pub fn header(map: u32, name: &str) -> Option<Vec<u8>> {
    let mut data = core::ptr::null_mut();
    let mut len = 0usize;
    // SAFETY: as above.
    unsafe {
        let code = abi::proxy_get_header_map_value(map, name.as_ptr(), name.len(), &mut data, &mut len);
        let value = owned(data, len);
        (code == 0).then_some(value)
    }
}

pub fn add_header(map: u32, name: &str, value: &str) {
    // SAFETY: pointers and lengths of live strs.
    unsafe {
        abi::proxy_add_header_map_value(map, name.as_ptr(), name.len(), value.as_ptr(), value.len());
    }
}

/// Sets a header, replacing any value it had.
pub fn replace_header(map: u32, name: &str, value: &str) {
    replace_header_bytes(map, name, value.as_bytes());
}

pub fn replace_header_bytes(map: u32, name: &str, value: &[u8]) {
    // SAFETY: pointers and lengths of live slices.
    unsafe {
        abi::proxy_replace_header_map_value(map, name.as_ptr(), name.len(), value.as_ptr(), value.len());
    }
}

/// A property by path, e.g. `["source", "address"]`.
pub fn property(path: &[&str]) -> Option<Vec<u8>> {
    let mut encoded = Vec::new();
    for part in path {
        encoded.extend_from_slice(part.as_bytes());
        encoded.push(0);
    }
    let mut data = core::ptr::null_mut();
    let mut len = 0usize;
    // SAFETY: as above.
    unsafe {
        let code = abi::proxy_get_property(encoded.as_ptr(), encoded.len(), &mut data, &mut len);
        let value = owned(data, len);
        (code == 0).then_some(value)
    }
}

/// A shared-data value and its CAS token.
pub fn shared_get(key: &str) -> Result<(Vec<u8>, u32), Status> {
    let mut data = core::ptr::null_mut();
    let mut len = 0usize;
    let mut cas = 0u32;
    // SAFETY: as above.
    unsafe {
        let code = abi::proxy_get_shared_data(key.as_ptr(), key.len(), &mut data, &mut len, &mut cas);
        let value = owned(data, len);
        status(code)?;
        Ok((value, cas))
    }
}

/// Writes `value` if the key's CAS token is still `cas` (0: unconditionally).
pub fn shared_set(key: &str, value: &[u8], cas: u32) -> Result<(), Status> {
    // SAFETY: pointers and lengths of live slices.
    status(unsafe { abi::proxy_set_shared_data(key.as_ptr(), key.len(), value.as_ptr(), value.len(), cas) })
}

/// Serialises headers in the proxy-wasm map layout: count, (key len, value
/// len) pairs, then each key and value followed by a NUL.
pub fn encode_map(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(pairs.len() as u32).to_le_bytes());
    for (k, v) in pairs {
        out.extend_from_slice(&(k.len() as u32).to_le_bytes());
        out.extend_from_slice(&(v.len() as u32).to_le_bytes());
    }
    for (k, v) in pairs {
        out.extend_from_slice(k.as_bytes());
        out.push(0);
        out.extend_from_slice(v.as_bytes());
        out.push(0);
    }
    out
}

pub fn send_local_response(
    status_code: u32,
    details: &str,
    body: &[u8],
    headers: &[(&str, &str)],
) -> Result<(), Status> {
    let map = encode_map(headers);
    // SAFETY: pointers and lengths of live buffers.
    status(unsafe {
        abi::proxy_send_local_response(
            status_code,
            details.as_ptr(),
            details.len(),
            body.as_ptr(),
            body.len(),
            map.as_ptr(),
            map.len(),
            -1,
        )
    })
}

pub fn define_counter(name: &str) -> Option<u32> {
    let mut id = 0u32;
    // SAFETY: as above.
    let code = unsafe { abi::proxy_define_metric(METRIC_COUNTER, name.as_ptr(), name.len(), &mut id) };
    (code == 0).then_some(id)
}

pub fn define_gauge(name: &str) -> Option<u32> {
    let mut id = 0u32;
    // SAFETY: as in `define_counter`.
    let code = unsafe { abi::proxy_define_metric(METRIC_GAUGE, name.as_ptr(), name.len(), &mut id) };
    (code == 0).then_some(id)
}

pub fn set_gauge(metric: Option<u32>, value: u64) {
    if let Some(id) = metric {
        // SAFETY: no pointers.
        unsafe {
            abi::proxy_record_metric(id, value);
        }
    }
}

pub fn increment(metric: Option<u32>, by: i64) {
    if let Some(id) = metric {
        // SAFETY: no pointers.
        unsafe {
            abi::proxy_increment_metric(id, by);
        }
    }
}

pub fn set_tick_period_ms(ms: u32) {
    // SAFETY: no pointers.
    unsafe {
        abi::proxy_set_tick_period_milliseconds(ms);
    }
}
