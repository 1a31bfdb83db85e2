//! Raw napi callbacks for the calls on the hot path: no argument
//! conversion, no return value, no `this`; inputs and answers go through
//! the thread's scratch buffer. Each one catches panics so none can unwind
//! into Node (there are none by design; this is the last line).

use napi::sys;

use crate::scratch::Scratch;

/// A callback as Node calls it.
pub type Callback = unsafe extern "C" fn(sys::napi_env, sys::napi_callback_info) -> sys::napi_value;

/// Defines `$name` as a napi callback running `$body(scratch)`.
#[macro_export]
macro_rules! fast {
    ($name:ident, $body:expr) => {
        unsafe extern "C" fn $name(
            _env: napi::sys::napi_env,
            _info: napi::sys::napi_callback_info,
        ) -> napi::sys::napi_value {
            $crate::fast::run($body);
            std::ptr::null_mut()
        }
    };
}

/// Defines `$name` as a napi callback that reads its arguments with
/// `$read(env, info)` into `$arg`, then runs the safe `$body` over the
/// scratch `$s`. `$read` is an unsafe reader whose one requirement is that
/// env and info are the running callback's (as [`text_arg`] and
/// `keys::seed_arg`).
#[macro_export]
macro_rules! fast_arg {
    ($name:ident, $read:path, |$s:ident, $arg:ident| $body:expr) => {
        unsafe extern "C" fn $name(
            env: napi::sys::napi_env,
            info: napi::sys::napi_callback_info,
        ) -> napi::sys::napi_value {
            // SAFETY: napi calls this entry point on the JS thread with a live env and callback info, all a
            // reader of the running callback's arguments asks for; the body gets only what it read.
            let $arg = unsafe { $read(env, info) };
            $crate::fast::run(|$s: $crate::scratch::Scratch| $body);
            std::ptr::null_mut()
        }
    };
}

#[inline]
pub fn run(body: impl FnOnce(Scratch)) {
    if let Some(s) = Scratch::current() {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(s)));
    }
}

/// The first argument of a call, if any.
///
/// # Safety
/// `env` and `info` must be the ones Node passed to the running callback.
pub unsafe fn first_arg(env: sys::napi_env, info: sys::napi_callback_info) -> Option<sys::napi_value> {
    // SAFETY: the caller's contract (see # Safety): env and the values are live handles of the current napi callback.
    unsafe {
        let mut argc = 1usize;
        let mut argv = [std::ptr::null_mut(); 1];
        let ok =
            sys::napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), std::ptr::null_mut(), std::ptr::null_mut());
        (ok == sys::Status::napi_ok && argc >= 1).then_some(argv[0])
    }
}

/// Runs `f` over the UTF-8 bytes of a JS string; `None` if it is not one.
/// Strings that fit a stack buffer are read without allocating.
///
/// # Safety
/// As [`first_arg`]; `value` belongs to `env`.
pub unsafe fn with_utf8<R>(env: sys::napi_env, value: sys::napi_value, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
    // SAFETY: the caller's contract (see # Safety): env and the values are live handles of the current napi callback.
    unsafe {
        let mut stack = [0u8; 256];
        let mut len = 0usize;
        let ok = sys::napi_get_value_string_utf8(env, value, stack.as_mut_ptr().cast(), stack.len(), &mut len);
        if ok != sys::Status::napi_ok {
            return None;
        }
        // napi leaves room for a NUL, so a full buffer may have been cut short.
        if len + 1 < stack.len() {
            return stack.get(..len).map(f);
        }
        let mut total = 0usize;
        if sys::napi_get_value_string_utf8(env, value, std::ptr::null_mut(), 0, &mut total) != sys::Status::napi_ok {
            return None;
        }
        let mut heap = vec![0u8; total + 1];
        if sys::napi_get_value_string_utf8(env, value, heap.as_mut_ptr().cast(), heap.len(), &mut len)
            != sys::Status::napi_ok
        {
            return None;
        }
        heap.get(..len).map(f)
    }
}

/// The hash `keys` gives a JS string value; `None` if it is not a string.
///
/// # Safety
/// As [`with_utf8`].
pub unsafe fn hash_string(env: sys::napi_env, value: sys::napi_value, keys: &weir_host::KeyHasher) -> Option<u64> {
    // SAFETY: the caller's contract (see # Safety): env and the values are live handles of the current napi callback.
    unsafe { with_utf8(env, value, |bytes| keys.hash(bytes)) }
}

/// The UTF-8 bytes of a JS string value.
///
/// # Safety
/// As [`with_utf8`].
pub unsafe fn string_bytes(env: sys::napi_env, value: sys::napi_value) -> Option<Vec<u8>> {
    // SAFETY: the caller's contract (see # Safety): env and the values are live handles of the current napi callback.
    unsafe { with_utf8(env, value, <[u8]>::to_vec) }
}

/// The UTF-8 bytes of the first argument; `None` if it is missing or not a
/// string.
///
/// # Safety
/// As [`first_arg`].
pub unsafe fn text_arg(env: sys::napi_env, info: sys::napi_callback_info) -> Option<Vec<u8>> {
    // SAFETY: the caller's contract (see # Safety): env and info are the running callback's.
    unsafe { first_arg(env, info).and_then(|v| string_bytes(env, v)) }
}

/// Registers `fns` on `exports`.
///
/// # Safety
/// `env` and `exports` come from module initialisation.
pub unsafe fn register(env: sys::napi_env, exports: sys::napi_value, fns: &[(&str, Callback)]) -> bool {
    // SAFETY: the caller's contract (see # Safety): env and exports are live handles of the module's registration.
    unsafe {
        for (name, cb) in fns {
            let mut f = std::ptr::null_mut();
            if sys::napi_create_function(
                env,
                name.as_ptr().cast(),
                name.len() as isize,
                Some(*cb),
                std::ptr::null_mut(),
                &mut f,
            ) != sys::Status::napi_ok
            {
                return false;
            }
            let Ok(cname) = std::ffi::CString::new(*name) else { return false };
            if sys::napi_set_named_property(env, exports, cname.as_ptr(), f) != sys::Status::napi_ok {
                return false;
            }
        }
        true
    }
}
