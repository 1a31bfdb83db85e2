//! `weir.HotKeys`: the most requested keys of a stream in fixed memory.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString};
use weir_core::hot_keys::HotKeysConfig;
use weir_host::HotKeys as Host;

use crate::args::{count, duration, key_hash, now_or_clock, seed_hasher};
use crate::errors::config_error;

/// Space-Saving over `capacity` counters (a multiple of 16; default 1024)
/// whose counts halve every `half_life` seconds (default 10; `inf` never).
/// Keys are str or bytes; `seed` (a str or bytes secret) hashes them so
/// callers who choose keys cannot crowd one set. Thread-safe.
#[pyclass(frozen, module = "weir._weir", name = "HotKeys")]
pub struct HotKeys {
    inner: Host,
}

const O: &str = "HotKeys";

#[pymethods]
impl HotKeys {
    #[new]
    #[pyo3(signature = (capacity = None, *, half_life = None, seed = None))]
    fn new(
        py: Python<'_>,
        capacity: Option<&Bound<'_, PyAny>>,
        half_life: Option<&Bound<'_, PyAny>>,
        seed: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let capacity = capacity.map_or(Ok(weir_host::HOT_KEYS_DEFAULT_CAPACITY), |v| count(py, O, "capacity", v))?;
        let half_life_ns =
            half_life.map_or(Ok(HotKeysConfig::default().half_life_ns), |v| duration(py, O, "half_life", v, true))?;
        let hasher = seed_hasher(py, O, seed)?;
        let inner =
            Host::new(capacity, HotKeysConfig { half_life_ns }, hasher).map_err(|e| config_error(py, O, e, &[]))?;
        Ok(Self { inner })
    }

    /// Counts one request for `key` (str or bytes).
    #[pyo3(signature = (key, now = None))]
    fn record(&self, key: &Bound<'_, PyAny>, now: Option<u64>) -> PyResult<()> {
        let now = now_or_clock(now);
        if let Ok(b) = key.cast::<PyBytes>() {
            self.inner.record_at(now, b.as_bytes());
        } else {
            self.inner.record_at(now, str_key(key)?.as_bytes());
        }
        Ok(())
    }

    /// The `k` keys that surely had the most requests: `(key, count,
    /// error)` tuples, largest `count - error` first. A key is returned as
    /// str when its bytes are UTF-8, else as bytes.
    #[pyo3(signature = (k = 10, now = None))]
    fn top<'py>(&self, py: Python<'py>, k: usize, now: Option<u64>) -> PyResult<Bound<'py, PyList>> {
        let out = PyList::empty(py);
        for e in self.inner.top_at(now_or_clock(now), k) {
            let key: Bound<'py, PyAny> = match e.key.as_deref() {
                Some(bytes) => match std::str::from_utf8(bytes) {
                    Ok(s) => PyString::new(py, s).into_any(),
                    Err(_) => PyBytes::new(py, bytes).into_any(),
                },
                None => py.None().into_bound(py),
            };
            out.append((key, e.count, e.error))?;
        }
        Ok(out)
    }

    /// `(count, error)` of `key`: at most `count` requests, at least
    /// `count - error`.
    #[pyo3(signature = (key, now = None))]
    fn estimate(&self, key: &Bound<'_, PyAny>, now: Option<u64>) -> PyResult<(u64, u64)> {
        let hash = self.hash_of(key)?;
        Ok(self.inner.estimate_hashed_at(now_or_clock(now), hash))
    }

    /// The sum of every count (the requests recorded, decayed).
    #[pyo3(signature = (now = None))]
    fn total(&self, now: Option<u64>) -> u64 {
        self.inner.total_at(now_or_clock(now))
    }

    /// Counters in the table.
    #[getter]
    fn capacity(&self) -> usize {
        self.inner.capacity()
    }

    fn _record_hashed(&self, hash: u64, now: u64) {
        self.inner.record_hashed_at(now, hash);
    }

    fn _top_hashed(&self, k: usize, now: u64) -> Vec<(u64, u64, u64)> {
        self.inner.top_at(now, k).into_iter().map(|e| (e.hash, e.count, e.error)).collect()
    }

    fn _estimate_hashed(&self, hash: u64, now: u64) -> (u64, u64) {
        self.inner.estimate_hashed_at(now, hash)
    }
}

impl HotKeys {
    fn hash_of(&self, key: &Bound<'_, PyAny>) -> PyResult<u64> {
        if let Ok(b) = key.cast::<PyBytes>() {
            return Ok(self.inner.hash(b.as_bytes()));
        }
        Ok(self.inner.hash(str_key(key)?.as_bytes()))
    }
}

/// A str key's UTF-8 (copied: the limited API has no borrowed view before
/// 3.10), or the TypeError every keyed table gives.
fn str_key(key: &Bound<'_, PyAny>) -> PyResult<String> {
    if key.cast::<PyString>().is_ok() {
        return key.extract();
    }
    key_hash(O, &weir_host::KeyHasher::UNSEEDED, key).map(|_| String::new())
}
