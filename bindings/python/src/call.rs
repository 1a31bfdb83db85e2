//! What every guarded call (`with x.call():`) shares: the `with` and
//! `async with` protocol over the guard's own `enter` and `exit`, and the
//! `failures` argument that says which exception is the service's failure.

use pyo3::exceptions::{PyException, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyTuple, PyType};

/// Writes the guard's `#[pymethods]` block: `__enter__`, `__exit__`,
/// `__aenter__` and `__aexit__` over its inherent `enter(py)` and
/// `exit(py, exc)` (an exception never suppressed, the async forms ready at
/// once), followed by the guard's own methods given in the braces.
macro_rules! guard_methods {
    ($guard:ty { $($own:tt)* }) => {
        #[::pyo3::pymethods]
        impl $guard {
            $($own)*

            fn __enter__(slf: &::pyo3::Bound<'_, Self>) -> ::pyo3::PyResult<::pyo3::Py<Self>> {
                slf.get().enter(slf.py())?;
                Ok(slf.clone().unbind())
            }

            #[pyo3(signature = (*exc))]
            fn __exit__(
                &self,
                py: ::pyo3::Python<'_>,
                exc: &::pyo3::Bound<'_, ::pyo3::types::PyTuple>,
            ) -> ::pyo3::PyResult<bool> {
                self.exit(py, exc)?;
                Ok(false)
            }

            fn __aenter__(&self, py: ::pyo3::Python<'_>) -> ::pyo3::PyResult<::pyo3::Py<::pyo3::PyAny>> {
                self.enter(py)?;
                $crate::wait::ready(py)
            }

            #[pyo3(signature = (*exc))]
            fn __aexit__(
                &self,
                py: ::pyo3::Python<'_>,
                exc: &::pyo3::Bound<'_, ::pyo3::types::PyTuple>,
            ) -> ::pyo3::PyResult<::pyo3::Py<::pyo3::PyAny>> {
                self.exit(py, exc)?;
                $crate::wait::ready(py)
            }
        }
    };
}
pub(crate) use guard_methods;

/// The `failures` argument of `owner`: an exception type, a tuple of them
/// or a predicate; `None` or absent means `(Exception,)`.
pub fn failures_of(py: Python<'_>, owner: &str, f: Option<Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
    match f {
        Some(f) if !f.is_none() => {
            let ok = f.is_instance_of::<PyType>()
                || f.cast::<PyTuple>().is_ok_and(|t| t.iter().all(|x| x.is_instance_of::<PyType>()))
                || f.is_callable();
            if !ok {
                return Err(PyTypeError::new_err(format!(
                    "{owner}: failures must be an exception type, a tuple of them, or a callable"
                )));
            }
            Ok(f.unbind())
        }
        _ => Ok(PyTuple::new(py, [py.get_type::<PyException>()])?.into_any().unbind()),
    }
}

/// Whether `exc` counts as a failure under `failures` (from `failures_of`);
/// no exception (`None`) never does.
pub fn is_failure(py: Python<'_>, failures: &Py<PyAny>, exc: &Bound<'_, PyAny>) -> PyResult<bool> {
    if exc.is_none() {
        return Ok(false);
    }
    let f = failures.bind(py);
    if f.is_instance_of::<PyTuple>() || f.is_instance_of::<PyType>() {
        exc.is_instance(f)
    } else {
        f.call1((exc,))?.is_truthy()
    }
}
