//! A proxy-wasm host on wasmtime, for testing Envoy wasm filters without Envoy.
//!
//! A [`Host`] is what a whole Envoy process shares: shared data (with
//! Envoy's CAS semantics), counters, logs and a clock the test moves by
//! hand. A [`Vm`] is one worker's instance of a filter module, driven one
//! HTTP exchange at a time with [`Vm::http`]. Start several `Vm`s on one
//! `Host` (on several threads if you like) to test what workers share.
//!
//! ```no_run
//! use weir_proxy_wasm_testhost::{Host, Plugin, Request, Upstream};
//! let plugin = Plugin::load("filter.wasm").unwrap();
//! let host = Host::new();
//! let mut vm = host.start(&plugin, br#"{"rules": []}"#).unwrap();
//! let out = vm.http(&Request::get("/"), &Upstream::ok()).unwrap();
//! assert_eq!(out.status, 200);
//! ```

mod abi;
mod exchange;
mod state;
mod vm;

pub use exchange::{Outcome, Request, Upstream};
pub use state::{Host, LogLine};
pub use vm::{Error, Plugin, Stream, Vm};
