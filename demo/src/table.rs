//! The compact table `make demo` prints: per phase, the same offered load
//! through each case side by side.

use std::fmt::Write;

use crate::summary::Row;

const BLOCK: &str = "goodput  err%  tmo%  p50ms  p99ms";

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

/// `labels[i]` names the phase of `cases[c][i]`, `names[c]` the case. The
/// offered load is the first case's (every case is offered the same ramp).
pub fn render(labels: &[String], names: &[&str], cases: &[Vec<Row>]) -> String {
    let width = BLOCK.len();
    let mut out = String::new();
    let _ = write!(out, "{:<14} {:>8}", "", "");
    for name in names {
        let name: String = name.chars().take(width).collect();
        let _ = write!(out, " | {name:^width$}");
    }
    let _ = write!(out, "\n{:<14} {:>8}", "phase", "offered");
    for _ in names {
        let _ = write!(out, " | {BLOCK}");
    }
    out.push('\n');
    for (i, label) in labels.iter().enumerate() {
        let offered = cases.first().and_then(|c| c.get(i)).map_or(0.0, |r| r.offered_rps);
        let _ = write!(out, "{label:<14} {offered:>8.0}");
        for case in cases {
            let _ = write!(out, " | {}", case.get(i).map_or_else(|| format!("{:^width$}", "-"), cells));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_block_per_case_aligned_under_its_name() {
        let row = |g: f64, p99: Option<f64>| Row { offered_rps: 240.0, goodput_rps: g, p99_ms: p99, ..Row::default() };
        let cases = vec![vec![row(12.0, None)], vec![row(190.0, Some(44.0))], vec![row(189.4, Some(31.0))]];
        let text = render(&["3: 1.2x cap".to_owned()], &["without weir", "Envoy's own", "with weir"], &cases);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1].matches(BLOCK).count(), 3);
        assert!(lines[2].starts_with("3: 1.2x cap         240 |"), "{}", lines[2]);
        let blocks: Vec<&str> = lines[2].split(" | ").skip(1).collect();
        assert_eq!(blocks.len(), 3);
        assert!(blocks[0].trim_start().starts_with("12 ") && blocks[0].trim_end().ends_with('-'), "{}", blocks[0]);
        assert!(blocks[2].trim_start().starts_with("189 ") && blocks[2].ends_with("31"), "{}", blocks[2]);
        for (name, block) in ["without weir", "Envoy's own", "with weir"].iter().zip(lines[0].split(" | ").skip(1)) {
            assert_eq!(block.trim(), *name);
            assert_eq!(block.trim_end().len(), BLOCK.len().min(block.trim_end().len()));
        }
        assert!(lines.iter().all(|l| l.len() == lines[1].len() || l.trim_end().len() <= lines[1].len()));
    }

    #[test]
    fn a_missing_phase_shows_a_dash() {
        let row = Row { offered_rps: 100.0, goodput_rps: 100.0, ..Row::default() };
        let text = render(&["1".to_owned(), "2".to_owned()], &["a", "b"], &[vec![row, row], vec![row]]);
        let last = text.lines().last().unwrap_or_default();
        assert_eq!(last.split(" | ").nth(2).map(str::trim), Some("-"));
    }
}
