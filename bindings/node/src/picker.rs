//! `Picker`: power of two choices over a fixed table of nodes.

use weir_core::picker::{NodeSlot, NodeState, Outcome, PickTicket, Picker, PickerConfig};
use weir_core::ConfigError;

use crate::errors::created;
use crate::fast;
use crate::fast::Callback;
use crate::scratch::Scratch;
use crate::table::Table;

pub static PICKERS: Table<Picker<Box<[NodeSlot]>>> = Table::new();

/// Slots above this are refused: each one is a 64-byte cache line.
const MAX_CAPACITY: u64 = 1 << 20;

fn picker(s: Scratch) -> Result<Picker<Box<[NodeSlot]>>, ConfigError> {
    let capacity = s.u(1).min(MAX_CAPACITY + 1);
    let config = PickerConfig {
        tau_ns: s.u(2),
        force_pick_ns: s.u(3),
        success_floor: s.f(4),
        cpu_ceiling: s.u(5),
        latency_bias_ns: s.u(6),
        initial_latency_ns: s.u(7),
    };
    if capacity > MAX_CAPACITY {
        return Err(ConfigError::new("capacity", "<= 1048576", weir_core::Value::Unsigned(s.u(1))));
    }
    Picker::new(config, (0..capacity).map(|_| NodeSlot::new()).collect::<Box<[_]>>())
}

fn index(s: Scratch) -> u32 {
    let i = s.f(2);
    if i >= 0.0 && i <= u32::MAX as f64 {
        i as u32
    } else {
        u32::MAX
    }
}

fast!(picker_new, |s: Scratch| created(s, &PICKERS, picker(s)));

// In: handle, [now], id (slot 2, u64). Out: slot 1 the index, or -1 when full.
fast!(picker_add, |s: Scratch| if let Some(p) = PICKERS.get(s.handle()) {
    s.set_f(1, p.add(s.u(2), s.now(1)).map_or(-1.0, f64::from));
});

// In: handle, index (slot 2). Out: slot 1, 1 if removed.
fast!(picker_remove, |s: Scratch| if let Some(p) = PICKERS.get(s.handle()) {
    s.set_f(1, if p.remove(index(s)) { 1.0 } else { 0.0 });
});

// In: handle, index (slot 2), up (slot 3). Out: slot 1, 1 if changed.
fast!(picker_set_up, |s: Scratch| if let Some(p) = PICKERS.get(s.handle()) {
    s.set_f(1, if p.set_up(index(s), s.f(3) != 0.0) { 1.0 } else { 0.0 });
});

// In: handle, [now], [draw] (slot 2). Out: slot 1 reason code (0 or
// no_node), 2 index, 3 gen, 4 forced, 5 the `now` used.
fast!(picker_pick, |s: Scratch| if let Some(p) = PICKERS.get(s.handle()) {
    let now = s.now(1);
    let draw = if s.exact() { s.u(2) } else { weir_host::draw() };
    match p.pick(now, draw) {
        Some(t) => {
            s.set_f(1, 0.0);
            s.set_f(2, f64::from(t.index));
            s.set_f(3, f64::from(t.gen));
            s.set_f(4, if t.forced { 1.0 } else { 0.0 });
        }
        None => s.set_f(1, weir_core::Reason::NoNode as u8 as f64),
    }
    s.out(5, now);
});

// In: handle, [now], index 2, gen 3, latency_ns 4, success 5, cpu 6 (< 0:
// none), started_at 7, 8 = 1 to measure the latency as now - started_at.
// Out: slot 1, 1 if the ticket was current.
fast!(picker_done, |s: Scratch| if let Some(p) = PICKERS.get(s.handle()) {
    let now = s.now(1);
    let gen = s.f(3);
    let ticket = PickTicket { index: index(s), gen: if gen >= 0.0 { gen as u32 } else { u32::MAX }, forced: false };
    let latency_ns = if s.f(8) == 1.0 { now.saturating_sub(s.int(7)) } else { s.int(4) };
    let cpu = s.f(6);
    let cpu_permille = (cpu >= 0.0).then(|| cpu.min(f64::from(u16::MAX)) as u16);
    let outcome = Outcome { latency_ns, success: s.f(5) != 0.0, cpu_permille };
    s.set_f(1, if p.done(ticket, now, outcome) { 1.0 } else { 0.0 });
});

// In: handle, index 2. Out: 1 found, 2 state (0 empty, 1 up, 2 down, 3
// adding), 3 in_flight, 4 latency_ns (f64), 5 success (f64), 6 cpu, 7 id
// (u64), 8 last_pick.
fast!(picker_node, |s: Scratch| match PICKERS.get(s.handle()).and_then(|p| p.node(index(s))) {
    Some(n) => {
        s.set_f(1, 1.0);
        let state = match n.state {
            NodeState::Empty => 0.0,
            NodeState::Up => 1.0,
            NodeState::Down => 2.0,
            NodeState::Adding => 3.0,
        };
        s.set_f(2, state);
        s.out(3, n.in_flight);
        s.set_f(4, n.latency_ns);
        s.set_f(5, n.success);
        s.out(6, n.cpu_permille);
        s.set_u(7, n.id);
        s.out(8, n.last_pick);
    }
    None => s.set_f(1, 0.0),
});

pub const FNS: &[(&str, Callback)] = &[
    ("pickerNew", picker_new),
    ("pickerAdd", picker_add),
    ("pickerRemove", picker_remove),
    ("pickerSetUp", picker_set_up),
    ("pickerPick", picker_pick),
    ("pickerDone", picker_done),
    ("pickerNode", picker_node),
];
