//! `CircuitBreaker`: weir-host's breaker (clock, call duration, decision
//! counters, the queue of state changes) behind scratch-buffer calls. JS
//! drains the queue after a call that says it moved the breaker and emits
//! the moves as events.

use weir_core::breaker::{BreakerConfig, Permit};
use weir_host::{CircuitBreaker, WindowKind};

use crate::errors::{created, set_parts};
use crate::fast;
use crate::fast::Callback;
use crate::layout::{breaker_acquire, breaker_call, breaker_config, breaker_event, breaker_stats, call};
use crate::scratch::{status, Scratch};
use crate::table::Table;

pub static BREAKERS: Table<CircuitBreaker> = Table::new();

fn breaker(s: Scratch) -> Result<CircuitBreaker, weir_core::ConfigError> {
    use breaker_config::*;
    let config = BreakerConfig {
        window: if s.f(WINDOW) == 1.0 { WindowKind::Time } else { WindowKind::Count },
        window_calls: s.u(WINDOW_CALLS),
        window_ns: s.u(WINDOW_NS),
        buckets: s.u(BUCKETS),
        minimum_calls: s.u(MINIMUM_CALLS),
        failure_rate_threshold: s.f(FAILURE_RATE_THRESHOLD),
        slow_call_rate_threshold: s.f(SLOW_CALL_RATE_THRESHOLD),
        slow_call_ns: s.u(SLOW_CALL),
        consecutive_failures: s.u(CONSECUTIVE_FAILURES),
        open_ns: s.u(OPEN),
        half_open_probes: s.u(HALF_OPEN_PROBES),
        half_open_max_ns: s.u(HALF_OPEN_MAX),
    };
    CircuitBreaker::new(config)
}

// In: window kind (f), then the fields as exact u64 (rates as f64).
fast!(breaker_new, |s: Scratch| created(s, &BREAKERS, breaker(s)));

// Out: the defaults in the slots `breaker_new` reads.
fast!(breaker_defaults, |s: Scratch| {
    use breaker_config::*;
    let d = BreakerConfig::default();
    s.set_f(WINDOW, d.window as u8 as f64);
    for (i, v) in [
        (WINDOW_CALLS, d.window_calls),
        (WINDOW_NS, d.window_ns),
        (BUCKETS, d.buckets),
        (MINIMUM_CALLS, d.minimum_calls),
        (SLOW_CALL, d.slow_call_ns),
        (CONSECUTIVE_FAILURES, d.consecutive_failures),
        (OPEN, d.open_ns),
        (HALF_OPEN_PROBES, d.half_open_probes),
        (HALF_OPEN_MAX, d.half_open_max_ns),
    ] {
        s.set_u(i, v);
    }
    s.set_f(FAILURE_RATE_THRESHOLD, d.failure_rate_threshold);
    s.set_f(SLOW_CALL_RATE_THRESHOLD, d.slow_call_rate_threshold);
});

// In: handle, [now]. Out: a decision, then the permit (see [`breaker_acquire`]).
fast!(breaker_acquire, |s: Scratch| match BREAKERS.get(s.handle()) {
    Some(b) => {
        use breaker_acquire::*;
        let now = s.now(call::NOW);
        let a = b.acquire_at(now);
        s.decision(&a.decision);
        let p = a.permit.map_or(0, |p| p.permit.to_bits());
        s.set_f(PERMIT, f64::from(p));
        s.out(STARTED_AT, now);
        s.set_f(PROBE, if a.permit.is_some_and(|p| p.permit.is_probe()) { 1.0 } else { 0.0 });
        s.set_f(MOVED, if a.transition.is_some() { 1.0 } else { 0.0 });
    }
    None => s.bad_handle(),
});

// In: handle, [now], permit bits, failed, the duration (exact mode) or
// when the call was admitted. Out: moved.
fast!(breaker_record, |s: Scratch| if let Some(b) = BREAKERS.get(s.handle()) {
    use breaker_call::*;
    let now = s.now(call::NOW);
    let took = if s.exact() { s.u(DURATION) } else { now.saturating_sub(s.f(STARTED_AT) as u64) };
    let moved = b.record_at(now, Permit::from_bits(s.f(PERMIT) as u32), s.f(FAILED) != 0.0, took).is_some();
    s.set_f(MOVED, if moved { 1.0 } else { 0.0 });
});

// In: handle, permit bits. Out: 1 when released.
fast!(breaker_release, |s: Scratch| if let Some(b) = BREAKERS.get(s.handle()) {
    let released = b.release(Permit::from_bits(s.f(breaker_call::PERMIT) as u32));
    s.set_f(breaker_call::RELEASED, if released { 1.0 } else { 0.0 });
});

// In: handle, [now], the command (0 force open, 1 disable, 2 reset). Out:
// moved, or a config status.
fast!(breaker_command, |s: Scratch| if let Some(b) = BREAKERS.get(s.handle()) {
    let now = s.now(call::NOW);
    let moved = match s.f(breaker_call::COMMAND) as u32 {
        0 => b.force_open_at(now),
        1 => b.disable_at(now),
        2 => b.reset_at(now),
        other => {
            set_parts("command", "0, 1 or 2", &other.to_string());
            return s.status(status::CONFIG);
        }
    };
    s.set_f(breaker_call::MOVED, if moved.is_some() { 1.0 } else { 0.0 });
});

// In: handle. Out: see [`breaker_event`].
fast!(breaker_next_event, |s: Scratch| if let Some(b) = BREAKERS.get(s.handle()) {
    use breaker_event::*;
    match b.next_event() {
        None => s.set_f(TAKEN, 0.0),
        Some(e) => {
            let t = e.transition;
            s.set_f(TAKEN, 1.0);
            s.set_f(FROM, t.from as u8 as f64);
            s.set_f(TO, t.to as u8 as f64);
            s.set_f(CAUSE, t.cause as u8 as f64);
            s.out(CALLS, t.counts.calls);
            s.out(FAILURES, t.counts.failures);
            s.out(SLOW, t.counts.slow);
            s.out(CONSECUTIVE_FAILURES, t.counts.consecutive_failures);
            s.out(AT, e.at);
        }
    }
});

// In: handle, [now]. Out: see [`breaker_stats`].
fast!(breaker_stats, |s: Scratch| if let Some(b) = BREAKERS.get(s.handle()) {
    use breaker_stats::*;
    let st = b.stats_at(s.now(call::NOW));
    let k = &st.breaker;
    s.set_f(STATE, k.state as u8 as f64);
    for (i, v) in [
        (CALLS, k.window.calls),
        (FAILURES, k.window.failures),
        (SLOW, k.window.slow),
        (CONSECUTIVE_FAILURES, k.window.consecutive_failures),
        (PROBES_ISSUED, k.probes_issued),
        (PROBES_RETURNED, k.probes.calls),
        (OPEN_LEFT, k.retry_after),
        (ADMITTED, st.admitted),
        (REFUSED_OPEN, st.refused_open),
        (REFUSED_HALF_OPEN, st.refused_half_open),
        (EVENTS_DROPPED, st.events_dropped),
    ] {
        s.out(i, v);
    }
});

pub const FNS: &[(&str, Callback)] = &[
    ("breakerNew", breaker_new),
    ("breakerDefaults", breaker_defaults),
    ("breakerAcquire", breaker_acquire),
    ("breakerRecord", breaker_record),
    ("breakerRelease", breaker_release),
    ("breakerCommand", breaker_command),
    ("breakerNextEvent", breaker_next_event),
    ("breakerStats", breaker_stats),
];
