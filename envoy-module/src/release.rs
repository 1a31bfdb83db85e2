//! What differs between the Envoy releases the module is built for, one
//! cargo feature each (`envoy-1-38`, `envoy-1-39`, `envoy-1-40`; the default
//! is 1.40). Build for another release with
//! `--no-default-features --features envoy-1-38`.
//!
//! Envoy compares the string `on_program_init` returns with its own ABI
//! version: 1.38 and 1.39 speak v0.1.0, 1.40 v0.2.0. A module whose version
//! differs is loaded with a deprecation warning, or refused where the
//! release checks strictly (1.37 compared a hash of its headers), so each
//! build names the release it was written against.
//!
//! Metric ids: a defined counter's id is opaque to the module, but a host
//! that hands out 0 for "none" and ids from 1 (1.38 on) differs from one
//! whose first id is 0 (1.37); the fake host in the tests hands ids out
//! from `METRIC_ID_BASE`, so the module is tested against the numbering
//! of the release it is built for.

#[cfg(any(
    all(feature = "envoy-1-38", feature = "envoy-1-39"),
    all(feature = "envoy-1-38", feature = "envoy-1-40"),
    all(feature = "envoy-1-39", feature = "envoy-1-40"),
))]
compile_error!(
    "weir-envoy-module: enable exactly one of envoy-1-38, envoy-1-39, envoy-1-40 (use --no-default-features)"
);

#[cfg(not(any(feature = "envoy-1-38", feature = "envoy-1-39", feature = "envoy-1-40")))]
compile_error!("weir-envoy-module: enable one of the features envoy-1-38, envoy-1-39, envoy-1-40");

/// The Envoy release this build is for, as `major.minor`.
#[cfg(feature = "envoy-1-38")]
pub const ENVOY: &str = "1.38";
#[cfg(feature = "envoy-1-39")]
pub const ENVOY: &str = "1.39";
#[cfg(feature = "envoy-1-40")]
pub const ENVOY: &str = "1.40";

/// The ABI version `on_program_init` answers (NUL-terminated for C).
#[cfg(any(feature = "envoy-1-38", feature = "envoy-1-39"))]
pub const ABI_VERSION: &core::ffi::CStr = c"v0.1.0";
#[cfg(feature = "envoy-1-40")]
pub const ABI_VERSION: &core::ffi::CStr = c"v0.2.0";

/// The first id `define_counter` hands out in this release.
pub const METRIC_ID_BASE: usize = 1;
