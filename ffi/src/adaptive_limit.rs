//! `weir_adaptive_limit`: a concurrency limit learned from latency alone
//! (Gradient2, Vegas, AIMD) over weir-host's `AdaptiveLimiter`: the
//! per-algorithm defaults, the RTT measured from the permit and the
//! decision counters live there; this file only marshals.

use crate::decision::weir_decision;
use crate::handle::{drop_handle, entry, live, need, now_of, out, publish};
use crate::status::{config_error, guard, invalid_argument, weir_status};
use weir_core::adaptive_limit::Permit;
use weir_host::{AdaptiveLimitSettings, AdaptiveLimiter, AlgorithmKind, Outcome};

/// How the limit is learned.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum weir_adaptive_algorithm {
    /// Netflix's Gradient2 (the default): long-term RTT against each sample.
    Gradient2 = 0,
    /// TCP Vegas: the queue implied by the no-load RTT.
    Vegas = 1,
    /// Additive increase, multiplicative decrease on drops and timeouts.
    Aimd = 2,
}

/// How an admitted request ended.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum weir_adaptive_outcome {
    /// It completed; its RTT is a sample.
    Success = 0,
    /// Timed out or refused downstream for overload; Vegas and AIMD shrink.
    Dropped = 1,
    /// It says nothing about capacity (cancelled): only its slot is freed.
    Ignored = 2,
}

/// Every setting of every algorithm; only the chosen algorithm's fields are
/// read. `weir_adaptive_limit_config_default(algorithm, &c)` fills each
/// field with that algorithm's defaults (Netflix's).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct weir_adaptive_limit_config {
    /// A `weir_adaptive_algorithm` value.
    pub algorithm: u32,
    /// The limit before any sample, in [min_limit, max_limit].
    pub initial_limit: u64,
    /// The limit never goes below this, >= 1.
    pub min_limit: u64,
    /// The limit never goes above this, in [min_limit, 1000000].
    pub max_limit: u64,
    /// Gradient2 and Vegas: share of each new estimate, in (0, 1].
    pub smoothing: f64,
    /// Gradient2: how much slower than the long-term RTT a sample may be, >= 1.
    pub rtt_tolerance: f64,
    /// Gradient2: samples the long-term RTT averages over, >= 1.
    pub long_window: u64,
    /// Gradient2: growth allowed per sample while latency holds.
    pub queue_size: u64,
    /// Vegas: below `alpha x log10(limit)` queued the limit grows, >= 1.
    pub alpha: u64,
    /// Vegas: above `beta x log10(limit)` queued it shrinks, >= alpha.
    pub beta: u64,
    /// Vegas: the no-load RTT is re-taken every `probe_multiplier x limit` samples.
    pub probe_multiplier: u64,
    /// AIMD: the limit's factor on a drop, in [0.5, 1).
    pub backoff_ratio: f64,
    /// AIMD: a sample slower than this, ns, counts as a drop.
    pub timeout_ns: u64,
}

impl From<AdaptiveLimitSettings> for weir_adaptive_limit_config {
    fn from(s: AdaptiveLimitSettings) -> Self {
        Self {
            algorithm: s.algorithm as u32,
            initial_limit: s.initial_limit,
            min_limit: s.min_limit,
            max_limit: s.max_limit,
            smoothing: s.smoothing,
            rtt_tolerance: s.rtt_tolerance,
            long_window: s.long_window,
            queue_size: s.queue_size,
            alpha: s.alpha,
            beta: s.beta,
            probe_multiplier: s.probe_multiplier,
            backoff_ratio: s.backoff_ratio,
            timeout_ns: s.timeout_ns,
        }
    }
}

impl weir_adaptive_limit_config {
    fn settings(&self) -> Option<AdaptiveLimitSettings> {
        Some(AdaptiveLimitSettings {
            algorithm: AlgorithmKind::from_code(self.algorithm)?,
            initial_limit: self.initial_limit,
            min_limit: self.min_limit,
            max_limit: self.max_limit,
            smoothing: self.smoothing,
            rtt_tolerance: self.rtt_tolerance,
            long_window: self.long_window,
            queue_size: self.queue_size,
            alpha: self.alpha,
            beta: self.beta,
            probe_multiplier: self.probe_multiplier,
            backoff_ratio: self.backoff_ratio,
            timeout_ns: self.timeout_ns,
        })
    }
}

/// Held by an admitted request until `weir_adaptive_limit_release`.
/// Release each permit once: a second release frees another request's slot.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct weir_adaptive_permit {
    /// Requests in flight once this one was admitted, itself included.
    pub in_flight: u32,
    /// When it was admitted (the `now` of the acquire), ns.
    pub started_at: u64,
}

/// What the limit has learned, and the decisions so far.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct weir_adaptive_limit_stats {
    /// The limit in force.
    pub limit: u64,
    /// Requests admitted and not yet released.
    pub in_flight: u64,
    /// The fractional estimate behind the limit.
    pub estimate: f64,
    /// Gradient2's long-term RTT or Vegas's no-load RTT, ns (0 before any
    /// sample and with AIMD).
    pub baseline_rtt_ns: f64,
    /// Requests admitted so far.
    pub admitted: u64,
    /// Requests refused at the limit so far.
    pub refused: u64,
}

/// An adaptive concurrency limit. Thread-safe (compare-exchange on a few
/// words); only `_free` must not race.
pub struct weir_adaptive_limit {
    inner: AdaptiveLimiter,
}

impl weir_host::Clocked for weir_adaptive_limit {}

/// Writes `algorithm`'s defaults to `out` (Gradient2 and AIMD: limit 20 in
/// [20, 200]; Vegas: 20 in [1, 1000]). An unknown algorithm is
/// `WEIR_STATUS_INVALID_ARGUMENT`.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_adaptive_limit_config_default(
    algorithm: u32,
    out: *mut weir_adaptive_limit_config,
) -> weir_status {
    entry!(=> out = {
        let Some(kind) = AlgorithmKind::from_code(algorithm) else {
            return invalid_argument(&format!(
                "algorithm must be 0 (gradient2), 1 (vegas) or 2 (aimd), got {algorithm}"
            ));
        };
        AdaptiveLimitSettings::defaults(kind).into()
    })
}

/// Makes a limit at `initial_limit`. On `WEIR_STATUS_INVALID_CONFIG` the
/// last error names the field and rule; an unknown `algorithm` is
/// `WEIR_STATUS_INVALID_ARGUMENT`.
///
/// # Safety
/// `config` is NULL or readable; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_adaptive_limit_new(
    config: *const weir_adaptive_limit_config,
    out: *mut *mut weir_adaptive_limit,
) -> weir_status {
    entry!(config; out => {
        let Some(settings) = config.settings() else {
            let got = config.algorithm;
            return invalid_argument(&format!("algorithm must be 0 (gradient2), 1 (vegas) or 2 (aimd), got {got}"));
        };
        match AdaptiveLimiter::new(settings) {
            // SAFETY: `out` checked non-NULL; writable per the contract.
            Ok(inner) => unsafe { publish(out, weir_adaptive_limit { inner }) },
            Err(e) => config_error(e),
        }
    })
}

fn acquire(
    l: &weir_adaptive_limit,
    now: u64,
    out: *mut weir_decision,
    permit: *mut weir_adaptive_permit,
) -> weir_status {
    let a = l.inner.acquire_at(now);
    out!(out, a.decision.into());
    let p = a.permit.map_or(weir_adaptive_permit::default(), |p| weir_adaptive_permit {
        in_flight: p.permit.in_flight,
        started_at: p.started_at,
    });
    out!(permit, p);
    weir_status::Ok
}

/// Takes a slot if fewer than the limit are in flight (`out->admitted`);
/// refused, the reason is `WEIR_REASON_CONCURRENCY_LIMITED`. `now` is only
/// remembered in the permit, for `weir_adaptive_limit_release_now`.
///
/// # Safety
/// `limit` is NULL or live; `out` and `permit` are NULL or writable.
// twin weir_adaptive_limit_acquire_now: `weir_adaptive_limit_acquire` at `weir_now()`.
#[no_mangle]
pub unsafe extern "C" fn weir_adaptive_limit_acquire(
    limit: *const weir_adaptive_limit,
    now: u64,
    out: *mut weir_decision,
    permit: *mut weir_adaptive_permit,
) -> weir_status {
    entry!(limit; out, permit => acquire(limit, now, out, permit))
}

/// `weir_adaptive_limit_acquire` at `weir_now()`.
///
/// # Safety
/// As `weir_adaptive_limit_acquire`.
// Written by ffi/twins from the `// twin` mark above; edit that, not this.
#[no_mangle]
pub unsafe extern "C" fn weir_adaptive_limit_acquire_now(
    limit: *const weir_adaptive_limit,
    out: *mut weir_decision,
    permit: *mut weir_adaptive_permit,
) -> weir_status {
    entry!(let now = crate::handle::now_of::<weir_adaptive_limit>();
        limit; out, permit => acquire(limit, now, out, permit))
}

fn outcome(code: u32) -> Option<Outcome> {
    match code {
        0 => Some(Outcome::Success),
        1 => Some(Outcome::Dropped),
        2 => Some(Outcome::Ignored),
        _ => None,
    }
}

fn release(l: &weir_adaptive_limit, p: &weir_adaptive_permit, rtt: u64, code: u32, new_limit: *mut u64) -> weir_status {
    let Some(outcome) = outcome(code) else {
        return invalid_argument(&format!("outcome must be 0 (success), 1 (dropped) or 2 (ignored), got {code}"));
    };
    let limit = l.inner.release_rtt(Permit { in_flight: p.in_flight }, rtt, outcome);
    if !new_limit.is_null() {
        out!(new_limit, limit);
    }
    weir_status::Ok
}

/// Ends the request of `permit`, which took `rtt_ns` and ended as
/// `outcome` (a `weir_adaptive_outcome`); `*new_limit` (NULL: not wanted)
/// is the limit now in force.
///
/// # Safety
/// `limit` is NULL or live; `permit` is NULL or readable; `new_limit` is
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_adaptive_limit_release(
    limit: *const weir_adaptive_limit,
    permit: *const weir_adaptive_permit,
    rtt_ns: u64,
    outcome: u32,
    new_limit: *mut u64,
) -> weir_status {
    entry!(limit, permit => release(limit, permit, rtt_ns, outcome, new_limit))
}

/// `weir_adaptive_limit_release` with the RTT measured now: the time since
/// `permit->started_at` on `weir_now()`.
///
/// # Safety
/// As `weir_adaptive_limit_release`.
#[no_mangle]
pub unsafe extern "C" fn weir_adaptive_limit_release_now(
    limit: *const weir_adaptive_limit,
    permit: *const weir_adaptive_permit,
    outcome: u32,
    new_limit: *mut u64,
) -> weir_status {
    entry!(limit, permit => {
        let rtt = now_of::<weir_adaptive_limit>().saturating_sub(permit.started_at);
        release(limit, permit, rtt, outcome, new_limit)
    })
}

/// The limit, what is in flight, what the algorithm learned, the decisions.
///
/// # Safety
/// `limit` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_adaptive_limit_snapshot(
    limit: *const weir_adaptive_limit,
    out: *mut weir_adaptive_limit_stats,
) -> weir_status {
    guard(|| {
        let l = live!(limit);
        need!(out);
        let s = l.inner.stats();
        out!(
            out,
            weir_adaptive_limit_stats {
                limit: s.limit.limit,
                in_flight: s.limit.in_flight,
                estimate: s.limit.estimate,
                baseline_rtt_ns: s.limit.baseline_rtt_ns,
                admitted: s.admitted,
                refused: s.refused,
            }
        );
        weir_status::Ok
    })
}

/// Frees `*limit` and sets it to NULL; NULL is a no-op.
///
/// # Safety
/// `limit` is NULL or points to NULL or to a live limit no other thread is
/// using.
#[no_mangle]
pub unsafe extern "C" fn weir_adaptive_limit_free(limit: *mut *mut weir_adaptive_limit) {
    // SAFETY: forwarded from this function's contract.
    unsafe { drop_handle(limit) }
}
