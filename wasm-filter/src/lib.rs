//! weir as an Envoy HTTP filter: rules from a JSON plugin configuration,
//! decided by weir-policy (the engine every weir host shares) over weir-core
//! kernels, with limit state in Envoy shared data so a limit holds across
//! every worker thread. This crate is the proxy-wasm glue: the exported
//! callbacks, the host calls, the shared-data store and the stats flush.

pub mod host;
pub mod shared;
pub mod streams;

pub use weir_policy::shared_data::keyed;
/// The configuration schema and its validation, request matching, keys and
/// draws are weir-policy's; re-exported under the names the filter's tests
/// and fuzz targets use.
pub use weir_policy::{config, request, rng};

#[cfg(target_arch = "wasm32")]
mod exports;
#[cfg(target_arch = "wasm32")]
mod filter;
