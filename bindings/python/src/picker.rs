//! The native half of `weir.Picker`: p2c over slots; the Python half maps
//! slots to the caller's node objects.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use weir_core::picker::{NodeSlot, NodeState, Outcome, PickTicket, Picker, PickerConfig};

use crate::args::{count, duration, float, now_or_clock};
use crate::errors::{bad_arg, config_error};

#[pyclass(frozen, subclass, module = "weir._weir", name = "PickerCore")]
pub struct PickerCore {
    inner: Picker<Box<[NodeSlot]>>,
}

#[pymethods]
impl PickerCore {
    #[new]
    #[pyo3(signature = (capacity, *, tau = None, force_pick = None, success_floor = None, cpu_ceiling = None, latency_bias = None, initial_latency = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        capacity: &Bound<'_, PyAny>,
        tau: Option<&Bound<'_, PyAny>>,
        force_pick: Option<&Bound<'_, PyAny>>,
        success_floor: Option<&Bound<'_, PyAny>>,
        cpu_ceiling: Option<&Bound<'_, PyAny>>,
        latency_bias: Option<&Bound<'_, PyAny>>,
        initial_latency: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        const O: &str = "Picker";
        let d = PickerConfig::default();
        let config = PickerConfig {
            tau_ns: tau.map_or(Ok(d.tau_ns), |v| duration(py, O, "tau", v, false))?,
            force_pick_ns: force_pick.map_or(Ok(d.force_pick_ns), |v| duration(py, O, "force_pick", v, false))?,
            success_floor: success_floor.map_or(Ok(d.success_floor), |v| float(O, "success_floor", v))?,
            cpu_ceiling: cpu_ceiling.map_or(Ok(d.cpu_ceiling), |v| count(py, O, "cpu_ceiling", v))?,
            latency_bias_ns: latency_bias
                .map_or(Ok(d.latency_bias_ns), |v| duration(py, O, "latency_bias", v, false))?,
            initial_latency_ns: initial_latency
                .map_or(Ok(d.initial_latency_ns), |v| duration(py, O, "initial_latency", v, false))?,
        };
        let capacity = count(py, O, "capacity", capacity)?;
        if capacity > 1 << 20 {
            return Err(bad_arg(py, O, "capacity", "<= 2**20", capacity));
        }
        let slots: Box<[NodeSlot]> = (0..capacity).map(|_| NodeSlot::new()).collect();
        let inner = Picker::new(config, slots).map_err(|e| config_error(py, O, e, &[]))?;
        Ok(Self { inner })
    }

    /// Adds node `id` in the first free slot: its index, or `None` when full.
    #[pyo3(signature = (id, now = None))]
    fn _add(&self, id: u64, now: Option<u64>) -> Option<u32> {
        self.inner.add(id, now_or_clock(now))
    }

    fn _remove(&self, index: u32) -> bool {
        self.inner.remove(index)
    }

    fn _set_up(&self, index: u32, up: bool) -> bool {
        self.inner.set_up(index, up)
    }

    /// `(index, gen, forced)` of the chosen node, or `None` when none is up.
    #[pyo3(signature = (now = None, draw = None))]
    fn _pick(&self, now: Option<u64>, draw: Option<u64>) -> Option<(u32, u32, bool)> {
        self.inner.pick(now_or_clock(now), draw.unwrap_or_else(weir_host::draw)).map(|t| (t.index, t.gen, t.forced))
    }

    #[pyo3(signature = (index, gen, latency_ns, success, cpu_permille = None, now = None))]
    fn _done(
        &self,
        index: u32,
        gen: u32,
        latency_ns: u64,
        success: bool,
        cpu_permille: Option<u64>,
        now: Option<u64>,
    ) -> bool {
        let outcome =
            Outcome { latency_ns, success, cpu_permille: cpu_permille.map(|c| c.min(u64::from(u16::MAX)) as u16) };
        self.inner.done(PickTicket { index, gen, forced: false }, now_or_clock(now), outcome)
    }

    /// The stats of slot `index`.
    fn _node<'py>(&self, py: Python<'py>, index: u32) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(n) = self.inner.node(index) else { return Ok(None) };
        let d = PyDict::new(py);
        d.set_item("id", n.id)?;
        d.set_item(
            "state",
            match n.state {
                NodeState::Empty => "empty",
                NodeState::Up => "up",
                NodeState::Down => "down",
                NodeState::Adding => "adding",
            },
        )?;
        d.set_item("gen", n.gen)?;
        d.set_item("in_flight", n.in_flight)?;
        d.set_item("latency_ns", n.latency_ns)?;
        d.set_item("success", n.success)?;
        d.set_item("cpu_permille", n.cpu_permille)?;
        d.set_item("last_pick", n.last_pick)?;
        Ok(Some(d))
    }

    #[getter]
    fn capacity(&self) -> usize {
        self.inner.capacity()
    }
}
