//! Backoff, the shared retry budget, and the retry decision over both.

use std::sync::Arc;
use weir_core::backoff::{parse_retry_after, Backoff, BackoffConfig, Jitter};
use weir_core::budget::{retry, AtomicRetryBudget, RetryAsk, RetryBudgetConfig, Unbudgeted};
use weir_core::ConfigError;

use crate::deadline::parsed;
use crate::errors::created;
use crate::events::{observe, Watched};
use crate::fast;
use crate::fast::Callback;
use crate::fast_arg;
use crate::layout::{backoff_new, budget_call, budget_new, call, header, retry_ask, retry_delay};
use crate::scratch::Scratch;
use crate::table::Table;

pub static BACKOFFS: Table<Backoff> = Table::new();
/// Each budget behind an `Arc` of its own, so a hedger made on it holds it
/// past the JS budget's release.
pub static BUDGETS: Table<Watched<Arc<AtomicRetryBudget>>> = Table::new();

fn backoff(s: Scratch) -> Result<Backoff, ConfigError> {
    use backoff_new::*;
    let jitter = Jitter::from_code(s.f(JITTER) as u8).unwrap_or(Jitter::Full);
    Backoff::new(BackoffConfig {
        base_ns: s.u(BASE),
        cap_ns: s.u(CAP),
        multiplier: s.f(MULTIPLIER),
        jitter,
        max_attempts: u32::try_from(s.u(MAX_ATTEMPTS)).unwrap_or(u32::MAX),
        advised_cap_ns: s.u(ADVISED_CAP),
    })
}

fast!(backoff_new, |s: Scratch| created(s, &BACKOFFS, backoff(s)));

fn draw(s: Scratch) -> u64 {
    if s.exact() {
        s.u(retry_ask::DRAW)
    } else {
        weir_host::draw()
    }
}

fn attempt(s: Scratch) -> u32 {
    u32::try_from(s.int(retry_ask::ATTEMPT)).unwrap_or(u32::MAX)
}

fn advised(s: Scratch) -> Option<u64> {
    (s.f(retry_ask::HAS_ADVICE) != 0.0).then(|| s.int(retry_ask::ADVICE))
}

// In: handle, the retry, [draw], previous. Out: the delay.
fast!(backoff_delay, |s: Scratch| if let Some(b) = BACKOFFS.get(s.handle()) {
    s.out(retry_delay::BACKOFF_DELAY, b.delay(attempt(s), draw(s), s.int(retry_ask::PREVIOUS)));
});

// In: handle, attempt, [draw], previous, the advice if any. Out: a reason
// code, the delay.
fast!(backoff_next, |s: Scratch| if let Some(b) = BACKOFFS.get(s.handle()) {
    use retry_delay::{NEXT_DELAY, NEXT_REASON};
    match b.next(attempt(s), draw(s), s.int(retry_ask::PREVIOUS), advised(s)) {
        Ok(delay) => {
            s.set_f(NEXT_REASON, 0.0);
            s.out(NEXT_DELAY, delay);
        }
        Err(reason) => {
            s.set_f(NEXT_REASON, reason as u8 as f64);
            s.out(NEXT_DELAY, 0);
        }
    }
});

fn budget(s: Scratch) -> Result<Watched<Arc<AtomicRetryBudget>>, ConfigError> {
    use budget_new::*;
    let config = RetryBudgetConfig {
        ratio: s.f(RATIO),
        min_per_second: s.u(MIN_PER_SECOND),
        window_ns: s.u(WINDOW),
        buckets: s.u(BUCKETS),
    };
    Ok(Watched::new(Arc::new(AtomicRetryBudget::new(config)?), weir_host::Events::budget(&config)))
}

fast!(budget_new, |s: Scratch| created(s, &BUDGETS, budget(s)));

// In: handle, [now], count.
fast!(budget_deposit, |s: Scratch| if let Some(b) = BUDGETS.get(s.handle()) {
    let now = s.now(call::NOW);
    for _ in 0..s.int(budget_call::COUNT) {
        b.deposit(now);
    }
});

// One original request: the hot path of `retry`, with no other input.
fast!(budget_deposit_one, |s: Scratch| if let Some(b) = BUDGETS.get(s.handle()) {
    b.deposit(weir_host::monotonic_now());
});

// In: handle, [now], delay, deadline left. Out: a decision.
fast!(budget_withdraw, |s: Scratch| if let Some(b) = BUDGETS.get(s.handle()) {
    let now = s.now(call::NOW);
    let d = b.withdraw(now, s.int(budget_call::DELAY), s.int(budget_call::DEADLINE_LEFT));
    observe(s, &b.events, now, &d);
    s.decision(&d);
});

// In: handle, [now]. Out: requests, retries.
fast!(budget_snapshot, |s: Scratch| if let Some(b) = BUDGETS.get(s.handle()) {
    let (requests, retries) = b.snapshot(s.now(call::NOW));
    s.out(budget_call::REQUESTS, requests);
    s.out(budget_call::RETRIES, retries);
});

// In: handle (the budget, or -1 for none), [now], then see [`retry_ask`].
// Out: a decision and the delay.
fast!(retry_decide, |s: Scratch| {
    let bo = s.f(retry_ask::BACKOFF);
    let Some(backoff) = (if bo >= 0.0 { BACKOFFS.get(bo as usize) } else { None }) else {
        return s.bad_handle();
    };
    let ask = RetryAsk {
        attempt: attempt(s),
        draw: draw(s),
        previous_delay: s.int(retry_ask::PREVIOUS),
        advised: advised(s),
        deadline_left: s.int(retry_ask::DEADLINE_LEFT),
        no_retry: s.f(retry_ask::NO_RETRY) != 0.0,
    };
    let r = if s.f(call::HANDLE) < 0.0 {
        retry(s.now(call::NOW), backoff, &Unbudgeted, &ask)
    } else if let Some(budget) = BUDGETS.get(s.handle()) {
        let now = s.now(call::NOW);
        let r = retry(now, backoff, &*budget.inner, &ask);
        observe(s, &budget.events, now, &r.decision);
        r
    } else {
        return s.bad_handle();
    };
    s.decision(&r.decision);
    s.out(retry_delay::DECIDE_DELAY, r.delay);
});

// `parseRetryAfter(value)`; in: now in Unix seconds. Out: 0 or a
// HeaderError code, the delay in ns.
fast_arg!(retry_after_parse, fast::text_arg, |s, text| {
    parsed(s, text.as_deref().map(|v| parse_retry_after(v, s.int(header::NOW_UNIX_S))))
});

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
