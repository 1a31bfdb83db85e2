//! The compact table `make demo` prints: per phase, the same offered load
//! without and with weir side by side.

use std::fmt::Write;

use crate::summary::Row;

fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| format!("{v:.0}"))
}

fn cells(r: &Row) -> String {
    format!(
        "{:>7.0} {:>5.1} {:>5.1} {:>6} {:>6}",
        r.goodput_rps,
        100.0 * (r.refused + r.failed),
        100.0 * r.timeout,
        ms(r.p50_ms),
        ms(r.p99_ms)
    )
}

/// `labels[i]` names the phase of `without[i]` and `with[i]`.
pub fn render(labels: &[String], without: &[Row], with: &[Row]) -> String {
    let mut out = String::new();
    let block = "goodput  err%  tmo%  p50ms  p99ms";
    let _ = writeln!(out, "{:<14} {:>8} | {:^33} | {:^33}", "", "", "without weir", "with weir");
    let _ = writeln!(out, "{:<14} {:>8} | {block} | {block}", "phase", "offered");
    for ((label, a), b) in labels.iter().zip(without).zip(with) {
        let _ = writeln!(out, "{label:<14} {:>8.0} | {} | {}", a.offered_rps, cells(a), cells(b));
    }
    out
}
