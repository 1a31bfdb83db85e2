//! The breaker's and the adaptive limit's config constructors fed arbitrary
//! fields: each either refuses with a named field or builds something whose
//! decisions never panic and keep their bounds for arbitrary traces.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use weir_core::adaptive_limit::{AdaptiveLimitConfig, Algorithm, AtomicAdaptiveLimit, Outcome};
use weir_core::breaker::{AtomicBreaker, BreakerConfig, WindowKind};

#[derive(Debug, Arbitrary)]
struct Input {
    timed: bool,
    window_calls: u64,
    window_ns: u64,
    buckets: u64,
    minimum_calls: u64,
    failure_rate: f64,
    slow_rate: f64,
    slow_call_ns: u64,
    consecutive: u64,
    open_ns: u64,
    probes: u64,
    half_open_max_ns: u64,
    initial: u64,
    min: u64,
    max: u64,
    algorithm: u8,
    ratio: f64,
    knob: u64,
    calls: Vec<(u64, bool, u64, u8)>,
}

fuzz_target!(|i: Input| {
    let breaker = AtomicBreaker::new(BreakerConfig {
        window: if i.timed { WindowKind::Time } else { WindowKind::Count },
        window_calls: i.window_calls,
        window_ns: i.window_ns,
        buckets: i.buckets,
        minimum_calls: i.minimum_calls,
        failure_rate_threshold: i.failure_rate,
        slow_call_rate_threshold: i.slow_rate,
        slow_call_ns: i.slow_call_ns,
        consecutive_failures: i.consecutive,
        open_ns: i.open_ns,
        half_open_probes: i.probes,
        half_open_max_ns: i.half_open_max_ns,
    });
    let algorithm = match i.algorithm % 3 {
        0 => Algorithm::Gradient2 {
            smoothing: i.ratio,
            rtt_tolerance: i.failure_rate,
            long_window: i.knob,
            queue_size: i.knob,
        },
        1 => Algorithm::Vegas { smoothing: i.ratio, alpha: i.knob, beta: i.consecutive, probe_multiplier: i.probes },
        _ => Algorithm::Aimd { backoff_ratio: i.ratio, timeout_ns: i.knob },
    };
    let limit = AtomicAdaptiveLimit::new(AdaptiveLimitConfig {
        initial_limit: i.initial,
        min_limit: i.min,
        max_limit: i.max,
        algorithm,
    });
    for e in [breaker.as_ref().err(), limit.as_ref().err()].into_iter().flatten() {
        assert!(!e.field().is_empty() && e.to_string().contains(" must be "));
    }
    let mut held = Vec::new();
    let mut permits = Vec::new();
    for (now, failed, rtt, op) in &i.calls {
        if let Ok(b) = &breaker {
            match op % 3 {
                0 => permits.extend(b.acquire(*now).permit),
                1 => {
                    if let Some(p) = permits.pop() {
                        let _ = b.record(*now, p, *failed, *rtt);
                    }
                }
                _ => {
                    if let Some(p) = permits.pop() {
                        let _ = b.release(p);
                    }
                }
            }
            assert!(b.stats(*now).probes_issued <= b.kernel().half_open_probes());
        }
        if let Ok(l) = &limit {
            if op % 2 == 0 {
                held.extend(l.acquire().permit);
            } else if let Some(p) = held.pop() {
                let outcome = if *failed { Outcome::Dropped } else { Outcome::Success };
                let now_limit = l.release(p, *rtt, outcome);
                let (min, max) = l.kernel().bounds();
                assert!(now_limit >= min && now_limit <= max);
            }
            assert_eq!(l.stats().in_flight, held.len() as u64);
        }
    }
});
