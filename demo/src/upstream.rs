//! The protected service: `slots` workers, each request holding one for
//! `work` of wall time, the excess waiting in a FIFO queue. Like most real
//! servers it does not notice that a queued client has gone away, so under
//! overload it keeps spending its capacity on answers nobody reads — the
//! collapse the demo shows. Like most real servers it reports no load
//! signal either: weir and Envoy learn its capacity from latency alone. Its
//! utilisation (busy slots, smoothed) is only in its `/stats`.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use crate::http;

/// The service's capacity.
#[derive(Clone, Copy, Debug)]
pub struct Capacity {
    pub slots: u32,
    pub work: Duration,
    /// Requests waiting beyond this are answered 503 at once (a server's
    /// accept backlog); large enough that the queue, not this bound, decides
    /// the latency an unprotected client sees.
    pub max_queue: u64,
}

impl Capacity {
    /// Requests per second the slots can complete.
    pub fn rps(&self) -> f64 {
        f64::from(self.slots) / self.work.as_secs_f64()
    }
}

/// Counters the smoke test and the orchestrator read (via `/stats`).
#[derive(Debug, Default)]
pub struct Counters {
    pub served: AtomicU64,
    pub busy: AtomicU64,
    pub max_busy: AtomicU64,
    pub queued: AtomicU64,
    pub max_queued: AtomicU64,
    pub queue_full: AtomicU64,
    pub cpu_permille: AtomicU64,
}

impl Counters {
    pub fn render(&self) -> String {
        format!(
            "served={} max_busy={} max_queued={} queue_full={} cpu_permille={}",
            self.served.load(Relaxed),
            self.max_busy.load(Relaxed),
            self.max_queued.load(Relaxed),
            self.queue_full.load(Relaxed),
            self.cpu_permille.load(Relaxed)
        )
    }
}

/// Serves until the runtime stops.
pub async fn serve(listener: TcpListener, cap: Capacity, counters: Arc<Counters>) {
    let slots = Arc::new(Semaphore::new(cap.slots as usize));
    tokio::spawn(sample_utilisation(cap, counters.clone()));
    while let Ok((stream, _)) = listener.accept().await {
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(stream, cap, slots.clone(), counters.clone()));
    }
}

async fn connection(stream: TcpStream, cap: Capacity, slots: Arc<Semaphore>, c: Arc<Counters>) {
    let mut stream = BufReader::new(stream);
    while let Ok(Some(head)) = http::read_head(&mut stream).await {
        if http::skip_body(&mut stream, head.content_length).await.is_err() {
            return;
        }
        let written = if head.path() == "/stats" {
            http::write_response(stream.get_mut(), 200, &c.render()).await
        } else {
            let status = work(cap, &slots, &c).await;
            http::write_response(stream.get_mut(), status, "ok").await
        };
        if written.and(stream.get_mut().flush().await).is_err() || head.close {
            return;
        }
    }
}

async fn work(cap: Capacity, slots: &Semaphore, c: &Counters) -> u16 {
    let waiting = c.queued.fetch_add(1, Relaxed) + 1;
    if waiting > cap.max_queue {
        c.queued.fetch_sub(1, Relaxed);
        c.queue_full.fetch_add(1, Relaxed);
        return 503;
    }
    c.max_queued.fetch_max(waiting, Relaxed);
    let Ok(_slot) = slots.acquire().await else { return 503 };
    c.queued.fetch_sub(1, Relaxed);
    let busy = c.busy.fetch_add(1, Relaxed) + 1;
    c.max_busy.fetch_max(busy, Relaxed);
    tokio::time::sleep(cap.work).await;
    c.busy.fetch_sub(1, Relaxed);
    c.served.fetch_add(1, Relaxed);
    200
}

/// Busy slots sampled every 10 ms, smoothed over ~100 ms, for `/stats`.
async fn sample_utilisation(cap: Capacity, c: Arc<Counters>) {
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    let mut smooth = 0.0f64;
    loop {
        tick.tick().await;
        let now = c.busy.load(Relaxed) as f64 * 1000.0 / f64::from(cap.slots);
        smooth = 0.9 * smooth + 0.1 * now;
        c.cpu_permille.store(smooth.round().min(1000.0) as u64, Relaxed);
    }
}
