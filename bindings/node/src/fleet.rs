//! `FleetLimiter`: a limit shared by every process on every machine that
//! uses one Redis key, through weir-fleet's leases.

use std::time::Duration;

use napi_derive::napi;
use weir_fleet::{FleetConfig, FleetError, FleetLimiter};

use crate::errors;
use crate::fast;
use crate::fast::Callback;
use crate::scratch::{status, Scratch};
use crate::table::Table;

pub static FLEETS: Table<FleetLimiter> = Table::new();

/// Status for a Redis URL that does not parse; the message is in `lastFleetError`.
const BAD_URL: f64 = 4.0;
/// Status for a refill thread that could not start.
const NO_THREAD: f64 = 5.0;

thread_local! {
    static LAST: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

fn config(s: Scratch, redis_url: String, key: String) -> FleetConfig {
    let ns = |i| Duration::from_nanos(s.u(i));
    FleetConfig {
        burst: s.u(3),
        nodes: s.u(4),
        min_batch: s.u(5),
        max_batch: s.u(6),
        batch_period: ns(7),
        lead: ns(8),
        lease_ttl: ns(9),
        redis_timeout: ns(10),
        retry_interval: ns(11),
        fallback_burst: s.u(12),
        key_idle_ttl: ns(13),
        ..FleetConfig::new(redis_url, key, s.u(1), ns(2))
    }
}

/// Builds a fleet limiter from the two strings and the numbers in scratch
/// slots 1..=13; answers like every constructor (status, index, gen). The
/// refill thread starts here; Redis is not contacted.
#[napi(js_name = "fleetNew")]
pub fn fleet_new(redis_url: String, key: String) {
    fast::run(|s: Scratch| match FleetLimiter::new(config(s, redis_url, key)) {
        Ok(limiter) => errors::created(s, &FLEETS, Ok(limiter)),
        Err(FleetError::Config(e)) => {
            errors::set(&e);
            s.set_f(1, status::CONFIG);
        }
        Err(e) => {
            let code = if matches!(e, FleetError::RedisUrl(_)) { BAD_URL } else { NO_THREAD };
            LAST.with(|l| *l.borrow_mut() = Some(e.to_string()));
            s.set_f(1, code);
        }
    });
}

/// The message of the last Redis URL or thread error on this thread, once.
#[napi(js_name = "lastFleetError")]
pub fn last_fleet_error() -> Option<String> {
    LAST.with(|l| l.borrow_mut().take())
}

// In: handle, cost 2. Out: a decision.
fast!(fleet_acquire, |s: Scratch| match FLEETS.get(s.handle()) {
    Some(f) => s.decision(&f.try_acquire(s.int(2))),
    None => s.bad_handle(),
});

// Out: admitted 1, rejected 2, redis_calls 3, leases 4, leased_tokens 5,
// fallbacks 6, resumes 7, fallback_admitted 8, in_fallback 9, lease_left 10,
// bound 11, max_batch 12.
fast!(fleet_stats, |s: Scratch| if let Some(f) = FLEETS.get(s.handle()) {
    let st = f.stats();
    let words = [
        st.admitted,
        st.rejected,
        st.redis_calls,
        st.leases,
        st.leased_tokens,
        st.fallbacks,
        st.resumes,
        st.fallback_admitted,
        u64::from(st.in_fallback),
        st.lease_left,
    ];
    for (i, w) in words.into_iter().enumerate() {
        s.set_f(1 + i, w as f64);
    }
    s.set_f(11, f.bound());
    s.set_f(12, f.max_batch() as f64);
});

pub const FNS: &[(&str, Callback)] = &[("fleetAcquire", fleet_acquire), ("fleetStats", fleet_stats)];
