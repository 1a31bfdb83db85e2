//! `FleetLimiter`: a limit shared by every process on every machine that
//! uses one Redis key, through weir-fleet's leases.

use std::time::Duration;

use napi_derive::napi;
use weir_fleet::{FleetConfig, FleetError, FleetLimiter};

use crate::errors;
use crate::fast;
use crate::fast::Callback;
use crate::layout::{acquire, fleet_new, fleet_stats};
use crate::scratch::{status, Scratch};
use crate::table::Table;

pub static FLEETS: Table<FleetLimiter> = Table::new();

thread_local! {
    static LAST: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

fn config(s: Scratch, redis_url: String, key: String) -> FleetConfig {
    use fleet_new::*;
    let ns = |i| Duration::from_nanos(s.u(i));
    FleetConfig {
        burst: s.u(BURST),
        nodes: s.u(NODES),
        min_batch: s.u(MIN_BATCH),
        max_batch: s.u(MAX_BATCH),
        batch_period: ns(BATCH_PERIOD),
        lead: ns(LEAD),
        lease_ttl: ns(LEASE_TTL),
        redis_timeout: ns(REDIS_TIMEOUT),
        retry_interval: ns(RETRY_INTERVAL),
        fallback_burst: s.u(FALLBACK_BURST),
        key_idle_ttl: ns(KEY_IDLE_TTL),
        ..FleetConfig::new(redis_url, key, s.u(RATE), ns(PER))
    }
}

/// Builds a fleet limiter from the two strings and the numbers in scratch
/// (see [`fleet_new`]); answers like every constructor (status, index, gen). The
/// refill thread starts here; Redis is not contacted.
#[napi(js_name = "fleetNew")]
pub fn fleet_new(redis_url: String, key: String) {
    fast::run(|s: Scratch| match FleetLimiter::new(config(s, redis_url, key)) {
        Ok(limiter) => errors::created(s, &FLEETS, Ok(limiter)),
        Err(FleetError::Config(e)) => {
            errors::set(&e);
            s.status(status::CONFIG);
        }
        Err(e) => {
            let code = if matches!(e, FleetError::RedisUrl(_)) { status::BAD_URL } else { status::NO_THREAD };
            LAST.with(|l| *l.borrow_mut() = Some(e.to_string()));
            s.status(code);
        }
    });
}

/// The message of the last Redis URL or thread error on this thread, once.
#[napi(js_name = "lastFleetError")]
pub fn last_fleet_error() -> Option<String> {
    LAST.with(|l| l.borrow_mut().take())
}

// In: handle, cost. Out: a decision.
fast!(fleet_acquire, |s: Scratch| match FLEETS.get(s.handle()) {
    Some(f) => s.decision(&f.try_acquire(s.int(acquire::COST))),
    None => s.bad_handle(),
});

// Out: see [`fleet_stats`].
fast!(fleet_stats, |s: Scratch| if let Some(f) = FLEETS.get(s.handle()) {
    use fleet_stats::*;
    let st = f.stats();
    for (slot, w) in [
        (ADMITTED, st.admitted),
        (REJECTED, st.rejected),
        (REDIS_CALLS, st.redis_calls),
        (LEASES, st.leases),
        (LEASED_TOKENS, st.leased_tokens),
        (FALLBACKS, st.fallbacks),
        (RESUMES, st.resumes),
        (FALLBACK_ADMITTED, st.fallback_admitted),
        (IN_FALLBACK, u64::from(st.in_fallback)),
        (LEASE_LEFT, st.lease_left),
        (MAX_BATCH, f.max_batch()),
    ] {
        s.set_f(slot, w as f64);
    }
    s.set_f(BOUND, f.bound());
});

pub const FNS: &[(&str, Callback)] = &[("fleetAcquire", fleet_acquire), ("fleetStats", fleet_stats)];
