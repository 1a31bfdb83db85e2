//! The policy engine's check of a request matched by one limit rule (plain,
//! on a path prefix, per client address), against the bare atomic limiter
//! that rule runs, one thread, time supplied, in the same run: what
//! matching, keying, the phase plan and the verdict add in native code.
//! Every binding's policy check pays this plus its crossing.

// Test code may fail loudly: a panic here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::Criterion;
use std::hint::black_box;
use weir_benches::{best_of_interleaved, lines_wanted, ns_per_op, report};
use weir_core::limiter::{AtomicLimiter, LimiterConfig};
use weir_core::SECOND;
use weir_policy::process::{ProcessPolicy, RequestView};

const ONE_LIMIT_RULE: &str =
    r#"{"rules": [{"name": "api", "limit": {"rate": 1000000000, "per": "1s", "burst": 1000000000}}]}"#;
/// The same limit on a rule matching a path prefix: the request line read
/// and matched.
const ON_A_PATH: &str = r#"{"rules": [{"name": "api", "match": {"path_prefix": "/api"},
    "limit": {"rate": 1000000000, "per": "1s", "burst": 1000000000}}]}"#;
/// The same limit per client address: a keyed table.
const PER_CLIENT: &str = r#"{"seed": "s", "rules": [{"name": "api",
    "limit": {"rate": 1000000000, "per": "1s", "burst": 1000000000, "key": "client_address"}}]}"#;

fn main() {
    let made = |json: &str| ProcessPolicy::from_json_at(json, SECOND, 7).unwrap_or_else(|e| panic!("{e}"));
    let (policy, on_a_path, per_client) = (made(ONE_LIMIT_RULE), made(ON_A_PATH), made(PER_CLIENT));
    let limiter = AtomicLimiter::new(LimiterConfig { rate: 1_000_000_000, period_ns: SECOND, burst: 1_000_000_000 })
        .unwrap_or_else(|e| panic!("{e}"));
    let request = RequestView {
        method: b"GET",
        path: b"/api/x",
        headers: &[],
        client_address: Some(b"127.0.0.1:5000"),
        key: None,
    };
    let now = black_box(SECOND);
    let checked_by = |policy: &ProcessPolicy, i: u64| {
        let verdict = policy.check_at(black_box(&request), now + i);
        assert!(verdict.admitted());
        black_box(verdict);
    };
    let check = |i: u64| checked_by(&policy, i);
    let check_on_a_path = |i: u64| checked_by(&on_a_path, i);
    let check_per_client = |i: u64| checked_by(&per_client, i);
    let acquire = |i: u64| {
        black_box(limiter.acquire(now + i, 1));
    };
    let iters = 1_000_000;
    if lines_wanted() {
        let checked = || ns_per_op(iters, check);
        let checked_on_a_path = || ns_per_op(iters, check_on_a_path);
        let checked_per_client = || ns_per_op(iters, check_per_client);
        let acquired = || ns_per_op(iters, acquire);
        let cases: [(&str, &dyn Fn() -> f64); 4] = [
            ("policy/check_one_limit/weir", &checked),
            ("policy/check_one_limit_on_a_path/weir", &checked_on_a_path),
            ("policy/check_one_limit_per_client/weir", &checked_per_client),
            ("policy/check_one_limit/atomic_limiter", &acquired),
        ];
        for (case, ns) in best_of_interleaved(5, &cases) {
            report(case, ns);
        }
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    let mut i = 0u64;
    c.bench_function("policy/check_one_limit/weir", |b| {
        b.iter(|| {
            i += 1;
            check(i)
        })
    });
    c.bench_function("policy/check_one_limit_on_a_path/weir", |b| {
        b.iter(|| {
            i += 1;
            check_on_a_path(i)
        })
    });
    c.bench_function("policy/check_one_limit_per_client/weir", |b| {
        b.iter(|| {
            i += 1;
            check_per_client(i)
        })
    });
    c.bench_function("policy/check_one_limit/atomic_limiter", |b| {
        b.iter(|| {
            i += 1;
            acquire(i)
        })
    });
    c.final_summary();
}
