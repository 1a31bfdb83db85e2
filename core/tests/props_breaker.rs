//! Properties of the breaker over arbitrary traces: the atomic and the plain
//! cell agree; half-open never has more than `half_open_probes` places
//! taken; a count window holds exactly the outcomes of the last
//! `window_calls` calls of the current closed phase; refusals in open say
//! at most `open_ns`.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use std::collections::VecDeque;
use weir_core::breaker::{AtomicBreaker, Breaker, BreakerConfig, Permit, State, WindowKind};
use weir_core::{Reason, MILLISECOND};

#[derive(Debug, Clone)]
enum Op {
    Acquire,
    Record { which: usize, failed: bool, slow: bool },
    Release { which: usize },
    Admin(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => Just(Op::Acquire),
        6 => (any::<usize>(), any::<bool>(), any::<bool>()).prop_map(|(which, failed, slow)| Op::Record { which, failed, slow }),
        2 => any::<usize>().prop_map(|which| Op::Release { which }),
        1 => (0u8..3).prop_map(Op::Admin),
    ]
}

fn config() -> impl Strategy<Value = BreakerConfig> {
    (any::<bool>(), 1u64..12, 1u64..6, 0u64..4, 1u64..5, prop_oneof![Just(0.0), 1.0..100.0f64], 0u64..3).prop_map(
        |(timed, calls, min, consecutive, probes, failure_rate, half_open_max)| BreakerConfig {
            window: if timed { WindowKind::Time } else { WindowKind::Count },
            window_calls: calls,
            window_ns: 10 * MILLISECOND,
            buckets: 5,
            minimum_calls: if timed { min } else { min.min(calls) },
            failure_rate_threshold: failure_rate,
            slow_call_rate_threshold: 60.0,
            slow_call_ns: MILLISECOND,
            consecutive_failures: consecutive,
            open_ns: 5 * MILLISECOND,
            half_open_probes: probes,
            half_open_max_ns: half_open_max * 4 * MILLISECOND,
        },
    )
}

fn trace() -> impl Strategy<Value = Vec<(u64, Op)>> {
    prop::collection::vec((0u64..3_000_000, op()), 1..300)
}

proptest! {
    #[test]
    fn cells_agree_and_half_open_is_bounded(config in config(), trace in trace()) {
        let atomic = AtomicBreaker::new(config).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut plain = Breaker::new(config).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let (mut now, mut held): (u64, Vec<Permit>) = (0, Vec::new());
        // The count window as a plain list: outcomes of this closed phase.
        let mut closed_phase: Option<u64> = Some(0);
        let mut phase = 0u64;
        let mut window: VecDeque<(bool, bool)> = VecDeque::new();
        let mut permit_phase: Vec<Option<u64>> = Vec::new();
        for (step, op) in trace {
            now += step;
            let mut moved = Vec::new();
            match op {
                Op::Acquire => {
                    let a = atomic.acquire(now);
                    prop_assert_eq!(a, plain.acquire(now));
                    if a.decision.reason == Reason::CircuitOpen && a.decision.retry_after != u64::MAX {
                        prop_assert!(a.decision.retry_after <= config.open_ns);
                    }
                    moved.extend(a.transition);
                    if let Some(p) = a.permit {
                        held.push(p);
                        let in_closed = !p.is_probe() && atomic.stats(now).state == State::Closed;
                        permit_phase.push(if in_closed { closed_phase } else { None });
                    }
                }
                Op::Record { which, failed, slow } if !held.is_empty() => {
                    let i = which % held.len();
                    let duration = if slow { 2 * MILLISECOND } else { 0 };
                    let t = atomic.record(now, held[i], failed, duration);
                    prop_assert_eq!(t, plain.record(now, held[i], failed, duration));
                    if permit_phase[i].is_some() && permit_phase[i] == closed_phase {
                        window.push_back((failed, slow));
                        if window.len() as u64 > config.window_calls {
                            window.pop_front();
                        }
                    }
                    held.remove(i);
                    permit_phase.remove(i);
                    moved.extend(t);
                }
                Op::Release { which } if !held.is_empty() => {
                    let i = which % held.len();
                    prop_assert_eq!(atomic.release(held[i]), plain.release(held[i]));
                    held.remove(i);
                    permit_phase.remove(i);
                }
                Op::Admin(code) => {
                    let t = match code {
                        0 => (atomic.force_open(now), plain.force_open(now)),
                        1 => (atomic.disable(now), plain.disable(now)),
                        _ => (atomic.reset(now), plain.reset(now)),
                    };
                    prop_assert_eq!(t.0, t.1);
                    moved.extend(t.0);
                }
                _ => {}
            }
            for t in &moved {
                phase += 1;
                closed_phase = (t.to == State::Closed).then_some(phase);
                window.clear();
            }
            let stats = atomic.stats(now);
            prop_assert_eq!(stats, plain.stats(now));
            prop_assert!(stats.probes_issued <= config.half_open_probes, "{:?}", stats);
            prop_assert!(stats.window.failures <= stats.window.calls && stats.window.slow <= stats.window.calls);
            if stats.state == State::Closed && config.window == WindowKind::Count {
                let failures = window.iter().filter(|o| o.0).count() as u64;
                let slow = window.iter().filter(|o| o.1).count() as u64;
                prop_assert_eq!((stats.window.calls, stats.window.failures, stats.window.slow),
                    (window.len() as u64, failures, slow));
            }
        }
    }
}
