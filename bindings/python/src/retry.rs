//! `weir.Backoff`, `weir.RetryBudget` and the one call `weir.retry` makes
//! after a failed attempt.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::Arc;
use weir_core::backoff::{Backoff as CoreBackoff, BackoffConfig, Jitter};
use weir_core::budget::{retry as core_retry, AtomicRetryBudget, RetryAsk, RetryBudgetConfig, Unbudgeted};
use weir_core::Reason;

use crate::args::{count, duration, float, now_or_clock};
use crate::decision::Decision;
use crate::errors::{bad_arg, config_error};
use crate::events::{Hooks, BUDGET};

const BACKOFF_RENAMES: &[(&str, &str)] = &[("max_attempts", "attempts")];

/// Exponential backoff with jitter (`"none"`, `"full"`, `"equal"`,
/// `"decorrelated"`). `attempts` counts every call, the first included.
/// Iterating gives the delays (seconds) before each retry.
#[pyclass(frozen, subclass, module = "weir._weir", name = "Backoff")]
pub struct Backoff {
    pub(crate) inner: CoreBackoff,
}

#[pymethods]
impl Backoff {
    #[new]
    #[pyo3(signature = (*, base = None, cap = None, multiplier = None, jitter = None, attempts = None, advised_cap = None))]
    fn new(
        py: Python<'_>,
        base: Option<&Bound<'_, PyAny>>,
        cap: Option<&Bound<'_, PyAny>>,
        multiplier: Option<&Bound<'_, PyAny>>,
        jitter: Option<&Bound<'_, PyAny>>,
        attempts: Option<&Bound<'_, PyAny>>,
        advised_cap: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        const O: &str = "Backoff";
        let d = BackoffConfig::default();
        let jitter = match jitter {
            None => d.jitter,
            Some(j) if j.is_none() => d.jitter,
            Some(j) => {
                let name: String = j.extract().map_err(|_| {
                    pyo3::exceptions::PyTypeError::new_err(
                        "Backoff: jitter must be a str (none, full, equal, decorrelated)",
                    )
                })?;
                Jitter::from_name(&name).ok_or_else(|| {
                    bad_arg(py, O, "jitter", "one of none, full, equal, decorrelated", format!("{name:?}"))
                })?
            }
        };
        let attempts = attempts.map_or(Ok(u64::from(d.max_attempts)), |v| count(py, O, "attempts", v))?;
        let config = BackoffConfig {
            base_ns: base.map_or(Ok(d.base_ns), |v| duration(py, O, "base", v, false))?,
            cap_ns: cap.map_or(Ok(d.cap_ns), |v| duration(py, O, "cap", v, false))?,
            multiplier: multiplier.map_or(Ok(d.multiplier), |v| float(O, "multiplier", v))?,
            jitter,
            max_attempts: u32::try_from(attempts).map_err(|_| bad_arg(py, O, "attempts", "<= 2**32 - 1", attempts))?,
            advised_cap_ns: advised_cap.map_or(Ok(d.advised_cap_ns), |v| duration(py, O, "advised_cap", v, true))?,
        };
        let inner = CoreBackoff::new(config).map_err(|e| config_error(py, O, e, BACKOFF_RENAMES))?;
        Ok(Self { inner })
    }

    /// The delay (ns) before retry number `retry` (1 for the first retry).
    #[pyo3(signature = (retry, draw = None, previous_ns = 0))]
    fn delay_ns(&self, retry: u32, draw: Option<u64>, previous_ns: u64) -> u64 {
        self.inner.delay(retry, draw.unwrap_or_else(weir_host::draw), previous_ns)
    }

    /// After attempt `attempt` (1 for the first call) failed: `(reason,
    /// delay_ns)`, reason `"admitted"` or `"attempts_exhausted"`.
    #[pyo3(signature = (attempt, draw = None, previous_ns = 0, advised_ns = None))]
    fn next_ns(
        &self,
        attempt: u32,
        draw: Option<u64>,
        previous_ns: u64,
        advised_ns: Option<u64>,
    ) -> (&'static str, u64) {
        match self.inner.next(attempt, draw.unwrap_or_else(weir_host::draw), previous_ns, advised_ns) {
            Ok(d) => (Reason::Admitted.as_str(), d),
            Err(r) => (r.as_str(), 0),
        }
    }

    #[getter]
    fn attempts(&self) -> u32 {
        self.inner.config().max_attempts
    }

    #[getter]
    fn jitter(&self) -> &'static str {
        self.inner.config().jitter.as_str()
    }

    #[getter]
    fn base(&self) -> f64 {
        self.inner.config().base_ns as f64 / 1e9
    }

    #[getter]
    fn cap(&self) -> f64 {
        self.inner.config().cap_ns as f64 / 1e9
    }
}

/// Retries may be at most `ratio` of the calls over the last `window`, plus
/// `min_per_second`. Share one budget among every caller of a dependency
/// (the retry loops and a `Hedger(budget=...)`).
#[pyclass(frozen, subclass, module = "weir._weir", name = "RetryBudget")]
pub struct RetryBudget {
    /// Shared with the hedgers made with this budget.
    pub(crate) inner: Arc<AtomicRetryBudget>,
    hooks: Hooks,
}

#[pymethods]
impl RetryBudget {
    #[new]
    #[pyo3(signature = (*, ratio = None, min_per_second = None, window = None, buckets = None))]
    fn new(
        py: Python<'_>,
        ratio: Option<&Bound<'_, PyAny>>,
        min_per_second: Option<&Bound<'_, PyAny>>,
        window: Option<&Bound<'_, PyAny>>,
        buckets: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        const O: &str = "RetryBudget";
        let d = RetryBudgetConfig::default();
        let config = RetryBudgetConfig {
            ratio: ratio.map_or(Ok(d.ratio), |v| float(O, "ratio", v))?,
            min_per_second: min_per_second.map_or(Ok(d.min_per_second), |v| count(py, O, "min_per_second", v))?,
            window_ns: window.map_or(Ok(d.window_ns), |v| duration(py, O, "window", v, false))?,
            buckets: buckets.map_or(Ok(d.buckets), |v| count(py, O, "buckets", v))?,
        };
        let hooks = Hooks::new(O, weir_host::Events::budget(&config), BUDGET);
        let inner = AtomicRetryBudget::new(config).map_err(|e| config_error(py, O, e, &[]))?;
        Ok(Self { inner: Arc::new(inner), hooks })
    }

    /// Counts one call (not a retry).
    #[pyo3(signature = (now = None))]
    fn deposit(&self, now: Option<u64>) {
        self.inner.deposit(now_or_clock(now))
    }

    /// Asks for one retry after `delay_ns` with `deadline_left_ns` left.
    #[pyo3(signature = (delay_ns = 0, deadline_left_ns = None, now = None))]
    fn withdraw(&self, py: Python<'_>, delay_ns: u64, deadline_left_ns: Option<u64>, now: Option<u64>) -> Decision {
        let now = now_or_clock(now);
        let d = self.inner.withdraw(now, delay_ns, deadline_left_ns.unwrap_or(u64::MAX));
        self.hooks.observe(py, now, &d);
        d.into()
    }

    /// Calls `callback(weir.Event)` on each `"refused"`, `"budget_exhausted"`
    /// or `"budget_recovered"` (per `event`), in order, once the call that
    /// caused it has decided. An exception in it goes to `sys.unraisablehook`.
    fn on(&self, py: Python<'_>, event: &str, callback: Bound<'_, PyAny>) -> PyResult<()> {
        self.hooks.on(py, event, callback)
    }

    /// Calls and retries counted in the window.
    #[pyo3(signature = (now = None))]
    fn stats<'py>(&self, py: Python<'py>, now: Option<u64>) -> PyResult<Bound<'py, PyDict>> {
        let (requests, retries) = self.inner.snapshot(now_or_clock(now));
        let d = PyDict::new(py);
        d.set_item("requests", requests)?;
        d.set_item("retries", retries)?;
        d.set_item("events_dropped", self.hooks.dropped())?;
        Ok(d)
    }
}

/// A retry policy's fixed parts: the backoff and the budget it spends.
#[pyclass(frozen, module = "weir._weir", name = "RetryPolicy")]
pub struct RetryPolicy {
    backoff: Py<Backoff>,
    budget: Option<Py<RetryBudget>>,
}

#[pymethods]
impl RetryPolicy {
    #[new]
    #[pyo3(signature = (backoff, budget = None))]
    fn new(backoff: Py<Backoff>, budget: Option<Py<RetryBudget>>) -> Self {
        Self { backoff, budget }
    }

    /// Counts one call against the shared budget (no-op without one).
    #[pyo3(signature = (now = None))]
    fn deposit(&self, now: Option<u64>) {
        if let Some(b) = &self.budget {
            b.get().inner.deposit(now_or_clock(now));
        }
    }

    /// After attempt `attempt` failed: `(decision, delay_ns)`; the decision
    /// is truthy to retry, else its `reason` says why not (a final answer
    /// from below, attempts, deadline, budget).
    #[pyo3(signature = (attempt, previous_ns = 0, advised_ns = None, deadline_left_ns = None, now = None, draw = None, no_retry = false))]
    #[allow(clippy::too_many_arguments)]
    fn decide(
        &self,
        py: Python<'_>,
        attempt: u32,
        previous_ns: u64,
        advised_ns: Option<u64>,
        deadline_left_ns: Option<u64>,
        now: Option<u64>,
        draw: Option<u64>,
        no_retry: bool,
    ) -> (Decision, u64) {
        let ask = RetryAsk {
            attempt,
            draw: draw.unwrap_or_else(weir_host::draw),
            previous_delay: previous_ns,
            advised: advised_ns,
            deadline_left: deadline_left_ns.unwrap_or(u64::MAX),
            no_retry,
        };
        // Without a shared budget only the attempt limit and the deadline refuse.
        let (now, backoff) = (now_or_clock(now), &self.backoff.get().inner);
        let r = match &self.budget {
            Some(b) => {
                let r = core_retry(now, backoff, &*b.get().inner, &ask);
                b.get().hooks.observe(py, now, &r.decision);
                r
            }
            None => core_retry(now, backoff, &Unbudgeted, &ask),
        };
        (r.decision.into(), r.delay)
    }
}
