//! `Retry-After`: any bytes and any wall clock parse or are refused without
//! panicking; a delay-seconds value never depends on the clock.
#![no_main]

use libfuzzer_sys::fuzz_target;
use weir_core::backoff::parse_retry_after;

fuzz_target!(|input: (u64, &[u8])| {
    let (now, value) = input;
    let a = parse_retry_after(value, now);
    if value.iter().any(u8::is_ascii_digit) && value.iter().all(|b| b.is_ascii_digit() || *b == b' ' || *b == b'\t') {
        assert_eq!(a, parse_retry_after(value, now.wrapping_add(12345)));
    }
});
