//! Line charts as SVG files with `plotters` (its SVG backend writes text as SVG `<text>`, so no
//! system fonts are needed).

use plotters::prelude::*;

/// One line of a chart: its legend name, colour and points.
pub struct Line {
    pub name: String,
    pub color: RGBColor,
    pub points: Vec<(f64, f64)>,
}

/// One chart: a title, axis descriptions and its lines.
pub struct Chart {
    pub title: String,
    pub x_desc: String,
    pub y_desc: String,
    pub lines: Vec<Line>,
}

/// The smallest range holding every point, padded by 5% (and never empty).
fn range(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (lo, hi) = values.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
    let pad = ((hi - lo) * 0.05).max(1e-9);
    lo - pad..hi + pad
}

/// Draws `charts` side by side into an SVG file at `path`.
pub fn write_svg(path: &str, charts: &[Chart]) -> Result<(), Box<dyn std::error::Error>> {
    let width = 460 * charts.len() as u32;
    let root = SVGBackend::new(path, (width, 340)).into_drawing_area();
    root.fill(&WHITE)?;
    for (area, chart) in root.split_evenly((1, charts.len())).iter().zip(charts) {
        let points = || chart.lines.iter().flat_map(|l| l.points.iter());
        let xs = range(points().map(|p| p.0));
        let ys = range(points().map(|p| p.1));
        let mut c = ChartBuilder::on(area)
            .caption(&chart.title, ("sans-serif", 16))
            .margin(12)
            .x_label_area_size(32)
            .y_label_area_size(48)
            .build_cartesian_2d(xs, ys)?;
        c.configure_mesh()
            .x_desc(chart.x_desc.as_str())
            .y_desc(chart.y_desc.as_str())
            .draw()?;
        for line in &chart.lines {
            let color = line.color;
            c.draw_series(LineSeries::new(
                line.points.iter().copied(),
                color.stroke_width(2),
            ))?
            .label(line.name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
        }
        c.configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()?;
    }
    root.present()?;
    Ok(())
}
