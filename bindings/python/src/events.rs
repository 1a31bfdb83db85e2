//! `on(event, callback)` for the shedder, throttle, retry budget and keyed
//! table: weir-host's `Events` detect and queue, and the call that queued an
//! event hands the queue to the callbacks once its decision is made, the way
//! `CircuitBreaker` hands over its moves. A decision that queues nothing
//! (the common case) costs one relaxed load and never touches a callback.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use weir_core::{Decision, Nanos};
use weir_host::{Event, EventKind, Events};

static EVENT: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// A primitive's events and who listens to them.
pub struct Hooks {
    events: Events,
    owner: &'static str,
    kinds: [EventKind; 3],
    listeners: Mutex<Vec<(EventKind, Py<PyAny>)>>,
    listening: AtomicBool,
    /// Held while events are handed out, so two threads that both queued
    /// one deliver the queue in order.
    delivering: Mutex<()>,
}

impl Hooks {
    /// `kinds`: `Refused`, then the start and end of the watched state.
    pub fn new(owner: &'static str, events: Events, kinds: [EventKind; 3]) -> Self {
        Self {
            events,
            owner,
            kinds,
            listeners: Mutex::new(Vec::new()),
            listening: AtomicBool::new(false),
            delivering: Mutex::new(()),
        }
    }

    /// Looks at one decision; delivers what it queued, if anyone listens.
    #[inline]
    pub fn observe(&self, py: Python<'_>, now: Nanos, d: &Decision) {
        if self.events.observe(now, d) && self.listening.load(Ordering::Relaxed) {
            self.deliver(py);
        }
    }

    /// Registers `callback` for the event named `name`.
    pub fn on(&self, py: Python<'_>, name: &str, callback: Bound<'_, PyAny>) -> PyResult<()> {
        let Some(kind) = self.kinds.iter().copied().find(|k| k.as_str() == name) else {
            let names: Vec<_> = self.kinds.iter().map(|k| format!("'{}'", k.as_str())).collect();
            return Err(PyValueError::new_err(format!(
                "{}.on: event must be one of {}, got '{name}'",
                self.owner,
                names.join(", ")
            )));
        };
        if !callback.is_callable() {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "{}.on: callback must be callable",
                self.owner
            )));
        }
        self.listeners.lock().unwrap_or_else(PoisonError::into_inner).push((kind, callback.unbind()));
        self.listening.store(true, Ordering::Relaxed);
        // Events queued before anyone listened are handed over now.
        self.deliver(py);
        Ok(())
    }

    /// Events lost because nobody took them while 64 were queued.
    pub fn dropped(&self) -> u64 {
        self.events.dropped()
    }

    /// Hands every queued event to its callbacks, oldest first. An exception
    /// from a callback is reported as unraisable (`sys.unraisablehook`): it
    /// must not change the outcome of the call that caused the event.
    fn deliver(&self, py: Python<'_>) {
        // A thread that finds the lock taken leaves its event to the
        // holder, which looks at the queue again after letting go.
        loop {
            let Ok(held) = self.delivering.try_lock() else { return };
            while let Some(e) = self.events.next() {
                let callbacks: Vec<Py<PyAny>> = self
                    .listeners
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .iter()
                    .filter(|(k, _)| *k == e.kind)
                    .map(|(_, cb)| cb.clone_ref(py))
                    .collect();
                if callbacks.is_empty() {
                    continue;
                }
                let ev = match event(py, &e) {
                    Ok(ev) => ev,
                    Err(err) => {
                        err.write_unraisable(py, None);
                        continue;
                    }
                };
                for cb in callbacks {
                    if let Err(err) = cb.bind(py).call1((ev.clone(),)) {
                        err.write_unraisable(py, Some(cb.bind(py)));
                    }
                }
            }
            drop(held);
            if self.events.pending() == 0 {
                return;
            }
        }
    }
}

fn event<'py>(py: Python<'py>, e: &Event) -> PyResult<Bound<'py, PyAny>> {
    let cls = EVENT.import(py, "weir._events", "Event")?;
    cls.call1((e.kind.as_str(), e.reason.as_str(), e.at, e.count, e.since))
}

/// The shedder's kinds.
pub const SHEDDER: [EventKind; 3] = [EventKind::Refused, EventKind::DroppingStarted, EventKind::DroppingStopped];
/// The throttle's kinds.
pub const THROTTLE: [EventKind; 3] = [EventKind::Refused, EventKind::RefusingStarted, EventKind::RefusingStopped];
/// The retry budget's kinds.
pub const BUDGET: [EventKind; 3] = [EventKind::Refused, EventKind::BudgetExhausted, EventKind::BudgetRecovered];
/// The keyed table's kinds.
pub const TABLE: [EventKind; 3] = [EventKind::Refused, EventKind::TableFull, EventKind::TableRecovered];
