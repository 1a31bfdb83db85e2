//! `weir.LatencyQuantiles`: recent latencies in fixed memory, any quantile
//! within 1/64 of the exact nearest-rank sample.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use weir_core::quantile::QuantileConfig;
use weir_host::LatencyQuantiles as Host;

use crate::args::{count, duration, now_or_clock, real};
use crate::errors::{config_error, unit_error};

/// Recent latencies of one operation over a rolling `window` (seconds,
/// default 10) of `sub_windows` parts (1..4). Thread-safe.
#[pyclass(frozen, module = "weir._weir", name = "LatencyQuantiles")]
pub struct LatencyQuantiles {
    inner: Host,
}

const O: &str = "LatencyQuantiles";

pub(crate) fn window_config(
    py: Python<'_>,
    owner: &str,
    window: Option<&Bound<'_, PyAny>>,
    sub_windows: Option<&Bound<'_, PyAny>>,
) -> PyResult<QuantileConfig> {
    let d = QuantileConfig::default();
    Ok(QuantileConfig {
        window_ns: window.map_or(Ok(d.window_ns), |v| duration(py, owner, "window", v, false))?,
        sub_windows: sub_windows.map_or(Ok(d.sub_windows), |v| count(py, owner, "sub_windows", v))?,
    })
}

#[pymethods]
impl LatencyQuantiles {
    #[new]
    #[pyo3(signature = (*, window = None, sub_windows = None))]
    fn new(
        py: Python<'_>,
        window: Option<&Bound<'_, PyAny>>,
        sub_windows: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let config = window_config(py, O, window, sub_windows)?;
        Ok(Self { inner: Host::new(config).map_err(|e| config_error(py, O, e, &[]))? })
    }

    /// Counts one latency (seconds, a timedelta or `weir.Nanos`).
    #[pyo3(signature = (latency, now = None))]
    fn record(&self, py: Python<'_>, latency: &Bound<'_, PyAny>, now: Option<u64>) -> PyResult<()> {
        let ns = duration(py, O, "latency", latency, false)?;
        self.inner.record_at(now_or_clock(now), ns);
        Ok(())
    }

    /// Counts `n` latencies of `latency_ns` nanoseconds.
    #[pyo3(signature = (latency_ns, n = 1, now = None))]
    fn record_ns(&self, latency_ns: u64, n: u64, now: Option<u64>) {
        self.inner.record_n_at(now_or_clock(now), latency_ns, n);
    }

    /// The `q`-quantile (0..1; 0.99 for p99) in seconds; None when the
    /// window is empty.
    #[pyo3(signature = (q, now = None))]
    fn quantile(&self, py: Python<'_>, q: &Bound<'_, PyAny>, now: Option<u64>) -> PyResult<Option<f64>> {
        Ok(self.quantile_ns(py, q, now)?.map(|ns| ns as f64 / 1e9))
    }

    /// As `quantile`, in whole nanoseconds.
    #[pyo3(signature = (q, now = None))]
    fn quantile_ns(&self, py: Python<'_>, q: &Bound<'_, PyAny>, now: Option<u64>) -> PyResult<Option<u64>> {
        let q = real(O, "q", q)?;
        self.inner.quantile_at(q, now_or_clock(now)).map_err(|e| unit_error(py, O, e, q))
    }

    /// Samples in the window.
    #[pyo3(signature = (now = None))]
    fn count(&self, now: Option<u64>) -> u64 {
        self.inner.count_at(now_or_clock(now))
    }

    /// The window for metrics: `{"count": n, "buckets": [(lower_ns,
    /// upper_ns, count), ...]}`, non-empty buckets ascending (the last
    /// bucket's upper bound is 2**64 - 1).
    #[pyo3(signature = (now = None))]
    fn snapshot<'py>(&self, py: Python<'py>, now: Option<u64>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.inner.snapshot_at(now_or_clock(now));
        let d = PyDict::new(py);
        d.set_item("count", s.count)?;
        let buckets = PyList::empty(py);
        for b in &s.buckets {
            buckets.append((b.lower, b.upper, b.count))?;
        }
        d.set_item("buckets", buckets)?;
        Ok(d)
    }

    /// Adds `other`'s window into this one (both with the same window).
    #[pyo3(signature = (other, now = None))]
    fn merge(&self, py: Python<'_>, other: &Bound<'_, LatencyQuantiles>, now: Option<u64>) -> PyResult<()> {
        self.inner.merge_at(&other.get().inner, now_or_clock(now)).map_err(|e| config_error(py, O, e, &[]))
    }

    /// `(lower_ns, upper_ns)` of the bucket `value_ns` is counted in.
    #[staticmethod]
    fn bucket_bounds_ns(value_ns: u64) -> (u64, u64) {
        Host::bucket_bounds(value_ns)
    }
}
