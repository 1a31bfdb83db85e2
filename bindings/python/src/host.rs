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

/// The 64-bit hash weir gives a key (str as UTF-8, or bytes) in every
/// runtime: under `seed` (a str or bytes secret) where a table made with
/// that seed places it, else the public, unseeded hash.
#[pyfunction]
#[pyo3(signature = (key, seed = None))]
pub fn hash_key(key: &Bound<'_, PyAny>, seed: Option<&Bound<'_, PyAny>>) -> PyResult<u64> {
    let keys = match seed.filter(|s| !s.is_none()) {
        Some(seed) => weir_host::KeyHasher::seeded(crate::args::secret_seed("hash_key", seed)?),
        None => weir_host::KeyHasher::UNSEEDED,
    };
    crate::args::key_hash("hash_key", &keys, key)
}

/// A uniform random 64-bit int from a per-thread generator.
#[pyfunction]
pub fn draw() -> u64 {
    weir_host::draw()
}
