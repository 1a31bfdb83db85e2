//! The C ABI of weir. Every primitive of weir-core behind an opaque handle
//! (`weir_X_new` / `weir_X_free`), every fallible call returning a
//! `weir_status`, outputs through out-pointers written only on success,
//! NULL checked everywhere and no panic crossing the boundary. The header,
//! `include/weir.h`, is generated from this crate by cbindgen.
//!
//! Handles wrap weir-core's atomic cells, so one handle may be used from any
//! number of threads at once; only its `_free` must not race with other use.
//! Each `_free` takes the address of the caller's variable and NULLs it, so
//! freeing the same variable twice is harmless.
//!
//! `weir_fleet_limiter` reaches weir-fleet, the one Redis client of weir,
//! so fleet-wide limits are not re-written per language.
//!
//! Time: every decision function takes `now` in nanoseconds on a monotonic
//! clock, and has a `_now` twin that reads the clock itself (`weir_now()`,
//! weir-host's TSC-backed `CLOCK_MONOTONIC`), so a binding pays one foreign
//! call per decision and no vDSO call inside it.

// The C names are the ABI, spelled as C spells them.
#![allow(non_camel_case_types)]

mod handle;
mod storage;

mod decision;
mod host;
mod status;
mod version;

mod adaptive_limit;
mod backoff;
mod breaker;
mod budget;
mod concurrency;
mod deadline;
mod events;
mod fleet;
mod hedge;
mod hot_keys;
mod keyed;
mod lease;
mod limiter;
mod picker;
mod policy;
mod policy_counters;
mod policy_wire;
mod quantile;
mod seed;
mod shared;
mod shedder;
mod shedder_slots;
mod singleflight;
mod throttle;

pub use adaptive_limit::*;
pub use backoff::*;
pub use breaker::*;
pub use budget::*;
pub use concurrency::*;
pub use deadline::*;
pub use decision::{weir_decision, weir_reason, weir_reason_str};
pub use events::*;
pub use fleet::*;
pub use hedge::*;
pub use host::*;
pub use hot_keys::*;
pub use keyed::*;
pub use lease::*;
pub use limiter::*;
pub use picker::*;
pub use policy::*;
pub use policy_counters::*;
pub use policy_wire::*;
pub use quantile::*;
pub use seed::*;
pub use shared::*;
pub use shedder::*;
pub use shedder_slots::*;
pub use singleflight::*;
pub use status::{weir_last_error_field, weir_last_error_message, weir_last_error_rule, weir_status, weir_status_str};
pub use throttle::*;
pub use version::*;

#[cfg(test)]
mod tests;
