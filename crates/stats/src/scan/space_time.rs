//! The space-time scans: circular windows crossed with intervals of periods (cylinders), under
//! the Poisson model (Kulldorff, Athas, Feuer, Miller & Key 1998, *Am J Public Health*
//! 88:1377) or the space-time permutation model (Kulldorff, Heffernan, Hartman, Assunção &
//! Mostashari 2005, *PLoS Med* 2:e59: expected counts `C_i C_t / C`), retrospective or
//! prospective (only cylinders that reach the last period), high rates.

use super::{Overlap, Peak, Window, Windows, poisson_llr, secondary};
use crate::parallel::in_parallel;

/// Cases and expected cases of every location by period (location-major: `i * periods + t`).
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
/// expected cases) and each admissible interval, the largest Poisson LLR (high rates), as the
/// circle's peak and the interval's first and last periods; on every core.
pub fn best_cylinders(
    windows: &Windows,
    data: &SpaceTimeData,
    time: &TimeWindows,
) -> Vec<Option<(Peak, usize, usize)>> {
    const CHUNK: usize = 64;
    let n = windows.centres();
    in_parallel(n.div_ceil(CHUNK), |chunk| {
        (chunk * CHUNK..((chunk + 1) * CHUNK).min(n))
            .map(|centre| centre_best(windows, data, time, centre, 0.0))
            .collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect()
}

/// The largest cylinder LLR of any centre (a replicate's statistic), on every core.
fn max_cylinder_llr(windows: &Windows, data: &SpaceTimeData, time: &TimeWindows) -> f64 {
    const CHUNK: usize = 256;
    let n = windows.centres();
    in_parallel(n.div_ceil(CHUNK), |chunk| {
        let mut best = 0.0_f64;
        for centre in chunk * CHUNK..((chunk + 1) * CHUNK).min(n) {
            if let Some((peak, _, _)) = centre_best(windows, data, time, centre, best) {
                best = peak.llr;
            }
        }
        best
    })
    .into_iter()
    .fold(0.0, f64::max)
}

/// The best cylinder of `centre` whose LLR is above `floor`, if any.
///
/// Only the cylinders where the LLR can peak are evaluated: for a given count the high-rate LLR
/// falls as the expected count grows, so a cylinder's maximum over the circles is at one whose
/// newest location has cases in the cylinder's interval; and of those, only the ones whose bound
/// `(c−E)²/2 · (1/E + 1/(C−c))` (`super::replicates`; with a relative margin of 1e-9 for
/// rounding) exceeds the best so far.
fn centre_best(
    windows: &Windows,
    data: &SpaceTimeData,
    time: &TimeWindows,
    centre: usize,
    floor: f64,
) -> Option<(Peak, usize, usize)> {
    let t = data.periods;
    let (total, scale) = data.scale();
    let list = windows.members(centre);
    let (mut c, mut e) = (vec![0.0; t], vec![0.0; t]);
    let mut best: Option<(usize, usize, usize, f64, f64, f64)> = None;
    let mut bar = floor;
    for (k, &i) in list.iter().enumerate() {
        let i = i as usize;
        let cells = &data.cases[i * t..(i + 1) * t];
        for p in 0..t {
            c[p] += cells[p];
            e[p] += data.expected[i * t + p] * scale;
        }
        if cells.iter().all(|&n| n == 0.0) {
            continue;
        }
        for last in (0..t).rev().take(if time.prospective { 1 } else { t }) {
            let (mut cs, mut es) = (0.0, 0.0);
            let mut gained = false;
            for first in (0..=last).rev().take(time.max_periods) {
                cs += c[first];
                es += e[first];
                gained |= cells[first] != 0.0;
                if !gained || cs < windows.min_cases || cs <= es {
                    continue;
                }
                let d = cs - es;
                let bound = if total > cs { d * d / 2.0 * (1.0 / es + 1.0 / (total - cs)) } else { f64::INFINITY };
                if bound * (1.0 + 1e-9) <= bar {
                    continue;
                }
                let llr = poisson_llr(cs, es, total);
                if llr > bar {
                    bar = llr;
                    best = Some((k, first, last, llr, cs, es));
                }
            }
        }
    }
    best.map(|(k, first, last, llr, observed, expected)| {
        (Peak { centre, size: k + 1, observed, expected, llr }, first, last)
    })
}

/// The most likely cylinder and the secondary ones that meet `overlap` against those reported
/// before, in decreasing LLR.
pub fn space_time_clusters(
    windows: &Windows,
    data: &SpaceTimeData,
    time: &TimeWindows,
    overlap: Overlap,
) -> Vec<Cylinder> {
    let candidates: Vec<(Peak, usize, usize)> = best_cylinders(windows, data, time).into_iter().flatten().collect();
    secondary(candidates, windows.centres(), overlap, |(p, _, _)| (p.centre, windows.peak_members(p), p.llr))
        .iter()
        .map(|(p, first, last)| Cylinder { window: windows.window(p), first: *first, last: *last })
        .collect()
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
            max_cylinder_llr(windows, &replicate, time)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SplitMix64;
    use crate::scan::{Distance, Location, Settings};

    /// Every cylinder of every centre evaluated, as the definition says: its best per centre.
    fn brute_force(
        windows: &Windows,
        data: &SpaceTimeData,
        time: &TimeWindows,
    ) -> Vec<Option<(usize, usize, usize, f64)>> {
        let t = data.periods;
        let (total, scale) = data.scale();
        (0..windows.centres())
            .map(|centre| {
                let (mut c, mut e) = (vec![0.0; t], vec![0.0; t]);
                let mut best: Option<(usize, usize, usize, f64)> = None;
                for (k, &i) in windows.members(centre).iter().enumerate() {
                    for p in 0..t {
                        c[p] += data.cases[i as usize * t + p];
                        e[p] += data.expected[i as usize * t + p] * scale;
                    }
                    for last in 0..t {
                        if time.prospective && last != t - 1 {
                            continue;
                        }
                        for first in last.saturating_sub(time.max_periods - 1)..=last {
                            let cs: f64 = c[first..=last].iter().sum();
                            let es: f64 = e[first..=last].iter().sum();
                            if cs < 2.0 {
                                continue;
                            }
                            let llr = poisson_llr(cs, es, total);
                            if llr > 0.0 && best.is_none_or(|b| llr > b.3 + 1e-12) {
                                best = Some((k + 1, first, last, llr));
                            }
                        }
                    }
                }
                best
            })
            .collect()
    }

    /// The pruned search (only cylinders that just gained cases, and whose bound beats the best
    /// so far) finds each centre's best cylinder and the replicates' maxima of the brute force.
    #[test]
    fn the_pruned_search_finds_the_brute_force_best() {
        let mut rng = SplitMix64::new(11);
        let n = 60;
        let locations: Vec<Location> =
            (0..n).map(|_| Location { cases: 0.0, population: 1.0, x: rng.uniform(), y: rng.uniform() }).collect();
        for (periods, prospective) in [(6, false), (6, true), (1, false)] {
            let expected: Vec<f64> = (0..n * periods).map(|_| 0.2 + 3.0 * rng.uniform()).collect();
            let cases: Vec<f64> = expected.iter().map(|e| (e * 2.0 * rng.uniform()).floor()).collect();
            let data = SpaceTimeData { periods, cases, expected };
            let location_expected = data.location_expected();
            let placed: Vec<Location> = locations
                .iter()
                .zip(&location_expected)
                .map(|(l, e)| Location { population: *e, ..l.clone() })
                .collect();
            let windows = Windows::new(&placed, &Settings { distance: Distance::Cartesian, ..Settings::default() });
            let time = TimeWindows { max_periods: periods.div_ceil(2), prospective };
            let fast = best_cylinders(&windows, &data, &time);
            let slow = brute_force(&windows, &data, &time);
            for (centre, (f, s)) in fast.iter().zip(&slow).enumerate() {
                match (f, s) {
                    (Some((peak, first, last)), Some((size, a, b, llr))) => {
                        assert!((peak.llr - llr).abs() < 1e-9, "centre {centre}: {} vs {llr}", peak.llr);
                        assert_eq!((peak.size, *first, *last), (*size, *a, *b), "centre {centre}");
                    }
                    (None, None) => {}
                    _ => panic!("centre {centre}: {f:?} vs {s:?}"),
                }
            }
            let max = slow.iter().flatten().map(|b| b.3).fold(0.0, f64::max);
            assert!((max_cylinder_llr(&windows, &data, &time) - max).abs() < 1e-9);
        }
    }
}
