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
pub const RAMP: [f64; 7] = [0.5, 0.9, 1.2, 1.6, 2.0, 2.5, 0.5];

pub fn phases(secs_per_phase: f64) -> Vec<Phase> {
    RAMP.iter().map(|m| Phase { rps: m * CAPACITY.rps(), secs: secs_per_phase }).collect()
}

/// weir's plugin configuration: a limit just under capacity for everyone.
/// (A rule is applied in order; the first refusal answers.)
pub fn weir_rules() -> String {
    let rate = (0.9 * CAPACITY.rps()).round() as u64;
    format!(r#"{{"rules": [{{"name": "demo", "limit": {{"rate": {rate}, "per": "1s", "burst": {}}}}}]}}"#, rate / 10)
}
