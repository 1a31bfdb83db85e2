//! The fleet limiter's C ABI from Rust. Config refusals happen before any
//! thread or socket exists, so they also run under Miri; the Redis-down test
//! opens sockets, which Miri cannot emulate, so it runs natively only (the C
//! and Go suites cover a live Redis).

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ffi::{c_char, CStr};
use std::ptr::{null, null_mut};
use weir::*;

fn text(p: *const c_char) -> String {
    // SAFETY: every string the ABI returns is static or thread-local and
    // NUL-terminated.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

fn config(url: &CStr, key: &CStr, limit: u64) -> weir_fleet_config {
    let mut c = std::mem::MaybeUninit::<weir_fleet_config>::uninit();
    // SAFETY: a writable config; written on OK, which is asserted.
    assert_eq!(unsafe { weir_fleet_config_default(c.as_mut_ptr()) }, weir_status::Ok);
    // SAFETY: initialised by the call above.
    let mut c = unsafe { c.assume_init() };
    c.redis_url = url.as_ptr();
    c.key = key.as_ptr();
    c.limit = limit;
    c
}

/// Refused before anything starts; the last error names the field.
fn refused(c: &weir_fleet_config, field: &str) {
    let mut l: *mut weir_fleet_limiter = null_mut();
    // SAFETY: valid config (strings NULL or NUL-terminated) and out-pointer.
    assert_eq!(unsafe { weir_fleet_limiter_new(c, &mut l) }, weir_status::InvalidConfig, "{field}");
    assert!(l.is_null(), "out untouched on failure");
    assert_eq!(text(weir_last_error_field()), field);
}

#[test]
fn bad_configs_name_their_field() {
    let url = c"redis://127.0.0.1:1";
    let good = config(url, c"k", 100);
    refused(&config(url, c"k", 0), "limit");
    refused(&weir_fleet_config { redis_url: null(), ..good }, "redis_url");
    refused(&weir_fleet_config { key: null(), ..good }, "key");
    refused(&config(url, c"", 100), "key");
    refused(&weir_fleet_config { period_ns: 0, ..good }, "period");
    refused(&weir_fleet_config { nodes: 0, ..good }, "nodes");
    refused(&weir_fleet_config { nodes: 101, ..good }, "nodes");
    refused(&weir_fleet_config { redis_timeout_ns: 0, ..good }, "redis_timeout");
    refused(&weir_fleet_config { retry_interval_ns: 0, ..good }, "retry_interval");
    refused(&weir_fleet_config { max_batch: u64::MAX, ..good }, "max_batch");
    let invalid_utf8 = [0xffu8, 0];
    refused(&weir_fleet_config { key: invalid_utf8.as_ptr().cast(), ..good }, "key");
    assert_eq!(text(weir_last_error_rule()), "non-empty UTF-8, not NULL");
    let mut l: *mut weir_fleet_limiter = null_mut();
    let mut d = weir_decision::default();
    let mut s = weir_fleet_stats::default();
    let mut bound = 0.0;
    // SAFETY: NULLs are the point: they must be refused, not dereferenced.
    unsafe {
        assert_eq!(weir_fleet_limiter_new(null(), &mut l), weir_status::NullArgument);
        assert_eq!(weir_fleet_limiter_new(&good, null_mut()), weir_status::NullArgument);
        assert_eq!(weir_fleet_config_default(null_mut()), weir_status::NullArgument);
        assert_eq!(weir_fleet_limiter_acquire(null(), 1, &mut d), weir_status::NullArgument);
        assert_eq!(weir_fleet_limiter_stats(null(), &mut s), weir_status::NullArgument);
        assert_eq!(weir_fleet_limiter_bound(null(), &mut bound, null_mut()), weir_status::NullArgument);
        weir_fleet_limiter_free(&mut l);
        weir_fleet_limiter_free(null_mut());
    }
}

#[test]
#[cfg(not(miri))]
fn redis_down_serves_only_the_local_share() {
    // Port 1 on loopback: nothing listens there, connections are refused.
    let c = weir_fleet_config { nodes: 2, ..config(c"redis://127.0.0.1:1", c"weir-ffi-down", 200) };
    let mut l: *mut weir_fleet_limiter = null_mut();
    let mut d = weir_decision::default();
    let mut s = weir_fleet_stats::default();
    // SAFETY: valid pointers; the handle is freed once, at the end.
    unsafe {
        assert_eq!(weir_fleet_limiter_new(&c, &mut l), weir_status::Ok, "Redis down is not an error");
        // Demand makes the refill thread ask Redis; the refusal switches
        // the node to its share; whatever was admitted was on that share.
        let started = std::time::Instant::now();
        while s.in_fallback == 0 && started.elapsed().as_secs() < 2 {
            assert_eq!(weir_fleet_limiter_acquire(l, 1, &mut d), weir_status::Ok);
            assert_eq!(weir_fleet_limiter_stats(l, &mut s), weir_status::Ok);
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert_eq!(s.in_fallback, 1, "falls back once Redis refuses");
        assert_eq!(s.admitted, s.fallback_admitted);
        // The share is 200 / 2 = 100/s with a burst of 1: over 300 ms at
        // most ~31 pass, however hard we ask.
        let from = std::time::Instant::now();
        let mut admitted = 0;
        while from.elapsed().as_millis() < 300 {
            assert_eq!(weir_fleet_limiter_acquire(l, 1, &mut d), weir_status::Ok);
            admitted += d.admitted;
        }
        let window = from.elapsed().as_secs_f64();
        assert!(admitted >= 10, "the share serves: {admitted}");
        assert!(f64::from(admitted) <= 100.0 * window + 2.0, "never fails open: {admitted} in {window:.3} s");
        assert_eq!(weir_fleet_limiter_stats(l, &mut s), weir_status::Ok);
        assert_eq!(s.leases, 0);
        assert!(s.fallback_admitted >= u64::from(admitted));
        let (mut bound, mut max_batch) = (0.0, 0);
        assert_eq!(weir_fleet_limiter_bound(l, &mut bound, &mut max_batch), weir_status::Ok);
        assert!(bound > 0.0 && max_batch == 10, "bound {bound}, max_batch {max_batch}");
        assert_eq!(weir_fleet_limiter_acquire(l, max_batch + 1, &mut d), weir_status::Ok);
        assert_eq!(d.reason, weir_reason::CostExceedsBurst as u32);
        weir_fleet_limiter_free(&mut l);
        assert!(l.is_null());
        weir_fleet_limiter_free(&mut l);
    }
}
