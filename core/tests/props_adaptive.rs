//! The atomic shedder and throttle cache what they fold from finished
//! buckets; driven by one thread they must decide exactly as the plain cells,
//! which fold afresh every time — whatever the clock does.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use weir_core::shedder::{AtomicShedder, Shedder, ShedderConfig};
use weir_core::throttle::{AtomicThrottle, Throttle, ThrottleConfig};
use weir_core::MILLISECOND;

fn steps() -> impl Strategy<Value = Vec<(i64, u8, u64)>> {
    // (clock step in ms, possibly negative; op; argument)
    prop::collection::vec((-30i64..80, 0u8..4, any::<u64>()), 1..400)
}

fn advance(now: u64, step_ms: i64) -> u64 {
    now.saturating_add_signed(step_ms * MILLISECOND as i64)
}

proptest! {
    #[test]
    fn cached_shedder_matches_plain(trace in steps()) {
        let config = ShedderConfig { window_ns: 1_000 * MILLISECOND, buckets: 10, cpu_decay: 0.5, ..ShedderConfig::default() };
        let atomic = AtomicShedder::new(config).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut plain = Shedder::new(config).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let (mut now, mut started) = (10_000 * MILLISECOND, Vec::new());
        for (step, op, arg) in trace {
            now = advance(now, step);
            match op {
                0 | 1 => {
                    let d = atomic.acquire(now);
                    prop_assert_eq!(d, plain.acquire(now));
                    if d.is_admitted() { started.push(now); }
                }
                2 => if let Some(t) = started.pop() { atomic.done(t, now); plain.done(t, now); },
                _ => { prop_assert_eq!(atomic.record_cpu(arg % 1001), plain.record_cpu(arg % 1001)); }
            }
            prop_assert_eq!(atomic.stats(now), plain.stats(now));
        }
    }

    #[test]
    fn cached_throttle_matches_plain(trace in steps()) {
        let config = ThrottleConfig { window_ns: 1_000 * MILLISECOND, buckets: 10, min_requests: 3, ..ThrottleConfig::default() };
        let atomic = AtomicThrottle::new(config).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut plain = Throttle::new(config).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut now = 10_000 * MILLISECOND;
        for (step, op, arg) in trace {
            now = advance(now, step);
            match op {
                0 | 1 => prop_assert_eq!(atomic.acquire(now, arg), plain.acquire(now, arg)),
                _ => { atomic.record(now, arg % 3 != 0); plain.record(now, arg % 3 != 0); }
            }
            prop_assert_eq!(atomic.stats(now), plain.stats(now));
        }
    }
}
