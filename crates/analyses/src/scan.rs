//! The spatial scan of a table of locations (`oncodata scan --data FILE`): SaTScan's discrete
//! Poisson, purely spatial scan with circular windows ([`oncodata_stats::scan`]), the most likely
//! and secondary clusters (no geographical overlap) with Monte Carlo p-values from seeded
//! replicates (SaTScan's rank rule).

use oncodata_stats::scan::{Distance, Location, Settings, Windows, clusters, rank_p_value, simulate};
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::AnalysisError;
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
}

/// What a scan found, with its settings.
#[derive(Debug, Clone, Serialize)]
pub struct ScanResult {
    /// The clusters.
    pub clusters: Vec<Cluster>,
    /// The settings, as the output reports them.
    pub settings: serde_json::Value,
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
    let locations: Vec<Location> =
        (0..ids.len()).map(|i| Location { cases: cases[i], population: population[i], x: xs[i], y: ys[i] }).collect();
    let settings = Settings { max_population_share: request.max_population, distance, min_cases: 2.0 };
    let found = clusters(&locations, &settings);
    let total: f64 = cases.iter().sum();
    let simulated = if request.replicates > 0 {
        let windows = Windows::new(&locations, &settings);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(request.seed);
        simulate(&windows, total as u64, request.replicates, || rng.random::<f64>())
    } else {
        Vec::new()
    };
    let clusters = found
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
        })
        .collect();
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
    Ok(ScanResult { clusters, settings })
}
