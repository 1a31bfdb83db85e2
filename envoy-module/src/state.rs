//! Limits in process memory: weir-policy's process store, over one
//! registry for the whole process. Every Envoy worker is a thread of it, so
//! each worker's plan, and every filter configuration that names the same
//! rule with the same rate, burst and table size, decides on the same
//! atomic cells; a listener reload that keeps a rule unchanged keeps its
//! count. The store is the one the bindings use, so a limit behaves the
//! same in Envoy and in a service.

pub use weir_policy::process::store::{ProcessStore, Table};
