//! Charts as SVG drawn on the server: a trend over years (a line with its confidence band) and
//! survival curves (steps with their bands), each with a title, labelled axes, the points as
//! data attributes and a text alternative; the table under every chart carries the same numbers.

use crate::i18n::Lang;
use crate::{escape, number};

/// One point of a series: x, and the estimate with its interval when shown (`None`: withheld
/// or not estimable; the line breaks there).
#[derive(Clone, Debug)]
pub struct Point {
    /// The abscissa (a year, or years since diagnosis).
    pub x: f64,
    /// The estimate, its lower and upper bounds.
    pub y: Option<(f64, f64, f64)>,
}

/// How the series are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Points joined by straight lines, marked (a trend).
    Line,
    /// A step function, right-continuous (a survival curve starting at 1).
    Steps,
}

/// A chart's text.
pub struct Labels<'a> {
    /// What the chart shows (its accessible name).
    pub title: &'a str,
    /// The abscissa's label.
    pub x: &'a str,
    /// The ordinate's label.
    pub y: &'a str,
}

/// Consecutive shown points: abscissa, and estimate with bounds.
type Run = Vec<(f64, (f64, f64, f64))>;

const W: f64 = 640.0;
const H: f64 = 320.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 48.0;
/// Line colour (contrast 8.6:1 on white) and band fill.
const LINE: &str = "#08519c";
const BAND: &str = "#9ecae1";

/// Round numbers for an axis from `lo` to `hi`: about five ticks at 1, 2 or 5 times a power of ten.
fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let span = (hi - lo).max(1e-9);
    let raw = span / 5.0;
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * power).find(|s| span / s <= 6.0).unwrap_or(10.0 * power);
    let first = (lo / step).ceil() * step;
    (0..).map(|k| first + k as f64 * step).take_while(|t| *t <= hi + step * 1e-9).collect()
}

/// A chart of one series: the estimate as a line (or steps) with its interval as a band. `y_max`
/// fixes the ordinate's top (1 for survival); otherwise it fits the upper bounds. `integer_x`
/// labels the abscissa as whole numbers (years).
pub fn series(points: &[Point], style: Style, labels: &Labels<'_>, y_max: Option<f64>, lang: Lang) -> String {
    let shown: Vec<(f64, (f64, f64, f64))> = points.iter().filter_map(|p| p.y.map(|y| (p.x, y))).collect();
    let (x_lo, x_hi) = points.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.x), b.max(p.x)));
    let (x_lo, x_hi) = if x_lo.is_finite() { (x_lo, if x_hi > x_lo { x_hi } else { x_lo + 1.0 }) } else { (0.0, 1.0) };
    let top = y_max.unwrap_or_else(|| shown.iter().map(|(_, y)| y.2.max(y.0)).fold(0.0, f64::max) * 1.1).max(1e-9);
    let sx = |x: f64| LEFT + (x - x_lo) / (x_hi - x_lo) * (W - LEFT - RIGHT);
    let sy = |y: f64| TOP + (1.0 - y.clamp(0.0, top) / top) * (H - TOP - BOTTOM);
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {W} {H}\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"{}\">\
         <style>text{{font:12px sans-serif;fill:#222}}</style><rect width=\"{W}\" height=\"{H}\" fill=\"#ffffff\"/>",
        escape(labels.title)
    );
    // Axes and grid.
    for t in ticks(0.0, top) {
        let y = sy(t);
        let text = if y_max == Some(1.0) { format!("{} %", number(t * 100.0, 0, lang)) } else { number(t, 1, lang) };
        svg += &format!(
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#e0e0e0\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{text}</text>",
            W - RIGHT,
            LEFT - 6.0,
            y + 4.0
        );
    }
    let whole = style == Style::Line;
    for t in ticks(x_lo, x_hi).into_iter().filter(|t| !whole || t.fract() == 0.0) {
        let x = sx(t);
        let text = if whole { format!("{t:.0}") } else { number(t, 0, lang) };
        svg += &format!(
            "<line x1=\"{x:.1}\" x2=\"{x:.1}\" y1=\"{}\" y2=\"{}\" stroke=\"#636363\"/><text x=\"{x:.1}\" y=\"{}\" text-anchor=\"middle\">{text}</text>",
            H - BOTTOM,
            H - BOTTOM + 5.0,
            H - BOTTOM + 18.0
        );
    }
    svg += &format!(
        "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"#636363\"/><line x1=\"{LEFT}\" x2=\"{LEFT}\" y1=\"{TOP}\" y2=\"{}\" stroke=\"#636363\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text><text transform=\"translate(14 {}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
        W - RIGHT,
        H - BOTTOM,
        H - BOTTOM,
        H - BOTTOM,
        (LEFT + W - RIGHT) / 2.0,
        H - 10.0,
        escape(labels.x),
        (TOP + H - BOTTOM) / 2.0,
        escape(labels.y)
    );
    // The runs of consecutive shown points: a band and a line each.
    let mut runs: Vec<Run> = vec![Vec::new()];
    for p in points {
        match p.y {
            Some(y) => runs.last_mut().expect("a run").push((p.x, y)),
            None if runs.last().is_some_and(|r| !r.is_empty()) => runs.push(Vec::new()),
            None => {}
        }
    }
    for run in runs.iter().filter(|r| !r.is_empty()) {
        let mut upper: Vec<(f64, f64)> = Vec::new();
        let mut lower: Vec<(f64, f64)> = Vec::new();
        let mut line: Vec<(f64, f64)> = Vec::new();
        for (i, (x, (est, lo, hi))) in run.iter().enumerate() {
            if style == Style::Steps && i > 0 {
                let prev = run[i - 1].1;
                line.push((sx(*x), sy(prev.0)));
                upper.push((sx(*x), sy(prev.2)));
                lower.push((sx(*x), sy(prev.1)));
            }
            line.push((sx(*x), sy(*est)));
            upper.push((sx(*x), sy(*hi)));
            lower.push((sx(*x), sy(*lo)));
        }
        let pts = |v: &[(f64, f64)]| v.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect::<Vec<_>>().join(" ");
        lower.reverse();
        svg += &format!(
            "<polygon points=\"{} {}\" fill=\"{BAND}\" fill-opacity=\".6\"/><polyline points=\"{}\" fill=\"none\" stroke=\"{LINE}\" stroke-width=\"2\"/>",
            pts(&upper),
            pts(&lower),
            pts(&line)
        );
        if style == Style::Line {
            for (x, (est, _, _)) in run {
                svg += &format!(
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"{LINE}\" data-x=\"{x}\" data-y=\"{est}\"/>",
                    sx(*x),
                    sy(*est)
                );
            }
        }
    }
    // Withheld points: a hollow mark on the axis.
    for p in points.iter().filter(|p| p.y.is_none()) {
        svg += &format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" data-x=\"{}\" data-withheld=\"true\">s</text>",
            sx(p.x),
            H - BOTTOM - 6.0,
            p.x
        );
    }
    svg += "</svg>";
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round() {
        assert_eq!(ticks(0.0, 1.0), vec![0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]);
        assert_eq!(ticks(2010.0, 2024.0), vec![2010.0, 2015.0, 2020.0]);
        assert_eq!(ticks(0.0, 57.0), vec![0.0, 10.0, 20.0, 30.0, 40.0, 50.0]);
    }

    #[test]
    fn a_withheld_year_breaks_the_line_and_is_marked() {
        let p = |x: f64, y: Option<f64>| Point { x, y: y.map(|v| (v, v - 1.0, v + 1.0)) };
        let points = [p(2020.0, Some(10.0)), p(2021.0, None), p(2022.0, Some(12.0))];
        let labels = Labels { title: "t", x: "année", y: "taux" };
        let svg = series(&points, Style::Line, &labels, None, Lang::Fr);
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(svg.matches("data-withheld").count(), 1);
        assert_eq!(svg.matches("<circle").count(), 2);
    }
}
