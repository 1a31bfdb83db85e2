//! `weir_singleflight`: among concurrent callers of one key, the first leads
//! and the rest follow. weir only decides roles; the host does the waiting
//! and hands the leader's result to the followers.

use crate::handle::{bytes, drop_handle, entry, live, need, out, publish};
use crate::seed::{hasher, weir_hash_seed};
use crate::status::{guard, weir_status};
use weir_core::singleflight::{Flight, FlightSlot, Singleflight, SlotState, Ticket};
use weir_host::KeyHasher;

/// Most slots a table may have (16 bytes each).
const MAX_CAPACITY: u64 = 1 << 24;

/// A caller's part in a flight.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum weir_flight_role {
    /// Do the work, then `weir_singleflight_finish`.
    Leader = 0,
    /// Wait for the leader's result, then `weir_singleflight_leave` (also
    /// to give up waiting).
    Follower = 1,
    /// The key's slot is busy with another key: do the work unshared.
    TableFull = 2,
}

/// The answer to `begin`: the role and the flight's slot and generation
/// (the host may key its result store on them).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct weir_flight {
    /// A `weir_flight_role` value.
    pub role: u32,
    /// Slot index of the flight (0 when the table is full).
    pub slot: u32,
    /// The flight's generation in its slot.
    pub gen: u32,
}

/// A slot's phase, for snapshots.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum weir_slot_state {
    /// No flight.
    Free = 0,
    /// Being claimed by a new leader.
    Claiming = 1,
    /// A leader is working; followers may join.
    Active = 2,
    /// The leader finished; followers still reading its result.
    Draining = 3,
}

/// A singleflight table. Thread-safe: begin, finish and leave may run from
/// any threads at once; only `_free` must not race.
pub struct weir_singleflight {
    inner: Singleflight<Box<[FlightSlot]>>,
    keys: KeyHasher,
}

/// Makes a table of `capacity` slots (1..=2^24); size it at a few times the
/// keys in flight at once.
///
/// `seed` is the secret `weir_singleflight_begin_bytes` hashes keys under
/// (copied; see `weir_hash_seed_from_secret`; all zero is refused). NULL hashes them with the
/// public `weir_hash_key`: anyone who controls keys can then pick keys that
/// occupy another key's slot, so its callers run unshared.
///
/// # Safety
/// `seed` is NULL or readable; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_singleflight_new(
    capacity: u64,
    seed: *const weir_hash_seed,
    out: *mut *mut weir_singleflight,
) -> weir_status {
    entry!(; out => {
        // SAFETY: forwarded from this function's contract.
        let keys = match unsafe { hasher(seed) } {
            Ok(keys) => keys,
            Err(status) => return status,
        };
        let slots = match crate::storage::slots(capacity, MAX_CAPACITY, "in [1, 2^24]", FlightSlot::new) {
            Ok(slots) => slots,
            Err(status) => return status,
        };
        match Singleflight::new(slots) {
            // SAFETY: `out` checked non-NULL; writable per the contract.
            Ok(inner) => unsafe { publish(out, weir_singleflight { inner, keys }) },
            Err(e) => crate::status::config_error(e),
        }
    })
}

fn flight(f: Flight) -> weir_flight {
    match f {
        Flight::Leader(t) => weir_flight { role: weir_flight_role::Leader as u32, slot: t.slot, gen: t.gen },
        Flight::Follower(t) => weir_flight { role: weir_flight_role::Follower as u32, slot: t.slot, gen: t.gen },
        Flight::TableFull => weir_flight { role: weir_flight_role::TableFull as u32, slot: 0, gen: 0 },
    }
}

/// Joins or starts the flight of `key`, a hash: the table's own
/// (`weir_hash_key_seeded` under its seed, or `weir_hash_key` for an
/// unseeded table) or one the caller owns.
///
/// # Safety
/// `table` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_singleflight_begin(
    table: *const weir_singleflight,
    key: u64,
    out: *mut weir_flight,
) -> weir_status {
    entry!(table => out = flight(table.inner.begin(key)))
}

/// `weir_singleflight_begin` of `key_len` bytes at `key` hashed with the
/// table's hash (under its seed, if made with one).
///
/// # Safety
/// `table` is NULL or live; `key` points to `key_len` readable bytes (may be
/// NULL when `key_len` is 0); `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_singleflight_begin_bytes(
    table: *const weir_singleflight,
    key: *const u8,
    key_len: usize,
    out: *mut weir_flight,
) -> weir_status {
    entry!(table => {
        // SAFETY: forwarded from this function's contract.
        let Some(key) = (unsafe { bytes(key, key_len) }) else { return weir_status::NullArgument };
        need!(out);
        out!(out, flight(table.inner.begin(table.keys.hash(key))));
    })
}

/// Ends the leader's flight `(slot, gen)`. `WEIR_STATUS_NOT_FOUND` (no
/// change) if it already finished.
///
/// # Safety
/// `table` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn weir_singleflight_finish(table: *const weir_singleflight, slot: u32, gen: u32) -> weir_status {
    guard(|| if live!(table).inner.finish(Ticket { slot, gen }) { weir_status::Ok } else { weir_status::NotFound })
}

/// A follower of `(slot, gen)` is done (read the result, or gave up).
/// `WEIR_STATUS_NOT_FOUND` if there was no such follower.
///
/// # Safety
/// `table` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn weir_singleflight_leave(table: *const weir_singleflight, slot: u32, gen: u32) -> weir_status {
    guard(|| if live!(table).inner.leave(Ticket { slot, gen }) { weir_status::Ok } else { weir_status::NotFound })
}

/// Whether the flight `(slot, gen)` has finished, for hosts that poll.
///
/// # Safety
/// `table` is NULL or live; `done` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_singleflight_is_done(
    table: *const weir_singleflight,
    slot: u32,
    gen: u32,
    done: *mut bool,
) -> weir_status {
    entry!(table => done = table.inner.is_done(Ticket { slot, gen }))
}

/// Slots not free, for a gauge.
///
/// # Safety
/// `table` is NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_singleflight_occupied(table: *const weir_singleflight, out: *mut u64) -> weir_status {
    entry!(table => out = table.inner.occupied() as u64)
}

/// Slot `slot`'s phase (a `weir_slot_state`) and follower count.
/// `WEIR_STATUS_NOT_FOUND` for a slot past the capacity.
///
/// # Safety
/// `table` is NULL or live; `state` and `waiters` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn weir_singleflight_slot(
    table: *const weir_singleflight,
    slot: u32,
    state: *mut u32,
    waiters: *mut u64,
) -> weir_status {
    entry!(table; state => waiters = {
        let Some((s, w)) = table.inner.slot_state(slot as usize) else { return weir_status::NotFound };
        let s = match s {
            SlotState::Free => weir_slot_state::Free,
            SlotState::Claiming => weir_slot_state::Claiming,
            SlotState::Active => weir_slot_state::Active,
            SlotState::Draining => weir_slot_state::Draining,
        };
        out!(state, s as u32);
        w
    })
}

/// Frees `*table` and sets it to NULL; NULL is a no-op.
///
/// # Safety
/// `table` is NULL or points to NULL or to a live table no other thread uses.
#[no_mangle]
pub unsafe extern "C" fn weir_singleflight_free(table: *mut *mut weir_singleflight) {
    // SAFETY: forwarded from this function's contract.
    unsafe { drop_handle(table) }
}
