//! The demo's picture: p99 latency, goodput and failures over the ramp, one
//! line per case, in one SVG.

use std::path::Path;

use plotters::prelude::*;

use crate::summary::Row;

/// One run's per-bucket rows, drawn in `color`.
pub struct Line<'a> {
    pub label: &'a str,
    pub color: RGBColor,
    pub points: &'a [(f64, Row)],
}

pub struct Figure<'a> {
    pub title: &'a str,
    pub seconds: f64,
    pub capacity_rps: f64,
    pub timeout_ms: f64,
    pub offered: &'a [(f64, f64)],
    pub lines: &'a [Line<'a>],
}

/// One color per case, in the order the cases run: bare Envoy red,
/// Envoy's own protection orange, weir blue.
pub const COLORS: [RGBColor; 3] = [RGBColor(214, 39, 40), RGBColor(255, 127, 14), RGBColor(31, 119, 180)];
const GREY: RGBColor = RGBColor(130, 130, 130);

/// Runs of consecutive defined points, so a second with no success leaves a
/// gap instead of a line drawn across it.
fn segments(points: impl Iterator<Item = (f64, Option<f64>)>) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for (x, y) in points {
        match (y, out.last_mut()) {
            (Some(y), Some(seg)) => seg.push((x, y)),
            (None, Some(seg)) if !seg.is_empty() => out.push(Vec::new()),
            _ => {}
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

fn legend<'a, 'b: 'a, CT: CoordTranslate>(chart: &mut ChartContext<'a, SVGBackend<'b>, CT>) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .draw()
        .map_err(|e| e.to_string())
}

pub fn write_svg(path: &Path, fig: &Figure) -> Result<(), String> {
    draw(path, fig).map_err(|e| format!("plot {}: {e}", path.display()))
}

fn draw(path: &Path, fig: &Figure) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::new(path, (960, 820)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(fig.title, ("sans-serif", 20))?;
    let panels = root.split_evenly((3, 1));
    let [p99, good, bad] = panels.as_slice() else { return Err("three panels".into()) };
    let mid = |x: f64| x + 0.5;

    let top = fig.timeout_ms * 1.5;
    let mut chart = ChartBuilder::on(p99)
        .caption("p99 latency of successful requests (ms, log scale)", ("sans-serif", 15))
        .margin(8)
        .margin_right(24)
        .x_label_area_size(24)
        .y_label_area_size(56)
        .build_cartesian_2d(0f64..fig.seconds, (1f64..top).log_scale())?;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_desc("ms")
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()?;
    chart
        .draw_series(DashedLineSeries::new(
            [(0.0, fig.timeout_ms), (fig.seconds, fig.timeout_ms)],
            6,
            4,
            GREY.stroke_width(1),
        ))?
        .label("client timeout")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], GREY));
    for line in fig.lines {
        let color = line.color;
        let segs = segments(line.points.iter().map(|(t, r)| (mid(*t), r.p99_ms)));
        for (i, seg) in segs.into_iter().enumerate() {
            let drawn = chart.draw_series(LineSeries::new(seg, color.stroke_width(2)))?;
            if i == 0 {
                drawn.label(line.label).legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color));
            }
        }
    }
    legend(&mut chart)?;

    let peak = fig.offered.iter().map(|(_, r)| *r).fold(fig.capacity_rps, f64::max) * 1.1;
    let mut chart = ChartBuilder::on(good)
        .caption("goodput: successful answers per second", ("sans-serif", 15))
        .margin(8)
        .margin_right(24)
        .x_label_area_size(24)
        .y_label_area_size(56)
        .build_cartesian_2d(0f64..fig.seconds, 0f64..peak)?;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_desc("req/s")
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()?;
    chart
        .draw_series(LineSeries::new(fig.offered.iter().map(|(t, r)| (mid(*t), *r)), GREY.stroke_width(1)))?
        .label("offered")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], GREY));
    chart
        .draw_series(DashedLineSeries::new(
            [(0.0, fig.capacity_rps), (fig.seconds, fig.capacity_rps)],
            6,
            4,
            BLACK.mix(0.5).stroke_width(1),
        ))?
        .label("service capacity")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 20, y)], BLACK.mix(0.5)));
    for line in fig.lines {
        let color = line.color;
        chart
            .draw_series(LineSeries::new(
                line.points.iter().map(|(t, r)| (mid(*t), r.goodput_rps)),
                color.stroke_width(2),
            ))?
            .label(line.label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color));
    }
    legend(&mut chart)?;

    let mut chart = ChartBuilder::on(bad)
        .caption("timed out (solid) and refused fast (dashed), % of offered", ("sans-serif", 15))
        .margin(8)
        .margin_right(24)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(0f64..fig.seconds, 0f64..100f64)?;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .x_desc("seconds into the ramp")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_desc("%")
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()?;
    for line in fig.lines {
        let color = line.color;
        chart
            .draw_series(LineSeries::new(
                line.points.iter().map(|(t, r)| (mid(*t), 100.0 * (r.timeout + r.failed))),
                color.stroke_width(2),
            ))?
            .label(line.label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color));
        chart.draw_series(DashedLineSeries::new(
            line.points.iter().map(|(t, r)| (mid(*t), 100.0 * r.refused)),
            5,
            3,
            color.stroke_width(2),
        ))?;
    }
    legend(&mut chart)?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::segments;

    #[test]
    fn gaps_split_lines() {
        let pts = [(0.0, Some(1.0)), (1.0, None), (2.0, Some(2.0)), (3.0, Some(3.0)), (4.0, None)];
        assert_eq!(segments(pts.into_iter()), vec![vec![(0.0, 1.0)], vec![(2.0, 2.0), (3.0, 3.0)]]);
        assert!(segments([(0.0, None)].into_iter()).is_empty());
    }
}
