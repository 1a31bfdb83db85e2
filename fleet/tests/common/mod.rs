//! A private `redis-server` per test (on a free loopback port, no
//! persistence), killed when dropped, so a failing test never leaks one; and
//! a driver that plays simulated nodes against fleet limiters.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use weir_fleet::FleetLimiter;

pub struct RedisServer {
    child: Option<Child>,
    pub port: u16,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl RedisServer {
    pub fn start() -> Self {
        Self::start_on(free_port())
    }

    pub fn start_on(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--enable-debug-command", "yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be on PATH (apt-get install redis-server)");
        let server = Self { child: Some(child), port };
        let deadline = Instant::now() + Duration::from_secs(5);
        while server.ping().is_err() {
            assert!(Instant::now() < deadline, "redis-server on port {port} did not start");
            std::thread::sleep(Duration::from_millis(10));
        }
        server
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn connection(&self) -> redis::RedisResult<redis::Connection> {
        redis::Client::open(self.url())?.get_connection_with_timeout(Duration::from_secs(1))
    }

    fn ping(&self) -> redis::RedisResult<String> {
        redis::cmd("PING").query(&mut self.connection()?)
    }

    /// SIGKILL: no goodbye to clients, no state kept.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The suite's shared server when `WEIR_REDIS_URL` is set, else a private one.
pub enum Redis {
    Shared(String),
    Private(RedisServer),
}

impl Redis {
    pub fn get() -> Self {
        match std::env::var("WEIR_REDIS_URL") {
            Ok(url) if !url.is_empty() => Redis::Shared(url),
            _ => Redis::Private(RedisServer::start()),
        }
    }

    pub fn url(&self) -> String {
        match self {
            Redis::Shared(url) => url.clone(),
            Redis::Private(s) => s.url(),
        }
    }
}

/// A unique key per test run so runs against a shared server never meet.
pub fn key(name: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("weir-test:{name}:{}:{nanos}", std::process::id())
}

pub const BUCKET: Duration = Duration::from_millis(50);

/// Admissions per 50 ms bucket since `epoch`, across all nodes.
pub struct Timeline {
    pub epoch: Instant,
    pub buckets: Vec<AtomicU64>,
}

impl Timeline {
    pub fn new(run: Duration) -> Self {
        let n = (run.as_millis() / BUCKET.as_millis()) as usize + 2;
        Self { epoch: Instant::now(), buckets: (0..n).map(|_| AtomicU64::new(0)).collect() }
    }

    fn record(&self, at: Instant) {
        let i = (at.duration_since(self.epoch).as_millis() / BUCKET.as_millis()) as usize;
        if let Some(b) = self.buckets.get(i) {
            b.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Admissions in every window of `period` (whole buckets) that lies
    /// within `[from, to)`, as (start, count).
    pub fn windows(&self, period: Duration, from: Duration, to: Duration) -> Vec<(Duration, u64)> {
        let per = (period.as_millis() / BUCKET.as_millis()) as usize;
        let first = (from.as_millis() / BUCKET.as_millis()) as usize;
        let last = (to.as_millis() / BUCKET.as_millis()) as usize;
        let counts: Vec<u64> = self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).collect();
        (first..=last.saturating_sub(per)).map(|i| (BUCKET * i as u32, counts[i..i + per].iter().sum())).collect()
    }

    pub fn between(&self, from: Duration, to: Duration) -> u64 {
        let a = (from.as_millis() / BUCKET.as_millis()) as usize;
        let b = (to.as_millis() / BUCKET.as_millis()) as usize;
        self.buckets[a..b].iter().map(|b| b.load(Ordering::Relaxed)).sum()
    }
}

/// Plays one node: `rate` requests per second of cost 1 until `until`
/// (from the timeline's epoch), paced in 1 ms steps. Returns (sent, admitted).
pub fn play(limiter: &FleetLimiter, rate: f64, until: Duration, timeline: &Timeline) -> (u64, u64) {
    let (mut sent, mut admitted) = (0u64, 0u64);
    loop {
        let now = Instant::now();
        let elapsed = now.duration_since(timeline.epoch);
        if elapsed >= until {
            return (sent, admitted);
        }
        let due = (rate * elapsed.as_secs_f64()) as u64;
        while sent < due {
            sent += 1;
            if limiter.try_acquire(1).is_admitted() {
                admitted += 1;
                timeline.record(now);
            }
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Heavy timing tests take this so they do not share the two cores with
/// each other.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
