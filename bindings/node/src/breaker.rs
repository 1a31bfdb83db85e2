//! `CircuitBreaker`: weir-host's breaker (clock, call duration, decision
//! counters, the queue of state changes) behind scratch-buffer calls. JS
//! drains the queue after a call that says it moved the breaker and emits
//! the moves as events.

use weir_core::breaker::{BreakerConfig, Permit};
use weir_host::{CircuitBreaker, WindowKind};

use crate::errors::{created, set_parts};
use crate::fast;
use crate::fast::Callback;
use crate::scratch::{status, Scratch};
use crate::table::Table;

pub static BREAKERS: Table<CircuitBreaker> = Table::new();

fn breaker(s: Scratch) -> Result<CircuitBreaker, weir_core::ConfigError> {
    let config = BreakerConfig {
        window: if s.f(1) == 1.0 { WindowKind::Time } else { WindowKind::Count },
        window_calls: s.u(2),
        window_ns: s.u(3),
        buckets: s.u(4),
        minimum_calls: s.u(5),
        failure_rate_threshold: s.f(6),
        slow_call_rate_threshold: s.f(7),
        slow_call_ns: s.u(8),
        consecutive_failures: s.u(9),
        open_ns: s.u(10),
        half_open_probes: s.u(11),
        half_open_max_ns: s.u(12),
    };
    CircuitBreaker::new(config)
}

// In: window kind (f), then the fields as exact u64 (rates as f64).
fast!(breaker_new, |s: Scratch| created(s, &BREAKERS, breaker(s)));

// Out: the defaults in the slots `breaker_new` reads.
fast!(breaker_defaults, |s: Scratch| {
    let d = BreakerConfig::default();
    s.set_f(1, d.window as u8 as f64);
    for (i, v) in [
        (2, d.window_calls),
        (3, d.window_ns),
        (4, d.buckets),
        (5, d.minimum_calls),
        (8, d.slow_call_ns),
        (9, d.consecutive_failures),
        (10, d.open_ns),
        (11, d.half_open_probes),
        (12, d.half_open_max_ns),
    ] {
        s.set_u(i, v);
    }
    s.set_f(6, d.failure_rate_threshold);
    s.set_f(7, d.slow_call_rate_threshold);
});

// In: handle, [now]. Out: a decision, slot 5 the permit's bits, 6 when it
// was admitted, 7 whether it is a probe, 8 whether the breaker moved.
fast!(breaker_acquire, |s: Scratch| match BREAKERS.get(s.handle()) {
    Some(b) => {
        let now = s.now(1);
        let a = b.acquire_at(now);
        s.decision(&a.decision);
        let p = a.permit.map_or(0, |p| p.permit.to_bits());
        s.set_f(5, f64::from(p));
        s.out(6, now);
        s.set_f(7, if a.permit.is_some_and(|p| p.permit.is_probe()) { 1.0 } else { 0.0 });
        s.set_f(8, if a.transition.is_some() { 1.0 } else { 0.0 });
    }
    None => s.bad_handle(),
});

// In: handle, [now], permit bits (slot 2), failed (3), the duration (4, in
// exact mode) or when the call was admitted (4). Out: slot 8 moved.
fast!(breaker_record, |s: Scratch| if let Some(b) = BREAKERS.get(s.handle()) {
    let now = s.now(1);
    let took = if s.exact() { s.u(4) } else { now.saturating_sub(s.f(4) as u64) };
    let moved = b.record_at(now, Permit::from_bits(s.f(2) as u32), s.f(3) != 0.0, took).is_some();
    s.set_f(8, if moved { 1.0 } else { 0.0 });
});

// In: handle, permit bits (slot 2). Out: slot 1, 1 when released.
fast!(breaker_release, |s: Scratch| if let Some(b) = BREAKERS.get(s.handle()) {
    s.set_f(1, if b.release(Permit::from_bits(s.f(2) as u32)) { 1.0 } else { 0.0 });
});

// In: handle, [now], the command (slot 2: 0 force open, 1 disable, 2
// reset). Out: slot 8 moved.
fast!(breaker_command, |s: Scratch| if let Some(b) = BREAKERS.get(s.handle()) {
    let now = s.now(1);
    let moved = match s.f(2) as u32 {
        0 => b.force_open_at(now),
        1 => b.disable_at(now),
        2 => b.reset_at(now),
        other => {
            set_parts("command", "0, 1 or 2", &other.to_string());
            s.set_f(1, status::CONFIG);
            return;
        }
    };
    s.set_f(8, if moved.is_some() { 1.0 } else { 0.0 });
});

// In: handle. Out: slot 1, 1 when an event was taken, then from, to, cause
// codes (2-4), calls, failures, slow, consecutive failures (5-8), at (9).
fast!(breaker_next_event, |s: Scratch| if let Some(b) = BREAKERS.get(s.handle()) {
    match b.next_event() {
        None => s.set_f(1, 0.0),
        Some(e) => {
            let t = e.transition;
            s.set_f(1, 1.0);
            s.set_f(2, t.from as u8 as f64);
            s.set_f(3, t.to as u8 as f64);
            s.set_f(4, t.cause as u8 as f64);
            s.out(5, t.counts.calls);
            s.out(6, t.counts.failures);
            s.out(7, t.counts.slow);
            s.out(8, t.counts.consecutive_failures);
            s.out(9, e.at);
        }
    }
});

// In: handle, [now]. Out: state, calls, failures, slow, consecutive
// failures, probes issued and returned, time left in open, admitted,
// refused open and half-open, events dropped (slots 1-12).
fast!(breaker_stats, |s: Scratch| if let Some(b) = BREAKERS.get(s.handle()) {
    let st = b.stats_at(s.now(1));
    let k = &st.breaker;
    s.set_f(1, k.state as u8 as f64);
    for (i, v) in [
        (2, k.window.calls),
        (3, k.window.failures),
        (4, k.window.slow),
        (5, k.window.consecutive_failures),
        (6, k.probes_issued),
        (7, k.probes.calls),
        (8, k.retry_after),
        (9, st.admitted),
        (10, st.refused_open),
        (11, st.refused_half_open),
        (12, st.events_dropped),
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
