//! `weir.FleetLimiter`: a limit shared by every process (on every machine)
//! that uses the same Redis key, through weir-fleet's leases.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::time::Duration;
use weir_fleet::{FleetConfig, FleetError, FleetLimiter as CoreFleet};
use weir_host::Counted;

use crate::args::{count, duration};
use crate::decision::{decisions_dict, Decision, DecisionCache};
use crate::errors::{bad_arg, config_error, rate_limited};
use crate::limiter::timeout_ns;
use crate::wait::{block, ready, slow_path};

const O: &str = "FleetLimiter";
const RENAMES: &[(&str, &str)] = &[("limit", "rate")];

fn seconds_arg(py: Python<'_>, field: &str, v: Option<&Bound<'_, PyAny>>, default: Duration) -> PyResult<Duration> {
    match v {
        Some(v) if !v.is_none() => Ok(Duration::from_nanos(duration(py, O, field, v, false)?)),
        _ => Ok(default),
    }
}

fn count_arg(py: Python<'_>, field: &str, v: Option<&Bound<'_, PyAny>>) -> PyResult<u64> {
    match v {
        Some(v) if !v.is_none() => count(py, O, field, v),
        _ => Ok(0),
    }
}

/// `rate` tokens every `per` seconds across every node using Redis key
/// `key`. Each node leases batches of quota from Redis (sized to its recent
/// rate) and spends them locally, so Redis sees about one call per batch.
/// When Redis is slow or down, each node admits its share `rate / nodes`
/// on its own until Redis answers again: it never fails open.
#[pyclass(frozen, subclass, module = "weir._weir", name = "FleetLimiter")]
pub struct FleetLimiter {
    inner: Counted<CoreFleet>,
    answers: DecisionCache,
}

#[pymethods]
impl FleetLimiter {
    #[new]
    #[pyo3(signature = (redis_url, key, rate, per = None, *, nodes = None, burst = None, min_batch = None, max_batch = None,
        batch_period = None, lead = None, lease_ttl = None, redis_timeout = None, retry_interval = None,
        fallback_burst = None, key_idle_ttl = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        redis_url: &str,
        key: &Bound<'_, PyAny>,
        rate: &Bound<'_, PyAny>,
        per: Option<&Bound<'_, PyAny>>,
        nodes: Option<&Bound<'_, PyAny>>,
        burst: Option<&Bound<'_, PyAny>>,
        min_batch: Option<&Bound<'_, PyAny>>,
        max_batch: Option<&Bound<'_, PyAny>>,
        batch_period: Option<&Bound<'_, PyAny>>,
        lead: Option<&Bound<'_, PyAny>>,
        lease_ttl: Option<&Bound<'_, PyAny>>,
        redis_timeout: Option<&Bound<'_, PyAny>>,
        retry_interval: Option<&Bound<'_, PyAny>>,
        fallback_burst: Option<&Bound<'_, PyAny>>,
        key_idle_ttl: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let key: String =
            key.extract().map_err(|_| pyo3::exceptions::PyTypeError::new_err("FleetLimiter: key must be a str"))?;
        let limit = count(py, O, "rate", rate)?;
        let d = FleetConfig::new(redis_url, key, limit, Duration::from_secs(1));
        let nodes = match nodes {
            Some(n) if !n.is_none() => count(py, O, "nodes", n)?,
            _ => d.nodes,
        };
        let config = FleetConfig {
            period: seconds_arg(py, "per", per, d.period)?,
            nodes,
            burst: count_arg(py, "burst", burst)?,
            min_batch: count_arg(py, "min_batch", min_batch)?,
            max_batch: count_arg(py, "max_batch", max_batch)?,
            batch_period: seconds_arg(py, "batch_period", batch_period, d.batch_period)?,
            lead: seconds_arg(py, "lead", lead, d.lead)?,
            lease_ttl: seconds_arg(py, "lease_ttl", lease_ttl, d.lease_ttl)?,
            redis_timeout: seconds_arg(py, "redis_timeout", redis_timeout, d.redis_timeout)?,
            retry_interval: seconds_arg(py, "retry_interval", retry_interval, d.retry_interval)?,
            fallback_burst: count_arg(py, "fallback_burst", fallback_burst)?,
            key_idle_ttl: seconds_arg(py, "key_idle_ttl", key_idle_ttl, d.key_idle_ttl)?,
            ..d
        };
        // Building starts the refill thread; Redis is not contacted here.
        let inner = py.detach(|| CoreFleet::new(config)).map_err(|e| match e {
            FleetError::Config(c) => config_error(py, O, c, RENAMES),
            FleetError::RedisUrl(msg) => bad_arg(py, O, "redis_url", "a redis:// URL", msg),
            FleetError::Thread(io) => pyo3::exceptions::PyOSError::new_err(format!("FleetLimiter: {io}")),
        })?;
        Ok(Self { inner: Counted::new(inner), answers: DecisionCache::new() })
    }

    /// Takes `cost` tokens from this node's lease (or, while Redis is
    /// unreachable, its fallback share). Never waits on Redis.
    #[pyo3(signature = (cost = 1))]
    fn try_acquire(&self, py: Python<'_>, cost: u64) -> PyResult<Py<Decision>> {
        self.answers.answer(py, self.inner.decide(|f| f.try_acquire(cost)))
    }

    /// Waits (GIL released) until admitted, or returns the refusal when
    /// `timeout` would pass first.
    #[pyo3(signature = (cost = 1, timeout = None))]
    fn acquire(&self, py: Python<'_>, cost: u64, timeout: Option<&Bound<'_, PyAny>>) -> PyResult<Decision> {
        let timeout = timeout_ns(py, "FleetLimiter.acquire", timeout)?;
        Ok(block(py, timeout, |_| self.inner.decide(|f| f.try_acquire(cost)))?.into())
    }

    /// `await fleet.acquire_async(cost)`; raises `weir.RateLimited` on timeout.
    #[pyo3(signature = (cost = 1, timeout = None))]
    fn acquire_async(slf: &Bound<'_, Self>, cost: u64, timeout: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let d = slf.get().inner.decide(|f| f.try_acquire(cost));
        if d.is_admitted() {
            return ready(py);
        }
        let timeout = timeout_ns(py, "FleetLimiter.acquire_async", timeout)?;
        let first = Py::new(py, Decision::from(d))?.into_any();
        slow_path(py, slf.getattr("try_acquire")?, (cost,).into_pyobject(py)?, timeout, first)
    }

    /// Counters for metrics: admitted, rejected, Redis calls, leases,
    /// fallbacks, and whether the node is on its fallback share now.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.inner.cell().stats();
        let d = PyDict::new(py);
        d.set_item("admitted", s.admitted)?;
        d.set_item("rejected", s.rejected)?;
        d.set_item("redis_calls", s.redis_calls)?;
        d.set_item("leases", s.leases)?;
        d.set_item("leased_tokens", s.leased_tokens)?;
        d.set_item("fallbacks", s.fallbacks)?;
        d.set_item("resumes", s.resumes)?;
        d.set_item("fallback_admitted", s.fallback_admitted)?;
        d.set_item("in_fallback", s.in_fallback)?;
        d.set_item("lease_left", s.lease_left)?;
        d.set_item("decisions", decisions_dict(py, self.inner.decisions())?)?;
        Ok(d)
    }

    /// The documented overshoot: in any one period the fleet admits at most
    /// `rate * (1 + bound)` while at most `nodes` nodes share the key.
    #[getter]
    fn bound(&self) -> f64 {
        self.inner.cell().bound()
    }

    /// The largest batch this node leases.
    #[getter]
    fn max_batch(&self) -> u64 {
        self.inner.cell().max_batch()
    }

    fn __enter__(slf: &Bound<'_, Self>) -> PyResult<Py<Self>> {
        let py = slf.py();
        let d = block(py, None, |_| slf.get().inner.decide(|f| f.try_acquire(1)))?;
        if !d.is_admitted() {
            return Err(rate_limited(py, d.reason.as_str(), d.retry_after));
        }
        Ok(slf.clone().unbind())
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, _exc: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        false
    }
}
