//! The refill thread: the only place that talks to Redis, so blocking I/O
//! never sits on a request's path. It wakes when the hot path nudges it (the
//! lease fell to its low water mark or ran out), when the planner said to
//! plan again, or on a tick that keeps the rate measurement fresh.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use crate::rate::RateMeter;
use crate::store::Store;
use crate::Shared;

pub(crate) fn run(shared: Arc<Shared>, mut store: Store) {
    let planner = shared.config.planner;
    let tick = (planner.config().batch_period_ns / 2).clamp(1_000_000, 50_000_000);
    let mut meter = RateMeter::new(planner.config().batch_period_ns.saturating_mul(5).max(200_000_000));
    let mut not_before = 0u64;
    let mut next_at = 0u64;
    loop {
        let now = shared.clock.now();
        let gated = now < not_before;
        let deadline = if gated { not_before } else { next_at.min(now.saturating_add(tick)) };
        if shared.wait(deadline, gated) {
            return;
        }
        shared.nudged.store(false, Ordering::Release);

        let now = shared.clock.now();
        let rate = meter.sample(now, shared.demand.load(Ordering::Relaxed));
        let lease = shared.lease.snapshot(now);
        let plan = planner.plan(now, rate, lease.left, lease.expires_at);
        shared.low_water.store(plan.low_water, Ordering::Relaxed);
        next_at = plan.next_at;
        if plan.ask == 0 || now < not_before {
            continue;
        }

        let debit = shared.unreported.swap(0, Ordering::Relaxed);
        let counters = &shared.counters;
        match store.grant(plan.ask, debit, &counters.redis_calls) {
            Ok(grant) => {
                let after = shared.clock.now();
                // Expiry runs from the ask, not the answer: a slow answer
                // shortens the lease rather than stretching it.
                shared.lease.grant(after, grant.tokens, planner.expiry(now));
                counters.leases.fetch_add(1, Ordering::Relaxed);
                counters.leased_tokens.fetch_add(grant.tokens, Ordering::Relaxed);
                if counters.in_fallback.swap(false, Ordering::AcqRel) {
                    counters.resumes.fetch_add(1, Ordering::Relaxed);
                }
                let wait = nanos(grant.wait);
                if grant.tokens < plan.ask {
                    // The global bucket is short: come back when it can
                    // serve the rest, not on every rejected request.
                    not_before = after.saturating_add(wait.clamp(tick / 10, tick * 4));
                    shared.retry_hint.store(wait.max(1), Ordering::Relaxed);
                } else {
                    next_at = after;
                }
            }
            Err(_) => {
                if !counters.in_fallback.swap(true, Ordering::AcqRel) {
                    counters.fallbacks.fetch_add(1, Ordering::Relaxed);
                }
                not_before = shared.clock.now().saturating_add(shared.config.retry_ns);
                shared.retry_hint.store(shared.config.retry_ns, Ordering::Relaxed);
            }
        }
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}
