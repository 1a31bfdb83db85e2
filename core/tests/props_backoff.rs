//! Backoff delays stay within their bounds for any config, attempt and draw.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use weir_core::backoff::{Backoff, BackoffConfig, Jitter};

fn config() -> impl Strategy<Value = BackoffConfig> {
    (1u64..1u64 << 40, 0u64..1u64 << 40, 1.0f64..20.0, 0u8..4, 1u32..10, 0u64..u64::MAX).prop_map(
        |(base, extra, multiplier, jitter, max_attempts, advised_cap)| BackoffConfig {
            base_ns: base,
            cap_ns: base + extra,
            multiplier,
            jitter: Jitter::from_code(jitter).unwrap_or(Jitter::Full),
            max_attempts,
            advised_cap_ns: advised_cap,
        },
    )
}

proptest! {
    #[test]
    fn delays_within_zero_and_cap(c in config(), retry in any::<u32>(), draw in any::<u64>(), previous in any::<u64>()) {
        let Ok(b) = Backoff::new(c) else { return Err(TestCaseError::fail("valid config refused")) };
        let d = b.delay(retry, draw, previous);
        prop_assert!(d <= c.cap_ns);
        let e = b.exponential(retry);
        match c.jitter {
            Jitter::None => prop_assert_eq!(d, e),
            Jitter::Full => prop_assert!(d < e.max(1)),
            Jitter::Equal => prop_assert!(d >= e / 2 && d < e.max(1)),
            Jitter::Decorrelated => prop_assert!(d >= c.base_ns && d <= previous.saturating_mul(3).clamp(c.base_ns, c.cap_ns)),
        }
    }

    #[test]
    fn exponential_grows_until_the_cap(c in config(), retry in 1u32..200) {
        let Ok(b) = Backoff::new(c) else { return Err(TestCaseError::fail("valid config refused")) };
        prop_assert!(b.exponential(retry + 1) >= b.exponential(retry));
        prop_assert!(b.exponential(retry) >= c.base_ns.min(c.cap_ns));
    }

    #[test]
    fn advice_is_capped_and_attempts_bounded(c in config(), attempt in any::<u32>(), advised in proptest::option::of(any::<u64>())) {
        let Ok(b) = Backoff::new(c) else { return Err(TestCaseError::fail("valid config refused")) };
        match b.next(attempt, 0, 0, advised) {
            Ok(d) => {
                prop_assert!(attempt < c.max_attempts);
                if let Some(a) = advised { prop_assert_eq!(d, a.min(c.advised_cap_ns)); }
            }
            Err(r) => { prop_assert!(attempt >= c.max_attempts); prop_assert_eq!(r.as_str(), "attempts_exhausted"); }
        }
    }
}
