//! Open-loop load: requests leave on a fixed schedule whatever the answers
//! do, and each latency is measured from the *scheduled* send time, so a
//! slow server cannot slow the generator down and hide its own queueing
//! (coordinated omission). Connections are kept alive and reused; a request
//! that finds none idle opens one. A request unanswered `timeout` after its
//! scheduled time counts as a timeout and its connection is dropped.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::http;

/// `rps` requests per second, evenly spaced, for `secs` seconds.
#[derive(Clone, Copy, Debug)]
pub struct Phase {
    pub rps: f64,
    pub secs: f64,
}

#[derive(Clone, Debug)]
pub struct Load {
    pub target: SocketAddr,
    pub phases: Vec<Phase>,
    pub timeout: Duration,
    /// Above this many requests in flight a new one is not sent and counts
    /// as failed: a bound on sockets, never reached in the demo's ramp.
    pub max_in_flight: usize,
}

/// How one scheduled request ended. Every scheduled request ends in exactly one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx: goodput.
    Ok,
    /// 429 or 503: refused quickly (by weir, or by a full queue).
    Refused,
    /// Any other status, or a connection error.
    Failed,
    /// No answer within the timeout.
    Timeout,
}

#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub phase: usize,
    /// Scheduled send time, from the start of the run.
    pub at: Duration,
    /// From the scheduled send time to the end of the answer (or the timeout).
    pub latency: Duration,
    pub outcome: Outcome,
}

#[derive(Debug)]
pub struct Run {
    pub phases: Vec<Phase>,
    pub scheduled: u64,
    pub samples: Vec<Sample>,
}

type Conn = BufReader<TcpStream>;

struct Shared {
    idle: Mutex<Vec<Conn>>,
    in_flight: std::sync::atomic::AtomicUsize,
}

/// Runs every phase in order and returns one sample per scheduled request.
pub async fn run(load: Load) -> Run {
    let shared = Arc::new(Shared { idle: Mutex::new(Vec::new()), in_flight: Default::default() });
    let (tx, mut rx) = mpsc::unbounded_channel();
    let start = Instant::now() + Duration::from_millis(20);
    let mut scheduled = 0u64;
    let mut phase_start = Duration::ZERO;
    for (phase, p) in load.phases.iter().enumerate() {
        let n = (p.rps * p.secs).round() as u64;
        for i in 0..n {
            let at = phase_start + Duration::from_secs_f64(i as f64 / p.rps);
            tokio::time::sleep_until(start + at).await;
            scheduled += 1;
            let (tx, shared, target, timeout) = (tx.clone(), shared.clone(), load.target, load.timeout);
            let cap = load.max_in_flight;
            tokio::spawn(async move {
                let sent = start + at;
                let outcome = one(&shared, target, sent + timeout, cap).await;
                let latency = Instant::now().saturating_duration_since(sent).min(timeout);
                let _ = tx.send(Sample { phase, at, latency, outcome });
            });
        }
        phase_start += Duration::from_secs_f64(p.secs);
    }
    drop(tx);
    let mut samples = Vec::with_capacity(scheduled as usize);
    while let Some(s) = rx.recv().await {
        samples.push(s);
    }
    samples.sort_by_key(|s| s.at);
    Run { phases: load.phases, scheduled, samples }
}

async fn one(shared: &Shared, target: SocketAddr, deadline: Instant, cap: usize) -> Outcome {
    use std::sync::atomic::Ordering::Relaxed;
    if shared.in_flight.fetch_add(1, Relaxed) >= cap {
        shared.in_flight.fetch_sub(1, Relaxed);
        return Outcome::Failed;
    }
    let answer = tokio::time::timeout_at(deadline, exchange(shared, target)).await;
    shared.in_flight.fetch_sub(1, Relaxed);
    match answer {
        Err(_) => Outcome::Timeout,
        Ok(Err(_)) => Outcome::Failed,
        Ok(Ok(200..=299)) => Outcome::Ok,
        Ok(Ok(429 | 503)) => Outcome::Refused,
        Ok(Ok(_)) => Outcome::Failed,
    }
}

/// One request on an idle connection (or a new one); the connection goes back
/// to the pool only after a complete answer, so a timed-out one is dropped.
/// A pooled connection the peer closed while idle gets one retry on a fresh one.
async fn exchange(shared: &Shared, target: SocketAddr) -> std::io::Result<u16> {
    let idle = shared.idle.lock().ok().and_then(|mut v| v.pop());
    if let Some(conn) = idle {
        match on(conn, shared).await {
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {}
            answer => return answer,
        }
    }
    let s = TcpStream::connect(target).await?;
    s.set_nodelay(true)?;
    on(BufReader::new(s), shared).await
}

async fn on(mut conn: Conn, shared: &Shared) -> std::io::Result<u16> {
    conn.get_mut().write_all(http::GET).await?;
    let head = http::read_head(&mut conn)
        .await?
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "closed before answering"))?;
    http::skip_body(&mut conn, head.content_length).await?;
    let status = head.status().ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "status line"))?;
    if !head.close {
        if let Ok(mut v) = shared.idle.lock() {
            v.push(conn);
        }
    }
    Ok(status)
}
