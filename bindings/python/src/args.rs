//! Turning Python arguments into core's integers, with errors that name the
//! argument: durations in seconds (int, float, `timedelta` or exact
//! `weir.Nanos`), counts as non-negative ints, keys as str or bytes.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDelta, PyFloat, PyInt, PyString};

use crate::errors::bad_arg;
use weir_host::{HashSeed, KeyHasher};

/// An exact duration in nanoseconds, for callers (and conformance vectors)
/// that must not go through float seconds.
#[pyclass(frozen, module = "weir", name = "Nanos")]
#[derive(Clone, Copy)]
pub struct Nanos {
    #[pyo3(get)]
    pub ns: u64,
}

#[pymethods]
impl Nanos {
    #[new]
    fn new(py: Python<'_>, ns: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(Self { ns: count(py, "Nanos", "ns", ns)? })
    }

    fn __int__(&self) -> u64 {
        self.ns
    }

    fn __index__(&self) -> u64 {
        self.ns
    }

    fn __repr__(&self) -> String {
        format!("weir.Nanos({})", self.ns)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<Nanos>().is_ok_and(|o| o.get().ns == self.ns)
    }

    fn __hash__(&self) -> u64 {
        self.ns
    }
}

fn type_error(owner: &str, field: &str, want: &str, got: &Bound<'_, PyAny>) -> PyErr {
    let ty = got.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into());
    PyTypeError::new_err(format!("{owner}: {field} must be {want}, got {ty}"))
}

/// A duration in nanoseconds from seconds. Negative, NaN, infinite and too
/// large values are refused by name; `u64::MAX` stays reachable through
/// `float('inf')` only where `allow_inf` says so.
pub fn duration(py: Python<'_>, owner: &str, field: &str, v: &Bound<'_, PyAny>, allow_inf: bool) -> PyResult<u64> {
    if let Ok(n) = v.cast::<Nanos>() {
        return Ok(n.get().ns);
    }
    if v.is_instance_of::<PyBool>() {
        return Err(type_error(owner, field, "a number of seconds", v));
    }
    let seconds: f64 = if v.is_instance_of::<PyInt>() {
        let i: i128 = v.extract().map_err(|_| bad_arg(py, owner, field, "a duration that fits u64 nanoseconds", v))?;
        if i < 0 {
            return Err(bad_arg(py, owner, field, ">= 0 seconds", i));
        }
        return u64::try_from(i)
            .ok()
            .and_then(|s| s.checked_mul(1_000_000_000))
            .ok_or_else(|| bad_arg(py, owner, field, "a duration that fits u64 nanoseconds", i));
    } else if v.is_instance_of::<PyFloat>() {
        v.extract()?
    } else if let Ok(delta) = v.cast::<PyDelta>() {
        delta.call_method0("total_seconds")?.extract()?
    } else {
        return Err(type_error(owner, field, "a number of seconds, a timedelta or weir.Nanos", v));
    };
    if seconds.is_nan() || seconds < 0.0 {
        return Err(bad_arg(py, owner, field, ">= 0 seconds", seconds));
    }
    if seconds.is_infinite() {
        return if allow_inf { Ok(u64::MAX) } else { Err(bad_arg(py, owner, field, "finite", seconds)) };
    }
    let ns = (seconds * 1e9).round();
    if ns >= u64::MAX as f64 {
        return Err(bad_arg(py, owner, field, "a duration that fits u64 nanoseconds", seconds));
    }
    Ok(ns as u64)
}

/// A real number argument (an int or a float, not a bool) as f64; its range
/// is weir-host's to judge.
pub fn real(owner: &str, field: &str, v: &Bound<'_, PyAny>) -> PyResult<f64> {
    if v.is_instance_of::<pyo3::types::PyBool>() {
        return Err(type_error(owner, field, "a number", v));
    }
    v.extract::<f64>().map_err(|_| type_error(owner, field, "a number", v))
}

/// A non-negative integer.
pub fn count(py: Python<'_>, owner: &str, field: &str, v: &Bound<'_, PyAny>) -> PyResult<u64> {
    if v.is_instance_of::<PyBool>() || !v.is_instance_of::<PyInt>() {
        if let Ok(n) = v.cast::<Nanos>() {
            return Ok(n.get().ns);
        }
        return Err(type_error(owner, field, "an int", v));
    }
    let i: i128 = v.extract().map_err(|_| bad_arg(py, owner, field, "<= 2**64 - 1", v))?;
    u64::try_from(i).map_err(|_| {
        if i < 0 {
            bad_arg(py, owner, field, ">= 0", i)
        } else {
            bad_arg(py, owner, field, "<= 2**64 - 1", i)
        }
    })
}

/// The hash of a key, str (UTF-8) or bytes, under `keys` (a table's own
/// hasher), as every weir runtime hashes it.
pub fn key_hash(owner: &str, keys: &KeyHasher, key: &Bound<'_, PyAny>) -> PyResult<u64> {
    Ok(keys.hash(key_bytes(owner, "key", key)?))
}

/// The bytes of a str (UTF-8) or bytes argument.
fn key_bytes<'a>(owner: &str, field: &str, v: &'a Bound<'_, PyAny>) -> PyResult<&'a [u8]> {
    if let Ok(s) = v.cast::<PyString>() {
        return utf8(s);
    }
    if let Ok(b) = v.cast::<PyBytes>() {
        return Ok(b.as_bytes());
    }
    Err(type_error(owner, field, "str or bytes", v))
}

/// The hasher of a constructor's `seed=`: None is the public hash; a str
/// (UTF-8) or bytes secret seeds it. An empty secret is refused, and a
/// refusal never repeats the secret.
pub fn seed_hasher(py: Python<'_>, owner: &str, seed: Option<&Bound<'_, PyAny>>) -> PyResult<KeyHasher> {
    let Some(seed) = seed.filter(|s| !s.is_none()) else { return Ok(KeyHasher::UNSEEDED) };
    KeyHasher::from_secret(key_bytes(owner, "seed", seed)?).map_err(|e| bad_arg(py, owner, e.field, e.rule, "''"))
}

/// The seed of `weir.hash_key(seed=...)`: any str or bytes secret, the
/// empty one included (it is what the cross-runtime vectors pin).
pub fn secret_seed(owner: &str, seed: &Bound<'_, PyAny>) -> PyResult<HashSeed> {
    Ok(HashSeed::from_secret(key_bytes(owner, "seed", seed)?))
}

extern "C" {
    // Exported by every CPython 3; in the limited API only from 3.10, so
    // pyo3 hides it from an abi3-py39 build. Unlike `PyUnicode_AsUTF8String`
    // it allocates nothing for ASCII keys (the common case).
    fn PyUnicode_AsUTF8AndSize(
        unicode: *mut pyo3::ffi::PyObject,
        size: *mut pyo3::ffi::Py_ssize_t,
    ) -> *const std::os::raw::c_char;
}

/// The UTF-8 bytes of `s`, borrowed from the str object itself.
fn utf8<'a>(s: &'a Bound<'_, PyString>) -> PyResult<&'a [u8]> {
    let mut size: pyo3::ffi::Py_ssize_t = 0;
    // SAFETY: `s` is a live str (the GIL is held); on success the pointer
    // addresses `size` bytes owned by `s`, valid as long as `s` is, which
    // the returned lifetime ties to the borrow of `s`.
    let data = unsafe { PyUnicode_AsUTF8AndSize(s.as_ptr(), &mut size) };
    if data.is_null() {
        return Err(PyErr::fetch(s.py()));
    }
    let len = usize::try_from(size).unwrap_or(0);
    // SAFETY: see above; `data` is non-null and points at `len` bytes.
    Ok(unsafe { std::slice::from_raw_parts(data.cast::<u8>(), len) })
}

/// `now` when given (nanoseconds on the caller's monotonic clock), else
/// weir-host's clock: `CLOCK_MONOTONIC`'s scale, read from the TSC.
#[inline]
pub fn now_or_clock(now: Option<u64>) -> u64 {
    match now {
        Some(n) => n,
        None => weir_host::monotonic_now(),
    }
}

/// A float that may be outside any range (core checks ranges and names them).
pub fn float(owner: &str, field: &str, v: &Bound<'_, PyAny>) -> PyResult<f64> {
    if v.is_instance_of::<PyBool>() || !(v.is_instance_of::<PyInt>() || v.is_instance_of::<PyFloat>()) {
        return Err(type_error(owner, field, "a number", v));
    }
    v.extract()
}
