//! The spatial scan of a table of locations (`oncodata scan --data FILE`, [`scan`]) or of the
//! warehouse's incidence cases by commune or département of residence ([`scan_warehouse`]):
//! SaTScan's discrete Poisson, purely spatial scan with circular windows
//! ([`oncodata_stats::scan`]), the most likely and secondary clusters (no geographical overlap)
//! with Monte Carlo p-values from seeded replicates (SaTScan's rank rule).

use std::collections::BTreeMap;

use oncodata_stats::scan::{Distance, Location, Settings, Windows, clusters, rank_p_value, simulate};
use rand::{Rng, SeedableRng};
use serde::Serialize;

use oncodata_coding::AgeGroup;
use oncodata_coding::commune;
use oncodata_warehouse::Warehouse;

use crate::AnalysisError;
use crate::cohort::{Stratifier, Years, person_years, residence_cases};
use crate::columns::Columns;

/// The coordinates' columns.
#[derive(Debug, Clone, Copy)]
pub enum Coordinates<'a> {
    /// Cartesian x and y (Euclidean distance in their unit).
    Cartesian {
        /// The x column.
        x: &'a str,
        /// The y column.
        y: &'a str,
    },
    /// Latitude and longitude in degrees (great-circle distance in km, Earth radius 6367 km).
    LatLong {
        /// The latitude column.
        latitude: &'a str,
        /// The longitude column.
        longitude: &'a str,
    },
}

/// A scan of a table: its columns and settings.
#[derive(Debug, Clone, Copy)]
pub struct FileScan<'a> {
    /// The location's id column.
    pub location: &'a str,
    /// The cases column.
    pub cases: &'a str,
    /// The population-at-risk column.
    pub population: &'a str,
    /// The coordinates.
    pub coordinates: Coordinates<'a>,
    /// The largest share of the population a window may hold (0 to 0.5).
    pub max_population: f64,
    /// Monte Carlo replicates (0: no p-values).
    pub replicates: usize,
    /// The replicates' seed.
    pub seed: u64,
}

/// A reported cluster.
#[derive(Debug, Clone, Serialize)]
pub struct Cluster {
    /// 1 for the most likely cluster, then the secondary clusters in decreasing LLR.
    pub rank: usize,
    /// The centre's location id.
    pub centre: String,
    /// The members' location ids, in distance order from the centre.
    pub members: Vec<String>,
    /// The distance to the farthest member (km for latitude/longitude).
    pub radius: f64,
    /// Population at risk.
    pub population: f64,
    /// Cases observed.
    pub observed: f64,
    /// Cases expected.
    pub expected: f64,
    /// Relative risk (inside over outside).
    pub relative_risk: f64,
    /// Log-likelihood ratio.
    pub llr: f64,
    /// Monte Carlo p-value (null without replicates).
    pub p_value: Option<f64>,
    /// Why the counts are not shown (disclosure control), when they are not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withheld: Option<String>,
}

/// What a scan found, with its settings.
#[derive(Debug, Clone, Serialize)]
pub struct ScanResult {
    /// The clusters.
    pub clusters: Vec<Cluster>,
    /// The settings, as the output reports them.
    pub settings: serde_json::Value,
    /// Where each location is, `(id, latitude, longitude)`, for a map (warehouse scans).
    #[serde(skip)]
    pub places: Vec<(String, f64, f64)>,
}

/// Scans `data` as `request` says; errors name the row and column.
pub fn scan(data: &Columns, request: &FileScan<'_>) -> Result<ScanResult, AnalysisError> {
    let bad = AnalysisError::Request;
    if !(request.max_population > 0.0 && request.max_population <= 0.5) {
        return Err(bad(format!(
            "--max-population {}: expected a share above 0 and at most 0.5",
            request.max_population
        )));
    }
    let ids = data.texts(request.location).map_err(bad)?;
    let cases = data.numbers(request.cases).map_err(bad)?;
    let population = data.numbers(request.population).map_err(bad)?;
    let (a, b, distance) = match request.coordinates {
        Coordinates::Cartesian { x, y } => (x, y, Distance::Cartesian),
        Coordinates::LatLong { latitude, longitude } => (latitude, longitude, Distance::GreatCircle),
    };
    let (xs, ys) = (data.numbers(a).map_err(bad)?, data.numbers(b).map_err(bad)?);
    for (r, (c, p)) in cases.iter().zip(&population).enumerate() {
        if *c < 0.0 || c.fract() != 0.0 {
            return Err(bad(data.bad(r, request.cases, "is not a whole number of cases")));
        }
        if *p < 0.0 || !p.is_finite() {
            return Err(bad(data.bad(r, request.population, "is not a population")));
        }
    }
    for (r, (x, y)) in xs.iter().zip(&ys).enumerate() {
        if !x.is_finite() || !y.is_finite() {
            return Err(bad(data.bad(r, if x.is_finite() { b } else { a }, "is not a coordinate")));
        }
    }
    if ids.is_empty() {
        return Err(bad("no locations: the table has no rows".into()));
    }
    if population.iter().sum::<f64>() <= 0.0 {
        return Err(bad(format!("column {}: the population at risk sums to 0", request.population)));
    }
    if cases.iter().sum::<f64>() <= 0.0 {
        return Err(bad(format!("column {}: no cases to scan", request.cases)));
    }
    let found = scan_locations(
        &ids,
        &cases,
        &population,
        &xs,
        &ys,
        distance,
        request.max_population,
        request.replicates,
        request.seed,
    );
    let total: f64 = cases.iter().sum();
    let settings = serde_json::json!({
        "model": "discrete Poisson, purely spatial, circular windows, high rates",
        "locations": ids.len(),
        "total_cases": total,
        "total_population": population.iter().sum::<f64>(),
        "coordinates": if distance == Distance::Cartesian { "cartesian" } else { "latitude/longitude (km, Earth radius 6367)" },
        "max_population": request.max_population,
        "min_cases": 2,
        "secondary_clusters": "no geographical overlap",
        "replicates": request.replicates,
        "seed": request.seed,
    });
    Ok(ScanResult { clusters: found, settings, places: Vec::new() })
}

/// The clusters of locations `ids` with their cases, population at risk (or expected counts)
/// and coordinates, with Monte Carlo p-values from `replicates` seeded replicates.
#[allow(clippy::too_many_arguments)]
fn scan_locations(
    ids: &[String],
    cases: &[f64],
    population: &[f64],
    xs: &[f64],
    ys: &[f64],
    distance: Distance,
    max_population: f64,
    replicates: usize,
    seed: u64,
) -> Vec<Cluster> {
    let locations: Vec<Location> =
        (0..ids.len()).map(|i| Location { cases: cases[i], population: population[i], x: xs[i], y: ys[i] }).collect();
    let settings = Settings { max_population_share: max_population, distance, min_cases: 2.0 };
    let found = clusters(&locations, &settings);
    let total: f64 = cases.iter().sum();
    let simulated = if replicates > 0 {
        let windows = Windows::new(&locations, &settings);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        simulate(&windows, total as u64, replicates, || rng.random::<f64>())
    } else {
        Vec::new()
    };
    found
        .iter()
        .enumerate()
        .map(|(k, w)| Cluster {
            rank: k + 1,
            centre: ids[w.centre].clone(),
            members: w.members.iter().map(|&i| ids[i].clone()).collect(),
            radius: w.radius,
            population: w.population,
            observed: w.observed,
            expected: w.expected,
            relative_risk: w.relative_risk(total),
            llr: w.llr,
            p_value: (!simulated.is_empty()).then(|| rank_p_value(w.llr, &simulated)),
            withheld: None,
        })
        .collect()
}

/// The places a warehouse scan counts cases in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Communes of residence (the registry's `Geo_Code` when it codes the commune), at their
    /// centroids.
    Commune,
    /// Départements of residence, at the population-weighted mean of their communes' centroids.
    Departement,
}

/// A scan of the warehouse's incidence cases.
#[derive(Debug, Clone, Copy)]
pub struct WarehouseScan<'a> {
    /// Communes or départements.
    pub unit: Unit,
    /// Only this site group.
    pub site_group: Option<&'a str>,
    /// Only this sex (`male`, `female`).
    pub sex: Option<&'a str>,
    /// Only cases diagnosed in these years (and their population).
    pub years: Option<Years>,
    /// The largest share of the expected cases a window may hold.
    pub max_population: f64,
    /// Monte Carlo replicates (0: no p-values).
    pub replicates: usize,
    /// The replicates' seed.
    pub seed: u64,
    /// The frequency rule: a cluster of 1 to `min_persons − 1` cases is reported without its
    /// counts, risk and LLR (0: no rule).
    pub min_persons: u64,
}

/// Scans the cases incidence counts (the cohort of [`crate::cohort::incidence_cases`]) by
/// commune or département. The population at risk of a place is its expected count by
/// indirect standardisation: the scanned area's rates by sex and 5-year age group times the
/// place's person-years (a commune's are its département's times its share of the
/// département's population, `oncodata_coding::commune`) — SaTScan's covariate adjustment of the
/// Poisson model by expected counts.
pub async fn scan_warehouse(w: &Warehouse, request: &WarehouseScan<'_>) -> Result<ScanResult, AnalysisError> {
    if !(request.max_population > 0.0 && request.max_population <= 0.5) {
        return Err(crate::request(format!(
            "--max-population {}: expected a share above 0 and at most 0.5",
            request.max_population
        )));
    }
    let cases = residence_cases(w, request.site_group, request.sex, request.years).await?;
    let py = person_years(w, &[Stratifier::Area, Stratifier::Sex], request.years).await?;
    // Person-years by département, sex and age; rates by sex and age over the whole area.
    let mut years_of: BTreeMap<String, BTreeMap<(String, usize), f64>> = BTreeMap::new();
    let mut py_total: BTreeMap<(String, usize), f64> = BTreeMap::new();
    for (key, label, persons) in &py.by_group {
        if request.sex.is_some_and(|s| s != key[1]) {
            continue;
        }
        let age = AgeGroup::parse(label)
            .map_err(|_| crate::request(format!("population: age group '{label}' is not a 5-year group")))?
            .index();
        *years_of.entry(key[0].clone()).or_default().entry((key[1].clone(), age)).or_default() += persons;
        *py_total.entry((key[1].clone(), age)).or_default() += persons;
    }
    let mut case_total: BTreeMap<(String, usize), f64> = BTreeMap::new();
    for (_, _, sex, age, n) in &cases.counts {
        *case_total.entry((sex.clone(), *age)).or_default() += n;
    }
    let rate = |k: &(String, usize)| match (case_total.get(k), py_total.get(k)) {
        (Some(c), Some(p)) if *p > 0.0 => c / p,
        _ => 0.0,
    };
    let expected_of: BTreeMap<&str, f64> =
        years_of.iter().map(|(area, cells)| (area.as_str(), cells.iter().map(|(k, p)| p * rate(k)).sum())).collect();
    let mut left_out: BTreeMap<String, u64> = cases.excluded.iter().cloned().collect();
    let (mut ids, mut observed, mut expected, mut lat, mut lon) = (vec![], vec![], vec![], vec![], vec![]);
    match request.unit {
        Unit::Departement => {
            let mut by_area: BTreeMap<&str, f64> = BTreeMap::new();
            for (area, _, _, _, n) in &cases.counts {
                *by_area.entry(area.as_str()).or_default() += n;
            }
            for (area, e) in &expected_of {
                let places = commune::of_departement(area);
                let people: f64 = places.iter().map(|c| c.population).sum();
                if people <= 0.0 {
                    return Err(crate::request(format!(
                        "area '{area}' is not a French département: it has no coordinates"
                    )));
                }
                ids.push(area.to_string());
                observed.push(by_area.get(area).copied().unwrap_or(0.0));
                expected.push(*e);
                lat.push(places.iter().map(|c| c.latitude * c.population).sum::<f64>() / people);
                lon.push(places.iter().map(|c| c.longitude * c.population).sum::<f64>() / people);
            }
            for (area, _, _, _, n) in &cases.counts {
                if !expected_of.contains_key(area.as_str()) {
                    *left_out.entry("area without population".into()).or_default() += *n as u64;
                }
            }
        }
        Unit::Commune => {
            let mut by_commune: BTreeMap<&str, f64> = BTreeMap::new();
            for (area, place, _, _, n) in &cases.counts {
                let why = match place.as_deref().map(|p| (p, commune::commune(p))) {
                    None => Some("commune of residence unknown (coded to the département only)"),
                    Some((_, None)) => Some("commune not in the Code officiel géographique 2026"),
                    Some((_, Some(c))) if c.departement != area => Some("commune outside its département"),
                    Some((_, Some(_))) if !expected_of.contains_key(area.as_str()) => Some("area without population"),
                    Some((p, Some(_))) => {
                        *by_commune.entry(p).or_default() += n;
                        None
                    }
                };
                if let Some(why) = why {
                    *left_out.entry(why.into()).or_default() += *n as u64;
                }
            }
            for (area, e) in &expected_of {
                let places = commune::of_departement(area);
                let people: f64 = places.iter().map(|c| c.population).sum();
                for c in places.iter().filter(|c| c.population > 0.0) {
                    ids.push(c.code.to_string());
                    observed.push(by_commune.get(c.code).copied().unwrap_or(0.0));
                    expected.push(e * c.population / people);
                    lat.push(c.latitude);
                    lon.push(c.longitude);
                }
            }
        }
    }
    let total: f64 = observed.iter().sum();
    if ids.is_empty() || expected.iter().sum::<f64>() <= 0.0 {
        return Err(crate::request("nothing to scan: the warehouse has no population for the cases' areas"));
    }
    if total <= 0.0 {
        return Err(crate::request("no cases to scan for this selection"));
    }
    let mut clusters = scan_locations(
        &ids,
        &observed,
        &expected,
        &lat,
        &lon,
        Distance::GreatCircle,
        request.max_population,
        request.replicates,
        request.seed,
    );
    for c in &mut clusters {
        if c.observed > 0.0 && (c.observed as u64) < request.min_persons {
            c.withheld = Some(format!("fewer than {} cases: counts, risk and LLR withheld", request.min_persons));
            c.observed = f64::NAN;
            c.expected = f64::NAN;
            c.relative_risk = f64::NAN;
            c.llr = f64::NAN;
            c.population = f64::NAN;
        }
    }
    let settings = serde_json::json!({
        "model": "discrete Poisson, purely spatial, circular windows, high rates; expected counts by indirect standardisation on sex and 5-year age group",
        "unit": match request.unit { Unit::Commune => "commune", Unit::Departement => "departement" },
        "site_group": request.site_group,
        "sex": request.sex,
        "years": request.years.map(|(a, b)| format!("{a}-{b}")),
        "counted": cases.unit.label(),
        "locations": ids.len(),
        "total_cases": total,
        "left_out": left_out,
        "coordinates": "latitude/longitude (km, Earth radius 6367)",
        "max_population": request.max_population,
        "min_cases": 2,
        "secondary_clusters": "no geographical overlap",
        "replicates": request.replicates,
        "seed": request.seed,
    });
    let places = ids.iter().zip(lat.iter().zip(&lon)).map(|(id, (a, b))| (id.clone(), *a, *b)).collect();
    Ok(ScanResult { clusters, settings, places })
}
