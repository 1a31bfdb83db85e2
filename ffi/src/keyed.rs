//! `weir_keyed_limiter`: one GCRA state per key in a table whose memory is
//! fixed at creation (it never grows with new keys).

use crate::decision::{weir_decision, weir_decision_counts};
use crate::handle::{bytes, drop_handle, entry, live, need, now_of, out, publish};
use crate::limiter::{weir_limiter_config, Change};
use crate::seed::{hasher, weir_hash_seed};
use crate::status::{config_error, guard, unit_error, weir_status};
use weir_core::limiter::{KeySet, KeyedLimiter, WAYS};
use weir_core::{ConfigError, Value};
use weir_host::{Counted, KeyHasher};

/// Most entries a table may have: 2^24 keys, ~290 MB.
const MAX_CAPACITY: u64 = 1 << 24;

/// A keyed rate limiter. Thread-safe like `weir_limiter`: any number of
/// threads may call it at once; only `_free` must not race.
pub struct weir_keyed_limiter {
    inner: Counted<KeyedLimiter<Box<[KeySet]>>>,
    keys: KeyHasher,
    pub(crate) events: crate::events::weir_events,
}

impl weir_host::Clocked for weir_keyed_limiter {}

fn storage(capacity: u64) -> Result<Box<[KeySet]>, weir_status> {
    let ways = WAYS as u64;
    if capacity % ways != 0 {
        return Err(config_error(ConfigError::new(
            "capacity",
            "a multiple of 8 in [8, 2^24]",
            Value::Unsigned(capacity),
        )));
    }
    crate::storage::slots(capacity / ways, MAX_CAPACITY / ways, "a multiple of 8 in [8, 2^24]", KeySet::new).map_err(
        |status| {
            if status == weir_status::InvalidConfig {
                config_error(ConfigError::new("capacity", "a multiple of 8 in [8, 2^24]", Value::Unsigned(capacity)))
            } else {
                status
            }
        },
    )
}

/// Makes a table of `capacity` entries (a multiple of 8) sharing `config`.
/// When every entry of a key's set holds a key that has spent tokens, a new
/// key is refused with `WEIR_REASON_TABLE_FULL` rather than evicting a live
/// one: size the table for the keys active within one burst window.
///
/// `seed` is the secret `weir_keyed_limiter_acquire_bytes_now` hashes keys
/// under (copied; see `weir_hash_seed_from_secret`; all zero is refused). NULL hashes them with
/// the public `weir_hash_key`: anyone who controls keys can then compute,
/// offline, keys that fill another key's set and keep it refused
/// `WEIR_REASON_TABLE_FULL`. Pass NULL only when callers cannot choose keys.
///
/// # Safety
/// `config` and `seed` are NULL or readable; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_keyed_limiter_new(
    config: *const weir_limiter_config,
    capacity: u64,
    seed: *const weir_hash_seed,
    out: *mut *mut weir_keyed_limiter,
) -> weir_status {
    entry!(config; out => {
        // SAFETY: forwarded from this function's contract.
        let keys = match unsafe { hasher(seed) } {
            Ok(keys) => keys,
            Err(status) => return status,
        };
        if let Err(e) = weir_core::limiter::Gcra::new(config.into()) {
            return config_error(e);
        }
        let sets = match storage(capacity) {
            Ok(sets) => sets,
            Err(status) => return status,
        };
        match KeyedLimiter::with_storage(config.into(), sets) {
            // SAFETY: `out` checked non-NULL; writable per the contract.
            Ok(inner) => unsafe {
                publish(
                    out,
                    weir_keyed_limiter {
                        inner: Counted::new(inner),
                        keys,
                        events: crate::events::weir_events(weir_host::Events::table()),
                    },
                )
            },
            Err(e) => config_error(e),
        }
    })
}

/// Asks for `cost` tokens for `key` at `now`. `key` is a hash: the table's
/// own (`weir_hash_key_seeded` under its seed, or `weir_hash_key` for an
/// unseeded table) or one the caller owns.
///
/// # Safety
/// `limiter` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_keyed_limiter_acquire(
    limiter: *const weir_keyed_limiter,
    key: u64,
    now: u64,
    cost: u64,
    out: *mut weir_decision,
) -> weir_status {
    entry!(limiter => out = {
        let d = limiter.inner.decide(|t| t.acquire(key, now, cost));
        limiter.events.observe(now, &d);
        d.into()
    })
}

/// Hashes `key_len` bytes at `key` with the table's hash (under its seed,
/// if made with one) and asks for `cost` tokens at `weir_now()`, in one call.
///
/// # Safety
/// `limiter` is NULL or live; `key` points to `key_len` readable bytes
/// (may be NULL when `key_len` is 0); `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_keyed_limiter_acquire_bytes_now(
    limiter: *const weir_keyed_limiter,
    key: *const u8,
    key_len: usize,
    cost: u64,
    out: *mut weir_decision,
) -> weir_status {
    entry!(limiter => {
        // SAFETY: forwarded from this function's contract.
        let Some(key) = (unsafe { bytes(key, key_len) }) else { return weir_status::NullArgument };
        need!(out);
        let now = now_of::<weir_keyed_limiter>();
        let decision = limiter.inner.decide(|t| t.acquire(limiter.keys.hash(key), now, cost));
        limiter.events.observe(now, &decision);
        out!(out, decision.into());
    })
}

/// Changes the limit of every key to `*config` at `now`. A key's TAT
/// becomes the larger of the single limiter's rescaled one (see
/// `weir_limiter_set_config`) and its old one plus 1 ns: never moved back,
/// so no key's bucket refills from a change (a larger burst frees only the
/// size it adds). Walks the table; acquires on
/// other threads keep flowing. On `WEIR_STATUS_INVALID_CONFIG` nothing changes.
///
/// # Safety
/// `limiter` is NULL or live; `config` is NULL or readable.
#[no_mangle]
pub unsafe extern "C" fn weir_keyed_limiter_set_config(
    limiter: *const weir_keyed_limiter,
    config: *const weir_limiter_config,
    now: u64,
) -> weir_status {
    entry!(limiter, config => {
        match limiter.inner.cell().set_config(config.into(), now) {
            Ok(()) => weir_status::Ok,
            Err(e) => config_error(e),
        }
    })
}

/// `weir_keyed_limiter_set_config` with a new rate in user units, the burst kept.
///
/// # Safety
/// `limiter` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn weir_keyed_limiter_set_rate(
    limiter: *const weir_keyed_limiter,
    rate: f64,
    per_ns: u64,
    now: u64,
) -> weir_status {
    guard(|| set(live!(limiter), Change::Rate { rate, per_ns }, now))
}

/// `weir_keyed_limiter_set_config` with a new burst, the rate kept.
///
/// # Safety
/// `limiter` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn weir_keyed_limiter_set_burst(
    limiter: *const weir_keyed_limiter,
    burst: f64,
    now: u64,
) -> weir_status {
    guard(|| set(live!(limiter), Change::Burst(burst), now))
}

fn set(limiter: &weir_keyed_limiter, change: Change, now: u64) -> weir_status {
    match change.apply(limiter.inner.cell().config()) {
        Ok(config) => match limiter.inner.cell().set_config(config, now) {
            Ok(()) => weir_status::Ok,
            Err(e) => config_error(e),
        },
        Err(e) => unit_error(e),
    }
}

/// The config in force for every key.
///
/// # Safety
/// `limiter` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_keyed_limiter_get_config(
    limiter: *const weir_keyed_limiter,
    out: *mut weir_limiter_config,
) -> weir_status {
    entry!(limiter => out = limiter.inner.cell().config().into())
}

/// Entries in the table (`capacity` as made).
///
/// # Safety
/// `limiter` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_keyed_limiter_capacity(limiter: *const weir_keyed_limiter, out: *mut u64) -> weir_status {
    entry!(limiter => out = limiter.inner.cell().capacity() as u64)
}

/// Keys whose bucket is not full at `now` (entries that cannot be reused
/// yet), for a gauge. Walks the whole table.
///
/// # Safety
/// `limiter` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_keyed_limiter_live(
    limiter: *const weir_keyed_limiter,
    now: u64,
    out: *mut u64,
) -> weir_status {
    entry!(limiter => out = limiter.inner.cell().live(now) as u64)
}

/// The decisions made on the table so far (every key's, from every
/// thread), by reason.
///
/// # Safety
/// `limiter` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_keyed_limiter_decisions(
    limiter: *const weir_keyed_limiter,
    out: *mut weir_decision_counts,
) -> weir_status {
    entry!(limiter => out = limiter.inner.decisions().into())
}

/// Frees `*limiter` and sets it to NULL; NULL is a no-op.
///
/// # Safety
/// `limiter` is NULL or points to NULL or to a live table no other thread uses.
#[no_mangle]
pub unsafe extern "C" fn weir_keyed_limiter_free(limiter: *mut *mut weir_keyed_limiter) {
    // SAFETY: forwarded from this function's contract.
    unsafe { drop_handle(limiter) }
}
