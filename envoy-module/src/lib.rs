//! weir as an Envoy dynamic module: `libweir_envoy.so`, an HTTP filter
//! that Envoy loads into its own process and configures with the same JSON
//! as `weir_filter.wasm`. It answers with the same statuses, headers and
//! bodies and counts the same metrics, but calls Envoy natively instead of
//! through a wasm VM, and keeps limits in process memory, in weir-core's
//! atomic cells: one compare-exchange makes a limit exact across workers.
//!
//! - `abi`: the C interface, weir's own declarations; `release`: what
//!   differs between Envoy 1.38, 1.39 and 1.40.
//! - `exports`: the hooks, each inside `frame::hook!` (no panic crosses).
//! - `envoy`: safe handles over the callbacks.
//! - `filter`: a configuration and a stream, glue between Envoy and the
//!   policy engine; `state`: the limits in process memory; `workers`: each
//!   worker's plan of a configuration, found from the calling thread;
//!   `spare`: stream boxes reused per worker; `last_refusal`: the last
//!   refusal a worker sent, sent again while it answers the same.

pub mod abi;
pub mod envoy;
mod exports;
pub mod filter;
mod frame;
mod last_refusal;
pub mod release;
mod spare;
pub mod state;
pub mod workers;
