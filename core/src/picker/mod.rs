//! Power-of-two-choices load balancing over a fixed set of nodes.
//!
//! Each pick draws two distinct nodes at random and takes the one with the
//! lower load; a node left unpicked longer than `force_pick_ns` is picked
//! once so its stats get refreshed (go-kratos' p2c), and unhealthy nodes
//! (success rate below `success_floor`, or server CPU above `cpu_ceiling`)
//! are passed over while a healthy node is up (Kratos v1's rule).
//!
//! Load, lower is better:
//!
//! ```text
//! load = sqrt(latency_ms + bias_ms) * (in_flight + 1) * (1 + cpu / 1000) / success
//! ```
//!
//! - `latency` is an EWMA of response times decayed by the time between
//!   samples, `w = exp(-elapsed / tau)` with tau 600 ms (go-kratos);
//! - the `sqrt(latency + 5 ms)` shape is go-kratos'; the `+ 1` on in-flight
//!   (as in go-zero) keeps latency deciding between idle nodes, where
//!   go-kratos' plain `in_flight` makes every idle node tie at zero;
//! - `success` is an EWMA of successes (1) and failures (0), same decay;
//! - `cpu` is the server's CPU in permille, reported back by the caller
//!   (Kratos v1 read it from a response trailer and multiplied it in
//!   linearly; here it at most doubles the load, so a stale report cannot
//!   starve a node).
//!
//! Nodes live in caller storage (`[NodeSlot; N]` or a boxed slice), so a
//! picker never allocates. Adding, removing and marking nodes down are
//! lock-free too. Each node's stats are `AtomicU64` words (f64 bits for the
//! EWMAs); in-flight shares a word with the node's generation, so a `done`
//! for a node that was removed meanwhile cannot touch its successor.
//!
//! ```
//! use weir_core::picker::{NodeSlot, Outcome, Picker, PickerConfig};
//! let picker = Picker::new(PickerConfig::default(), NodeSlot::array::<4>()).unwrap();
//! let a = picker.add(10, 0).unwrap();
//! let b = picker.add(11, 0).unwrap();
//! picker.done(picker.pick(0, 0).unwrap(), 1_000_000, Outcome::ok(1_000_000));
//! let t = picker.pick(2_000_000, 12345).unwrap();
//! assert!(t.index == a || t.index == b);
//! assert!(picker.done(t, 3_000_000, Outcome { latency_ns: 900_000, success: true, cpu_permille: Some(300) }));
//! assert!(!picker.done(t, 3_000_000, Outcome::ok(1)), "a ticket is good for one done");
//! ```

mod cell;
mod kernel;
mod plain;

pub use cell::{NodeSlot, Picker};
pub use kernel::{NodeState, NodeStats, Outcome, PickTicket, PickerConfig, PickerKernel, MAX_IN_FLIGHT};
pub use plain::{PlainNodeSlot, PlainPicker};
