//! Python exceptions for what core refuses. The classes are defined in
//! `weir/_errors.py` (so they carry Python attributes and pickle normally)
//! and looked up once.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;
use weir_core::{ConfigError, Value};

static CONFIG_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static OVERLOADED: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static THROTTLED: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static RATE_LIMITED: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static REFUSED: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static DEADLINE_EXCEEDED: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn class<'py>(py: Python<'py>, cell: &'static PyOnceLock<Py<PyType>>, name: &str) -> PyResult<&'py Bound<'py, PyType>> {
    cell.import(py, "weir._errors", name)
}

/// The Python name of a core config field: durations lose their `_ns`
/// suffix (the Python API takes seconds), and a few fields are renamed.
pub fn py_field(core: &str, renames: &[(&str, &str)]) -> String {
    if let Some((_, py)) = renames.iter().find(|(c, _)| *c == core) {
        return (*py).to_string();
    }
    core.strip_suffix("_ns").unwrap_or(core).to_string()
}

fn py_rule(rule: &str, renames: &[(&str, &str)]) -> String {
    let mut out = rule.to_string();
    for (c, p) in renames {
        out = out.replace(c, p);
    }
    out.replace("_ns", "")
}

/// `weir.ConfigError` (a `ValueError`) naming the field as the Python
/// caller spelled it.
pub fn config_error(py: Python<'_>, owner: &str, e: ConfigError, renames: &[(&str, &str)]) -> PyErr {
    let field = py_field(e.field(), renames);
    let got = match e.got() {
        Value::Unsigned(v) if e.field().ends_with("_ns") => format!("{v} ns"),
        other => other.to_string(),
    };
    let message = format!("{owner}: {field} must be {}, got {got}", py_rule(e.rule(), renames));
    raise(py, &CONFIG_ERROR, "ConfigError", (message, field, e.field(), e.rule()))
}

/// A `weir.ConfigError` for a unit conversion weir-host refused, quoting
/// the argument the caller gave.
pub fn unit_error(py: Python<'_>, owner: &str, e: weir_host::units::UnitError, got: impl std::fmt::Display) -> PyErr {
    let message = format!("{owner}: {e}, got {got}");
    raise(py, &CONFIG_ERROR, "ConfigError", (message, e.field, e.kernel_field(), e.rule))
}

/// A `weir.ConfigError` for a rule the binding itself checks.
pub fn bad_arg(py: Python<'_>, owner: &str, field: &str, rule: &str, got: impl std::fmt::Display) -> PyErr {
    let message = format!("{owner}: {field} must be {rule}, got {got}");
    raise(py, &CONFIG_ERROR, "ConfigError", (message, field, field, rule))
}

pub fn overloaded(py: Python<'_>, reason: &str, retry_after_ns: u64) -> PyErr {
    let msg = format!("overloaded ({reason}), retry after {}", seconds_text(retry_after_ns));
    raise(py, &OVERLOADED, "Overloaded", (msg, crate::decision::seconds(retry_after_ns), reason))
}

pub fn throttled(py: Python<'_>, retry_after_ns: u64) -> PyErr {
    let msg = format!("throttled locally, retry after {}", seconds_text(retry_after_ns));
    raise(py, &THROTTLED, "Throttled", (msg, crate::decision::seconds(retry_after_ns), "throttled"))
}

pub fn rate_limited(py: Python<'_>, reason: &str, retry_after_ns: u64) -> PyErr {
    let msg = format!("rate limited ({reason}), retry after {}", seconds_text(retry_after_ns));
    raise(py, &RATE_LIMITED, "RateLimited", (msg, crate::decision::seconds(retry_after_ns), reason))
}

/// Whether `exc` is weir's own refusal (`weir.Refused`, or
/// `weir.DeadlineExceeded`): answered before the dependency was called, so
/// never the dependency's failure.
pub fn is_local_refusal(py: Python<'_>, exc: &Bound<'_, PyAny>) -> PyResult<bool> {
    Ok(exc.is_instance(class(py, &REFUSED, "Refused")?)?
        || exc.is_instance(class(py, &DEADLINE_EXCEEDED, "DeadlineExceeded")?)?)
}

fn seconds_text(ns: u64) -> String {
    if ns == u64::MAX {
        "never".to_string()
    } else {
        format!("{:.3} s", ns as f64 / 1e9)
    }
}

fn raise<'py, A>(py: Python<'py>, cell: &'static PyOnceLock<Py<PyType>>, name: &str, args: A) -> PyErr
where
    A: IntoPyObject<'py, Target = pyo3::types::PyTuple, Output = Bound<'py, pyo3::types::PyTuple>>,
    A::Error: Into<PyErr>,
{
    let args: Bound<'py, pyo3::types::PyTuple> = match args.into_pyobject(py) {
        Ok(a) => a,
        Err(e) => return e.into(),
    };
    match class(py, cell, name).and_then(|cls| cls.call1(args)) {
        Ok(instance) => PyErr::from_value(instance),
        Err(e) => PyValueError::new_err(format!("weir: cannot raise {name}: {e}")),
    }
}
