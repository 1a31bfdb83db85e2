//! Counters batched in the VM and handed to the host on a tick.
//!
//! A host call costs more than the decision it would count, so a request
//! only bumps a local cell; `flush` (every `stats_flush`, 1 s by default)
//! sends each counter's increase in one `proxy_increment_metric`. Envoy's
//! stats therefore trail the decisions by at most one flush period.

use crate::host;
use std::cell::Cell;

/// A counter's index in its [`Metrics`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter(usize);

#[derive(Debug, Default)]
pub struct Metrics {
    ids: Vec<Option<u32>>,
    pending: Vec<Cell<u64>>,
}

impl Metrics {
    /// Defines `name` with the host (once, at configure time).
    pub fn define(&mut self, name: &str) -> Counter {
        self.ids.push(host::define_counter(name));
        self.pending.push(Cell::new(0));
        Counter(self.ids.len() - 1)
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

    /// Hands every pending increase to the host.
    pub fn flush(&self) {
        for (id, cell) in self.ids.iter().zip(&self.pending) {
            let n = cell.replace(0);
            if n > 0 {
                host::increment(*id, i64::try_from(n).unwrap_or(i64::MAX));
            }
        }
    }

    /// Increases not yet flushed, for tests.
    pub fn pending(&self, counter: Counter) -> u64 {
        self.pending.get(counter.0).map_or(0, Cell::get)
    }
}
