use crate::common::start;
use weir_proxy_wasm_testhost::{Request, Upstream, Vm};

const MS: u64 = 1_000_000;
const CONFIG: &str = r#"{"rules": [{"name": "p", "pick": {"clusters": ["fast", "slow"], "header": "x-route-to"}}]}"#;

/// Sends `n` requests one after another; `answer` says how each cluster
/// responds. Returns how many went to each cluster.
fn run(vm: &mut Vm, n: usize, answer: impl Fn(&str) -> Upstream) -> (usize, usize) {
    let mut counts = (0, 0);
    for _ in 0..n {
        let stream = vm.begin(&Request::get("/")).unwrap();
        let cluster = stream.outcome().upstream_header("x-route-to").unwrap().to_string();
        match cluster.as_str() {
            "fast" => counts.0 += 1,
            "slow" => counts.1 += 1,
            other => panic!("picked {other}"),
        }
        vm.finish(stream, &answer(&cluster)).unwrap();
    }
    counts
}

fn latency(cluster: &str) -> Upstream {
    Upstream::ok().latency_ns(if cluster == "slow" { 50 * MS } else { MS })
}

#[test]
fn sends_less_traffic_to_the_slow_cluster() {
    let (host, mut vm) = start(CONFIG);
    let (fast, slow) = run(&mut vm, 300, |c| {
        let up = latency(c);
        host.advance(up.latency_ns);
        up
    });
    assert!(slow * 10 < fast, "fast {fast}, slow {slow}");
    assert!(slow >= 1, "the slow cluster is still probed");
    vm.tick().unwrap();
    assert_eq!(host.counter("weir.p.picked.fast"), Some(fast as i64));
    assert_eq!(host.counter("weir.p.picked.slow"), Some(slow as i64));
}

#[test]
fn a_cluster_reporting_high_cpu_or_failing_is_passed_over() {
    let (host, mut vm) = start(CONFIG);
    let busy = |c: &str| {
        host.advance(MS);
        let cpu = if c == "fast" { "950" } else { "100" };
        Upstream::ok().header("x-weir-cpu", cpu)
    };
    run(&mut vm, 20, busy);
    let (fast, slow) = run(&mut vm, 100, busy);
    assert!(fast * 10 < slow, "CPU 950 is above the 900 ceiling: fast {fast}, slow {slow}");

    let (host, mut vm) = start(CONFIG);
    let failing = |c: &str| {
        host.advance(MS);
        Upstream::status(if c == "fast" { 503 } else { 200 })
    };
    run(&mut vm, 20, failing);
    let (fast, slow) = run(&mut vm, 100, failing);
    assert!(fast * 10 < slow, "a failing cluster drops below the success floor: fast {fast}, slow {slow}");
}

#[test]
fn in_flight_requests_spread_over_both_clusters() {
    let (_host, mut vm) = start(CONFIG);
    let held: Vec<_> = (0..10).map(|_| vm.begin(&Request::get("/")).unwrap()).collect();
    let fast = held.iter().filter(|s| s.outcome().upstream_header("x-route-to") == Some("fast")).count();
    assert!((3..=7).contains(&fast), "equal clusters share in-flight load: {fast} of 10 on fast");
}
