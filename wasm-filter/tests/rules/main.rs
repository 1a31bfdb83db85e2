//! shed, throttle, pick, deadline and the debug trap through the real
//! filter module in the test host (one binary: the module compiles once).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

#[path = "../common/mod.rs"]
mod common;

mod deadline;
mod local_answers;
mod pick;
mod shed;
mod shed_latency;
mod throttle;
mod trap;
