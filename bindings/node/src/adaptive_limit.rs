//! `AdaptiveLimiter`: weir-host's adaptive concurrency limit (an algorithm
//! by name, the fields given over its defaults, the RTT measured from the
//! permit, decision counters) behind scratch-buffer calls.

use weir_core::adaptive_limit::Permit;
use weir_host::{AdaptiveLimitOptions, AdaptiveLimiter, AlgorithmKind, Outcome};

use crate::errors::created;
use crate::fast;
use crate::fast::Callback;
use crate::scratch::Scratch;
use crate::table::Table;

pub static ADAPTIVE: Table<AdaptiveLimiter> = Table::new();

fn limiter(s: Scratch) -> Result<AdaptiveLimiter, weir_core::ConfigError> {
    let given = s.f(2) as u32;
    let has = |bit: u32| given & (1 << bit) != 0;
    let u = |bit: u32, slot: usize| has(bit).then(|| s.u(slot));
    let f = |bit: u32, slot: usize| has(bit).then(|| s.f(slot));
    AdaptiveLimiter::from_options(AdaptiveLimitOptions {
        algorithm: AlgorithmKind::from_code(s.f(1) as u32),
        initial_limit: u(0, 3),
        min_limit: u(1, 4),
        max_limit: u(2, 5),
        smoothing: f(3, 6),
        rtt_tolerance: f(4, 7),
        long_window: u(5, 8),
        queue_size: u(6, 9),
        alpha: u(7, 10),
        beta: u(8, 11),
        probe_multiplier: u(9, 12),
        backoff_ratio: f(10, 13),
        timeout_ns: u(11, 14),
    })
}

// In: algorithm code (slot 1), a mask of the fields given (2), the fields
// (3-14, counts and durations exact, ratios as f64).
fast!(adaptive_new, |s: Scratch| created(s, &ADAPTIVE, limiter(s)));

// In: handle, [now]. Out: a decision, slot 5 in flight with this one, 6 when admitted.
fast!(adaptive_acquire, |s: Scratch| match ADAPTIVE.get(s.handle()) {
    Some(l) => {
        let a = l.acquire_at(s.now(1));
        s.decision(&a.decision);
        s.set_f(5, a.permit.map_or(0.0, |p| f64::from(p.permit.in_flight)));
        s.out(6, a.permit.map_or(0, |p| p.started_at));
    }
    None => s.bad_handle(),
});

// In: handle, [now], in flight (slot 2), the RTT (3, exact mode) or when
// the request was admitted (3), outcome code (4). Out: slot 1 the limit.
fast!(adaptive_release, |s: Scratch| if let Some(l) = ADAPTIVE.get(s.handle()) {
    let now = s.now(1);
    let rtt = if s.exact() { s.u(3) } else { now.saturating_sub(s.f(3) as u64) };
    let outcome = match s.f(4) as u32 {
        1 => Outcome::Dropped,
        2 => Outcome::Ignored,
        _ => Outcome::Success,
    };
    let limit = l.release_rtt(Permit { in_flight: s.f(2) as u32 }, rtt, outcome);
    s.out(1, limit);
});

// In: handle. Out: limit, in flight, estimate, baseline RTT ns (f64),
// admitted, refused (slots 1-6).
fast!(adaptive_stats, |s: Scratch| if let Some(l) = ADAPTIVE.get(s.handle()) {
    let st = l.stats();
    s.out(1, st.limit.limit);
    s.out(2, st.limit.in_flight);
    s.set_f(3, st.limit.estimate);
    s.set_f(4, st.limit.baseline_rtt_ns);
    s.out(5, st.admitted);
    s.out(6, st.refused);
});

pub const FNS: &[(&str, Callback)] = &[
    ("adaptiveNew", adaptive_new),
    ("adaptiveAcquire", adaptive_acquire),
    ("adaptiveRelease", adaptive_release),
    ("adaptiveStats", adaptive_stats),
];
