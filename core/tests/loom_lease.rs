//! Model checks of the atomic lease and its own time base: racing first
//! grants agree on one base and keep every token, and a spender that sees a
//! grant also sees the base it was packed against, so a lease past its
//! expiry is never spent. Times are Unix-epoch nanoseconds, above 2^60.
//! Run with `RUSTFLAGS="--cfg loom" cargo test -p weir-core --release --test loom_lease`.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use weir_core::lease::{AtomicLease, Spend};
use weir_core::MILLISECOND as MS;

/// December 2026 in nanoseconds since the Unix epoch.
const EPOCH: u64 = 1_796_600_000_000_000_000;

/// What a snapshot reports for an expiry: rounded down to a 2^20 ns tick.
fn rounded(t: u64) -> u64 {
    t >> 20 << 20
}

#[test]
fn racing_first_grants_share_one_base_and_keep_every_token() {
    loom::model(|| {
        let lease = Arc::new(AtomicLease::new(100));
        let grants: Vec<_> = [(EPOCH, 2, EPOCH + 100 * MS), (EPOCH + 5 * MS, 3, EPOCH + 200 * MS)]
            .into_iter()
            .map(|(now, tokens, expires_at)| {
                let lease = lease.clone();
                thread::spawn(move || lease.grant(now, tokens, expires_at))
            })
            .collect();
        for g in grants {
            g.join().unwrap();
        }
        let seen = lease.snapshot(EPOCH + 10 * MS);
        assert_eq!(seen.left, 5);
        assert!([rounded(EPOCH + 100 * MS), rounded(EPOCH + 200 * MS)].contains(&seen.expires_at), "{seen:?}");
    });
}

#[test]
fn a_spender_that_sees_a_grant_sees_its_base() {
    loom::model(|| {
        let lease = Arc::new(AtomicLease::new(100));
        let granter = {
            let lease = lease.clone();
            thread::spawn(move || lease.grant(EPOCH, 3, EPOCH + 10 * MS))
        };
        // Long after the expiry: on the right base nothing is live.
        let spender = {
            let lease = lease.clone();
            thread::spawn(move || lease.try_spend(EPOCH + 50 * MS, 1))
        };
        granter.join().unwrap();
        assert_eq!(spender.join().unwrap(), Spend::Expired);
        assert_eq!(lease.try_spend(EPOCH + MS, 1), Spend::Spent { left: 2 });
    });
}
