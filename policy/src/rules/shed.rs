//! `shed`: at request time core's shedder (mode `"cpu"`) or adaptive
//! concurrency limit (mode `"latency"`) admits or refuses; the response
//! closes the request's response time, and brings the upstream's CPU to the
//! shedder or a sample to the limit.

use super::Refusal;
use crate::config::Mode;
use crate::plan::{Plan, RulePlan};
use crate::store::LimitStore;
use weir_core::adaptive_limit::{Outcome, Permit};

/// What an admitted request holds until its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// A slot of the CPU shedder.
    Slot,
    /// A permit of the latency limit.
    Permit(Permit),
}

/// Asks the rule's shedder or latency limit at `now`. `Ok(Some)`: admitted,
/// and the response must be reported with [`done`] (or [`cancel`]).
pub fn acquire<S: LimitStore>(
    plan: &Plan<S>,
    index: usize,
    rp: &RulePlan<S>,
    now: u64,
) -> Result<Option<Held>, Refusal> {
    let Some(shed) = &rp.rule.shed else { return Ok(None) };
    let (decision, held) = if let Some(limit) = &rp.concurrency {
        let admission = limit.acquire();
        (admission.decision, admission.permit.map(Held::Permit))
    } else {
        let Some(Ok(mut shedder)) = rp.shedder.as_ref().map(|c| c.try_borrow_mut()) else { return Ok(None) };
        let decision = shedder.acquire(now);
        (decision, decision.is_admitted().then_some(Held::Slot))
    };
    let (m, c) = (&plan.metrics, &rp.counters);
    if held.is_some() {
        m.inc(c.shed_passed);
        return Ok(held);
    }
    if rp.rule.mode == Mode::Shadow {
        m.inc(c.shadow_shed);
        return Ok(None);
    }
    m.inc(c.shed);
    Err(Refusal { rule: index, status: shed.status, decision, burst: None, label: None })
}

/// Gives back what an admitted request held when the filter then answered
/// it itself: it never reached the upstream, so it teaches nothing.
pub fn cancel<S: LimitStore>(rp: &RulePlan<S>, held: Held) {
    match (held, &rp.concurrency) {
        (Held::Permit(p), Some(limit)) => {
            limit.release(p, 0, Outcome::Ignored);
        }
        _ => {
            let Some(Ok(mut shedder)) = rp.shedder.as_ref().map(|c| c.try_borrow_mut()) else { return };
            shedder.cancel();
        }
    }
}

/// Ends a request admitted at `started`: its response time; the status the
/// upstream answered (`None`: no answer came, a reset or a timeout) and the
/// CPU it reported (permille), if it did. A 5xx or no answer is a dropped
/// sample for the latency limit (Vegas and AIMD shrink on it; Gradient2
/// learns from its time alone).
pub fn done<S: LimitStore>(
    rp: &RulePlan<S>,
    held: Held,
    started: u64,
    now: u64,
    status: Option<u32>,
    cpu: Option<u64>,
) {
    let rtt = now.saturating_sub(started);
    match (held, &rp.concurrency) {
        (Held::Permit(p), Some(limit)) => {
            let outcome = match status {
                Some(1..=499) => Outcome::Success,
                _ => Outcome::Dropped,
            };
            limit.release(p, rtt, outcome);
        }
        _ => {
            let Some(Ok(mut shedder)) = rp.shedder.as_ref().map(|c| c.try_borrow_mut()) else { return };
            if let Some(cpu) = cpu {
                shedder.record_cpu(cpu.min(1000));
            }
            shedder.done(started, now);
        }
    }
}
