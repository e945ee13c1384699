//! Kulldorff's spatial scan statistic, discrete Poisson model, purely spatial, circular windows
//! (Kulldorff 1997, "A spatial scan statistic", Communications in Statistics — Theory and
//! Methods 26:1481–1496; SaTScan User Guide v10, sections "Discrete Poisson model" and
//! "Secondary clusters"), as SaTScan computes it:
//!
//! - a window is a centre (one of the locations) and its nearest neighbours, added one at a time
//!   in distance order while the window's population stays within the maximum share of the
//!   population at risk;
//! - with C cases in all and a window of c observed and E = C·p/P expected (p its population, P
//!   the total), the log-likelihood ratio for high rates is
//!   `c·ln(c/E) + (C−c)·ln((C−c)/(C−E))` when c > E, 0 otherwise; windows with fewer than the
//!   minimum number of cases (SaTScan's default: 2) are not clusters;
//! - the most likely cluster is the window of largest LLR; secondary clusters are the best
//!   window of each other centre, in decreasing LLR, each reported if it shares no location with
//!   a cluster reported before ("no geographical overlap");
//! - the p-value is the rank of the observed LLR among the maximum LLRs of replicates drawn
//!   under the null hypothesis (the C cases spread over the locations in proportion to their
//!   populations, a multinomial draw): `(1 + #{simulated ≥ observed}) / (R + 1)`.
//!
//! Distances are Euclidean on the coordinates as given, or great-circle on latitude and
//! longitude in degrees with SaTScan's Earth radius of 6367 km.

/// SaTScan's Earth radius (km) for latitude/longitude coordinates.
pub const EARTH_RADIUS_KM: f64 = 6367.0;

/// One location: its cases, population and coordinates.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    /// Cases observed.
    pub cases: f64,
    /// Population at risk.
    pub population: f64,
    /// First coordinate (x, or latitude in degrees).
    pub x: f64,
    /// Second coordinate (y, or longitude in degrees).
    pub y: f64,
}

/// How distances are measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distance {
    /// Euclidean distance on (x, y) as given.
    Cartesian,
    /// Great-circle distance on (latitude, longitude) in degrees, in km.
    GreatCircle,
}

/// The scan's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// The largest share of the total population a window may hold (SaTScan's default 0.5).
    pub max_population_share: f64,
    /// The distance.
    pub distance: Distance,
    /// The fewest cases a cluster may have (SaTScan's default for high rates: 2).
    pub min_cases: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { max_population_share: 0.5, distance: Distance::Cartesian, min_cases: 2.0 }
    }
}

/// A window: its centre, members in distance order, radius, population, observed and expected
/// cases, and LLR.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// The centre (an index into the locations).
    pub centre: usize,
    /// The members (indices), nearest first.
    pub members: Vec<usize>,
    /// The distance from the centre to the farthest member.
    pub radius: f64,
    /// Population at risk.
    pub population: f64,
    /// Cases observed.
    pub observed: f64,
    /// Cases expected under the null hypothesis.
    pub expected: f64,
    /// The log-likelihood ratio.
    pub llr: f64,
}

impl Window {
    /// The relative risk: the rate inside over the rate outside, `(c/E) / ((C−c)/(C−E))`.
    pub fn relative_risk(&self, total_cases: f64) -> f64 {
        (self.observed / self.expected) / ((total_cases - self.observed) / (total_cases - self.expected))
    }
}

/// The Poisson log-likelihood ratio for high rates of a window of `c` observed and `e` expected
/// among `total` cases (module documentation); 0 when c ≤ e.
pub fn poisson_llr(c: f64, e: f64, total: f64) -> f64 {
    if c <= e {
        return 0.0;
    }
    let inside = c * (c / e).ln();
    let outside = if total - c > 0.0 { (total - c) * ((total - c) / (total - e)).ln() } else { 0.0 };
    inside + outside
}

fn distance(a: &Location, b: &Location, kind: Distance) -> f64 {
    match kind {
        Distance::Cartesian => (a.x - b.x).hypot(a.y - b.y),
        Distance::GreatCircle => {
            let (la, lb) = (a.x.to_radians(), b.x.to_radians());
            let dlat = lb - la;
            let dlon = (b.y - a.y).to_radians();
            let h = (dlat / 2.0).sin().powi(2) + la.cos() * lb.cos() * (dlon / 2.0).sin().powi(2);
            2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
        }
    }
}

/// The windows of each centre: its neighbours in distance order (ties by location order), as
/// many as fit within the maximum population, with their distances.
pub struct Windows {
    /// Per centre: (location, distance) nearest first, up to the population limit.
    pub neighbours: Vec<Vec<(usize, f64)>>,
    populations: Vec<f64>,
    total_population: f64,
    min_cases: f64,
}

impl Windows {
    /// The windows of `locations` under `settings`.
    pub fn new(locations: &[Location], settings: &Settings) -> Self {
        let total_population: f64 = locations.iter().map(|l| l.population).sum();
        let limit = settings.max_population_share * total_population;
        let neighbours = (0..locations.len())
            .map(|c| {
                let mut order: Vec<(usize, f64)> = locations
                    .iter()
                    .enumerate()
                    .map(|(i, l)| (i, distance(&locations[c], l, settings.distance)))
                    .collect();
                order.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
                let mut population = 0.0;
                let mut kept = Vec::new();
                for (i, d) in order {
                    population += locations[i].population;
                    if population > limit {
                        break;
                    }
                    kept.push((i, d));
                }
                kept
            })
            .collect();
        Windows {
            neighbours,
            populations: locations.iter().map(|l| l.population).collect(),
            total_population,
            min_cases: settings.min_cases,
        }
    }

    /// The best window of each centre for the case counts `cases` (the largest LLR; `None` where
    /// no window has an LLR above 0).
    pub fn best_per_centre(&self, cases: &[f64]) -> Vec<Option<Window>> {
        let total: f64 = cases.iter().sum();
        self.neighbours
            .iter()
            .enumerate()
            .map(|(centre, list)| {
                let (mut c, mut p) = (0.0, 0.0);
                let mut best: Option<(usize, f64, f64, f64)> = None;
                for (k, &(i, _)) in list.iter().enumerate() {
                    c += cases[i];
                    p += self.populations[i];
                    if c < self.min_cases {
                        continue;
                    }
                    let e = total * p / self.total_population;
                    let llr = poisson_llr(c, e, total);
                    if llr > 0.0 && best.is_none_or(|b| llr > b.1) {
                        best = Some((k, llr, c, e));
                    }
                }
                best.map(|(k, llr, observed, expected)| Window {
                    centre,
                    members: list[..=k].iter().map(|&(i, _)| i).collect(),
                    radius: list[k].1,
                    population: list[..=k].iter().map(|&(i, _)| self.populations[i]).sum(),
                    observed,
                    expected,
                    llr,
                })
            })
            .collect()
    }

    /// The largest LLR of any window for the case counts `cases` (a replicate's statistic).
    pub fn max_llr(&self, cases: &[f64]) -> f64 {
        let total: f64 = cases.iter().sum();
        let mut best = 0.0_f64;
        for list in &self.neighbours {
            let (mut c, mut p) = (0.0, 0.0);
            for &(i, _) in list {
                c += cases[i];
                p += self.populations[i];
                if c >= self.min_cases {
                    best = best.max(poisson_llr(c, total * p / self.total_population, total));
                }
            }
        }
        best
    }
}

/// The most likely cluster and the secondary clusters without geographical overlap, in
/// decreasing LLR (module documentation).
pub fn clusters(locations: &[Location], settings: &Settings) -> Vec<Window> {
    let windows = Windows::new(locations, settings);
    let cases: Vec<f64> = locations.iter().map(|l| l.cases).collect();
    let mut candidates: Vec<Window> = windows.best_per_centre(&cases).into_iter().flatten().collect();
    candidates.sort_by(|a, b| b.llr.total_cmp(&a.llr).then(a.centre.cmp(&b.centre)));
    let mut taken = vec![false; locations.len()];
    let mut reported = Vec::new();
    for w in candidates {
        if w.members.iter().any(|&i| taken[i]) {
            continue;
        }
        for &i in &w.members {
            taken[i] = true;
        }
        reported.push(w);
    }
    reported
}

/// SaTScan's rank p-value of an observed LLR among the replicates' maximum LLRs.
pub fn rank_p_value(llr: f64, simulated: &[f64]) -> f64 {
    let beaten = simulated.iter().filter(|&&s| s >= llr).count();
    (1 + beaten) as f64 / (simulated.len() + 1) as f64
}

/// The maximum LLR of each of `replicates` data sets drawn under the null hypothesis: the
/// total of the observed cases spread over the locations by a multinomial draw with
/// probabilities proportional to their populations, from the seeded generator `uniform`
/// (each call a uniform draw in [0, 1)).
pub fn simulate(windows: &Windows, total_cases: u64, replicates: usize, mut uniform: impl FnMut() -> f64) -> Vec<f64> {
    let mut cumulative = Vec::with_capacity(windows.populations.len());
    let mut sum = 0.0;
    for p in &windows.populations {
        sum += p / windows.total_population;
        cumulative.push(sum);
    }
    let mut cases = vec![0.0; windows.populations.len()];
    (0..replicates)
        .map(|_| {
            cases.iter_mut().for_each(|c| *c = 0.0);
            for _ in 0..total_cases {
                let u = uniform() * sum;
                let i = cumulative.partition_point(|&c| c <= u).min(cases.len() - 1);
                cases[i] += 1.0;
            }
            windows.max_llr(&cases)
        })
        .collect()
}

/// Cases and expected cases of every location by period (location-major: `i * periods + t`),
/// for the space-time scans (Kulldorff, Athas, Feuer, Miller & Key 1998, *Am J Public Health*
/// 88:1377: the Poisson model; Kulldorff, Heffernan, Hartman, Assunção & Mostashari 2005, *PLoS
/// Med* 2:e59: the space-time permutation model, whose expected counts are `C_i C_t / C`).
#[derive(Debug, Clone, PartialEq)]
pub struct SpaceTimeData {
    /// Number of periods (e.g. years).
    pub periods: usize,
    /// Cases per location and period.
    pub cases: Vec<f64>,
    /// Expected cases per location and period (any scale: rescaled to the total of cases).
    pub expected: Vec<f64>,
}

/// The temporal part of the cylinders.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeWindows {
    /// The longest interval, in periods.
    pub max_periods: usize,
    /// Prospective surveillance: only intervals that end with the last period ("alive" clusters).
    pub prospective: bool,
}

/// A space-time cylinder: a circular window over an interval of periods.
#[derive(Debug, Clone, PartialEq)]
pub struct Cylinder {
    /// The spatial window; its `population` is the expected cases of the cylinder's locations
    /// over all periods.
    pub window: Window,
    /// First period (index).
    pub first: usize,
    /// Last period (index).
    pub last: usize,
}

impl SpaceTimeData {
    fn scale(&self) -> (f64, f64) {
        let total: f64 = self.cases.iter().sum();
        let expected: f64 = self.expected.iter().sum();
        (total, if expected > 0.0 { total / expected } else { 0.0 })
    }

    /// The expected cases of every location over all periods (for the spatial windows' limit).
    pub fn location_expected(&self) -> Vec<f64> {
        self.expected.chunks(self.periods).map(|c| c.iter().sum()).collect()
    }
}

/// The best cylinder of each centre: for each circle of `windows` (built on the locations'
/// expected cases) and each admissible interval, the largest Poisson LLR (high rates).
pub fn best_cylinders(windows: &Windows, data: &SpaceTimeData, time: &TimeWindows) -> Vec<Option<Cylinder>> {
    let t = data.periods;
    let (total, scale) = data.scale();
    windows
        .neighbours
        .iter()
        .enumerate()
        .map(|(centre, list)| {
            let (mut c, mut e) = (vec![0.0; t], vec![0.0; t]);
            let mut best: Option<(usize, usize, usize, f64, f64, f64)> = None;
            for (k, &(i, _)) in list.iter().enumerate() {
                for p in 0..t {
                    c[p] += data.cases[i * t + p];
                    e[p] += data.expected[i * t + p] * scale;
                }
                for last in (0..t).rev().take(if time.prospective { 1 } else { t }) {
                    let (mut cs, mut es) = (0.0, 0.0);
                    for first in (0..=last).rev().take(time.max_periods) {
                        cs += c[first];
                        es += e[first];
                        if cs < windows.min_cases {
                            continue;
                        }
                        let llr = poisson_llr(cs, es, total);
                        if llr > 0.0 && best.is_none_or(|b| llr > b.3) {
                            best = Some((k, first, last, llr, cs, es));
                        }
                    }
                }
            }
            best.map(|(k, first, last, llr, observed, expected)| Cylinder {
                window: Window {
                    centre,
                    members: list[..=k].iter().map(|&(i, _)| i).collect(),
                    radius: list[k].1,
                    population: list[..=k].iter().map(|&(i, _)| windows.populations[i]).sum(),
                    observed,
                    expected,
                    llr,
                },
                first,
                last,
            })
        })
        .collect()
}

/// The most likely cylinder and the secondary ones sharing no location with one reported
/// before, in decreasing LLR (SaTScan's default: no geographical overlap).
pub fn space_time_clusters(windows: &Windows, data: &SpaceTimeData, time: &TimeWindows) -> Vec<Cylinder> {
    let mut candidates: Vec<Cylinder> = best_cylinders(windows, data, time).into_iter().flatten().collect();
    candidates.sort_by(|a, b| b.window.llr.total_cmp(&a.window.llr).then(a.window.centre.cmp(&b.window.centre)));
    let mut taken = vec![false; windows.neighbours.len()];
    let mut reported = Vec::new();
    for c in candidates {
        if c.window.members.iter().any(|&i| taken[i]) {
            continue;
        }
        for &i in &c.window.members {
            taken[i] = true;
        }
        reported.push(c);
    }
    reported
}

/// The null hypothesis a space-time replicate is drawn under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpaceTimeModel {
    /// Poisson: the cases spread over locations and periods in proportion to the expected cases.
    Poisson,
    /// Space-time permutation: the cases keep their locations and their periods are permuted,
    /// which keeps both margins (the expected cases must then be `C_i C_t / C`).
    Permutation,
}

/// The maximum cylinder LLR of each of `replicates` data sets drawn under `model`, from the
/// seeded generator `uniform`.
pub fn simulate_space_time(
    windows: &Windows,
    data: &SpaceTimeData,
    time: &TimeWindows,
    model: SpaceTimeModel,
    replicates: usize,
    mut uniform: impl FnMut() -> f64,
) -> Vec<f64> {
    let t = data.periods;
    let cells = data.cases.len();
    let total = data.cases.iter().sum::<f64>() as u64;
    let mut cumulative = Vec::with_capacity(cells);
    let mut sum = 0.0;
    for e in &data.expected {
        sum += e;
        cumulative.push(sum);
    }
    // For the permutation: each case's location and period.
    let mut places = Vec::new();
    let mut periods = Vec::new();
    for (cell, &n) in data.cases.iter().enumerate() {
        for _ in 0..n as u64 {
            places.push(cell / t);
            periods.push(cell % t);
        }
    }
    let mut replicate = SpaceTimeData { periods: t, cases: vec![0.0; cells], expected: data.expected.clone() };
    (0..replicates)
        .map(|_| {
            replicate.cases.iter_mut().for_each(|c| *c = 0.0);
            match model {
                SpaceTimeModel::Poisson => {
                    for _ in 0..total {
                        let u = uniform() * sum;
                        let cell = cumulative.partition_point(|&c| c <= u).min(cells - 1);
                        replicate.cases[cell] += 1.0;
                    }
                }
                SpaceTimeModel::Permutation => {
                    for i in (1..periods.len()).rev() {
                        let j = ((uniform() * (i + 1) as f64) as usize).min(i);
                        periods.swap(i, j);
                    }
                    for (&place, &period) in places.iter().zip(&periods) {
                        replicate.cases[place * t + period] += 1.0;
                    }
                }
            }
            best_cylinders(windows, &replicate, time).into_iter().flatten().map(|c| c.window.llr).fold(0.0, f64::max)
        })
        .collect()
}
