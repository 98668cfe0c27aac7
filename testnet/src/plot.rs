//! The bench's plot: committed records per second and submit-to-final latency (p50, p99) over
//! the run, as SVG (plotters' SVG backend: no font or image libraries), and for `--find-max`
//! p99 and committed records/s against the offered rate.

use std::path::Path;

use anyhow::Context;
use plotters::prelude::*;

use crate::bench::{FindMax, Report};

const W: u32 = 960;
const H: u32 = 720;

fn top(values: impl IntoIterator<Item = f64>, floor: f64) -> f64 {
    values.into_iter().fold(floor, f64::max) * 1.1
}

/// Writes the time series of one run to `path`.
pub fn write_run(report: &Report, path: &Path) -> anyhow::Result<()> {
    let root = SVGBackend::new(path, (W, H)).into_drawing_area();
    root.fill(&WHITE)?;
    let (upper, lower) = root.split_vertically(H / 2);
    let secs = report
        .throughput_per_s
        .len()
        .max(report.latency_p99_per_s.len())
        .max(1) as f64;

    let y = top(
        report
            .throughput_per_s
            .iter()
            .map(|v| *v as f64)
            .chain([report.rate as f64]),
        1.0,
    );
    let mut chart = ChartBuilder::on(&upper)
        .caption(
            format!(
                "{} validators, {} records/s offered: committed {:.0}/s",
                report.validators, report.rate, report.committed_per_s
            ),
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(32)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..secs, 0f64..y)?;
    chart
        .configure_mesh()
        .x_desc("seconds since the load started")
        .y_desc("records final per second")
        .draw()?;
    chart
        .draw_series(LineSeries::new(
            report
                .throughput_per_s
                .iter()
                .enumerate()
                .map(|(s, v)| (s as f64, *v as f64)),
            &BLUE,
        ))?
        .label("committed / s")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE));
    chart
        .draw_series(LineSeries::new(
            [(0.0, report.rate as f64), (secs, report.rate as f64)],
            &BLACK.mix(0.4),
        ))?
        .label("offered rate")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.4)));
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;

    let y = top(
        report
            .latency_p99_per_s
            .iter()
            .chain(&report.latency_p50_per_s)
            .copied(),
        100.0,
    );
    let mut chart = ChartBuilder::on(&lower)
        .caption(
            format!(
                "submit-to-final latency: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
                report.latency.p50_ms, report.latency.p99_ms, report.latency.max_ms
            ),
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(32)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..secs, 0f64..y)?;
    chart
        .configure_mesh()
        .x_desc("second in which the records became final")
        .y_desc("milliseconds")
        .draw()?;
    for (series, color, label) in [
        (&report.latency_p50_per_s, GREEN, "p50"),
        (&report.latency_p99_per_s, RED, "p99"),
    ] {
        chart
            .draw_series(LineSeries::new(
                series
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| v.is_finite())
                    .map(|(s, v)| (s as f64, *v)),
                &color,
            ))?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Writes `--find-max`'s steps to `path`: p99 latency and committed records/s against the
/// offered rate, with the p99 bound.
pub fn write_find_max(f: &FindMax, path: &Path) -> anyhow::Result<()> {
    let root = SVGBackend::new(path, (W, H)).into_drawing_area();
    root.fill(&WHITE)?;
    let (upper, lower) = root.split_vertically(H / 2);
    let x = top(f.steps.iter().map(|r| r.rate as f64), 1.0);
    let y = top(f.steps.iter().map(|r| r.committed_per_s), 1.0);
    let mut chart = ChartBuilder::on(&upper)
        .caption(
            format!(
                "highest rate with p99 ≤ {} ms: {}",
                f.p99_bound_ms,
                f.max_rate_within_bound
                    .map_or("none".to_string(), |r| format!("{r} records/s"))
            ),
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(32)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..x, 0f64..y)?;
    chart
        .configure_mesh()
        .x_desc("offered records/s")
        .y_desc("committed records/s")
        .draw()?;
    chart.draw_series(LineSeries::new(
        f.steps.iter().map(|r| (r.rate as f64, r.committed_per_s)),
        BLUE.stroke_width(2),
    ))?;
    chart.draw_series(
        f.steps
            .iter()
            .map(|r| Circle::new((r.rate as f64, r.committed_per_s), 4, BLUE.filled())),
    )?;

    let y = top(
        f.steps
            .iter()
            .map(|r| r.latency.p99_ms)
            .chain([f.p99_bound_ms as f64]),
        100.0,
    );
    let mut chart = ChartBuilder::on(&lower)
        .margin(12)
        .x_label_area_size(32)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..x, 0f64..y)?;
    chart
        .configure_mesh()
        .x_desc("offered records/s")
        .y_desc("p99 submit-to-final, ms")
        .draw()?;
    chart.draw_series(LineSeries::new(
        f.steps.iter().map(|r| (r.rate as f64, r.latency.p99_ms)),
        RED.stroke_width(2),
    ))?;
    chart.draw_series(
        f.steps
            .iter()
            .map(|r| Circle::new((r.rate as f64, r.latency.p99_ms), 4, RED.filled())),
    )?;
    chart.draw_series(LineSeries::new(
        [(0.0, f.p99_bound_ms as f64), (x, f.p99_bound_ms as f64)],
        &BLACK.mix(0.4),
    ))?;
    root.present()
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::Latency;

    fn report(rate: u64, p99: f64) -> Report {
        Report {
            validators: 4,
            rate,
            committed_per_s: rate as f64 * 0.97,
            latency: Latency {
                p50_ms: p99 / 3.0,
                p90_ms: p99 / 1.5,
                p99_ms: p99,
                max_ms: p99 * 1.2,
            },
            throughput_per_s: vec![0, rate / 2, rate, rate, rate / 3],
            latency_p50_per_s: vec![f64::NAN, 150.0, 160.0, 170.0, 150.0],
            latency_p99_per_s: vec![f64::NAN, 400.0, p99, 500.0, 300.0],
            ..Report::default()
        }
    }

    #[test]
    fn the_run_plot_is_an_svg_with_both_panels() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.svg");
        write_run(&report(600, 900.0), &path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
        assert!(svg.contains("committed 582/s"));
        assert!(svg.contains("p99 900 ms"));
        assert!(svg.matches("<polyline").count() >= 4, "four lines");
    }

    #[test]
    fn the_find_max_plot_names_the_highest_rate_within_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("find-max.svg");
        let f = FindMax {
            p99_bound_ms: 1500,
            max_rate_within_bound: Some(800),
            steps: vec![
                report(400, 600.0),
                report(800, 1400.0),
                report(1000, 2600.0),
            ],
        };
        write_find_max(&f, &path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.contains("p99 ≤ 1500 ms: 800 records/s"));
    }
}
