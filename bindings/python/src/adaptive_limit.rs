//! `weir.AdaptiveLimiter`: weir-host's `AdaptiveLimiter` (an algorithm by
//! name, the fields given over its defaults, the RTT measured from the
//! permit, decision counters) with Python's argument rules.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use std::sync::{Arc, Mutex};
use weir_host::{AdaptiveLimitOptions, AlgorithmKind, LimitPermit as HostPermit, Outcome};

use crate::args::{count, duration, float, now_or_clock};
use crate::call::guard_methods;
use crate::decision::Decision;
use crate::errors::{bad_arg, config_error, is_local_refusal, rate_limited};

const OWNER: &str = "AdaptiveLimiter";
const RENAMES: &[(&str, &str)] = &[("timeout_ns", "timeout")];

fn outcome(py: Python<'_>, name: &str) -> PyResult<Outcome> {
    Outcome::from_name(name)
        .ok_or_else(|| bad_arg(py, OWNER, "outcome", "\"success\", \"dropped\" or \"ignored\"", format!("{name:?}")))
}

/// An admitted request's slot: give it back once with `release`.
#[pyclass(frozen, module = "weir", name = "LimitPermit")]
#[derive(Clone, Copy)]
pub struct LimitPermit {
    inner: HostPermit,
}

#[pymethods]
impl LimitPermit {
    /// Requests in flight once this one was admitted, itself included.
    #[getter]
    fn in_flight(&self) -> u32 {
        self.inner.permit.in_flight
    }

    /// When it was admitted, ns on `weir.monotonic_ns()`'s clock.
    #[getter]
    fn started_at(&self) -> u64 {
        self.inner.started_at
    }
}

/// A concurrency limit learned from latency alone; see the package docs.
#[pyclass(frozen, subclass, module = "weir._weir", name = "AdaptiveLimiter")]
pub struct AdaptiveLimiter {
    inner: Arc<weir_host::AdaptiveLimiter>,
}

#[pymethods]
impl AdaptiveLimiter {
    #[new]
    #[pyo3(signature = (*, algorithm = None, initial_limit = None, min_limit = None, max_limit = None, smoothing = None, rtt_tolerance = None, long_window = None, queue_size = None, alpha = None, beta = None, probe_multiplier = None, backoff_ratio = None, timeout = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        algorithm: Option<&Bound<'_, PyAny>>,
        initial_limit: Option<&Bound<'_, PyAny>>,
        min_limit: Option<&Bound<'_, PyAny>>,
        max_limit: Option<&Bound<'_, PyAny>>,
        smoothing: Option<&Bound<'_, PyAny>>,
        rtt_tolerance: Option<&Bound<'_, PyAny>>,
        long_window: Option<&Bound<'_, PyAny>>,
        queue_size: Option<&Bound<'_, PyAny>>,
        alpha: Option<&Bound<'_, PyAny>>,
        beta: Option<&Bound<'_, PyAny>>,
        probe_multiplier: Option<&Bound<'_, PyAny>>,
        backoff_ratio: Option<&Bound<'_, PyAny>>,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        const O: &str = OWNER;
        let cnt = |v: Option<&Bound<'_, PyAny>>, f: &str| v.map(|v| count(py, O, f, v)).transpose();
        let real = |v: Option<&Bound<'_, PyAny>>, f: &str| v.map(|v| float(O, f, v)).transpose();
        let algorithm = match algorithm {
            None => None,
            Some(a) => {
                let name: String =
                    a.extract().map_err(|_| PyTypeError::new_err("AdaptiveLimiter: algorithm must be a str"))?;
                Some(AlgorithmKind::from_name(&name).ok_or_else(|| {
                    bad_arg(py, O, "algorithm", "\"gradient2\", \"vegas\" or \"aimd\"", format!("{name:?}"))
                })?)
            }
        };
        let options = AdaptiveLimitOptions {
            algorithm,
            initial_limit: cnt(initial_limit, "initial_limit")?,
            min_limit: cnt(min_limit, "min_limit")?,
            max_limit: cnt(max_limit, "max_limit")?,
            smoothing: real(smoothing, "smoothing")?,
            rtt_tolerance: real(rtt_tolerance, "rtt_tolerance")?,
            long_window: cnt(long_window, "long_window")?,
            queue_size: cnt(queue_size, "queue_size")?,
            alpha: cnt(alpha, "alpha")?,
            beta: cnt(beta, "beta")?,
            probe_multiplier: cnt(probe_multiplier, "probe_multiplier")?,
            backoff_ratio: real(backoff_ratio, "backoff_ratio")?,
            timeout_ns: timeout.map(|v| duration(py, O, "timeout", v, false)).transpose()?,
        };
        let inner = weir_host::AdaptiveLimiter::from_options(options).map_err(|e| config_error(py, O, e, RENAMES))?;
        Ok(Self { inner: Arc::new(inner) })
    }

    /// Takes a slot if fewer than the limit are in flight: `(decision,
    /// permit)`, the permit `None` when refused.
    #[pyo3(signature = (now = None))]
    fn try_acquire(&self, now: Option<u64>) -> (Decision, Option<LimitPermit>) {
        let a = self.inner.acquire_at(now_or_clock(now));
        (a.decision.into(), a.permit.map(|inner| LimitPermit { inner }))
    }

    /// Ends the request of `permit` as `outcome` (`"success"`, `"dropped"`:
    /// timed out or refused for overload, `"ignored"`: says nothing about
    /// capacity); `rtt` in seconds or `weir.Nanos`, default measured from
    /// its admission. Returns the limit now in force. Release each permit
    /// once.
    #[pyo3(signature = (permit, outcome = "success", rtt = None))]
    fn release(
        &self,
        py: Python<'_>,
        permit: &LimitPermit,
        outcome: &str,
        rtt: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u64> {
        let outcome = self::outcome(py, outcome)?;
        Ok(match rtt {
            Some(r) => self.inner.release_rtt(permit.inner.permit, duration(py, OWNER, "rtt", r, false)?, outcome),
            None => self.inner.release(permit.inner, outcome),
        })
    }

    /// The limit in force.
    #[getter]
    fn limit(&self) -> u64 {
        self.inner.stats().limit.limit
    }

    /// The limit, in flight, the estimate, the baseline RTT (seconds and
    /// ns) and the decisions so far by reason.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.inner.stats();
        let d = PyDict::new(py);
        d.set_item("algorithm", self.inner.algorithm().as_str())?;
        d.set_item("limit", s.limit.limit)?;
        d.set_item("in_flight", s.limit.in_flight)?;
        d.set_item("estimate", s.limit.estimate)?;
        d.set_item("baseline_rtt", s.limit.baseline_rtt_ns / 1e9)?;
        d.set_item("baseline_rtt_ns", s.limit.baseline_rtt_ns)?;
        let decisions = PyDict::new(py);
        for (reason, n) in self.inner.decisions().seen() {
            decisions.set_item(reason.as_str(), n)?;
        }
        d.set_item("decisions", decisions)?;
        Ok(d)
    }

    /// `with limiter.acquire() as slot:` takes a slot or raises
    /// `weir.RateLimited` (`concurrency_limited`); on exit the RTT is
    /// measured and the request ends as a success, `"dropped"` after a
    /// `TimeoutError` or `slot.drop()`, `"ignored"` after a weir refusal,
    /// a cancellation or `slot.ignore()`.
    fn acquire(&self) -> LimitCall {
        LimitCall { limiter: Arc::clone(&self.inner), held: Mutex::new(None) }
    }
}

/// One request through an `AdaptiveLimiter`.
#[pyclass(frozen, module = "weir._weir", name = "LimitCall")]
pub struct LimitCall {
    limiter: Arc<weir_host::AdaptiveLimiter>,
    /// The permit and the outcome the block chose, while inside.
    held: Mutex<Option<(HostPermit, Option<Outcome>)>>,
}

impl LimitCall {
    fn enter(&self, py: Python<'_>) -> PyResult<()> {
        let a = self.limiter.acquire();
        let Some(p) = a.permit else {
            return Err(rate_limited(py, a.decision.reason.as_str(), a.decision.retry_after));
        };
        *self.held.lock().unwrap_or_else(|e| e.into_inner()) = Some((p, None));
        Ok(())
    }

    fn choose(&self, o: Outcome) {
        if let Some((_, chosen)) = self.held.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            *chosen = Some(o);
        }
    }

    fn exit(&self, py: Python<'_>, exc: &Bound<'_, PyTuple>) -> PyResult<()> {
        let Some((p, chosen)) = self.held.lock().unwrap_or_else(|e| e.into_inner()).take() else { return Ok(()) };
        let outcome = match (chosen, exc.get_item(1).ok().filter(|v| !v.is_none())) {
            (Some(o), _) => o,
            (None, None) => Outcome::Success,
            (None, Some(v)) if v.is_instance_of::<pyo3::exceptions::PyTimeoutError>() => Outcome::Dropped,
            (None, Some(v)) if !v.is_instance_of::<pyo3::exceptions::PyException>() || is_local_refusal(py, &v)? => {
                Outcome::Ignored
            }
            (None, Some(_)) => Outcome::Success,
        };
        self.limiter.release(p, outcome);
        Ok(())
    }
}

guard_methods!(LimitCall {
    /// End this request as a drop (an overload answer such as 503 or 429).
    fn drop(&self) {
        self.choose(Outcome::Dropped)
    }

    /// End this request without a sample (it never reached the service).
    fn ignore(&self) {
        self.choose(Outcome::Ignored)
    }
});
