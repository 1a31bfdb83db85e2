//! `weir.Hedger`: when to send a request's next copy (the `weir.hedged`
//! coroutine in `python/weir/_hedge.py` sends, waits and cancels).

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::Arc;
use weir_core::budget::{AtomicRetryBudget, RetryBudgetConfig};
use weir_core::hedge::{HedgeAsk, HedgeConfig, HedgeDecision, HedgeKernel};
use weir_host::{Hedger as Host, LatencyQuantiles};

use crate::args::{count, duration, float, now_or_clock};
use crate::errors::{bad_arg, config_error};
use crate::quantile::window_config;
use crate::retry::RetryBudget;

/// Hedging: the next copy of a request goes out after the `quantile` of
/// recent latency (clamped to `[floor, ceiling]` seconds; the ceiling
/// until `min_samples` latencies are in the `window`), at most `max_hedges`
/// copies, each spending one retry of the hedger's budget: `budget`, a
/// `weir.RetryBudget` the dependency's `weir.retry` loops spend too, or
/// one of its own (`budget_ratio` of requests plus `budget_min_per_second`,
/// over `budget_window`).
#[pyclass(frozen, module = "weir._weir", name = "Hedger")]
pub struct Hedger {
    inner: Host,
    #[pyo3(get)]
    max_hedges: u64,
}

const O: &str = "Hedger";
const BUDGET_NAMES: &[(&str, &str)] = &[
    ("ratio", "budget_ratio"),
    ("min_per_second", "budget_min_per_second"),
    ("window_ns", "budget_window"),
    ("buckets", "budget_buckets"),
];

type Answer = (&'static str, &'static str, u64, u64);

fn answer(d: HedgeDecision) -> Answer {
    (d.action.as_str(), d.reason.as_str(), d.due, d.delay)
}

enum Budget {
    Shared(Arc<AtomicRetryBudget>),
    Own(RetryBudgetConfig),
}
use Budget::{Own, Shared};

/// The budget of a `weir.RetryBudget`, refused beside `budget_*`
/// arguments: a shared budget carries its own config.
fn shared_budget(
    py: Python<'_>,
    shared: &Bound<'_, PyAny>,
    own: &[(&str, Option<&Bound<'_, PyAny>>)],
) -> PyResult<Arc<AtomicRetryBudget>> {
    if let Some((name, value)) = own.iter().find_map(|(n, v)| v.map(|v| (n, v))) {
        let rule = format!("given without {name} (a shared RetryBudget carries its own config)");
        let got = format!("a RetryBudget and {name}={}", value.repr()?);
        return Err(bad_arg(py, O, "budget", &rule, got));
    }
    let shared = shared.cast::<RetryBudget>().map_err(|_| {
        let got = shared.get_type().name().map_or_else(|_| "?".to_string(), |n| n.to_string());
        PyTypeError::new_err(format!("{O}: budget must be a weir.RetryBudget, got {got}"))
    })?;
    Ok(Arc::clone(&shared.get().inner))
}

/// The config of a budget of the hedger's own, from `budget_*`.
fn own_budget(
    py: Python<'_>,
    ratio: Option<&Bound<'_, PyAny>>,
    min_per_second: Option<&Bound<'_, PyAny>>,
    window: Option<&Bound<'_, PyAny>>,
    buckets: Option<&Bound<'_, PyAny>>,
) -> PyResult<RetryBudgetConfig> {
    let b = RetryBudgetConfig::default();
    let config = RetryBudgetConfig {
        ratio: ratio.map_or(Ok(b.ratio), |v| float(O, "budget_ratio", v))?,
        min_per_second: min_per_second.map_or(Ok(b.min_per_second), |v| count(py, O, "budget_min_per_second", v))?,
        window_ns: window.map_or(Ok(b.window_ns), |v| duration(py, O, "budget_window", v, false))?,
        buckets: buckets.map_or(Ok(b.buckets), |v| count(py, O, "budget_buckets", v))?,
    };
    AtomicRetryBudget::new(config).map_err(|e| config_error(py, O, e, BUDGET_NAMES))?;
    Ok(config)
}

#[pymethods]
impl Hedger {
    #[new]
    #[pyo3(signature = (*, quantile = None, floor = None, ceiling = None, max_hedges = None, min_samples = None,
        window = None, sub_windows = None, budget_ratio = None, budget_min_per_second = None, budget_window = None,
        budget_buckets = None, budget = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        quantile: Option<&Bound<'_, PyAny>>,
        floor: Option<&Bound<'_, PyAny>>,
        ceiling: Option<&Bound<'_, PyAny>>,
        max_hedges: Option<&Bound<'_, PyAny>>,
        min_samples: Option<&Bound<'_, PyAny>>,
        window: Option<&Bound<'_, PyAny>>,
        sub_windows: Option<&Bound<'_, PyAny>>,
        budget_ratio: Option<&Bound<'_, PyAny>>,
        budget_min_per_second: Option<&Bound<'_, PyAny>>,
        budget_window: Option<&Bound<'_, PyAny>>,
        budget_buckets: Option<&Bound<'_, PyAny>>,
        budget: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let d = HedgeConfig::default();
        let hedge = HedgeConfig {
            quantile: quantile.map_or(Ok(d.quantile), |v| float(O, "quantile", v))?,
            floor_ns: floor.map_or(Ok(d.floor_ns), |v| duration(py, O, "floor", v, false))?,
            ceiling_ns: ceiling.map_or(Ok(d.ceiling_ns), |v| duration(py, O, "ceiling", v, true))?,
            max_hedges: max_hedges.map_or(Ok(d.max_hedges), |v| count(py, O, "max_hedges", v))?,
            min_samples: min_samples.map_or(Ok(d.min_samples), |v| count(py, O, "min_samples", v))?,
        };
        let latency = window_config(py, O, window, sub_windows)?;
        // Validated one part at a time: the budget's window and the
        // latency window share a core field name.
        HedgeKernel::new(hedge).map_err(|e| config_error(py, O, e, &[]))?;
        let budget = match budget {
            Some(shared) => {
                let own = [
                    ("budget_ratio", budget_ratio),
                    ("budget_min_per_second", budget_min_per_second),
                    ("budget_window", budget_window),
                    ("budget_buckets", budget_buckets),
                ];
                Shared(shared_budget(py, shared, &own)?)
            }
            None => Own(own_budget(py, budget_ratio, budget_min_per_second, budget_window, budget_buckets)?),
        };
        LatencyQuantiles::new(latency).map_err(|e| config_error(py, O, e, &[]))?;
        let inner = match budget {
            Shared(shared) => Host::with_budget(hedge, shared, latency),
            Own(config) => Host::new(hedge, config, latency),
        }
        .map_err(|e| config_error(py, O, e, &[]))?;
        Ok(Self { inner, max_hedges: hedge.max_hedges })
    }

    /// Begins a request (one deposit in the budget); returns its start, ns.
    #[pyo3(signature = (now = None))]
    fn begin(&self, now: Option<u64>) -> u64 {
        self.inner.begin_at(now_or_clock(now))
    }

    /// The next hedge of a request begun at `started_at` that has sent
    /// `hedges_sent`: `(action, reason, due_ns, delay_ns)`, action "send"
    /// (the budget spent), "wait" (ask again at `due_ns`) or "stop".
    #[pyo3(signature = (started_at, hedges_sent, deadline_left_ns = None, now = None))]
    fn next(&self, started_at: u64, hedges_sent: u64, deadline_left_ns: Option<u64>, now: Option<u64>) -> Answer {
        let now = now_or_clock(now);
        answer(self.inner.next_at(now, started_at, hedges_sent, deadline_left_ns.unwrap_or(u64::MAX)))
    }

    /// Records the latency of a request's answer (the winning copy's), ns.
    #[pyo3(signature = (latency_ns, now = None))]
    fn record_ns(&self, latency_ns: u64, now: Option<u64>) {
        self.inner.record_at(now_or_clock(now), latency_ns);
    }

    /// `{"requests", "hedges", "refused_budget", "refused_deadline"}`, and
    /// the budget window's `budget_requests` and `budget_retries`.
    #[pyo3(signature = (now = None))]
    fn stats<'py>(&self, py: Python<'py>, now: Option<u64>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.inner.stats();
        let (requests, retries) = self.inner.budget_at(now_or_clock(now));
        let d = PyDict::new(py);
        d.set_item("requests", s.requests)?;
        d.set_item("hedges", s.hedges)?;
        d.set_item("refused_budget", s.refused_budget)?;
        d.set_item("refused_deadline", s.refused_deadline)?;
        d.set_item("budget_requests", requests)?;
        d.set_item("budget_retries", retries)?;
        Ok(d)
    }

    #[pyo3(signature = (now, started_at, hedges_sent, quantile_ns, samples, deadline_left_ns, spend))]
    #[allow(clippy::too_many_arguments)]
    fn _ask(
        &self,
        now: u64,
        started_at: u64,
        hedges_sent: u64,
        quantile_ns: Option<u64>,
        samples: u64,
        deadline_left_ns: Option<u64>,
        spend: bool,
    ) -> Answer {
        let ask = HedgeAsk {
            started_at,
            hedges_sent,
            quantile_ns,
            samples,
            deadline_left: deadline_left_ns.unwrap_or(u64::MAX),
        };
        answer(if spend { self.inner.ask_at(now, &ask) } else { self.inner.plan_at(now, &ask) })
    }

    fn _deposit(&self, now: u64) {
        self.inner.deposit_at(now);
    }

    fn _budget(&self, now: u64) -> (u64, u64) {
        self.inner.budget_at(now)
    }
}
