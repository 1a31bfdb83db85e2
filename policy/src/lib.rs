//! weir's policy engine: one JSON document of rules (match a request, key
//! it, limit -> deadline -> throttle -> shed -> pick -> breaker, a refusal
//! answered by the rule's fallback), validated with
//! errors that name the rule and the field, decided by weir-core's kernels
//! and answered with the same statuses, headers and bodies by every host
//! that embeds it: the Envoy filter (proxy-wasm), the Envoy dynamic module,
//! and a service's own process through the bindings (`process`, feature
//! `process`).
//!
//! What differs per host is behind two small traits:
//! - [`exchange::Exchange`]: the request and response as the host carries
//!   them (headers, the client address, a log line);
//! - [`store::LimitStore`]: where limit state lives, so a limit is exact
//!   across the host's workers (Envoy shared data with CAS in
//!   [`shared_data`], process atomics in the dynamic module and the
//!   bindings, `process::store`).
//!
//! Every key a limit counts by (a header, the path, the client address, a
//! caller's key) is hashed under a seed ([`key_seed`]): the policy's own
//! `seed`, or one the store shares among its workers, so no client can
//! compute keys that crowd another client's set of a keyed table.
//!
//! Counters are batched in [`metrics::Metrics`] and drained by the host
//! into its own stats. A host builds a [`plan::Plan`] per worker from a
//! parsed [`config::Config`] and runs each request through a
//! [`stream::Stream`].

#![forbid(unsafe_code)]

pub mod answer;
pub mod config;
pub mod exchange;
pub mod hot_keys;
pub mod key_seed;
pub mod metrics;
pub mod plan;
#[cfg(feature = "process")]
pub mod process;
pub mod request;
pub mod rng;
pub mod rules;
pub mod shared_data;
pub mod store;
pub mod stream;
