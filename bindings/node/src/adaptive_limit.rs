//! `AdaptiveLimiter`: weir-host's adaptive concurrency limit (an algorithm
//! by name, the fields given over its defaults, the RTT measured from the
//! permit, decision counters) behind scratch-buffer calls.

use weir_core::adaptive_limit::Permit;
use weir_host::{AdaptiveLimitOptions, AdaptiveLimiter, AlgorithmKind, Outcome};

use crate::errors::created;
use crate::fast;
use crate::fast::Callback;
use crate::layout::{adaptive_acquire, adaptive_new, adaptive_release, adaptive_stats, call};
use crate::scratch::Scratch;
use crate::table::Table;

pub static ADAPTIVE: Table<AdaptiveLimiter> = Table::new();

fn limiter(s: Scratch) -> Result<AdaptiveLimiter, weir_core::ConfigError> {
    use adaptive_new::*;
    let given = s.f(GIVEN) as u32;
    let has = |slot: usize| given & (1 << (slot - INITIAL_LIMIT)) != 0;
    let u = |slot: usize| has(slot).then(|| s.u(slot));
    let f = |slot: usize| has(slot).then(|| s.f(slot));
    AdaptiveLimiter::from_options(AdaptiveLimitOptions {
        algorithm: AlgorithmKind::from_code(s.f(ALGORITHM) as u32),
        initial_limit: u(INITIAL_LIMIT),
        min_limit: u(MIN_LIMIT),
        max_limit: u(MAX_LIMIT),
        smoothing: f(SMOOTHING),
        rtt_tolerance: f(RTT_TOLERANCE),
        long_window: u(LONG_WINDOW),
        queue_size: u(QUEUE_SIZE),
        alpha: u(ALPHA),
        beta: u(BETA),
        probe_multiplier: u(PROBE_MULTIPLIER),
        backoff_ratio: f(BACKOFF_RATIO),
        timeout_ns: u(TIMEOUT),
    })
}

// In: see [`adaptive_new`].
fast!(adaptive_new, |s: Scratch| created(s, &ADAPTIVE, limiter(s)));

// In: handle, [now]. Out: a decision, then in flight with this one and when admitted.
fast!(adaptive_acquire, |s: Scratch| match ADAPTIVE.get(s.handle()) {
    Some(l) => {
        let a = l.acquire_at(s.now(call::NOW));
        s.decision(&a.decision);
        s.set_f(adaptive_acquire::IN_FLIGHT, a.permit.map_or(0.0, |p| f64::from(p.permit.in_flight)));
        s.out(adaptive_acquire::STARTED_AT, a.permit.map_or(0, |p| p.started_at));
    }
    None => s.bad_handle(),
});

// In: handle, [now], the permit, its RTT (exact mode) or when it was
// admitted, outcome code. Out: the limit.
fast!(adaptive_release, |s: Scratch| if let Some(l) = ADAPTIVE.get(s.handle()) {
    use adaptive_release::*;
    let now = s.now(call::NOW);
    let rtt = if s.exact() { s.u(RTT) } else { now.saturating_sub(s.f(STARTED_AT) as u64) };
    let outcome = match s.f(OUTCOME) as u32 {
        1 => Outcome::Dropped,
        2 => Outcome::Ignored,
        _ => Outcome::Success,
    };
    let limit = l.release_rtt(Permit { in_flight: s.f(IN_FLIGHT) as u32 }, rtt, outcome);
    s.out(LIMIT, limit);
});

// In: handle. Out: see [`adaptive_stats`].
fast!(adaptive_stats, |s: Scratch| if let Some(l) = ADAPTIVE.get(s.handle()) {
    use adaptive_stats::*;
    let st = l.stats();
    s.out(LIMIT, st.limit.limit);
    s.out(IN_FLIGHT, st.limit.in_flight);
    s.set_f(ESTIMATE, st.limit.estimate);
    s.set_f(BASELINE_RTT, st.limit.baseline_rtt_ns);
    s.out(ADMITTED, st.admitted);
    s.out(REFUSED, st.refused);
});

pub const FNS: &[(&str, Callback)] = &[
    ("adaptiveNew", adaptive_new),
    ("adaptiveAcquire", adaptive_acquire),
    ("adaptiveRelease", adaptive_release),
    ("adaptiveStats", adaptive_stats),
];
