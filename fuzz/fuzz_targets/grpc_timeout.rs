//! `grpc-timeout` and milliseconds headers: any bytes parse or are refused
//! without panicking; whatever parses formats back to at least as long.
#![no_main]

use libfuzzer_sys::fuzz_target;
use weir_core::deadline::{format_grpc_timeout, format_millis, parse_grpc_timeout, parse_millis};

fuzz_target!(|data: &[u8]| {
    if let Ok(ns) = parse_grpc_timeout(data) {
        let mut buf = [0u8; 9];
        let n = format_grpc_timeout(ns, &mut buf).expect("9 bytes hold any grpc-timeout");
        let back = parse_grpc_timeout(&buf[..n]).expect("own output parses");
        assert!(back >= ns);
    }
    if let Ok(ns) = parse_millis(data) {
        let mut buf = [0u8; 20];
        let n = format_millis(ns, &mut buf).expect("20 bytes hold any u64");
        assert!(parse_millis(&buf[..n]).is_ok());
    }
    // Short buffers are refused, never overrun.
    let ns = data.iter().fold(0u64, |a, b| a.wrapping_mul(131).wrapping_add(u64::from(*b)));
    for len in 0..10 {
        let mut buf = vec![0u8; len];
        if let Ok(n) = format_grpc_timeout(ns, &mut buf) {
            assert!(n <= len);
        }
    }
});
