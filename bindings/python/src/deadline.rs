//! `weir.Deadline` and the header helpers (`grpc-timeout`, milliseconds,
//! `Retry-After`).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use weir_core::backoff::parse_retry_after;
use weir_core::deadline::{
    format_grpc_timeout, format_millis, parse_grpc_timeout, parse_millis, Deadline as CoreDeadline, DeadlineConfig,
    HeaderError,
};

use crate::args::{duration, now_or_clock};
use crate::errors::config_error;

fn header_error(what: &str, value: &str, e: HeaderError) -> PyErr {
    PyValueError::new_err(format!("{what}: cannot use {value:?}: {}", e.as_str()))
}

/// How long a call to one callee may take: `min(own deadline left, timeout)
/// - margin`.
#[pyclass(frozen, subclass, module = "weir._weir", name = "Deadline")]
pub struct Deadline {
    inner: CoreDeadline,
}

#[pymethods]
impl Deadline {
    #[new]
    #[pyo3(signature = (timeout = None, margin = None))]
    fn new(py: Python<'_>, timeout: Option<&Bound<'_, PyAny>>, margin: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        const O: &str = "Deadline";
        let d = DeadlineConfig::default();
        let config = DeadlineConfig {
            timeout_ns: match timeout {
                Some(t) if !t.is_none() => duration(py, O, "timeout", t, true)?,
                _ => d.timeout_ns,
            },
            margin_ns: margin.map_or(Ok(d.margin_ns), |v| duration(py, O, "margin", v, false))?,
        };
        let inner = CoreDeadline::new(config).map_err(|e| config_error(py, O, e, &[]))?;
        Ok(Self { inner })
    }

    /// The callee's timeout in ns at `now`, given the caller's own deadline
    /// (an instant on the monotonic clock, ns), or `None` when nothing is left.
    #[pyo3(signature = (deadline_ns = None, now = None))]
    fn budget_ns(&self, deadline_ns: Option<u64>, now: Option<u64>) -> Option<u64> {
        self.inner.budget(now_or_clock(now), deadline_ns).ok()
    }

    #[getter]
    fn timeout_ns(&self) -> u64 {
        self.inner.config().timeout_ns
    }

    #[getter]
    fn margin_ns(&self) -> u64 {
        self.inner.config().margin_ns
    }
}

/// `grpc-timeout` value -> nanoseconds. `ValueError` names what is wrong.
#[pyfunction]
pub fn parse_grpc_timeout_ns(value: &str) -> PyResult<u64> {
    parse_grpc_timeout(value.as_bytes()).map_err(|e| header_error("grpc-timeout", value, e))
}

/// Plain milliseconds header value -> nanoseconds.
#[pyfunction]
pub fn parse_millis_ns(value: &str) -> PyResult<u64> {
    parse_millis(value.as_bytes()).map_err(|e| header_error("milliseconds header", value, e))
}

/// `Retry-After` (delay-seconds or an IMF-fixdate) -> nanoseconds from now.
/// `now_unix_s` is the wall clock (default: `time.time()`).
#[pyfunction]
#[pyo3(signature = (value, now_unix_s = None))]
pub fn parse_retry_after_ns(value: &str, now_unix_s: Option<u64>) -> PyResult<u64> {
    let now = now_unix_s.unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
    });
    parse_retry_after(value.as_bytes(), now).map_err(|e| header_error("Retry-After", value, e))
}

/// Nanoseconds -> `grpc-timeout` value (rounded up to the finest unit that fits).
#[pyfunction]
#[pyo3(signature = (ns, buf_len = 32))]
pub fn format_grpc_timeout_ns(ns: u64, buf_len: usize) -> PyResult<String> {
    let mut buf = vec![0u8; buf_len.min(64)];
    let n = format_grpc_timeout(ns, &mut buf).map_err(|e| header_error("grpc-timeout", &ns.to_string(), e))?;
    Ok(String::from_utf8_lossy(buf.get(..n).unwrap_or_default()).into_owned())
}

/// Nanoseconds -> whole milliseconds (rounded up) as header text.
#[pyfunction]
#[pyo3(signature = (ns, buf_len = 32))]
pub fn format_millis_ns(ns: u64, buf_len: usize) -> PyResult<String> {
    let mut buf = vec![0u8; buf_len.min(64)];
    let n = format_millis(ns, &mut buf).map_err(|e| header_error("milliseconds header", &ns.to_string(), e))?;
    Ok(String::from_utf8_lossy(buf.get(..n).unwrap_or_default()).into_owned())
}
