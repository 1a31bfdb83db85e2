//! Unit tests of the boundary machinery itself; the API is tested from
//! `tests/abi.rs` (and, from C, by `tests/c`). All of it runs under Miri.

use crate::status::{guard, weir_status};
use std::ffi::CStr;

#[test]
fn a_panic_becomes_a_status_and_a_message() {
    let status = guard(|| panic!("boom"));
    assert_eq!(status, weir_status::Panic);
    // SAFETY: the function returns a NUL-terminated thread-local string.
    let message = unsafe { CStr::from_ptr(crate::weir_last_error_message()) };
    assert_eq!(message.to_str().ok(), Some("boom"));
}

#[test]
fn reason_str_names_every_code() {
    for code in 0..=255u32 {
        // SAFETY: weir_reason_str returns a static NUL-terminated string.
        let name = unsafe { CStr::from_ptr(crate::weir_reason_str(code)) }.to_str().ok();
        let want = u8::try_from(code).ok().and_then(weir_core::Reason::from_code).map_or("unknown", |r| r.as_str());
        assert_eq!(name, Some(want), "code {code}");
    }
}

#[test]
fn reason_codes_match_core() {
    use crate::weir_reason as R;
    let ours = [
        R::Admitted,
        R::RateLimited,
        R::CostExceedsBurst,
        R::TableFull,
        R::ConcurrencyLimited,
        R::CpuOverloaded,
        R::CoolingOff,
        R::QueueFull,
        R::Throttled,
        R::TimeOverflow,
        R::BudgetExhausted,
        R::AttemptsExhausted,
        R::DeadlineTooClose,
        R::DeadlineExceeded,
        R::NoNode,
        R::CircuitOpen,
        R::CircuitHalfOpen,
        R::NotRetryable,
    ];
    for r in ours {
        let core = u8::try_from(r as u32).ok().and_then(weir_core::Reason::from_code);
        assert!(core.is_some(), "{r:?} is not a core reason");
    }
    assert!(weir_core::Reason::from_code(ours.len() as u8).is_none(), "core has a reason the C ABI lacks");
}

#[test]
fn version_macros_match_the_crate() {
    assert_eq!(crate::WEIR_VERSION_MAJOR.to_string(), env!("CARGO_PKG_VERSION_MAJOR"));
    assert_eq!(crate::WEIR_VERSION_MINOR.to_string(), env!("CARGO_PKG_VERSION_MINOR"));
    assert_eq!(crate::WEIR_VERSION_PATCH.to_string(), env!("CARGO_PKG_VERSION_PATCH"));
    // SAFETY: static NUL-terminated string.
    let v = unsafe { CStr::from_ptr(crate::weir_version()) };
    assert_eq!(v.to_str().ok(), Some(env!("CARGO_PKG_VERSION")));
}
