//! Waiting for a refused admission: blocking (GIL released, Ctrl-C still
//! honoured) or handing over to the asyncio slow path in `weir/_aio.py`.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyTuple;
use std::time::Duration;
use weir_core::Decision as CoreDecision;

/// The longest single sleep between two signal checks.
const SLICE: Duration = Duration::from_millis(50);

/// Retries `attempt` until it admits, it can never admit, or `timeout_ns`
/// (`None`: forever) would pass before the next chance. Returns the last
/// decision. The wait is with the GIL released.
pub fn block(py: Python<'_>, timeout_ns: Option<u64>, attempt: impl Fn(u64) -> CoreDecision) -> PyResult<CoreDecision> {
    let start = weir_host::monotonic_now();
    let deadline = timeout_ns.map(|t| start.saturating_add(t));
    let mut now = start;
    loop {
        let d = attempt(now);
        if d.is_admitted() || d.retry_after == u64::MAX {
            return Ok(d);
        }
        // Never sleep when the wait could not end inside the timeout: the
        // caller gets the refusal at once rather than after a pointless wait.
        if deadline.is_some_and(|end| now.saturating_add(d.retry_after) > end) {
            return Ok(d);
        }
        let wake = now.saturating_add(d.retry_after.max(1));
        loop {
            let left = wake.saturating_sub(weir_host::monotonic_now());
            if left == 0 {
                break;
            }
            let nap = Duration::from_nanos(left).min(SLICE);
            py.detach(|| std::thread::sleep(nap));
            py.check_signals()?;
        }
        now = weir_host::monotonic_now();
    }
}

static READY: PyOnceLock<Py<Ready>> = PyOnceLock::new();
static SLOW_PATH: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// An awaitable that is already done (its result is `None`). One shared
/// instance serves every admitted `acquire_async`: it has no state.
#[pyclass(frozen, module = "weir")]
pub struct Ready;

#[pymethods]
impl Ready {
    fn __await__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __iter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __next__(&self) -> Option<()> {
        None
    }

    fn send(&self, _value: &Bound<'_, PyAny>) -> PyResult<()> {
        Err(pyo3::exceptions::PyStopIteration::new_err(()))
    }
}

pub fn ready(py: Python<'_>) -> PyResult<Py<PyAny>> {
    let r = READY.get_or_try_init(py, || Py::new(py, Ready))?;
    Ok(r.clone_ref(py).into_any())
}

/// The coroutine that waits asynchronously: `weir._aio.wait(try_acquire,
/// args, timeout_ns, first_decision)`.
pub fn slow_path(
    py: Python<'_>,
    try_acquire: Bound<'_, PyAny>,
    args: Bound<'_, PyTuple>,
    timeout_ns: Option<u64>,
    first: Py<PyAny>,
) -> PyResult<Py<PyAny>> {
    let wait = SLOW_PATH.import(py, "weir._aio", "wait")?;
    Ok(wait.call1((try_acquire, args, timeout_ns, first))?.unbind())
}
