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
    /// Bit `i % 64`: some counter `j` with `j % 64 == i` has a pending
    /// increase. A drain visits only those, so a policy of many rules
    /// pays per stream for the few counters its request moved, not for
    /// every counter of every rule.
    dirty: Cell<u64>,
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
            self.dirty.set(self.dirty.get() | 1 << (counter.0 % 64));
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
        let mut dirty = self.dirty.replace(0);
        while dirty != 0 {
            let bit = dirty.trailing_zeros() as usize;
            dirty &= dirty - 1;
            for (i, cell) in self.pending.iter().enumerate().skip(bit).step_by(64) {
                if cell.get() > 0 {
                    send(Counter(i), cell.replace(0));
                }
            }
        }
    }

    /// Increases not yet drained, for tests.
    pub fn pending(&self, counter: Counter) -> u64 {
        self.pending.get(counter.0).map_or(0, Cell::get)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn drained(m: &Metrics) -> Vec<(usize, u64)> {
        let mut sent = Vec::new();
        m.drain(|c, n| sent.push((c.0, n)));
        sent.sort_unstable();
        sent
    }

    #[test]
    fn a_drain_sends_each_moved_counter_once_past_64_counters_too() {
        let mut m = Metrics::default();
        let counters: Vec<Counter> = (0..130).map(|i| m.define(format!("c{i}"))).collect();
        for (i, by) in [(0, 1), (5, 2), (64, 3), (69, 4), (129, 5), (5, 10)] {
            m.add(counters[i], by);
        }
        assert_eq!(drained(&m), vec![(0, 1), (5, 12), (64, 3), (69, 4), (129, 5)]);
        assert_eq!(drained(&m), vec![]);
        m.inc(Some(counters[128]));
        m.inc(None);
        assert_eq!(drained(&m), vec![(128, 1)]);
        assert_eq!(m.pending(counters[128]), 0);
    }
}
