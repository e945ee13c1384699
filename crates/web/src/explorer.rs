//! The public explorer: incidence (cases, crude and age-standardised rates with their
//! intervals), net survival (1, 5 and 10 years, curves) and spatial clusters (Kulldorff's scan by
//! commune, on a map) by site group, sex, period and area.
//! The selection lives in the URL's query (a reload or a shared link shows the same view); the
//! page is whole without scripts (a form with GET), and `explorer.js` only submits it when a
//! choice changes and shows the map's tooltips.
//!
//! The figures come from the service's published tables — the same tables, through the same
//! disclosure control for the public, as `oncodata incidence --audience public` — and are only
//! filtered and drawn here: a withheld figure is marked `s` (its rule named), never shown.

use std::collections::HashMap;

use serde_json::Value;

use crate::chart::{self, Labels, Point, Style};
use crate::i18n::Lang;
use crate::layout::{Nav, page};
use crate::map::{self, Shade};
use crate::{escape, number};

/// What the explorer shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// Incidence: the map by département, the trend, the tables.
    Incidence,
    /// Net survival (Pohar-Perme) at 1, 5 and 10 years, and the curve.
    Survival,
    /// Spatial clusters: the scan statistic by commune of residence, on a map.
    Clusters,
}

impl Measure {
    /// The measure's name in queries.
    pub fn name(self) -> &'static str {
        match self {
            Measure::Incidence => "incidence",
            Measure::Survival => "survival",
            Measure::Clusters => "clusters",
        }
    }
}

/// A selection of the explorer, as its URL says it.
#[derive(Clone, Debug, PartialEq)]
pub struct Selection {
    /// Incidence or survival.
    pub measure: Measure,
    /// The site group's identifier (`lung`…); `None`: all cancers.
    pub site: Option<String>,
    /// `male` or `female`; `None`: both sexes.
    pub sex: Option<String>,
    /// The years of diagnosis, first and last; `None`: every year.
    pub years: Option<(i32, i32)>,
    /// The département of the trend and survival (`None`: every covered area).
    pub area: Option<String>,
    /// The page's language.
    pub lang: Lang,
}

/// The sexes, as the warehouse codes them, with their labels.
const SEXES: [(&str, &str, &str); 2] = [("female", "Femmes", "Women"), ("male", "Hommes", "Men")];

impl Selection {
    /// The selection a query asks for (`measure`, `site`, `sex`, `years=A-B` or `from` and
    /// `to`, `area`, `lang`); every value is checked against what exists, and a wrong one is
    /// refused naming the parameter.
    pub fn parse(query: &HashMap<String, String>) -> Result<Selection, String> {
        let get = |k: &str| query.get(k).map(|v| v.trim()).filter(|v| !v.is_empty() && *v != "all");
        let measure = match get("measure") {
            None | Some("incidence") => Measure::Incidence,
            Some("survival") => Measure::Survival,
            Some("clusters") => Measure::Clusters,
            Some(other) => return Err(format!("measure={other}: expected incidence, survival or clusters")),
        };
        let site = match get("site") {
            None => None,
            Some(s) => Some(
                oncodata_coding::site_group::by_id(s)
                    .ok_or_else(|| format!("site={s}: not a site group (see `oncodata codes`)"))?
                    .id
                    .to_string(),
            ),
        };
        let sex = match get("sex") {
            None => None,
            Some(s) if SEXES.iter().any(|(c, _, _)| *c == s) => Some(s.to_string()),
            Some(s) => return Err(format!("sex={s}: expected male, female or all")),
        };
        let year = |k: &str, v: &str| {
            v.parse::<i32>().ok().filter(|y| (1900..=2100).contains(y)).ok_or_else(|| format!("{k}={v}: not a year"))
        };
        let years = match (get("years"), get("from"), get("to")) {
            (Some(y), _, _) => {
                let (a, b) = y.split_once('-').unwrap_or((y, y));
                Some((year("years", a)?, year("years", b)?))
            }
            (None, Some(a), Some(b)) => Some((year("from", a)?, year("to", b)?)),
            (None, Some(a), None) => Some((year("from", a)?, year("from", a)?)),
            (None, None, Some(b)) => Some((year("to", b)?, year("to", b)?)),
            (None, None, None) => None,
        };
        if let Some((a, b)) = years
            && a > b
        {
            return Err(format!("years {a}-{b}: the first year is after the last"));
        }
        let area = match get("area") {
            None => None,
            Some(a) if map::name_of(a).is_some() => Some(a.to_string()),
            Some(a) => return Err(format!("area={a}: not a département code (01…95, 2A, 2B, 971…976)")),
        };
        Ok(Selection { measure, site, sex, years, area, lang: Lang::from_param(query.get("lang").map(String::as_str)) })
    }

    /// The query string of this selection in `lang` (canonical: `years=A-B`).
    pub fn query(&self, lang: Lang) -> String {
        let mut parts = vec![format!("measure={}", self.measure.name())];
        if let Some(s) = &self.site {
            parts.push(format!("site={s}"));
        }
        if let Some(s) = &self.sex {
            parts.push(format!("sex={s}"));
        }
        if let Some((a, b)) = self.years {
            parts.push(format!("years={a}-{b}"));
        }
        if let Some(a) = &self.area {
            parts.push(format!("area={a}"));
        }
        parts.push(format!("lang={}", lang.tag()));
        parts.join("&")
    }

    /// The `years` argument of `oncodata incidence` and of the figures API (`A-B`).
    pub fn years_arg(&self) -> Option<String> {
        self.years.map(|(a, b)| format!("{a}-{b}"))
    }

    /// The grouping of the table behind the map: the selection's site group and sex (when one
    /// is chosen) and the area.
    pub fn by_area(&self) -> Vec<String> {
        let mut by = self.fixed();
        by.push("area".into());
        by
    }

    /// The grouping of the trend: the selection's site group and sex, the area when one is
    /// chosen, and the year.
    pub fn by_year(&self) -> Vec<String> {
        let mut by = self.fixed();
        if self.area.is_some() {
            by.push("area".into());
        }
        by.push("year".into());
        by
    }

    fn fixed(&self) -> Vec<String> {
        let mut by = Vec::new();
        if self.site.is_some() {
            by.push("site_group".into());
        }
        if self.sex.is_some() {
            by.push("sex".into());
        }
        by
    }

    /// The values a published table's rows must have to belong to the selection.
    fn filters(&self) -> Vec<(&'static str, String)> {
        let mut f = Vec::new();
        if let Some(s) = &self.site {
            f.push(("site_group", s.clone()));
        }
        if let Some(s) = &self.sex {
            f.push(("sex", s.clone()));
        }
        f
    }

    /// The survival cohort's SQL condition on the warehouse's survival columns (values checked
    /// against their lists by [`Selection::parse`]).
    pub fn survival_filter(&self) -> String {
        let mut c = vec!["true".to_string()];
        if let Some(s) = &self.site {
            c.push(format!("site_group = '{s}'"));
        }
        if let Some(s) = &self.sex {
            c.push(format!("sex = '{s}'"));
        }
        if let Some((a, b)) = self.years {
            c.push(format!("year BETWEEN {a} AND {b}"));
        }
        if let Some(a) = &self.area {
            c.push(format!("area = '{a}'"));
        }
        c.join(" AND ")
    }

    fn site_label(&self) -> String {
        match &self.site {
            Some(s) => {
                oncodata_coding::site_group::by_id(s).map_or(s.clone(), |g| self.lang.t(g.titre, g.title).to_string())
            }
            None => self.lang.t("Tous cancers", "All cancers").into(),
        }
    }

    fn sex_label(&self) -> &'static str {
        match self.sex.as_deref().and_then(|s| SEXES.iter().find(|(c, _, _)| *c == s)) {
            Some((_, fr, en)) => self.lang.t(fr, en),
            None => self.lang.t("Deux sexes", "Both sexes"),
        }
    }

    fn period_label(&self) -> String {
        match self.years {
            Some((a, b)) if a == b => format!("{a}"),
            Some((a, b)) => format!("{a}–{b}"),
            None => self.lang.t("toutes années", "all years").into(),
        }
    }

    fn area_label(&self) -> String {
        match &self.area {
            Some(a) => format!("{} ({a})", map::name_of(a).unwrap_or(a)),
            None => self.lang.t("zones couvertes par les registres", "areas covered by registries").into(),
        }
    }
}

/// A published table: its columns and rows (groups as text, figures as numbers or null,
/// `suppressed` naming the rule of a withheld row), as the figures API gives it.
pub struct Table<'a> {
    /// The column names.
    pub columns: &'a [String],
    /// The rows.
    pub rows: &'a [Vec<Value>],
}

impl Table<'_> {
    /// The rows of the selection (its site group and sex), with the column `key`'s value.
    fn rows_of<'r>(&'r self, selection: &Selection, key: &str) -> Vec<(String, &'r [Value])> {
        let col = |name: &str| self.columns.iter().position(|c| c == name);
        let filters: Vec<(usize, String)> =
            selection.filters().into_iter().filter_map(|(c, v)| Some((col(c)?, v))).collect();
        let area =
            if key != "area" { selection.area.as_ref().and_then(|a| Some((col("area")?, a.clone()))) } else { None };
        let Some(k) = col(key) else { return Vec::new() };
        self.rows
            .iter()
            .filter(|r| filters.iter().chain(area.iter()).all(|(i, v)| r.get(*i).and_then(Value::as_str) == Some(v)))
            .map(|r| (r.get(k).map(text).unwrap_or_default(), r.as_slice()))
            .collect()
    }

    /// The selection's rows as CSV, every column of the published table, numbers at full
    /// precision (as `oncodata incidence --format csv` writes them).
    pub fn csv(&self, selection: &Selection, key: &str) -> String {
        let mut out = self.columns.join(",") + "\n";
        for (_, row) in self.rows_of(selection, key) {
            out += &row.iter().map(|v| csv_field(&text(v))).collect::<Vec<_>>().join(",");
            out.push('\n');
        }
        out
    }

    fn figures(&self, selection: &Selection, key: &str) -> Vec<Rates> {
        let col = |name: &str| self.columns.iter().position(|c| c == name);
        let num = |r: &[Value], name: &str| col(name).and_then(|i| r.get(i)).and_then(Value::as_f64);
        let triple = |r: &[Value], a: &str, b: &str, c: &str| Some((num(r, a)?, num(r, b)?, num(r, c)?));
        self.rows_of(selection, key)
            .into_iter()
            .map(|(k, r)| Rates {
                key: k,
                cases: num(r, "cases"),
                person_years: num(r, "person_years"),
                crude: triple(r, "crude_rate", "crude_lower", "crude_upper"),
                asr: triple(r, "asr", "asr_lower", "asr_upper"),
                withheld: col("suppressed").and_then(|i| r.get(i)).and_then(Value::as_str).map(str::to_string),
            })
            .collect()
    }
}

/// A published value as text: numbers in Rust's shortest round-trip form (`12`, `27.249…`), as
/// `oncodata incidence --format csv` writes them.
fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), |x| x.to_string()),
        other => other.to_string(),
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

/// One row of incidence as the page shows it.
struct Rates {
    key: String,
    cases: Option<f64>,
    person_years: Option<f64>,
    crude: Option<(f64, f64, f64)>,
    asr: Option<(f64, f64, f64)>,
    withheld: Option<String>,
}

/// The survival of the selection at one anchor.
#[derive(Clone, Debug)]
pub struct SurvivalAt {
    /// Years since diagnosis (1, 5, 10).
    pub years: u32,
    /// Net survival with its interval; `None`: withheld, or beyond the follow-up.
    pub estimate: Option<(f64, f64, f64)>,
}

/// What the service computed for the explorer.
pub enum Figures<'a> {
    /// Incidence: the table by area (the map), the table by year (the trend), the areas
    /// covered by registries in the period, and disclosure control's notes.
    Incidence {
        /// Rows by area.
        by_area: Table<'a>,
        /// Rows by year.
        by_year: Table<'a>,
        /// The covered départements.
        covered: &'a [String],
        /// What was withheld, and why.
        notes: &'a [String],
    },
    /// Net survival: the persons, the anchors, the curve (years, estimate, bounds), notes.
    Survival {
        /// Persons in the cohort; `None` when withheld.
        persons: Option<usize>,
        /// 1, 5 and 10 years.
        at: &'a [SurvivalAt],
        /// The curve, in years since diagnosis (after disclosure control).
        curve: &'a [Point],
        /// What was withheld, and why.
        notes: &'a [String],
    },
    /// Net survival asked for all cancers together: the page asks for a site (net survival is
    /// published by cancer site).
    ChooseSite,
    /// Spatial clusters: the clusters, the départements scanned, the members to map, notes.
    Clusters {
        /// The most likely cluster and the secondary ones.
        clusters: &'a [ClusterRow],
        /// The départements scanned (their outlines).
        departements: &'a [String],
        /// The members of the clusters shown on the map.
        places: &'a [map::ClusterPlace],
        /// How the scan was made, what it left out, what was withheld.
        notes: &'a [String],
    },
}

/// A cluster as the explorer shows it (`oncodata scan --audience public`).
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterRow {
    /// 1 for the most likely cluster.
    pub rank: usize,
    /// The centre's commune code.
    pub centre: String,
    /// The member communes, nearest the centre first.
    pub members: Vec<String>,
    /// Cases observed; `None` when withheld.
    pub observed: Option<f64>,
    /// Cases expected; `None` when withheld.
    pub expected: Option<f64>,
    /// Relative risk; `None` when withheld.
    pub relative_risk: Option<f64>,
    /// The Monte Carlo p-value.
    pub p_value: Option<f64>,
    /// Why the counts are withheld, when they are.
    pub withheld: Option<String>,
}

/// The years the explorer offers, and the errors to show.
pub struct Choices {
    /// The first and last years with population.
    pub years: (i32, i32),
}

/// The explorer's page for a selection.
pub fn page_of(selection: &Selection, choices: &Choices, figures: &Figures<'_>) -> String {
    let lang = selection.lang;
    let t = |fr: &'static str, en: &'static str| lang.t(fr, en);
    let heading = format!(
        "{} — {}, {}, {}",
        match selection.measure {
            Measure::Incidence => t("Incidence", "Incidence"),
            Measure::Survival => t("Survie nette", "Net survival"),
            Measure::Clusters => t("Agrégats spatiaux", "Spatial clusters"),
        },
        escape(&selection.site_label()),
        selection.sex_label(),
        selection.period_label()
    );
    let mut body = form(selection, choices);
    body += &format!("<h2 id=\"view\">{heading}</h2>");
    match figures {
        Figures::Incidence { by_area, by_year, covered, notes } => {
            body += &incidence_view(selection, by_area, by_year, covered, notes)
        }
        Figures::Survival { persons, at, curve, notes } => {
            body += &survival_view(selection, *persons, at, curve, notes)
        }
        Figures::Clusters { clusters, departements, places, notes } => {
            body += &clusters_view(selection, clusters, departements, places, notes)
        }
        Figures::ChooseSite => {
            body += &format!(
                "<p class=\"prompt\" role=\"status\">{}</p>",
                t(
                    "Choisissez une localisation : la survie nette se publie par localisation de cancer.",
                    "Choose a cancer site: net survival is published by cancer site."
                )
            )
        }
    }
    page(
        lang,
        &format!("{} — {}", t("Explorateur", "Explorer"), heading),
        &format!("/?{}", selection.query(lang.other())),
        Nav::Explorer,
        &body,
    )
}

fn options(items: &[(String, String)], chosen: &str) -> String {
    items
        .iter()
        .map(|(v, label)| {
            format!(
                "<option value=\"{}\"{}>{}</option>",
                escape(v),
                if v == chosen { " selected" } else { "" },
                escape(label)
            )
        })
        .collect()
}

fn form(selection: &Selection, choices: &Choices) -> String {
    let lang = selection.lang;
    let t = |fr: &'static str, en: &'static str| lang.t(fr, en).to_string();
    let measures = [
        ("incidence".to_string(), t("Incidence", "Incidence")),
        ("survival".into(), t("Survie nette", "Net survival")),
        ("clusters".into(), t("Agrégats spatiaux", "Spatial clusters")),
    ];
    let mut sites = vec![("all".to_string(), t("Tous cancers", "All cancers"))];
    sites.extend(
        oncodata_coding::site_group::in_report_order()
            .map(|g| (g.id.to_string(), lang.t(g.titre, g.title).to_string())),
    );
    let mut sexes = vec![("all".to_string(), t("Deux sexes", "Both sexes"))];
    sexes.extend(SEXES.iter().map(|(c, fr, en)| (c.to_string(), lang.t(fr, en).to_string())));
    let years: Vec<(String, String)> =
        (choices.years.0..=choices.years.1).map(|y| (y.to_string(), y.to_string())).collect();
    let (from, to) = selection.years.unwrap_or(choices.years);
    let mut areas = vec![("all".to_string(), t("Toutes zones couvertes", "All covered areas"))];
    areas.extend(map::departements().iter().map(|d| (d.code.clone(), format!("{} — {}", d.code, d.name))));
    let field = |name: &str, label: String, items: &[(String, String)], chosen: &str| {
        format!(
            "<div class=\"field\"><label for=\"{name}\">{label}</label><select id=\"{name}\" name=\"{name}\">{}</select></div>",
            options(items, chosen)
        )
    };
    format!(
        "<form class=\"selection\" method=\"get\" action=\"/\" aria-label=\"{}\">{}{}{}{}{}{}<input type=\"hidden\" name=\"lang\" value=\"{}\">\
         <button type=\"submit\">{}</button></form>",
        t("Sélection", "Selection"),
        field("measure", t("Indicateur", "Measure"), &measures, selection.measure.name()),
        field("site", t("Localisation", "Cancer site"), &sites, selection.site.as_deref().unwrap_or("all")),
        field("sex", t("Sexe", "Sex"), &sexes, selection.sex.as_deref().unwrap_or("all")),
        field("from", t("Première année", "First year"), &years, &from.to_string()),
        field("to", t("Dernière année", "Last year"), &years, &to.to_string()),
        field(
            "area",
            t("Zone (tendance, survie)", "Area (trend, survival)"),
            &areas,
            selection.area.as_deref().unwrap_or("all")
        ),
        lang.tag(),
        t("Afficher", "Show"),
    )
}

/// A figure's cell: the number, or `s` with the rule when withheld.
fn cell(value: Option<f64>, digits: usize, withheld: &Option<String>, lang: Lang) -> String {
    match (value, withheld) {
        (_, Some(rule)) => format!(
            "<td class=\"withheld\" data-withheld=\"{}\"><abbr title=\"{}\">s</abbr></td>",
            escape(rule),
            escape(&format!("{} ({rule})", lang.t("secret statistique", "withheld by disclosure control")))
        ),
        (Some(v), None) => format!("<td data-value=\"{v}\">{}</td>", number(v, digits, lang)),
        (None, None) => "<td>—</td>".into(),
    }
}

fn interval(v: Option<(f64, f64, f64)>, withheld: &Option<String>, lang: Lang) -> String {
    match (v, withheld) {
        (Some((e, lo, hi)), None) => format!(
            "<td data-value=\"{e}\">{}</td><td>{} – {}</td>",
            number(e, 1, lang),
            number(lo, 1, lang),
            number(hi, 1, lang)
        ),
        _ => cell(None, 1, withheld, lang) + &cell(None, 1, withheld, lang),
    }
}

fn rates_table(
    id: &str,
    caption: &str,
    key_label: &str,
    rows: &[Rates],
    key: impl Fn(&str) -> String,
    lang: Lang,
) -> String {
    let t = |fr: &'static str, en: &'static str| lang.t(fr, en);
    let mut html = format!(
        "<table id=\"{id}\"><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th>\
         <th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        escape(caption),
        escape(key_label),
        t("Cas", "Cases"),
        t("Personnes-années", "Person-years"),
        t("Taux brut", "Crude rate"),
        t("IC 95 %", "95% CI"),
        t("Taux standardisé (monde)", "Age-standardised rate (world)"),
        t("IC 95 %", "95% CI"),
    );
    for r in rows {
        html += &format!(
            "<tr data-key=\"{}\"><th scope=\"row\">{}</th>{}{}{}{}</tr>",
            escape(&r.key),
            escape(&key(&r.key)),
            cell(r.cases, 0, &r.withheld, lang),
            cell(r.person_years, 0, &r.withheld, lang),
            interval(r.crude, &r.withheld, lang),
            interval(r.asr, &r.withheld, lang)
        );
    }
    if rows.is_empty() {
        html += &format!(
            "<tr><td colspan=\"7\">{}</td></tr>",
            t("Aucune donnée pour cette sélection.", "No data for this selection.")
        );
    }
    html + "</tbody></table>"
}

fn notes_list(notes: &[String], lang: Lang) -> String {
    let mut html = format!(
        "<div class=\"notes\"><p><strong>s</strong> : {}</p>",
        lang.t(
            "secret statistique — le chiffre n'est pas publié : il porterait sur 1 à 10 personnes (règle de fréquence), ou permettrait de recalculer un tel chiffre (secret secondaire).",
            "withheld — the figure is not published: it would count 1 to 10 persons (frequency rule), or would let one recompute such a figure (secondary suppression)."
        )
    );
    if !notes.is_empty() {
        html += "<ul>";
        for n in notes {
            html += &format!("<li>{}</li>", escape(n));
        }
        html += "</ul>";
    }
    html + "</div>"
}

fn downloads(selection: &Selection, table: &str, chart: &str) -> String {
    let lang = selection.lang;
    let q = selection.query(lang);
    format!(
        "<p class=\"downloads\">{} <a href=\"/explorer/{table}.csv?{q}\" download>CSV</a> · <a href=\"/explorer/{chart}.svg?{q}\" download>SVG</a></p>",
        lang.t("Télécharger :", "Download:")
    )
}

fn incidence_view(
    selection: &Selection,
    by_area: &Table<'_>,
    by_year: &Table<'_>,
    covered: &[String],
    notes: &[String],
) -> String {
    let lang = selection.lang;
    let t = |fr: &'static str, en: &'static str| lang.t(fr, en);
    let areas = by_area.figures(selection, "area");
    let years = by_year.figures(selection, "year");
    let shades = shades_of(&areas, covered);
    let measure = t(
        "Taux d'incidence standardisé sur la population mondiale, pour 100 000 personnes-années",
        "Incidence rate age-standardised to the world population, per 100,000 person-years",
    );
    let area_name = |code: &str| map::name_of(code).map_or(code.to_string(), |n| format!("{n} ({code})"));
    let trend_points: Vec<Point> = years
        .iter()
        .filter_map(|r| Some(Point { x: r.key.parse().ok()?, y: if r.withheld.is_some() { None } else { r.asr } }))
        .collect();
    let trend_title = format!(
        "{} — {}",
        t("Évolution du taux standardisé", "Trend of the age-standardised rate"),
        selection.area_label()
    );
    let trend = chart::series(
        &trend_points,
        Style::Line,
        &Labels {
            title: &trend_title,
            x: t("Année du diagnostic", "Year of diagnosis"),
            y: t("Taux pour 100 000", "Rate per 100,000"),
        },
        None,
        lang,
    );
    format!(
        "<section aria-labelledby=\"map-title\"><h3 id=\"map-title\">{}</h3><figure class=\"map-figure\">{}<figcaption>{}<p class=\"attribution\">{}</p></figcaption></figure>\
         <div id=\"tooltip\" role=\"status\" aria-live=\"polite\" hidden></div>{}{}</section>\
         <section aria-labelledby=\"trend-title\"><h3 id=\"trend-title\">{}</h3><figure>{trend}</figure>{}{}</section>{}",
        t("Carte par département", "Map by département"),
        map::choropleth(&shades, measure, lang),
        map::legend(&shades, measure, lang),
        ATTRIBUTION,
        rates_table(
            "table-areas",
            &format!("{} — {}", t("Incidence par département", "Incidence by département"), selection.period_label()),
            t("Département", "Département"),
            &areas,
            area_name,
            lang
        ),
        downloads(selection, "areas", "map"),
        escape(&trend_title),
        rates_table("table-years", &trend_title, t("Année", "Year"), &years, str::to_string, lang),
        downloads(selection, "years", "trend"),
        notes_list(notes, lang),
    )
}

/// The title of a selection's cluster map.
fn clusters_title(selection: &Selection) -> String {
    format!(
        "{} — {}, {}, {}",
        selection.lang.t("Agrégats spatiaux (statistique de balayage)", "Spatial clusters (scan statistic)"),
        selection.site_label(),
        selection.sex_label(),
        selection.period_label()
    )
}

/// The cluster map of a selection as a standalone SVG file (the download).
pub fn clusters_file(selection: &Selection, departements: &[String], places: &[map::ClusterPlace]) -> String {
    let codes: Vec<&str> = departements.iter().map(String::as_str).collect();
    map::cluster_map(&codes, places, &clusters_title(selection), selection.lang)
}

/// The clusters as CSV: rank, centre, communes, observed, expected, relative risk, p-value,
/// the rule that withheld the counts, and the members.
pub fn clusters_csv(clusters: &[ClusterRow]) -> String {
    let mut out = "rank,centre,communes,observed,expected,relative_risk,p_value,withheld,members\n".to_string();
    let num = |x: Option<f64>| x.map(|v| v.to_string()).unwrap_or_default();
    for c in clusters {
        out += &format!(
            "{},{},{},{},{},{},{},{},{}\n",
            c.rank,
            csv_field(&c.centre),
            c.members.len(),
            num(c.observed),
            num(c.expected),
            num(c.relative_risk),
            num(c.p_value),
            csv_field(c.withheld.as_deref().unwrap_or("")),
            csv_field(&c.members.join(";"))
        );
    }
    out
}

fn clusters_view(
    selection: &Selection,
    clusters: &[ClusterRow],
    departements: &[String],
    places: &[map::ClusterPlace],
    notes: &[String],
) -> String {
    let lang = selection.lang;
    let t = |fr: &'static str, en: &'static str| lang.t(fr, en);
    let mut table = format!(
        "<table id=\"table-clusters\"><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th>\
         <th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        escape(&clusters_title(selection)),
        t("Rang", "Rank"),
        t("Commune centre", "Centre (commune)"),
        t("Communes", "Communes"),
        t("Cas observés", "Observed cases"),
        t("Cas attendus", "Expected cases"),
        t("Risque relatif", "Relative risk"),
        t("p (Monte Carlo)", "p (Monte Carlo)"),
    );
    for c in clusters {
        table += &format!(
            "<tr data-rank=\"{}\"><th scope=\"row\">{}</th><td>{}</td><td>{}</td>{}{}{}{}</tr>",
            c.rank,
            c.rank,
            escape(&c.centre),
            c.members.len(),
            cell(c.observed, 0, &c.withheld, lang),
            cell(c.expected, 1, &c.withheld, lang),
            cell(c.relative_risk, 2, &c.withheld, lang),
            cell(c.p_value, 3, &None, lang),
        );
    }
    if clusters.is_empty() {
        table += &format!(
            "<tr><td colspan=\"7\">{}</td></tr>",
            t("Aucun agrégat pour cette sélection.", "No cluster for this selection.")
        );
    }
    table += "</tbody></table>";
    let codes: Vec<&str> = departements.iter().map(String::as_str).collect();
    format!(
        "<section aria-labelledby=\"clusters-title\"><h3 id=\"clusters-title\">{}</h3><p>{}</p>\
         <figure class=\"map-figure\">{}<figcaption>{}<p class=\"attribution\">{}</p></figcaption></figure>{table}{}</section>{}",
        t("Carte des agrégats", "Map of the clusters"),
        t(
            "Statistique de balayage de Kulldorff (modèle de Poisson discret, fenêtres circulaires jusqu'à la moitié des cas attendus, 999 réplications), par commune de résidence ; cas attendus par standardisation indirecte sur le sexe et l'âge.",
            "Kulldorff's scan statistic (discrete Poisson model, circular windows up to half the expected cases, 999 replicates), by commune of residence; expected cases by indirect standardisation on sex and age."
        ),
        map::cluster_map(&codes, places, &clusters_title(selection), selection.lang),
        t(
            "En rouge l'agrégat le plus vraisemblable, en orange les agrégats secondaires significatifs ; point plein : p < 0,05.",
            "Red: the most likely cluster; orange: significant secondary clusters; filled dot: p < 0.05."
        ),
        ATTRIBUTION,
        downloads(selection, "clusters", "clusters"),
        notes_list(notes, lang),
    )
}

/// Each département's shade: its rate when covered and shown, withheld, or uncovered.
fn shades_of(areas: &[Rates], covered: &[String]) -> HashMap<String, Shade> {
    let mut shades = HashMap::new();
    for r in areas.iter().filter(|r| covered.contains(&r.key)) {
        let shade = match (&r.withheld, r.asr) {
            (Some(rule), _) => Shade::Withheld(rule.clone()),
            (None, Some((v, _, _))) => Shade::Value(v),
            (None, None) => Shade::Value(0.0),
        };
        shades.insert(r.key.clone(), shade);
    }
    shades
}

/// The map of a selection as a standalone SVG file (the download).
pub fn map_file(selection: &Selection, by_area: &Table<'_>, covered: &[String]) -> String {
    let lang = selection.lang;
    let shades = shades_of(&by_area.figures(selection, "area"), covered);
    let measure = lang.t("Taux standardisé (monde) pour 100 000", "Age-standardised rate (world) per 100,000");
    map::choropleth(&shades, measure, lang)
}

/// The trend of a selection as a standalone SVG file (the download).
pub fn trend_file(selection: &Selection, by_year: &Table<'_>) -> String {
    let lang = selection.lang;
    let points: Vec<Point> = by_year
        .figures(selection, "year")
        .iter()
        .filter_map(|r| Some(Point { x: r.key.parse().ok()?, y: if r.withheld.is_some() { None } else { r.asr } }))
        .collect();
    let title = format!("{}, {}, {}", selection.site_label(), selection.sex_label(), selection.area_label());
    chart::series(
        &points,
        Style::Line,
        &Labels {
            title: &title,
            x: lang.t("Année", "Year"),
            y: lang.t("Taux standardisé pour 100 000", "Age-standardised rate per 100,000"),
        },
        None,
        lang,
    )
}

/// The survival curve of a selection as a standalone SVG file.
pub fn survival_file(selection: &Selection, curve: &[Point]) -> String {
    let lang = selection.lang;
    let title = format!("{}, {}, {}", selection.site_label(), selection.sex_label(), selection.period_label());
    chart::series(
        curve,
        Style::Steps,
        &Labels {
            title: &title,
            x: lang.t("Années depuis le diagnostic", "Years since diagnosis"),
            y: lang.t("Survie nette", "Net survival"),
        },
        Some(1.0),
        lang,
    )
}

/// The survival anchors as CSV.
pub fn survival_csv(at: &[SurvivalAt]) -> String {
    let mut out = "years,net_survival,lower,upper\n".to_string();
    for a in at {
        match a.estimate {
            Some((e, lo, hi)) => out += &format!("{},{e},{lo},{hi}\n", a.years),
            None => out += &format!("{},,,\n", a.years),
        }
    }
    out
}

fn survival_view(
    selection: &Selection,
    persons: Option<usize>,
    at: &[SurvivalAt],
    curve: &[Point],
    notes: &[String],
) -> String {
    let lang = selection.lang;
    let t = |fr: &'static str, en: &'static str| lang.t(fr, en);
    let mut rows = String::new();
    for a in at {
        rows += &format!(
            "<tr data-key=\"{}\"><th scope=\"row\">{} {}</th>",
            a.years,
            a.years,
            if a.years == 1 { t("an", "year") } else { t("ans", "years") }
        );
        match a.estimate {
            Some((e, lo, hi)) => {
                rows += &format!(
                    "<td data-value=\"{e}\">{} %</td><td>{} – {} %</td></tr>",
                    number(e * 100.0, 1, lang),
                    number(lo * 100.0, 1, lang),
                    number(hi * 100.0, 1, lang)
                )
            }
            None => {
                rows += &format!(
                    "<td colspan=\"2\">{}</td></tr>",
                    t(
                        "non publié : suivi trop court, ou trop peu de personnes à risque",
                        "not published: follow-up too short, or too few persons at risk"
                    )
                )
            }
        }
    }
    let cohort = match persons {
        Some(n) => format!("{} {}", number(n as f64, 0, lang), t("personnes diagnostiquées", "persons diagnosed")),
        None => t("effectif non publié", "number of persons withheld").to_string(),
    };
    format!(
        "<section aria-labelledby=\"curve-title\"><h3 id=\"curve-title\">{} — {}</h3><p>{}{}{}.</p><figure>{}</figure>\
         <table id=\"table-survival\"><caption>{}</caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>{rows}</tbody></table>{}</section>{}",
        t("Survie nette (Pohar-Perme)", "Net survival (Pohar-Perme)"),
        escape(&selection.area_label()),
        cohort,
        t(" ; ", ", "),
        t(
            "tables de mortalité de la population générale de l'entrepôt",
            "general-population life table of the warehouse"
        ),
        survival_file(selection, curve),
        t("Survie nette à 1, 5 et 10 ans", "Net survival at 1, 5 and 10 years"),
        t("Délai", "Time"),
        t("Survie nette", "Net survival"),
        t("IC 95 %", "95% CI"),
        downloads(selection, "survival", "survival"),
        notes_list(notes, lang),
    )
}

/// The attribution line of the map's sources (Licence Ouverte).
pub const ATTRIBUTION: &str = "Sources : IGN – Admin Express COG 2018 et GEOFLA ; INSEE – Code officiel géographique 2026, populations légales 2023 (Mayotte : recensement 2017) ; via gregoiredavid/france-geojson et etalab/decoupage-administratif ; traitement : plateforme, 2026. Licence Ouverte / Open Licence (Etalab).";

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_selection_round_trips_through_its_url() {
        let s = Selection::parse(&query(&[
            ("site", "lung"),
            ("sex", "female"),
            ("from", "2020"),
            ("to", "2022"),
            ("lang", "en"),
        ]))
        .unwrap();
        assert_eq!(s.query(Lang::En), "measure=incidence&site=lung&sex=female&years=2020-2022&lang=en");
        let again: HashMap<String, String> = s
            .query(Lang::En)
            .split('&')
            .map(|kv| kv.split_once('=').unwrap())
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        assert_eq!(Selection::parse(&again).unwrap(), s);
        assert_eq!(s.by_area(), ["site_group", "sex", "area"]);
        assert_eq!(s.by_year(), ["site_group", "sex", "year"]);
    }

    #[test]
    fn wrong_values_are_refused_by_name() {
        for (k, v, says) in [
            ("site", "lungs", "site=lungs"),
            ("sex", "x", "sex=x"),
            ("years", "2022-2020", "first year is after"),
            ("area", "99", "area=99"),
            ("measure", "deaths", "measure=deaths"),
            ("site", "lung' OR 1=1 --", "not a site group"),
        ] {
            let e = Selection::parse(&query(&[(k, v)])).unwrap_err();
            assert!(e.contains(says), "{k}={v}: {e}");
        }
    }

    #[test]
    fn withheld_rows_show_s_never_a_number() {
        let columns: Vec<String> = [
            "site_group",
            "area",
            "cases",
            "person_years",
            "crude_rate",
            "crude_lower",
            "crude_upper",
            "asr",
            "asr_lower",
            "asr_upper",
            "suppressed",
        ]
        .map(String::from)
        .to_vec();
        let rows = vec![
            vec![
                Value::from("lung"),
                Value::from("50"),
                34.0.into(),
                1000.0.into(),
                3.4.into(),
                2.0.into(),
                5.0.into(),
                2.5.into(),
                1.5.into(),
                3.5.into(),
                Value::Null,
            ],
            vec![
                Value::from("lung"),
                Value::from("14"),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::from("frequency"),
            ],
        ];
        let table = Table { columns: &columns, rows: &rows };
        let s = Selection::parse(&query(&[("site", "lung")])).unwrap();
        let html = rates_table("t", "c", "k", &table.figures(&s, "area"), str::to_string, Lang::Fr);
        assert_eq!(html.matches("data-withheld=\"frequency\"").count(), 6);
        assert!(html.contains("<td data-value=\"34\">34</td>"));
        let shades = shades_of(&table.figures(&s, "area"), &["50".into(), "14".into()]);
        assert_eq!(shades["14"], Shade::Withheld("frequency".into()));
        assert_eq!(table.csv(&s, "area").lines().count(), 3);
    }
}
