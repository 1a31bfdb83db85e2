//! The answer of every admission call: truthy when admitted, with when to
//! come back and what is left.

use pyo3::prelude::*;
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
#[pyclass(frozen, module = "weir", name = "Decision", freelist = 64)]
pub struct Decision {
    reason: Reason,
    retry_after: u64,
    remaining: u64,
    reset_after: u64,
}

impl From<CoreDecision> for Decision {
    #[inline]
    fn from(d: CoreDecision) -> Self {
        Self { reason: d.reason, retry_after: d.retry_after, remaining: d.remaining, reset_after: d.reset_after }
    }
}

#[pymethods]
impl Decision {
    fn __bool__(&self) -> bool {
        self.reason == Reason::Admitted
    }

    /// Whether the request may go ahead.
    #[getter]
    fn admitted(&self) -> bool {
        self.reason == Reason::Admitted
    }

    /// Why: `"admitted"`, `"rate_limited"`, `"cost_exceeds_burst"`, ...
    #[getter]
    fn reason(&self) -> &'static str {
        self.reason.as_str()
    }

    /// Seconds until a retry could succeed; 0 when admitted, `inf` never.
    #[getter]
    fn retry_after(&self) -> f64 {
        seconds(self.retry_after)
    }

    #[getter]
    fn retry_after_ns(&self) -> u64 {
        self.retry_after
    }

    /// Whole tokens (or slots) left after this decision.
    #[getter]
    fn remaining(&self) -> u64 {
        self.remaining
    }

    /// Seconds until the limiter is back to idle (a full bucket).
    #[getter]
    fn reset_after(&self) -> f64 {
        seconds(self.reset_after)
    }

    #[getter]
    fn reset_after_ns(&self) -> u64 {
        self.reset_after
    }

    fn __repr__(&self) -> String {
        format!(
            "weir.Decision(reason={:?}, retry_after_ns={}, remaining={}, reset_after_ns={})",
            self.reason.as_str(),
            self.retry_after,
            self.remaining,
            self.reset_after
        )
    }
}
