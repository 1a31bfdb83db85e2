//! Fleet behaviour against a real redis-server: the overshoot bound under
//! skewed load, Redis killed and restarted, Redis slow, the script flushed,
//! and Redis calls per admitted request at steady load.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{key, play, serial, Redis, RedisServer, Timeline};
use weir_fleet::{FleetConfig, FleetLimiter};

const PERIOD: Duration = Duration::from_secs(1);

fn config(url: &str, key: &str, limit: u64, nodes: u64) -> FleetConfig {
    let mut c = FleetConfig::new(url, key, limit, PERIOD);
    c.nodes = nodes;
    c
}

/// Runs one thread per (limiter, rate) until `until`.
fn run_nodes(nodes: &[(FleetLimiter, f64)], until: Duration, timeline: &Timeline) -> (u64, u64) {
    std::thread::scope(|s| {
        let handles: Vec<_> = nodes.iter().map(|(l, rate)| s.spawn(move || play(l, *rate, until, timeline))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
    })
}

fn assert_within_bound(timeline: &Timeline, limit: u64, bound: f64, to: Duration) {
    let cap = limit as f64 * (1.0 + bound);
    let worst = timeline.windows(PERIOD, Duration::ZERO, to).into_iter().map(|w| w.1).max().unwrap_or(0);
    eprintln!("worst 1 s window: {worst} admitted, {:.3} x limit; bound {bound:.3}", worst as f64 / limit as f64);
    for (start, count) in timeline.windows(PERIOD, Duration::ZERO, to) {
        assert!(
            count as f64 <= cap,
            "window at {start:?} admitted {count} > limit {limit} x (1 + {bound:.3}) = {cap:.0}"
        );
    }
}

/// Zipf-like skew: node i gets a share proportional to 1 / (i + 1).
fn skewed(total: f64, n: usize) -> Vec<f64> {
    let norm: f64 = (1..=n).map(|i| 1.0 / i as f64).sum();
    (1..=n).map(|i| total / (i as f64 * norm)).collect()
}

#[test]
fn skewed_nodes_stay_within_the_bound() {
    let _serial = serial();
    let redis = Redis::get();
    let (limit, n) = (4000u64, 8u64);
    let k = key("skew");
    let nodes: Vec<_> = skewed(2.0 * limit as f64, n as usize)
        .into_iter()
        .map(|rate| (FleetLimiter::new(config(&redis.url(), &k, limit, n)).unwrap(), rate))
        .collect();
    let bound = nodes[0].0.bound();
    let run = Duration::from_secs(4);
    let timeline = Timeline::new(run);
    let (sent, admitted) = run_nodes(&nodes, run, &timeline);

    assert_within_bound(&timeline, limit, bound, run);
    // The limit binds (demand is twice it) and is not starved either: the
    // last full seconds admit most of it.
    for (start, count) in timeline.windows(PERIOD, Duration::from_secs(1), run) {
        assert!(count as f64 >= 0.75 * limit as f64, "window at {start:?} admitted only {count} of {limit}");
    }
    assert!(admitted < sent);
    // Leases follow demand: the cold node (368/s, under its fair share) is
    // served in full, the hot one (2943/s) gets at least an equal share.
    let (hot, cold) = (nodes[0].0.stats(), nodes[n as usize - 1].0.stats());
    let cold_demand = cold.admitted + cold.rejected;
    assert!(cold.admitted as f64 >= 0.9 * cold_demand as f64, "cold {cold:?}");
    assert!(hot.admitted as f64 >= 0.8 * (limit / n) as f64 * run.as_secs_f64(), "hot {hot:?}");
    for (l, _) in &nodes {
        assert_eq!(l.stats().fallbacks, 0);
    }
}

#[test]
fn redis_killed_and_restarted_never_over_admits() {
    let _serial = serial();
    let mut server = RedisServer::start();
    let port = server.port;
    let (limit, n) = (2000u64, 4u64);
    let k = key("restart");
    let nodes: Vec<_> = skewed(2.0 * limit as f64, n as usize)
        .into_iter()
        .map(|rate| (FleetLimiter::new(config(&server.url(), &k, limit, n)).unwrap(), rate))
        .collect();
    let bound = nodes[0].0.bound();
    let run = Duration::from_millis(5500);
    let timeline = Timeline::new(run);
    std::thread::scope(|s| {
        let t = &timeline;
        let driver = s.spawn(|| run_nodes(&nodes, run, t));
        std::thread::sleep(Duration::from_millis(1500));
        server.kill();
        std::thread::sleep(Duration::from_millis(1500));
        server = RedisServer::start_on(port);
        driver.join().unwrap()
    });

    assert_within_bound(&timeline, limit, bound, run);
    // While Redis was down the nodes kept serving their local shares.
    let outage = timeline.between(Duration::from_millis(1700), Duration::from_millis(2900));
    assert!(outage as f64 >= 0.5 * 1.2 * limit as f64, "only {outage} admitted in 1.2 s of outage");
    // And leased again once it was back.
    let after = timeline.between(Duration::from_millis(4000), Duration::from_millis(5500));
    assert!(after as f64 >= 0.6 * 1.5 * limit as f64, "only {after} admitted in 1.5 s after the restart");
    for (l, _) in &nodes {
        let st = l.stats();
        assert!(st.fallbacks >= 1 && st.resumes >= 1, "{st:?}");
        assert!(st.fallback_admitted > 0, "{st:?}");
        assert!(!st.in_fallback, "{st:?}");
    }
}

#[test]
fn steady_load_costs_few_redis_calls_per_request() {
    let _serial = serial();
    let redis = Redis::get();
    let (limit, n) = (4000u64, 4u64);
    let k = key("steady");
    let nodes: Vec<_> = (0..n)
        .map(|_| (FleetLimiter::new(config(&redis.url(), &k, limit, n)).unwrap(), 0.6 * limit as f64 / n as f64))
        .collect();
    let warmup = Duration::from_secs(1);
    let run = Duration::from_secs(3);
    let timeline = Timeline::new(run);
    let before = std::thread::scope(|s| {
        let t = &timeline;
        let driver = s.spawn(|| run_nodes(&nodes, run, t));
        std::thread::sleep(warmup);
        let before: Vec<_> = nodes.iter().map(|(l, _)| l.stats()).collect();
        driver.join().unwrap();
        before
    });
    let (mut calls, mut admitted, mut rejected) = (0u64, 0u64, 0u64);
    for ((l, _), b) in nodes.iter().zip(&before) {
        let a = l.stats();
        calls += a.redis_calls - b.redis_calls;
        admitted += a.admitted - b.admitted;
        rejected += a.rejected - b.rejected;
    }
    let per = calls as f64 / admitted as f64;
    eprintln!("steady load: {admitted} admitted, {rejected} rejected, {calls} Redis calls, {per:.4} calls per admitted request");
    assert!(per <= 0.05, "{per} Redis calls per admitted request");
    // Under the limit, nearly everything is served.
    assert!(rejected as f64 <= 0.05 * (admitted + rejected) as f64, "{rejected} rejected of {}", admitted + rejected);
}

#[test]
fn slow_redis_falls_back_and_resumes() {
    let _serial = serial();
    let server = RedisServer::start();
    let (limit, n) = (1000u64, 2u64);
    let k = key("slow");
    let node = FleetLimiter::new(config(&server.url(), &k, limit, n)).unwrap();
    let timeline = Timeline::new(Duration::from_secs(3));
    std::thread::scope(|s| {
        let t = &timeline;
        let node = &node;
        let driver = s.spawn(move || play(node, 800.0, Duration::from_millis(2500), t));
        std::thread::sleep(Duration::from_millis(700));
        // Redis stalls for 800 ms, far past the 50 ms timeout.
        let mut conn = server.connection().unwrap();
        let _: () = redis::cmd("DEBUG").arg("SLEEP").arg("0.8").query(&mut conn).unwrap();
        driver.join().unwrap();
    });
    let st = node.stats();
    assert!(st.fallbacks >= 1 && st.resumes >= 1 && !st.in_fallback, "{st:?}");
    // The stall was served from the local share (limit / nodes = 500/s),
    // never more than that plus its burst.
    let stall = timeline.between(Duration::from_millis(900), Duration::from_millis(1500));
    assert!(
        stall > 0 && stall as f64 <= 0.6 * 500.0 + 1.0 + node.max_batch() as f64,
        "{stall} admitted during the stall"
    );
}

#[test]
fn flushed_script_is_reloaded_without_falling_back() {
    let _serial = serial();
    let server = RedisServer::start();
    let k = key("flush");
    let node = FleetLimiter::new(config(&server.url(), &k, 2000, 1)).unwrap();
    let timeline = Timeline::new(Duration::from_secs(2));
    let mut before = None;
    std::thread::scope(|s| {
        let t = &timeline;
        let node = &node;
        let driver = s.spawn(move || play(node, 1000.0, Duration::from_millis(1500), t));
        std::thread::sleep(Duration::from_millis(600));
        let mut conn = server.connection().unwrap();
        let _: () = redis::cmd("SCRIPT").arg("FLUSH").query(&mut conn).unwrap();
        before = Some(node.stats());
        driver.join().unwrap();
    });
    let (b, a) = (before.unwrap(), node.stats());
    assert!(a.leases > b.leases + 2, "before {b:?} after {a:?}");
    assert_eq!(a.fallbacks, 0, "{a:?}");
    assert!(timeline.between(Duration::from_millis(800), Duration::from_millis(1500)) > 500);
}

#[test]
fn redis_down_from_the_start_serves_only_the_local_share() {
    let _serial = serial();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("redis://127.0.0.1:{port}");
    let node = FleetLimiter::new(config(&url, &key("down"), 400, 4)).unwrap();
    let timeline = Timeline::new(Duration::from_secs(2));
    let (sent, admitted) = play(&node, 2000.0, Duration::from_millis(1500), &timeline);
    let st = node.stats();
    assert!(st.in_fallback && st.fallbacks == 1 && st.leases == 0, "{st:?}");
    // 100/s share: at most 150 in 1.5 s plus the fallback burst of 1.
    assert!(admitted <= 151, "{admitted} admitted on a 100/s share");
    assert!(admitted >= 100, "only {admitted} admitted on a 100/s share");
    assert!(sent > 2000);
}
