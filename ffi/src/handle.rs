//! The few unsafe moves every entry point makes, in one place: reading a
//! handle, writing an out-pointer, handing a box to C and taking it back.

use crate::status::weir_status;

/// The handle behind `ptr`, or `None` for NULL.
///
/// # Safety
/// `ptr` is NULL or was returned by the matching `_new` and not freed yet.
#[inline(always)]
pub(crate) unsafe fn get<'a, T>(ptr: *const T) -> Option<&'a T> {
    // SAFETY: the caller promises a live handle or NULL; `as_ref` maps NULL
    // to None, and every handle type is Sync so shared use is fine.
    unsafe { ptr.as_ref() }
}

/// Writes `value` through `out`. The caller has checked `out` for NULL.
///
/// # Safety
/// `out` is non-NULL, aligned and writable for one `T`; it may point to
/// uninitialised memory, which is why this writes rather than assigns.
#[inline(always)]
pub(crate) unsafe fn put<T>(out: *mut T, value: T) {
    // SAFETY: forwarded from the caller's promise.
    unsafe { out.write(value) }
}

/// Moves `value` to the heap and writes the handle to `out`.
///
/// # Safety
/// `out` is NULL or aligned and writable for one pointer.
pub(crate) unsafe fn publish<T>(out: *mut *mut T, value: T) -> weir_status {
    if out.is_null() {
        return weir_status::NullArgument;
    }
    // SAFETY: `out` is not NULL and the caller promises it is writable.
    unsafe { put(out, Box::into_raw(Box::new(value))) };
    weir_status::Ok
}

/// Frees the handle `*slot` points to and sets `*slot` to NULL, so a second
/// free of the same variable is a no-op. NULL `slot` or `*slot` do nothing.
///
/// # Safety
/// `slot` is NULL or points to NULL or to a handle from the matching `_new`
/// that no other thread is using or freeing.
pub(crate) unsafe fn free<T>(slot: *mut *mut T) {
    if slot.is_null() {
        return;
    }
    // SAFETY: `slot` is non-NULL and the caller promises it is valid.
    let ptr = unsafe { slot.replace(std::ptr::null_mut()) };
    if !ptr.is_null() {
        // SAFETY: `ptr` came from `Box::into_raw` in `publish` and, being
        // swapped out of the caller's variable, is dropped exactly once.
        drop(unsafe { Box::from_raw(ptr) });
    }
}

/// The bytes `(ptr, len)` name; an empty slice for `len == 0` (then `ptr`
/// may be NULL), `None` for a NULL `ptr` with a non-zero `len`.
///
/// # Safety
/// When `len > 0`, `ptr` points to `len` readable bytes that stay unchanged
/// during the call.
#[inline(always)]
pub(crate) unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> Option<&'a [u8]> {
    if len == 0 {
        return Some(&[]);
    }
    if ptr.is_null() || len > isize::MAX as usize {
        return None;
    }
    // SAFETY: non-NULL, length checked against isize::MAX, readable per the
    // caller's promise.
    Some(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// The handle behind a pointer argument, or an early
/// `return WEIR_STATUS_NULL_ARGUMENT` from the entry point.
macro_rules! live {
    ($ptr:expr) => {{
        // SAFETY: every entry point's contract makes each handle argument
        // NULL or a live handle of its type.
        match unsafe { $crate::handle::get($ptr) } {
            Some(handle) => handle,
            None => return $crate::status::weir_status::NullArgument,
        }
    }};
}

/// Returns `WEIR_STATUS_NULL_ARGUMENT` from the entry point if any of the
/// pointers is NULL: checked before anything is written, so out-pointers
/// are written only on success.
macro_rules! need {
    ($($ptr:expr),+ $(,)?) => {
        if false $(|| $ptr.is_null())+ {
            return $crate::status::weir_status::NullArgument;
        }
    };
}

/// Writes an out-pointer already checked by `need!`.
macro_rules! out {
    ($ptr:expr, $value:expr) => {{
        let value = $value;
        // SAFETY: `need!` checked the pointer for NULL and every entry
        // point's contract makes out-pointers aligned and writable.
        unsafe { $crate::handle::put($ptr, value) }
    }};
}

/// What an entry point's body may evaluate to: a status as is, or `()` for
/// a body that cannot fail once its pointers are checked.
pub(crate) trait Status {
    fn status(self) -> weir_status;
}

impl Status for weir_status {
    #[inline(always)]
    fn status(self) -> weir_status {
        self
    }
}

impl Status for () {
    #[inline(always)]
    fn status(self) -> weir_status {
        weir_status::Ok
    }
}

/// The time a `_now` entry point decides at: the clock weir-host chose for
/// the state behind a handle of type `H`, read inside the call.
#[inline(always)]
pub(crate) fn now_of<H: weir_host::Clocked>() -> u64 {
    H::CLOCK.now()
}

/// The frame of an entry point: the body runs under [`guard`], each handle
/// named before `;`/`=>` is rebound to its live reference and each pointer
/// named after `;` is checked, all before anything is written (either one
/// NULL returns `WEIR_STATUS_NULL_ARGUMENT`).
///
/// - `entry!(h => out = value)` also checks `out` and writes `value` to it.
/// - `entry!(h; p => body)` returns `body`'s [`Status`].
/// - Leading `let x = read;` statements run once the pointers are checked:
///   how a `_now` twin reads the clock its sibling takes as `now`.
///
/// [`guard`]: crate::status::guard
macro_rules! entry {
    (@[$($read:tt)*] let $var:ident = $how:expr; $($rest:tt)*) => {
        $crate::handle::entry!(@[$($read)* let $var = $how;] $($rest)*)
    };
    (@[$($read:tt)*] $($handle:ident),* $(; $($ptr:ident),+)? => $out:ident = $value:expr) => {
        $crate::status::guard(|| {
            $(let $handle = $crate::handle::live!($handle);)*
            $crate::handle::need!($out $($(, $ptr)+)?);
            $($read)*
            $crate::handle::out!($out, $value);
            $crate::status::weir_status::Ok
        })
    };
    (@[$($read:tt)*] $($handle:ident),* $(; $($ptr:ident),+)? => $body:expr) => {
        $crate::status::guard(|| {
            $(let $handle = $crate::handle::live!($handle);)*
            $($crate::handle::need!($($ptr),+);)?
            $($read)*
            $crate::handle::Status::status($body)
        })
    };
    ($($frame:tt)*) => {
        $crate::handle::entry!(@[] $($frame)*)
    };
}

/// The body of every `weir_X_free`: [`free`] under the panic guard.
///
/// # Safety
/// As [`free`].
pub(crate) unsafe fn drop_handle<T>(slot: *mut *mut T) {
    let _ = crate::status::guard(|| {
        // SAFETY: forwarded from this function's contract.
        unsafe { free(slot) };
        weir_status::Ok
    });
}

pub(crate) use {entry, live, need, out};
