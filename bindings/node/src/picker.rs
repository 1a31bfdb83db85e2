//! `Picker`: power of two choices over a fixed table of nodes.

use weir_core::picker::{NodeSlot, NodeState, Outcome, PickTicket, Picker, PickerConfig};
use weir_core::ConfigError;

use crate::errors::created;
use crate::fast;
use crate::fast::Callback;
use crate::layout::{call, picker_change, picker_done, picker_new, picker_node, picker_pick};
use crate::scratch::Scratch;
use crate::table::Table;

pub static PICKERS: Table<Picker<Box<[NodeSlot]>>> = Table::new();

/// Slots above this are refused: each one is a 64-byte cache line.
const MAX_CAPACITY: u64 = 1 << 20;

fn picker(s: Scratch) -> Result<Picker<Box<[NodeSlot]>>, ConfigError> {
    use picker_new::*;
    let capacity = s.u(CAPACITY).min(MAX_CAPACITY + 1);
    let config = PickerConfig {
        tau_ns: s.u(TAU),
        force_pick_ns: s.u(FORCE_PICK),
        success_floor: s.f(SUCCESS_FLOOR),
        cpu_ceiling: s.u(CPU_CEILING),
        latency_bias_ns: s.u(LATENCY_BIAS),
        initial_latency_ns: s.u(INITIAL_LATENCY),
    };
    if capacity > MAX_CAPACITY {
        return Err(ConfigError::new("capacity", "<= 1048576", weir_core::Value::Unsigned(s.u(CAPACITY))));
    }
    Picker::new(config, (0..capacity).map(|_| NodeSlot::new()).collect::<Box<[_]>>())
}

/// The node index every call but `pickerAdd` takes.
fn index(s: Scratch) -> u32 {
    const _: () = assert!(picker_change::INDEX == picker_done::INDEX && picker_done::INDEX == picker_node::INDEX);
    let i = s.f(picker_change::INDEX);
    if i >= 0.0 && i <= u32::MAX as f64 {
        i as u32
    } else {
        u32::MAX
    }
}

fast!(picker_new, |s: Scratch| created(s, &PICKERS, picker(s)));

// In: handle, [now], id. Out: the index, or -1 when full.
fast!(picker_add, |s: Scratch| if let Some(p) = PICKERS.get(s.handle()) {
    s.set_f(picker_change::ANSWER, p.add(s.u(picker_change::ID), s.now(call::NOW)).map_or(-1.0, f64::from));
});

// In: handle, index. Out: 1 if removed.
fast!(picker_remove, |s: Scratch| if let Some(p) = PICKERS.get(s.handle()) {
    s.set_f(picker_change::ANSWER, if p.remove(index(s)) { 1.0 } else { 0.0 });
});

// In: handle, index, up. Out: 1 if changed.
fast!(picker_set_up, |s: Scratch| if let Some(p) = PICKERS.get(s.handle()) {
    let changed = p.set_up(index(s), s.f(picker_change::UP) != 0.0);
    s.set_f(picker_change::ANSWER, if changed { 1.0 } else { 0.0 });
});

// In: handle, [now], [draw]. Out: see [`picker_pick`].
fast!(picker_pick, |s: Scratch| if let Some(p) = PICKERS.get(s.handle()) {
    use picker_pick::*;
    let now = s.now(call::NOW);
    let draw = if s.exact() { s.u(DRAW) } else { weir_host::draw() };
    match p.pick(now, draw) {
        Some(t) => {
            s.set_f(REASON, 0.0);
            s.set_f(INDEX, f64::from(t.index));
            s.set_f(GEN, f64::from(t.gen));
            s.set_f(FORCED, if t.forced { 1.0 } else { 0.0 });
        }
        None => s.set_f(REASON, weir_core::Reason::NoNode as u8 as f64),
    }
    s.out(AT, now);
});

// In: handle, [now], then see [`picker_done`].
fast!(picker_done, |s: Scratch| if let Some(p) = PICKERS.get(s.handle()) {
    use picker_done::*;
    let now = s.now(call::NOW);
    let gen = s.f(GEN);
    let ticket = PickTicket { index: index(s), gen: if gen >= 0.0 { gen as u32 } else { u32::MAX }, forced: false };
    let latency_ns = if s.f(MEASURE) == 1.0 { now.saturating_sub(s.int(STARTED_AT)) } else { s.int(LATENCY) };
    let cpu = s.f(CPU);
    let cpu_permille = (cpu >= 0.0).then(|| cpu.min(f64::from(u16::MAX)) as u16);
    let outcome = Outcome { latency_ns, success: s.f(SUCCESS) != 0.0, cpu_permille };
    s.set_f(CURRENT, if p.done(ticket, now, outcome) { 1.0 } else { 0.0 });
});

// In: handle, index. Out: see [`picker_node`].
fast!(picker_node, |s: Scratch| match PICKERS.get(s.handle()).and_then(|p| p.node(index(s))) {
    Some(n) => {
        use picker_node::*;
        s.set_f(FOUND, 1.0);
        let state = match n.state {
            NodeState::Empty => 0.0,
            NodeState::Up => 1.0,
            NodeState::Down => 2.0,
            NodeState::Adding => 3.0,
        };
        s.set_f(STATE, state);
        s.out(IN_FLIGHT, n.in_flight);
        s.set_f(LATENCY, n.latency_ns);
        s.set_f(SUCCESS, n.success);
        s.out(CPU, n.cpu_permille);
        s.set_u(ID, n.id);
        s.out(LAST_PICK, n.last_pick);
    }
    None => s.set_f(picker_node::FOUND, 0.0),
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
