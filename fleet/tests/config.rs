//! Bad configs are refused by name; Redis itself is not needed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use weir_fleet::{FleetConfig, FleetError, FleetLimiter};

fn base() -> FleetConfig {
    let mut c = FleetConfig::new("redis://127.0.0.1:1", "k", 1000, Duration::from_secs(1));
    c.nodes = 4;
    c
}

fn field(c: FleetConfig) -> String {
    match FleetLimiter::new(c) {
        Err(FleetError::Config(e)) => e.field().to_string(),
        Err(e) => format!("other error: {e}"),
        Ok(_) => "accepted".to_string(),
    }
}

#[test]
fn each_broken_rule_names_its_field() {
    assert_eq!(field(FleetConfig { limit: 0, ..base() }), "limit");
    assert_eq!(field(FleetConfig { nodes: 0, ..base() }), "nodes");
    assert_eq!(field(FleetConfig { nodes: 1001, ..base() }), "nodes");
    assert_eq!(field(FleetConfig { key: String::new(), ..base() }), "key");
    assert_eq!(field(FleetConfig { period: Duration::ZERO, ..base() }), "period");
    assert_eq!(field(FleetConfig { min_batch: 50, max_batch: 10, ..base() }), "max_batch");
    assert_eq!(field(FleetConfig { lease_ttl: Duration::from_millis(50), ..base() }), "ttl_ns");
    assert_eq!(field(FleetConfig { redis_timeout: Duration::ZERO, ..base() }), "redis_timeout");
    assert_eq!(field(base()), "accepted");
}

#[test]
fn messages_say_what_was_wrong() {
    let err = FleetLimiter::new(FleetConfig { limit: 0, ..base() }).err().unwrap();
    assert_eq!(err.to_string(), "limit must be >= 1, got 0");
    let err = FleetLimiter::new(FleetConfig { redis_url: "http://nope".into(), ..base() }).err().unwrap();
    assert!(matches!(err, FleetError::RedisUrl(_)), "{err}");
}

#[test]
fn defaults_size_batches_from_limit_and_nodes() {
    let l = FleetLimiter::new(base()).unwrap();
    // ceil(1000 / (10 * 4)) = 25 tokens per node at most.
    assert_eq!(l.max_batch(), 25);
    // (2 * burst + nodes * (max_batch + fallback_burst)) / limit + retry / period
    let want = (2.0 * 25.0 + 4.0 * 26.0) / 1000.0 + 0.05;
    assert!((l.bound() - want).abs() < 1e-9, "{}", l.bound());
}

#[test]
fn limiter_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<FleetLimiter>();
}

#[test]
fn cost_above_max_batch_is_never_admitted() {
    let l = FleetLimiter::new(base()).unwrap();
    let d = l.try_acquire(26);
    assert_eq!(d.reason, weir_fleet::Reason::CostExceedsBurst);
    assert_eq!(d.retry_after, u64::MAX);
}
