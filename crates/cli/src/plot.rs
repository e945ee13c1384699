//! Plots as SVG files: survival curves with their confidence bands, and rates by group.

use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One curve: a label and its points `(time, estimate, lower, upper)` in time order.
pub struct Curve {
    /// Legend label.
    pub label: String,
    /// Step points.
    pub points: Vec<(f64, f64, f64, f64)>,
}

const COLOURS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

/// Draws step curves starting at (0, 1) with shaded bands, as survival curves are drawn.
pub fn survival_curves(
    path: &Path,
    title: &str,
    x_label: &str,
    curves: &[Curve],
) -> Result<(), Box<dyn std::error::Error>> {
    let t_max = curves.iter().flat_map(|c| c.points.iter().map(|p| p.0)).fold(0.0_f64, f64::max).max(1.0);
    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(45)
        .y_label_area_size(55)
        .build_cartesian_2d(0.0..t_max * 1.02, 0.0..1.02)?;
    chart.configure_mesh().x_desc(x_label).y_desc("survival").draw()?;
    for (k, c) in curves.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        let step = |f: fn(&(f64, f64, f64, f64)) -> f64| -> Vec<(f64, f64)> {
            let mut v = vec![(0.0, 1.0)];
            for p in &c.points {
                let y = f(p);
                if y.is_finite() {
                    v.push((p.0, v.last().expect("start").1));
                    v.push((p.0, y.clamp(0.0, 1.0)));
                }
            }
            v
        };
        let (upper, lower) = (step(|p| p.3), step(|p| p.2));
        let band: Vec<(f64, f64)> = upper.iter().cloned().chain(lower.iter().rev().cloned()).collect();
        chart.draw_series(std::iter::once(Polygon::new(band, colour.mix(0.15))))?;
        chart
            .draw_series(LineSeries::new(step(|p| p.1), colour.stroke_width(2)))?
            .label(c.label.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw()?;
    root.present()?;
    Ok(())
}

/// A named series of bars, one per label: `(value, lower, upper)`, `None` where there is none.
pub type BarSeries = (String, Vec<Option<(f64, f64, f64)>>);

/// Draws a horizontal bar per label with its interval, two bars per label when there are two
/// series (e.g. men and women).
pub fn rate_bars(
    path: &Path,
    title: &str,
    x_label: &str,
    labels: &[String],
    series: &[BarSeries],
) -> Result<(), Box<dyn std::error::Error>> {
    let x_max =
        series.iter().flat_map(|(_, v)| v.iter().flatten().map(|(_, _, u)| *u)).fold(0.0_f64, f64::max).max(1e-9);
    let rows = labels.len() as f64;
    let height = 120 + 22 * labels.len() as u32 * series.len().max(1) as u32;
    let root = SVGBackend::new(path, (1000, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(45)
        .y_label_area_size(320)
        .build_cartesian_2d(0.0..x_max * 1.05, 0.0..rows)?;
    chart.configure_mesh().x_desc(x_label).y_labels(0).disable_y_mesh().draw()?;
    // Category names to the left of the plot, centred on each label's group of bars.
    let style = TextStyle::from(("sans-serif", 13).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
    for (i, label) in labels.iter().enumerate() {
        let (px, py) = chart.backend_coord(&(0.0, rows - i as f64 - 0.5));
        root.draw(&Text::new(label.clone(), (px - 8, py), style.clone()))?;
    }
    let n = series.len().max(1) as f64;
    for (k, (name, values)) in series.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        let bars = values.iter().enumerate().filter_map(|(i, v)| {
            let (value, _, _) = (*v)?;
            let top = rows - i as f64 - 0.1 - k as f64 * 0.8 / n;
            Some(Rectangle::new([(0.0, top - 0.8 / n), (value, top)], colour.filled()))
        });
        chart
            .draw_series(bars)?
            .label(name.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 15, y + 5)], colour.filled()));
        let whiskers = values.iter().enumerate().filter_map(|(i, v)| {
            let (_, lo, hi) = (*v)?;
            let mid = rows - i as f64 - 0.1 - k as f64 * 0.8 / n - 0.4 / n;
            Some(PathElement::new(vec![(lo, mid), (hi, mid)], BLACK.stroke_width(1)))
        });
        chart.draw_series(whiskers)?;
    }
    chart.configure_series_labels().position(SeriesLabelPosition::LowerRight).border_style(BLACK).draw()?;
    root.present()?;
    Ok(())
}

/// A white chart with a caption over the years `xs` (whole years labelled) and values from 0 to
/// a tenth above `y_max`.
fn year_axes<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    title: &str,
    x_label: &str,
    y_label: &str,
    xs: &[f64],
    y_max: f64,
) -> Result<
    ChartContext<
        'a,
        SVGBackend<'b>,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    Box<dyn std::error::Error>,
> {
    let (x_min, x_max) = xs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
    let pad = ((x_max - x_min) * 0.05).max(0.5);
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(x_min - pad..x_max + pad, 0.0..y_max.max(1e-9) * 1.1)?;
    let whole = |x: &f64| if (x - x.round()).abs() < 1e-9 { format!("{x:.0}") } else { String::new() };
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .x_labels(((x_max - x_min) as usize + 3).min(30))
        .x_label_formatter(&whole)
        .draw()?;
    Ok(chart)
}

/// One line of a trend chart: a label and its points `(x, value, lower, upper)`.
pub type TrendSeries = (String, Vec<(f64, f64, f64, f64)>);

/// Draws lines with markers and interval bars, e.g. age-standardised rates by calendar year.
pub fn trend_lines(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[TrendSeries],
) -> Result<(), Box<dyn std::error::Error>> {
    let xs: Vec<f64> = series.iter().flat_map(|(_, p)| p.iter().map(|q| q.0)).collect();
    let y_max =
        series.iter().flat_map(|(_, p)| p.iter().map(|q| q.3)).filter(|v| v.is_finite()).fold(0.0_f64, f64::max);
    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    let mut chart = year_axes(&root, title, x_label, y_label, &xs, y_max)?;
    for (k, (label, points)) in series.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        chart
            .draw_series(LineSeries::new(points.iter().map(|p| (p.0, p.1)), colour.stroke_width(2)))?
            .label(label.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
        chart.draw_series(points.iter().map(|p| Circle::new((p.0, p.1), 4, colour.filled())))?;
        chart.draw_series(
            points.iter().map(|p| PathElement::new(vec![(p.0, p.2), (p.0, p.3)], colour.stroke_width(1))),
        )?;
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw()?;
    root.present()?;
    Ok(())
}

/// One joinpoint trend to draw: a label, the observed `(x, rate)`, the modelled rates at the
/// same `x`, and the joinpoints' `x`.
pub struct JoinpointSeries {
    /// Legend label.
    pub label: String,
    /// Observed rates.
    pub observed: Vec<(f64, f64)>,
    /// Modelled rates.
    pub modelled: Vec<(f64, f64)>,
    /// Where the joinpoints are.
    pub joinpoints: Vec<f64>,
}

/// Draws Joinpoint's graph: observed rates as points, the modelled segments as lines, the
/// joinpoints as open diamonds on the modelled line.
pub fn joinpoint_chart(
    path: &Path,
    title: &str,
    y_label: &str,
    series: &[JoinpointSeries],
) -> Result<(), Box<dyn std::error::Error>> {
    let xs: Vec<f64> = series.iter().flat_map(|s| s.observed.iter().map(|p| p.0)).collect();
    let y_max = series
        .iter()
        .flat_map(|s| s.observed.iter().chain(&s.modelled).map(|p| p.1))
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max);
    let root = SVGBackend::new(path, (900, 560)).into_drawing_area();
    let mut chart = year_axes(&root, title, "year", y_label, &xs, y_max)?;
    for (k, s) in series.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        chart
            .draw_series(LineSeries::new(s.modelled.iter().copied(), colour.stroke_width(2)))?
            .label(format!("{} (modelled)", s.label))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2)));
        chart.draw_series(s.observed.iter().map(|&p| Circle::new(p, 4, colour.filled())))?;
        let at = s.joinpoints.iter().filter_map(|j| s.modelled.iter().find(|p| p.0 == *j).copied());
        chart.draw_series(at.map(|p| {
            EmptyElement::at(p)
                + Polygon::new(vec![(0, -7), (7, 0), (0, 7), (-7, 0)], WHITE.filled())
                + PathElement::new(vec![(0, -7), (7, 0), (0, 7), (-7, 0), (0, -7)], colour.stroke_width(2))
        }))?;
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw()?;
    root.present()?;
    Ok(())
}
