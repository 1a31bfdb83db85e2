//! What each action does on a request and on its response. The decisions
//! are core's; these files only read what the kernels need from the
//! exchange and act on the answer.

pub mod deadline;
pub mod key;
pub mod limit;
pub mod pick;
pub mod shed;
pub mod throttle;

use weir_core::Decision;

/// A decision that answers the request locally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// Index of the rule in the plan.
    pub rule: usize,
    pub status: u32,
    pub decision: Decision,
    /// The burst, when the refusal is a rate limit's (adds `x-ratelimit-*`).
    pub burst: Option<u64>,
}
