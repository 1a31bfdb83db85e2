//! weir-fleet against a naive "INCR per request" fixed-window limiter on the
//! same Redis in the same run: cost per decision, and requests admitted per
//! Redis round trip. `cargo bench -p weir-fleet`; uses `WEIR_REDIS_URL` or
//! starts its own redis-server on a free loopback port.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{key, Redis};
use weir_fleet::{FleetConfig, FleetLimiter};

const LIMIT: u64 = 100_000;

/// `elapsed` is the time spent deciding, summed over threads, so
/// ns/decision is what one decision costs its caller.
struct Row {
    name: String,
    decisions: u64,
    admitted: u64,
    calls: u64,
    elapsed: Duration,
}

impl Row {
    fn print(&self) {
        let ns = self.elapsed.as_nanos() as f64 / self.decisions as f64;
        let per_call = if self.calls == 0 { f64::INFINITY } else { self.admitted as f64 / self.calls as f64 };
        println!(
            "| {:<34} | {:>9} | {:>9} | {:>7} | {:>11.0} | {:>10.1} |",
            self.name, self.decisions, self.admitted, self.calls, ns, per_call
        );
    }
}

/// The usual Redis limiter: one INCR per request on a per-second key, plus a
/// PEXPIRE when the key is new.
fn naive(url: &str, threads: u64, per_thread: u64) -> Row {
    let k = key("naive");
    let (admitted, calls, busy) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            let (k, admitted, calls, busy) = (&k, &admitted, &calls, &busy);
            s.spawn(move || {
                let mut conn = redis::Client::open(url).unwrap().get_connection().unwrap();
                let t = Instant::now();
                for _ in 0..per_thread {
                    let window = format!("{k}:{}", start.elapsed().as_secs());
                    let n: u64 = redis::cmd("INCR").arg(&window).query(&mut conn).unwrap();
                    calls.fetch_add(1, Ordering::Relaxed);
                    if n == 1 {
                        let _: () = redis::cmd("PEXPIRE").arg(&window).arg(2000).query(&mut conn).unwrap();
                        calls.fetch_add(1, Ordering::Relaxed);
                    }
                    if n <= LIMIT {
                        admitted.fetch_add(1, Ordering::Relaxed);
                    }
                }
                busy.fetch_add(t.elapsed().as_nanos() as u64, Ordering::Relaxed);
            });
        }
    });
    Row {
        name: format!("naive INCR, {threads} thread(s)"),
        decisions: threads * per_thread,
        admitted: admitted.into_inner(),
        calls: calls.into_inner(),
        elapsed: Duration::from_nanos(busy.into_inner()),
    }
}

/// Paced so that demand stays just under the limit: the steady state the
/// lease is built for. Decisions are timed one by one, pacing excluded.
fn fleet(url: &str, threads: u64, per_thread: u64) -> Row {
    let mut config = FleetConfig::new(url, key("fleet"), LIMIT, Duration::from_secs(1));
    config.nodes = 1;
    let limiter = FleetLimiter::new(config).unwrap();
    let rate_per_thread = 0.9 * LIMIT as f64 / threads as f64;
    let busy = AtomicU64::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            let (limiter, busy) = (&limiter, &busy);
            s.spawn(move || {
                let mut spent = Duration::ZERO;
                let mut sent = 0u64;
                while sent < per_thread {
                    let due = ((rate_per_thread * start.elapsed().as_secs_f64()) as u64).min(per_thread);
                    if sent >= due {
                        std::thread::sleep(Duration::from_micros(200));
                        continue;
                    }
                    let t = Instant::now();
                    for _ in sent..due {
                        std::hint::black_box(limiter.try_acquire(1));
                    }
                    spent += t.elapsed();
                    sent = due;
                }
                busy.fetch_add(spent.as_nanos() as u64, Ordering::Relaxed);
            });
        }
    });
    let st = limiter.stats();
    Row {
        name: format!("weir-fleet, {threads} thread(s)"),
        decisions: threads * per_thread,
        admitted: st.admitted,
        calls: st.redis_calls,
        elapsed: Duration::from_nanos(busy.into_inner()),
    }
}

fn main() {
    // `cargo test --benches` runs this with --bench absent: keep that quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    let redis = Redis::get();
    let url = redis.url();
    let (naive_n, fleet_n) = if quick { (2_000, 20_000) } else { (50_000, 200_000) };
    println!("| limiter                            | decisions |  admitted |   calls | ns/decision | admitted/call |");
    println!("|---|---:|---:|---:|---:|---:|");
    for threads in [1, 2] {
        naive(&url, threads, naive_n / threads).print();
        fleet(&url, threads, fleet_n / threads).print();
    }
}
