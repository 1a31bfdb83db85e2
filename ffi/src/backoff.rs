//! `weir_backoff`: exponential backoff with jitter, honouring a server's
//! advised delay. Pure: the caller keeps the attempt number.

use crate::decision::{refused, weir_decision};
use crate::handle::{drop_handle, entry, publish};
use crate::status::{config_error, weir_status};
use weir_core::backoff::{Backoff, BackoffConfig, Jitter};
use weir_core::{ConfigError, Decision, Nanos, Value};

/// How the exponential delay `d` is randomised.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum weir_jitter {
    /// Exactly `d`.
    None = 0,
    /// Uniform in [0, d).
    Full = 1,
    /// Uniform in [d/2, d).
    Equal = 2,
    /// Uniform in [base, min(cap, 3 * previous)).
    Decorrelated = 3,
}

/// Backoff settings; `weir_backoff_config_default` gives Envoy's: base
/// 25 ms, cap 250 ms, x2, full jitter, 3 attempts, advice capped at 30 s.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct weir_backoff_config {
    /// Delay before the first retry, before jitter, ns, >= 1.
    pub base_ns: u64,
    /// Largest delay, ns, >= base_ns.
    pub cap_ns: u64,
    /// Growth per attempt, in [1, 1000].
    pub multiplier: f64,
    /// A `weir_jitter` value.
    pub jitter: u32,
    /// Attempts in all, the first call included, >= 1.
    pub max_attempts: u32,
    /// Largest server-advised delay honoured, ns.
    pub advised_cap_ns: u64,
}

impl From<BackoffConfig> for weir_backoff_config {
    fn from(c: BackoffConfig) -> Self {
        Self {
            base_ns: c.base_ns,
            cap_ns: c.cap_ns,
            multiplier: c.multiplier,
            jitter: c.jitter as u32,
            max_attempts: c.max_attempts,
            advised_cap_ns: c.advised_cap_ns,
        }
    }
}

pub(crate) fn backoff_config(c: &weir_backoff_config) -> Result<BackoffConfig, ConfigError> {
    let jitter = u8::try_from(c.jitter).ok().and_then(Jitter::from_code).ok_or(ConfigError::new(
        "jitter",
        "one of 0 (none), 1 (full), 2 (equal), 3 (decorrelated)",
        Value::Unsigned(u64::from(c.jitter)),
    ))?;
    Ok(BackoffConfig {
        base_ns: c.base_ns,
        cap_ns: c.cap_ns,
        multiplier: c.multiplier,
        jitter,
        max_attempts: c.max_attempts,
        advised_cap_ns: c.advised_cap_ns,
    })
}

/// Whether to retry and after how long.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct weir_retry_decision {
    /// Admitted, or why not (attempts exhausted, deadline too close,
    /// budget exhausted).
    pub decision: weir_decision,
    /// How long to wait before the retry, ns; 0 when refused.
    pub delay_ns: u64,
}

/// A backoff policy (pure: holds only its config). Thread-safe.
pub struct weir_backoff {
    pub(crate) inner: Backoff,
}

/// Writes the default config to `out`.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_backoff_config_default(out: *mut weir_backoff_config) -> weir_status {
    entry!(=> out = BackoffConfig::default().into())
}

/// Makes a backoff policy.
///
/// # Safety
/// `config` is NULL or readable; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_backoff_new(
    config: *const weir_backoff_config,
    out: *mut *mut weir_backoff,
) -> weir_status {
    entry!(config; out => {
        match backoff_config(config).and_then(Backoff::new) {
            // SAFETY: `out` checked non-NULL; writable per the contract.
            Ok(inner) => unsafe { publish(out, weir_backoff { inner }) },
            Err(e) => config_error(e),
        }
    })
}

/// The delay before retry number `retry` (1 for the first retry), jittered
/// with `draw`; `previous` is the delay before the retry before (0 for the
/// first; only decorrelated jitter reads it). Always in [0, cap_ns].
///
/// # Safety
/// `backoff` is NULL or live; `delay_ns` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_backoff_delay(
    backoff: *const weir_backoff,
    retry: u32,
    draw: u64,
    previous: u64,
    delay_ns: *mut u64,
) -> weir_status {
    entry!(backoff => delay_ns = backoff.inner.delay(retry, draw, previous))
}

pub(crate) fn advice(has_advised: bool, advised_ns: Nanos) -> Option<Nanos> {
    has_advised.then_some(advised_ns)
}

/// After attempt number `attempt` (1 for the first call) failed: the delay
/// before the next, or `WEIR_REASON_ATTEMPTS_EXHAUSTED`. With `has_advised`,
/// `advised_ns` (the server's Retry-After or pushback) replaces the computed
/// delay, capped at advised_cap_ns.
///
/// # Safety
/// `backoff` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_backoff_next(
    backoff: *const weir_backoff,
    attempt: u32,
    draw: u64,
    previous: u64,
    has_advised: bool,
    advised_ns: u64,
    out: *mut weir_retry_decision,
) -> weir_status {
    entry!(backoff => out = {
        match backoff.inner.next(attempt, draw, previous, advice(has_advised, advised_ns)) {
            Ok(delay) => weir_retry_decision { decision: admitted(), delay_ns: delay },
            Err(reason) => weir_retry_decision { decision: refused(reason), delay_ns: 0 },
        }
    })
}

fn admitted() -> weir_decision {
    weir_decision::from(Decision { reason: weir_core::Reason::Admitted, retry_after: 0, remaining: 0, reset_after: 0 })
}

/// Frees `*backoff` and sets it to NULL; NULL is a no-op.
///
/// # Safety
/// `backoff` is NULL or points to NULL or to a live policy no other thread uses.
#[no_mangle]
pub unsafe extern "C" fn weir_backoff_free(backoff: *mut *mut weir_backoff) {
    // SAFETY: forwarded from this function's contract.
    unsafe { drop_handle(backoff) }
}
