//! The C ABI called as C would call it, run under Miri by the CI suite so
//! that every pointer the boundary touches is checked for UB.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ffi::CStr;
use std::ptr::{null, null_mut};
use weir::*;

fn text(p: *const std::ffi::c_char) -> String {
    // SAFETY: every string the ABI returns is static or thread-local and
    // NUL-terminated.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

#[test]
fn limiter_lifecycle_and_bad_inputs() {
    let cfg = weir_limiter_config { rate: 10, period_ns: 1_000_000_000, burst: 2 };
    let mut l: *mut weir_limiter = null_mut();
    // SAFETY: valid config and out-pointer.
    assert_eq!(unsafe { weir_limiter_new(&cfg, &mut l) }, weir_status::Ok);
    let mut d = weir_decision::default();
    for expected in [1, 0] {
        // SAFETY: live handle, writable out.
        assert_eq!(unsafe { weir_limiter_acquire(l, 0, 1, &mut d) }, weir_status::Ok);
        assert_eq!((d.admitted, d.remaining), (1, expected));
    }
    // SAFETY: as above.
    assert_eq!(unsafe { weir_limiter_acquire(l, 0, 1, &mut d) }, weir_status::Ok);
    assert_eq!((d.reason, d.retry_after_ns), (weir_reason::RateLimited as u32, 100_000_000));
    // SAFETY: NULLs are the point: they must be refused, not dereferenced.
    unsafe {
        assert_eq!(weir_limiter_acquire(null(), 0, 1, &mut d), weir_status::NullArgument);
        assert_eq!(weir_limiter_acquire(l, 0, 1, null_mut()), weir_status::NullArgument);
        assert_eq!(weir_limiter_acquire_now(l, 1, null_mut()), weir_status::NullArgument);
        assert_eq!(weir_limiter_new(null(), &mut l), weir_status::NullArgument);
    }
    // SAFETY: the address of our variable; freeing twice must be a no-op.
    unsafe {
        weir_limiter_free(&mut l);
        assert!(l.is_null());
        weir_limiter_free(&mut l);
        weir_limiter_free(null_mut());
    }
}

#[test]
fn config_errors_name_field_and_rule_per_thread() {
    let bad = weir_limiter_config { rate: 1, period_ns: 1_000_000_000, burst: 0 };
    let mut l: *mut weir_limiter = null_mut();
    // SAFETY: valid pointers.
    assert_eq!(unsafe { weir_limiter_new(&bad, &mut l) }, weir_status::InvalidConfig);
    assert!(l.is_null(), "out is untouched on failure");
    assert_eq!(text(weir_last_error_field()), "burst");
    assert_eq!(text(weir_last_error_rule()), ">= 1");
    assert_eq!(text(weir_last_error_message()), "burst must be >= 1, got 0");
    let other = std::thread::spawn(|| text(weir_last_error_field()));
    assert_eq!(other.join().ok().as_deref(), Some(""));
    assert_eq!(text(weir_status_str(weir_status::InvalidConfig as u32)), "invalid_config");
    assert_eq!(text(weir_status_str(12345)), "unknown");
    assert_eq!(text(weir_reason_str(weir_reason::NoNode as u32)), "no_node");
}

#[test]
fn two_threads_share_one_limiter_exactly() {
    let cfg = weir_limiter_config { rate: 1, period_ns: 1_000_000_000, burst: 20 };
    let mut l: *mut weir_limiter = null_mut();
    // SAFETY: valid pointers.
    assert_eq!(unsafe { weir_limiter_new(&cfg, &mut l) }, weir_status::Ok);
    let shared = l as usize;
    let workers: Vec<_> = (0..2)
        .map(|_| {
            std::thread::spawn(move || {
                let mut admitted = 0;
                for _ in 0..15 {
                    let mut d = weir_decision::default();
                    // SAFETY: the handle outlives the threads (joined below).
                    unsafe { weir_limiter_acquire(shared as *const weir_limiter, 5, 1, &mut d) };
                    admitted += d.admitted;
                }
                admitted
            })
        })
        .collect();
    let total: u32 = workers.into_iter().map(|w| w.join().unwrap_or(0)).sum();
    assert_eq!(total, 20);
    // SAFETY: no thread uses it any more.
    unsafe { weir_limiter_free(&mut l) };
}

#[test]
fn keyed_and_singleflight_take_keys_as_bytes() {
    let cfg = weir_limiter_config { rate: 1, period_ns: 1_000_000_000, burst: 1 };
    let mut k: *mut weir_keyed_limiter = null_mut();
    let mut d = weir_decision::default();
    // SAFETY: valid pointers; the key slices outlive the calls.
    unsafe {
        assert_eq!(weir_keyed_limiter_new(&cfg, 16, null(), &mut k), weir_status::Ok);
        assert_eq!(weir_keyed_limiter_acquire_bytes_now(k, b"a".as_ptr(), 1, 1, &mut d), weir_status::Ok);
        assert_eq!(d.admitted, 1);
        assert_eq!(weir_keyed_limiter_acquire_bytes_now(k, b"a".as_ptr(), 1, 1, &mut d), weir_status::Ok);
        assert_eq!(d.admitted, 0);
        assert_eq!(weir_keyed_limiter_acquire_bytes_now(k, null(), 1, 1, &mut d), weir_status::NullArgument);
        assert_eq!(weir_keyed_limiter_new(&cfg, 9, null(), &mut k), weir_status::InvalidConfig);
        weir_keyed_limiter_free(&mut k);

        let mut t: *mut weir_singleflight = null_mut();
        assert_eq!(weir_singleflight_new(4, null(), &mut t), weir_status::Ok);
        let mut lead = weir_flight::default();
        let mut follow = weir_flight::default();
        assert_eq!(weir_singleflight_begin_bytes(t, b"k".as_ptr(), 1, &mut lead), weir_status::Ok);
        assert_eq!(weir_singleflight_begin_bytes(t, b"k".as_ptr(), 1, &mut follow), weir_status::Ok);
        assert_eq!((lead.role, follow.role), (weir_flight_role::Leader as u32, weir_flight_role::Follower as u32));
        assert_eq!(weir_singleflight_finish(t, lead.slot, lead.gen), weir_status::Ok);
        assert_eq!(weir_singleflight_finish(t, lead.slot, lead.gen), weir_status::NotFound);
        assert_eq!(weir_singleflight_leave(t, follow.slot, follow.gen), weir_status::Ok);
        assert_eq!(weir_singleflight_new(0, null(), &mut t), weir_status::InvalidConfig);
        weir_singleflight_free(&mut t);
    }
}

#[test]
fn seeded_tables_hash_bytes_keys_under_their_seed() {
    let cfg = weir_limiter_config { rate: 1, period_ns: 1_000_000_000, burst: 1 };
    let mut seed = weir_hash_seed::default();
    let mut k: *mut weir_keyed_limiter = null_mut();
    let mut d = weir_decision::default();
    // SAFETY: valid pointers; the byte slices outlive the calls.
    unsafe {
        assert_eq!(weir_hash_seed_from_secret(b"s3cret".as_ptr(), 6, &mut seed), weir_status::Ok);
        assert_eq!(weir_hash_seed_from_secret(null(), 1, &mut seed), weir_status::NullArgument);
        assert_eq!(weir_hash_seed_from_secret(b"s3cret".as_ptr(), 6, null_mut()), weir_status::NullArgument);
        assert_eq!((seed.k0, seed.k1), (8558718755306924738, 13016746768467989505));
        let seeded = weir_hash_key_seeded(seed, b"a".as_ptr(), 1);
        assert_ne!(seeded, weir_hash_key(b"a".as_ptr(), 1));
        assert_eq!(weir_hash_key_seeded(seed, null(), 3), weir_hash_key_seeded(seed, null(), 0));

        assert_eq!(weir_keyed_limiter_new(&cfg, 16, &seed, &mut k), weir_status::Ok);
        assert_eq!(weir_keyed_limiter_acquire_bytes_now(k, b"a".as_ptr(), 1, 1, &mut d), weir_status::Ok);
        assert_eq!(d.admitted, 1);
        // The bytes call spent the token of the seeded hash, not the public one.
        let now = weir_now();
        assert_eq!(weir_keyed_limiter_acquire(k, seeded, now, 1, &mut d), weir_status::Ok);
        assert_eq!(d.admitted, 0);
        assert_eq!(weir_keyed_limiter_acquire(k, weir_hash_key(b"a".as_ptr(), 1), now, 1, &mut d), weir_status::Ok);
        assert_eq!(d.admitted, 1);
        weir_keyed_limiter_free(&mut k);

        let mut t: *mut weir_singleflight = null_mut();
        let mut lead = weir_flight::default();
        let mut follow = weir_flight::default();
        assert_eq!(weir_singleflight_new(4, &seed, &mut t), weir_status::Ok);
        assert_eq!(weir_singleflight_begin_bytes(t, b"k".as_ptr(), 1, &mut lead), weir_status::Ok);
        let k_seeded = weir_hash_key_seeded(seed, b"k".as_ptr(), 1);
        assert_eq!(weir_singleflight_begin(t, k_seeded, &mut follow), weir_status::Ok);
        assert_eq!((lead.role, follow.role), (weir_flight_role::Leader as u32, weir_flight_role::Follower as u32));
        assert_eq!((lead.slot, lead.gen), (follow.slot, follow.gen));
        weir_singleflight_free(&mut t);
    }
}

#[test]
fn headers_write_only_on_success() {
    let mut buf = [0u8; 4];
    let mut written = 77usize;
    let mut ns = 5u64;
    // SAFETY: valid buffers of the lengths given.
    unsafe {
        assert_eq!(
            weir_format_grpc_timeout(1_500_000_001, buf.as_mut_ptr(), 4, &mut written),
            weir_status::BufferTooSmall
        );
        assert_eq!((buf, written), ([0; 4], 77));
        assert_eq!(weir_format_millis(1_500_000, buf.as_mut_ptr(), 4, &mut written), weir_status::Ok);
        assert_eq!(&buf[..written], b"2");
        assert_eq!(weir_parse_grpc_timeout(b"10s".as_ptr(), 3, &mut ns), weir_status::InvalidHeader);
        assert_eq!(ns, 5);
        assert_eq!(text(weir_last_error_message()), "invalid_unit");
        assert_eq!(weir_parse_grpc_timeout(b"100m".as_ptr(), 4, &mut ns), weir_status::Ok);
        assert_eq!(ns, 100_000_000);
    }
}

#[test]
fn picker_backoff_budget_round_trip() {
    // SAFETY: every pointer is a valid local or a live handle.
    unsafe {
        let mut cfg = std::mem::zeroed::<weir_picker_config>();
        assert_eq!(weir_picker_config_default(&mut cfg), weir_status::Ok);
        let mut p: *mut weir_picker = null_mut();
        assert_eq!(weir_picker_new(&cfg, 2, &mut p), weir_status::Ok);
        let mut index = 9;
        assert_eq!(weir_picker_add(p, 7, 0, &mut index), weir_status::Ok);
        let mut pick = weir_pick::default();
        assert_eq!(weir_picker_pick(p, 1, 42, &mut pick), weir_status::Ok);
        assert_eq!((pick.reason, pick.index), (0, index));
        assert_eq!(weir_picker_done(p, &pick, 2, 1, true, 300), weir_status::Ok);
        assert_eq!(weir_picker_done(p, &pick, 2, 1, true, -1), weir_status::NotFound);
        weir_picker_free(&mut p);

        let mut bc = std::mem::zeroed::<weir_backoff_config>();
        weir_backoff_config_default(&mut bc);
        bc.jitter = 9;
        let mut b: *mut weir_backoff = null_mut();
        assert_eq!(weir_backoff_new(&bc, &mut b), weir_status::InvalidConfig);
        assert_eq!(text(weir_last_error_field()), "jitter");
        bc.jitter = weir_jitter::None as u32;
        assert_eq!(weir_backoff_new(&bc, &mut b), weir_status::Ok);
        let mut rc = std::mem::zeroed::<weir_retry_budget_config>();
        weir_retry_budget_config_default(&mut rc);
        let mut budget: *mut weir_retry_budget = null_mut();
        assert_eq!(weir_retry_budget_new(&rc, &mut budget), weir_status::Ok);
        let ask = weir_retry_ask { attempt: 1, deadline_left_ns: u64::MAX, ..Default::default() };
        let mut out = weir_retry_decision::default();
        assert_eq!(weir_retry(b, budget, 0, &ask, &mut out), weir_status::Ok);
        assert_eq!((out.decision.admitted, out.delay_ns), (1, 25_000_000));
        // No budget: only attempts and the deadline refuse.
        let mut unbudgeted = weir_retry_decision::default();
        assert_eq!(weir_retry(b, null(), 0, &ask, &mut unbudgeted), weir_status::Ok);
        assert_eq!((unbudgeted.decision.admitted, unbudgeted.delay_ns), (1, 25_000_000));
        let close = weir_retry_ask { deadline_left_ns: 1, ..ask };
        assert_eq!(weir_retry(b, null(), 0, &close, &mut unbudgeted), weir_status::Ok);
        assert_eq!(unbudgeted.decision.reason, weir_reason::DeadlineTooClose as u32);
        // A final answer from below is refused with its own reason and spends nothing.
        let final_answer = weir_retry_ask { no_retry: 1, ..ask };
        let (mut requests, mut retries) = (0, 0);
        weir_retry_budget_snapshot(budget, 0, &mut requests, &mut retries);
        assert_eq!(weir_retry(b, budget, 0, &final_answer, &mut out), weir_status::Ok);
        assert_eq!((out.decision.reason, out.delay_ns), (weir_reason::NotRetryable as u32, 0));
        let spent_before = retries;
        weir_retry_budget_snapshot(budget, 0, &mut requests, &mut retries);
        assert_eq!(retries, spent_before, "a final answer spends no budget");
        assert_eq!(text(weir_reason_str(17)), "not_retryable");
        weir_retry_budget_free(&mut budget);
        weir_backoff_free(&mut b);
    }
}
