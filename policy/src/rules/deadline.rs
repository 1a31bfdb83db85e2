//! `deadline`: the upstream gets `min(caller's deadline, timeout) - margin`
//! (core's rule), written as `x-envoy-upstream-rq-timeout-ms` for Envoy's
//! router and as `grpc-timeout` for a gRPC upstream.

use super::Refusal;
use crate::config::{GrpcWrite, Mode};
use crate::exchange::Exchange;
use crate::plan::{Plan, RulePlan};
use crate::store::LimitStore;
use weir_core::deadline::{self, format_grpc_timeout, format_millis, parse_grpc_timeout, parse_millis};
use weir_core::Decision;

const GRPC_TIMEOUT: &str = "grpc-timeout";
const ENVOY_TIMEOUT: &str = "x-envoy-upstream-rq-timeout-ms";

/// The caller's own deadline as an instant: the shorter of the timeouts it
/// sent. A header that does not parse is ignored, as if absent.
fn caller_deadline(ex: &impl Exchange, now: u64) -> (Option<u64>, bool) {
    let grpc = ex.request_header(GRPC_TIMEOUT);
    let from_grpc = grpc.as_deref().and_then(|v| parse_grpc_timeout(v).ok());
    let from_envoy = ex.request_header(ENVOY_TIMEOUT).and_then(|v| parse_millis(&v).ok());
    let timeout = match (from_grpc, from_envoy) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    (timeout.map(|t| deadline::deadline_at(now, t)), grpc.is_some())
}

/// Whether the request is gRPC (its answers can carry gRPC's headers).
pub fn is_grpc(ex: &impl Exchange) -> bool {
    ex.request_header("content-type").is_some_and(|v| v.starts_with(b"application/grpc"))
}

pub fn run<S: LimitStore>(
    plan: &Plan<S>,
    index: usize,
    rp: &RulePlan<S>,
    ex: &mut impl Exchange,
    now: u64,
) -> Option<Refusal> {
    let rule = rp.rule.deadline.as_ref()?;
    let (m, c) = (&plan.metrics, &rp.counters);
    let (own, had_grpc) = caller_deadline(ex, now);
    if own.is_none() && rule.deadline.config().timeout_ns == u64::MAX {
        return None; // No deadline from anyone: nothing to cap or pass on.
    }
    let budget = match rule.deadline.budget(now, own) {
        Ok(b) => b,
        Err(reason) => {
            if rp.rule.mode == Mode::Shadow {
                m.inc(c.shadow_deadline_exceeded);
                return None;
            }
            m.inc(c.deadline_exceeded);
            let decision = Decision { reason, retry_after: 0, remaining: 0, reset_after: 0 };
            return Some(Refusal { rule: index, status: rule.status, decision, burst: None, label: None });
        }
    };
    ex.deadline(budget);
    let mut buf = [0u8; 24];
    if rule.envoy {
        if let Some(v) = format_millis(budget, &mut buf).ok().and_then(|n| buf.get(..n)) {
            ex.set_request_header(ENVOY_TIMEOUT, v);
        }
    }
    let grpc = match rule.grpc {
        GrpcWrite::Always => true,
        GrpcWrite::Never => false,
        GrpcWrite::Auto => had_grpc || is_grpc(ex),
    };
    if grpc {
        if let Some(v) = format_grpc_timeout(budget, &mut buf).ok().and_then(|n| buf.get(..n)) {
            ex.set_request_header(GRPC_TIMEOUT, v);
        }
    }
    m.inc(c.deadline_set);
    None
}
