//! `weir_retry_budget`: retries capped at a ratio of requests over a rolling
//! window plus a per-second floor; and `weir_retry`, which puts backoff,
//! deadline and budget together into one answer.

use crate::backoff::{advice, weir_backoff, weir_retry_decision};
use crate::decision::weir_decision;
use crate::handle::{drop_handle, entry, live, need, now_of, out, publish};
use crate::status::{config_error, guard, weir_status};
use std::sync::Arc;
use weir_core::budget::{retry, AtomicRetryBudget, RetryAsk, RetryBudgetConfig, Unbudgeted};

/// Retry budget settings; `weir_retry_budget_config_default` gives 10 %,
/// 10 retries per second floor, a 10 s window of 10 buckets.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct weir_retry_budget_config {
    /// Retries allowed per request, in [0, 1000] (0.1 = 10 %).
    pub ratio: f64,
    /// Retries allowed per second of window regardless of traffic.
    pub min_per_second: u64,
    /// Rolling window, ns, >= buckets.
    pub window_ns: u64,
    /// Buckets in the window, 1..=64.
    pub buckets: u64,
}

impl From<&weir_retry_budget_config> for RetryBudgetConfig {
    fn from(c: &weir_retry_budget_config) -> Self {
        Self { ratio: c.ratio, min_per_second: c.min_per_second, window_ns: c.window_ns, buckets: c.buckets }
    }
}

/// Everything known when a call has just failed, for `weir_retry`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct weir_retry_ask {
    /// The attempt that failed: 1 for the first call.
    pub attempt: u32,
    /// Non-zero when `advised_ns` holds the server's advised delay.
    pub has_advised: u32,
    /// A uniform random u64 for the jitter (`weir_draw()`).
    pub draw: u64,
    /// The delay before the attempt that failed (0 after the first call).
    pub previous_delay_ns: u64,
    /// The server's advised delay (Retry-After, pushback), if `has_advised`.
    pub advised_ns: u64,
    /// What is left of the caller's deadline, ns; `UINT64_MAX` for none.
    pub deadline_left_ns: u64,
    /// Non-zero when the failed call's answer was final: a layer below
    /// already decided against a retry (`x-weir-no-retry: 1`, a negative
    /// `grpc-retry-pushback-ms`). Refused as `WEIR_REASON_NOT_RETRYABLE`
    /// before anything else, spending no budget.
    pub no_retry: u32,
}

/// A retry budget. Thread-safe (lock-free: one CAS per deposit or admitted
/// withdraw); only `_free` must not race. Hedgers made with
/// `weir_hedger_new_with_budget` hold the budget too, so it lives until
/// the last of the handle and those hedgers is freed.
pub struct weir_retry_budget {
    pub(crate) inner: Arc<AtomicRetryBudget>,
    pub(crate) events: crate::events::weir_events,
}

impl weir_host::Clocked for weir_retry_budget {}

/// Writes the default config to `out`.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_retry_budget_config_default(out: *mut weir_retry_budget_config) -> weir_status {
    entry!(; out => {
        let d = RetryBudgetConfig::default();
        out!(
            out,
            weir_retry_budget_config {
                ratio: d.ratio,
                min_per_second: d.min_per_second,
                window_ns: d.window_ns,
                buckets: d.buckets
            }
        );
    })
}

/// Makes an empty budget (the floor is available at once).
///
/// # Safety
/// `config` is NULL or readable; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_retry_budget_new(
    config: *const weir_retry_budget_config,
    out: *mut *mut weir_retry_budget,
) -> weir_status {
    entry!(config; out => {
        let config: RetryBudgetConfig = config.into();
        let events = crate::events::weir_events(weir_host::Events::budget(&config));
        match AtomicRetryBudget::new(config) {
            // SAFETY: `out` checked non-NULL; writable per the contract.
            Ok(inner) => unsafe { publish(out, weir_retry_budget { inner: Arc::new(inner), events }) },
            Err(e) => config_error(e),
        }
    })
}

/// Counts one original request (not a retry) at `now`.
///
/// # Safety
/// `budget` is NULL or live.
// twin weir_retry_budget_deposit_now: `weir_retry_budget_deposit` at `weir_now()`.
#[no_mangle]
pub unsafe extern "C" fn weir_retry_budget_deposit(budget: *const weir_retry_budget, now: u64) -> weir_status {
    entry!(budget => budget.inner.deposit(now))
}

/// `weir_retry_budget_deposit` at `weir_now()`.
///
/// # Safety
/// As `weir_retry_budget_deposit`.
// Written by ffi/twins from the `// twin` mark above; edit that, not this.
#[no_mangle]
pub unsafe extern "C" fn weir_retry_budget_deposit_now(budget: *const weir_retry_budget) -> weir_status {
    entry!(let now = crate::handle::now_of::<weir_retry_budget>(); budget => budget.inner.deposit(now))
}

/// Asks to retry after `delay_ns` with `deadline_left_ns` of the caller's
/// deadline left (`UINT64_MAX` for none). Admitted retries are counted;
/// `remaining` is the retries still allowed.
///
/// # Safety
/// `budget` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_retry_budget_withdraw(
    budget: *const weir_retry_budget,
    now: u64,
    delay_ns: u64,
    deadline_left_ns: u64,
    out: *mut weir_decision,
) -> weir_status {
    entry!(budget => out = {
        let d = budget.inner.withdraw(now, delay_ns, deadline_left_ns);
        budget.events.observe(now, &d);
        d.into()
    })
}

/// The window's `requests` and `retries` at `now`.
///
/// # Safety
/// `budget` is NULL or live; `requests` and `retries` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_retry_budget_snapshot(
    budget: *const weir_retry_budget,
    now: u64,
    requests: *mut u64,
    retries: *mut u64,
) -> weir_status {
    entry!(budget; requests => retries = {
        let (req, ret) = budget.inner.snapshot(now);
        out!(requests, req);
        ret
    })
}

/// Frees `*budget` and sets it to NULL; NULL is a no-op. Hedgers sharing
/// the budget keep spending it: it is released with the last of them.
///
/// # Safety
/// `budget` is NULL or points to NULL or to a live budget no other thread uses.
#[no_mangle]
pub unsafe extern "C" fn weir_retry_budget_free(budget: *mut *mut weir_retry_budget) {
    // SAFETY: forwarded from this function's contract.
    unsafe { drop_handle(budget) }
}

/// Decides a retry at `now`: a final answer (`no_retry`) and the attempt
/// limit first, then the backoff delay against the deadline, and only then
/// the budget, so a retry that could never happen does not spend it. A
/// NULL `budget` means the policy has no shared budget: only the attempt
/// limit and the deadline can refuse.
///
/// # Safety
/// `backoff` and `budget` are NULL or live; `ask` is NULL or readable;
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_retry(
    backoff: *const weir_backoff,
    budget: *const weir_retry_budget,
    now: u64,
    ask: *const weir_retry_ask,
    out: *mut weir_retry_decision,
) -> weir_status {
    guard(|| {
        let (backoff, ask) = (live!(backoff), live!(ask));
        // SAFETY: `budget` is NULL or live, per this function's contract.
        let budget = unsafe { budget.as_ref() };
        need!(out);
        let ask = RetryAsk {
            attempt: ask.attempt,
            draw: ask.draw,
            previous_delay: ask.previous_delay_ns,
            advised: advice(ask.has_advised != 0, ask.advised_ns),
            deadline_left: ask.deadline_left_ns,
            no_retry: ask.no_retry != 0,
        };
        let answer = match budget {
            Some(budget) => {
                let answer = retry(now, &backoff.inner, &*budget.inner, &ask);
                budget.events.observe(now, &answer.decision);
                answer
            }
            None => retry(now, &backoff.inner, &Unbudgeted, &ask),
        };
        out!(out, weir_retry_decision { decision: answer.decision.into(), delay_ns: answer.delay });
        weir_status::Ok
    })
}

/// `weir_retry` at `weir_now()` with `weir_draw()` (the ask's `draw` is
/// ignored).
///
/// # Safety
/// As `weir_retry`.
#[no_mangle]
pub unsafe extern "C" fn weir_retry_now(
    backoff: *const weir_backoff,
    budget: *const weir_retry_budget,
    ask: *const weir_retry_ask,
    out: *mut weir_retry_decision,
) -> weir_status {
    guard(|| {
        let mut drawn = *live!(ask);
        drawn.draw = weir_host::draw();
        // SAFETY: forwarded from this function's contract; `drawn` is a
        // local copy of the caller's ask.
        unsafe { weir_retry(backoff, budget, now_of::<weir_retry_budget>(), &drawn, out) }
    })
}
