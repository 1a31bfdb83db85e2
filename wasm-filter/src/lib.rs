//! weir as an Envoy HTTP filter: rules from a JSON plugin configuration,
//! decisions by weir-core kernels, state in Envoy shared data so a limit
//! holds across every worker thread.

pub mod answer;
pub mod config;
pub mod host;
pub mod keyed;
pub mod metrics;
pub mod plan;
pub mod request;
pub mod rng;
pub mod rules;
pub mod shared;
pub mod streams;

#[cfg(target_arch = "wasm32")]
mod exports;
#[cfg(target_arch = "wasm32")]
mod filter;
