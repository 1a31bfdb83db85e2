//! Status codes, the thread-local last error, and the guard every entry
//! point runs its body in so that no panic unwinds into C.

use std::cell::RefCell;
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The outcome of every fallible call. `WEIR_STATUS_OK` is 0; the other
/// values never change meaning between releases.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum weir_status {
    /// Success: out-pointers were written.
    Ok = 0,
    /// A required pointer argument was NULL.
    NullArgument = 1,
    /// A `_new` function refused its config; `weir_last_error_field()` and
    /// `weir_last_error_rule()` say which field broke which rule.
    InvalidConfig = 2,
    /// A panic was caught at the boundary (a bug in weir; please report it).
    Panic = 3,
    /// An argument other than a config was out of range (an unknown enum
    /// code, a length that does not fit); the last error says which.
    InvalidArgument = 4,
    /// The allocation a `_new` function needs could not be made.
    OutOfMemory = 5,
    /// A fixed-size table has no room (e.g. every picker slot is taken).
    Full = 6,
    /// The handle-relative thing named does not exist now: an empty slot, a
    /// stale ticket, a repeated finish.
    NotFound = 7,
    /// A header value could not be parsed; the last error names why
    /// (`invalid_digit`, `invalid_unit`, ...).
    InvalidHeader = 8,
    /// The caller's buffer is too small for the output.
    BufferTooSmall = 9,
    /// No value is available yet (e.g. the first CPU sample).
    Unavailable = 10,
}

impl weir_status {
    /// The stable name of a status.
    pub const fn as_str(self) -> &'static CStr {
        match self {
            weir_status::Ok => c"ok",
            weir_status::NullArgument => c"null_argument",
            weir_status::InvalidConfig => c"invalid_config",
            weir_status::Panic => c"panic",
            weir_status::InvalidArgument => c"invalid_argument",
            weir_status::OutOfMemory => c"out_of_memory",
            weir_status::Full => c"full",
            weir_status::NotFound => c"not_found",
            weir_status::InvalidHeader => c"invalid_header",
            weir_status::BufferTooSmall => c"buffer_too_small",
            weir_status::Unavailable => c"unavailable",
        }
    }

    const ALL: [weir_status; 11] = [
        weir_status::Ok,
        weir_status::NullArgument,
        weir_status::InvalidConfig,
        weir_status::Panic,
        weir_status::InvalidArgument,
        weir_status::OutOfMemory,
        weir_status::Full,
        weir_status::NotFound,
        weir_status::InvalidHeader,
        weir_status::BufferTooSmall,
        weir_status::Unavailable,
    ];

    /// The status with numeric value `code`, if any.
    pub fn from_code(code: u32) -> Option<weir_status> {
        Self::ALL.iter().copied().find(|s| *s as u32 == code)
    }
}

/// The name of status `code` (`"ok"`, `"invalid_config"`, ...), or
/// `"unknown"`. Never NULL; the string is static.
#[no_mangle]
pub extern "C" fn weir_status_str(code: u32) -> *const c_char {
    weir_status::from_code(code).map_or(c"unknown", weir_status::as_str).as_ptr()
}

/// What the last failing call on this thread said, as C strings.
struct LastError {
    message: CString,
    field: CString,
    rule: CString,
}

thread_local! {
    static LAST: RefCell<LastError> = RefCell::new(LastError { message: CString::default(), field: CString::default(), rule: CString::default() });
}

fn c_string(s: &str) -> CString {
    // Messages are ours and never hold NUL; if one ever did, an empty string
    // is a better answer than a panic.
    CString::new(s).unwrap_or_default()
}

/// Records `message` (and the config field and rule, empty when the error is
/// not about a config) as this thread's last error.
pub(crate) fn set_last_error(message: &str, field: &str, rule: &str) {
    let _ = LAST.try_with(|last| {
        if let Ok(mut last) = last.try_borrow_mut() {
            *last = LastError { message: c_string(message), field: c_string(field), rule: c_string(rule) };
        }
    });
}

/// Records a refused config and returns the status that says so.
pub(crate) fn config_error(e: weir_core::ConfigError) -> weir_status {
    set_last_error(&e.to_string(), e.field(), e.rule());
    weir_status::InvalidConfig
}

/// Records a refused unit conversion and returns the status that says so.
pub(crate) fn unit_error(e: weir_host::units::UnitError) -> weir_status {
    set_last_error(&e.to_string(), e.field, e.rule);
    weir_status::InvalidConfig
}

/// Records a bad argument and returns the status that says so.
pub(crate) fn invalid_argument(message: &str) -> weir_status {
    set_last_error(message, "", "");
    weir_status::InvalidArgument
}

fn last_ptr(pick: fn(&LastError) -> *const c_char) -> *const c_char {
    LAST.try_with(|last| last.try_borrow().map(|l| pick(&l)).unwrap_or(c"".as_ptr())).unwrap_or(c"".as_ptr())
}

/// The message of the last error on this thread, e.g. `"burst must be >= 1,
/// got 0"`; `""` if none. The pointer stays valid until the next failing
/// call on this thread. Never NULL.
#[no_mangle]
pub extern "C" fn weir_last_error_message() -> *const c_char {
    last_ptr(|l| l.message.as_ptr())
}

/// The config field the last `InvalidConfig` on this thread named
/// (`"burst"`); `""` if none. Valid as `weir_last_error_message`.
#[no_mangle]
pub extern "C" fn weir_last_error_field() -> *const c_char {
    last_ptr(|l| l.field.as_ptr())
}

/// The rule that field broke, phrased to follow "must be" (`">= 1"`);
/// `""` if none. Valid as `weir_last_error_message`.
#[no_mangle]
pub extern "C" fn weir_last_error_rule() -> *const c_char {
    last_ptr(|l| l.rule.as_ptr())
}

/// Runs an entry point's body; a panic becomes `weir_status::Panic` (with its
/// message as the last error) instead of unwinding into C, which is UB.
#[inline(always)]
pub(crate) fn guard(body: impl FnOnce() -> weir_status) -> weir_status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(status) => status,
        Err(payload) => {
            let text = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("panic");
            set_last_error(text, "", "");
            weir_status::Panic
        }
    }
}

/// Like [`guard`] for the few entry points that return a value, not a
/// status (`weir_now`, `weir_hash_key`): a panic yields `fallback`.
#[inline(always)]
pub(crate) fn guard_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}
