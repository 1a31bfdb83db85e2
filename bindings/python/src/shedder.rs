//! `weir.Shedder`: adaptive overload protection, with an opt-in CPU sampler
//! thread (in Rust, so sampling never needs the GIL).

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use weir_core::shedder::{AtomicShedder, ShedderConfig};
use weir_host::{Counted, CpuFeeder};

use crate::args::{count, duration, now_or_clock};
use crate::call::guard_methods;
use crate::decision::{decisions_dict, Decision};
use crate::errors::{bad_arg, config_error, is_local_refusal, overloaded};
use crate::events::{Hooks, SHEDDER};

/// BBR-style load shedding: sheds when the CPU (permille) reaches
/// `cpu_threshold` and more is in flight than the service has shown it can
/// complete (Little's law over the last `window`), and whenever
/// `max_queue` (if > 0) is reached.
#[pyclass(frozen, subclass, module = "weir._weir", name = "Shedder")]
pub struct Shedder {
    inner: Arc<Counted<AtomicShedder>>,
    sampler: Mutex<Option<CpuFeeder>>,
    hooks: Arc<Hooks>,
}

#[pymethods]
impl Shedder {
    #[new]
    #[pyo3(signature = (*, window = None, buckets = None, cpu_threshold = None, cpu_decay = None, cool_off = None, max_queue = None, cpu_sampler = false, sample_interval = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        window: Option<&Bound<'_, PyAny>>,
        buckets: Option<&Bound<'_, PyAny>>,
        cpu_threshold: Option<&Bound<'_, PyAny>>,
        cpu_decay: Option<&Bound<'_, PyAny>>,
        cool_off: Option<&Bound<'_, PyAny>>,
        max_queue: Option<&Bound<'_, PyAny>>,
        cpu_sampler: bool,
        sample_interval: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        const O: &str = "Shedder";
        let d = ShedderConfig::default();
        let config = ShedderConfig {
            window_ns: window.map_or(Ok(d.window_ns), |v| duration(py, O, "window", v, false))?,
            buckets: buckets.map_or(Ok(d.buckets), |v| count(py, O, "buckets", v))?,
            cpu_threshold: cpu_threshold.map_or(Ok(d.cpu_threshold), |v| count(py, O, "cpu_threshold", v))?,
            cpu_decay: cpu_decay.map_or(Ok(d.cpu_decay), |v| crate::args::float(O, "cpu_decay", v))?,
            cool_off_ns: cool_off.map_or(Ok(d.cool_off_ns), |v| duration(py, O, "cool_off", v, false))?,
            max_queue: max_queue.map_or(Ok(d.max_queue), |v| count(py, O, "max_queue", v))?,
        };
        let interval = sample_interval.map_or(Ok(250_000_000), |v| duration(py, O, "sample_interval", v, false))?;
        if interval < 1_000_000 {
            return Err(bad_arg(py, O, "sample_interval", ">= 0.001 seconds", format!("{interval} ns")));
        }
        let hooks = Arc::new(Hooks::new(O, weir_host::Events::shedder(&config), SHEDDER));
        let inner = Arc::new(Counted::new(AtomicShedder::new(config).map_err(|e| config_error(py, O, e, &[]))?));
        let this = Self { inner, sampler: Mutex::new(None), hooks };
        if cpu_sampler {
            this.start(py, interval)?;
        }
        Ok(this)
    }

    /// Asks to start a request. When admitted, call `done(started_at)` with
    /// the same `now` once it ends (or use `guard()`).
    #[pyo3(signature = (now = None))]
    fn try_acquire(&self, py: Python<'_>, now: Option<u64>) -> Decision {
        let now = now_or_clock(now);
        let d = self.inner.decide(|s| s.acquire(now));
        self.hooks.observe(py, now, &d);
        d.into()
    }

    /// Calls `callback(weir.Event)` on each `"refused"`, `"dropping_started"`
    /// or `"dropping_stopped"` (per `event`), in order, once the call that
    /// caused it has decided. An exception in it goes to `sys.unraisablehook`.
    fn on(&self, py: Python<'_>, event: &str, callback: Bound<'_, PyAny>) -> PyResult<()> {
        self.hooks.on(py, event, callback)
    }

    /// Ends a request admitted at `started_at` (ns), recording its latency.
    #[pyo3(signature = (started_at, now = None))]
    fn done(&self, started_at: u64, now: Option<u64>) {
        self.inner.cell().done(started_at, now_or_clock(now))
    }

    /// Folds a CPU sample (permille of the CPU this process may use) into the
    /// smoothed CPU, and returns it.
    fn record_cpu(&self, py: Python<'_>, permille: &Bound<'_, PyAny>) -> PyResult<f64> {
        let p = count(py, "Shedder.record_cpu", "permille", permille)?;
        Ok(self.inner.cell().record_cpu(p))
    }

    /// `with shedder.guard():` admits or raises `weir.Overloaded`, and
    /// records the latency on exit. Also `async with`.
    fn guard(&self) -> ShedGuard {
        ShedGuard {
            shedder: Arc::clone(&self.inner),
            hooks: Arc::clone(&self.hooks),
            started: AtomicU64::new(NOT_STARTED),
        }
    }

    /// What the shedder knows: in-flight, CPU, learned capacity, cool-off.
    #[pyo3(signature = (now = None))]
    fn stats<'py>(&self, py: Python<'py>, now: Option<u64>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.inner.cell().stats(now_or_clock(now));
        let d = PyDict::new(py);
        d.set_item("in_flight", s.in_flight)?;
        d.set_item("cpu", s.cpu)?;
        d.set_item("max_pass", s.max_pass)?;
        d.set_item("min_rt", s.min_rt_ns as f64 / 1e9)?;
        d.set_item("min_rt_ns", s.min_rt_ns)?;
        d.set_item("max_in_flight", s.max_in_flight)?;
        d.set_item("cooling_off", s.cooling_off)?;
        d.set_item("decisions", decisions_dict(py, self.inner.decisions())?)?;
        d.set_item("events_dropped", self.hooks.dropped())?;
        Ok(d)
    }

    /// Starts the CPU sampler thread (cgroup v2 `cpu.stat`, else
    /// `/proc/stat`). Idempotent.
    #[pyo3(signature = (interval = None))]
    fn start_cpu_sampler(&self, py: Python<'_>, interval: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let ns =
            interval.map_or(Ok(250_000_000), |v| duration(py, "Shedder.start_cpu_sampler", "interval", v, false))?;
        if ns < 1_000_000 {
            return Err(bad_arg(py, "Shedder.start_cpu_sampler", "interval", ">= 0.001 seconds", format!("{ns} ns")));
        }
        self.start(py, ns)
    }

    /// Stops the sampler thread, if running; the CPU keeps its last value.
    fn stop_cpu_sampler(&self, py: Python<'_>) {
        let sampler = self.sampler.lock().unwrap_or_else(PoisonError::into_inner).take();
        py.detach(move || drop(sampler));
    }

    #[getter]
    fn cpu_sampler_running(&self) -> bool {
        self.sampler.lock().unwrap_or_else(PoisonError::into_inner).is_some()
    }
}

impl Shedder {
    fn start(&self, py: Python<'_>, interval_ns: u64) -> PyResult<()> {
        let mut slot = self.sampler.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            let shedder = Arc::clone(&self.inner);
            let s = py.detach(|| {
                CpuFeeder::start(Duration::from_nanos(interval_ns), move |reading| {
                    if let Some(permille) = reading {
                        shedder.cell().record_cpu(permille);
                    }
                    true
                })
            });
            *slot = Some(
                s.map_err(|e| pyo3::exceptions::PyOSError::new_err(format!("cannot start the CPU sampler: {e}")))?,
            );
        }
        Ok(())
    }
}

const NOT_STARTED: u64 = u64::MAX;

/// One admitted request of a `Shedder`; reusable after it exits.
#[pyclass(frozen, module = "weir._weir", name = "ShedGuard")]
pub struct ShedGuard {
    shedder: Arc<Counted<AtomicShedder>>,
    hooks: Arc<Hooks>,
    started: AtomicU64,
}

impl ShedGuard {
    fn enter(&self, py: Python<'_>) -> PyResult<()> {
        let now = weir_host::monotonic_now();
        let d = self.shedder.decide(|s| s.acquire(now));
        self.hooks.observe(py, now, &d);
        if !d.is_admitted() {
            return Err(overloaded(py, d.reason.as_str(), d.retry_after));
        }
        self.started.store(now, Ordering::Relaxed);
        Ok(())
    }

    /// A weir refusal inside the block (a throttle, limit or deadline that
    /// answered before the work was done) ends the request without a
    /// response time: its near-zero time would teach a minimum RT too low.
    fn exit(&self, py: Python<'_>, exc: &Bound<'_, PyTuple>) -> PyResult<()> {
        let started = self.started.swap(NOT_STARTED, Ordering::Relaxed);
        if started == NOT_STARTED {
            return Ok(());
        }
        match exc.get_item(1).ok().filter(|v| !v.is_none()) {
            Some(v) if is_local_refusal(py, &v)? => self.shedder.cell().cancel(),
            _ => self.shedder.cell().done(started, weir_host::monotonic_now()),
        }
        Ok(())
    }
}

guard_methods!(ShedGuard {
    /// When the admitted request started (ns), or `None` outside the block.
    #[getter]
    fn started_at(&self) -> Option<u64> {
        let s = self.started.load(Ordering::Relaxed);
        (s != NOT_STARTED).then_some(s)
    }
});
