//! Backoff, the shared retry budget, and the retry decision over both.

use std::sync::Arc;
use weir_core::backoff::{parse_retry_after, Backoff, BackoffConfig, Jitter};
use weir_core::budget::{retry, AtomicRetryBudget, RetryAsk, RetryBudgetConfig, Unbudgeted};
use weir_core::ConfigError;

use crate::errors::created;
use crate::events::{observe, Watched};
use crate::fast;
use crate::fast::{first_arg, string_bytes, Callback};
use crate::scratch::Scratch;
use crate::table::Table;

pub static BACKOFFS: Table<Backoff> = Table::new();
/// Each budget behind an `Arc` of its own, so a hedger made on it holds it
/// past the JS budget's release.
pub static BUDGETS: Table<Watched<Arc<AtomicRetryBudget>>> = Table::new();

fn backoff(s: Scratch) -> Result<Backoff, ConfigError> {
    let jitter = Jitter::from_code(s.f(4) as u8).unwrap_or(Jitter::Full);
    Backoff::new(BackoffConfig {
        base_ns: s.u(1),
        cap_ns: s.u(2),
        multiplier: s.f(3),
        jitter,
        max_attempts: u32::try_from(s.u(5)).unwrap_or(u32::MAX),
        advised_cap_ns: s.u(6),
    })
}

fast!(backoff_new, |s: Scratch| created(s, &BACKOFFS, backoff(s)));

fn draw(s: Scratch, slot: usize) -> u64 {
    if s.exact() {
        s.u(slot)
    } else {
        weir_host::draw()
    }
}

fn attempt(s: Scratch, slot: usize) -> u32 {
    u32::try_from(s.int(slot)).unwrap_or(u32::MAX)
}

fn advised(s: Scratch) -> Option<u64> {
    (s.f(5) != 0.0).then(|| s.int(6))
}

// In: handle, retry 2, [draw] 3, previous 4. Out: slot 1 the delay.
fast!(backoff_delay, |s: Scratch| if let Some(b) = BACKOFFS.get(s.handle()) {
    s.out(1, b.delay(attempt(s, 2), draw(s, 3), s.int(4)));
});

// In: handle, attempt 2, [draw] 3, previous 4, has advice 5, advice 6.
// Out: slot 1 reason code, 2 delay.
fast!(backoff_next, |s: Scratch| if let Some(b) = BACKOFFS.get(s.handle()) {
    match b.next(attempt(s, 2), draw(s, 3), s.int(4), advised(s)) {
        Ok(delay) => {
            s.set_f(1, 0.0);
            s.out(2, delay);
        }
        Err(reason) => {
            s.set_f(1, reason as u8 as f64);
            s.out(2, 0);
        }
    }
});

fn budget(s: Scratch) -> Result<Watched<Arc<AtomicRetryBudget>>, ConfigError> {
    let config = RetryBudgetConfig { ratio: s.f(1), min_per_second: s.u(2), window_ns: s.u(3), buckets: s.u(4) };
    Ok(Watched::new(Arc::new(AtomicRetryBudget::new(config)?), weir_host::Events::budget(&config)))
}

fast!(budget_new, |s: Scratch| created(s, &BUDGETS, budget(s)));

// In: handle, [now], count 2.
fast!(budget_deposit, |s: Scratch| if let Some(b) = BUDGETS.get(s.handle()) {
    let now = s.now(1);
    for _ in 0..s.int(2) {
        b.deposit(now);
    }
});

// One original request: the hot path of `retry`, with no other input.
fast!(budget_deposit_one, |s: Scratch| if let Some(b) = BUDGETS.get(s.handle()) {
    b.deposit(weir_host::monotonic_now());
});

// In: handle, [now], delay 2, deadline left 3. Out: a decision.
fast!(budget_withdraw, |s: Scratch| if let Some(b) = BUDGETS.get(s.handle()) {
    let now = s.now(1);
    let d = b.withdraw(now, s.int(2), s.int(3));
    observe(s, &b.events, now, &d);
    s.decision(&d);
});

// In: handle, [now]. Out: slot 1 requests, 2 retries.
fast!(budget_snapshot, |s: Scratch| if let Some(b) = BUDGETS.get(s.handle()) {
    let (requests, retries) = b.snapshot(s.now(1));
    s.out(1, requests);
    s.out(2, retries);
});

// In: handle (the budget, or -1 for none), backoff handle 8, [now] 1,
// attempt 2, [draw] 3, previous 4, has advice 5, advice 6, deadline left 7,
// final answer from below (no retry) 9.
// Out: a decision and in slot 5 the delay.
fast!(retry_decide, |s: Scratch| {
    let bo = s.f(8);
    let Some(backoff) = (if bo >= 0.0 { BACKOFFS.get(bo as usize) } else { None }) else {
        return s.bad_handle();
    };
    let ask = RetryAsk {
        attempt: attempt(s, 2),
        draw: draw(s, 3),
        previous_delay: s.int(4),
        advised: advised(s),
        deadline_left: s.int(7),
        no_retry: s.f(9) != 0.0,
    };
    let r = if s.f(0) < 0.0 {
        retry(s.now(1), backoff, &Unbudgeted, &ask)
    } else if let Some(budget) = BUDGETS.get(s.handle()) {
        let now = s.now(1);
        let r = retry(now, backoff, &*budget.inner, &ask);
        observe(s, &budget.events, now, &r.decision);
        r
    } else {
        return s.bad_handle();
    };
    s.decision(&r.decision);
    s.out(5, r.delay);
});

/// `parseRetryAfter(value)`; in: now in Unix seconds (slot 2). Out: slot 1
/// 0 or a HeaderError code, slot 2 the delay in ns.
unsafe extern "C" fn retry_after_parse(
    env: napi::sys::napi_env,
    info: napi::sys::napi_callback_info,
) -> napi::sys::napi_value {
    // SAFETY: napi calls this entry point on the JS thread with a live env and callback info, the only handles the body passes on.
    unsafe {
        let value = first_arg(env, info).and_then(|v| string_bytes(env, v));
        fast::run(|s: Scratch| match value.as_deref().map(|v| parse_retry_after(v, s.int(2))) {
            Some(Ok(ns)) => {
                s.set_f(1, 0.0);
                s.out(2, ns);
            }
            Some(Err(e)) => s.set_f(1, e as u8 as f64),
            None => s.bad_handle(),
        });
        std::ptr::null_mut()
    }
}

pub const FNS: &[(&str, Callback)] = &[
    ("backoffNew", backoff_new),
    ("backoffDelay", backoff_delay),
    ("backoffNext", backoff_next),
    ("budgetNew", budget_new),
    ("budgetDeposit", budget_deposit),
    ("budgetDepositOne", budget_deposit_one),
    ("budgetWithdraw", budget_withdraw),
    ("budgetSnapshot", budget_snapshot),
    ("retryDecide", retry_decide),
    ("retryAfterParse", retry_after_parse),
];
