//! Header codecs: formatting never gives less time than asked, parsing
//! never panics and never reads junk as a number; budgets stay in bounds.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use weir_core::backoff::parse_retry_after;
use weir_core::deadline::{
    format_grpc_timeout, format_millis, parse_grpc_timeout, parse_millis, Deadline, DeadlineConfig,
};

proptest! {
    #[test]
    fn grpc_timeout_round_trips_up(ns in any::<u64>()) {
        let mut buf = [0u8; 9];
        let Ok(n) = format_grpc_timeout(ns, &mut buf) else { return Err(TestCaseError::fail("9 bytes must be enough")) };
        let text = buf.get(..n).unwrap_or_default();
        let Ok(back) = parse_grpc_timeout(text) else { return Err(TestCaseError::fail("own output refused")) };
        prop_assert!(back >= ns);
        // Rounded up by less than one unit of the chosen scale.
        let unit = match text.last() { Some(b'n') => 1, Some(b'u') => 1_000, Some(b'm') => 1_000_000,
            Some(b'S') => 1_000_000_000, Some(b'M') => 60_000_000_000, _ => 3_600_000_000_000u64 };
        prop_assert!(back - ns < unit);
    }

    #[test]
    fn millis_round_trip_up(ns in any::<u64>()) {
        let mut buf = [0u8; 20];
        let Ok(n) = format_millis(ns, &mut buf) else { return Err(TestCaseError::fail("20 bytes must be enough")) };
        let Ok(back) = parse_millis(buf.get(..n).unwrap_or_default()) else { return Err(TestCaseError::fail("own output refused")) };
        prop_assert!(back >= ns || back == u64::MAX);
    }

    #[test]
    fn parsers_accept_only_their_grammar(bytes in prop::collection::vec(any::<u8>(), 0..40), now in any::<u64>()) {
        if parse_grpc_timeout(&bytes).is_ok() {
            let (unit, digits) = bytes.split_last().unwrap_or((&0, &[]));
            prop_assert!(b"HMSmun".contains(unit) && !digits.is_empty() && digits.len() <= 8);
            prop_assert!(digits.iter().all(u8::is_ascii_digit));
        }
        if parse_millis(&bytes).is_ok() {
            prop_assert!(!bytes.is_empty() && bytes.iter().all(u8::is_ascii_digit));
        }
        let _ = parse_retry_after(&bytes, now);
    }

    #[test]
    fn budget_is_within_both_bounds(timeout in 1u64.., margin in any::<u64>(), now in any::<u64>(), deadline in proptest::option::of(any::<u64>())) {
        let margin = margin % timeout;
        let Ok(d) = Deadline::new(DeadlineConfig { timeout_ns: timeout, margin_ns: margin }) else {
            return Err(TestCaseError::fail("valid config refused"));
        };
        match d.budget(now, deadline) {
            Ok(t) => {
                prop_assert!(t > 0 && t <= timeout - margin);
                if let Some(at) = deadline { prop_assert!(t <= at.saturating_sub(now).saturating_sub(margin)); }
            }
            Err(_) => prop_assert!(deadline.is_some_and(|at| at.saturating_sub(now) <= margin)),
        }
    }
}
