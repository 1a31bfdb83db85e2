//! The frame every hook runs in: a panic inside weir never unwinds into
//! Envoy (undefined behaviour across `extern "C"`, an abort since Rust 1.81).
//! It is caught at the hook, logged with the hook's name, and the hook
//! answers the value its declaration names for that case, which lets the
//! request go on (fail open) rather than take the proxy down.
//!
//! Every `#[no_mangle]` function of `exports` is declared through [`hook!`],
//! so no entry point can be written without the frame.

/// Declares an exported hook whose body runs inside `catch_unwind`.
///
/// ```ignore
/// hook! {
///     /// docs
///     fn envoy_dynamic_module_on_x(a: A, b: B) -> R, on_panic: FALLBACK, { body }
/// }
/// ```
macro_rules! hook {
    ($(#[$meta:meta])* fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty, on_panic: $fallback:expr, $body:block) => {
        $(#[$meta])*
        #[no_mangle]
        pub extern "C" fn $name($($arg: $ty),*) -> $ret {
            match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(move || -> $ret { $body })) {
                Ok(answer) => answer,
                Err(payload) => {
                    $crate::frame::report(stringify!($name), payload.as_ref());
                    $fallback
                }
            }
        }
    };
    ($(#[$meta:meta])* fn $name:ident($($arg:ident: $ty:ty),* $(,)?), $body:block) => {
        hook! { $(#[$meta])* fn $name($($arg: $ty),*) -> (), on_panic: (), $body }
    };
}
pub(crate) use hook;

/// Logs a caught panic. Runs outside the hook's body, so a panic while
/// formatting the message cannot escape either: it is caught and dropped.
pub fn report(hook: &str, payload: &(dyn std::any::Any + Send)) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let what = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("a panic without a message");
        crate::envoy::log(crate::abi::LogLevel::Error, &format!("weir: {hook} panicked and was contained: {what}"));
    }));
}
