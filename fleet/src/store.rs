//! The one conversation with Redis: "grant me up to N tokens", answered by a
//! Lua script that runs a GCRA over the whole fleet in one atomic step.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use redis::{Client, Connection, RedisError};

/// Times are microseconds of Redis's own clock (`TIME`), so nodes' clocks
/// never need to agree, and fit a Lua double exactly. The state is the GCRA's
/// theoretical arrival time. A missing key starts as an *empty* bucket: Redis
/// cannot tell "idle for long" from "restarted and forgot", and only the
/// empty start never over-admits after a restart. `debit` charges tokens the
/// node admitted on its fallback share while Redis may already have been
/// back, so grants to others shrink by as much.
const GRANT_SCRIPT: &str = r#"
local interval = tonumber(ARGV[1])
local tau = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local debit = tonumber(ARGV[4])
local keep_ms = tonumber(ARGV[5])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local raw = redis.call('GET', KEYS[1])
local tat = now + tau
if raw then tat = tonumber(raw) end
if tat < now then tat = now end
tat = tat + debit * interval
local avail = math.floor((now + tau - tat) / interval)
if avail < 0 then avail = 0 end
local grant = math.min(want, avail)
tat = tat + grant * interval
redis.call('SET', KEYS[1], string.format('%.17g', tat), 'PX', math.ceil((tat - now) / 1000) + keep_ms)
local wait = 0
if grant < want then
  wait = math.max(0, math.ceil(tat + (want - grant) * interval - tau - now))
end
return {grant, wait}
"#;

/// What Redis answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Grant {
    pub tokens: u64,
    /// How long until the rest of the ask could be granted.
    pub wait: Duration,
}

/// The global limit as the script sees it.
#[derive(Debug, Clone)]
pub(crate) struct Global {
    pub key: String,
    pub interval_us: f64,
    pub tau_us: f64,
    pub keep_ms: u64,
}

/// A blocking connection with timeouts, reconnected lazily after failures.
/// Only the refill thread uses it, so it needs no lock.
pub(crate) struct Store {
    client: Client,
    timeout: Duration,
    conn: Option<Connection>,
    sha: Option<String>,
    global: Global,
}

impl Store {
    pub fn new(client: Client, timeout: Duration, global: Global) -> Self {
        Self { client, timeout, conn: None, sha: None, global }
    }

    /// Asks for `want` tokens, charging `debit`. `calls` counts every command
    /// sent, including failed ones.
    pub fn grant(&mut self, want: u64, debit: u64, calls: &AtomicU64) -> Result<Grant, RedisError> {
        let result = self.try_grant(want, debit, calls);
        if result.is_err() {
            // Whatever state the socket is in, it is not to be trusted.
            self.conn = None;
        }
        result
    }

    fn try_grant(&mut self, want: u64, debit: u64, calls: &AtomicU64) -> Result<Grant, RedisError> {
        let timeout = self.timeout;
        let conn = match &mut self.conn {
            Some(c) => c,
            None => {
                let c = self.client.get_connection_with_timeout(timeout)?;
                c.set_read_timeout(Some(timeout))?;
                c.set_write_timeout(Some(timeout))?;
                self.sha = None;
                self.conn.insert(c)
            }
        };
        let sha = match &self.sha {
            Some(sha) => sha.clone(),
            None => {
                calls.fetch_add(1, Ordering::Relaxed);
                let sha: String = redis::cmd("SCRIPT").arg("LOAD").arg(GRANT_SCRIPT).query(conn)?;
                self.sha = Some(sha.clone());
                sha
            }
        };
        calls.fetch_add(1, Ordering::Relaxed);
        let answer = evalsha(conn, &sha, &self.global, want, debit);
        let (tokens, wait_us) = match answer {
            // Redis restarted, or someone ran SCRIPT FLUSH: load it again.
            Err(e) if e.code() == Some("NOSCRIPT") => {
                calls.fetch_add(2, Ordering::Relaxed);
                let sha: String = redis::cmd("SCRIPT").arg("LOAD").arg(GRANT_SCRIPT).query(conn)?;
                self.sha = Some(sha.clone());
                evalsha(conn, &sha, &self.global, want, debit)?
            }
            other => other?,
        };
        Ok(Grant { tokens: tokens.min(want), wait: Duration::from_micros(wait_us) })
    }
}

fn evalsha(conn: &mut Connection, sha: &str, g: &Global, want: u64, debit: u64) -> Result<(u64, u64), RedisError> {
    redis::cmd("EVALSHA")
        .arg(sha)
        .arg(1)
        .arg(&g.key)
        .arg(g.interval_us)
        .arg(g.tau_us)
        .arg(want)
        .arg(debit)
        .arg(g.keep_ms)
        .query(conn)
}
