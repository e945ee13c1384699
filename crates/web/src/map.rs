//! The choropleth map of France by département, drawn as SVG on the server: metropolitan France
//! in a conformal-looking plane (longitude scaled by the cosine of 46.5° N), and the five overseas
//! départements (Guadeloupe, Martinique, Guyane, La Réunion, Mayotte) as insets on the left, each
//! at its own scale, as the national atlases draw them.
//!
//! The outlines are `data/departements.geojson` (IGN Admin Express COG 2018 via the project's
//! geographic reference, Licence Ouverte; see `data/README.md`), projected once, thinned to about a
//! pixel (a point closer than that to the last one kept is dropped; rings that shrink below
//! three points are islets too small to see and are left out).
//!
//! Each département's shape carries `data-departement="CODE"` (INSEE code, `2A`/`2B`),
//! `data-state` (`covered`, `withheld` or `uncovered`), its value when shown, a keyboard focus
//! (`tabindex`) and an accessible name with the value, so that tests and assistive tools find it.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::i18n::Lang;
use crate::{escape, number};

/// The width and height of the map's drawing (SVG user units).
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 640.0;
/// Where metropolitan France is drawn: left edge, and the box it fits.
const METRO_X: f64 = 150.0;
const METRO_BOX: (f64, f64) = (560.0, 620.0);
/// The overseas insets: their side and the gap between them.
const INSET: f64 = 96.0;
const INSET_GAP: f64 = 26.0;
/// The cosine of the latitude of metropolitan France's middle (46.5° N).
const COS_METRO: f64 = 0.688_354_575_1;
/// Points closer than this (user units, about a screen pixel at the usual size) to the previous
/// point kept are dropped.
const THIN: f64 = 0.8;

/// One département of the map.
pub struct Departement {
    /// INSEE code (`01`…`95`, `2A`, `2B`, `971`…`976`).
    pub code: String,
    /// Official name.
    pub name: String,
    /// The SVG path of its outline, projected.
    pub path: String,
}

/// The overseas départements, in the order of their insets.
const OVERSEAS: [&str; 5] = ["971", "972", "973", "974", "976"];

/// The 101 départements, projected (the first call parses and projects the outlines).
pub fn departements() -> &'static [Departement] {
    static ALL: LazyLock<Vec<Departement>> = LazyLock::new(project_all);
    &ALL
}

/// The name of département `code`, if it is one.
pub fn name_of(code: &str) -> Option<&'static str> {
    departements().iter().find(|d| d.code == code).map(|d| d.name.as_str())
}

type Ring = Vec<(f64, f64)>;

fn rings_of(geometry: &serde_json::Value) -> Vec<Ring> {
    let point = |p: &serde_json::Value| (p[0].as_f64().unwrap_or(0.0), p[1].as_f64().unwrap_or(0.0));
    let polygon = |p: &serde_json::Value| -> Vec<Ring> {
        p.as_array().into_iter().flatten().map(|r| r.as_array().into_iter().flatten().map(point).collect()).collect()
    };
    match geometry["type"].as_str() {
        Some("MultiPolygon") => geometry["coordinates"].as_array().into_iter().flatten().flat_map(polygon).collect(),
        _ => polygon(&geometry["coordinates"]),
    }
}

/// A linear map of (longitude, latitude) onto a box: `x = x0 + s·(lon − lon0)·c`,
/// `y = y0 + s·(lat1 − lat)`.
#[derive(Clone, Copy)]
struct Fit {
    lon0: f64,
    lat1: f64,
    cos: f64,
    scale: f64,
    x0: f64,
    y0: f64,
}

impl Fit {
    /// The fit of the rings into a box `(x0, y0, w, h)`, centred, with `cos` at their middle latitude.
    fn of(rings: &[&Ring], bx: (f64, f64, f64, f64), cos: Option<f64>) -> Fit {
        let (mut lon0, mut lon1, mut lat0, mut lat1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for (lon, lat) in rings.iter().flat_map(|r| r.iter()) {
            lon0 = lon0.min(*lon);
            lon1 = lon1.max(*lon);
            lat0 = lat0.min(*lat);
            lat1 = lat1.max(*lat);
        }
        let cos = cos.unwrap_or_else(|| ((lat0 + lat1) / 2.0).to_radians().cos());
        let (w, h) = ((lon1 - lon0) * cos, lat1 - lat0);
        let scale = (bx.2 / w).min(bx.3 / h);
        Fit { lon0, lat1, cos, scale, x0: bx.0 + (bx.2 - w * scale) / 2.0, y0: bx.1 + (bx.3 - h * scale) / 2.0 }
    }

    fn apply(&self, (lon, lat): (f64, f64)) -> (f64, f64) {
        (self.x0 + self.scale * (lon - self.lon0) * self.cos, self.y0 + self.scale * (self.lat1 - lat))
    }
}

/// The SVG path of rings under a fit, thinned to [`THIN`].
fn path_of(rings: &[Ring], fit: &Fit) -> String {
    let mut d = String::new();
    for ring in rings {
        let mut kept: Vec<(f64, f64)> = Vec::new();
        for p in ring.iter().map(|p| fit.apply(*p)) {
            if kept.last().is_none_or(|q| (p.0 - q.0).hypot(p.1 - q.1) >= THIN) {
                kept.push(p);
            }
        }
        if kept.len() < 3 {
            continue;
        }
        // Relative moves between points rounded to tenths: the same drawing in fewer bytes.
        let tenths: Vec<(i64, i64)> =
            kept.iter().map(|(x, y)| ((x * 10.0).round() as i64, (y * 10.0).round() as i64)).collect();
        let (x0, y0) = tenths[0];
        d += &format!("M{} {}", decimal(x0), decimal(y0));
        d.push('l');
        for pair in tenths.windows(2) {
            for delta in [pair[1].0 - pair[0].0, pair[1].1 - pair[0].1] {
                let text = decimal(delta);
                if !d.ends_with('l') && !text.starts_with('-') {
                    d.push(' ');
                }
                d += &text;
            }
        }
        d.push('Z');
    }
    d
}

/// Tenths as the shortest decimal: 12 → `1.2`, −3 → `-.3`, 10 → `1`.
fn decimal(tenths: i64) -> String {
    let sign = if tenths < 0 { "-" } else { "" };
    let (whole, tenth) = (tenths.abs() / 10, tenths.abs() % 10);
    match (whole, tenth) {
        (w, 0) => format!("{sign}{w}"),
        (0, t) => format!("{sign}.{t}"),
        (w, t) => format!("{sign}{w}.{t}"),
    }
}

/// The outlines as read: code, name, rings in (longitude, latitude).
type Outline = (String, String, Vec<Ring>);

fn outlines() -> &'static [Outline] {
    static ALL: LazyLock<Vec<Outline>> = LazyLock::new(|| {
        let geojson: serde_json::Value =
            serde_json::from_str(include_str!("../data/departements.geojson")).expect("data/departements.geojson");
        geojson["features"]
            .as_array()
            .expect("data/departements.geojson: features")
            .iter()
            .map(|f| {
                let p = &f["properties"];
                (
                    p["code"].as_str().unwrap_or_default().to_string(),
                    p["nom"].as_str().unwrap_or_default().to_string(),
                    rings_of(&f["geometry"]),
                )
            })
            .collect()
    });
    &ALL
}

fn project_all() -> Vec<Departement> {
    let features = outlines();
    let metro_rings: Vec<&Ring> =
        features.iter().filter(|(c, _, _)| !OVERSEAS.contains(&c.as_str())).flat_map(|(_, _, r)| r.iter()).collect();
    let metro = Fit::of(&metro_rings, (METRO_X, 10.0, METRO_BOX.0, METRO_BOX.1), Some(COS_METRO));
    features
        .iter()
        .map(|(code, name, rings)| {
            let fit = match OVERSEAS.iter().position(|c| c == code) {
                Some(i) => Fit::of(
                    &rings.iter().collect::<Vec<_>>(),
                    (10.0, 14.0 + i as f64 * (INSET + INSET_GAP), INSET, INSET),
                    None,
                ),
                None => metro,
            };
            Departement { code: code.clone(), name: name.clone(), path: path_of(rings, &fit) }
        })
        .collect()
}

/// A place of a cluster map: where it is and which cluster it belongs to.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterPlace {
    /// Longitude (degrees).
    pub longitude: f64,
    /// Latitude (degrees).
    pub latitude: f64,
    /// Its label (a commune or département code).
    pub label: String,
    /// The rank of its cluster (1: the most likely).
    pub rank: usize,
    /// Whether that cluster is significant (p < 0.05).
    pub significant: bool,
}

/// The colours of the clusters by rank: the most likely, then the secondary ones.
const CLUSTER_COLOURS: [&str; 2] = ["#b2182b", "#ef8a62"];

/// A map of the clusters of a scan: the outlines of the départements `codes` (zoomed on them)
/// and the cluster members as dots — red for the most likely cluster, orange for the others,
/// filled when significant, hollow when not — with a legend and the sources' attribution.
pub fn cluster_map(codes: &[&str], places: &[ClusterPlace], title: &str, lang: Lang) -> String {
    let shown: Vec<&Outline> = outlines().iter().filter(|(c, _, _)| codes.contains(&c.as_str())).collect();
    let rings: Vec<&Ring> = shown.iter().flat_map(|(_, _, r)| r.iter()).collect();
    let (w, h) = (WIDTH, HEIGHT);
    let mut svg = format!(
        "<svg viewBox=\"0 0 {w} {}\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"{}\">\
         <style>text{{font:12px sans-serif;fill:#222}}</style><rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\
         <text x=\"10\" y=\"20\" style=\"font-size:15px\">{}</text>",
        h + 60.0,
        escape(title),
        escape(title)
    );
    if rings.is_empty() {
        return svg + "</svg>";
    }
    let fit = Fit::of(&rings, (10.0, 30.0, w - 20.0, h - 40.0), None);
    for (code, name, r) in &shown {
        svg += &format!(
            "<path d=\"{}\" fill=\"#f0f0f0\" stroke=\"#969696\" stroke-width=\".8\" data-departement=\"{code}\"><title>{}</title></path>",
            path_of(r, &fit),
            escape(name)
        );
    }
    // The secondary clusters first, so that the most likely one is drawn on top.
    let mut order: Vec<&ClusterPlace> = places.iter().collect();
    order.sort_by_key(|p| std::cmp::Reverse(p.rank));
    for p in order {
        let (x, y) = fit.apply((p.longitude, p.latitude));
        let colour = CLUSTER_COLOURS[usize::from(p.rank > 1)];
        let fill = if p.significant { colour } else { "none" };
        svg += &format!(
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"{fill}\" stroke=\"{colour}\" stroke-width=\"1.2\" data-cluster=\"{}\"><title>{} (cluster {})</title></circle>",
            p.rank,
            escape(&p.label),
            p.rank
        );
    }
    let y = h + 10.0;
    let (top, other, ty, note) = (CLUSTER_COLOURS[0], CLUSTER_COLOURS[1], h + 14.0, h + 50.0);
    svg += &format!(
        "<circle cx=\"20\" cy=\"{y}\" r=\"4\" fill=\"{top}\" stroke=\"{top}\"/><text x=\"30\" y=\"{ty}\">{}</text>\
         <circle cx=\"190\" cy=\"{y}\" r=\"4\" fill=\"{other}\" stroke=\"{other}\"/><text x=\"200\" y=\"{ty}\">{}</text>\
         <circle cx=\"350\" cy=\"{y}\" r=\"4\" fill=\"none\" stroke=\"#555\"/><text x=\"360\" y=\"{ty}\">{}</text>\
         <text x=\"10\" y=\"{note}\" style=\"font-size:10px\">Sources : IGN – Admin Express COG 2018 ; INSEE – COG 2026, populations légales 2023 (Licence Ouverte)</text></svg>",
        lang.t("agrégat le plus vraisemblable", "most likely cluster"),
        lang.t("agrégats secondaires", "secondary clusters"),
        lang.t("creux : p ≥ 0,05", "hollow: p ≥ 0.05"),
    );
    svg
}

/// What the map shows of one département.
#[derive(Clone, Debug, PartialEq)]
pub enum Shade {
    /// Covered by a registry: the value shown.
    Value(f64),
    /// Covered, but disclosure control withheld the figure (the rule's name).
    Withheld(String),
    /// No registry covers it for the period: no figure (not zero).
    Uncovered,
}

/// The sequential colour scale (ColorBrewer "Reds", 5 classes; the darkest class passes 4.5:1
/// against white text, the lightest is distinct from the grey of uncovered areas).
pub const CLASS_COLOURS: [&str; 5] = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"];
/// The fill of a département without registry coverage.
pub const UNCOVERED_FILL: &str = "#d9d9d9";

/// The class breaks: the quintiles of the values shown (fewer classes when fewer distinct values).
pub fn breaks(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    v.dedup();
    if v.len() <= CLASS_COLOURS.len() {
        return v;
    }
    (1..=CLASS_COLOURS.len()).map(|k| v[(k * v.len()).div_ceil(CLASS_COLOURS.len()) - 1]).collect()
}

/// The class of a value: the first break at or above it.
fn class_of(value: f64, breaks: &[f64]) -> usize {
    let offset = CLASS_COLOURS.len() - breaks.len();
    offset + breaks.iter().position(|b| value <= *b).unwrap_or(breaks.len().saturating_sub(1))
}

/// The choropleth: each département shaded by `shades` (absent: uncovered), with a legend saying
/// what the colours encode (`measure`, e.g. "age-standardised rate per 100,000"), the uncovered
/// and withheld swatches, and the sources' attribution.
pub fn choropleth(shades: &HashMap<String, Shade>, measure: &str, lang: Lang) -> String {
    let values: Vec<f64> =
        shades.values().filter_map(|s| if let Shade::Value(v) = s { Some(*v) } else { None }).collect();
    let breaks = breaks(&values);
    let mut svg = format!(
        "<svg class=\"map\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" xmlns=\"http://www.w3.org/2000/svg\" role=\"group\" aria-label=\"{}\">\
         <defs><pattern id=\"withheld\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">\
         <rect width=\"6\" height=\"6\" fill=\"#ffffff\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#525252\" stroke-width=\"2\"/></pattern></defs>\
         <style>path{{stroke:#ffffff;stroke-width:.6}}path:focus,path:hover{{stroke:#000;stroke-width:2;outline:none}}text{{font:11px sans-serif;fill:#222}}</style>",
        escape(lang.t("Carte de France par département : ", "Map of France by département: ")) + &escape(measure)
    );
    for (i, code) in OVERSEAS.iter().enumerate() {
        let y = 14.0 + i as f64 * (INSET + INSET_GAP);
        svg += &format!(
            "<rect x=\"8\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#969696\" stroke-width=\".6\"/>\
             <text x=\"10\" y=\"{}\">{}</text>",
            y - 2.0,
            INSET + 4.0,
            INSET + 4.0,
            y + INSET + 13.0,
            escape(name_of(code).unwrap_or(code))
        );
    }
    for d in departements() {
        let shade = shades.get(&d.code).cloned().unwrap_or(Shade::Uncovered);
        let (fill, state, value, said) = match &shade {
            Shade::Value(v) => (
                CLASS_COLOURS[class_of(*v, &breaks)].to_string(),
                "covered",
                format!(" data-value=\"{v}\""),
                number(*v, 1, lang),
            ),
            Shade::Withheld(rule) => (
                "url(#withheld)".into(),
                "withheld",
                String::new(),
                format!("{} ({rule})", lang.t("secret statistique", "withheld")),
            ),
            Shade::Uncovered => (
                UNCOVERED_FILL.into(),
                "uncovered",
                String::new(),
                lang.t("non couvert par un registre", "no registry coverage").into(),
            ),
        };
        let label = format!("{} ({}) : {said}", d.name, d.code);
        svg += &format!(
            "<path d=\"{}\" fill=\"{fill}\" data-departement=\"{}\" data-name=\"{}\" data-state=\"{state}\"{value} tabindex=\"0\" role=\"img\" aria-label=\"{}\"><title>{}</title></path>",
            d.path,
            d.code,
            escape(&d.name),
            escape(&label),
            escape(&label)
        );
    }
    svg += "</svg>";
    svg
}

/// The map's legend as HTML (a list a screen reader reads): the classes with their bounds, the
/// withheld and uncovered swatches.
pub fn legend(shades: &HashMap<String, Shade>, measure: &str, lang: Lang) -> String {
    let values: Vec<f64> =
        shades.values().filter_map(|s| if let Shade::Value(v) = s { Some(*v) } else { None }).collect();
    let breaks = breaks(&values);
    let low = values.iter().copied().fold(f64::INFINITY, f64::min);
    let mut items = String::new();
    let offset = CLASS_COLOURS.len() - breaks.len();
    for (i, b) in breaks.iter().enumerate() {
        let from = if i == 0 { low } else { breaks[i - 1] };
        let range = if i == 0 && from == *b {
            number(from, 1, lang)
        } else if i == 0 {
            format!("{} – {}", number(from, 1, lang), number(*b, 1, lang))
        } else {
            format!("> {} – {}", number(from, 1, lang), number(*b, 1, lang))
        };
        items += &format!(
            "<li><span class=\"swatch\" style=\"background:{}\"></span>{range}</li>",
            CLASS_COLOURS[offset + i]
        );
    }
    items += &format!(
        "<li><span class=\"swatch withheld\"></span>{}</li><li><span class=\"swatch\" style=\"background:{UNCOVERED_FILL}\"></span>{}</li>",
        lang.t("secret statistique (effectif trop petit)", "withheld (too few persons)"),
        lang.t("non couvert par un registre", "no registry coverage")
    );
    format!("<div class=\"legend\"><p>{}</p><ul>{items}</ul></div>", escape(measure))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cluster_map_zooms_on_its_departements_and_draws_every_member() {
        let places = [
            ClusterPlace { longitude: -1.08, latitude: 49.11, label: "50502".into(), rank: 1, significant: true },
            ClusterPlace { longitude: -0.37, latitude: 49.18, label: "14118".into(), rank: 2, significant: false },
        ];
        let svg = cluster_map(&["14", "50"], &places, "Clusters", Lang::En);
        assert_eq!(svg.matches("data-departement=").count(), 2);
        assert_eq!(svg.matches("data-cluster=\"1\"").count(), 1);
        assert!(svg.contains("fill=\"none\" stroke=\"#ef8a62\""), "the non-significant one is hollow");
        assert!(svg.contains("most likely cluster"));
        let french = cluster_map(&["14", "50"], &places, "Agrégats", Lang::Fr);
        assert!(french.contains("agrégat le plus vraisemblable") && !french.contains("most likely"));
        // Inside the drawing.
        for c in svg.split("<circle cx=\"").skip(1).take(2) {
            let x: f64 = c.split('"').next().unwrap().parse().unwrap();
            assert!((0.0..=WIDTH).contains(&x), "{x}");
        }
    }

    #[test]
    fn all_101_departements_are_drawn_with_a_shape() {
        let all = departements();
        assert_eq!(all.len(), 101);
        for d in all {
            assert!(d.path.starts_with('M') && d.path.ends_with('Z'), "{} has no outline", d.code);
            assert!(!d.path.contains("ll") && !d.path.contains("lZ"), "{}: an empty ring", d.code);
        }
        for code in ["2A", "2B", "971", "972", "973", "974", "976", "75", "50"] {
            assert!(all.iter().any(|d| d.code == code), "{code} missing");
        }
        let bytes: usize = all.iter().map(|d| d.path.len()).sum();
        assert!(bytes < 160_000, "the map's outlines take {bytes} bytes");
    }

    #[test]
    fn shapes_fall_inside_the_drawing() {
        for d in departements() {
            for ring in d.path.split('M').filter(|r| !r.is_empty()) {
                let (start, moves) = ring.trim_end_matches('Z').split_once('l').unwrap();
                let (x, y) = start.split_once(' ').unwrap();
                let (mut x, mut y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
                // Split the relative moves into numbers: a space or a minus sign starts one.
                let numbers: Vec<f64> =
                    moves.replace('-', " -").split_whitespace().map(|n| n.parse().unwrap()).collect();
                for step in numbers.chunks(2) {
                    x += step[0];
                    y += step[1];
                    assert!((0.0..=WIDTH).contains(&x) && (0.0..=HEIGHT).contains(&y), "{}: ({x}, {y})", d.code);
                }
            }
        }
        assert_eq!(decimal(12), "1.2");
        assert_eq!(decimal(-3), "-.3");
        assert_eq!(decimal(10), "1");
        assert_eq!(decimal(-125), "-12.5");
    }

    #[test]
    fn quintile_breaks_and_classes() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(breaks(&v), vec![2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(class_of(1.0, &breaks(&v)), 0);
        assert_eq!(class_of(10.0, &breaks(&v)), 4);
        // Two values: the two darkest classes.
        assert_eq!(class_of(3.0, &breaks(&[3.0, 5.0])), 3);
    }

    #[test]
    fn uncovered_and_withheld_are_not_zero() {
        let mut shades = HashMap::new();
        shades.insert("50".to_string(), Shade::Value(12.5));
        shades.insert("14".to_string(), Shade::Withheld("frequency".into()));
        let svg = choropleth(&shades, "taux", Lang::Fr);
        assert_eq!(svg.matches("data-departement=").count(), 101);
        assert_eq!(svg.matches("data-state=\"covered\"").count(), 1);
        assert_eq!(svg.matches("data-state=\"withheld\"").count(), 1);
        assert_eq!(svg.matches("data-state=\"uncovered\"").count(), 99);
        assert!(
            svg.contains("data-departement=\"50\" data-name=\"Manche\" data-state=\"covered\" data-value=\"12.5\"")
        );
    }
}
