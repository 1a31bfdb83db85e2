//! Shared helpers of the benches: the `<case> ns_per_op=<float>` line format
//! other tools compare runs with.

use std::time::{Duration, Instant};

/// Whether `WEIR_BENCH_LINES=1` asked for machine-readable lines.
pub fn lines_wanted() -> bool {
    std::env::var("WEIR_BENCH_LINES").is_ok_and(|v| v == "1")
}

/// Times `op` over `iters` calls after a warm-up and returns ns per call.
pub fn ns_per_op(iters: u64, mut op: impl FnMut(u64)) -> f64 {
    for i in 0..iters / 10 {
        op(i);
    }
    let start = Instant::now();
    for i in 0..iters {
        op(i);
    }
    start.elapsed().as_nanos() as f64 / iters as f64
}

/// The best of `runs` measurements: the least disturbed by a noisy machine.
pub fn best_of(runs: usize, mut measure: impl FnMut() -> f64) -> f64 {
    (0..runs).map(|_| measure()).fold(f64::INFINITY, f64::min)
}

/// The best of `rounds` measurements of every case, the cases taking turns
/// within each round: a drift of the machine (another process, a frequency
/// change) then hits weir and its anchor alike instead of whichever ran
/// during it. Returns `(case, ns)` in the order given.
pub fn best_of_interleaved<'a>(rounds: usize, cases: &[(&'a str, &dyn Fn() -> f64)]) -> Vec<(&'a str, f64)> {
    let mut best = vec![f64::INFINITY; cases.len()];
    for _ in 0..rounds {
        for (slot, (_, measure)) in best.iter_mut().zip(cases) {
            *slot = slot.min(measure());
        }
    }
    cases.iter().zip(best).map(|((case, _), ns)| (*case, ns)).collect()
}

/// Prints one `<case> ns_per_op=<float>` line when lines are wanted.
pub fn report(case: &str, ns: f64) {
    if lines_wanted() {
        println!("{case} ns_per_op={ns:.2}");
    }
}

/// A monotonic "now" in nanoseconds, as hosts pass it to core.
pub fn clock() -> impl Fn() -> u64 {
    let origin = Instant::now();
    move || origin.elapsed().as_nanos() as u64
}

/// Runs `op` on `threads` threads at once, `iters` calls each; ns per call
/// per thread (wall time / iters).
pub fn ns_per_op_threads(threads: usize, iters: u64, op: impl Fn(u64) + Sync) -> f64 {
    let barrier = std::sync::Barrier::new(threads);
    let elapsed: Vec<Duration> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    let start = Instant::now();
                    for i in 0..iters {
                        op(i);
                    }
                    start.elapsed()
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let longest = elapsed.into_iter().max().unwrap_or_default();
    longest.as_nanos() as f64 / iters as f64
}
