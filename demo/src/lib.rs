//! `make demo`: a capacity-limited loopback service behind Envoy, an open-loop
//! load generator ramping past its capacity, and the same ramp without and
//! with `weir_filter.wasm`.

pub mod demo;
pub mod envoy;
pub mod http;
pub mod loadgen;
pub mod plot;
pub mod procs;
pub mod scenario;
pub mod summary;
pub mod table;
pub mod upstream;
