//! The native half of `weir.SingleFlight`: who leads a key's flight. The
//! Python half does the waiting and hands the result over.

use pyo3::prelude::*;
use weir_core::singleflight::{Flight, FlightSlot, Singleflight, SlotState};

use weir_host::KeyHasher;

use crate::args::{count, key_hash, seed_hasher};
use crate::errors::{bad_arg, config_error};

#[pyclass(frozen, subclass, module = "weir._weir", name = "FlightTable")]
pub struct FlightTable {
    inner: Singleflight<Box<[FlightSlot]>>,
    keys: KeyHasher,
}

#[pymethods]
impl FlightTable {
    #[new]
    #[pyo3(signature = (capacity, *, seed = None))]
    fn new(py: Python<'_>, capacity: &Bound<'_, PyAny>, seed: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let keys = seed_hasher(py, "SingleFlight", seed)?;
        let capacity = count(py, "SingleFlight", "capacity", capacity)?;
        if capacity > 1 << 24 {
            return Err(bad_arg(py, "SingleFlight", "capacity", "<= 2**24", capacity));
        }
        let slots: Box<[FlightSlot]> = (0..capacity).map(|_| FlightSlot::new()).collect();
        let inner = Singleflight::new(slots).map_err(|e| config_error(py, "SingleFlight", e, &[]))?;
        Ok(Self { inner, keys })
    }

    /// The hash of `key` (str or bytes) this table places it by: under its
    /// seed, if it has one.
    fn _hash(&self, key: &Bound<'_, PyAny>) -> PyResult<u64> {
        key_hash("SingleFlight", &self.keys, key)
    }

    /// `(role, slot, gen)`: role `"leader"`, `"follower"` or `"table_full"`.
    fn _begin(&self, key_hash: u64) -> (&'static str, u32, u32) {
        match self.inner.begin(key_hash) {
            Flight::Leader(t) => ("leader", t.slot, t.gen),
            Flight::Follower(t) => ("follower", t.slot, t.gen),
            Flight::TableFull => ("table_full", 0, 0),
        }
    }

    fn _finish(&self, slot: u32, gen: u32) -> bool {
        self.inner.finish(weir_core::singleflight::Ticket { slot, gen })
    }

    fn _leave(&self, slot: u32, gen: u32) -> bool {
        self.inner.leave(weir_core::singleflight::Ticket { slot, gen })
    }

    fn _is_done(&self, slot: u32, gen: u32) -> bool {
        self.inner.is_done(weir_core::singleflight::Ticket { slot, gen })
    }

    /// `(state, waiters)` of a slot, for tests and metrics.
    fn _slot_state(&self, slot: usize) -> Option<(&'static str, u64)> {
        self.inner.slot_state(slot).map(|(s, w)| {
            let name = match s {
                SlotState::Free => "free",
                SlotState::Claiming => "claiming",
                SlotState::Active => "active",
                SlotState::Draining => "draining",
            };
            (name, w)
        })
    }

    /// Slots holding a flight.
    #[getter]
    fn occupied(&self) -> usize {
        self.inner.occupied()
    }

    #[getter]
    fn capacity(&self) -> usize {
        self.inner.capacity()
    }
}
