//! The answer of every admission call: truthy when admitted, with when to
//! come back and what is left.

use pyo3::prelude::*;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use weir_core::{Decision as CoreDecision, Reason};

/// Seconds as a float; `u64::MAX` ("never") is infinity.
pub fn seconds(ns: u64) -> f64 {
    if ns == u64::MAX {
        f64::INFINITY
    } else {
        ns as f64 / 1e9
    }
}

/// An admission decision. Truthy when admitted. Durations are in seconds
/// (`retry_after`, `reset_after`) and in exact nanoseconds (`*_ns`).
///
/// The fields are atomics only so that a [`DecisionCache`] can refill an
/// instance nobody else holds; a decision a caller can see never changes.
#[pyclass(frozen, module = "weir", name = "Decision")]
pub struct Decision {
    reason: AtomicU8,
    retry_after: AtomicU64,
    remaining: AtomicU64,
    reset_after: AtomicU64,
}

impl From<CoreDecision> for Decision {
    #[inline]
    fn from(d: CoreDecision) -> Self {
        Self {
            reason: AtomicU8::new(d.reason as u8),
            retry_after: AtomicU64::new(d.retry_after),
            remaining: AtomicU64::new(d.remaining),
            reset_after: AtomicU64::new(d.reset_after),
        }
    }
}

impl Decision {
    #[inline]
    fn code(&self) -> u8 {
        self.reason.load(Ordering::Relaxed)
    }

    fn reason_enum(&self) -> Reason {
        Reason::from_code(self.code()).unwrap_or(Reason::Admitted)
    }

    #[inline]
    fn set(&self, d: CoreDecision) {
        self.reason.store(d.reason as u8, Ordering::Relaxed);
        self.retry_after.store(d.retry_after, Ordering::Relaxed);
        self.remaining.store(d.remaining, Ordering::Relaxed);
        self.reset_after.store(d.reset_after, Ordering::Relaxed);
    }
}

/// One reusable `Decision` per limiter: allocating a Python object is most
/// of the cost of a `try_acquire`, and in the common `if lim.try_acquire():`
/// the previous answer has already been dropped. The instance is refilled
/// only when the cache holds the sole reference (checked under the GIL, so
/// no caller can be holding it); otherwise a fresh one takes its place.
pub struct DecisionCache {
    slot: std::sync::Mutex<Option<Py<Decision>>>,
}

impl DecisionCache {
    pub fn new() -> Self {
        Self { slot: std::sync::Mutex::new(None) }
    }

    /// `d` as a Python object.
    #[inline]
    pub fn answer(&self, py: Python<'_>, d: CoreDecision) -> PyResult<Py<Decision>> {
        // The lock is uncontended: every caller holds the GIL already.
        let Ok(mut slot) = self.slot.try_lock() else {
            return Py::new(py, Decision::from(d));
        };
        if let Some(cached) = slot.as_ref() {
            // SAFETY: `cached` is a live object we own a reference to, and
            // the GIL is held, so its refcount cannot change under us.
            if unsafe { pyo3::ffi::Py_REFCNT(cached.as_ptr()) } == 1 {
                cached.get().set(d);
                return Ok(cached.clone_ref(py));
            }
        }
        let fresh = Py::new(py, Decision::from(d))?;
        *slot = Some(fresh.clone_ref(py));
        Ok(fresh)
    }
}

#[pymethods]
impl Decision {
    fn __bool__(&self) -> bool {
        self.code() == Reason::Admitted as u8
    }

    /// Whether the request may go ahead.
    #[getter]
    fn admitted(&self) -> bool {
        self.code() == Reason::Admitted as u8
    }

    /// Why: `"admitted"`, `"rate_limited"`, `"cost_exceeds_burst"`, ...
    #[getter]
    fn reason(&self) -> &'static str {
        self.reason_enum().as_str()
    }

    /// Seconds until a retry could succeed; 0 when admitted, `inf` never.
    #[getter]
    fn retry_after(&self) -> f64 {
        seconds(self.retry_after.load(Ordering::Relaxed))
    }

    #[getter]
    fn retry_after_ns(&self) -> u64 {
        self.retry_after.load(Ordering::Relaxed)
    }

    /// Whole tokens (or slots) left after this decision.
    #[getter]
    fn remaining(&self) -> u64 {
        self.remaining.load(Ordering::Relaxed)
    }

    /// Seconds until the limiter is back to idle (a full bucket).
    #[getter]
    fn reset_after(&self) -> f64 {
        seconds(self.reset_after.load(Ordering::Relaxed))
    }

    #[getter]
    fn reset_after_ns(&self) -> u64 {
        self.reset_after.load(Ordering::Relaxed)
    }

    fn __repr__(&self) -> String {
        format!(
            "weir.Decision(reason={:?}, retry_after_ns={}, remaining={}, reset_after_ns={})",
            self.reason_enum().as_str(),
            self.retry_after_ns(),
            self.remaining(),
            self.reset_after_ns()
        )
    }
}

/// `{"admitted": n, <reason>: n, ...}` for `stats()["decisions"]`: the
/// host's counts (shared with every other binding), admitted always,
/// refusals once seen.
pub fn decisions_dict<'py>(
    py: Python<'py>,
    decisions: &weir_host::Decisions,
) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
    let d = pyo3::types::PyDict::new(py);
    for (reason, n) in decisions.seen() {
        d.set_item(reason.as_str(), n)?;
    }
    Ok(d)
}
