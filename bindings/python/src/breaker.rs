//! `weir.CircuitBreaker`: weir-host's `CircuitBreaker` (clock, call
//! duration, decision counters, the queue of state changes) with Python's
//! argument rules, `weir.CircuitOpen`, and `on_state_change` called with
//! each move after the call that caused it (never on a call that moved
//! nothing).

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyTuple, PyType};
use std::sync::{Arc, Mutex};
use weir_core::breaker::{BreakerConfig, Transition};
use weir_host::{BreakerEvent, BreakerPermit as HostPermit, WindowKind};

use crate::args::{count, duration, float, now_or_clock};
use crate::call::{failures_of, guard_methods, is_failure};
use crate::decision::{seconds, Decision};
use crate::errors::{bad_arg, config_error, is_local_refusal};

const OWNER: &str = "CircuitBreaker";
/// Core's duration fields as the Python keyword arguments name them.
const RENAMES: &[(&str, &str)] = &[
    ("window_ns", "window_duration"),
    ("slow_call_ns", "slow_call_duration"),
    ("open_ns", "open_duration"),
    ("half_open_max_ns", "half_open_max_wait"),
];

static CIRCUIT_OPEN: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static STATE_CHANGE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn circuit_open(py: Python<'_>, reason: &str, retry_after_ns: u64) -> PyErr {
    let when = if retry_after_ns == u64::MAX {
        "when reset".to_string()
    } else {
        format!("after {:.3} s", retry_after_ns as f64 / 1e9)
    };
    let message = format!("circuit breaker refused the call ({reason}), retry {when}");
    match CIRCUIT_OPEN
        .import(py, "weir._errors", "CircuitOpen")
        .and_then(|cls| cls.call1((message, seconds(retry_after_ns), reason)))
    {
        Ok(e) => PyErr::from_value(e),
        Err(e) => e,
    }
}

/// An admitted call's permit: report it once with `record` or `release`.
#[pyclass(frozen, module = "weir", name = "BreakerPermit")]
#[derive(Clone, Copy)]
pub struct BreakerPermit {
    inner: HostPermit,
}

#[pymethods]
impl BreakerPermit {
    /// Whether the call is a half-open probe.
    #[getter]
    fn probe(&self) -> bool {
        self.inner.permit.is_probe()
    }

    /// When it was admitted, ns on `weir.monotonic_ns()`'s clock.
    #[getter]
    fn started_at(&self) -> u64 {
        self.inner.started_at
    }
}

/// Closed, open, half-open, forced open or disabled, over a count or time
/// window; see the package docs.
#[pyclass(frozen, subclass, module = "weir._weir", name = "CircuitBreaker")]
pub struct CircuitBreaker {
    inner: Arc<weir_host::CircuitBreaker>,
    failures: Py<PyAny>,
    on_state_change: Option<Py<PyAny>>,
    /// Held while events are handed to `on_state_change`, so two threads
    /// that both saw a move deliver the queue in order.
    delivering: Arc<Mutex<()>>,
}

fn window_kind(py: Python<'_>, v: &Bound<'_, PyAny>) -> PyResult<WindowKind> {
    let name: String = v.extract().map_err(|_| PyTypeError::new_err("CircuitBreaker: window must be a str"))?;
    WindowKind::from_name(&name)
        .ok_or_else(|| bad_arg(py, OWNER, "window", "\"count\" or \"time\"", format!("{name:?}")))
}

fn event<'py>(py: Python<'py>, e: &BreakerEvent) -> PyResult<Bound<'py, PyAny>> {
    let t = e.transition;
    let cls = STATE_CHANGE.import(py, "weir._breaker", "StateChange")?;
    cls.call1((
        t.from.as_str(),
        t.to.as_str(),
        t.cause.as_str(),
        t.counts.calls,
        t.counts.failures,
        t.counts.slow,
        t.counts.consecutive_failures,
        e.at,
    ))
}

fn transitions<'py>(py: Python<'py>, moves: &[Option<Transition>], at: u64) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for t in moves.iter().flatten() {
        list.append(event(py, &BreakerEvent { at, transition: *t })?)?;
    }
    Ok(list)
}

impl CircuitBreaker {
    /// Hands every queued move to `on_state_change`, oldest first. An
    /// exception from the callback is reported as unraisable: it must not
    /// change the outcome of the call that caused the move.
    fn deliver(&self, py: Python<'_>) {
        deliver(py, &self.inner, self.on_state_change.as_ref(), &self.delivering)
    }
}

fn deliver(py: Python<'_>, b: &weir_host::CircuitBreaker, callback: Option<&Py<PyAny>>, lock: &Mutex<()>) {
    let Some(callback) = callback else { return };
    // One thread delivers at a time, so the callback sees the moves in
    // order. A thread that finds the lock taken leaves its move to the
    // holder, which looks at the queue again after letting go: the move was
    // queued before the lock was tried, so one of the two delivers it.
    loop {
        let Ok(held) = lock.try_lock() else { return };
        while let Some(e) = b.next_event() {
            if let Err(err) = event(py, &e).and_then(|ev| callback.bind(py).call1((ev,))) {
                err.write_unraisable(py, Some(callback.bind(py)));
            }
        }
        drop(held);
        if b.pending_events() == 0 {
            return;
        }
    }
}

#[pymethods]
impl CircuitBreaker {
    #[new]
    #[pyo3(signature = (*, window = None, window_calls = None, window_duration = None, buckets = None, minimum_calls = None, failure_rate_threshold = None, slow_call_rate_threshold = None, slow_call_duration = None, consecutive_failures = None, open_duration = None, half_open_probes = None, half_open_max_wait = None, failures = None, on_state_change = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        window: Option<&Bound<'_, PyAny>>,
        window_calls: Option<&Bound<'_, PyAny>>,
        window_duration: Option<&Bound<'_, PyAny>>,
        buckets: Option<&Bound<'_, PyAny>>,
        minimum_calls: Option<&Bound<'_, PyAny>>,
        failure_rate_threshold: Option<&Bound<'_, PyAny>>,
        slow_call_rate_threshold: Option<&Bound<'_, PyAny>>,
        slow_call_duration: Option<&Bound<'_, PyAny>>,
        consecutive_failures: Option<&Bound<'_, PyAny>>,
        open_duration: Option<&Bound<'_, PyAny>>,
        half_open_probes: Option<&Bound<'_, PyAny>>,
        half_open_max_wait: Option<&Bound<'_, PyAny>>,
        failures: Option<Bound<'_, PyAny>>,
        on_state_change: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        const O: &str = OWNER;
        let d = BreakerConfig::default();
        let cnt = |v: Option<&Bound<'_, PyAny>>, f: &str, dflt: u64| v.map_or(Ok(dflt), |v| count(py, O, f, v));
        let dur =
            |v: Option<&Bound<'_, PyAny>>, f: &str, dflt: u64| v.map_or(Ok(dflt), |v| duration(py, O, f, v, false));
        let pct = |v: Option<&Bound<'_, PyAny>>, f: &str, dflt: f64| v.map_or(Ok(dflt), |v| float(O, f, v));
        // A time window is implied by its duration when no kind is named.
        let kind = match window {
            Some(w) => window_kind(py, w)?,
            None if window_duration.is_some() || buckets.is_some() => WindowKind::Time,
            None => d.window,
        };
        let config = BreakerConfig {
            window: kind,
            window_calls: cnt(window_calls, "window_calls", d.window_calls)?,
            window_ns: dur(window_duration, "window_duration", d.window_ns)?,
            buckets: cnt(buckets, "buckets", d.buckets)?,
            minimum_calls: cnt(minimum_calls, "minimum_calls", d.minimum_calls)?,
            failure_rate_threshold: pct(failure_rate_threshold, "failure_rate_threshold", d.failure_rate_threshold)?,
            slow_call_rate_threshold: pct(
                slow_call_rate_threshold,
                "slow_call_rate_threshold",
                d.slow_call_rate_threshold,
            )?,
            slow_call_ns: dur(slow_call_duration, "slow_call_duration", d.slow_call_ns)?,
            consecutive_failures: cnt(consecutive_failures, "consecutive_failures", d.consecutive_failures)?,
            open_ns: dur(open_duration, "open_duration", d.open_ns)?,
            half_open_probes: cnt(half_open_probes, "half_open_probes", d.half_open_probes)?,
            half_open_max_ns: dur(half_open_max_wait, "half_open_max_wait", d.half_open_max_ns)?,
        };
        let on_state_change = match on_state_change {
            Some(f) if f.is_none() => None,
            Some(f) if f.is_callable() => Some(f.unbind()),
            Some(_) => return Err(PyTypeError::new_err("CircuitBreaker: on_state_change must be callable")),
            None => None,
        };
        let inner = weir_host::CircuitBreaker::new(config).map_err(|e| config_error(py, O, e, RENAMES))?;
        Ok(Self {
            inner: Arc::new(inner),
            failures: failures_of(py, OWNER, failures)?,
            on_state_change,
            delivering: Arc::new(Mutex::new(())),
        })
    }

    /// Asks to make a call: `(decision, permit)`, the permit `None` when
    /// refused. Report an admitted call once with `record` or `release`.
    #[pyo3(signature = (now = None))]
    fn try_acquire(&self, py: Python<'_>, now: Option<u64>) -> (Decision, Option<BreakerPermit>) {
        let a = self.inner.acquire_at(now_or_clock(now));
        if a.transition.is_some() {
            self.deliver(py);
        }
        (a.decision.into(), a.permit.map(|inner| BreakerPermit { inner }))
    }

    /// Reports an admitted call: failed or not, and how long it took
    /// (seconds or `weir.Nanos`; default: measured from its admission).
    #[pyo3(signature = (permit, failed, duration = None, now = None))]
    fn record(
        &self,
        py: Python<'_>,
        permit: &BreakerPermit,
        failed: bool,
        duration: Option<&Bound<'_, PyAny>>,
        now: Option<u64>,
    ) -> PyResult<()> {
        let now = now_or_clock(now);
        let took = match duration {
            Some(d) => crate::args::duration(py, OWNER, "duration", d, false)?,
            None => now.saturating_sub(permit.inner.started_at),
        };
        if self.inner.record_at(now, permit.inner.permit, failed, took).is_some() {
            self.deliver(py);
        }
        Ok(())
    }

    /// Gives back a permit whose call does not count; `False` when it was
    /// stale or already reported.
    fn release(&self, permit: &BreakerPermit) -> bool {
        self.inner.release(permit.inner.permit)
    }

    /// Holds the breaker open (refusing with `retry_after` = inf) until `reset()`.
    #[pyo3(signature = (now = None))]
    fn force_open(&self, py: Python<'_>, now: Option<u64>) {
        if self.inner.force_open_at(now_or_clock(now)).is_some() {
            self.deliver(py);
        }
    }

    /// Lets every call through and records nothing until `reset()`.
    #[pyo3(signature = (now = None))]
    fn disable(&self, py: Python<'_>, now: Option<u64>) {
        if self.inner.disable_at(now_or_clock(now)).is_some() {
            self.deliver(py);
        }
    }

    /// Closes the breaker with an empty window, from any state.
    #[pyo3(signature = (now = None))]
    fn reset(&self, py: Python<'_>, now: Option<u64>) {
        if self.inner.reset_at(now_or_clock(now)).is_some() {
            self.deliver(py);
        }
    }

    /// `"closed"`, `"open"`, `"half_open"`, `"forced_open"` or `"disabled"`.
    #[getter]
    fn state(&self) -> &'static str {
        self.inner.stats().breaker.state.as_str()
    }

    /// The state, the window's or the probes' counts, the time left in open
    /// (seconds), and the decisions so far by reason.
    #[pyo3(signature = (now = None))]
    fn stats<'py>(&self, py: Python<'py>, now: Option<u64>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.inner.stats_at(now_or_clock(now));
        let b = &s.breaker;
        let d = PyDict::new(py);
        d.set_item("state", b.state.as_str())?;
        d.set_item("calls", b.window.calls)?;
        d.set_item("failures", b.window.failures)?;
        d.set_item("slow", b.window.slow)?;
        d.set_item("consecutive_failures", b.window.consecutive_failures)?;
        d.set_item("probes_issued", b.probes_issued)?;
        d.set_item("probes_returned", b.probes.calls)?;
        d.set_item("open_left", seconds(b.retry_after))?;
        d.set_item("open_left_ns", b.retry_after)?;
        let decisions = PyDict::new(py);
        for (reason, n) in self.inner.decisions().seen() {
            decisions.set_item(reason.as_str(), n)?;
        }
        d.set_item("decisions", decisions)?;
        d.set_item("events_dropped", s.events_dropped)?;
        Ok(d)
    }

    /// The moves queued and not yet delivered, oldest first, as
    /// `weir.StateChange`s (`on_state_change` takes them as they happen).
    fn drain_events<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        while let Some(e) = self.inner.next_event() {
            list.append(event(py, &e)?)?;
        }
        Ok(list)
    }

    /// The moves a step caused, for the conformance replay: acquires (and,
    /// admitted, records `failed`/`duration_ns` at once when `call`, its
    /// permit then spent).
    #[pyo3(signature = (now, call = None))]
    fn _acquire_moves<'py>(
        &self,
        py: Python<'py>,
        now: u64,
        call: Option<(bool, u64)>,
    ) -> PyResult<(Decision, Option<BreakerPermit>, Bound<'py, PyList>)> {
        let a = self.inner.acquire_at(now);
        let mut moves = vec![a.transition];
        if let (Some(p), Some((failed, took))) = (a.permit, call) {
            moves.push(self.inner.record_at(now, p.permit, failed, took));
        }
        let permit = a.permit.map(|inner| BreakerPermit { inner });
        Ok((a.decision.into(), permit, transitions(py, &moves, now)?))
    }

    /// `record` at `now` with an exact duration, returning the moves.
    fn _record_moves<'py>(
        &self,
        py: Python<'py>,
        now: u64,
        permit: &BreakerPermit,
        failed: bool,
        duration_ns: u64,
    ) -> PyResult<Bound<'py, PyList>> {
        let t = self.inner.record_at(now, permit.inner.permit, failed, duration_ns);
        transitions(py, &[t], now)
    }

    /// `force_open`, `disable` or `reset` at `now`, returning the moves.
    fn _command_moves<'py>(&self, py: Python<'py>, now: u64, op: &str) -> PyResult<Bound<'py, PyList>> {
        let t = match op {
            "force_open" => self.inner.force_open_at(now),
            "disable" => self.inner.disable_at(now),
            "reset" => self.inner.reset_at(now),
            other => return Err(PyTypeError::new_err(format!("CircuitBreaker: unknown command {other:?}"))),
        };
        transitions(py, &[t], now)
    }

    /// `with breaker.call():` admits or raises `weir.CircuitOpen`; on exit
    /// the call is recorded, failed when the exception matches `failures`.
    /// A weir refusal from inside, or a cancellation (any exception that is
    /// not an `Exception`, such as `asyncio.CancelledError`), gives the
    /// permit back instead: it says nothing about the service.
    fn call(slf: &Bound<'_, Self>) -> BreakerCall {
        BreakerCall { breaker: slf.clone().unbind(), permit: Mutex::new(None) }
    }
}

/// One call through a `CircuitBreaker`.
#[pyclass(frozen, module = "weir._weir", name = "BreakerCall")]
pub struct BreakerCall {
    breaker: Py<CircuitBreaker>,
    permit: Mutex<Option<HostPermit>>,
}

impl BreakerCall {
    fn enter(&self, py: Python<'_>) -> PyResult<()> {
        let b = self.breaker.get();
        let a = b.inner.acquire();
        if a.transition.is_some() {
            b.deliver(py);
        }
        let Some(p) = a.permit else {
            return Err(circuit_open(py, a.decision.reason.as_str(), a.decision.retry_after));
        };
        *self.permit.lock().unwrap_or_else(|e| e.into_inner()) = Some(p);
        Ok(())
    }

    fn exit(&self, py: Python<'_>, exc: &Bound<'_, PyTuple>) -> PyResult<()> {
        let Some(p) = self.permit.lock().unwrap_or_else(|e| e.into_inner()).take() else { return Ok(()) };
        let b = self.breaker.get();
        let failed = match exc.get_item(1).ok().filter(|v| !v.is_none()) {
            Some(v) if !v.is_instance_of::<pyo3::exceptions::PyException>() || is_local_refusal(py, &v)? => {
                b.inner.release(p.permit);
                return Ok(());
            }
            Some(v) => is_failure(py, &b.failures, &v)?,
            None => false,
        };
        if b.inner.record(p, failed).is_some() {
            b.deliver(py);
        }
        Ok(())
    }
}

guard_methods!(BreakerCall {});
