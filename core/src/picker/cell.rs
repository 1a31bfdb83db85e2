use super::kernel::{lease, Choice, NodeStats, Outcome, PickTicket, PickerConfig, PickerKernel, View};
use crate::sync::{atomic_u64, AtomicU64, Ordering};
use crate::word::{Measured, Order, Word};
use crate::{ConfigError, Nanos, Value};

/// One node's slot: its stats as atomic words, on its own cache line so
/// picks of neighbouring nodes do not contend.
#[derive(Debug)]
#[repr(align(64))]
pub struct NodeSlot {
    /// `gen:32 | state:2 | in_flight:30`.
    lease: AtomicU64,
    id: AtomicU64,
    latency: AtomicU64,
    success: AtomicU64,
    /// When the EWMAs were last updated.
    stamp: AtomicU64,
    last_pick: AtomicU64,
    cpu: AtomicU64,
}

impl NodeSlot {
    /// An empty slot.
    pub fn new() -> Self {
        Self {
            lease: atomic_u64(0),
            id: atomic_u64(0),
            latency: atomic_u64(0),
            success: atomic_u64(1f64.to_bits()),
            stamp: atomic_u64(0),
            last_pick: atomic_u64(0),
            cpu: atomic_u64(0),
        }
    }

    /// `N` empty slots, for a picker with a compile-time capacity.
    pub fn array<const N: usize>() -> [NodeSlot; N] {
        core::array::from_fn(|_| NodeSlot::new())
    }

    #[inline]
    fn view(&self) -> Option<View> {
        let w = self.lease.load(Ordering::Acquire);
        if lease::state(w) != lease::UP {
            return None;
        }
        Some(View {
            in_flight: lease::in_flight(w),
            latency_ns: f64::from_bits(self.latency.load(Ordering::Relaxed)),
            success: f64::from_bits(self.success.load(Ordering::Relaxed)),
            cpu_permille: self.cpu.load(Ordering::Relaxed),
            last_pick: self.last_pick.load(Ordering::Relaxed),
        })
    }
}

impl Default for NodeSlot {
    fn default() -> Self {
        Self::new()
    }
}

/// A p2c picker for many threads over caller storage `S` (`[NodeSlot; N]`,
/// `Box<[NodeSlot]>`). `pick` and `done` are lock-free.
#[derive(Debug)]
pub struct Picker<S: AsRef<[NodeSlot]>> {
    kernel: PickerKernel,
    slots: S,
}

/// Whether this caller moved a node's last pick from `seen` to `now`: of
/// the threads that saw the same stale pick, exactly one wins.
#[inline]
fn won_force_pick(last_pick: &AtomicU64, seen: u64, now: Nanos) -> bool {
    last_pick.measure_and_replace(
        Order::Relaxed,
        #[inline(always)]
        |held| match held == seen {
            true => Measured::Replace(true, now),
            false => Measured::Keep(false),
        },
    )
}

/// Applies `f` to an `f64` stored as bits, by compare-exchange.
#[inline]
fn update_f64(word: &AtomicU64, f: impl Fn(f64) -> f64) {
    word.measure_and_replace(
        Order::Relaxed,
        #[inline(always)]
        |current| Measured::Replace((), f(f64::from_bits(current)).to_bits()),
    );
}

impl<S: AsRef<[NodeSlot]>> Picker<S> {
    /// A picker over `slots` (their contents are reset to empty). Fails on a
    /// bad config, or with no slots or more than `u32::MAX`.
    pub fn new(config: PickerConfig, slots: S) -> Result<Self, ConfigError> {
        let kernel = PickerKernel::new(config)?;
        let len = slots.as_ref().len();
        if len == 0 || len as u64 > u64::from(u32::MAX) {
            return Err(ConfigError::new("capacity", "in [1, 2^32 - 1]", Value::Unsigned(len as u64)));
        }
        for slot in slots.as_ref() {
            slot.lease.store(0, Ordering::Relaxed);
        }
        Ok(Self { kernel, slots })
    }

    /// The kernel.
    pub const fn kernel(&self) -> &PickerKernel {
        &self.kernel
    }

    /// Slots in the picker.
    pub fn capacity(&self) -> usize {
        self.slots.as_ref().len()
    }

    /// Adds node `id` (the host's identifier) at `now` in the first empty
    /// slot and returns the slot's index; `None` when every slot is taken.
    pub fn add(&self, id: u64, now: Nanos) -> Option<u32> {
        for (index, slot) in self.slots.as_ref().iter().enumerate() {
            let claimed = slot.lease.measure_and_replace(Order::Publish, |w| {
                if lease::state(w) != lease::EMPTY {
                    return Measured::Keep(None);
                }
                let gen = lease::gen(w).wrapping_add(1);
                Measured::Replace(Some(gen), lease::pack(gen, lease::ADDING, 0))
            });
            let Some(gen) = claimed else { continue };
            slot.id.store(id, Ordering::Relaxed);
            slot.latency.store((self.kernel.config().initial_latency_ns as f64).to_bits(), Ordering::Relaxed);
            slot.success.store(1f64.to_bits(), Ordering::Relaxed);
            slot.stamp.store(now, Ordering::Relaxed);
            slot.last_pick.store(now, Ordering::Relaxed);
            slot.cpu.store(0, Ordering::Relaxed);
            // Release: a picker that sees the node up sees its fresh stats.
            slot.lease.store(lease::pack(gen, lease::UP, 0), Ordering::Release);
            return Some(index as u32);
        }
        None
    }

    /// Removes the node in slot `index`. Requests in flight to it are
    /// forgotten; their `done` is ignored. `false` if the slot was empty.
    pub fn remove(&self, index: u32) -> bool {
        self.set_state(index, |s| s == lease::UP || s == lease::DOWN, |w| lease::pack(lease::gen(w), lease::EMPTY, 0))
    }

    /// Marks the node down (not picked) or up again. `false` if the slot
    /// holds no node.
    pub fn set_up(&self, index: u32, up: bool) -> bool {
        let state = if up { lease::UP } else { lease::DOWN };
        self.set_state(
            index,
            |s| s == lease::UP || s == lease::DOWN,
            |w| lease::pack(lease::gen(w), state, lease::in_flight(w)),
        )
    }

    fn set_state(&self, index: u32, when: impl Fn(u64) -> bool, next: impl Fn(u64) -> u64) -> bool {
        let Some(slot) = self.slots.as_ref().get(index as usize) else { return false };
        slot.lease.measure_and_replace(Order::Publish, |w| match when(lease::state(w)) {
            true => Measured::Replace(true, next(w)),
            false => Measured::Keep(false),
        })
    }

    /// Picks a node at `now` with `draw`, a uniform random `u64`. `None` when
    /// no node is up.
    #[inline]
    pub fn pick(&self, now: Nanos, draw: u64) -> Option<PickTicket> {
        let slots = self.slots.as_ref();
        loop {
            let choice = self.kernel.select(slots.len(), now, draw, |i| slots.get(i).and_then(NodeSlot::view))?;
            if let Some(ticket) = self.take(choice, now) {
                return Some(ticket);
            }
            // The chosen node went down or was removed meanwhile: choose again.
        }
    }

    #[inline]
    fn take(&self, choice: Choice, now: Nanos) -> Option<PickTicket> {
        let slots = self.slots.as_ref();
        let (index, forced) = match choice.forced_from {
            // Only one thread wins a node's force-pick; the others take the
            // node chosen on load.
            Some((seen, instead)) => match slots.get(choice.index) {
                Some(s) if won_force_pick(&s.last_pick, seen, now) => (choice.index, true),
                _ => (instead, false),
            },
            None => (choice.index, false),
        };
        let slot = slots.get(index)?;
        let w = slot.lease.measure_and_replace(
            Order::Relaxed,
            #[inline(always)]
            |w| match lease::picked(w) {
                Some(next) => Measured::Replace(Some(w), next),
                None => Measured::Keep(None),
            },
        )?;
        if !forced {
            slot.last_pick.store(now, Ordering::Relaxed);
        }
        Some(PickTicket { index: index as u32, gen: lease::gen(w), forced })
    }

    /// Reports the outcome of a picked request at `now`. `false` (and no
    /// change) when the ticket is stale: already done, or the node was
    /// removed since.
    #[inline]
    pub fn done(&self, ticket: PickTicket, now: Nanos, outcome: Outcome) -> bool {
        let Some(slot) = self.slots.as_ref().get(ticket.index as usize) else { return false };
        let ended = slot.lease.measure_and_replace(
            Order::Relaxed,
            #[inline(always)]
            |w| match lease::done(w, ticket.gen) {
                Some(next) => Measured::Replace(true, next),
                None => Measured::Keep(false),
            },
        );
        if !ended {
            return false;
        }
        // Concurrent dones each decay by the time since the previous stamp;
        // a clock behind the stamp gives weight 0 to its sample.
        let elapsed = now.saturating_sub(slot.stamp.swap(now, Ordering::Relaxed));
        let w = self.kernel.decay(elapsed);
        let latency = outcome.latency_ns as f64;
        update_f64(&slot.latency, |old| PickerKernel::ewma(old, latency, w));
        let ok = if outcome.success { 1.0 } else { 0.0 };
        update_f64(&slot.success, |old| PickerKernel::ewma(old, ok, w));
        if let Some(cpu) = outcome.cpu_permille {
            slot.cpu.store(u64::from(cpu).min(1000), Ordering::Relaxed);
        }
        true
    }

    /// The node in slot `index`, if any.
    pub fn node(&self, index: u32) -> Option<NodeStats> {
        let slot = self.slots.as_ref().get(index as usize)?;
        let w = slot.lease.load(Ordering::Acquire);
        Some(NodeStats {
            id: slot.id.load(Ordering::Relaxed),
            state: lease::node_state(w),
            gen: lease::gen(w),
            in_flight: lease::in_flight(w),
            latency_ns: f64::from_bits(slot.latency.load(Ordering::Relaxed)),
            success: f64::from_bits(slot.success.load(Ordering::Relaxed)),
            cpu_permille: slot.cpu.load(Ordering::Relaxed),
            last_pick: slot.last_pick.load(Ordering::Relaxed),
        })
    }

    /// The slot of the node with host id `id` that is up or down.
    pub fn find(&self, id: u64) -> Option<u32> {
        self.slots
            .as_ref()
            .iter()
            .position(|s| {
                let st = lease::state(s.lease.load(Ordering::Acquire));
                (st == lease::UP || st == lease::DOWN) && s.id.load(Ordering::Relaxed) == id
            })
            .map(|i| i as u32)
    }
}
