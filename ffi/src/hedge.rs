//! `weir_hedger`: hedged requests. When the first copy of a request is
//! slower than a quantile of recent latency, send another (to another node)
//! and take whichever answers first; each hedge spends one retry of the
//! hedger's retry budget. The caller sends, waits and cancels; the hedger
//! decides when and whether.

use crate::budget::{weir_retry_budget, weir_retry_budget_config};
use crate::handle::{drop_handle, entry, live, need, out, publish};
use crate::status::{config_error, guard, weir_status};
use std::ffi::c_char;
use std::sync::Arc;
use weir_core::hedge::{HedgeAsk, HedgeConfig, HedgeDecision};
use weir_core::quantile::QuantileConfig;
use weir_host::Hedger;

/// What to do about the next hedge.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum weir_hedge_action {
    /// Send it now (its retry is spent).
    Send = 0,
    /// Not yet: ask again at `due` if no answer came.
    Wait = 1,
    /// Send no more for this request; `reason` says why.
    Stop = 2,
}

/// Hedging settings; `weir_hedge_config_default` gives one hedge after the
/// recent p95, within [1 ms, 1 s], trusted from 20 samples of a 10 s window
/// in 4 sub-windows.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct weir_hedge_config {
    /// Which quantile of recent latency is the delay, in (0, 1].
    pub quantile: f64,
    /// Shortest delay, ns.
    pub floor_ns: u64,
    /// Longest delay, and the delay until `min_samples`, ns; >= `floor_ns`.
    pub ceiling_ns: u64,
    /// Hedges per request beyond the first copy, 1..=16.
    pub max_hedges: u64,
    /// Samples the window needs before its quantile is trusted.
    pub min_samples: u64,
    /// The latency window, ns (as `weir_quantiles_config`).
    pub window_ns: u64,
    /// Its sub-windows, 1..=4.
    pub sub_windows: u64,
}

/// What a caller knows of one request, for `weir_hedger_ask` (the hedger's
/// own estimator is not read).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct weir_hedge_ask {
    /// When the first copy was sent.
    pub started_at: u64,
    /// Hedges already sent.
    pub hedges_sent: u64,
    /// 1 when `quantile_ns` holds the estimate.
    pub has_quantile: u32,
    /// The configured quantile of recent latency.
    pub quantile_ns: u64,
    /// Samples behind it.
    pub samples: u64,
    /// What is left of the deadline, ns; `UINT64_MAX` for none.
    pub deadline_left_ns: u64,
}

impl From<&weir_hedge_ask> for HedgeAsk {
    fn from(a: &weir_hedge_ask) -> Self {
        Self {
            started_at: a.started_at,
            hedges_sent: a.hedges_sent,
            quantile_ns: (a.has_quantile != 0).then_some(a.quantile_ns),
            samples: a.samples,
            deadline_left: a.deadline_left_ns,
        }
    }
}

/// The answer about the next hedge.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct weir_hedge_decision {
    /// A `weir_hedge_action` value.
    pub action: u32,
    /// A `weir_reason`: admitted unless stopped.
    pub reason: u32,
    /// When the next hedge is due; `UINT64_MAX` once all are out.
    pub due: u64,
    /// The delay in force, ns.
    pub delay_ns: u64,
}

impl From<HedgeDecision> for weir_hedge_decision {
    fn from(d: HedgeDecision) -> Self {
        Self { action: d.action as u32, reason: d.reason as u32, due: d.due, delay_ns: d.delay }
    }
}

/// Counters of a hedger.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct weir_hedger_stats {
    /// Requests begun.
    pub requests: u64,
    /// Hedges sent.
    pub hedges: u64,
    /// Hedges the retry budget refused.
    pub refused_budget: u64,
    /// Hedges that could not start before the deadline.
    pub refused_deadline: u64,
}

/// A hedger. Thread-safe; only `_free` must not race.
pub struct weir_hedger {
    inner: Hedger,
}

impl weir_host::Clocked for weir_hedger {}

/// Writes the default config to `out`.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_hedge_config_default(out: *mut weir_hedge_config) -> weir_status {
    entry!(; out => {
        let (h, w) = (HedgeConfig::default(), QuantileConfig::default());
        out!(
            out,
            weir_hedge_config {
                quantile: h.quantile,
                floor_ns: h.floor_ns,
                ceiling_ns: h.ceiling_ns,
                max_hedges: h.max_hedges,
                min_samples: h.min_samples,
                window_ns: w.window_ns,
                sub_windows: w.sub_windows,
            }
        );
    })
}

impl weir_hedge_config {
    fn split(&self) -> (HedgeConfig, QuantileConfig) {
        let hedge = HedgeConfig {
            quantile: self.quantile,
            floor_ns: self.floor_ns,
            ceiling_ns: self.ceiling_ns,
            max_hedges: self.max_hedges,
            min_samples: self.min_samples,
        };
        (hedge, QuantileConfig { window_ns: self.window_ns, sub_windows: self.sub_windows })
    }
}

/// Makes a hedger with an empty latency window and a budget of its own.
///
/// # Safety
/// `config` and `budget` are NULL or readable; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_hedger_new(
    config: *const weir_hedge_config,
    budget: *const weir_retry_budget_config,
    out: *mut *mut weir_hedger,
) -> weir_status {
    guard(|| {
        let (config, budget) = (live!(config), live!(budget));
        need!(out);
        let (hedge, window) = config.split();
        match Hedger::new(hedge, budget.into(), window) {
            // SAFETY: `out` checked non-NULL; writable per the contract.
            Ok(inner) => unsafe { publish(out, weir_hedger { inner }) },
            Err(e) => config_error(e),
        }
    })
}

/// Makes a hedger with an empty latency window whose hedges spend `budget`,
/// the budget the same operation's retries (`weir_retry`) spend, so hedges
/// and retries are bounded together. The hedger holds the budget:
/// `weir_retry_budget_free` may come first. `weir_hedger_begin` deposits
/// the request in that budget; do not deposit it again.
///
/// # Safety
/// `config` is NULL or readable; `budget` is NULL or live; `out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn weir_hedger_new_with_budget(
    config: *const weir_hedge_config,
    budget: *const weir_retry_budget,
    out: *mut *mut weir_hedger,
) -> weir_status {
    guard(|| {
        let (config, budget) = (live!(config), live!(budget));
        need!(out);
        let (hedge, window) = config.split();
        match Hedger::with_budget(hedge, Arc::clone(&budget.inner), window) {
            // SAFETY: `out` checked non-NULL; writable per the contract.
            Ok(inner) => unsafe { publish(out, weir_hedger { inner }) },
            Err(e) => config_error(e),
        }
    })
}

/// Begins a request at `now`: one deposit in the budget. Writes its start
/// (`now`) to `started_at`.
///
/// # Safety
/// `hedger` is NULL or live; `started_at` is NULL or writable.
// twin weir_hedger_begin_now: `weir_hedger_begin` at `weir_now()`.
#[no_mangle]
pub unsafe extern "C" fn weir_hedger_begin(hedger: *const weir_hedger, now: u64, started_at: *mut u64) -> weir_status {
    entry!(hedger => started_at = hedger.inner.begin_at(now))
}

/// `weir_hedger_begin` at `weir_now()`.
///
/// # Safety
/// As `weir_hedger_begin`.
// Written by ffi/twins from the `// twin` mark above; edit that, not this.
#[no_mangle]
pub unsafe extern "C" fn weir_hedger_begin_now(hedger: *const weir_hedger, started_at: *mut u64) -> weir_status {
    entry!(let now = crate::handle::now_of::<weir_hedger>(); hedger => started_at = hedger.inner.begin_at(now))
}

/// Decides the next hedge of a request begun at `started_at` that has sent
/// `hedges_sent` hedges, reading the hedger's recent latency; a `send`
/// has spent its retry.
///
/// # Safety
/// `hedger` is NULL or live; `out` is NULL or writable.
// twin weir_hedger_next_now: `weir_hedger_next` at `weir_now()`.
#[no_mangle]
pub unsafe extern "C" fn weir_hedger_next(
    hedger: *const weir_hedger,
    now: u64,
    started_at: u64,
    hedges_sent: u64,
    deadline_left_ns: u64,
    out: *mut weir_hedge_decision,
) -> weir_status {
    entry!(hedger => out = hedger.inner.next_at(now, started_at, hedges_sent, deadline_left_ns).into())
}

/// `weir_hedger_next` at `weir_now()`.
///
/// # Safety
/// As `weir_hedger_next`.
// Written by ffi/twins from the `// twin` mark above; edit that, not this.
#[no_mangle]
pub unsafe extern "C" fn weir_hedger_next_now(
    hedger: *const weir_hedger,
    started_at: u64,
    hedges_sent: u64,
    deadline_left_ns: u64,
    out: *mut weir_hedge_decision,
) -> weir_status {
    entry!(let now = crate::handle::now_of::<weir_hedger>();
        hedger => out = hedger.inner.next_at(now, started_at, hedges_sent, deadline_left_ns).into())
}

/// The decision for an ask the caller filled in; with `spend` non-zero a
/// `send` spends the budget, with 0 the budget is not asked (`send` then
/// only means due).
///
/// # Safety
/// `hedger` is NULL or live; `ask` is NULL or readable; `out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn weir_hedger_ask(
    hedger: *const weir_hedger,
    now: u64,
    ask: *const weir_hedge_ask,
    spend: bool,
    out: *mut weir_hedge_decision,
) -> weir_status {
    guard(|| {
        let (hedger, ask) = (live!(hedger), live!(ask));
        need!(out);
        let ask = HedgeAsk::from(ask);
        let d = if spend { hedger.inner.ask_at(now, &ask) } else { hedger.inner.plan_at(now, &ask) };
        out!(out, d.into());
        weir_status::Ok
    })
}

/// Counts one original request in the budget at `now` without beginning it.
///
/// # Safety
/// `hedger` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn weir_hedger_deposit(hedger: *const weir_hedger, now: u64) -> weir_status {
    entry!(hedger => hedger.inner.deposit_at(now))
}

/// Records the latency of a request's answer (the winning copy's) at `now`.
///
/// # Safety
/// `hedger` is NULL or live.
// twin weir_hedger_record_now: `weir_hedger_record` at `weir_now()`.
#[no_mangle]
pub unsafe extern "C" fn weir_hedger_record(hedger: *const weir_hedger, now: u64, latency_ns: u64) -> weir_status {
    entry!(hedger => hedger.inner.record_at(now, latency_ns))
}

/// `weir_hedger_record` at `weir_now()`.
///
/// # Safety
/// As `weir_hedger_record`.
// Written by ffi/twins from the `// twin` mark above; edit that, not this.
#[no_mangle]
pub unsafe extern "C" fn weir_hedger_record_now(hedger: *const weir_hedger, latency_ns: u64) -> weir_status {
    entry!(let now = crate::handle::now_of::<weir_hedger>(); hedger => hedger.inner.record_at(now, latency_ns))
}

/// The budget window's `requests` and `retries` (hedges among them) at `now`.
///
/// # Safety
/// `hedger` is NULL or live; `requests` and `retries` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_hedger_budget(
    hedger: *const weir_hedger,
    now: u64,
    requests: *mut u64,
    retries: *mut u64,
) -> weir_status {
    entry!(hedger; requests => retries = {
        let (r, t) = hedger.inner.budget_at(now);
        out!(requests, r);
        t
    })
}

/// The counters so far.
///
/// # Safety
/// `hedger` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_hedger_snapshot(hedger: *const weir_hedger, out: *mut weir_hedger_stats) -> weir_status {
    entry!(hedger; out => {
        let s = hedger.inner.stats();
        out!(
            out,
            weir_hedger_stats {
                requests: s.requests,
                hedges: s.hedges,
                refused_budget: s.refused_budget,
                refused_deadline: s.refused_deadline
            }
        );
    })
}

/// `"send"`, `"wait"` or `"stop"` (static); `""` for an unknown value.
#[no_mangle]
pub extern "C" fn weir_hedge_action_str(action: u32) -> *const c_char {
    match action {
        0 => c"send".as_ptr(),
        1 => c"wait".as_ptr(),
        2 => c"stop".as_ptr(),
        _ => c"".as_ptr(),
    }
}

/// Frees `*hedger` and sets it to NULL; NULL is a no-op.
///
/// # Safety
/// `hedger` is NULL or points to NULL or to a live hedger no other thread uses.
#[no_mangle]
pub unsafe extern "C" fn weir_hedger_free(hedger: *mut *mut weir_hedger) {
    // SAFETY: forwarded from this function's contract.
    unsafe { drop_handle(hedger) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backoff::{weir_backoff, weir_backoff_config, weir_backoff_config_default, weir_backoff_free};
    use crate::backoff::{weir_backoff_new, weir_retry_decision};
    use crate::budget::{weir_retry, weir_retry_ask, weir_retry_budget_free, weir_retry_budget_new};
    use crate::weir_reason;
    use std::ptr::null_mut;

    const SECOND: u64 = 1_000_000_000;

    /// One retry per second and nothing by ratio: whoever spends first
    /// leaves nothing to the other.
    fn one_retry_budget() -> *mut weir_retry_budget {
        let config = weir_retry_budget_config { ratio: 0.0, min_per_second: 1, window_ns: SECOND, buckets: 1 };
        let mut budget = null_mut();
        // SAFETY: locals only.
        assert_eq!(unsafe { weir_retry_budget_new(&config, &mut budget) }, weir_status::Ok);
        budget
    }

    fn hedger_on(budget: *const weir_retry_budget) -> *mut weir_hedger {
        let mut config = weir_hedge_config {
            quantile: 0.0,
            floor_ns: 0,
            ceiling_ns: 0,
            max_hedges: 0,
            min_samples: 0,
            window_ns: 0,
            sub_windows: 0,
        };
        let mut hedger = null_mut();
        // SAFETY: locals and a live budget.
        unsafe {
            assert_eq!(weir_hedge_config_default(&mut config), weir_status::Ok);
            config.max_hedges = 2;
            // Hedges due every 100 ms, asked for at 500 ms.
            config.ceiling_ns = SECOND / 10;
            assert_eq!(weir_hedger_new_with_budget(&config, budget, &mut hedger), weir_status::Ok);
        }
        hedger
    }

    /// The next hedge of a request begun at 0, asked for once it is due.
    fn hedge(hedger: *const weir_hedger, hedges_sent: u64) -> weir_hedge_decision {
        let mut d = weir_hedge_decision::default();
        // SAFETY: a live hedger and locals.
        unsafe {
            let mut started = 0;
            assert_eq!(weir_hedger_begin(hedger, 0, &mut started), weir_status::Ok);
            assert_eq!(weir_hedger_next(hedger, SECOND / 2, started, hedges_sent, u64::MAX, &mut d), weir_status::Ok);
        }
        d
    }

    fn retry_on(budget: *const weir_retry_budget) -> weir_retry_decision {
        let mut config = std::mem::MaybeUninit::<weir_backoff_config>::uninit();
        let mut backoff: *mut weir_backoff = null_mut();
        let mut out = weir_retry_decision::default();
        let ask = weir_retry_ask { attempt: 1, deadline_left_ns: u64::MAX, ..Default::default() };
        // SAFETY: locals, written by `_default` before they are read, and live handles.
        unsafe {
            assert_eq!(weir_backoff_config_default(config.as_mut_ptr()), weir_status::Ok);
            assert_eq!(weir_backoff_new(config.as_ptr(), &mut backoff), weir_status::Ok);
            assert_eq!(weir_retry(backoff, budget, SECOND / 2, &ask, &mut out), weir_status::Ok);
            weir_backoff_free(&mut backoff);
        }
        out
    }

    #[test]
    fn a_hedge_and_a_retry_spend_one_budget() {
        let mut budget = one_retry_budget();
        let mut hedger = hedger_on(budget);
        let sent = hedge(hedger, 0);
        assert_eq!(sent.action, weir_hedge_action::Send as u32);
        let refused = retry_on(budget);
        assert_eq!(refused.decision.reason, weir_reason::BudgetExhausted as u32);
        // SAFETY: handles from their `_new`, freed once.
        unsafe {
            weir_hedger_free(&mut hedger);
            weir_retry_budget_free(&mut budget);
        }

        let mut budget = one_retry_budget();
        let mut hedger = hedger_on(budget);
        assert_eq!(retry_on(budget).decision.admitted, 1);
        let refused = hedge(hedger, 0);
        assert_eq!(refused.action, weir_hedge_action::Stop as u32);
        assert_eq!(refused.reason, weir_reason::BudgetExhausted as u32);
        // SAFETY: as above.
        unsafe {
            weir_hedger_free(&mut hedger);
            weir_retry_budget_free(&mut budget);
        }
    }

    #[test]
    fn the_hedger_outlives_its_budget_handle() {
        let mut budget = one_retry_budget();
        let mut hedger = hedger_on(budget);
        // SAFETY: the budget handle is freed once; the hedger holds its own reference.
        unsafe { weir_retry_budget_free(&mut budget) };
        assert!(budget.is_null());
        assert_eq!(hedge(hedger, 0).action, weir_hedge_action::Send as u32);
        assert_eq!(hedge(hedger, 1).reason, weir_reason::BudgetExhausted as u32);
        let (mut requests, mut retries) = (0, 0);
        // SAFETY: a live hedger and locals.
        unsafe {
            assert_eq!(weir_hedger_budget(hedger, SECOND / 2, &mut requests, &mut retries), weir_status::Ok);
            weir_hedger_free(&mut hedger);
        }
        assert_eq!((requests, retries), (2, 1));
    }

    #[test]
    fn a_null_budget_is_refused() {
        let mut config = std::mem::MaybeUninit::<weir_hedge_config>::uninit();
        let mut hedger = null_mut();
        // SAFETY: locals.
        unsafe {
            assert_eq!(weir_hedge_config_default(config.as_mut_ptr()), weir_status::Ok);
            let status = weir_hedger_new_with_budget(config.as_ptr(), std::ptr::null(), &mut hedger);
            assert_eq!(status, weir_status::NullArgument);
        }
        assert!(hedger.is_null());
    }
}
