//! `picker` vectors, through both cells.

use super::backoff::opt_arg;
use super::common::*;
use serde_json::Value;
use weir_core::picker::{
    NodeSlot, NodeState, NodeStats, Outcome, PickTicket, Picker, PickerConfig, PlainNodeSlot, PlainPicker,
};
use weir_core::ConfigError;

type Atomic = Picker<Box<[NodeSlot]>>;
type Plain = PlainPicker<Box<[PlainNodeSlot]>>;

fn picker_config(c: &Value) -> PickerConfig {
    let d = PickerConfig::default();
    PickerConfig {
        tau_ns: field_u64(c, "tau_ns").unwrap_or(d.tau_ns),
        force_pick_ns: field_u64(c, "force_pick_ns").unwrap_or(d.force_pick_ns),
        success_floor: field_f64(c, "success_floor").unwrap_or(d.success_floor),
        cpu_ceiling: field_u64(c, "cpu_ceiling").unwrap_or(d.cpu_ceiling),
        latency_bias_ns: field_u64(c, "latency_bias_ns").unwrap_or(d.latency_bias_ns),
        initial_latency_ns: field_u64(c, "initial_latency_ns").unwrap_or(d.initial_latency_ns),
    }
}

fn build(c: &Value) -> Result<(Atomic, Plain), ConfigError> {
    let capacity = field_u64(c, "capacity").unwrap_or(0) as usize;
    let atomic = Picker::new(picker_config(c), (0..capacity).map(|_| NodeSlot::new()).collect::<Box<[_]>>())?;
    let plain = PlainPicker::new(picker_config(c), vec![PlainNodeSlot::default(); capacity].into_boxed_slice())?;
    Ok((atomic, plain))
}

pub fn config_error(_: &str, c: &Value) -> Option<ConfigError> {
    build(c).err()
}

fn check_bool(step: &Value, i: usize, name: &str, got: bool) {
    if let Some(want) = expect(step).get(name) {
        assert_eq!(Some(got), want.as_bool(), "step {i} ({step}): {name}");
    }
}

fn state_name(s: NodeState) -> &'static str {
    match s {
        NodeState::Empty => "empty",
        NodeState::Up => "up",
        NodeState::Down => "down",
        NodeState::Adding => "adding",
    }
}

fn check_node(step: &Value, i: usize, n: &NodeStats) {
    check_str(step, i, "state", state_name(n.state));
    check_u64(step, i, "in_flight", n.in_flight);
    check_u64(step, i, "latency_ns", n.latency_ns as u64);
    check_u64(step, i, "success_ppm", (n.success * 1e6) as u64);
    check_u64(step, i, "cpu_permille", n.cpu_permille);
    check_u64(step, i, "id", n.id);
}

pub fn replay(_: &str, c: &Value, steps: &[Value]) {
    let (atomic, mut plain) = build(c).unwrap_or_else(|e| panic!("{e}"));
    for (i, step) in steps.iter().enumerate() {
        let now = at(step);
        match op(step) {
            "add" => {
                let got = atomic.add(arg(step, "id"), now);
                assert_eq!(got, plain.add(arg(step, "id"), now), "step {i}: cells disagree");
                check_str(step, i, "reason", if got.is_some() { "admitted" } else { "table_full" });
                if let Some(index) = got {
                    check_u64(step, i, "index", u64::from(index));
                }
            }
            "remove" => {
                let ok = atomic.remove(arg(step, "index") as u32);
                assert_eq!(ok, plain.remove(arg(step, "index") as u32), "step {i}: cells disagree");
                check_bool(step, i, "ok", ok);
            }
            "set_up" => {
                let (index, up) = (arg(step, "index") as u32, arg_bool(step, "up"));
                let ok = atomic.set_up(index, up);
                assert_eq!(ok, plain.set_up(index, up), "step {i}: cells disagree");
                check_bool(step, i, "ok", ok);
            }
            "pick" => {
                let draw = arg(step, "draw");
                let got = atomic.pick(now, draw);
                assert_eq!(got, plain.pick(now, draw), "step {i}: cells disagree");
                check_str(step, i, "reason", if got.is_some() { "admitted" } else { "no_node" });
                if let Some(t) = got {
                    check_u64(step, i, "index", u64::from(t.index));
                    check_u64(step, i, "gen", u64::from(t.gen));
                    check_bool(step, i, "forced", t.forced);
                }
            }
            "done" => {
                let ticket =
                    PickTicket { index: arg(step, "index") as u32, gen: arg(step, "gen") as u32, forced: false };
                let outcome = Outcome {
                    latency_ns: arg(step, "latency_ns"),
                    success: arg_bool(step, "success"),
                    cpu_permille: opt_arg(step, "cpu_permille").map(|v| v.min(u64::from(u16::MAX)) as u16),
                };
                let ok = atomic.done(ticket, now, outcome);
                assert_eq!(ok, plain.done(ticket, now, outcome), "step {i}: cells disagree");
                check_bool(step, i, "ok", ok);
            }
            "node" => {
                let index = arg(step, "index") as u32;
                let n = atomic.node(index).unwrap_or_else(|| panic!("step {i}: no slot {index}"));
                let p = plain.node(index).unwrap_or_else(|| panic!("step {i}: no slot {index}"));
                assert_eq!(n, p, "step {i}: cells disagree");
                check_node(step, i, &n);
            }
            other => panic!("unknown picker op {other}"),
        }
    }
}
