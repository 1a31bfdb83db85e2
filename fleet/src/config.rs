use std::fmt;
use std::time::Duration;

use weir_core::lease::{LeaseConfig, LeasePlanner, MAX_LEASE_TOKENS};
use weir_core::{ConfigError, Value};

/// A fleet-wide limit: `limit` tokens per `period` across every node that
/// uses the same Redis `key`.
///
/// Fields left at 0 take a default derived from the others (see each field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetConfig {
    /// `redis://host:port/db` (or `redis+unix://`).
    pub redis_url: String,
    /// The Redis key holding the global state; one key per limit.
    pub key: String,
    /// Tokens per `period`, fleet-wide.
    pub limit: u64,
    /// The period `limit` refers to.
    pub period: Duration,
    /// Tokens the global bucket may grant at once after a quiet spell.
    /// 0: `max_batch`.
    pub burst: u64,
    /// How many nodes are expected to share the limit. In fallback each node
    /// admits `limit / nodes` per period on its own.
    pub nodes: u64,
    /// The smallest batch worth a round trip. 0: `ceil(max_batch / 4)`, so a
    /// node never makes more than 4 calls per `max_batch` tokens it spends.
    pub min_batch: u64,
    /// The most tokens a node holds at once; it bounds the overshoot.
    /// 0: `ceil(limit / (10 * nodes))`.
    pub max_batch: u64,
    /// A batch is sized to last this long at the node's recent rate.
    pub batch_period: Duration,
    /// Ask for more when the lease would last less than this: covers the
    /// round trip to Redis.
    pub lead: Duration,
    /// A lease is spendable this long after it was asked for.
    pub lease_ttl: Duration,
    /// The longest a call to Redis may take before the node falls back.
    pub redis_timeout: Duration,
    /// While in fallback, how often to try Redis again.
    pub retry_interval: Duration,
    /// Tokens the local fallback share may admit at once. 0: 1.
    pub fallback_burst: u64,
    /// How long the global state outlives its last use in Redis.
    pub key_idle_ttl: Duration,
}

impl FleetConfig {
    /// A config with the defaults for everything but what identifies the limit.
    pub fn new(redis_url: impl Into<String>, key: impl Into<String>, limit: u64, period: Duration) -> Self {
        Self {
            redis_url: redis_url.into(),
            key: key.into(),
            limit,
            period,
            burst: 0,
            nodes: 1,
            min_batch: 0,
            max_batch: 0,
            batch_period: Duration::from_millis(100),
            lead: Duration::from_millis(10),
            lease_ttl: Duration::from_secs(1),
            redis_timeout: Duration::from_millis(50),
            retry_interval: Duration::from_millis(50),
            fallback_burst: 0,
            key_idle_ttl: Duration::from_secs(60),
        }
    }
}

/// Why a [`crate::FleetLimiter`] could not be built. Redis being unreachable
/// is not one of them: the limiter starts on its fallback share instead.
#[derive(Debug)]
pub enum FleetError {
    /// A field broke a rule; the message names both.
    Config(ConfigError),
    /// The Redis URL could not be parsed.
    RedisUrl(String),
    /// The refill thread could not be started.
    Thread(std::io::Error),
}

impl fmt::Display for FleetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FleetError::Config(e) => e.fmt(f),
            FleetError::RedisUrl(e) => write!(f, "redis_url must be a redis:// URL: {e}"),
            FleetError::Thread(e) => write!(f, "cannot start the refill thread: {e}"),
        }
    }
}

impl std::error::Error for FleetError {}

impl From<ConfigError> for FleetError {
    fn from(e: ConfigError) -> Self {
        FleetError::Config(e)
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn err(field: &'static str, rule: &'static str, got: u64) -> FleetError {
    FleetError::Config(ConfigError::new(field, rule, Value::Unsigned(got)))
}

/// A config with every default filled in and every rule checked.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub limit: u64,
    pub period_ns: u64,
    pub burst: u64,
    pub nodes: u64,
    pub fallback_burst: u64,
    pub redis_timeout: Duration,
    pub retry_ns: u64,
    pub key_idle_ttl_ms: u64,
    pub planner: LeasePlanner,
}

impl Resolved {
    pub fn new(c: &FleetConfig) -> Result<Self, FleetError> {
        if c.limit == 0 {
            return Err(err("limit", ">= 1", 0));
        }
        let period_ns = nanos(c.period);
        if period_ns < 1000 {
            return Err(err("period", ">= 1 us", period_ns));
        }
        if c.nodes == 0 || c.nodes > c.limit {
            return Err(err("nodes", ">= 1 and <= limit (each node's fallback share is limit / nodes)", c.nodes));
        }
        if c.key.is_empty() {
            return Err(err("key", "non-empty", 0));
        }
        let max_batch = if c.max_batch == 0 {
            c.limit.div_ceil(c.nodes.saturating_mul(10)).min(MAX_LEASE_TOKENS)
        } else {
            c.max_batch
        };
        let min_batch = if c.min_batch == 0 { max_batch.div_ceil(4) } else { c.min_batch };
        let planner = LeasePlanner::new(LeaseConfig {
            min_batch,
            max_batch,
            batch_period_ns: nanos(c.batch_period),
            lead_ns: nanos(c.lead),
            ttl_ns: nanos(c.lease_ttl),
        })?;
        let burst = if c.burst == 0 { max_batch } else { c.burst };
        if c.redis_timeout.is_zero() {
            return Err(err("redis_timeout", ">= 1 ns", 0));
        }
        let retry_ns = nanos(c.retry_interval);
        if retry_ns == 0 {
            return Err(err("retry_interval", ">= 1 ns", 0));
        }
        Ok(Self {
            limit: c.limit,
            period_ns,
            burst,
            nodes: c.nodes,
            fallback_burst: if c.fallback_burst == 0 { 1 } else { c.fallback_burst },
            redis_timeout: c.redis_timeout,
            retry_ns,
            key_idle_ttl_ms: u64::try_from(c.key_idle_ttl.as_millis()).unwrap_or(u64::MAX).max(1),
            planner,
        })
    }

    /// The overshoot bound: in any window of one `period`, the fleet admits
    /// at most `limit * (1 + bound)` while no more than `nodes` nodes run.
    pub fn bound(&self) -> f64 {
        let per_node = self.planner.config().max_batch + self.fallback_burst;
        let tokens = 2 * self.burst + self.nodes * per_node;
        tokens as f64 / self.limit as f64 + self.retry_ns as f64 / self.period_ns as f64
    }
}
