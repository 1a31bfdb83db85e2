//! weir-host's glue, for Python code that wants the same clock, key hash
//! and draws as the native classes.

use pyo3::prelude::*;

/// Nanoseconds on the clock every `now` argument defaults to: the scale of
/// `CLOCK_MONOTONIC` (as `time.monotonic_ns()`), read from the CPU's
/// time-stamp counter and anchored to the kernel clock once per process.
#[pyfunction]
pub fn monotonic_ns() -> u64 {
    weir_host::monotonic_now()
}

/// The stable 64-bit hash weir gives a key (str as UTF-8, or bytes) in
/// every runtime.
#[pyfunction]
pub fn hash_key(key: &Bound<'_, PyAny>) -> PyResult<u64> {
    crate::args::key_hash("hash_key", key)
}

/// A uniform random 64-bit int from a per-thread generator.
#[pyfunction]
pub fn draw() -> u64 {
    weir_host::draw()
}
