//! `weir_deadline`: the budget a callee gets (min of the caller's own
//! remaining time and the callee's timeout, less a margin), and the header
//! values that carry deadlines and advised delays.

use crate::handle::{bytes, drop_handle, entry, need, out, publish};
use crate::status::{config_error, guard, set_last_error, weir_status};
use weir_core::backoff::parse_retry_after;
use weir_core::deadline::{
    format_grpc_timeout, format_millis, parse_grpc_timeout, parse_millis, Deadline, DeadlineConfig, HeaderError,
};
use weir_core::Reason;

/// Deadline settings for calls to one callee.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct weir_deadline_config {
    /// The callee's own timeout, ns, >= 1; `UINT64_MAX` for none.
    pub timeout_ns: u64,
    /// Taken off the budget so the caller can still answer; < timeout_ns.
    pub margin_ns: u64,
}

/// The timeout to give a callee.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct weir_deadline_answer {
    /// `WEIR_REASON_ADMITTED`, or `WEIR_REASON_DEADLINE_EXCEEDED` when
    /// nothing is left after the margin.
    pub reason: u32,
    /// The callee's timeout, ns; 0 when exceeded.
    pub timeout_ns: u64,
}

/// A deadline policy (pure: holds only its config). Thread-safe.
pub struct weir_deadline {
    inner: Deadline,
}

/// Makes a deadline policy.
///
/// # Safety
/// `config` is NULL or readable; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_deadline_new(
    config: *const weir_deadline_config,
    out: *mut *mut weir_deadline,
) -> weir_status {
    entry!(config; out => {
        match Deadline::new(DeadlineConfig { timeout_ns: config.timeout_ns, margin_ns: config.margin_ns }) {
            // SAFETY: `out` checked non-NULL; writable per the contract.
            Ok(inner) => unsafe { publish(out, weir_deadline { inner }) },
            Err(e) => config_error(e),
        }
    })
}

/// The timeout to give the callee at `now`. With `has_deadline`, `deadline`
/// is the instant (same clock as `now`) by which the caller must be done.
///
/// # Safety
/// `deadline_policy` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_deadline_budget(
    deadline_policy: *const weir_deadline,
    now: u64,
    has_deadline: bool,
    deadline: u64,
    out: *mut weir_deadline_answer,
) -> weir_status {
    entry!(deadline_policy => out = {
        match deadline_policy.inner.budget(now, has_deadline.then_some(deadline)) {
            Ok(timeout_ns) => weir_deadline_answer { reason: Reason::Admitted as u32, timeout_ns },
            Err(reason) => weir_deadline_answer { reason: reason as u32, timeout_ns: 0 },
        }
    })
}

/// Frees `*deadline_policy` and sets it to NULL; NULL is a no-op.
///
/// # Safety
/// `deadline_policy` is NULL or points to NULL or to a live policy no other
/// thread uses.
#[no_mangle]
pub unsafe extern "C" fn weir_deadline_free(deadline_policy: *mut *mut weir_deadline) {
    // SAFETY: forwarded from this function's contract.
    unsafe { drop_handle(deadline_policy) }
}

fn header_error(e: HeaderError) -> weir_status {
    if e == HeaderError::BufferTooSmall {
        set_last_error(e.as_str(), "", "");
        return weir_status::BufferTooSmall;
    }
    set_last_error(e.as_str(), "", "");
    weir_status::InvalidHeader
}

/// Parses a header value of `len` bytes at `value` with `parse`; on failure
/// the last error message is the reason (`"invalid_unit"`, ...).
///
/// # Safety
/// `value` points to `len` readable bytes (may be NULL when `len` is 0);
/// `ns` is NULL or writable.
unsafe fn parse_into(
    value: *const u8,
    len: usize,
    ns: *mut u64,
    parse: impl FnOnce(&[u8]) -> Result<u64, HeaderError>,
) -> weir_status {
    // SAFETY: forwarded from this function's contract.
    let Some(value) = (unsafe { bytes(value, len) }) else { return weir_status::NullArgument };
    need!(ns);
    match parse(value) {
        Ok(v) => out!(ns, v),
        Err(e) => return header_error(e),
    }
    weir_status::Ok
}

/// Parses a `grpc-timeout` value (1-8 digits and one of `H M S m u n`) into
/// `*ns`. `WEIR_STATUS_INVALID_HEADER` with the reason as the last error.
///
/// # Safety
/// `value` points to `len` readable bytes (may be NULL when `len` is 0);
/// `ns` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_parse_grpc_timeout(value: *const u8, len: usize, ns: *mut u64) -> weir_status {
    // SAFETY: forwarded from this function's contract.
    guard(|| unsafe { parse_into(value, len, ns, parse_grpc_timeout) })
}

/// Parses a plain milliseconds header (`grpc-retry-pushback-ms`) into `*ns`.
/// A sign is refused (a negative pushback means "do not retry").
///
/// # Safety
/// As `weir_parse_grpc_timeout`.
#[no_mangle]
pub unsafe extern "C" fn weir_parse_millis(value: *const u8, len: usize, ns: *mut u64) -> weir_status {
    // SAFETY: forwarded from this function's contract.
    guard(|| unsafe { parse_into(value, len, ns, parse_millis) })
}

/// Parses `Retry-After` (delay-seconds or an IMF-fixdate compared with
/// `now_unix_s`, the wall clock in Unix seconds) into a delay `*ns`.
///
/// # Safety
/// As `weir_parse_grpc_timeout`.
#[no_mangle]
pub unsafe extern "C" fn weir_parse_retry_after(
    value: *const u8,
    len: usize,
    now_unix_s: u64,
    ns: *mut u64,
) -> weir_status {
    // SAFETY: forwarded from this function's contract.
    guard(|| unsafe { parse_into(value, len, ns, |v| parse_retry_after(v, now_unix_s)) })
}

/// Formats with `format` into `buf` (not NUL-terminated); `*written` gets
/// the length.
///
/// # Safety
/// `buf` is NULL or writable for `buf_len` bytes; `written` is NULL or writable.
unsafe fn format_into(
    buf: *mut u8,
    buf_len: usize,
    written: *mut usize,
    format: impl FnOnce(&mut [u8]) -> Result<usize, HeaderError>,
) -> weir_status {
    need!(buf, written);
    if buf_len > isize::MAX as usize {
        return crate::status::invalid_argument("buf_len must be <= PTRDIFF_MAX");
    }
    // Formatted into a local first: `buf` is written only on success.
    let mut local = [0u8; 32];
    let limit = buf_len.min(local.len());
    let Some(scratch) = local.get_mut(..limit) else { return weir_status::Panic };
    match format(scratch) {
        Ok(n) => {
            // SAFETY: `buf` is non-NULL and writable for `buf_len >= n`
            // bytes per the contract; `local` holds `n` bytes and does not
            // overlap it.
            unsafe { std::ptr::copy_nonoverlapping(local.as_ptr(), buf, n) };
            out!(written, n);
            weir_status::Ok
        }
        Err(e) => header_error(e),
    }
}

/// Writes `ns` as a `grpc-timeout` value into `buf` (at most 9 bytes, not
/// NUL-terminated), rounded up to the finest unit that fits 8 digits.
/// `WEIR_STATUS_BUFFER_TOO_SMALL` if `buf_len` is too short.
///
/// # Safety
/// `buf` is NULL or writable for `buf_len` bytes; `written` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_format_grpc_timeout(
    ns: u64,
    buf: *mut u8,
    buf_len: usize,
    written: *mut usize,
) -> weir_status {
    // SAFETY: forwarded from this function's contract.
    guard(|| unsafe { format_into(buf, buf_len, written, |b| format_grpc_timeout(ns, b)) })
}

/// Writes `ns` in whole milliseconds, rounded up, into `buf` (at most 17
/// bytes, not NUL-terminated).
///
/// # Safety
/// As `weir_format_grpc_timeout`.
#[no_mangle]
pub unsafe extern "C" fn weir_format_millis(ns: u64, buf: *mut u8, buf_len: usize, written: *mut usize) -> weir_status {
    // SAFETY: forwarded from this function's contract.
    guard(|| unsafe { format_into(buf, buf_len, written, |b| format_millis(ns, b)) })
}
