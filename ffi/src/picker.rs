//! `weir_picker`: power-of-two-choices load balancing over a fixed set of
//! node slots (EWMA latency x in-flight, success rate, server CPU).

use crate::handle::{drop_handle, entry, live, now_of, out, publish};
use crate::status::{config_error, guard, weir_status};
use weir_core::picker::{NodeSlot, NodeState, Outcome, PickTicket, Picker, PickerConfig};
use weir_core::Reason;

/// Most node slots a picker may have.
const MAX_CAPACITY: u64 = 1 << 16;

/// Picker settings; `weir_picker_config_default` gives tau 600 ms,
/// force-pick after 3 s, success floor 0.5, CPU ceiling 900, bias 5 ms,
/// initial latency 0.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct weir_picker_config {
    /// Time constant of the latency and success EWMAs, ns, >= 1.
    pub tau_ns: u64,
    /// A node not picked for longer than this is picked once; 0 never.
    pub force_pick_ns: u64,
    /// Below this success rate (in [0, 1]) a node is unhealthy.
    pub success_floor: f64,
    /// Above this server CPU (permille, <= 1000) a node is unhealthy.
    pub cpu_ceiling: u64,
    /// Added to the latency in the load; >= 1 when initial_latency_ns is 0.
    pub latency_bias_ns: u64,
    /// A new node's latency before its first response, ns.
    pub initial_latency_ns: u64,
}

impl From<PickerConfig> for weir_picker_config {
    fn from(c: PickerConfig) -> Self {
        Self {
            tau_ns: c.tau_ns,
            force_pick_ns: c.force_pick_ns,
            success_floor: c.success_floor,
            cpu_ceiling: c.cpu_ceiling,
            latency_bias_ns: c.latency_bias_ns,
            initial_latency_ns: c.initial_latency_ns,
        }
    }
}

impl From<&weir_picker_config> for PickerConfig {
    fn from(c: &weir_picker_config) -> Self {
        Self {
            tau_ns: c.tau_ns,
            force_pick_ns: c.force_pick_ns,
            success_floor: c.success_floor,
            cpu_ceiling: c.cpu_ceiling,
            latency_bias_ns: c.latency_bias_ns,
            initial_latency_ns: c.initial_latency_ns,
        }
    }
}

/// A pick: the node's slot, the slot's generation (a `done` for an older
/// one is ignored) and when it was picked. Hand it back to `weir_picker_done`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct weir_pick {
    /// `WEIR_REASON_ADMITTED`, or `WEIR_REASON_NO_NODE` when no node is up
    /// (then the other fields are 0).
    pub reason: u32,
    /// Slot index of the node.
    pub index: u32,
    /// Generation of the slot when picked.
    pub gen: u32,
    /// 1 when force-picked (idle too long) rather than chosen on load.
    pub forced: u32,
    /// The `now` of the pick, for `weir_picker_done_now`'s latency.
    pub picked_at: u64,
}

/// A node slot's membership.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum weir_node_state {
    /// No node.
    Empty = 0,
    /// Pickable.
    Up = 1,
    /// Marked down: not picked.
    Down = 2,
    /// Being added (a few instructions long).
    Adding = 3,
}

/// A node's stats.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct weir_node_stats {
    /// The host's id of the node.
    pub id: u64,
    /// A `weir_node_state` value.
    pub state: u32,
    /// Generation of the slot.
    pub gen: u32,
    /// Requests picked and not yet done.
    pub in_flight: u64,
    /// Latency EWMA, ns.
    pub latency_ns: f64,
    /// Success EWMA in [0, 1].
    pub success: f64,
    /// Last CPU reported, permille.
    pub cpu_permille: u64,
    /// When it was last picked.
    pub last_pick: u64,
}

/// A p2c picker. Thread-safe: pick, done, add, remove and set_up may run
/// from any threads at once (lock-free); only `_free` must not race.
pub struct weir_picker {
    inner: Picker<Box<[NodeSlot]>>,
}

impl weir_host::Clocked for weir_picker {}

/// Writes the default config to `out`.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_picker_config_default(out: *mut weir_picker_config) -> weir_status {
    entry!(=> out = PickerConfig::default().into())
}

/// Makes a picker with `capacity` empty node slots (1..=65536).
///
/// # Safety
/// `config` is NULL or readable; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_picker_new(
    config: *const weir_picker_config,
    capacity: u64,
    out: *mut *mut weir_picker,
) -> weir_status {
    entry!(config; out => {
        if let Err(e) = weir_core::picker::PickerKernel::new(config.into()) {
            return config_error(e);
        }
        let slots = match crate::storage::slots(capacity, MAX_CAPACITY, "in [1, 65536]", NodeSlot::new) {
            Ok(slots) => slots,
            Err(status) => return status,
        };
        match Picker::new(config.into(), slots) {
            // SAFETY: `out` checked non-NULL; writable per the contract.
            Ok(inner) => unsafe { publish(out, weir_picker { inner }) },
            Err(e) => config_error(e),
        }
    })
}

/// Adds node `id` at `now` in the first empty slot; `*index` gets the slot.
/// `WEIR_STATUS_FULL` when every slot is taken.
///
/// # Safety
/// `picker` is NULL or live; `index` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_picker_add(
    picker: *const weir_picker,
    id: u64,
    now: u64,
    index: *mut u32,
) -> weir_status {
    entry!(picker; index => {
        match picker.inner.add(id, now) {
            Some(i) => out!(index, i),
            None => return weir_status::Full,
        }
    })
}

/// Removes the node in slot `index`; its in-flight picks' `done` are then
/// ignored. `WEIR_STATUS_NOT_FOUND` if the slot holds no node.
///
/// # Safety
/// `picker` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn weir_picker_remove(picker: *const weir_picker, index: u32) -> weir_status {
    guard(|| if live!(picker).inner.remove(index) { weir_status::Ok } else { weir_status::NotFound })
}

/// Marks the node in slot `index` up (pickable) or down.
/// `WEIR_STATUS_NOT_FOUND` if the slot holds no node.
///
/// # Safety
/// `picker` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn weir_picker_set_up(picker: *const weir_picker, index: u32, up: bool) -> weir_status {
    guard(|| if live!(picker).inner.set_up(index, up) { weir_status::Ok } else { weir_status::NotFound })
}

fn pick_of(ticket: Option<PickTicket>, now: u64) -> weir_pick {
    match ticket {
        Some(t) => weir_pick {
            reason: Reason::Admitted as u32,
            index: t.index,
            gen: t.gen,
            forced: u32::from(t.forced),
            picked_at: now,
        },
        None => weir_pick { reason: Reason::NoNode as u32, ..weir_pick::default() },
    }
}

/// Picks a node at `now` with `draw` (a uniform random u64, `weir_draw()`).
///
/// # Safety
/// `picker` is NULL or live; `out` is NULL or writable.
// twin weir_picker_pick_now: `weir_picker_pick` at `weir_now()` with `weir_draw()`.
#[no_mangle]
pub unsafe extern "C" fn weir_picker_pick(
    picker: *const weir_picker,
    now: u64,
    draw: u64,
    out: *mut weir_pick,
) -> weir_status {
    entry!(picker => out = pick_of(picker.inner.pick(now, draw), now))
}

/// `weir_picker_pick` at `weir_now()` with `weir_draw()`.
///
/// # Safety
/// As `weir_picker_pick`.
// Written by ffi/twins from the `// twin` mark above; edit that, not this.
#[no_mangle]
pub unsafe extern "C" fn weir_picker_pick_now(picker: *const weir_picker, out: *mut weir_pick) -> weir_status {
    entry!(let now = crate::handle::now_of::<weir_picker>(); let draw = weir_host::draw();
        picker => out = pick_of(picker.inner.pick(now, draw), now))
}

fn outcome(latency_ns: u64, success: bool, cpu_permille: i32) -> Outcome {
    // Negative: the response carried no CPU; larger than u16: clamped.
    let cpu = u16::try_from(cpu_permille.max(0)).unwrap_or(u16::MAX);
    Outcome { latency_ns, success, cpu_permille: (cpu_permille >= 0).then_some(cpu) }
}

/// Reports the outcome of `pick` at `now`: how long it took, whether it
/// succeeded, and the server's CPU in permille if the response carried it
/// (negative when not). `WEIR_STATUS_NOT_FOUND` (and no change) for a stale
/// pick: already done, or the node was removed since.
///
/// # Safety
/// `picker` is NULL or live; `pick` is NULL or readable.
#[no_mangle]
pub unsafe extern "C" fn weir_picker_done(
    picker: *const weir_picker,
    pick: *const weir_pick,
    now: u64,
    latency_ns: u64,
    success: bool,
    cpu_permille: i32,
) -> weir_status {
    entry!(picker, pick => {
        if pick.reason != Reason::Admitted as u32 {
            return weir_status::NotFound;
        }
        let ticket = PickTicket { index: pick.index, gen: pick.gen, forced: pick.forced != 0 };
        if picker.inner.done(ticket, now, outcome(latency_ns, success, cpu_permille)) {
            weir_status::Ok
        } else {
            weir_status::NotFound
        }
    })
}

/// `weir_picker_done` at `weir_now()`, the latency measured from the
/// pick's `picked_at`.
///
/// # Safety
/// As `weir_picker_done`.
#[no_mangle]
pub unsafe extern "C" fn weir_picker_done_now(
    picker: *const weir_picker,
    pick: *const weir_pick,
    success: bool,
    cpu_permille: i32,
) -> weir_status {
    guard(|| {
        let now = now_of::<weir_picker>();
        let latency = now.saturating_sub(live!(pick).picked_at);
        // SAFETY: forwarded from this function's contract.
        unsafe { weir_picker_done(picker, pick, now, latency, success, cpu_permille) }
    })
}

/// The node in slot `index`. `WEIR_STATUS_NOT_FOUND` for an index past the
/// capacity (an empty slot answers with state `WEIR_NODE_STATE_EMPTY`).
///
/// # Safety
/// `picker` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_picker_node(
    picker: *const weir_picker,
    index: u32,
    out: *mut weir_node_stats,
) -> weir_status {
    entry!(picker; out => {
        let Some(n) = picker.inner.node(index) else { return weir_status::NotFound };
        let state = match n.state {
            NodeState::Empty => weir_node_state::Empty,
            NodeState::Up => weir_node_state::Up,
            NodeState::Down => weir_node_state::Down,
            NodeState::Adding => weir_node_state::Adding,
        };
        out!(
            out,
            weir_node_stats {
                id: n.id,
                state: state as u32,
                gen: n.gen,
                in_flight: n.in_flight,
                latency_ns: n.latency_ns,
                success: n.success,
                cpu_permille: n.cpu_permille,
                last_pick: n.last_pick,
            }
        );
    })
}

/// The slot of the node with host id `id` (up or down).
/// `WEIR_STATUS_NOT_FOUND` if there is none.
///
/// # Safety
/// `picker` is NULL or live; `index` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_picker_find(picker: *const weir_picker, id: u64, index: *mut u32) -> weir_status {
    entry!(picker; index => {
        match picker.inner.find(id) {
            Some(i) => out!(index, i),
            None => return weir_status::NotFound,
        }
    })
}

/// Frees `*picker` and sets it to NULL; NULL is a no-op.
///
/// # Safety
/// `picker` is NULL or points to NULL or to a live picker no other thread uses.
#[no_mangle]
pub unsafe extern "C" fn weir_picker_free(picker: *mut *mut weir_picker) {
    // SAFETY: forwarded from this function's contract.
    unsafe { drop_handle(picker) }
}
