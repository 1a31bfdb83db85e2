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

#[cfg(test)]
mod tests {
    use super::*;

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
