//! `shed`: core's shedder admits or sheds at request time; the response
//! brings the upstream's CPU and closes the request's response time.

use super::Refusal;
use crate::config::Mode;
use crate::plan::{Plan, RulePlan};
use crate::store::LimitStore;

/// Asks the rule's shedder at `now`. `Ok(true)`: admitted, and the
/// response must be reported with [`done`].
pub fn acquire<S: LimitStore>(plan: &Plan<S>, index: usize, rp: &RulePlan<S>, now: u64) -> Result<bool, Refusal> {
    let (Some(shed), Some(cell)) = (&rp.rule.shed, &rp.shedder) else { return Ok(false) };
    let Ok(mut shedder) = cell.try_borrow_mut() else { return Ok(false) };
    let decision = shedder.acquire(now);
    let (m, c) = (&plan.metrics, &rp.counters);
    if decision.is_admitted() {
        m.inc(c.shed_passed);
        return Ok(true);
    }
    if rp.rule.mode == Mode::Shadow {
        m.inc(c.shadow_shed);
        return Ok(false);
    }
    m.inc(c.shed);
    Err(Refusal { rule: index, status: shed.status, decision, burst: None })
}

/// Gives back the slot of an admitted request the filter then answered
/// itself, without a response time (it never reached the upstream).
pub fn cancel<S: LimitStore>(rp: &RulePlan<S>) {
    let Some(Ok(mut shedder)) = rp.shedder.as_ref().map(|c| c.try_borrow_mut()) else { return };
    shedder.cancel();
}

/// Ends a request admitted at `started`: its response time, and the CPU
/// the upstream reported (permille), if it did.
pub fn done<S: LimitStore>(rp: &RulePlan<S>, started: u64, now: u64, cpu: Option<u64>) {
    let Some(Ok(mut shedder)) = rp.shedder.as_ref().map(|c| c.try_borrow_mut()) else { return };
    if let Some(cpu) = cpu {
        shedder.record_cpu(cpu.min(1000));
    }
    shedder.done(started, now);
}
