use super::kernel::{lease, NodeStats, Outcome, PickTicket, PickerConfig, PickerKernel, View};
use crate::{ConfigError, Nanos, Value};

/// One node's slot in a [`PlainPicker`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlainNodeSlot {
    lease: u64,
    id: u64,
    latency: f64,
    success: f64,
    stamp: Nanos,
    last_pick: Nanos,
    cpu: u64,
}

impl Default for PlainNodeSlot {
    fn default() -> Self {
        Self { lease: 0, id: 0, latency: 0.0, success: 1.0, stamp: 0, last_pick: 0, cpu: 0 }
    }
}

impl PlainNodeSlot {
    fn view(&self) -> Option<View> {
        (lease::state(self.lease) == lease::UP).then_some(View {
            in_flight: lease::in_flight(self.lease),
            latency_ns: self.latency,
            success: self.success,
            cpu_permille: self.cpu,
            last_pick: self.last_pick,
        })
    }
}

/// A p2c picker for one thread, over caller storage; same kernel and the
/// same answers as [`super::Picker`] for the same calls.
#[derive(Debug, Clone)]
pub struct PlainPicker<S: AsRef<[PlainNodeSlot]> + AsMut<[PlainNodeSlot]>> {
    kernel: PickerKernel,
    slots: S,
}

impl<S: AsRef<[PlainNodeSlot]> + AsMut<[PlainNodeSlot]>> PlainPicker<S> {
    /// As [`super::Picker::new`].
    pub fn new(config: PickerConfig, mut slots: S) -> Result<Self, ConfigError> {
        let kernel = PickerKernel::new(config)?;
        let len = slots.as_ref().len();
        if len == 0 || len as u64 > u64::from(u32::MAX) {
            return Err(ConfigError::new("capacity", "in [1, 2^32 - 1]", Value::Unsigned(len as u64)));
        }
        for slot in slots.as_mut() {
            slot.lease = 0;
        }
        Ok(Self { kernel, slots })
    }

    /// As [`super::Picker::add`].
    pub fn add(&mut self, id: u64, now: Nanos) -> Option<u32> {
        let initial = self.kernel.config().initial_latency_ns as f64;
        let (index, slot) =
            self.slots.as_mut().iter_mut().enumerate().find(|(_, s)| lease::state(s.lease) == lease::EMPTY)?;
        let gen = lease::gen(slot.lease).wrapping_add(1);
        *slot = PlainNodeSlot {
            lease: lease::pack(gen, lease::UP, 0),
            id,
            latency: initial,
            success: 1.0,
            stamp: now,
            last_pick: now,
            cpu: 0,
        };
        Some(index as u32)
    }

    fn occupied(&mut self, index: u32) -> Option<&mut PlainNodeSlot> {
        self.slots.as_mut().get_mut(index as usize).filter(|s| matches!(lease::state(s.lease), lease::UP | lease::DOWN))
    }

    /// As [`super::Picker::remove`].
    pub fn remove(&mut self, index: u32) -> bool {
        self.occupied(index).map(|s| s.lease = lease::pack(lease::gen(s.lease), lease::EMPTY, 0)).is_some()
    }

    /// As [`super::Picker::set_up`].
    pub fn set_up(&mut self, index: u32, up: bool) -> bool {
        let state = if up { lease::UP } else { lease::DOWN };
        self.occupied(index)
            .map(|s| s.lease = lease::pack(lease::gen(s.lease), state, lease::in_flight(s.lease)))
            .is_some()
    }

    /// As [`super::Picker::pick`].
    pub fn pick(&mut self, now: Nanos, draw: u64) -> Option<PickTicket> {
        let slots = self.slots.as_mut();
        let choice = self.kernel.select(slots.len(), now, draw, |i| slots.get(i).and_then(PlainNodeSlot::view))?;
        // One thread: a force-pick is never lost to another.
        let forced = choice.forced_from.is_some();
        let slot = slots.get_mut(choice.index)?;
        slot.lease = lease::picked(slot.lease)?;
        slot.last_pick = now;
        Some(PickTicket { index: choice.index as u32, gen: lease::gen(slot.lease), forced })
    }

    /// As [`super::Picker::done`].
    pub fn done(&mut self, ticket: PickTicket, now: Nanos, outcome: Outcome) -> bool {
        let kernel = self.kernel;
        let Some(slot) = self.slots.as_mut().get_mut(ticket.index as usize) else { return false };
        let Some(next) = lease::done(slot.lease, ticket.gen) else { return false };
        slot.lease = next;
        let w = kernel.decay(now.saturating_sub(slot.stamp));
        slot.stamp = now;
        slot.latency = PickerKernel::ewma(slot.latency, outcome.latency_ns as f64, w);
        slot.success = PickerKernel::ewma(slot.success, if outcome.success { 1.0 } else { 0.0 }, w);
        if let Some(cpu) = outcome.cpu_permille {
            slot.cpu = u64::from(cpu).min(1000);
        }
        true
    }

    /// As [`super::Picker::node`].
    pub fn node(&self, index: u32) -> Option<NodeStats> {
        let s = self.slots.as_ref().get(index as usize)?;
        Some(NodeStats {
            id: s.id,
            state: lease::node_state(s.lease),
            gen: lease::gen(s.lease),
            in_flight: lease::in_flight(s.lease),
            latency_ns: s.latency,
            success: s.success,
            cpu_permille: s.cpu,
            last_pick: s.last_pick,
        })
    }
}
