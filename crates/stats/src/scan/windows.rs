//! The circular windows: for each centre its neighbours in distance order, up to the population
//! limit (and the radius limit), stored flat as 32-bit indices; the best window of each centre.

use super::{Distance, EARTH_RADIUS_KM, Location, Peak, Rates, Settings, Window, poisson_llr, poisson_llr_low};
use crate::parallel::{in_parallel, in_parallel_with};

/// The windows of each centre: its neighbours in distance order (ties by location order), as
/// many as fit within the maximum population (and radius).
pub struct Windows {
    /// The neighbours of centres `k·CHUNK..(k+1)·CHUNK`, nearest first, one centre after the
    /// other (built in parallel, kept as built).
    parts: Vec<Vec<u32>>,
    /// Each centre's neighbours in its part: `parts[centre / CHUNK][start..end]`.
    spans: Vec<(usize, usize)>,
    coordinates: Vec<(f64, f64)>,
    distance: Distance,
    pub(crate) populations: Vec<f64>,
    pub(crate) total_population: f64,
    pub(crate) min_cases: f64,
    pub(crate) rates: Rates,
}

/// Centres per part of the windows (and per task when they are built).
const CHUNK: usize = 64;

/// A location's coordinates for ordering by distance: (x, y, 0) as given, or the point on the
/// unit sphere for latitude and longitude (the chord grows with the great-circle distance).
fn ordering_point(l: &Location, kind: Distance) -> [f64; 3] {
    match kind {
        Distance::Cartesian => [l.x, l.y, 0.0],
        Distance::GreatCircle => {
            let (lat, lon) = (l.x.to_radians(), l.y.to_radians());
            [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
        }
    }
}

/// The distance between two coordinate pairs: Euclidean, or great-circle in km (haversine).
pub(crate) fn distance_between(a: (f64, f64), b: (f64, f64), kind: Distance) -> f64 {
    match kind {
        Distance::Cartesian => (a.0 - b.0).hypot(a.1 - b.1),
        Distance::GreatCircle => {
            let (la, lb) = (a.0.to_radians(), b.0.to_radians());
            let dlat = lb - la;
            let dlon = (b.1 - a.1).to_radians();
            let h = (dlat / 2.0).sin().powi(2) + la.cos() * lb.cos() * (dlon / 2.0).sin().powi(2);
            2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
        }
    }
}

/// Sorts into `idx`, by `keys[idx]` then by index, the locations nearer than the one where the
/// population limit is passed: a first pass sums the populations by the keys' leading 12 bits
/// (rounded to 32 bits; rounding keeps the order of non-negative numbers, ties aside) and drops
/// the locations beyond the bucket where the sum passes `limit`; a stable radix sort on the
/// rounded keys orders the rest, and runs of equal rounded keys are sorted exactly.
fn sort_by_key(
    keys: &[f64],
    populations: &[f64],
    limit: f64,
    idx: &mut Vec<u32>,
    scratch: &mut Vec<(u32, u32)>,
    other: &mut Vec<(u32, u32)>,
) {
    let mut by_bucket = vec![0.0; 1 << 12];
    for (k, p) in keys.iter().zip(populations) {
        by_bucket[((*k as f32).to_bits() >> 20) as usize] += p;
    }
    let mut sum = 0.0;
    let last = by_bucket
        .iter()
        .position(|p| {
            sum += p;
            sum > limit
        })
        .unwrap_or(by_bucket.len() - 1) as u32;
    scratch.clear();
    scratch.extend(
        keys.iter().enumerate().map(|(i, &k)| ((k as f32).to_bits(), i as u32)).filter(|(k, _)| k >> 20 <= last),
    );
    const BITS: u32 = 11;
    const MASK: u32 = (1 << BITS) - 1;
    for shift in [0, BITS, 2 * BITS] {
        let mut counts = [0usize; (1 << BITS) + 1];
        for &(k, _) in scratch.iter() {
            counts[((k >> shift) & MASK) as usize + 1] += 1;
        }
        if counts.contains(&scratch.len()) {
            continue; // every key has the same digit here
        }
        for b in 1..counts.len() {
            counts[b] += counts[b - 1];
        }
        other.clear();
        other.resize(scratch.len(), (0, 0));
        for &(k, i) in scratch.iter() {
            let b = ((k >> shift) & MASK) as usize;
            other[counts[b]] = (k, i);
            counts[b] += 1;
        }
        std::mem::swap(scratch, other);
    }
    let mut start = 0;
    while start < scratch.len() {
        let mut end = start + 1;
        while end < scratch.len() && scratch[end].0 == scratch[start].0 {
            end += 1;
        }
        if end - start > 1 {
            scratch[start..end].sort_by(|a, b| keys[a.1 as usize].total_cmp(&keys[b.1 as usize]).then(a.1.cmp(&b.1)));
        }
        start = end;
    }
    idx.clear();
    idx.extend(scratch.iter().map(|&(_, i)| i));
}

impl Windows {
    /// The windows of `locations` under `settings`, built on every core.
    pub fn new(locations: &[Location], settings: &Settings) -> Self {
        let total_population: f64 = locations.iter().map(|l| l.population).sum();
        let limit = settings.max_population_share * total_population;
        let points: Vec<[f64; 3]> = locations.iter().map(|l| ordering_point(l, settings.distance)).collect();
        let coordinates: Vec<(f64, f64)> = locations.iter().map(|l| (l.x, l.y)).collect();
        let populations: Vec<f64> = locations.iter().map(|l| l.population).collect();
        let n = locations.len();
        // Each thread's buffers: the keys, the sort's, and the part being built.
        let buffers = || (vec![0.0; n], Vec::new(), Vec::new(), Vec::new(), Vec::<u32>::new());
        let parts = in_parallel_with(n.div_ceil(CHUNK), buffers, |state, chunk| {
            let (keys, idx, scratch, other, order) = state;
            order.clear();
            let mut lengths = Vec::with_capacity(CHUNK);
            for centre in chunk * CHUNK..((chunk + 1) * CHUNK).min(n) {
                let c = points[centre];
                for (k, p) in keys.iter_mut().zip(&points) {
                    let (dx, dy, dz) = (p[0] - c[0], p[1] - c[1], p[2] - c[2]);
                    *k = dx * dx + dy * dy + dz * dz;
                }
                sort_by_key(keys, &populations, limit, idx, scratch, other);
                let mut population = 0.0;
                let before = order.len();
                for &i in idx.iter() {
                    population += locations[i as usize].population;
                    if population > limit {
                        break;
                    }
                    if let Some(r) = settings.max_radius
                        && distance_between(coordinates[centre], coordinates[i as usize], settings.distance) > r
                    {
                        break;
                    }
                    order.push(i);
                }
                lengths.push(order.len() - before);
            }
            (order.as_slice().to_vec(), lengths) // the part is kept: allocated once, to size
        });
        let mut spans = Vec::with_capacity(n);
        let mut kept = Vec::with_capacity(parts.len());
        for (part, lengths) in parts {
            let mut start = 0;
            for l in lengths {
                spans.push((start, start + l));
                start += l;
            }
            kept.push(part);
        }
        Windows {
            parts: kept,
            spans,
            coordinates,
            distance: settings.distance,
            populations,
            total_population,
            min_cases: settings.min_cases,
            rates: settings.rates,
        }
    }

    /// The number of centres (every location is one).
    pub fn centres(&self) -> usize {
        self.spans.len()
    }

    /// The neighbours of `centre`, nearest first, up to the limits: its largest window.
    pub fn members(&self, centre: usize) -> &[u32] {
        let (start, end) = self.spans[centre];
        &self.parts[centre / CHUNK][start..end]
    }

    /// The number of windows (neighbours summed over the centres).
    pub fn len(&self) -> usize {
        self.spans.iter().map(|(a, b)| b - a).sum()
    }

    /// Whether there is no window at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The distance between locations `a` and `b`.
    pub fn distance(&self, a: usize, b: usize) -> f64 {
        distance_between(self.coordinates[a], self.coordinates[b], self.distance)
    }

    /// The members of a peak's window.
    pub fn peak_members(&self, peak: &Peak) -> &[u32] {
        &self.members(peak.centre)[..peak.size]
    }

    /// The window of a peak, with its members, radius and population.
    pub fn window(&self, peak: &Peak) -> Window {
        let list = self.peak_members(peak);
        Window {
            centre: peak.centre,
            members: list.iter().map(|&i| i as usize).collect(),
            radius: self.distance(peak.centre, list[peak.size - 1] as usize),
            population: list.iter().map(|&i| self.populations[i as usize]).sum(),
            observed: peak.observed,
            expected: peak.expected,
            llr: peak.llr,
        }
    }

    /// The best window of each centre for the case counts `cases` (the largest LLR; `None` where
    /// no window has an LLR above 0), on every core.
    ///
    /// Only the windows where the LLR can peak are evaluated: for a given count c the high-rate
    /// LLR falls as the expected count grows (its derivative in E is `(C−c)/(C−E) − c/E < 0`
    /// when c > E), so its maximum over a centre's windows is at one that has just gained cases;
    /// the low-rate LLR rises with E, so its maximum is at the last window before one gains
    /// cases, or the largest.
    pub fn best_per_centre(&self, cases: &[f64]) -> Vec<Option<Peak>> {
        let total: f64 = cases.iter().sum();
        let n = self.centres();
        in_parallel(n.div_ceil(CHUNK), |chunk| {
            (chunk * CHUNK..((chunk + 1) * CHUNK).min(n))
                .map(|centre| {
                    let list = self.members(centre);
                    let (mut c, mut p) = (0.0, 0.0);
                    let mut best: Option<(usize, f64, f64, f64)> = None;
                    let mut consider = |k: usize, llr: f64, c: f64, e: f64| {
                        if llr > 0.0 && best.is_none_or(|b| llr > b.1) {
                            best = Some((k, llr, c, e));
                        }
                    };
                    for (k, &i) in list.iter().enumerate() {
                        let i = i as usize;
                        if cases[i] != 0.0 && k > 0 && self.rates != Rates::High {
                            let e = total * p / self.total_population;
                            consider(k - 1, poisson_llr_low(c, e, total), c, e);
                        }
                        c += cases[i];
                        p += self.populations[i];
                        if cases[i] != 0.0 && c >= self.min_cases && self.rates != Rates::Low {
                            let e = total * p / self.total_population;
                            consider(k, poisson_llr(c, e, total), c, e);
                        }
                    }
                    if !list.is_empty() && self.rates != Rates::High {
                        let e = total * p / self.total_population;
                        consider(list.len() - 1, poisson_llr_low(c, e, total), c, e);
                    }
                    best.map(|(k, llr, observed, expected)| Peak { centre, size: k + 1, observed, expected, llr })
                })
                .collect::<Vec<_>>()
        })
        .into_iter()
        .flatten()
        .collect()
    }

    /// The largest LLR of any window for the case counts `cases` (one replicate's statistic; see
    /// [`super::simulate`] for many at once).
    pub fn max_llr(&self, cases: &[f64]) -> f64 {
        self.best_per_centre(cases).into_iter().flatten().map(|p| p.llr).fold(0.0, f64::max)
    }
}
