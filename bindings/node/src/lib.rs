//! The native half of the `weir` npm package: weir-core's atomic cells in
//! process-wide tables, reached from JS through argument-free calls over a
//! per-thread scratch buffer (see `scratch`). The idiomatic API — classes,
//! Promises, AbortSignal, errors — is the JS in this package.

mod adaptive_limit;
mod breaker;
mod bulkhead;
mod deadline;
mod errors;
mod events;
mod fast;
mod fleet;
mod hedge;
mod hot_keys;
mod keys;
pub mod layout;
mod lease;
mod lifecycle;
mod limiter;
mod picker;
mod policy;
mod quantile;
mod retry;
mod scratch;
mod shedder;
mod singleflight;
mod table;

use napi::bindgen_prelude::{Env, Object};
use napi::sys;
use napi::JsValue;
use napi_derive::napi;

/// An ArrayBuffer over this thread's scratch words.
unsafe extern "C" fn scratch_buffer(env: sys::napi_env, _info: sys::napi_callback_info) -> sys::napi_value {
    // SAFETY: napi calls this entry point on the JS thread with a live env and callback info, the only handles the body passes on.
    unsafe {
        let words = scratch::buffer();
        let mut value = std::ptr::null_mut();
        let ok = sys::napi_create_external_arraybuffer(
            env,
            words.cast(),
            scratch::SLOTS * 8,
            None,
            std::ptr::null_mut(),
            &mut value,
        );
        if ok == sys::Status::napi_ok {
            value
        } else {
            std::ptr::null_mut()
        }
    }
}

// Out: the monotonic clock in ns.
fast!(clock, |s: scratch::Scratch| {
    let now = weir_host::monotonic_now();
    s.set_u(layout::clock::NS, now);
    s.set_f(layout::clock::NS_F64, now as f64);
});

#[napi(module_exports)]
pub fn init(exports: Object, env: Env) -> napi::Result<()> {
    let (env, exports) = (env.raw(), exports.raw());
    let tables: &[&[(&str, fast::Callback)]] = &[
        adaptive_limit::FNS,
        breaker::FNS,
        fleet::FNS,
        keys::FNS,
        lease::FNS,
        lifecycle::FNS,
        limiter::FNS,
        bulkhead::FNS,
        shedder::FNS,
        picker::FNS,
        policy::FNS,
        retry::FNS,
        singleflight::FNS,
        deadline::FNS,
        events::FNS,
        &[("scratch", scratch_buffer), ("clock", clock)],
    ];
    for fns in tables {
        // SAFETY: env and exports are the ones Node passed to module init.
        if !unsafe { fast::register(env, exports, fns) } {
            return Err(napi::Error::from_reason("weir: could not register native functions"));
        }
    }
    Ok(())
}
