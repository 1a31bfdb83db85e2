//! `weir_limiter`: a GCRA rate limiter (rate per period, burst, weighted
//! cost) over weir-core's lock-free atomic cell.

use crate::decision::{weir_decision, weir_decision_counts};
use crate::handle::{drop_handle, entry, live, out, publish};
use crate::status::{config_error, guard, unit_error, weir_status};
use weir_core::limiter::{AtomicLimiter, LimiterConfig, MultiLimiter, MAX_RATES};
use weir_host::units::{self, UnitError};
use weir_host::Counted;

/// A rate limit: `rate` tokens every `period_ns`, holding at most `burst`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct weir_limiter_config {
    /// Tokens added per period; 1..=period_ns.
    pub rate: u64,
    /// The period `rate` refers to, ns (1000000000 for "per second").
    pub period_ns: u64,
    /// Bucket size, >= 1.
    pub burst: u64,
}

impl From<&weir_limiter_config> for LimiterConfig {
    fn from(c: &weir_limiter_config) -> Self {
        LimiterConfig { rate: c.rate, period_ns: c.period_ns, burst: c.burst }
    }
}

impl From<LimiterConfig> for weir_limiter_config {
    fn from(c: LimiterConfig) -> Self {
        weir_limiter_config { rate: c.rate, period_ns: c.period_ns, burst: c.burst }
    }
}

/// A live change in user units, as every limiter handle takes it: `rate`
/// per `per_ns` (burst kept) or a new `burst` (rate kept), through
/// weir-host's unit rules.
pub(crate) enum Change {
    Rate { rate: f64, per_ns: u64 },
    Burst(f64),
}

impl Change {
    pub(crate) fn apply(&self, current: LimiterConfig) -> Result<LimiterConfig, UnitError> {
        match *self {
            Change::Rate { rate, per_ns } => units::with_rate(current, rate, per_ns),
            Change::Burst(burst) => units::with_burst(current, burst),
        }
    }
}

/// Fills `*out` with the limiter of `rate` tokens (any finite number > 0,
/// 1.0/3 included) every `per_ns` nanoseconds, holding at most `*burst`
/// (NULL: the default, the whole part of `rate`, at least 1). The same
/// conversion as every weir binding: a whole `rate` as is, a fractional one
/// as one token every `round(per_ns / rate)` ns. On
/// `WEIR_STATUS_INVALID_CONFIG` the last error names the field (`rate`,
/// `per`, `burst`) and the rule; `*out` is untouched.
///
/// # Safety
/// `burst` is NULL or readable; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_limiter_config_from_units(
    rate: f64,
    per_ns: u64,
    burst: *const f64,
    out: *mut weir_limiter_config,
) -> weir_status {
    entry!(; out => {
        // SAFETY: NULL or readable per the contract.
        let burst = unsafe { burst.as_ref() }.copied();
        match weir_host::units::limiter_config(rate, per_ns, burst) {
            Ok(c) => {
                out!(out, weir_limiter_config { rate: c.rate, period_ns: c.period_ns, burst: c.burst });
                weir_status::Ok
            }
            Err(e) => unit_error(e),
        }
    })
}

/// A rate limiter. Thread-safe: every function may be called on one handle
/// from any number of threads at once (a lock-free CAS on one word); only
/// `weir_limiter_free` must not race with other use.
pub struct weir_limiter {
    pub(crate) inner: Counted<AtomicLimiter>,
}

impl weir_host::Clocked for weir_limiter {}

/// Makes a limiter with a full bucket. On `WEIR_STATUS_INVALID_CONFIG` the
/// last error names the field and rule; `*out` is untouched.
///
/// # Safety
/// `config` is NULL or readable; `out` is NULL or writable for one pointer.
#[no_mangle]
pub unsafe extern "C" fn weir_limiter_new(
    config: *const weir_limiter_config,
    out: *mut *mut weir_limiter,
) -> weir_status {
    entry!(config; out => {
        match AtomicLimiter::new(config.into()) {
            // SAFETY: `out` checked non-NULL; writable per the contract.
            Ok(cell) => unsafe { publish(out, weir_limiter { inner: Counted::new(cell) }) },
            Err(e) => config_error(e),
        }
    })
}

/// Asks for `cost` tokens at `now` (ns on any monotonic clock; use
/// `weir_now()` or your own, consistently). A cost of 0 asks without spending.
///
/// # Safety
/// `limiter` is NULL or live; `out` is NULL or writable.
// twin weir_limiter_acquire_now: `weir_limiter_acquire` at `weir_now()`, read inside the call: the hot
// path for bindings whose every foreign call is costly (Go's cgo).
#[no_mangle]
pub unsafe extern "C" fn weir_limiter_acquire(
    limiter: *const weir_limiter,
    now: u64,
    cost: u64,
    out: *mut weir_decision,
) -> weir_status {
    entry!(limiter => out = limiter.inner.decide(|l| l.acquire(now, cost)).into())
}

/// `weir_limiter_acquire` at `weir_now()`, read inside the call: the hot
/// path for bindings whose every foreign call is costly (Go's cgo).
///
/// # Safety
/// As `weir_limiter_acquire`.
// Written by ffi/twins from the `// twin` mark above; edit that, not this.
#[no_mangle]
pub unsafe extern "C" fn weir_limiter_acquire_now(
    limiter: *const weir_limiter,
    cost: u64,
    out: *mut weir_decision,
) -> weir_status {
    entry!(let now = crate::handle::now_of::<weir_limiter>();
        limiter => out = limiter.inner.decide(|l| l.acquire(now, cost)).into())
}

/// Changes the limit to `*config` at `now` (the clock its acquires use),
/// keeping what was spent: a TAT ahead of `now` is rescaled from the old
/// token interval to the new one (rounded up) and capped at the new burst,
/// so a change refills nothing (a larger burst frees only the size it
/// adds). Safe while other threads acquire: each
/// decision is made under exactly one config. On
/// `WEIR_STATUS_INVALID_CONFIG` the limit is unchanged.
///
/// # Safety
/// `limiter` is NULL or live; `config` is NULL or readable.
#[no_mangle]
pub unsafe extern "C" fn weir_limiter_set_config(
    limiter: *const weir_limiter,
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

/// `weir_limiter_set_config` with a new rate in user units (`rate` per
/// `per_ns`, as `weir_limiter_config_from_units` takes it), the burst kept.
/// The last error names `rate` or `per` on refusal.
///
/// # Safety
/// `limiter` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn weir_limiter_set_rate(
    limiter: *const weir_limiter,
    rate: f64,
    per_ns: u64,
    now: u64,
) -> weir_status {
    guard(|| set(live!(limiter).inner.cell(), Change::Rate { rate, per_ns }, now))
}

/// `weir_limiter_set_config` with a new burst (a whole number >= 1), the
/// rate kept.
///
/// # Safety
/// `limiter` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn weir_limiter_set_burst(limiter: *const weir_limiter, burst: f64, now: u64) -> weir_status {
    guard(|| set(live!(limiter).inner.cell(), Change::Burst(burst), now))
}

fn set(limiter: &AtomicLimiter, change: Change, now: u64) -> weir_status {
    match change.apply(limiter.config()) {
        Ok(config) => match limiter.set_config(config, now) {
            Ok(()) => weir_status::Ok,
            Err(e) => config_error(e),
        },
        Err(e) => unit_error(e),
    }
}

/// The config in force (after the latest change).
///
/// # Safety
/// `limiter` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_limiter_get_config(
    limiter: *const weir_limiter,
    out: *mut weir_limiter_config,
) -> weir_status {
    entry!(limiter => out = limiter.inner.cell().config().into())
}

/// The raw state (one word), for snapshots or moving a limiter between
/// processes that share a clock.
///
/// # Safety
/// `limiter` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_limiter_state(limiter: *const weir_limiter, out: *mut u64) -> weir_status {
    entry!(limiter => out = limiter.inner.cell().state())
}

/// Replaces the state with one from `weir_limiter_state`.
///
/// # Safety
/// `limiter` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn weir_limiter_restore(limiter: *const weir_limiter, state: u64) -> weir_status {
    entry!(limiter => limiter.inner.cell().restore(state))
}

/// The decisions made on the limiter so far, by reason (every acquire,
/// from every thread, counted once).
///
/// # Safety
/// `limiter` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_limiter_decisions(
    limiter: *const weir_limiter,
    out: *mut weir_decision_counts,
) -> weir_status {
    entry!(limiter => out = limiter.inner.decisions().into())
}

/// Frees `*limiter` and sets it to NULL, so freeing the same variable twice
/// is a no-op; NULL is a no-op.
///
/// # Safety
/// `limiter` is NULL or points to NULL or to a live limiter that no other
/// thread is using.
#[no_mangle]
pub unsafe extern "C" fn weir_limiter_free(limiter: *mut *mut weir_limiter) {
    // SAFETY: forwarded from this function's contract.
    unsafe { drop_handle(limiter) }
}

/// Several rates on one limiter (10 a second and 1000 an hour), decided in
/// one call: a request is admitted only if every rate admits it, and a
/// refusal spends from none. Thread-safe like `weir_limiter` (the rates are
/// decided under a short internal lock); only `_free` must not race.
pub struct weir_multi_limiter {
    inner: MultiLimiter,
}

impl weir_host::Clocked for weir_multi_limiter {}

/// Makes a limiter of the `count` rates at `configs` (1 to 4), each with a
/// full bucket. On `WEIR_STATUS_INVALID_CONFIG` the last error names the
/// field (`rates` for the count); `*out` is untouched.
///
/// # Safety
/// `configs` is NULL or readable for `count` configs; `out` is NULL or
/// writable for one pointer.
#[no_mangle]
pub unsafe extern "C" fn weir_multi_limiter_new(
    configs: *const weir_limiter_config,
    count: usize,
    out: *mut *mut weir_multi_limiter,
) -> weir_status {
    entry!(; configs, out => {
        let mut kernel = [LimiterConfig { rate: 0, period_ns: 0, burst: 0 }; MAX_RATES];
        let given = count.min(MAX_RATES);
        // SAFETY: non-NULL and readable for `count >= given` configs per the contract.
        let configs = unsafe { std::slice::from_raw_parts(configs, given) };
        for (slot, c) in kernel.iter_mut().zip(configs) {
            *slot = c.into();
        }
        let rates = if count > MAX_RATES { &kernel[..0] } else { &kernel[..given] };
        match MultiLimiter::new(rates) {
            // SAFETY: `out` checked non-NULL; writable per the contract.
            Ok(inner) => unsafe { publish(out, weir_multi_limiter { inner }) },
            Err(e) if count > MAX_RATES => {
                config_error(weir_core::ConfigError::new("rates", e.rule(), weir_core::Value::Unsigned(count as u64)))
            }
            Err(e) => config_error(e),
        }
    })
}

/// Asks every rate for `cost` tokens at `now`. Admitted: `remaining` is the
/// fewest any rate has left, `reset_after` the longest until all are full.
/// Refused: the refusal of the rate that waits longest; nothing spent.
///
/// # Safety
/// `limiter` is NULL or live; `out` is NULL or writable.
// twin weir_multi_limiter_acquire_now: `weir_multi_limiter_acquire` at `weir_now()`, read inside the call.
#[no_mangle]
pub unsafe extern "C" fn weir_multi_limiter_acquire(
    limiter: *const weir_multi_limiter,
    now: u64,
    cost: u64,
    out: *mut weir_decision,
) -> weir_status {
    entry!(limiter => out = limiter.inner.acquire(now, cost).into())
}

/// `weir_multi_limiter_acquire` at `weir_now()`, read inside the call.
///
/// # Safety
/// As `weir_multi_limiter_acquire`.
// Written by ffi/twins from the `// twin` mark above; edit that, not this.
#[no_mangle]
pub unsafe extern "C" fn weir_multi_limiter_acquire_now(
    limiter: *const weir_multi_limiter,
    cost: u64,
    out: *mut weir_decision,
) -> weir_status {
    entry!(let now = crate::handle::now_of::<weir_multi_limiter>();
        limiter => out = limiter.inner.acquire(now, cost).into())
}

/// Changes rate `index` to `*config` at `now`, keeping what it spent (the
/// rule of `weir_limiter_set_config`). An `index` past the rates is
/// `WEIR_STATUS_INVALID_CONFIG` naming `index`.
///
/// # Safety
/// `limiter` is NULL or live; `config` is NULL or readable.
#[no_mangle]
pub unsafe extern "C" fn weir_multi_limiter_set_config(
    limiter: *const weir_multi_limiter,
    index: usize,
    config: *const weir_limiter_config,
    now: u64,
) -> weir_status {
    entry!(limiter, config => {
        match limiter.inner.set_config(index, config.into(), now) {
            Ok(()) => weir_status::Ok,
            Err(e) => config_error(e),
        }
    })
}

/// Frees `*limiter` and sets it to NULL; NULL is a no-op.
///
/// # Safety
/// `limiter` is NULL or points to NULL or to a live limiter no other thread uses.
#[no_mangle]
pub unsafe extern "C" fn weir_multi_limiter_free(limiter: *mut *mut weir_multi_limiter) {
    // SAFETY: forwarded from this function's contract.
    unsafe { drop_handle(limiter) }
}
