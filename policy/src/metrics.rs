//! Decision counters, batched in the worker and handed to the host's stats
//! in bulk.
//!
//! A host call can cost more than the decision it would count (a wasm VM
//! exit, a proxy's stats lookup), so a decision only bumps a local cell;
//! the host drains the cells when it suits it (the Envoy filter on its
//! stats tick, the dynamic module at a stream's end) and sends each
//! counter's increase in one call.

use std::cell::Cell;

/// A counter's index in its [`Metrics`], in the order it was defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter(pub usize);

#[derive(Debug, Default)]
pub struct Metrics {
    names: Vec<String>,
    pending: Vec<Cell<u64>>,
}

impl Metrics {
    /// Defines a counter named `name` (at plan build).
    pub fn define(&mut self, name: String) -> Counter {
        self.names.push(name);
        self.pending.push(Cell::new(0));
        Counter(self.names.len() - 1)
    }

    /// Every counter's name, by index.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    #[inline]
    pub fn add(&self, counter: Counter, by: u64) {
        if let Some(cell) = self.pending.get(counter.0) {
            cell.set(cell.get().saturating_add(by));
        }
    }

    /// One more on a counter the rule may not have.
    #[inline]
    pub fn inc(&self, counter: Option<Counter>) {
        if let Some(c) = counter {
            self.add(c, 1);
        }
    }

    /// Hands every pending increase to `send` (counter, increase) and
    /// clears it.
    #[inline]
    pub fn drain(&self, mut send: impl FnMut(Counter, u64)) {
        for (i, cell) in self.pending.iter().enumerate() {
            if cell.get() > 0 {
                send(Counter(i), cell.replace(0));
            }
        }
    }

    /// Increases not yet drained, for tests.
    pub fn pending(&self, counter: Counter) -> u64 {
        self.pending.get(counter.0).map_or(0, Cell::get)
    }
}
