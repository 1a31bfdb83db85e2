//! Properties of the adaptive limit over arbitrary traces and configs: no
//! admission passes the limit in force, the limit and the estimate stay
//! within `[min_limit, max_limit]`, the in-flight count is the permits held,
//! Gradient2 never grows while fewer than half its limit are in flight nor
//! shrinks on a sample admitted above its estimate, and the atomic and the
//! plain cell agree.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use weir_core::adaptive_limit::{AdaptiveLimit, AdaptiveLimitConfig, Algorithm, AtomicAdaptiveLimit, Outcome, Permit};
use weir_core::MILLISECOND;

fn algorithm() -> impl Strategy<Value = Algorithm> {
    prop_oneof![
        (0.01..=1.0f64, 1.0..3.0f64, 1u64..1000, 0u64..20).prop_map(
            |(smoothing, rtt_tolerance, long_window, queue_size)| {
                Algorithm::Gradient2 { smoothing, rtt_tolerance, long_window, queue_size }
            }
        ),
        (0.01..=1.0f64, 1u64..5, 0u64..5, 1u64..40).prop_map(|(smoothing, alpha, extra, probe_multiplier)| {
            Algorithm::Vegas { smoothing, alpha, beta: alpha + extra, probe_multiplier }
        }),
        (0.5..0.99f64, 1u64..200).prop_map(|(backoff_ratio, timeout_ms)| Algorithm::Aimd {
            backoff_ratio,
            timeout_ns: timeout_ms * MILLISECOND
        }),
    ]
}

fn config() -> impl Strategy<Value = AdaptiveLimitConfig> {
    (1u64..30, 0u64..50, 0u64..100, algorithm()).prop_map(|(min, span, start, algorithm)| AdaptiveLimitConfig {
        initial_limit: min + start % (span + 1),
        min_limit: min,
        max_limit: min + span,
        algorithm,
    })
}

fn trace() -> impl Strategy<Value = Vec<(bool, usize, u64, u8)>> {
    // (acquire?, which permit to release, rtt in 0.1 ms, outcome)
    prop::collection::vec((any::<bool>(), any::<usize>(), 0u64..3000, 0u8..3), 1..500)
}

proptest! {
    #[test]
    fn limit_holds_and_cells_agree(config in config(), trace in trace()) {
        let atomic = AtomicAdaptiveLimit::new(config).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut plain = AdaptiveLimit::new(config).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut held: Vec<Permit> = Vec::new();
        for (acquire, which, rtt, outcome) in trace {
            let before = atomic.stats();
            if acquire || held.is_empty() {
                let a = atomic.acquire();
                prop_assert_eq!(a, plain.acquire());
                if let Some(p) = a.permit {
                    prop_assert!(u64::from(p.in_flight) <= before.limit, "admitted past the limit: {:?} {:?}", p, before);
                    held.push(p);
                } else {
                    prop_assert!(before.in_flight >= before.limit);
                }
            } else {
                let p = held.remove(which % held.len());
                let outcome = [Outcome::Success, Outcome::Dropped, Outcome::Ignored][usize::from(outcome)];
                let rtt = rtt * MILLISECOND / 10;
                prop_assert_eq!(atomic.release(p, rtt, outcome), plain.release(p, rtt, outcome));
                let after = atomic.stats().estimate;
                if matches!(config.algorithm, Algorithm::Gradient2 { .. }) {
                    let admitted_with = f64::from(p.in_flight);
                    if admitted_with < before.estimate / 2.0 {
                        prop_assert!(after <= before.estimate, "grew while app-limited: {:?} -> {}", before, after);
                    }
                    if admitted_with > before.estimate {
                        prop_assert!(after >= before.estimate, "a queue already cut, cut again: {:?} -> {}", before, after);
                    }
                }
            }
            let stats = atomic.stats();
            prop_assert_eq!(stats, plain.stats());
            prop_assert!(stats.limit >= config.min_limit && stats.limit <= config.max_limit, "{:?}", stats);
            prop_assert!(stats.estimate >= config.min_limit as f64 && stats.estimate <= config.max_limit as f64, "{:?}", stats);
            prop_assert_eq!(stats.in_flight, held.len() as u64);
        }
    }
}
