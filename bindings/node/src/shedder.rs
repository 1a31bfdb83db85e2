//! `Shedder` (BBR-style) with its opt-in CPU sampler, and `Throttle` (SRE).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use weir_core::shedder::{AtomicShedder, ShedderConfig};
use weir_core::throttle::{AtomicThrottle, ThrottleConfig};
use weir_core::ConfigError;
use weir_host::Counted;

use crate::errors::created;
use crate::events::{observe, Watched};
use crate::fast;
use crate::fast::Callback;
use crate::layout::{call, shedder_call, shedder_new, shedder_stats, throttle_call, throttle_new};
use crate::scratch::Scratch;
use crate::table::Table;

pub struct NodeShedder {
    inner: Counted<AtomicShedder>,
    /// Set by `close()`: the sampler thread, if any, exits at its next tick.
    stop: AtomicBool,
    sampling: AtomicBool,
    pub events: weir_host::Events,
}

pub static SHEDDERS: Table<NodeShedder> = Table::new();
pub static THROTTLES: Table<Watched<Counted<AtomicThrottle>>> = Table::new();

fn shedder(s: Scratch) -> Result<NodeShedder, ConfigError> {
    use shedder_new::*;
    let config = ShedderConfig {
        window_ns: s.u(WINDOW),
        buckets: s.u(BUCKETS),
        cpu_threshold: s.u(CPU_THRESHOLD),
        cpu_decay: s.f(CPU_DECAY),
        cool_off_ns: s.u(COOL_OFF),
        max_queue: s.u(MAX_QUEUE),
    };
    Ok(NodeShedder {
        events: weir_host::Events::shedder(&config),
        inner: Counted::new(AtomicShedder::new(config)?),
        stop: AtomicBool::new(false),
        sampling: AtomicBool::new(false),
    })
}

fast!(shedder_new, |s: Scratch| created(s, &SHEDDERS, shedder(s)));

// In: handle, [now]. Out: a decision, and the `now` it used (the start
// time to hand back to `done`).
fast!(shedder_acquire, |s: Scratch| match SHEDDERS.get(s.handle()) {
    Some(sh) => {
        let now = s.now(call::NOW);
        let d = sh.inner.decide(|c| c.acquire(now));
        observe(s, &sh.events, now, &d);
        s.decision(&d);
        s.out(shedder_call::ACQUIRED_AT, now);
    }
    None => s.bad_handle(),
});

// In: handle, [now], started_at.
fast!(shedder_done, |s: Scratch| if let Some(sh) = SHEDDERS.get(s.handle()) {
    sh.inner.cell().done(s.int(shedder_call::STARTED_AT), s.now(call::NOW));
});

// In: handle. Ends an admitted request that never ran, without an RT sample.
fast!(shedder_cancel, |s: Scratch| if let Some(sh) = SHEDDERS.get(s.handle()) {
    sh.inner.cell().cancel();
});

// In: handle, permille. Out: the smoothed CPU.
fast!(shedder_cpu, |s: Scratch| if let Some(sh) = SHEDDERS.get(s.handle()) {
    s.set_f(shedder_call::CPU, sh.inner.cell().record_cpu(s.int(shedder_call::PERMILLE)));
});

// In: handle, [now]. Out: in_flight, cpu, max_pass, min_rt_ns, max_in_flight, cooling_off.
fast!(shedder_stats, |s: Scratch| if let Some(sh) = SHEDDERS.get(s.handle()) {
    use shedder_stats::*;
    let st = sh.inner.cell().stats(s.now(call::NOW));
    s.out(IN_FLIGHT, st.in_flight);
    s.set_f(CPU, st.cpu);
    s.out(MAX_PASS, st.max_pass);
    s.out(MIN_RT, st.min_rt_ns);
    s.out(MAX_IN_FLIGHT, st.max_in_flight);
    s.set_f(COOLING_OFF, if st.cooling_off { 1.0 } else { 0.0 });
});

// In: handle, interval in ns. Starts the sampler thread once. Out: 1 if
// running. The thread holds the shedder weakly: it ends when
// the shedder is dropped or closed.
fast!(shedder_sample, |s: Scratch| {
    let started = SHEDDERS.arc(s.handle()).is_some_and(|sh| start_sampler(sh, s.u(shedder_call::INTERVAL)));
    s.set_f(shedder_call::RUNNING, if started { 1.0 } else { 0.0 });
});

fn start_sampler(shedder: Arc<NodeShedder>, interval_ns: u64) -> bool {
    if shedder.sampling.swap(true, Ordering::AcqRel) {
        return true;
    }
    let weak = Arc::downgrade(&shedder);
    drop(shedder);
    let interval = Duration::from_nanos(interval_ns.max(1_000_000));
    // Detached: the thread ends at the first reading after close() or after
    // the shedder is dropped, so no JS object has to own it.
    let feeder = weir_host::CpuFeeder::start(interval, move |reading| {
        let Some(sh) = weak.upgrade() else { return false };
        if sh.stop.load(Ordering::Acquire) {
            sh.sampling.store(false, Ordering::Release);
            return false;
        }
        if let Some(permille) = reading {
            sh.inner.cell().record_cpu(permille);
        }
        true
    });
    match feeder {
        Ok(feeder) => {
            feeder.detach();
            true
        }
        Err(_) => false,
    }
}

fast!(shedder_close, |s: Scratch| if let Some(sh) = SHEDDERS.get(s.handle()) {
    sh.stop.store(true, Ordering::Release);
});

fn throttle(s: Scratch) -> Result<Watched<Counted<AtomicThrottle>>, ConfigError> {
    use throttle_new::*;
    let config = ThrottleConfig {
        k: s.f(K),
        window_ns: s.u(WINDOW),
        buckets: s.u(BUCKETS),
        min_requests: s.u(MIN_REQUESTS),
        max_reject_probability: s.f(MAX_REJECT_PROBABILITY),
    };
    Ok(Watched::new(Counted::new(AtomicThrottle::new(config)?), weir_host::Events::throttle(&config)))
}

fast!(throttle_new, |s: Scratch| created(s, &THROTTLES, throttle(s)));

// In: handle, [now], [draw]. Out: a decision, and the `now` it used (what
// `forget` takes back).
fast!(throttle_acquire, |s: Scratch| if let Some(t) = THROTTLES.get(s.handle()) {
    let draw = if s.exact() { s.u(throttle_call::DRAW) } else { weir_host::draw() };
    let now = s.now(call::NOW);
    let d = t.decide(|c| c.acquire(now, draw));
    observe(s, &t.events, now, &d);
    s.decision(&d);
    s.out(throttle_call::ACQUIRED_AT, now);
});

// In: handle, when it was acquired. Takes back a request a later step refused.
fast!(throttle_forget, |s: Scratch| if let Some(t) = THROTTLES.get(s.handle()) {
    t.cell().forget(s.int(throttle_call::FORGET_AT));
});

// In: handle, [now], success (0 or 1).
fast!(throttle_record, |s: Scratch| if let Some(t) = THROTTLES.get(s.handle()) {
    t.cell().record(s.now(call::NOW), s.f(throttle_call::SUCCESS) != 0.0);
});

// In: handle, [now]. Out: requests, accepts, reject probability.
fast!(throttle_stats, |s: Scratch| if let Some(t) = THROTTLES.get(s.handle()) {
    use throttle_call::{ACCEPTS, REJECT_PROBABILITY, REQUESTS};
    let st = t.cell().stats(s.now(call::NOW));
    s.set_f(REQUESTS, st.requests as f64);
    s.set_f(ACCEPTS, st.accepts as f64);
    s.set_f(REJECT_PROBABILITY, st.reject_probability);
});

// In: handle. Out: the decisions by reason (see `limiter::write_counts`).
fast!(shedder_decisions, |s: Scratch| match SHEDDERS.get(s.handle()) {
    Some(sh) => crate::limiter::write_counts(s, sh.inner.decisions()),
    None => s.bad_handle(),
});

// In: handle. Out: the decisions by reason.
fast!(throttle_decisions, |s: Scratch| match THROTTLES.get(s.handle()) {
    Some(t) => crate::limiter::write_counts(s, t.decisions()),
    None => s.bad_handle(),
});

pub const FNS: &[(&str, Callback)] = &[
    ("shedderNew", shedder_new),
    ("shedderAcquire", shedder_acquire),
    ("shedderDone", shedder_done),
    ("shedderCancel", shedder_cancel),
    ("shedderCpu", shedder_cpu),
    ("shedderStats", shedder_stats),
    ("shedderDecisions", shedder_decisions),
    ("shedderSample", shedder_sample),
    ("shedderClose", shedder_close),
    ("throttleNew", throttle_new),
    ("throttleAcquire", throttle_acquire),
    ("throttleRecord", throttle_record),
    ("throttleForget", throttle_forget),
    ("throttleStats", throttle_stats),
    ("throttleDecisions", throttle_decisions),
];
