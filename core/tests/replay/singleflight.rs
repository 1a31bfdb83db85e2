//! `singleflight` vectors, through both cells.

use super::backoff::opt_arg;
use super::common::*;
use serde_json::Value;
use weir_core::singleflight::{Flight, FlightSlot, PlainFlightSlot, PlainSingleflight, Singleflight, Ticket};
use weir_core::ConfigError;

type Atomic = Singleflight<Box<[FlightSlot]>>;
type Plain = PlainSingleflight<Box<[PlainFlightSlot]>>;

fn build(c: &Value) -> Result<(Atomic, Plain), ConfigError> {
    let capacity = field_u64(c, "capacity").unwrap_or(0) as usize;
    let atomic = Singleflight::new((0..capacity).map(|_| FlightSlot::new()).collect::<Box<[_]>>())?;
    let plain = PlainSingleflight::new(vec![PlainFlightSlot::default(); capacity].into_boxed_slice())?;
    Ok((atomic, plain))
}

pub fn config_error(_: &str, c: &Value) -> Option<ConfigError> {
    build(c).err()
}

fn ticket(step: &Value) -> Ticket {
    Ticket { slot: arg(step, "slot") as u32, gen: arg(step, "gen") as u32 }
}

fn check_bool(step: &Value, i: usize, name: &str, got: bool) {
    if let Some(want) = expect(step).get(name) {
        assert_eq!(Some(got), want.as_bool(), "step {i} ({step}): {name}");
    }
}

pub fn replay(_: &str, c: &Value, steps: &[Value]) {
    let (atomic, mut plain) = build(c).unwrap_or_else(|e| panic!("{e}"));
    for (i, step) in steps.iter().enumerate() {
        match op(step) {
            "begin" => {
                let key = arg(step, "key");
                let flight = atomic.begin(key);
                assert_eq!(flight, plain.begin(key), "step {i}: cells disagree");
                let (role, t) = match flight {
                    Flight::Leader(t) => ("leader", Some(t)),
                    Flight::Follower(t) => ("follower", Some(t)),
                    Flight::TableFull => ("table_full", None),
                };
                check_str(step, i, "role", role);
                if let Some(t) = t {
                    check_u64(step, i, "slot", u64::from(t.slot));
                    check_u64(step, i, "gen", u64::from(t.gen));
                }
            }
            "finish" => {
                let ok = atomic.finish(ticket(step));
                assert_eq!(ok, plain.finish(ticket(step)), "step {i}: cells disagree");
                check_bool(step, i, "ok", ok);
            }
            "leave" => {
                let ok = atomic.leave(ticket(step));
                assert_eq!(ok, plain.leave(ticket(step)), "step {i}: cells disagree");
                check_bool(step, i, "ok", ok);
            }
            "is_done" => {
                let done = atomic.is_done(ticket(step));
                assert_eq!(done, plain.is_done(ticket(step)), "step {i}: cells disagree");
                check_bool(step, i, "done", done);
            }
            other => panic!("unknown singleflight op {other}"),
        }
        check_u64(step, i, "occupied", atomic.occupied() as u64);
        if let Some(slot) = opt_arg(step, "slot") {
            if let Some(want) = expect(step).get("waiters") {
                let (_, waiters) = atomic.slot_state(slot as usize).unwrap_or_else(|| panic!("no slot {slot}"));
                assert_eq!(waiters, num(want), "step {i}: waiters");
            }
        }
    }
}
