//! Singleflight: among concurrent callers asking for the same key, the first
//! leads (does the work) and the rest follow (share its result). Core only
//! decides who leads; the host does the waiting and passes the result, which
//! it can store per `(slot, gen)` of the [`Ticket`].
//!
//! The table is a fixed array of slots (caller storage: an array for a
//! compile-time capacity, a boxed slice in hosts). A key has exactly one
//! slot, chosen from its hash, which is what makes "one leader per key"
//! hold without a lock: everything about a key is decided by compare-exchange
//! on that slot's state word. When the slot holds another key's flight,
//! `begin` answers [`Flight::TableFull`] and the host just does the work
//! itself; size the table at a few times the keys in flight at once.
//!
//! A slot's life: free -> (claimed) -> active (leader working, followers
//! join) -> draining (leader finished, followers still reading its result;
//! a new `begin` of the same key starts a new flight there) -> free once the
//! leader has finished and every follower has left. Each flight gets a new
//! generation, so a late `finish` of an old flight is refused (no ABA).
//!
//! ```
//! use weir_core::singleflight::{Flight, FlightSlot, Singleflight};
//! let table = Singleflight::new(FlightSlot::array::<64>()).unwrap();
//! let Flight::Leader(lead) = table.begin(42) else { panic!() };
//! let Flight::Follower(follow) = table.begin(42) else { panic!() };
//! assert!(table.finish(lead));
//! assert!(!table.finish(lead), "a second finish is stale");
//! assert!(table.is_done(follow));
//! assert!(table.leave(follow)); // the follower read the result: the slot is free
//! ```

mod cell;
mod kernel;
mod plain;

pub use cell::{FlightSlot, Singleflight};
pub use kernel::{Flight, SlotState, Ticket, MAX_WAITERS};
pub use plain::{PlainFlightSlot, PlainSingleflight};
