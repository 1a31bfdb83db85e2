//! Any plugin configuration is either refused with a message or accepted;
//! never a panic (which in Envoy would be a VM trap).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match weir_filter::config::parse(data) {
        Ok(config) => assert!(!config.rules.is_empty()),
        Err(problem) => assert!(!problem.to_string().is_empty()),
    }
});
