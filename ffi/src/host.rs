//! Host glue from weir-host, so C and Go never re-implement the clock, the
//! key hash, the random draws or CPU sampling.

use crate::handle::{bytes, drop_handle, get, publish, put};
use crate::status::{guard, guard_value, weir_status};
use std::sync::Mutex;
use weir_host::CpuSampler;

/// Nanoseconds on `CLOCK_MONOTONIC`'s scale: the `now` every `_now`
/// function reads and the clock to pass to the explicit-time functions.
/// Read from the CPU's invariant time-stamp counter (a few ns) where there
/// is one, else from the kernel; anchored to `CLOCK_MONOTONIC` once per
/// process, so processes on one host start out agreeing on it and then
/// drift apart by the calibration error (a few ppm; shared limiters use
/// `weir_shared_limiter_now` instead). Thread-safe.
#[no_mangle]
pub extern "C" fn weir_now() -> u64 {
    guard_value(0, || weir_host::Clock::Process.now())
}

/// The stable, unseeded 64-bit hash of `len` bytes at `key` that every weir
/// runtime gives a key of an unseeded table (FNV-1a with a final
/// avalanche). Anyone can compute it: tables whose callers choose keys
/// want `weir_hash_key_seeded`. `key` may be NULL when `len` is 0; NULL
/// with `len > 0` hashes as the empty key. Thread-safe.
///
/// # Safety
/// When `len > 0` and `key` is not NULL, `key` points to `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn weir_hash_key(key: *const u8, len: usize) -> u64 {
    // SAFETY: forwarded from this function's contract.
    let key = unsafe { bytes(key, len) }.unwrap_or(&[]);
    guard_value(0, || weir_host::hash_key(key))
}

/// A uniform random `u64` from a per-thread generator (not for secrets):
/// the `draw` the explicit-time throttle, picker and backoff functions take.
/// Thread-safe.
#[no_mangle]
pub extern "C" fn weir_draw() -> u64 {
    guard_value(0, weir_host::draw)
}

/// Samples this process's CPU use (cgroup v2, else `/proc/stat`) in
/// permille, for `weir_shedder_record_cpu`. Thread-safe (a mutex inside;
/// sampling is meant for a ticker, every ~500 ms, not the hot path).
pub struct weir_cpu_sampler {
    inner: Mutex<CpuSampler>,
}

/// Makes a sampler. It reads nothing until the first
/// `weir_cpu_sampler_sample`.
///
/// # Safety
/// `out` is NULL or writable for one pointer.
#[no_mangle]
pub unsafe extern "C" fn weir_cpu_sampler_new(out: *mut *mut weir_cpu_sampler) -> weir_status {
    guard(|| {
        // SAFETY: forwarded from this function's contract.
        unsafe { publish(out, weir_cpu_sampler { inner: Mutex::new(CpuSampler::new()) }) }
    })
}

/// CPU use since the previous call, permille (0..=1000 of what this process
/// may use). `WEIR_STATUS_UNAVAILABLE` on the first call (nothing to compare
/// with yet) or when the source cannot be read; `*permille` is then unchanged.
///
/// # Safety
/// `sampler` is NULL or a live sampler; `permille` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_cpu_sampler_sample(sampler: *const weir_cpu_sampler, permille: *mut u64) -> weir_status {
    guard(|| {
        // SAFETY: forwarded from this function's contract.
        let Some(sampler) = (unsafe { get(sampler) }) else { return weir_status::NullArgument };
        if permille.is_null() {
            return weir_status::NullArgument;
        }
        let sample = match sampler.inner.lock() {
            Ok(mut s) => s.sample(),
            Err(poisoned) => poisoned.into_inner().sample(),
        };
        match sample {
            // SAFETY: checked non-NULL above; writable per the contract.
            Some(p) => unsafe { put(permille, p) },
            None => return weir_status::Unavailable,
        }
        weir_status::Ok
    })
}

/// Frees `*sampler` and sets it to NULL; NULL or an already freed (NULLed)
/// variable is a no-op.
///
/// # Safety
/// `sampler` is NULL or points to NULL or to a live sampler no other thread uses.
#[no_mangle]
pub unsafe extern "C" fn weir_cpu_sampler_free(sampler: *mut *mut weir_cpu_sampler) {
    // SAFETY: forwarded from this function's contract.
    unsafe { drop_handle(sampler) }
}
