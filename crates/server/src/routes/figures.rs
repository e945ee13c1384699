//! Published figures: what the public may see of the warehouse, through the public audience's
//! disclosure control — incidence as `oncodata incidence --audience public` prints it, net
//! survival as `oncodata survival --method pohar-perme --audience public` — computed once per
//! selection and served from memory until the warehouse publishes a new snapshot. The
//! explorer's pages and downloads are drawn from these same tables.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use oncodata_analyses::cohort::SurvivalOptions;
use oncodata_analyses::incidence::{RateOptions, Standard, counts_from_warehouse, parse_years, rates, table_records};
use oncodata_analyses::survival::{Request, estimate, warehouse_data};
use oncodata_stats::relative::{DAYS_PER_YEAR, RateTable, RateUnit};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody, QueryParams};

/// The selection of an incidence table.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct IncidenceQuery {
    /// The grouping columns, comma-separated (as `oncodata incidence --by`: site_group, sex,
    /// year, area…).
    pub by: String,
    /// The standard population of the age-standardised rates: `world` (the default), `europe`…
    pub standard: Option<String>,
    /// The years of diagnosis, `A-B` or one year (as `oncodata incidence --years`); all by default.
    pub years: Option<String>,
}

/// A published table.
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct Figure {
    /// The columns: the groups, cases, person-years, rates with their intervals, and
    /// `suppressed` (the rule that withheld a row, null when shown).
    pub columns: Vec<String>,
    /// The rows: groups as text, numbers as numbers; a withheld row's figures are null.
    #[schema(value_type = Vec<Vec<Value>>)]
    pub rows: Vec<Vec<serde_json::Value>>,
    /// What disclosure control withheld, and why.
    pub notes: Vec<String>,
}

/// The selection of a net survival estimate (a site group; the rest optional: all).
#[derive(Deserialize, utoipa::IntoParams)]
pub struct SurvivalQuery {
    /// A site group (`lung`, `breast`…): net survival is published by cancer site.
    pub site: Option<String>,
    /// `male` or `female`.
    pub sex: Option<String>,
    /// The years of diagnosis, `A-B` or one year.
    pub years: Option<String>,
    /// A département (INSEE code).
    pub area: Option<String>,
}

/// Net survival at one time since diagnosis.
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct SurvivalPoint {
    /// Years since diagnosis.
    pub years: f64,
    /// Net survival (0 to 1); null where withheld or beyond the follow-up.
    pub estimate: Option<f64>,
    /// The 95 % interval's lower bound (log transform, as R's survival).
    pub lower: Option<f64>,
    /// Its upper bound.
    pub upper: Option<f64>,
}

/// A published net survival estimate (Pohar-Perme, against the warehouse's life table).
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct SurvivalFigure {
    /// Persons in the cohort; null when the group is withheld.
    pub persons: Option<usize>,
    /// At 1, 5 and 10 years.
    pub at: Vec<SurvivalPoint>,
    /// The curve after disclosure control (steps merged, tail cut), from (0, 1).
    pub curve: Vec<SurvivalPoint>,
    /// What disclosure control withheld, and why; what the cohort left out.
    pub notes: Vec<String>,
}

/// What the explorer offers: the areas registries cover, by years, and the years with population.
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    /// (area, first year, last year) of each declaration; empty when none was declared.
    pub declared: Vec<(String, i32, i32)>,
    /// The first and last years of the population table.
    pub years: Option<(i32, i32)>,
}

impl Coverage {
    /// The départements covered in some year of `years` (all declared ones without a period).
    pub fn covered(&self, years: Option<(i32, i32)>) -> Vec<String> {
        let mut v: Vec<String> = self
            .declared
            .iter()
            .filter(|(_, a, b)| years.is_none_or(|(x, y)| *a <= y && x <= *b))
            .map(|(area, _, _)| area.clone())
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

/// A figure kept in memory (shared: a visitor's page reads it without copying it).
#[derive(Clone)]
pub enum Published {
    /// An incidence table.
    Incidence(Arc<Figure>),
    /// A survival estimate.
    Survival(Arc<SurvivalFigure>),
    /// The coverage.
    Coverage(Arc<Coverage>),
    /// Spatial clusters.
    Clusters(Arc<ClusterFigure>),
}

/// Published spatial clusters: the scan by commune of residence as `oncodata scan --by-commune
/// --audience public` reports it, with what its map shows.
#[derive(Clone, Debug)]
pub struct ClusterFigure {
    /// The clusters (counts withheld where the public's frequency rule says).
    pub rows: Vec<oncodata_web::explorer::ClusterRow>,
    /// The départements scanned.
    pub departements: Vec<String>,
    /// The members of the clusters the map shows.
    pub places: Vec<oncodata_web::map::ClusterPlace>,
    /// How the scan was made, what it left out.
    pub notes: Vec<String>,
}

/// The members of a scan's clusters as the web's maps draw them (the explorer's and
/// `oncodata scan --plot`'s).
pub fn cluster_places(members: Vec<oncodata_analyses::scan::MappedMember>) -> Vec<oncodata_web::map::ClusterPlace> {
    members
        .into_iter()
        .map(|m| oncodata_web::map::ClusterPlace {
            longitude: m.longitude,
            latitude: m.latitude,
            label: m.id,
            rank: m.rank,
            significant: m.significant,
        })
        .collect()
}

fn refused(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", e.to_string())
}

fn unavailable(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "store_unavailable", e.to_string())
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
}

/// The incidence table of `counts` by `by` with the public audience's disclosure control, as
/// `oncodata incidence --audience public` prints it: groups as text, figures as numbers.
fn incidence_figure(
    root: &std::path::Path,
    by: &[String],
    standard: &Standard,
    counts: &oncodata_analyses::incidence::Counts,
) -> Result<Figure, String> {
    let computed = rates(counts, standard, &RateOptions::default()).map_err(|e| e.to_string())?;
    let (mut header, mut records) = table_records(by, &computed);
    let (policy, _) = oncodata_disclosure::Policy::of_warehouse(root).map_err(|e| e.to_string())?;
    let mut notes = Vec::new();
    oncodata_disclosure::sql::withhold_printed_with(
        &mut header,
        &mut records,
        by.len(),
        &[],
        &policy,
        oncodata_disclosure::Audience::Public,
        &mut notes,
    )
    .map_err(|e| e.to_string())?;
    let last = header.len() - 1;
    let rows = records
        .into_iter()
        .map(|r| {
            r.into_iter()
                .enumerate()
                .map(|(i, v)| match (i < by.len() || i == last, v.parse::<f64>()) {
                    _ if v.is_empty() || v == "NA" => serde_json::Value::Null,
                    (false, Ok(x)) => serde_json::Number::from_f64(x).map_or(serde_json::Value::Null, Into::into),
                    _ => v.into(),
                })
                .collect()
        })
        .collect();
    Ok(Figure { columns: header, rows, notes })
}

impl AppState {
    /// The public incidence table by `by` (world standard unless `standard`), for `years`.
    pub async fn incidence_table(
        &self,
        by: &[String],
        standard: Option<&str>,
        years: Option<&str>,
    ) -> ApiResult<Arc<Figure>> {
        let standard_name = standard.unwrap_or("world").to_string();
        let years = years.map(parse_years).transpose().map_err(refused)?;
        let key = format!("incidence?by={}&standard={standard_name}&years={years:?}", by.join(","));
        if by.is_empty() {
            return Err(refused("by: name at least one grouping column"));
        }
        let root = self.workspaces.warehouse.clone();
        let by = by.to_vec();
        let published = self
            .published(&key, || async move {
                let w = oncodata_warehouse::Warehouse::open(&root).map_err(unavailable)?;
                let standard = Standard::named(&standard_name).map_err(refused)?;
                let counts = counts_from_warehouse(&w, &by, &standard.labels, years).await.map_err(refused)?;
                let figure = tokio::task::spawn_blocking(move || incidence_figure(&root, &by, &standard, &counts))
                    .await
                    .map_err(internal)?
                    .map_err(refused)?;
                Ok(Published::Incidence(Arc::new(figure)))
            })
            .await?;
        match published {
            Published::Incidence(figure) => Ok(figure),
            _ => Err(internal(format!("{key}: not an incidence table"))),
        }
    }

    /// The public net survival (Pohar-Perme, daily integration of the warehouse's life table,
    /// log-transformed 95 % intervals) of the cohort `filter` selects (a condition on the
    /// survival columns, checked by the caller), with the public rules applied: a group of too
    /// few persons withheld, steps merged, the tail cut where too few remain at risk.
    pub async fn survival_figure(&self, filter: &str) -> ApiResult<Arc<SurvivalFigure>> {
        let key = format!("survival?{filter}");
        let root = self.workspaces.warehouse.clone();
        let filter = filter.to_string();
        let published = self
            .published(&key, || async move {
                let w = oncodata_warehouse::Warehouse::open(&root).map_err(unavailable)?;
                let options = SurvivalOptions {
                    filter: Some(&filter),
                    first_primary_only: false,
                    ages: None,
                    closing_date: None,
                };
                let found = warehouse_data(&w, &options).await.map_err(refused)?;
                let figure = tokio::task::spawn_blocking(move || -> Result<SurvivalFigure, String> {
                    const ANCHORS: [f64; 3] = [1.0, 5.0, 10.0];
                    let empty = |notes: Vec<String>| SurvivalFigure {
                        persons: Some(0),
                        at: ANCHORS
                            .iter()
                            .map(|&years| SurvivalPoint { years, estimate: None, lower: None, upper: None })
                            .collect(),
                        curve: Vec::new(),
                        notes,
                    };
                    if found.data.is_empty() {
                        return Ok(empty(vec![found.note]));
                    }
                    if found.life_table.is_empty() {
                        return Err(
                            "net survival needs the warehouse's life table (oncodata ingest --source life-table FILE)"
                                .into(),
                        );
                    }
                    let table = RateTable::from_rows(&found.life_table, RateUnit::Year).map_err(|e| e.to_string())?;
                    let request = Request::net_survival_of_warehouse(&[], &table);
                    let mut estimates = estimate(&found.data, &request).map_err(|e| e.to_string())?;
                    let (policy, _) = oncodata_disclosure::Policy::of_warehouse(&root).map_err(|e| e.to_string())?;
                    let audience = oncodata_disclosure::Audience::Public;
                    let rules = policy.rules(audience);
                    let anchors: Vec<f64> = ANCHORS.iter().map(|y| y * DAYS_PER_YEAR).collect();
                    let withheld = oncodata_disclosure::survival::withhold_estimates(&mut estimates, rules, &anchors);
                    let mut notes = vec![found.note];
                    notes.extend(withheld.note(audience, rules));
                    if !withheld.groups.is_empty() || estimates.curves.is_empty() {
                        return Ok(SurvivalFigure { persons: None, ..empty(notes) });
                    }
                    let point = |years: f64, r: &oncodata_stats::survival::SurvivalRow| SurvivalPoint {
                        years,
                        estimate: Some(r.surv),
                        lower: r.lower.is_finite().then_some(r.lower),
                        upper: r.upper.is_finite().then_some(r.upper),
                    };
                    let at = ANCHORS
                        .iter()
                        .zip(withheld.anchors.first().into_iter().flatten())
                        .map(|(&years, row)| match row {
                            Some(r) => point(years, r),
                            None => SurvivalPoint { years, estimate: None, lower: None, upper: None },
                        })
                        .collect();
                    let mut curve =
                        vec![SurvivalPoint { years: 0.0, estimate: Some(1.0), lower: Some(1.0), upper: Some(1.0) }];
                    curve.extend(estimates.curves[0].1.iter().map(|r| point(r.row.time / DAYS_PER_YEAR, &r.row)));
                    Ok(SurvivalFigure { persons: estimates.summary.first().map(|s| s.n), at, curve, notes })
                })
                .await
                .map_err(internal)?
                .map_err(refused)?;
                Ok(Published::Survival(Arc::new(figure)))
            })
            .await?;
        match published {
            Published::Survival(figure) => Ok(figure),
            _ => Err(internal(format!("{key}: not a survival estimate"))),
        }
    }

    /// The public spatial clusters of a site group (all cancers when `None`), sex and period, by
    /// commune of residence over `areas` (every area with population when empty): Kulldorff's
    /// scan with SaTScan's defaults (999 replicates, seed 1), counts of clusters of fewer
    /// persons than the public's frequency rule withheld.
    pub async fn clusters_figure(
        &self,
        site: Option<String>,
        sex: Option<String>,
        years: Option<(i32, i32)>,
        areas: Vec<String>,
    ) -> ApiResult<Arc<ClusterFigure>> {
        use oncodata_analyses::scan::{Scanning, Unit, WarehouseScan, scan_warehouse};
        let key = format!("clusters?site={site:?}&sex={sex:?}&years={years:?}&areas={}", areas.join(","));
        let root = self.workspaces.warehouse.clone();
        let published = self
            .published(&key, || async move {
                let (policy, _) = oncodata_disclosure::Policy::of_warehouse(&root).map_err(internal)?;
                let rules = policy.rules(oncodata_disclosure::Audience::Public).clone();
                let min_persons = if rules.unrestricted { 0 } else { rules.min_persons };
                // The scan takes about a second of both cores: on a blocking thread, not on one
                // of the runtime's workers, which go on serving other requests meanwhile.
                let scanned = tokio::task::spawn_blocking(move || {
                    let w = oncodata_warehouse::Warehouse::open(&root).map_err(unavailable)?;
                    let request = WarehouseScan {
                        unit: Unit::Commune,
                        site_group: site.as_deref(),
                        sex: sex.as_deref(),
                        years,
                        scanning: Scanning::default(),
                        min_persons,
                        time: None,
                        areas: (!areas.is_empty()).then_some(&areas[..]),
                    };
                    tokio::runtime::Handle::current().block_on(scan_warehouse(&w, &request)).map_err(refused)
                });
                let result = scanned.await.map_err(internal)??;
                let (departements, members) = result.map(Unit::Commune);
                let shown = |x: f64| x.is_finite().then_some(x);
                let rows = result
                    .clusters
                    .iter()
                    .map(|c| oncodata_web::explorer::ClusterRow {
                        rank: c.rank,
                        centre: c.centre.clone(),
                        members: c.members.clone(),
                        observed: shown(c.observed),
                        expected: shown(c.expected),
                        relative_risk: shown(c.relative_risk),
                        p_value: c.p_value,
                        withheld: c.withheld.as_ref().map(|_| "frequency".to_string()),
                    })
                    .collect();
                let places = cluster_places(members);
                let mut notes = vec![format!(
                    "{} cases ({}) in {} communes",
                    result.settings["total_cases"],
                    result.settings["counted"].as_str().unwrap_or("cases"),
                    result.settings["locations"]
                )];
                if let Some(left) = result.settings["left_out"].as_object().filter(|l| !l.is_empty()) {
                    let parts: Vec<String> = left.iter().map(|(why, n)| format!("{n} {why}")).collect();
                    notes.push(format!("left out: {}", parts.join("; ")));
                }
                let withheld = result.clusters.iter().filter(|c| c.withheld.is_some()).count();
                if withheld > 0 {
                    notes.push(format!(
                        "{withheld} cluster(s) of fewer than {} cases: their counts, risk and LLR withheld (frequency rule)",
                        rules.min_persons
                    ));
                }
                Ok(Published::Clusters(Arc::new(ClusterFigure { rows, departements, places, notes })))
            })
            .await?;
        match published {
            Published::Clusters(figure) => Ok(figure),
            _ => Err(internal(format!("{key}: not clusters"))),
        }
    }

    /// Computes the tables of the explorer's first view (all cancers, both sexes, every year, by
    /// area and by year), so that the first visitors find them in memory; the other selections
    /// are computed on their first visit and kept. A table that fails is left for its first
    /// visitor, who gets the error.
    pub async fn warm(&self) {
        let _ = self.coverage().await;
        for by in [["area"], ["year"]] {
            let _ = self.incidence_table(&[by[0].to_string()], None, None).await;
        }
    }

    /// The registries' coverage and the population's years.
    pub async fn coverage(&self) -> ApiResult<Arc<Coverage>> {
        let root = self.workspaces.warehouse.clone();
        let published = self
            .published("coverage", || async move {
                let w = oncodata_warehouse::Warehouse::open(&root).map_err(unavailable)?;
                let tables = w.tables().map_err(unavailable)?;
                let mut coverage = Coverage::default();
                let int = |v: &oncodata_warehouse::Value| v.as_text().parse::<i32>().ok();
                if tables.iter().any(|t| t == "coverage") {
                    let r =
                        w.query_async("SELECT area, first_year, last_year FROM coverage").await.map_err(unavailable)?;
                    for row in r.rows().map_err(unavailable)? {
                        if let (Some(a), Some(b)) = (int(&row[1]), int(&row[2])) {
                            coverage.declared.push((row[0].as_text(), a, b));
                        }
                    }
                }
                if tables.iter().any(|t| t == "population") {
                    let r = w.query_async("SELECT min(year), max(year) FROM population").await.map_err(unavailable)?;
                    if let Some(row) = r.rows().map_err(unavailable)?.first() {
                        coverage.years = int(&row[0]).zip(int(&row[1]));
                    }
                }
                Ok(Published::Coverage(Arc::new(coverage)))
            })
            .await?;
        match published {
            Published::Coverage(c) => Ok(c),
            _ => Err(internal("coverage: not the coverage")),
        }
    }
}

/// Incidence by the columns asked for — cases, person-years, crude and age-standardised rates
/// per 100,000 with 95 % intervals (Tiwari), cumulative rate and risk 0-74 — as the public may
/// see it: no count of 1 to 10 persons, and what would reveal one withheld too.
#[utoipa::path(get, path = "/api/figures/incidence", tag = "public", security(()), params(IncidenceQuery),
    responses((status = 200, body = Figure), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn incidence(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<IncidenceQuery>,
) -> ApiResult<Json<Arc<Figure>>> {
    let by: Vec<String> = query.by.split(',').map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect();
    Ok(Json(state.incidence_table(&by, query.standard.as_deref(), query.years.as_deref()).await?))
}

/// Net survival (Pohar-Perme) at 1, 5 and 10 years and its curve, for a site group, sex, period
/// and département, as the public may see it (`oncodata survival --method pohar-perme
/// --audience public` on the same cohort).
#[utoipa::path(get, path = "/api/figures/survival", tag = "public", security(()), params(SurvivalQuery),
    responses((status = 200, body = SurvivalFigure), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn net_survival(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<SurvivalQuery>,
) -> ApiResult<Json<Arc<SurvivalFigure>>> {
    let params: std::collections::HashMap<String, String> = [
        ("measure", Some("survival".to_string())),
        ("site", query.site),
        ("sex", query.sex),
        ("years", query.years),
        ("area", query.area),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((k.to_string(), v?)))
    .collect();
    let selection = oncodata_web::explorer::Selection::parse(&params).map_err(refused)?;
    if selection.site.is_none() {
        return Err(refused("site: name a site group (net survival is published by cancer site)"));
    }
    Ok(Json(state.survival_figure(&selection.survival_filter()).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_by_period() {
        let c = Coverage { declared: vec![("50".into(), 2021, 2022), ("14".into(), 2010, 2015)], years: None };
        assert_eq!(c.covered(None), ["14", "50"]);
        assert_eq!(c.covered(Some((2020, 2022))), ["50"]);
        assert_eq!(c.covered(Some((2015, 2021))), ["14", "50"]);
        assert!(c.covered(Some((2016, 2020))).is_empty());
    }
}
