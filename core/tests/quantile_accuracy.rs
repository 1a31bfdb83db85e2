//! The quantile estimator against an exact sort: 10^6 samples of a
//! lognormal and of a bimodal latency distribution (seeded), every
//! estimate within the stated relative error of the nearest-rank sample.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use weir_core::quantile::{AtomicQuantiles, Histogram, QuantileConfig, Quantiles, RELATIVE_ERROR};
use weir_core::random::SplitMix64;
use weir_core::{MILLISECOND, SECOND};

const SAMPLES: usize = 1_000_000;

fn uniform(g: &mut SplitMix64) -> f64 {
    // 53 random bits in (0, 1): never 0, so the logarithm below is finite.
    ((g.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

fn normal(g: &mut SplitMix64) -> f64 {
    let (u, v) = (uniform(g), uniform(g));
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

/// Lognormal latency: median `median_ns`, log-space deviation `sigma`.
fn lognormal(g: &mut SplitMix64, median_ns: f64, sigma: f64) -> u64 {
    (median_ns * (sigma * normal(g)).exp()) as u64
}

fn lognormal_latencies(seed: u64) -> Vec<u64> {
    let mut g = SplitMix64::new(seed);
    (0..SAMPLES).map(|_| lognormal(&mut g, 2.0 * MILLISECOND as f64, 0.8)).collect()
}

/// 90 % fast answers around 1 ms, 10 % from a slow path around 40 ms.
fn bimodal_latencies(seed: u64) -> Vec<u64> {
    let mut g = SplitMix64::new(seed);
    (0..SAMPLES)
        .map(|_| {
            if g.next_u64() % 10 == 0 {
                lognormal(&mut g, 40.0 * MILLISECOND as f64, 0.3)
            } else {
                lognormal(&mut g, MILLISECOND as f64, 0.25)
            }
        })
        .collect()
}

fn nearest_rank(sorted: &[u64], q: f64) -> u64 {
    let n = sorted.len() as f64;
    let rank = ((q * n).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn quantiles_to_check() -> Vec<f64> {
    let mut qs = vec![0.0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9999, 1.0];
    qs.extend((1..200).map(|i| i as f64 / 200.0));
    qs
}

/// Returns the largest relative error seen.
fn check(name: &str, samples: &[u64]) -> f64 {
    let atomic: AtomicQuantiles = AtomicQuantiles::new(QuantileConfig::default()).unwrap();
    let mut plain: Quantiles = Quantiles::new(QuantileConfig::default()).unwrap();
    // Spread over three sub-windows of one window, as a live stream is.
    let span = 7 * SECOND;
    for (i, &v) in samples.iter().enumerate() {
        let now = 10 * SECOND + span * i as u64 / samples.len() as u64;
        atomic.record(now, v);
        plain.record(now, v);
    }
    let now = 10 * SECOND + span;
    assert_eq!(atomic.count(now), samples.len() as u64, "{name}: every sample is in the window");
    let snapshot = atomic.snapshot(now);
    assert_eq!(snapshot, plain.snapshot(now), "{name}: the cells agree");
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let mut worst = 0.0f64;
    for q in quantiles_to_check() {
        let exact = nearest_rank(&sorted, q);
        let estimate = snapshot.quantile(q).unwrap();
        assert_eq!(Some(estimate), atomic.quantile(q, now));
        let error = estimate.abs_diff(exact) as f64 / exact as f64;
        assert!(error <= RELATIVE_ERROR, "{name} q={q}: estimate {estimate} vs exact {exact}: {error}");
        worst = worst.max(error);
    }
    eprintln!("{name}: worst relative error {:.5} (bound {RELATIVE_ERROR})", worst);
    worst
}

#[test]
fn lognormal_within_the_stated_error() {
    let worst = check("lognormal", &lognormal_latencies(0x5eed_0001));
    assert!(worst > 0.0, "the buckets are coarser than the samples: some error is expected");
}

#[test]
fn bimodal_within_the_stated_error() {
    let samples = bimodal_latencies(0x5eed_0002);
    check("bimodal", &samples);
    // The mixture's two modes show in the estimates.
    let mut h = Histogram::<38>::new();
    samples.iter().for_each(|&v| h.record(v));
    assert!(h.quantile(0.5).unwrap() < 2 * MILLISECOND);
    assert!(h.quantile(0.95).unwrap() > 20 * MILLISECOND);
}

#[test]
fn merged_halves_equal_the_whole() {
    let samples = lognormal_latencies(0x5eed_0003);
    let config = QuantileConfig::default();
    let (a, b, whole): (AtomicQuantiles, AtomicQuantiles, AtomicQuantiles) = (
        AtomicQuantiles::new(config).unwrap(),
        AtomicQuantiles::new(config).unwrap(),
        AtomicQuantiles::new(config).unwrap(),
    );
    for (i, &v) in samples.iter().enumerate().take(100_000) {
        let now = i as u64 * 50_000; // 5 s across two sub-windows
        whole.record(now, v);
        if i % 3 == 0 { &a } else { &b }.record(now, v);
    }
    let now = 5 * SECOND;
    a.merge(&b, now).unwrap();
    assert_eq!(a.snapshot(now), whole.snapshot(now));
    assert_eq!(a.quantile(0.99, now), whole.quantile(0.99, now));
}
