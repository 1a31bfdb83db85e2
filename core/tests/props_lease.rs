//! Invariants of the lease planner and cells over arbitrary inputs.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use weir_core::lease::{AtomicLease, Lease, LeaseConfig, LeasePlanner, Rate, Spend, MAX_LEASE_TOKENS};
use weir_core::MILLISECOND as MS;

fn config() -> impl Strategy<Value = LeaseConfig> {
    (1u64..50, 0u64..5000, 1u64..500, 0u64..100, 0u64..2000).prop_map(|(min, extra, period, lead, slack)| LeaseConfig {
        min_batch: min,
        max_batch: min + extra,
        batch_period_ns: period * MS,
        lead_ns: lead * MS,
        ttl_ns: (period + lead + slack) * MS,
    })
}

#[derive(Debug, Clone)]
enum Op {
    Advance(u64),
    Spend(u64),
    Grant { tokens: u64, ttl: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u64..300 * MS).prop_map(Op::Advance),
        (0u64..40).prop_map(Op::Spend),
        (0u64..200, 0u64..500 * MS).prop_map(|(tokens, ttl)| Op::Grant { tokens, ttl }),
    ]
}

proptest! {
    #[test]
    fn planner_never_asks_past_the_cap(
        c in config(), now in 0u64..u64::MAX / 2, tokens in 0u64..10_000_000,
        over in 0u64..10_000 * MS, left in 0u64..20_000, expires_in in 0u64..3000 * MS,
    ) {
        let Ok(p) = LeasePlanner::new(c) else { return Err(TestCaseError::fail("valid config refused")) };
        let plan = p.plan(now, Rate { tokens, over_ns: over }, left, now + expires_in);
        let live = if now + c.lead_ns >= now + expires_in { 0 } else { left.min(c.max_batch) };
        prop_assert!(live + plan.ask <= c.max_batch, "holds {} + asks {} > cap {}", live, plan.ask, c.max_batch);
        prop_assert!(plan.next_at >= now);
        prop_assert!(plan.low_water <= c.max_batch);
        if tokens == 0 || over == 0 {
            prop_assert_eq!(plan.ask, 0);
        }
        if plan.ask > 0 {
            // Every ask is worth its round trip.
            prop_assert!(plan.ask >= c.min_batch);
            prop_assert_eq!(plan.next_at, now);
        } else if tokens > 0 && over > 0 {
            // Not asking means there is more than the low water mark left.
            // Not asking means there is more than the low water mark left, or
            // no room under the cap for a batch worth a round trip.
            prop_assert!(live > plan.low_water || c.max_batch - live < c.min_batch);
            prop_assert!(plan.next_at > now);
        }
    }

    #[test]
    fn lease_spends_at_most_what_was_granted_and_only_while_live(ops in prop::collection::vec(op(), 1..200)) {
        let mut lease = Lease::new(150);
        let mut now = 0u64;
        let (mut granted, mut spent) = (0u64, 0u64);
        let mut expires_at = 0u64;
        for op in ops {
            match op {
                Op::Advance(d) => now += d,
                Op::Grant { tokens, ttl } => {
                    let before = lease.snapshot(now).left;
                    let held = lease.grant(now, tokens, now + ttl);
                    prop_assert!(held <= 150);
                    granted += held.saturating_sub(before);
                    expires_at = now + ttl;
                }
                Op::Spend(cost) => match lease.try_spend(now, cost) {
                    Spend::Spent { .. } => {
                        prop_assert!(now < expires_at, "spent at {} after expiry {}", now, expires_at);
                        spent += cost;
                    }
                    Spend::Short { left } => prop_assert!(left < cost),
                    Spend::Expired => prop_assert!(now + (1 << 20) >= expires_at),
                },
            }
            prop_assert!(spent <= granted);
        }
    }

    #[test]
    fn atomic_and_plain_cells_agree(ops in prop::collection::vec(op(), 1..200)) {
        let mut plain = Lease::new(120);
        let atomic = AtomicLease::new(120);
        let mut now = 0u64;
        for op in ops {
            match op {
                Op::Advance(d) => now += d,
                Op::Grant { tokens, ttl } => prop_assert_eq!(plain.grant(now, tokens, now + ttl), atomic.grant(now, tokens, now + ttl)),
                Op::Spend(cost) => prop_assert_eq!(plain.try_spend(now, cost), atomic.try_spend(now, cost)),
            }
            prop_assert_eq!(plain.snapshot(now), atomic.snapshot(now));
        }
    }
}

#[test]
fn cap_is_clamped_to_the_packed_width() {
    let lease = AtomicLease::new(u64::MAX);
    assert_eq!(lease.grant(0, u64::MAX, 10 * MS), MAX_LEASE_TOKENS);
}

/// Threads racing on one lease take exactly the granted tokens between them:
/// none lost, none spent twice.
#[test]
fn threads_spend_exactly_the_lease() {
    const GRANT: u64 = 200_000;
    let lease = AtomicLease::new(MAX_LEASE_TOKENS);
    lease.grant(0, GRANT, u64::MAX / 2);
    let spent: u64 = std::thread::scope(|s| {
        let workers: Vec<_> = (0..4u64)
            .map(|i| {
                let lease = &lease;
                s.spawn(move || {
                    let cost = 1 + i % 2;
                    let mut taken = 0;
                    loop {
                        match lease.try_spend(1, cost) {
                            Spend::Spent { .. } => taken += cost,
                            Spend::Short { left } if left > 0 => {
                                if let Spend::Spent { .. } = lease.try_spend(1, 1) {
                                    taken += 1;
                                }
                            }
                            _ => return taken,
                        }
                    }
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap_or(u64::MAX)).sum()
    });
    assert_eq!(spent, GRANT);
    assert_eq!(lease.snapshot(1).left, 0);
}

/// A grant racing with spenders is never lost: the spenders end up with the
/// first grant plus every later one.
#[test]
fn grants_racing_spends_are_never_lost() {
    let lease = AtomicLease::new(MAX_LEASE_TOKENS);
    let spent: u64 = std::thread::scope(|s| {
        let spenders: Vec<_> = (0..2)
            .map(|_| {
                let lease = &lease;
                s.spawn(move || {
                    let mut taken = 0u64;
                    let mut idle = 0u32;
                    while idle < 20_000 {
                        match lease.try_spend(1, 1) {
                            Spend::Spent { .. } => {
                                taken += 1;
                                idle = 0;
                            }
                            _ => idle += 1,
                        }
                    }
                    taken
                })
            })
            .collect();
        for _ in 0..1000 {
            lease.grant(1, 50, u64::MAX / 2);
        }
        spenders.into_iter().map(|w| w.join().unwrap_or(u64::MAX)).sum()
    });
    let left = lease.snapshot(1).left;
    assert_eq!(spent + left, 50_000);
}
