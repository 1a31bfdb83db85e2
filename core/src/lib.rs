//! weir-core: the decisions of a resilience library, with nothing else.
//!
//! Every primitive is a *kernel* (a pure function of config, state and input)
//! run by *cells*: an atomic cell (`&self`, `Send + Sync`, lock-free CAS loops)
//! for threaded hosts and a plain cell (`&mut self`) for single-threaded ones.
//! Time is always an argument (`now`, nanoseconds on any monotonic clock the
//! host picks) and so is chance (a random `u64` draw), which makes every
//! decision reproducible: the conformance vectors in `tests/vectors` replay the
//! same traces in every host runtime.
//!
//! The crate is `#![no_std]` and never allocates; configs are validated once
//! by constructors that return [`ConfigError`], and after that no decision can
//! fail or panic.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// The crate's promise: no decision can panic. Tests are exempt (clippy.toml).
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod decision;
mod divide;
mod error;
pub mod hash;
pub mod random;
mod sync;
pub mod word;

/// The atomic integer type core's cells are made of: `core`'s, or
/// portable-atomic's on targets without native 64-bit atomics.
pub mod atomic {
    pub use crate::sync::AtomicU64;
}
pub mod window;

pub mod limiter;
pub mod shedder;
pub mod throttle;

pub mod adaptive_limit;
pub mod backoff;
pub mod breaker;
pub mod budget;
pub mod deadline;
pub mod hedge;
pub mod hot_keys;
pub mod picker;
pub mod quantile;
pub mod singleflight;

pub mod lease;

pub use decision::{Decision, Reason};
pub use error::{ConfigError, Value};

/// Nanoseconds on the host's monotonic clock. Only differences matter.
pub type Nanos = u64;

/// One second in [`Nanos`].
pub const SECOND: Nanos = 1_000_000_000;
/// One millisecond in [`Nanos`].
pub const MILLISECOND: Nanos = 1_000_000;
