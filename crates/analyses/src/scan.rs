//! The spatial scan of a table of locations (`oncodata scan --data FILE`, [`scan`]) or of the
//! warehouse's incidence cases by commune or département of residence ([`scan_warehouse`]):
//! SaTScan's discrete Poisson, purely spatial scan with circular windows
//! ([`oncodata_stats::scan`]), the most likely and secondary clusters (no geographical overlap)
//! with Monte Carlo p-values from seeded replicates (SaTScan's rank rule).

use std::collections::BTreeMap;

use oncodata_stats::scan::{
    Distance, Location, Overlap, Rates, Settings, SpaceTimeData, SpaceTimeModel, TimeWindows, Window, Windows,
    clusters_in, gumbel_p_value, rank_p_value, simulate, simulate_space_time, space_time_clusters,
};
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

/// The scan's own settings, for a table or the warehouse (SaTScan's "spatial window",
/// "analysis" and "inference" settings).
#[derive(Debug, Clone, Copy)]
pub struct Scanning {
    /// The largest share of the population a window may hold (0 to 0.5).
    pub max_population: f64,
    /// The largest radius a window may have (km for latitude/longitude), if any.
    pub max_radius: Option<f64>,
    /// High rates, low rates or both.
    pub rates: Rates,
    /// The criterion for reporting secondary clusters.
    pub secondary: Overlap,
    /// Monte Carlo replicates (0: no p-values).
    pub replicates: usize,
    /// The replicates' seed.
    pub seed: u64,
    /// Also give SaTScan's Gumbel approximation of each p-value.
    pub gumbel: bool,
}

impl Default for Scanning {
    /// SaTScan's defaults: windows up to half the population, high rates, no geographical
    /// overlap, 999 replicates.
    fn default() -> Self {
        Scanning {
            max_population: 0.5,
            max_radius: None,
            rates: Rates::High,
            secondary: Overlap::NoGeographicalOverlap,
            replicates: 999,
            seed: 1,
            gumbel: false,
        }
    }
}

impl Scanning {
    /// Checks the settings; the error names the option.
    fn check(&self) -> Result<(), AnalysisError> {
        if !(self.max_population > 0.0 && self.max_population <= 0.5) {
            return Err(crate::request(format!(
                "--max-population {}: expected a share above 0 and at most 0.5",
                self.max_population
            )));
        }
        if let Some(r) = self.max_radius.filter(|r| !(*r > 0.0 && r.is_finite())) {
            return Err(crate::request(format!("--max-radius {r}: expected a distance above 0")));
        }
        Ok(())
    }

    /// The statistics' settings for `distance`.
    fn settings(&self, distance: Distance) -> Settings {
        Settings {
            max_population_share: self.max_population,
            max_radius: self.max_radius,
            distance,
            rates: self.rates,
            overlap: self.secondary,
            ..Settings::default()
        }
    }

    /// The settings as the output reports them.
    fn describe(&self) -> serde_json::Value {
        serde_json::json!({
            "max_population": self.max_population,
            "max_radius": self.max_radius,
            "rates": match self.rates { Rates::High => "high", Rates::Low => "low", Rates::Both => "both" },
            "min_cases": 2,
            "secondary_clusters": overlap_label(self.secondary),
            "replicates": self.replicates,
            "seed": self.seed,
            "gumbel": self.gumbel,
        })
    }
}

/// SaTScan's name for a criterion for reporting secondary clusters.
pub fn overlap_label(overlap: Overlap) -> &'static str {
    match overlap {
        Overlap::NoGeographicalOverlap => "no geographical overlap",
        Overlap::NoCentresInOtherClusters => "no cluster centres in other clusters",
        Overlap::NoCentresInMoreLikely => "no cluster centres in more likely clusters",
        Overlap::NoCentresInLessLikely => "no cluster centres in less likely clusters",
        Overlap::NoPairsOfCentres => "no pairs of centres both in each other's clusters",
        Overlap::NoRestrictions => "no restrictions (the best window of each centre)",
    }
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
    /// The scan's settings.
    pub scanning: Scanning,
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
    /// SaTScan's Gumbel approximation of the p-value, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gumbel_p_value: Option<f64>,
    /// Why the counts are not shown (disclosure control), when they are not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withheld: Option<String>,
    /// The cylinder's years (`2018-2022`), for a space-time scan.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub years: Option<String>,
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
    request.scanning.check()?;
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
    let found = scan_locations(&ids, &cases, &population, &xs, &ys, distance, &request.scanning);
    let total: f64 = cases.iter().sum();
    let mut settings = serde_json::json!({
        "model": "discrete Poisson, purely spatial, circular windows",
        "locations": ids.len(),
        "total_cases": total,
        "total_population": population.iter().sum::<f64>(),
        "coordinates": if distance == Distance::Cartesian { "cartesian" } else { "latitude/longitude (km, Earth radius 6367)" },
    });
    merge(&mut settings, request.scanning.describe());
    Ok(ScanResult { clusters: found, settings, places: Vec::new() })
}

/// A member of a cluster on a map: where it is, its id, its cluster's rank and whether that
/// cluster is significant.
#[derive(Debug, Clone, PartialEq)]
pub struct MappedMember {
    /// The location's id (a commune or département code).
    pub id: String,
    /// Latitude (degrees).
    pub latitude: f64,
    /// Longitude (degrees).
    pub longitude: f64,
    /// The rank of its cluster (1: the most likely).
    pub rank: usize,
    /// Whether its cluster has p < 0.05.
    pub significant: bool,
}

impl ScanResult {
    /// What a map of a warehouse scan shows: the départements scanned (their outlines), and the
    /// members of the most likely cluster and of the significant secondary ones (the first five
    /// clusters without p-values).
    pub fn map(&self, unit: Unit) -> (Vec<String>, Vec<MappedMember>) {
        let at: std::collections::HashMap<&str, (f64, f64)> =
            self.places.iter().map(|(id, lat, lon)| (id.as_str(), (*lat, *lon))).collect();
        let mut departements: Vec<String> = self
            .places
            .iter()
            .map(|(id, _, _)| match unit {
                Unit::Commune => commune::split_residence(id).0.to_string(),
                Unit::Departement => id.clone(),
            })
            .collect();
        departements.sort();
        departements.dedup();
        let shown = self.clusters.iter().filter(|c| match c.p_value {
            Some(p) => c.rank == 1 || p < 0.05,
            None => c.rank <= 5,
        });
        let mut members = Vec::new();
        for c in shown {
            for m in &c.members {
                if let Some(&(latitude, longitude)) = at.get(m.as_str()) {
                    members.push(MappedMember {
                        id: m.clone(),
                        latitude,
                        longitude,
                        rank: c.rank,
                        significant: c.p_value.is_some_and(|p| p < 0.05),
                    });
                }
            }
        }
        (departements, members)
    }
}

/// Adds the fields of `more` (an object) to `settings` (an object).
fn merge(settings: &mut serde_json::Value, more: serde_json::Value) {
    if let (Some(a), serde_json::Value::Object(b)) = (settings.as_object_mut(), more) {
        a.extend(b);
    }
}

/// The clusters of locations `ids` with their cases, population at risk (or expected counts)
/// and coordinates, with Monte Carlo p-values from the seeded replicates `scanning` asks for.
fn scan_locations(
    ids: &[String],
    cases: &[f64],
    population: &[f64],
    xs: &[f64],
    ys: &[f64],
    distance: Distance,
    scanning: &Scanning,
) -> Vec<Cluster> {
    let locations: Vec<Location> =
        (0..ids.len()).map(|i| Location { cases: cases[i], population: population[i], x: xs[i], y: ys[i] }).collect();
    let settings = scanning.settings(distance);
    let windows = Windows::new(&locations, &settings);
    let found = clusters_in(&windows, cases, settings.overlap);
    let total: f64 = cases.iter().sum();
    let simulated = if scanning.replicates > 0 {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(scanning.seed);
        simulate(&windows, total as u64, scanning.replicates, || rng.random::<f64>())
    } else {
        Vec::new()
    };
    found.iter().enumerate().map(|(k, w)| cluster(k + 1, w, ids, total, &simulated, scanning, None)).collect()
}

/// The reported cluster of rank `rank` for window `w` (ids for its indices), with its p-values
/// among the replicates' maxima `simulated` (none without replicates) and its years, if any.
fn cluster(
    rank: usize,
    w: &Window,
    ids: &[String],
    total: f64,
    simulated: &[f64],
    scanning: &Scanning,
    years: Option<String>,
) -> Cluster {
    Cluster {
        rank,
        centre: ids[w.centre].clone(),
        members: w.members.iter().map(|&i| ids[i].clone()).collect(),
        radius: w.radius,
        population: w.population,
        observed: w.observed,
        expected: w.expected,
        relative_risk: w.relative_risk(total),
        llr: w.llr,
        p_value: (!simulated.is_empty()).then(|| rank_p_value(w.llr, simulated)),
        gumbel_p_value: if scanning.gumbel { gumbel_p_value(w.llr, simulated) } else { None },
        withheld: None,
        years,
    }
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

/// The space-time part of a warehouse scan: cylinders over years (Kulldorff et al. 1998, 2005).
#[derive(Debug, Clone, Copy)]
pub struct TimeScan {
    /// Poisson (expected cases from the population) or space-time permutation (case counts only).
    pub model: SpaceTimeModel,
    /// The longest interval, as a share of the years scanned (SaTScan's default: 0.5).
    pub max_share: f64,
    /// Only clusters still going on in the last year (prospective surveillance).
    pub prospective: bool,
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
    /// The scan's settings (the population is the expected cases).
    pub scanning: Scanning,
    /// The frequency rule: a cluster of 1 to `min_persons − 1` cases is reported without its
    /// counts, risk and LLR (0: no rule).
    pub min_persons: u64,
    /// Space-time cylinders instead of purely spatial circles.
    pub time: Option<TimeScan>,
    /// Only these départements (default: every area of the warehouse's population).
    pub areas: Option<&'a [String]>,
}

/// The most locations a warehouse scan takes: every centre keeps its neighbours up to the
/// population limit, 4 bytes each, so memory grows with the square of the locations (France's
/// 34,869 inhabited communes with windows up to half the population: 636 million neighbours,
/// 2.5 GB).
pub const MAX_LOCATIONS: usize = 40_000;

/// A place a warehouse scan counts cases in.
struct Place {
    id: String,
    area: String,
    share: f64,
    latitude: f64,
    longitude: f64,
}

/// Scans the cases incidence counts (the cohort of [`crate::cohort::incidence_cases`]) by
/// commune or département, purely spatially or (with `time`) in space-time cylinders over the
/// years. Under the Poisson model a place's expected cases (its "population at risk") come by
/// indirect standardisation: the scanned area's rates by sex and 5-year age group times the
/// place's person-years (a commune's are its département's times its share of the département's
/// population, `oncodata_coding::commune`) — SaTScan's covariate adjustment by expected counts;
/// under the space-time permutation model they are `C_place C_year / C`.
pub async fn scan_warehouse(w: &Warehouse, request: &WarehouseScan<'_>) -> Result<ScanResult, AnalysisError> {
    request.scanning.check()?;
    if request.time.is_some() && request.scanning.rates != Rates::High {
        return Err(crate::request("--rates: the space-time scans look for high rates only"));
    }
    if let Some(t) = request.time.filter(|t| !(t.max_share > 0.0 && t.max_share <= 0.9)) {
        return Err(crate::request(format!("--max-time {}: expected a share above 0 and at most 0.9", t.max_share)));
    }
    let cases = residence_cases(w, request.site_group, request.sex, request.years).await?;
    let py = person_years(w, &[Stratifier::Area, Stratifier::Sex, Stratifier::Year], request.years).await?;
    // Person-years by département, then (sex, age, year); totals by (sex, age) for the rates.
    let mut years_of: BTreeMap<String, BTreeMap<(String, usize, i32), f64>> = BTreeMap::new();
    let mut py_total: BTreeMap<(String, usize), f64> = BTreeMap::new();
    for (key, label, persons) in &py.by_group {
        if request.sex.is_some_and(|s| s != key[1]) {
            continue;
        }
        let age = AgeGroup::parse(label)
            .map_err(|_| crate::request(format!("population: age group '{label}' is not a 5-year group")))?
            .index();
        let year: i32 = key[2].parse().map_err(|_| crate::request(format!("population: year '{}'", key[2])))?;
        if request.areas.is_some_and(|a| !a.contains(&key[0])) {
            continue;
        }
        *years_of.entry(key[0].clone()).or_default().entry((key[1].clone(), age, year)).or_default() += persons;
        *py_total.entry((key[1].clone(), age)).or_default() += persons;
    }
    if let Some(missing) = request.areas.and_then(|a| a.iter().find(|a| !years_of.contains_key(a.as_str()))) {
        return Err(crate::request(format!(
            "--areas {missing}: the warehouse has no population for this area (the areas a registry covers)"
        )));
    }
    let mut periods: Vec<i32> = years_of.values().flat_map(|m| m.keys().map(|k| k.2)).collect();
    periods.sort_unstable();
    periods.dedup();
    let mut case_total: BTreeMap<(String, usize), f64> = BTreeMap::new();
    for (area, _, sex, age, _, n) in &cases.counts {
        if years_of.contains_key(area) {
            *case_total.entry((sex.clone(), *age)).or_default() += n;
        }
    }
    let rate = |sex: &str, age: usize| match (
        case_total.get(&(sex.to_string(), age)),
        py_total.get(&(sex.to_string(), age)),
    ) {
        (Some(c), Some(p)) if *p > 0.0 => c / p,
        _ => 0.0,
    };

    // The places and where each case goes.
    let mut places: Vec<Place> = Vec::new();
    for area in years_of.keys() {
        let communes = commune::of_departement(area);
        let people: f64 = communes.iter().map(|c| c.population).sum();
        if people <= 0.0 {
            return Err(crate::request(format!("area '{area}' is not a French département: it has no coordinates")));
        }
        match request.unit {
            Unit::Departement => places.push(Place {
                id: area.clone(),
                area: area.clone(),
                share: 1.0,
                latitude: communes.iter().map(|c| c.latitude * c.population).sum::<f64>() / people,
                longitude: communes.iter().map(|c| c.longitude * c.population).sum::<f64>() / people,
            }),
            Unit::Commune => places.extend(communes.iter().filter(|c| c.population > 0.0).map(|c| Place {
                id: c.code.to_string(),
                area: area.clone(),
                share: c.population / people,
                latitude: c.latitude,
                longitude: c.longitude,
            })),
        }
    }
    if places.len() > MAX_LOCATIONS {
        return Err(crate::request(format!(
            "{} locations: more than the {MAX_LOCATIONS} a scan takes (its windows grow with the square of the \
             locations); scan some départements (--areas 14,50) or by département (--by-departement)",
            places.len()
        )));
    }
    let index: std::collections::HashMap<&str, usize> =
        places.iter().enumerate().map(|(i, p)| (p.id.as_str(), i)).collect();
    let t = periods.len().max(1);
    let mut observed = vec![0.0; places.len() * t];
    let mut left_out: BTreeMap<String, u64> = cases.excluded.iter().cloned().collect();
    for (area, place, _, _, year, n) in &cases.counts {
        if request.areas.is_some_and(|a| !a.contains(area)) {
            *left_out.entry("outside the areas scanned".into()).or_default() += *n as u64;
            continue;
        }
        let at = match request.unit {
            Unit::Departement => index.get(area.as_str()).copied().ok_or("area without population"),
            Unit::Commune => match place.as_deref().map(|p| (p, commune::commune(p))) {
                None => Err("commune of residence unknown (coded to the département only)"),
                Some((_, None)) => Err("commune not in the Code officiel géographique 2026"),
                Some((_, Some(c))) if c.departement != area => Err("commune outside its département"),
                Some((p, Some(_))) => index.get(p).copied().ok_or("area without population"),
            },
        };
        let period = periods.binary_search(year).map_err(|_| "year without population");
        match (at, period) {
            (Ok(i), Ok(p)) => observed[i * t + p] += n,
            (Err(why), _) | (_, Err(why)) => *left_out.entry(why.into()).or_default() += *n as u64,
        }
    }
    let total: f64 = observed.iter().sum();
    let expected: Vec<f64> = match request.time.map(|t| t.model) {
        Some(SpaceTimeModel::Permutation) => {
            let by_place: Vec<f64> = observed.chunks(t).map(|c| c.iter().sum()).collect();
            let by_period: Vec<f64> = (0..t).map(|p| observed.iter().skip(p).step_by(t).sum()).collect();
            let mut e = vec![0.0; places.len() * t];
            for (i, ci) in by_place.iter().enumerate() {
                for (p, cp) in by_period.iter().enumerate() {
                    e[i * t + p] = if total > 0.0 { ci * cp / total } else { 0.0 };
                }
            }
            e
        }
        _ => {
            let mut e = vec![0.0; places.len() * t];
            for (i, place) in places.iter().enumerate() {
                for ((sex, age, year), persons) in &years_of[&place.area] {
                    if let Ok(p) = periods.binary_search(year) {
                        e[i * t + p] += place.share * persons * rate(sex, *age);
                    }
                }
            }
            e
        }
    };
    if places.is_empty() || expected.iter().sum::<f64>() <= 0.0 {
        return Err(crate::request("nothing to scan: the warehouse has no population for the cases' areas"));
    }
    if total <= 0.0 {
        return Err(crate::request("no cases to scan for this selection"));
    }
    let ids: Vec<String> = places.iter().map(|p| p.id.clone()).collect();
    let (lat, lon): (Vec<f64>, Vec<f64>) = places.iter().map(|p| (p.latitude, p.longitude)).unzip();
    let mut clusters = match request.time {
        None => {
            let sum = |v: &[f64]| -> Vec<f64> { v.chunks(t).map(|c| c.iter().sum()).collect() };
            scan_locations(&ids, &sum(&observed), &sum(&expected), &lat, &lon, Distance::GreatCircle, &request.scanning)
        }
        Some(time) => {
            let data = SpaceTimeData { periods: t, cases: observed, expected };
            let windows_of = TimeWindows {
                max_periods: ((time.max_share * t as f64).floor() as usize).max(1),
                prospective: time.prospective,
            };
            let location_expected = data.location_expected();
            let locations: Vec<Location> = (0..ids.len())
                .map(|i| Location { cases: 0.0, population: location_expected[i], x: lat[i], y: lon[i] })
                .collect();
            let windows = Windows::new(&locations, &request.scanning.settings(Distance::GreatCircle));
            let found = space_time_clusters(&windows, &data, &windows_of, request.scanning.secondary);
            let simulated = if request.scanning.replicates > 0 {
                let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(request.scanning.seed);
                simulate_space_time(&windows, &data, &windows_of, time.model, request.scanning.replicates, || {
                    rng.random::<f64>()
                })
            } else {
                Vec::new()
            };
            found
                .iter()
                .enumerate()
                .map(|(k, c)| {
                    let years = format!("{}-{}", periods[c.first], periods[c.last]);
                    cluster(k + 1, &c.window, &ids, total, &simulated, &request.scanning, Some(years))
                })
                .collect()
        }
    };
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
    let model = match request.time {
        None => "discrete Poisson, purely spatial, circular windows; expected counts by indirect standardisation on sex and 5-year age group".to_string(),
        Some(t) => format!(
            "{}, cylinders (circles × up to {} % of the years{}), high rates",
            match t.model {
                SpaceTimeModel::Poisson => "space-time Poisson, expected counts by indirect standardisation on sex and 5-year age group",
                SpaceTimeModel::Permutation => "space-time permutation (expected C_place C_year / C)",
            },
            t.max_share * 100.0,
            if t.prospective { ", ending in the last year: prospective" } else { "" }
        ),
    };
    let mut settings = serde_json::json!({
        "model": model,
        "unit": match request.unit { Unit::Commune => "commune", Unit::Departement => "departement" },
        "areas": request.areas,
        "site_group": request.site_group,
        "sex": request.sex,
        "years": periods.first().zip(periods.last()).map(|(a, b)| format!("{a}-{b}")),
        "counted": cases.unit.label(),
        "locations": ids.len(),
        "total_cases": total,
        "left_out": left_out,
        "coordinates": "latitude/longitude (km, Earth radius 6367)",
    });
    merge(&mut settings, request.scanning.describe());
    let places = ids.iter().zip(lat.iter().zip(&lon)).map(|(id, (a, b))| (id.clone(), *a, *b)).collect();
    Ok(ScanResult { clusters, settings, places })
}
