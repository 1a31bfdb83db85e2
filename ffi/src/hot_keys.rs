//! `weir_hot_keys`: the most requested keys of a stream in fixed memory
//! (Space-Saving, 16 counters per set), with `top(k)` answering in the
//! caller's own key bytes.

use crate::handle::{bytes, drop_handle, entry, out, publish};
use crate::seed::{hasher, weir_hash_seed};
use crate::status::{config_error, weir_status};
use weir_core::hot_keys::HotKeysConfig;
use weir_host::HotKeys;

/// Detector settings; `weir_hot_keys_config_default` gives 1024 counters
/// whose counts halve every 10 s.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct weir_hot_keys_config {
    /// Counters: a multiple of 16, 16..=2^20.
    pub capacity: u64,
    /// Counts halve at every multiple of this, ns; >= 1 ms, `UINT64_MAX`
    /// never.
    pub half_life_ns: u64,
}

/// One key of a `weir_hot_keys_top` answer.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct weir_hot_key {
    /// The hash the key is counted under.
    pub hash: u64,
    /// At most this many requests (decayed).
    pub count: u64,
    /// How much of `count` may belong to other keys.
    pub error: u64,
    /// Where its bytes start in the caller's key buffer.
    pub key_offset: usize,
    /// Its length; `SIZE_MAX` when the key was recorded by hash or did not
    /// fit in the buffer.
    pub key_len: usize,
}

/// A hot-key detector. Thread-safe; only `_free` must not race.
pub struct weir_hot_keys {
    inner: HotKeys,
}

impl weir_host::Clocked for weir_hot_keys {}

/// Writes the default config to `out`.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_hot_keys_config_default(out: *mut weir_hot_keys_config) -> weir_status {
    entry!(; out => {
        out!(
            out,
            weir_hot_keys_config {
                capacity: weir_host::HOT_KEYS_DEFAULT_CAPACITY,
                half_life_ns: HotKeysConfig::default().half_life_ns
            }
        );
    })
}

/// Makes an empty detector. `seed` is the secret keys are hashed under
/// (NULL: the public `weir_hash_key`, which lets crafted keys crowd one
/// set).
///
/// # Safety
/// `config` and `seed` are NULL or readable; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_hot_keys_new(
    config: *const weir_hot_keys_config,
    seed: *const weir_hash_seed,
    out: *mut *mut weir_hot_keys,
) -> weir_status {
    entry!(config; out => {
        // SAFETY: forwarded from this function's contract.
        let keys = match unsafe { hasher(seed) } {
            Ok(keys) => keys,
            Err(status) => return status,
        };
        match HotKeys::new(config.capacity, HotKeysConfig { half_life_ns: config.half_life_ns }, keys) {
            // SAFETY: `out` checked non-NULL; writable per the contract.
            Ok(inner) => unsafe { publish(out, weir_hot_keys { inner }) },
            Err(e) => config_error(e),
        }
    })
}

/// Counts one request for the `key_len` bytes at `key`, at `now`.
///
/// # Safety
/// `hot` is NULL or live; `key` points to `key_len` readable bytes (may be
/// NULL when `key_len` is 0).
// twin weir_hot_keys_record_now: `weir_hot_keys_record` at `weir_now()`.
#[no_mangle]
pub unsafe extern "C" fn weir_hot_keys_record(
    hot: *const weir_hot_keys,
    now: u64,
    key: *const u8,
    key_len: usize,
) -> weir_status {
    entry!(hot => {
        // SAFETY: forwarded from this function's contract.
        let Some(key) = (unsafe { bytes(key, key_len) }) else { return weir_status::NullArgument };
        hot.inner.record_at(now, key);
    })
}

/// `weir_hot_keys_record` at `weir_now()`.
///
/// # Safety
/// As `weir_hot_keys_record`.
// Written by ffi/twins from the `// twin` mark above; edit that, not this.
#[no_mangle]
pub unsafe extern "C" fn weir_hot_keys_record_now(
    hot: *const weir_hot_keys,
    key: *const u8,
    key_len: usize,
) -> weir_status {
    entry!(let now = crate::handle::now_of::<weir_hot_keys>(); hot => {
        // SAFETY: forwarded from this function's contract.
        let Some(key) = (unsafe { bytes(key, key_len) }) else { return weir_status::NullArgument };
        hot.inner.record_at(now, key);
    })
}

/// Counts one request for a key already hashed (its bytes are not kept).
///
/// # Safety
/// `hot` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn weir_hot_keys_record_hashed(hot: *const weir_hot_keys, now: u64, hash: u64) -> weir_status {
    entry!(hot => hot.inner.record_hashed_at(now, hash))
}

/// The `k` keys that surely had the most requests at `now`: writes up to
/// `k` entries to `out` (largest `count - error` first) and their number to
/// `out_n`; copies each entry's key bytes into `keys` (room for `keys_cap`
/// bytes) and the bytes all of them need to `out_keys_len`, so a caller
/// whose buffer was short can call again with a larger one.
///
/// # Safety
/// `hot` is NULL or live; `out` has room for `k` entries (NULL when `k` is
/// 0); `keys` has room for `keys_cap` bytes (NULL when `keys_cap` is 0);
/// `out_n` and `out_keys_len` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_hot_keys_top(
    hot: *const weir_hot_keys,
    now: u64,
    out: *mut weir_hot_key,
    k: usize,
    keys: *mut u8,
    keys_cap: usize,
    out_n: *mut usize,
    out_keys_len: *mut usize,
) -> weir_status {
    entry!(hot; out_n => out_keys_len = {
        if (out.is_null() && k > 0) || (keys.is_null() && keys_cap > 0) {
            return weir_status::NullArgument;
        }
        let top = hot.inner.top_at(now, k);
        let mut used = 0usize;
        for (i, entry) in top.iter().enumerate() {
            let (mut key_offset, mut key_len) = (0, usize::MAX);
            if let Some(key) = &entry.key {
                if used + key.len() <= keys_cap {
                    // SAFETY: `keys` has room for `keys_cap` bytes and
                    // `used + key.len() <= keys_cap`; the source is our own copy.
                    unsafe { std::ptr::copy_nonoverlapping(key.as_ptr(), keys.add(used), key.len()) };
                    (key_offset, key_len) = (used, key.len());
                }
                used += key.len();
            }
            let e = weir_hot_key { hash: entry.hash, count: entry.count, error: entry.error, key_offset, key_len };
            // SAFETY: `out` has room for `k` entries and `top` holds at most `k`.
            unsafe { out.add(i).write(e) };
        }
        out!(out_n, top.len());
        used
    })
}

/// `(count, error)` of a hashed key at `now`; for a key without a counter,
/// the smallest count of its set, all of it error.
///
/// # Safety
/// `hot` is NULL or live; `count` and `error` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_hot_keys_estimate(
    hot: *const weir_hot_keys,
    now: u64,
    hash: u64,
    count: *mut u64,
    error: *mut u64,
) -> weir_status {
    entry!(hot; count => error = {
        let (c, e) = hot.inner.estimate_hashed_at(now, hash);
        out!(count, c);
        e
    })
}

/// The hash the detector counts the `key_len` bytes at `key` under.
///
/// # Safety
/// `hot` is NULL or live; `key` as in `weir_hot_keys_record`; `out` is NULL
/// or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_hot_keys_hash(
    hot: *const weir_hot_keys,
    key: *const u8,
    key_len: usize,
    out: *mut u64,
) -> weir_status {
    entry!(hot => out = {
        // SAFETY: forwarded from this function's contract.
        let Some(key) = (unsafe { bytes(key, key_len) }) else { return weir_status::NullArgument };
        hot.inner.hash(key)
    })
}

/// The sum of every count at `now` (the requests recorded, decayed).
///
/// # Safety
/// `hot` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_hot_keys_total(hot: *const weir_hot_keys, now: u64, out: *mut u64) -> weir_status {
    entry!(hot => out = hot.inner.total_at(now))
}

/// Frees `*hot` and sets it to NULL; NULL is a no-op.
///
/// # Safety
/// `hot` is NULL or points to NULL or to a live detector no other thread uses.
#[no_mangle]
pub unsafe extern "C" fn weir_hot_keys_free(hot: *mut *mut weir_hot_keys) {
    // SAFETY: forwarded from this function's contract.
    unsafe { drop_handle(hot) }
}
