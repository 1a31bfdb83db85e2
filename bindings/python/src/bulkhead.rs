//! `weir.ConcurrencyLimiter`: weir-host's bulkhead, a cap on work in flight
//! with a bounded FIFO queue. A thread waits on a condition variable with
//! the GIL released; an asyncio task waits on a future that the releasing
//! caller completes through its loop (`weir/_bulkhead.py`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use weir_host::{Admission, Bulkhead, BulkheadSettings, Cancel, Refusal, Release};

use crate::args::{count, duration};
use crate::decision::Decision;
use crate::errors::{rate_limited, unit_error};

const OWNER: &str = "ConcurrencyLimiter";
/// The longest a blocked thread sleeps between two checks for Ctrl-C.
const SLICE: Duration = Duration::from_millis(50);

/// A blocked thread's flag, set by the caller that hands it a permit.
#[derive(Default)]
struct Parker {
    granted: Mutex<bool>,
    wake: Condvar,
}

impl Parker {
    fn grant(&self) {
        *self.granted.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.wake.notify_one();
    }

    /// Waits up to `for_at_most`; whether the permit came.
    fn wait(&self, for_at_most: Duration) -> bool {
        let granted = self.granted.lock().unwrap_or_else(|p| p.into_inner());
        let (granted, _) =
            self.wake.wait_timeout_while(granted, for_at_most, |g| !*g).unwrap_or_else(|p| p.into_inner());
        *granted
    }
}

enum Waiter {
    Thread(Arc<Parker>),
    /// A callable that completes the task's future on its own loop.
    Task(Py<PyAny>),
}

/// A cap on work in flight (a bulkhead) with a bounded FIFO queue:
/// `try_acquire()` and `with limiter:` never wait; `acquire(timeout=)` and
/// `async with limiter:` wait their turn.
#[pyclass(frozen, subclass, module = "weir._weir", name = "ConcurrencyLimiter")]
pub struct ConcurrencyLimiter {
    inner: Bulkhead<Waiter>,
}

/// A permit from `acquire`: `with` it, or call `release()` once.
#[pyclass(frozen, module = "weir._weir", name = "Permit")]
pub struct Permit {
    limiter: Py<ConcurrencyLimiter>,
    released: AtomicBool,
}

#[pymethods]
impl Permit {
    /// Gives the permit back; later calls do nothing.
    fn release(&self, py: Python<'_>) -> PyResult<()> {
        if !self.released.swap(true, Ordering::AcqRel) {
            self.limiter.get().give_back(py)?;
        }
        Ok(())
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
        self.release(py)?;
        Ok(false)
    }
}

impl ConcurrencyLimiter {
    /// Releases a permit and wakes the waiter it was handed to.
    fn give_back(&self, py: Python<'_>) -> PyResult<bool> {
        loop {
            match self.inner.release() {
                Release::NotHeld => return Ok(false),
                Release::Freed => return Ok(true),
                Release::HandedOff(_, Waiter::Thread(parker)) => {
                    parker.grant();
                    return Ok(true);
                }
                Release::HandedOff(_, Waiter::Task(wake)) => {
                    // A task whose loop is gone (closed without cancelling
                    // it) can never take the permit: it goes to the next.
                    if wake.call0(py).is_ok() {
                        return Ok(true);
                    }
                }
            }
        }
    }

    fn permit(slf: &Bound<'_, Self>) -> PyResult<Py<Permit>> {
        Py::new(slf.py(), Permit { limiter: slf.clone().unbind(), released: AtomicBool::new(false) })
    }

    fn wait_ns(&self, py: Python<'_>, timeout: Option<&Bound<'_, PyAny>>) -> PyResult<u64> {
        let wanted = timeout.filter(|t| !t.is_none()).map(|t| duration(py, OWNER, "timeout", t, true)).transpose()?;
        Ok(self.inner.settings().wait_for(wanted))
    }
}

fn refused(py: Python<'_>, why: Refusal) -> PyErr {
    rate_limited(py, why.as_str(), 0)
}

#[pymethods]
impl ConcurrencyLimiter {
    #[new]
    #[pyo3(signature = (max_in_flight, max_queue = None, max_wait = None))]
    fn new(
        py: Python<'_>,
        max_in_flight: &Bound<'_, PyAny>,
        max_queue: Option<&Bound<'_, PyAny>>,
        max_wait: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let max_queue = max_queue.filter(|v| !v.is_none());
        let max_wait = max_wait.filter(|v| !v.is_none());
        let cap = count(py, OWNER, "max_in_flight", max_in_flight)?;
        let queue = max_queue.map(|q| count(py, OWNER, "max_queue", q)).transpose()?;
        let wait = max_wait.map(|w| duration(py, OWNER, "max_wait", w, false)).transpose()?;
        let settings = BulkheadSettings::new(cap, queue, wait).map_err(|e| {
            let given = match e.field {
                "max_queue" => max_queue,
                "max_wait" => max_wait,
                _ => Some(max_in_flight),
            };
            let given = given.and_then(|g| g.repr().ok()).map_or_else(|| "?".into(), |r| r.to_string());
            unit_error(py, OWNER, e, given)
        })?;
        Ok(Self { inner: Bulkhead::new(settings) })
    }

    /// Takes a permit if one is free and nobody waits; never waits.
    fn try_acquire(&self) -> Decision {
        self.inner.try_acquire().into()
    }

    /// Waits in line for a permit, at most `timeout` seconds (never more
    /// than `max_wait`; `None`: `max_wait`). Returns a `Permit` to use with
    /// `with` or to `release()`; raises `weir.RateLimited` with the reason
    /// (`queue_full`, `wait_timeout`, `concurrency_limited` with no queue).
    #[pyo3(signature = (timeout = None))]
    fn acquire(slf: &Bound<'_, Self>, timeout: Option<&Bound<'_, PyAny>>) -> PyResult<Py<Permit>> {
        let py = slf.py();
        let this = slf.get();
        let wait_ns = this.wait_ns(py, timeout)?;
        let parker = Arc::new(Parker::default());
        let ticket = match this.inner.acquire(Waiter::Thread(parker.clone())) {
            Admission::Acquired => return Self::permit(slf),
            Admission::Refused(why) => return Err(refused(py, why)),
            Admission::Queued(ticket) => ticket,
        };
        let deadline = weir_host::monotonic_now().saturating_add(wait_ns);
        loop {
            let left = deadline.saturating_sub(weir_host::monotonic_now());
            if left == 0 {
                return match this.inner.cancel(ticket, Refusal::WaitTimeout) {
                    Cancel::Removed(_) => Err(refused(py, Refusal::WaitTimeout)),
                    // Handed the permit as the wait ran out: it is ours.
                    Cancel::NotWaiting => Self::permit(slf),
                };
            }
            if py.detach(|| parker.wait(Duration::from_nanos(left).min(SLICE))) {
                return Self::permit(slf);
            }
            if let Err(interrupted) = py.check_signals() {
                if let Cancel::NotWaiting = this.inner.cancel(ticket, Refusal::Cancelled) {
                    this.give_back(py)?;
                }
                return Err(interrupted);
            }
        }
    }

    /// For `acquire_async`: takes a permit now (ticket 0) or queues `wake`,
    /// a callable completing the waiting task's future. Returns the ticket
    /// and the wait in seconds.
    #[pyo3(signature = (wake, timeout = None))]
    fn _enqueue(&self, py: Python<'_>, wake: Py<PyAny>, timeout: Option<&Bound<'_, PyAny>>) -> PyResult<(u64, f64)> {
        let wait_ns = self.wait_ns(py, timeout)?;
        match self.inner.acquire(Waiter::Task(wake)) {
            Admission::Acquired => Ok((0, 0.0)),
            Admission::Queued(ticket) => Ok((ticket, wait_ns as f64 / 1e9)),
            Admission::Refused(why) => Err(refused(py, why)),
        }
    }

    /// For `acquire_async`: takes `ticket` out of the queue; False when its
    /// permit was handed over already (the task holds it).
    fn _cancel(&self, ticket: u64, timed_out: bool) -> bool {
        let why = if timed_out { Refusal::WaitTimeout } else { Refusal::Cancelled };
        matches!(self.inner.cancel(ticket, why), Cancel::Removed(_))
    }

    /// A `Permit` for a permit this caller already holds.
    fn _permit(slf: &Bound<'_, Self>) -> PyResult<Py<Permit>> {
        Self::permit(slf)
    }

    /// Slots in use, waiters, settings and decisions by reason, for metrics.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.inner.stats();
        let d = PyDict::new(py);
        d.set_item("in_flight", s.in_flight)?;
        d.set_item("queued", s.queued)?;
        d.set_item("max_in_flight", s.max_in_flight)?;
        d.set_item("max_queue", s.max_queue)?;
        d.set_item("max_wait", s.max_wait_ns as f64 / 1e9)?;
        d.set_item("admitted_after_wait", s.admitted_after_wait)?;
        let decisions = PyDict::new(py);
        decisions.set_item("admitted", s.admitted + s.admitted_after_wait)?;
        for why in Refusal::ALL {
            let n = s.refused[why as usize];
            if n > 0 {
                decisions.set_item(why.as_str(), n)?;
            }
        }
        d.set_item("decisions", decisions)?;
        Ok(d)
    }

    /// Gives a slot back (to the oldest waiter, if any); `False` if none was taken.
    fn release(&self, py: Python<'_>) -> PyResult<bool> {
        self.give_back(py)
    }

    #[getter]
    fn in_flight(&self) -> u64 {
        self.inner.in_flight()
    }

    #[getter]
    fn queued(&self) -> u64 {
        self.inner.queued()
    }

    #[getter]
    fn max_in_flight(&self) -> u64 {
        self.inner.settings().max_in_flight
    }

    #[getter]
    fn max_queue(&self) -> u64 {
        self.inner.settings().max_queue
    }

    /// The longest wait, in seconds.
    #[getter]
    fn max_wait(&self) -> f64 {
        self.inner.settings().max_wait_ns as f64 / 1e9
    }

    /// Takes a slot without waiting; `weir.RateLimited`
    /// (`concurrency_limited`) when none is free or someone waits.
    fn __enter__(slf: &Bound<'_, Self>) -> PyResult<Py<Self>> {
        let d = slf.get().inner.try_acquire();
        if !d.is_admitted() {
            return Err(rate_limited(slf.py(), d.reason.as_str(), d.retry_after));
        }
        Ok(slf.clone().unbind())
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
        self.give_back(py)?;
        Ok(false)
    }

    fn __repr__(&self) -> String {
        let s = self.inner.stats();
        format!(
            "weir.ConcurrencyLimiter(max_in_flight={}, max_queue={}, in_flight={}, queued={})",
            s.max_in_flight, s.max_queue, s.in_flight, s.queued
        )
    }
}
