//! `weir.Throttle`: Google SRE client-side adaptive throttling.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use weir_core::throttle::{AtomicThrottle, ThrottleConfig};
use weir_host::Counted;

use crate::args::{count, duration, float, now_or_clock};
use crate::call::{failures_of, guard_methods, is_failure};
use crate::decision::{decisions_dict, Decision};
use crate::errors::{config_error, is_local_refusal, throttled};
use crate::events::{Hooks, THROTTLE};

/// Rejects calls locally, with probability
/// `max(0, (requests - k * accepts) / (requests + 1))` over the last
/// `window`, once the backend starts failing. `failures` says which
/// exceptions count as a failed call: a tuple of exception types (default
/// `(Exception,)`) or a predicate `exc -> bool`; anything else that ends the
/// block (including no exception) counts as a success.
#[pyclass(frozen, subclass, module = "weir._weir", name = "Throttle")]
pub struct Throttle {
    inner: Arc<Counted<AtomicThrottle>>,
    failures: Py<PyAny>,
    hooks: Arc<Hooks>,
}

#[pymethods]
impl Throttle {
    #[new]
    #[pyo3(signature = (*, k = None, window = None, buckets = None, min_requests = None, max_reject_probability = None, failures = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        k: Option<&Bound<'_, PyAny>>,
        window: Option<&Bound<'_, PyAny>>,
        buckets: Option<&Bound<'_, PyAny>>,
        min_requests: Option<&Bound<'_, PyAny>>,
        max_reject_probability: Option<&Bound<'_, PyAny>>,
        failures: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        const O: &str = "Throttle";
        let d = ThrottleConfig::default();
        let config = ThrottleConfig {
            k: k.map_or(Ok(d.k), |v| float(O, "k", v))?,
            window_ns: window.map_or(Ok(d.window_ns), |v| duration(py, O, "window", v, false))?,
            buckets: buckets.map_or(Ok(d.buckets), |v| count(py, O, "buckets", v))?,
            min_requests: min_requests.map_or(Ok(d.min_requests), |v| count(py, O, "min_requests", v))?,
            max_reject_probability: max_reject_probability
                .map_or(Ok(d.max_reject_probability), |v| float(O, "max_reject_probability", v))?,
        };
        let failures = failures_of(py, O, failures)?;
        let hooks = Arc::new(Hooks::new(O, weir_host::Events::throttle(&config), THROTTLE));
        let inner = Arc::new(Counted::new(AtomicThrottle::new(config).map_err(|e| config_error(py, O, e, &[]))?));
        Ok(Self { inner, failures, hooks })
    }

    /// Asks to send a call. `draw` is a uniform random 64-bit int (default:
    /// a per-thread generator).
    #[pyo3(signature = (now = None, draw = None))]
    fn try_acquire(&self, py: Python<'_>, now: Option<u64>, draw: Option<u64>) -> Decision {
        let now = now_or_clock(now);
        let d = self.inner.decide(|t| t.acquire(now, draw.unwrap_or_else(weir_host::draw)));
        self.hooks.observe(py, now, &d);
        d.into()
    }

    /// Calls `callback(weir.Event)` on each `"refused"`, `"refusing_started"`
    /// or `"refusing_stopped"` (per `event`), in order, once the call that
    /// caused it has decided. An exception in it goes to `sys.unraisablehook`.
    fn on(&self, py: Python<'_>, event: &str, callback: Bound<'_, PyAny>) -> PyResult<()> {
        self.hooks.on(py, event, callback)
    }

    /// Reports how a sent call ended.
    #[pyo3(signature = (success, now = None))]
    fn record(&self, success: bool, now: Option<u64>) {
        self.inner.cell().record(now_or_clock(now), success)
    }

    /// Takes back a call admitted at `acquired_at` (the `now` of its
    /// `try_acquire`) that never reached the backend: it counts as neither a
    /// request nor a failure. Use it instead of `record`.
    fn forget(&self, acquired_at: u64) {
        self.inner.cell().forget(acquired_at)
    }

    /// `with throttle.call():` admits or raises `weir.Throttled`, and on
    /// exit records success, or failure for an exception `failures` names;
    /// a weir refusal inside the block (`weir.Refused`,
    /// `weir.DeadlineExceeded`) is forgotten, as the backend never saw it.
    fn call(&self, py: Python<'_>) -> ThrottleCall {
        ThrottleCall {
            throttle: Arc::clone(&self.inner),
            hooks: Arc::clone(&self.hooks),
            failures: self.failures.clone_ref(py),
            acquired_at: AtomicU64::new(NOT_ACQUIRED),
        }
    }

    /// Requests and accepts over the window, and the current rejection probability.
    #[pyo3(signature = (now = None))]
    fn stats<'py>(&self, py: Python<'py>, now: Option<u64>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.inner.cell().stats(now_or_clock(now));
        let d = PyDict::new(py);
        d.set_item("requests", s.requests)?;
        d.set_item("accepts", s.accepts)?;
        d.set_item("reject_probability", s.reject_probability)?;
        d.set_item("decisions", decisions_dict(py, self.inner.decisions())?)?;
        d.set_item("events_dropped", self.hooks.dropped())?;
        Ok(d)
    }

    /// Whether `exc` counts as a failure under this throttle's `failures`.
    fn is_failure(&self, py: Python<'_>, exc: &Bound<'_, PyAny>) -> PyResult<bool> {
        is_failure(py, &self.failures, exc)
    }
}

/// One call through a `Throttle`.
#[pyclass(frozen, module = "weir._weir", name = "ThrottleCall")]
pub struct ThrottleCall {
    throttle: Arc<Counted<AtomicThrottle>>,
    hooks: Arc<Hooks>,
    failures: Py<PyAny>,
    /// When the open call was admitted; `NOT_ACQUIRED` outside the block.
    acquired_at: AtomicU64,
}

const NOT_ACQUIRED: u64 = u64::MAX;

impl ThrottleCall {
    fn enter(&self, py: Python<'_>) -> PyResult<()> {
        let now = weir_host::monotonic_now();
        let d = self.throttle.decide(|t| t.acquire(now, weir_host::draw()));
        self.hooks.observe(py, now, &d);
        if !d.is_admitted() {
            return Err(throttled(py, d.retry_after));
        }
        self.acquired_at.store(now, Ordering::Relaxed);
        Ok(())
    }

    fn exit(&self, py: Python<'_>, exc: &Bound<'_, PyTuple>) -> PyResult<()> {
        let acquired_at = self.acquired_at.swap(NOT_ACQUIRED, Ordering::Relaxed);
        if acquired_at == NOT_ACQUIRED {
            return Ok(());
        }
        let failed = match exc.get_item(1).ok().filter(|v| !v.is_none()) {
            Some(v) if is_local_refusal(py, &v)? => {
                self.throttle.cell().forget(acquired_at);
                return Ok(());
            }
            Some(v) => is_failure(py, &self.failures, &v)?,
            None => false,
        };
        self.throttle.cell().record(weir_host::monotonic_now(), !failed);
        Ok(())
    }
}

guard_methods!(ThrottleCall {});
