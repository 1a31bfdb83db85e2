//! The demo's numbers in one place: the service's capacity, the ramp, the
//! client's patience and weir's rules.

use std::time::Duration;

use crate::loadgen::Phase;
use crate::upstream::Capacity;

/// 4 workers x 20 ms: 200 requests per second, a service small enough that
/// the ramp past it costs the shared machine little CPU.
pub const CAPACITY: Capacity = Capacity { slots: 4, work: Duration::from_millis(20), max_queue: 4096 };

/// How long a client waits for an answer, from its scheduled send time.
pub const TIMEOUT: Duration = Duration::from_secs(1);

/// Offered load per phase as a multiple of capacity: under, at, past, far
/// past, then back under to show whether the service recovers.
pub const RAMP: [f64; 7] = [0.5, 0.8, 1.2, 1.6, 2.0, 2.5, 0.5];

pub fn phases(secs_per_phase: f64) -> Vec<Phase> {
    RAMP.iter().map(|m| Phase { rps: m * CAPACITY.rps(), secs: secs_per_phase }).collect()
}

/// weir's plugin configuration, one rule for all traffic:
/// - `limit`: a ceiling from a capacity plan (1.5x what the service can
///   do), refused with 429 before anything else is asked;
/// - `shed`: the real protection. It reads the utilisation the service
///   reports in `x-weir-cpu` and, at 80% or more (aegis's threshold; 90%
///   let the queue grow to ~40 in a trial run), refuses with 503 whatever
///   would exceed max pass x min RT in flight, so the service's queue stays
///   near empty whatever its true capacity;
/// - `throttle`: refuses locally when more than half of recent answers are
///   5xx (k = 2); here the service never fails, so it stays quiet.
pub fn weir_rules() -> String {
    let ceiling = (1.5 * CAPACITY.rps()).round() as u64;
    format!(
        r#"{{"rules": [{{"name": "demo",
  "limit": {{"rate": {ceiling}, "per": "1s", "burst": {}}},
  "shed": {{"cpu_header": "x-weir-cpu", "cpu_threshold": 800, "window": "2s", "buckets": 20, "cool_off": "1s"}},
  "throttle": {{"failures": ["5xx"], "k": 2, "window": "2s"}}}}]}}"#,
        ceiling / 10
    )
}
