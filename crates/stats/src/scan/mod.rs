//! Kulldorff's spatial scan statistic, discrete Poisson model, circular windows (Kulldorff 1997,
//! "A spatial scan statistic", Communications in Statistics — Theory and Methods 26:1481–1496;
//! SaTScan User Guide v10, sections "Discrete Poisson model", "Spatial window" and "Criteria for
//! reporting secondary clusters"), as SaTScan computes it:
//!
//! - a window is a centre (one of the locations) and its nearest neighbours, added one at a time
//!   in distance order while the window's population stays within the maximum share of the
//!   population at risk (and, if one is set, its radius within the maximum radius);
//! - with C cases in all and a window of c observed and E = C·p/P expected (p its population, P
//!   the total), the log-likelihood ratio is `c·ln(c/E) + (C−c)·ln((C−c)/(C−E))`, counted for
//!   high rates when c > E, for low rates when c < E, and 0 otherwise; windows with fewer than the
//!   minimum number of cases (SaTScan's default: 2) are not high-rate clusters;
//! - the most likely cluster is the window of largest LLR; secondary clusters are the best
//!   window of each other centre, in decreasing LLR, each reported if it meets the chosen
//!   criterion against the clusters reported before ([`Overlap`]; SaTScan's default: it shares
//!   no location with them);
//! - the p-value is the rank of the observed LLR among the maximum LLRs of replicates drawn
//!   under the null hypothesis (the C cases spread over the locations in proportion to their
//!   populations, a multinomial draw): `(1 + #{simulated ≥ observed}) / (R + 1)`; or SaTScan's
//!   Gumbel approximation ([`gumbel_p_value`]).
//!
//! Distances are Euclidean on the coordinates as given, or great-circle on latitude and
//! longitude in degrees with SaTScan's Earth radius of 6367 km.
//!
//! The space-time scans (cylinders) are in [`space_time`]; how replicates are computed fast
//! (only where a window gains cases, 128 replicates per pass, pruned by a bound) in
//! [`replicates`].

pub mod replicates;
pub mod space_time;
mod windows;

pub use replicates::simulate;
pub use space_time::{
    Cylinder, SpaceTimeData, SpaceTimeModel, TimeWindows, best_cylinders, simulate_space_time, space_time_clusters,
};
pub use windows::Windows;

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

/// Which clusters are sought (SaTScan's "scan for areas with").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rates {
    /// High rates: windows with more cases than expected.
    High,
    /// Low rates: windows with fewer cases than expected.
    Low,
    /// Both: either, by the same LLR.
    Both,
}

/// SaTScan's criteria for reporting secondary clusters, each judged against the clusters already
/// reported (which are all more likely).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlap {
    /// No geographical overlap: it shares no location with them (SaTScan's default).
    NoGeographicalOverlap,
    /// No cluster centres in other clusters: its centre is in none of them and none of their
    /// centres is in it.
    NoCentresInOtherClusters,
    /// No cluster centres in more likely clusters: its centre is in none of them.
    NoCentresInMoreLikely,
    /// No cluster centres in less likely clusters: none of their centres is in it.
    NoCentresInLessLikely,
    /// No pairs of centres both in each other's clusters: there is no reported cluster whose
    /// centre it contains while its own centre is in that cluster.
    NoPairsOfCentres,
    /// No restrictions: the best window of every centre.
    NoRestrictions,
}

/// The scan's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// The largest share of the total population a window may hold (SaTScan's default 0.5).
    pub max_population_share: f64,
    /// The largest radius a window may have, in the coordinates' unit (km for latitude and
    /// longitude); none by default.
    pub max_radius: Option<f64>,
    /// The distance.
    pub distance: Distance,
    /// The fewest cases a high-rate cluster may have (SaTScan's default: 2).
    pub min_cases: f64,
    /// High rates, low rates or both.
    pub rates: Rates,
    /// The criterion for reporting secondary clusters.
    pub overlap: Overlap,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_population_share: 0.5,
            max_radius: None,
            distance: Distance::Cartesian,
            min_cases: 2.0,
            rates: Rates::High,
            overlap: Overlap::NoGeographicalOverlap,
        }
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

/// The best window of a centre, before its members are listed: the centre, how many
/// neighbours it holds, its counts and LLR.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Peak {
    /// The centre (an index into the locations).
    pub centre: usize,
    /// The number of members (the centre's nearest neighbours).
    pub size: usize,
    /// Cases observed.
    pub observed: f64,
    /// Cases expected.
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

/// The Poisson log-likelihood ratio for low rates (module documentation); 0 when c ≥ e.
pub fn poisson_llr_low(c: f64, e: f64, total: f64) -> f64 {
    if c >= e {
        return 0.0;
    }
    let inside = if c > 0.0 { c * (c / e).ln() } else { 0.0 };
    inside + (total - c) * ((total - c) / (total - e)).ln()
}

/// The most likely cluster and the secondary clusters that meet `settings.overlap`, in
/// decreasing LLR (module documentation).
pub fn clusters(locations: &[Location], settings: &Settings) -> Vec<Window> {
    let windows = Windows::new(locations, settings);
    let cases: Vec<f64> = locations.iter().map(|l| l.cases).collect();
    clusters_in(&windows, &cases, settings.overlap)
}

/// The clusters of the case counts `cases` in windows already built, secondary clusters by
/// `overlap`.
pub fn clusters_in(windows: &Windows, cases: &[f64], overlap: Overlap) -> Vec<Window> {
    let candidates: Vec<Peak> = windows.best_per_centre(cases).into_iter().flatten().collect();
    secondary(candidates, windows.centres(), overlap, |p| (p.centre, windows.peak_members(p), p.llr))
        .iter()
        .map(|p| windows.window(p))
        .collect()
}

/// Orders `candidates` (one per centre) by decreasing LLR (ties: the lower centre first) and keeps
/// those that meet `overlap` against the ones kept before; `view` gives a candidate's centre,
/// members and LLR.
pub(crate) fn secondary<'w, T>(
    mut candidates: Vec<T>,
    locations: usize,
    overlap: Overlap,
    view: impl Fn(&T) -> (usize, &'w [u32], f64),
) -> Vec<T> {
    candidates.sort_by(|a, b| {
        let (ca, _, la) = view(a);
        let (cb, _, lb) = view(b);
        lb.total_cmp(&la).then(ca.cmp(&cb))
    });
    // Which reported cluster holds each location; each reported cluster's centre.
    let mut held_by: Vec<Vec<usize>> = vec![Vec::new(); locations];
    let mut centres: Vec<usize> = Vec::new();
    let mut reported = Vec::new();
    for w in candidates {
        let (centre, members, _) = view(&w);
        let centre_in_reported = !held_by[centre].is_empty();
        let contains_reported_centre = || members.iter().any(|&i| centres.contains(&(i as usize)));
        let keep = match overlap {
            Overlap::NoGeographicalOverlap => members.iter().all(|&i| held_by[i as usize].is_empty()),
            Overlap::NoCentresInOtherClusters => !centre_in_reported && !contains_reported_centre(),
            Overlap::NoCentresInMoreLikely => !centre_in_reported,
            Overlap::NoCentresInLessLikely => !contains_reported_centre(),
            Overlap::NoPairsOfCentres => !held_by[centre].iter().any(|&k| members.contains(&(centres[k] as u32))),
            Overlap::NoRestrictions => true,
        };
        if !keep {
            continue;
        }
        let k = centres.len();
        for &i in members {
            held_by[i as usize].push(k);
        }
        centres.push(centre);
        reported.push(w);
    }
    reported
}

/// SaTScan's rank p-value of an observed LLR among the replicates' maximum LLRs.
pub fn rank_p_value(llr: f64, simulated: &[f64]) -> f64 {
    let beaten = simulated.iter().filter(|&&s| s >= llr).count();
    (1 + beaten) as f64 / (simulated.len() + 1) as f64
}

/// SaTScan's Gumbel approximation of the p-value (SaTScan User Guide v10, "Gumbel
/// approximation"; Abrams, Kleinman & Kulldorff 2010, *Stat Med* 29:1065): a Gumbel
/// distribution fitted to the replicates' maximum LLRs by the method of moments (scale
/// `β = s·√6/π`, location `μ = mean − γβ`, γ Euler's constant, s the standard deviation with
/// divisor R, as SaTScan computes it) gives `p = 1 − exp(−exp(−(llr − μ)/β))`, which can go
/// below 1/(R+1). `None` with fewer than two replicates or when they do not vary.
pub fn gumbel_p_value(llr: f64, simulated: &[f64]) -> Option<f64> {
    let n = simulated.len();
    if n < 2 {
        return None;
    }
    let mean = simulated.iter().sum::<f64>() / n as f64;
    let variance = simulated.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / n as f64;
    if variance <= 0.0 {
        return None;
    }
    const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;
    let beta = variance.sqrt() * 6f64.sqrt() / std::f64::consts::PI;
    let mu = mean - EULER_GAMMA * beta;
    // 1 − exp(−x) computed as −expm1(−x), exact for the small p-values it is used for.
    Some(-(-(-(llr - mu) / beta).exp()).exp_m1())
}
