//! The demo's two halves against each other, no Envoy: the upstream never
//! runs more than its slots and never serves faster than its capacity, and
//! the load generator accounts for every request it scheduled.

// Test helpers may fail loudly: a failure here is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::Duration;

use weir_demo::loadgen::{self, Load, Outcome, Phase};
use weir_demo::summary;
use weir_demo::upstream::{self, Capacity, Counters};

const CAP: Capacity = Capacity { slots: 4, work: Duration::from_millis(20), max_queue: 4096 };

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// Starts the upstream on its own thread and runtime, as the demo's child would.
fn start_upstream(cap: Capacity) -> (SocketAddr, Arc<Counters>) {
    let counters = Arc::new(Counters::default());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let c = counters.clone();
    std::thread::spawn(move || {
        rt().block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            upstream::serve(listener, cap, c).await;
        })
    });
    (addr, counters)
}

fn load(target: SocketAddr, rps: f64, secs: f64, timeout: Duration) -> loadgen::Run {
    rt().block_on(loadgen::run(Load { target, phases: vec![Phase { rps, secs }], timeout, max_in_flight: 8192 }))
}

fn count(run: &loadgen::Run, o: Outcome) -> usize {
    run.samples.iter().filter(|s| s.outcome == o).count()
}

#[test]
fn under_capacity_everything_succeeds_quickly() {
    let (addr, counters) = start_upstream(CAP);
    let run = load(addr, 0.5 * CAP.rps(), 2.0, Duration::from_secs(1));
    assert_eq!(run.scheduled, 200);
    assert_eq!(run.samples.len(), 200, "one sample per scheduled request");
    assert_eq!(count(&run, Outcome::Ok), 200);
    assert_eq!(counters.served.load(Relaxed), 200, "the upstream saw each request once");
    let row = summary::phases(&run)[0];
    let p99 = row.p99_ms.unwrap();
    assert!((20.0..200.0).contains(&p99), "p99 {p99} ms: one 20 ms work unit plus little queueing");
    assert!(counters.max_busy.load(Relaxed) <= 4);
}

#[test]
fn past_capacity_the_upstream_queues_and_the_client_counts_timeouts() {
    let (addr, counters) = start_upstream(CAP);
    let secs = 3.0;
    let run = load(addr, 2.0 * CAP.rps(), secs, Duration::from_millis(500));
    let scheduled = run.scheduled as usize;
    assert_eq!(scheduled, 1200);
    assert_eq!(run.samples.len(), scheduled);
    let (ok, to) = (count(&run, Outcome::Ok), count(&run, Outcome::Timeout));
    assert_eq!(ok + to + count(&run, Outcome::Refused) + count(&run, Outcome::Failed), scheduled);
    // The slots bound what can be served while the ramp and its timeouts run.
    let served = counters.served.load(Relaxed) as f64;
    let bound = CAP.rps() * (secs + 0.5) + f64::from(CAP.slots);
    assert!(served <= bound, "served {served} > capacity bound {bound}");
    assert!(ok as f64 <= bound);
    assert_eq!(counters.max_busy.load(Relaxed), 4, "all slots used, never more");
    assert!(counters.max_queued.load(Relaxed) > 100, "the excess waited in the queue");
    assert!(to > scheduled / 4, "{to} timeouts of {scheduled}: the queue outgrew the client's patience");
    // Latency is measured from the scheduled time, so a timeout is the whole timeout.
    assert!(run
        .samples
        .iter()
        .filter(|s| s.outcome == Outcome::Timeout)
        .all(|s| s.latency == Duration::from_millis(500)));
}

#[test]
fn a_full_queue_refuses_at_once() {
    let cap = Capacity { max_queue: 8, ..CAP };
    let (addr, counters) = start_upstream(cap);
    let run = load(addr, 3.0 * cap.rps(), 1.0, Duration::from_secs(1));
    assert!(count(&run, Outcome::Refused) > 100);
    assert_eq!(counters.queue_full.load(Relaxed) as usize, count(&run, Outcome::Refused));
    assert!(counters.max_queued.load(Relaxed) <= 9);
}

#[test]
fn the_upstream_process_reports_its_port_and_leaves_with_its_parent() {
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_weir-demo"));
    let (guard, port) = weir_demo::procs::spawn_upstream(exe, CAP).unwrap();
    let run = load(SocketAddr::from(([127, 0, 0, 1], port)), 50.0, 0.5, Duration::from_secs(1));
    assert_eq!(count(&run, Outcome::Ok), 25);
    drop(guard);
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err(), "stopped with its guard");
}
