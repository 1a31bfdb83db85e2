//! `Limiter` (GCRA), `KeyedLimiter` and `MultiLimiter`, with live changes
//! of rate and burst.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use weir_core::limiter::{AtomicLimiter, KeySet, KeyedLimiter, LimiterConfig, MultiLimiter, MAX_RATES};
use weir_core::{ConfigError, Value};
use weir_host::{Bucket, Counted, Decisions, SharedError, SharedLimiter};

use crate::errors::{self, created};
use crate::events::{observe, Watched};
use crate::fast;
use crate::fast::{first_arg, hash_string, Callback};
use crate::fast_arg;
use crate::keys::{seed_arg, Seeded};
use crate::layout::{acquire, call, decision_counts, keyed_stats, limiter_new, limiter_set, multi_new, multi_rate};
use crate::scratch::{status, Scratch};
use crate::table::Table;

pub static LIMITERS: Table<Counted<Bucket>> = Table::new();
/// A keyed table with its events and its decisions counted.
pub type WatchedTable = Watched<Counted<KeyedLimiter<Box<[KeySet]>>>>;
pub static KEYED: Table<Seeded<WatchedTable>> = Table::new();
pub static MULTIS: Table<MultiLimiter> = Table::new();

/// Keyed tables above this many entries are refused: 2^24 entries is 2.1 GiB.
const MAX_KEYED_CAPACITY: u64 = 1 << 24;

/// In: rate (f64), per (u64 ns), burst (f64) and whether one was given.
/// Converted by weir-host's rule for every runtime; a refusal is
/// recorded as a config error naming the user's field (the JS side quotes
/// the value its caller gave).
fn config(s: Scratch) -> Option<LimiterConfig> {
    let burst = (s.u(limiter_new::HAS_BURST) != 0).then(|| s.f(limiter_new::BURST));
    match weir_host::units::limiter_config(s.f(limiter_new::RATE), s.u(limiter_new::PER), burst) {
        Ok(c) => Some(c),
        Err(e) => {
            errors::set_parts(e.field, e.rule, "");
            s.status(status::CONFIG);
            None
        }
    }
}

fast!(limiter_new, |s: Scratch| if let Some(c) = config(s) {
    created(s, &LIMITERS, AtomicLimiter::new(c).map(|l| Counted::new(Bucket::Local(l))))
});

// As `limiter_new` with the state in the file named by the string
// argument, shared by every process that opens it. A different
// configuration in the file is a config error naming the field; a file that
// is not a limiter or a failing system call is a system error.
fast_arg!(limiter_open_shared, fast::text_arg, |s, path| {
    let Some(path) = path else { return s.bad_handle() };
    let Some(config) = config(s) else { return };
    match SharedLimiter::open(OsStr::from_bytes(&path), config) {
        Ok(l) => created(s, &LIMITERS, Ok(Counted::new(Bucket::Shared(l)))),
        Err(SharedError::Config(e)) => created(s, &LIMITERS, Err(e)),
        Err(e @ SharedError::Mismatch { field, given, .. }) => {
            errors::set_parts(field, &e.mismatch_rule().unwrap_or_default(), &given.to_string());
            s.status(status::CONFIG);
        }
        Err(e) => {
            errors::set_parts("", &e.to_string(), "");
            s.status(status::SYSTEM);
        }
    }
});

// In: handle, [now], cost. Out: a decision.
// A bucket without an explicit `now` reads its own clock: a shared one must
// read the kernel's, as every process sharing it does.
fast!(limiter_acquire, |s: Scratch| match LIMITERS.get(s.handle()) {
    Some(l) => {
        let now = if s.exact() { s.u(call::NOW) } else { l.cell().now() };
        s.decision(&l.decide(|b| b.acquire(now, s.int(acquire::COST))));
    }
    None => s.bad_handle(),
});

fn keyed(s: Scratch, config: LimiterConfig) -> Result<KeyedLimiter<Box<[KeySet]>>, ConfigError> {
    let capacity = s.u(limiter_new::CAPACITY);
    if capacity > MAX_KEYED_CAPACITY {
        return Err(ConfigError::new("capacity", "<= 16777216", Value::Unsigned(capacity)));
    }
    let sets: Box<[KeySet]> = (0..capacity.div_ceil(8)).map(|_| KeySet::new()).collect();
    KeyedLimiter::with_storage(config, sets)
}

// As `limiter_new`, plus the table's capacity and its key-hash
// seed: the argument, a Uint8Array secret or `undefined`.
fast_arg!(keyed_new, seed_arg, |s, keys| {
    let keys = match keys {
        Ok(keys) => keys,
        Err(e) => {
            errors::set_parts(e.field, e.rule, "");
            return s.status(status::CONFIG);
        }
    };
    if let Some(c) = config(s) {
        let watched = |table| Seeded { table: Watched::new(Counted::new(table), weir_host::Events::table()), keys };
        created(s, &KEYED, keyed(s, c).map(watched));
    }
});

// In: handle, [now], cost, key (always exact u64). Out: a decision.
fast!(keyed_acquire, |s: Scratch| match KEYED.get(s.handle()) {
    Some(k) => {
        let now = s.now(call::NOW);
        let d = k.table.decide(|t| t.acquire(s.u(acquire::KEY), now, s.int(acquire::COST)));
        observe(s, &k.table.events, now, &d);
        s.decision(&d);
    }
    None => s.bad_handle(),
});

/// As `keyed_acquire` with the key given as a string argument, hashed as
/// every weir runtime hashes keys, under the table's seed if it has one.
unsafe extern "C" fn keyed_acquire_str(
    env: napi::sys::napi_env,
    info: napi::sys::napi_callback_info,
) -> napi::sys::napi_value {
    // SAFETY: napi calls this entry point on the JS thread with a live env and callback info, the only handles the body passes on.
    unsafe {
        let key = first_arg(env, info);
        fast::run(|s: Scratch| {
            let Some(k) = KEYED.get(s.handle()) else { return s.bad_handle() };
            // `env` and `key` are this callback's, still running.
            match key.and_then(|v| hash_string(env, v, &k.keys)) {
                Some(key) => {
                    let now = s.now(call::NOW);
                    let d = k.table.decide(|t| t.acquire(key, now, s.int(acquire::COST)));
                    observe(s, &k.table.events, now, &d);
                    s.decision(&d);
                }
                None => s.bad_handle(),
            }
        });
        std::ptr::null_mut()
    }
}

// In: handle, [now]. Out: the live entries, the capacity.
fast!(keyed_stats, |s: Scratch| match KEYED.get(s.handle()) {
    Some(k) => {
        s.set_f(keyed_stats::LIVE, k.table.cell().live(s.now(call::NOW)) as f64);
        s.set_f(keyed_stats::CAPACITY, k.table.cell().capacity() as f64);
    }
    None => s.bad_handle(),
});

/// A live change's new config from `current` and the scratch, by its kind:
/// 1, a rate (f64) per `per` (ns), the burst kept; 2, a burst (f64), the
/// rate kept, both through weir-host's unit rules; 3, core's config as is
/// (u64), for the replays. A refusal is recorded as a config error naming
/// the user's field.
fn change(s: Scratch, current: LimiterConfig) -> Option<LimiterConfig> {
    use limiter_set::{BURST, PER, RATE};
    let result = match s.u(limiter_set::CHANGE) {
        1 => weir_host::units::with_rate(current, s.f(RATE), s.u(PER)),
        2 => weir_host::units::with_burst(current, s.f(BURST)),
        _ => return Some(LimiterConfig { rate: s.u(RATE), period_ns: s.u(PER), burst: s.u(BURST) }),
    };
    match result {
        Ok(c) => Some(c),
        Err(e) => {
            errors::set_parts(e.field, e.rule, "");
            s.status(status::CONFIG);
            None
        }
    }
}

/// The time of a change: the explicit `now` of a replay's change of core's
/// config, else the clock `clock` reads.
fn change_time(s: Scratch, clock: impl FnOnce() -> u64) -> u64 {
    if s.u(limiter_set::CHANGE) == 3 {
        s.u(limiter_set::AT)
    } else {
        clock()
    }
}

fn changed(s: Scratch, result: Result<(), ConfigError>) {
    match result {
        Ok(()) => s.status(status::OK),
        Err(e) => {
            errors::set(&e);
            s.status(status::CONFIG);
        }
    }
}

// In: handle, the change (see `change`). Out: a status. A shared
// bucket changes for every process, on its own clock.
fast!(limiter_set, |s: Scratch| match LIMITERS.get(s.handle()) {
    Some(l) => {
        let Some(c) = change(s, l.cell().config()) else { return };
        let result = match l.cell() {
            Bucket::Local(local) => local.set_config(c, change_time(s, weir_host::monotonic_now)),
            Bucket::Shared(shared) => match shared.set_config(c) {
                Ok(()) => Ok(()),
                Err(SharedError::Config(e)) => Err(e),
                Err(e) => {
                    errors::set_parts("", &e.to_string(), "");
                    return s.status(status::SYSTEM);
                }
            },
        };
        changed(s, result);
    }
    None => s.bad_handle(),
});

// In: handle, the change (see `change`). Out: a status.
fast!(keyed_set, |s: Scratch| match KEYED.get(s.handle()) {
    Some(k) => {
        let Some(c) = change(s, k.table.cell().config()) else { return };
        changed(s, k.table.cell().set_config(c, change_time(s, weir_host::monotonic_now)));
    }
    None => s.bad_handle(),
});

/// Writes `decisions` by reason code from [`decision_counts::FIRST`], every
/// code a reason has (JS reads them by its list of reason names).
pub fn write_counts(s: Scratch, decisions: &Decisions) {
    for (code, n) in decisions.snapshot().into_iter().enumerate() {
        let known = u8::try_from(code).ok().and_then(weir_core::Reason::from_code).is_some();
        if known && decision_counts::FIRST + code < call::EVENTS {
            s.set_f(decision_counts::FIRST + code, n as f64);
        }
    }
}

// In: handle. Out: the decisions by reason (see `write_counts`).
fast!(limiter_decisions, |s: Scratch| match LIMITERS.get(s.handle()) {
    Some(l) => write_counts(s, l.decisions()),
    None => s.bad_handle(),
});

// In: handle. Out: the decisions by reason.
fast!(keyed_decisions, |s: Scratch| match KEYED.get(s.handle()) {
    Some(k) => write_counts(s, k.table.decisions()),
    None => s.bad_handle(),
});

// Every rate's words fit below the event flag.
const _: () = assert!(multi_new::RATES + multi_new::WORDS * MAX_RATES <= call::EVENTS);

/// In: the number of rates, then each rate's words (see [`multi_new`]). A
/// refusal names the field, with the rate's index as `got`.
fn multi(s: Scratch) -> Option<Result<MultiLimiter, ConfigError>> {
    let count = s.u(multi_new::COUNT) as usize;
    let mut configs = [LimiterConfig { rate: 0, period_ns: 0, burst: 0 }; MAX_RATES];
    for (i, slot) in configs.iter_mut().enumerate().take(count) {
        let base = multi_new::RATES + multi_new::WORDS * i;
        let burst = Some(s.f(base + multi_rate::BURST)).filter(|b| !b.is_nan());
        match weir_host::units::limiter_config(s.f(base + multi_rate::RATE), s.u(base + multi_rate::PER), burst) {
            Ok(c) => *slot = c,
            Err(e) => {
                errors::set_parts(e.field, e.rule, &i.to_string());
                s.status(status::CONFIG);
                return None;
            }
        }
    }
    let given = configs.get(..count).unwrap_or(&[]);
    if count > MAX_RATES {
        return Some(Err(ConfigError::new("rates", "1 to 4 rates", Value::Unsigned(count as u64))));
    }
    Some(MultiLimiter::new(given))
}

fast!(multi_new, |s: Scratch| if let Some(built) = multi(s) {
    created(s, &MULTIS, built)
});

// In: handle, [now], cost. Out: a decision.
fast!(multi_acquire, |s: Scratch| match MULTIS.get(s.handle()) {
    Some(m) => s.decision(&m.acquire(s.now(call::NOW), s.int(acquire::COST))),
    None => s.bad_handle(),
});

// In: handle, the rate's index, the change (see `change`). Out: a status.
fast!(multi_set, |s: Scratch| match MULTIS.get(s.handle()) {
    Some(m) => {
        let index = s.u(limiter_set::INDEX) as usize;
        let Some(current) = m.config(index) else {
            let e = ConfigError::new("index", "below the number of rates", Value::Unsigned(index as u64));
            return changed(s, Err(e));
        };
        let Some(c) = change(s, current) else { return };
        changed(s, m.set_config(index, c, change_time(s, weir_host::monotonic_now)));
    }
    None => s.bad_handle(),
});

pub const FNS: &[(&str, Callback)] = &[
    ("limiterNew", limiter_new),
    ("limiterOpenShared", limiter_open_shared),
    ("limiterAcquire", limiter_acquire),
    ("keyedNew", keyed_new),
    ("keyedAcquire", keyed_acquire),
    ("keyedAcquireStr", keyed_acquire_str),
    ("keyedStats", keyed_stats),
    ("limiterDecisions", limiter_decisions),
    ("keyedDecisions", keyed_decisions),
    ("limiterSet", limiter_set),
    ("keyedSet", keyed_set),
    ("multiNew", multi_new),
    ("multiAcquire", multi_acquire),
    ("multiSet", multi_set),
];
