//! Properties of the quantile estimator over arbitrary streams: the atomic
//! and plain cells agree; every quantile of the window is within the stated
//! relative error of the exact nearest-rank sample of the samples still in
//! the window; a merge equals recording both streams into one estimator.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use weir_core::quantile::{AtomicQuantiles, QuantileConfig, Quantiles, RELATIVE_ERROR};
use weir_core::MILLISECOND;

fn value() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..100, 0u64..100_000, 0u64..(1 << 42), any::<u64>().prop_map(|v| v >> (v % 64))]
}

fn stream() -> impl Strategy<Value = Vec<(u64, u64)>> {
    prop::collection::vec((0u64..3 * MILLISECOND, value()), 1..200)
}

fn config() -> impl Strategy<Value = QuantileConfig> {
    (1u64..=4, 1u64..10).prop_map(|(n, ms)| QuantileConfig { window_ns: n * ms * MILLISECOND, sub_windows: n })
}

proptest! {
    // Each step reads the whole window (38 KiB of words): fewer cases keep
    // the debug run short.
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn estimates_stay_within_the_error_of_the_window(config in config(), stream in stream(), qs in prop::collection::vec(0.0..=1.0f64, 1..8)) {
        let atomic: AtomicQuantiles = AtomicQuantiles::new(config).unwrap();
        let mut plain: Quantiles = Quantiles::new(config).unwrap();
        let sub = config.window_ns / config.sub_windows;
        let (mut now, mut seen) = (0u64, Vec::new());
        for (step, v) in stream {
            now += step;
            atomic.record(now, v);
            plain.record(now, v);
            seen.push((now / sub, v));
            let epoch = now / sub;
            let mut window: Vec<u64> = seen
                .iter()
                .filter(|(e, _)| epoch - e < config.sub_windows)
                .map(|(_, v)| (*v).min((1 << 42) - 1))
                .collect();
            window.sort_unstable();
            let snapshot = atomic.snapshot(now);
            prop_assert_eq!(snapshot.count(), window.len() as u64);
            prop_assert_eq!(&snapshot, &plain.snapshot(now));
            for &q in &qs {
                let estimate = snapshot.quantile(q).unwrap();
                let rank = ((q * window.len() as f64).ceil() as usize).clamp(1, window.len());
                let exact = window[rank - 1];
                let error = estimate.abs_diff(exact) as f64;
                prop_assert!(error <= RELATIVE_ERROR * exact as f64, "q {} estimate {} exact {}", q, estimate, exact);
            }
        }
    }

    #[test]
    fn merging_equals_recording_both(config in config(), a in stream(), b in stream()) {
        let (x, y, both): (AtomicQuantiles, AtomicQuantiles, AtomicQuantiles) =
            (AtomicQuantiles::new(config).unwrap(), AtomicQuantiles::new(config).unwrap(), AtomicQuantiles::new(config).unwrap());
        let mut events: Vec<(u64, u64, bool)> = Vec::new();
        let (mut ta, mut tb) = (0u64, 0u64);
        events.extend(a.iter().map(|(s, v)| { ta += s; (ta, *v, true) }));
        events.extend(b.iter().map(|(s, v)| { tb += s; (tb, *v, false) }));
        events.sort_by_key(|e| e.0);
        for (t, v, first) in &events {
            if *first { x.record(*t, *v) } else { y.record(*t, *v) }
            both.record(*t, *v);
        }
        let end = events.last().map_or(0, |e| e.0);
        x.merge(&y, end).unwrap();
        prop_assert_eq!(x.snapshot(end), both.snapshot(end));
    }
}

#[test]
fn merging_different_windows_is_refused_by_name() {
    let a: AtomicQuantiles = AtomicQuantiles::new(QuantileConfig::default()).unwrap();
    let b: AtomicQuantiles =
        AtomicQuantiles::new(QuantileConfig { sub_windows: 2, ..QuantileConfig::default() }).unwrap();
    let e = a.merge(&b, 0).unwrap_err();
    assert_eq!(
        (e.field(), e.to_string().as_str()),
        ("sub_windows", "sub_windows must be the same in both estimators of a merge, got 2")
    );
}
