//! `SingleFlight`: core's table of in-flight keys decides who leads and
//! who follows; the JS side holds the shared Promise.

use weir_core::singleflight::{Flight, FlightSlot, Singleflight, SlotState, Ticket};
use weir_core::{ConfigError, Value};

use crate::errors::created;
use crate::fast;
use crate::fast::{first_arg, hash_string, Callback};
use crate::fast_arg;
use crate::keys::{seed_arg, Seeded};
use crate::layout::{flight, flight_new};
use crate::scratch::Scratch;
use crate::table::Table;

pub static FLIGHTS: Table<Seeded<Singleflight<Box<[FlightSlot]>>>> = Table::new();

const MAX_CAPACITY: u64 = 1 << 24;

fn table(s: Scratch) -> Result<Singleflight<Box<[FlightSlot]>>, ConfigError> {
    let capacity = s.u(flight_new::CAPACITY);
    if capacity > MAX_CAPACITY {
        return Err(ConfigError::new("capacity", "<= 16777216", Value::Unsigned(capacity)));
    }
    Singleflight::new((0..capacity).map(|_| FlightSlot::new()).collect::<Box<[_]>>())
}

// In: the capacity and the key-hash seed: the argument, a Uint8Array
// secret or `undefined`.
fast_arg!(flight_new, seed_arg, |s, keys| match keys {
    Ok(keys) => created(s, &FLIGHTS, table(s).map(|table| Seeded { table, keys })),
    Err(e) => {
        crate::errors::set_parts(e.field, e.rule, "");
        s.status(crate::scratch::status::CONFIG);
    }
});

/// Counting the occupied slots reads the whole table, so it is done only
/// when the call asks for it (snapshots and the vectors, not `do`).
fn occupied(s: Scratch, t: &Singleflight<Box<[FlightSlot]>>) {
    if s.f(flight::COUNT_OCCUPIED) == 1.0 {
        s.set_f(flight::OCCUPIED, t.occupied() as f64);
    }
}

/// Out: the role (0 leader, 1 follower, 2 table full), the ticket, occupied.
fn begin(s: Scratch, t: &Singleflight<Box<[FlightSlot]>>, key: u64) {
    let (role, ticket) = match t.begin(key) {
        Flight::Leader(t) => (0.0, Some(t)),
        Flight::Follower(t) => (1.0, Some(t)),
        Flight::TableFull => (2.0, None),
    };
    s.set_f(flight::ROLE, role);
    if let Some(t) = ticket {
        s.set_f(flight::SLOT, f64::from(t.slot));
        s.set_f(flight::GEN, f64::from(t.gen));
    }
    occupied(s, t);
}

// In: handle, key (u64).
fast!(flight_begin, |s: Scratch| match FLIGHTS.get(s.handle()) {
    Some(t) => begin(s, &t.table, s.u(flight::KEY)),
    None => s.bad_handle(),
});

/// As `flightBegin` with a string key, hashed as every weir runtime hashes
/// keys, under the table's seed if it has one.
unsafe extern "C" fn flight_begin_str(
    env: napi::sys::napi_env,
    info: napi::sys::napi_callback_info,
) -> napi::sys::napi_value {
    // SAFETY: napi calls this entry point on the JS thread with a live env and callback info, the only handles the body passes on.
    unsafe {
        let key = first_arg(env, info);
        fast::run(|s: Scratch| {
            let Some(t) = FLIGHTS.get(s.handle()) else { return s.bad_handle() };
            // `env` and `key` are this callback's, still running.
            match key.and_then(|v| hash_string(env, v, &t.keys)) {
                Some(key) => begin(s, &t.table, key),
                None => s.bad_handle(),
            }
        });
        std::ptr::null_mut()
    }
}

fn ticket(s: Scratch) -> Ticket {
    let (slot, gen) = (s.f(flight::SLOT), s.f(flight::GEN));
    let int = |v: f64| if v >= 0.0 && v <= u32::MAX as f64 { v as u32 } else { u32::MAX };
    Ticket { slot: int(slot), gen: int(gen) }
}

/// Out: ok, occupied, the state of the slot (0 free .. 3 draining), its waiters.
fn after(s: Scratch, op: impl Fn(&Singleflight<Box<[FlightSlot]>>, Ticket) -> bool) {
    let Some(t) = FLIGHTS.get(s.handle()) else { return s.bad_handle() };
    let t = &t.table;
    let ticket = ticket(s);
    s.set_f(flight::OK, if op(t, ticket) { 1.0 } else { 0.0 });
    occupied(s, t);
    let (state, waiters) = t.slot_state(ticket.slot as usize).unwrap_or((SlotState::Free, 0));
    let state = match state {
        SlotState::Free => 0.0,
        SlotState::Claiming => 1.0,
        SlotState::Active => 2.0,
        SlotState::Draining => 3.0,
    };
    s.set_f(flight::STATE, state);
    s.set_f(flight::WAITERS, waiters as f64);
}

// In: handle, the ticket.
fast!(flight_finish, |s: Scratch| after(s, |t, k| t.finish(k)));
fast!(flight_leave, |s: Scratch| after(s, |t, k| t.leave(k)));
fast!(flight_is_done, |s: Scratch| after(s, |t, k| t.is_done(k)));

pub const FNS: &[(&str, Callback)] = &[
    ("flightNew", flight_new),
    ("flightBegin", flight_begin),
    ("flightBeginStr", flight_begin_str),
    ("flightFinish", flight_finish),
    ("flightLeave", flight_leave),
    ("flightIsDone", flight_is_done),
];
