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

/// The ceiling both protected cases put in front of the service: a rate
/// from a capacity plan (1.5x what the service can do), a burst of a tenth
/// of a second.
pub fn ceiling() -> (u64, u64) {
    let rate = (1.5 * CAPACITY.rps()).round() as u64;
    (rate, rate / 10)
}

/// weir's plugin configuration, one rule for all traffic:
/// - `limit`: the ceiling, refused with 429 before anything else is asked;
/// - `shed` in mode `latency`: the real protection. An adaptive concurrency
///   limit (Gradient2, weir's defaults) learned from the upstream's response
///   times alone, refusing with 503 whatever would exceed it, so the
///   service's queue stays short whatever its true capacity. The service
///   sends no load header;
/// - `throttle`: refuses locally when more than half of recent answers are
///   5xx (k = 2); here the service never fails, so it stays quiet.
pub fn weir_rules() -> String {
    let (rate, burst) = ceiling();
    format!(
        r#"{{"rules": [{{"name": "demo",
  "limit": {{"rate": {rate}, "per": "1s", "burst": {burst}}},
  "shed": {{"mode": "latency"}},
  "throttle": {{"failures": ["5xx"], "k": 2, "window": "2s"}}}}]}}"#
    )
}

/// Envoy's own protection, as its documentation configures it: the same
/// ceiling with `local_ratelimit` (refused with 429), then
/// `adaptive_concurrency`'s gradient controller with the settings of its
/// documentation's example (p90 of samples, the limit recomputed every
/// 100 ms, the minimum RTT re-measured every 60 s from 50 requests at a
/// pinned concurrency of 3, 10% jitter) and every other field at its
/// default (25% buffer, limit at most 1,000).
pub fn envoy_native_filters() -> String {
    let (rate, burst) = ceiling();
    let per_tenth = rate / 10;
    format!(
        r#"{{"name": "envoy.filters.http.local_ratelimit", "typed_config": {{
  "@type": "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit",
  "stat_prefix": "ceiling",
  "token_bucket": {{"max_tokens": {burst}, "tokens_per_fill": {per_tenth}, "fill_interval": "0.1s"}},
  "filter_enabled": {{"runtime_key": "ceiling_enabled", "default_value": {{"numerator": 100, "denominator": "HUNDRED"}}}},
  "filter_enforced": {{"runtime_key": "ceiling_enforced", "default_value": {{"numerator": 100, "denominator": "HUNDRED"}}}}}}}},
 {{"name": "envoy.filters.http.adaptive_concurrency", "typed_config": {{
  "@type": "type.googleapis.com/envoy.extensions.filters.http.adaptive_concurrency.v3.AdaptiveConcurrency",
  "gradient_controller_config": {{
   "sample_aggregate_percentile": {{"value": 90}},
   "concurrency_limit_params": {{"concurrency_update_interval": "0.1s"}},
   "min_rtt_calc_params": {{"jitter": {{"value": 10}}, "interval": "60s", "request_count": 50}}}}}}}},"#
    )
}
