//! What a run's samples mean: per-phase rows for the table and per-second
//! points for the plot. Latency percentiles are of successful requests only;
//! refusals and timeouts are counted as rates beside them.

use std::time::Duration;

use crate::loadgen::{Outcome, Run, Sample};

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Row {
    pub offered_rps: f64,
    pub goodput_rps: f64,
    /// Fractions of the scheduled requests.
    pub refused: f64,
    pub failed: f64,
    pub timeout: f64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

/// The `q` quantile (nearest rank) of sorted values.
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let rank = ((q * sorted.len() as f64).ceil() as usize).saturating_sub(1).min(last);
    sorted.get(rank).copied()
}

fn row(samples: &[&Sample], secs: f64) -> Row {
    let n = samples.len().max(1) as f64;
    let count = |o: Outcome| samples.iter().filter(|s| s.outcome == o).count() as f64;
    let mut ok: Vec<f64> =
        samples.iter().filter(|s| s.outcome == Outcome::Ok).map(|s| s.latency.as_secs_f64() * 1e3).collect();
    ok.sort_by(f64::total_cmp);
    Row {
        offered_rps: samples.len() as f64 / secs,
        goodput_rps: ok.len() as f64 / secs,
        refused: count(Outcome::Refused) / n,
        failed: count(Outcome::Failed) / n,
        timeout: count(Outcome::Timeout) / n,
        p50_ms: quantile(&ok, 0.50),
        p99_ms: quantile(&ok, 0.99),
    }
}

/// One row per phase.
pub fn phases(run: &Run) -> Vec<Row> {
    run.phases
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let in_phase: Vec<&Sample> = run.samples.iter().filter(|s| s.phase == i).collect();
            row(&in_phase, p.secs)
        })
        .collect()
}

/// One row per `bucket` of scheduled time, with its start in seconds.
pub fn series(run: &Run, bucket: Duration) -> Vec<(f64, Row)> {
    let total: f64 = run.phases.iter().map(|p| p.secs).sum();
    let n = (total / bucket.as_secs_f64()).ceil() as usize;
    let mut buckets: Vec<Vec<&Sample>> = vec![Vec::new(); n];
    for s in &run.samples {
        let i = (s.at.as_secs_f64() / bucket.as_secs_f64()) as usize;
        if let Some(b) = buckets.get_mut(i) {
            b.push(s);
        }
    }
    buckets.iter().enumerate().map(|(i, b)| (i as f64 * bucket.as_secs_f64(), row(b, bucket.as_secs_f64()))).collect()
}

/// The whole run in one row (offered and goodput averaged over its length).
pub fn overall(run: &Run) -> Row {
    let total: f64 = run.phases.iter().map(|p| p.secs).sum();
    row(&run.samples.iter().collect::<Vec<_>>(), total)
}

/// weir's goodput at least this share of Envoy's own, at every step past capacity.
pub const GOODPUT_BAR: f64 = 0.98;
/// weir's p99 at most this multiple of its unloaded p99, at every step past capacity.
pub const P99_BAR: f64 = 1.5;

/// The two bars weir holds itself to, per phase: weir's goodput against Envoy's own
/// (`native[i]` and `weir[i]` are the same phase) and weir's p99 against
/// `unloaded`'s. One line per phase and bar, each saying whether it holds
/// and by how much.
pub fn bars(native: &[Row], weir: &[Row], unloaded: &Row) -> Vec<String> {
    let mut out = Vec::new();
    for (i, (n, w)) in native.iter().zip(weir).enumerate() {
        let ratio = if n.goodput_rps > 0.0 { w.goodput_rps / n.goodput_rps } else { f64::INFINITY };
        let verdict = |ok: bool| if ok { "holds" } else { "MISSED" };
        out.push(format!(
            "step {}: goodput {:.0} vs {:.0} = {ratio:.3}x (bar >= {GOODPUT_BAR}x): {}",
            i + 1,
            w.goodput_rps,
            n.goodput_rps,
            verdict(ratio >= GOODPUT_BAR)
        ));
        match (w.p99_ms, unloaded.p99_ms) {
            (Some(p99), Some(base)) => out.push(format!(
                "step {}: p99 {p99:.0} ms vs unloaded {base:.0} ms = {:.2}x (bar <= {P99_BAR}x): {}",
                i + 1,
                p99 / base,
                verdict(p99 <= P99_BAR * base)
            )),
            _ => out.push(format!("step {}: p99: no successful request to measure: MISSED", i + 1)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(goodput_rps: f64, p99: Option<f64>) -> Row {
        Row { goodput_rps, p99_ms: p99, ..Row::default() }
    }

    #[test]
    fn bars_hold_or_miss_by_phase() {
        let native = [row(190.0, Some(200.0)), row(190.0, Some(40.0))];
        let weir = [row(187.0, Some(30.0)), row(180.0, Some(40.0))];
        let lines = bars(&native, &weir, &row(100.0, Some(25.0)));
        assert_eq!(lines.len(), 4);
        assert!(lines[0].contains("0.984x") && lines[0].ends_with("holds"), "{}", lines[0]);
        assert!(lines[1].contains("1.20x") && lines[1].ends_with("holds"), "{}", lines[1]);
        assert!(lines[2].starts_with("step 2") && lines[2].ends_with("MISSED"), "{}", lines[2]);
        assert!(lines[3].contains("1.60x") && lines[3].ends_with("MISSED"), "{}", lines[3]);
        let none = bars(&[row(0.0, None)], &[row(0.0, None)], &row(1.0, Some(1.0)));
        assert!(none[1].ends_with("MISSED"), "{none:?}");
    }

    #[test]
    fn phases_count_outcomes_and_percentiles_of_successes_only() {
        use crate::loadgen::{Phase, Run, Sample};
        let at = Duration::from_millis;
        let sample = |phase, ms, outcome| Sample { phase, at: at(ms), latency: at(ms), outcome };
        let mut samples: Vec<Sample> = (1..=100).map(|ms| sample(0, ms, Outcome::Ok)).collect();
        samples.push(sample(0, 5, Outcome::Refused));
        samples.extend((0..4).map(|_| sample(1, 900, Outcome::Timeout)));
        let ramp = vec![Phase { rps: 100.0, secs: 1.0 }, Phase { rps: 4.0, secs: 1.0 }];
        let run = Run { phases: ramp, scheduled: 105, samples };
        let rows = phases(&run);
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].goodput_rps, rows[0].offered_rps), (100.0, 101.0));
        assert_eq!((rows[0].p50_ms, rows[0].p99_ms), (Some(50.0), Some(99.0)));
        assert!((rows[0].refused - 1.0 / 101.0).abs() < 1e-12);
        assert_eq!((rows[1].goodput_rps, rows[1].timeout, rows[1].p99_ms), (0.0, 1.0, None));
        assert_eq!(overall(&run).goodput_rps, 50.0);
    }

    #[test]
    fn nearest_rank_quantiles() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), Some(50.0));
        assert_eq!(quantile(&v, 0.99), Some(99.0));
        assert_eq!(quantile(&v, 1.0), Some(100.0));
        assert_eq!(quantile(&[7.0], 0.99), Some(7.0));
        assert_eq!(quantile(&[], 0.5), None);
    }
}
