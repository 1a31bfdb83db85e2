//! `Deadline`: the timeout to hand a callee, and the header codecs.

use weir_core::deadline::{
    format_grpc_timeout, format_millis, parse_grpc_timeout, parse_millis, Deadline, DeadlineConfig, HeaderError,
};

use crate::errors;
use crate::fast;
use crate::fast::{first_arg, string_bytes, Callback};
use crate::scratch::{status, Scratch};

fn config(s: Scratch) -> DeadlineConfig {
    DeadlineConfig { timeout_ns: s.u(2), margin_ns: s.u(3) }
}

// In: timeout_ns 2, margin_ns 3 (u64). Out: slot 1 a status.
fast!(deadline_check, |s: Scratch| match Deadline::new(config(s)) {
    Ok(_) => s.set_f(1, status::OK),
    Err(e) => {
        errors::set(&e);
        s.set_f(1, status::CONFIG);
    }
});

// In: [now] 1, timeout_ns 2, margin_ns 3 (u64), has deadline 4, deadline 5.
// Out: slot 1 reason code (or a config status 255), 2 the callee's timeout.
fast!(deadline_budget, |s: Scratch| match Deadline::new(config(s)) {
    Ok(d) => {
        let deadline = (s.f(4) != 0.0).then(|| s.int(5));
        match d.budget(s.now(1), deadline) {
            Ok(t) => {
                s.set_f(1, 0.0);
                s.out(2, t);
            }
            Err(r) => {
                s.set_f(1, r as u8 as f64);
                s.out(2, 0);
            }
        }
    }
    Err(_) => s.set_f(1, 255.0),
});

fn parsed(s: Scratch, got: Option<Result<u64, HeaderError>>) {
    match got {
        Some(Ok(ns)) => {
            s.set_f(1, 0.0);
            s.out(2, ns);
        }
        Some(Err(e)) => s.set_f(1, e as u8 as f64),
        None => s.bad_handle(),
    }
}

unsafe extern "C" fn grpc_timeout_parse(
    env: napi::sys::napi_env,
    info: napi::sys::napi_callback_info,
) -> napi::sys::napi_value {
    // SAFETY: napi calls this entry point on the JS thread with a live env and callback info, the only handles the body passes on.
    unsafe {
        let value = first_arg(env, info).and_then(|v| string_bytes(env, v));
        fast::run(|s: Scratch| parsed(s, value.as_deref().map(parse_grpc_timeout)));
        std::ptr::null_mut()
    }
}

unsafe extern "C" fn millis_parse(
    env: napi::sys::napi_env,
    info: napi::sys::napi_callback_info,
) -> napi::sys::napi_value {
    // SAFETY: napi calls this entry point on the JS thread with a live env and callback info, the only handles the body passes on.
    unsafe {
        let value = first_arg(env, info).and_then(|v| string_bytes(env, v));
        fast::run(|s: Scratch| parsed(s, value.as_deref().map(parse_millis)));
        std::ptr::null_mut()
    }
}

/// Writes a formatted header into the scratch bytes from slot 3 on. In: ns
/// 2 (u64), buffer length 8 (at most 64). Out: slot 1 0 or a HeaderError
/// code, slot 9 the length.
fn formatted(s: Scratch, format: fn(u64, &mut [u8]) -> Result<usize, HeaderError>) {
    let mut buf = [0u8; 40];
    let want = (s.f(8).max(0.0) as usize).min(buf.len());
    match buf.get_mut(..want).map(|b| format(s.u(2), b)) {
        Some(Ok(len)) => {
            for (i, chunk) in buf.chunks(8).enumerate() {
                let mut word = [0u8; 8];
                if let Some(w) = word.get_mut(..chunk.len()) {
                    w.copy_from_slice(chunk);
                }
                s.set_u(3 + i, u64::from_le_bytes(word));
            }
            s.set_f(1, 0.0);
            s.set_f(9, len as f64);
        }
        Some(Err(e)) => s.set_f(1, e as u8 as f64),
        None => s.bad_handle(),
    }
}

fast!(grpc_timeout_format, |s: Scratch| formatted(s, format_grpc_timeout));
fast!(millis_format, |s: Scratch| formatted(s, format_millis));

pub const FNS: &[(&str, Callback)] = &[
    ("deadlineCheck", deadline_check),
    ("deadlineBudget", deadline_budget),
    ("grpcTimeoutParse", grpc_timeout_parse),
    ("millisParse", millis_parse),
    ("grpcTimeoutFormat", grpc_timeout_format),
    ("millisFormat", millis_format),
];
