//! `Deadline`: the timeout to hand a callee, and the header codecs.

use weir_core::deadline::{
    format_grpc_timeout, format_millis, parse_grpc_timeout, parse_millis, Deadline, DeadlineConfig, HeaderError,
};

use crate::errors;
use crate::fast;
use crate::fast::Callback;
use crate::fast_arg;
use crate::layout::{call, deadline, header};
use crate::scratch::{status, Scratch};

fn config(s: Scratch) -> DeadlineConfig {
    DeadlineConfig { timeout_ns: s.u(deadline::TIMEOUT), margin_ns: s.u(deadline::MARGIN) }
}

// In: the config. Out: a status.
fast!(deadline_check, |s: Scratch| match Deadline::new(config(s)) {
    Ok(_) => s.status(status::OK),
    Err(e) => {
        errors::set(&e);
        s.status(status::CONFIG);
    }
});

// In: [now], the config, the deadline if there is one. Out: a reason code
// (or 255 for a bad config), the callee's timeout.
fast!(deadline_budget, |s: Scratch| match Deadline::new(config(s)) {
    Ok(d) => {
        let at = (s.f(deadline::HAS_DEADLINE) != 0.0).then(|| s.int(deadline::DEADLINE));
        match d.budget(s.now(call::NOW), at) {
            Ok(t) => {
                s.set_f(deadline::REASON, 0.0);
                s.out(deadline::BUDGET, t);
            }
            Err(r) => {
                s.set_f(deadline::REASON, r as u8 as f64);
                s.out(deadline::BUDGET, 0);
            }
        }
    }
    Err(_) => s.set_f(deadline::REASON, 255.0),
});

pub fn parsed(s: Scratch, got: Option<Result<u64, HeaderError>>) {
    match got {
        Some(Ok(ns)) => {
            s.set_f(header::CODE, 0.0);
            s.out(header::NS, ns);
        }
        Some(Err(e)) => s.set_f(header::CODE, e as u8 as f64),
        None => s.bad_handle(),
    }
}

fast_arg!(grpc_timeout_parse, fast::text_arg, |s, text| parsed(s, text.as_deref().map(parse_grpc_timeout)));

fast_arg!(millis_parse, fast::text_arg, |s, text| parsed(s, text.as_deref().map(parse_millis)));

/// The longest header text: its words end below the capacity's slot.
const TEXT_BYTES: usize = 40;
const _: () = assert!(header::TEXT + TEXT_BYTES / 8 <= header::TEXT_CAPACITY);

/// Writes a formatted header into the scratch bytes from word TEXT on. In:
/// the ns (u64), the buffer length (at most 40). Out: 0 or a HeaderError
/// code, the length.
fn formatted(s: Scratch, format: fn(u64, &mut [u8]) -> Result<usize, HeaderError>) {
    let mut buf = [0u8; TEXT_BYTES];
    let want = (s.f(header::TEXT_CAPACITY).max(0.0) as usize).min(buf.len());
    match buf.get_mut(..want).map(|b| format(s.u(header::NS), b)) {
        Some(Ok(len)) => {
            for (i, chunk) in buf.chunks(8).enumerate() {
                let mut word = [0u8; 8];
                if let Some(w) = word.get_mut(..chunk.len()) {
                    w.copy_from_slice(chunk);
                }
                s.set_u(header::TEXT + i, u64::from_le_bytes(word));
            }
            s.set_f(header::CODE, 0.0);
            s.set_f(header::TEXT_LENGTH, len as f64);
        }
        Some(Err(e)) => s.set_f(header::CODE, e as u8 as f64),
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
