//! The Monte Carlo replicates of the purely spatial scan, fast: each replicate's maximum LLR is
//! exactly what [`Windows::max_llr`] gives, computed for 128 replicates in one pass over the
//! windows, on every core, evaluating only the windows that could beat the replicate's best so
//! far.
//!
//! - **Where the LLR can peak.** For a count c the high-rate LLR falls as the expected count E
//!   grows, so only windows that have just gained cases can hold a centre's maximum; the
//!   low-rate LLR rises with E, so only the last window before a gain (or the largest) can
//!   ([`Windows::best_per_centre`]).
//! - **High rates (the usual scan): a bound, vectorised.** The 128 replicates' counts of every
//!   location are laid out side by side; each step through a centre's neighbours adds them to
//!   the replicates' counts and tests, for all of them at once with the processor's widest
//!   vectors, a bound on the LLR against each replicate's best (`dense_pass`). Only the windows
//!   that pass are evaluated exactly.
//! - **Low rates, both, or 2^16 cases and more: thresholds.** For a replicate whose best LLR so
//!   far is M, a window with count c can beat M only if its E is beyond `e*(c, M)`, the root of
//!   `LLR(c, E) = M` (the LLR is convex and monotone in E on each side of c). Each replicate
//!   keeps a table of these roots by c; a window is evaluated only when its E passes its count's
//!   entry. The entries are computed for an older, smaller M and so are conservative; an entry
//!   is recomputed (Newton's method, with a relative margin of 1e-7, checked) when it lets
//!   through a window that does not beat M. The counts are kept without the zeros, with a bit
//!   mask of the replicates that have cases at each location, so the walk skips the locations
//!   where none of them has a case.
//!
//! Nothing that beats a replicate's best is ever skipped, so the maxima are exact.

use std::sync::Mutex;
use std::sync::mpsc::{channel, sync_channel};

use super::{Rates, Windows, poisson_llr, poisson_llr_low};
use crate::parallel::threads;

/// Replicates computed in one pass.
pub const LANES: usize = 128;

/// The most cases for which threshold tables are kept (two tables of `LANES × (C + 1)` numbers
/// per thread; 128 MB at this limit); beyond it every window that gains cases is evaluated.
const MAX_TABLE_CASES: u64 = 250_000;

/// Up to [`LANES`] replicates' case counts, by location.
struct Batch {
    counts: Counts,
    /// How many lanes are replicates.
    lanes: usize,
}

/// How a batch's counts are laid out.
enum Counts {
    /// Every lane of every location (high rates with fewer than 65,536 cases: the vectorised
    /// pass).
    Dense(Vec<[u16; LANES]>),
    /// Only the non-zero counts (the general pass).
    Sparse {
        /// Per location: bit `lane` is set when replicate `lane` has cases there; where those
        /// counts start in `counts`.
        cells: Vec<(u128, u32)>,
        /// The non-zero counts, location after location, in lane order.
        counts: Vec<u32>,
    },
}

/// The maximum LLR of each of `replicates` data sets drawn under the null hypothesis: the
/// total of the observed cases spread over the locations by a multinomial draw with
/// probabilities proportional to their populations, from the seeded generator `uniform`
/// (each call a uniform draw in [0, 1); replicate after replicate, case after case). The draws
/// are made in order on the calling thread; the maxima on every core.
pub fn simulate(windows: &Windows, total_cases: u64, replicates: usize, mut uniform: impl FnMut() -> f64) -> Vec<f64> {
    let n = windows.populations.len();
    let mut cumulative = Vec::with_capacity(n);
    let mut sum = 0.0;
    for p in &windows.populations {
        sum += p / windows.total_population;
        cumulative.push(sum);
    }
    let batches = replicates.div_ceil(LANES);
    let vectorised = windows.rates == Rates::High && total_cases < u16::MAX as u64;
    let mut maxima = vec![0.0; replicates];
    let (to_workers, jobs) = sync_channel::<(usize, Batch)>(threads());
    let jobs = Mutex::new(jobs);
    std::thread::scope(|s| {
        let (to_caller, results) = channel::<(usize, [f64; LANES])>();
        for _ in 0..threads() {
            let (jobs, to_caller) = (&jobs, to_caller.clone());
            s.spawn(move || {
                let mut tables = Thresholds::new(total_cases, windows.min_cases);
                loop {
                    let job = jobs.lock().expect("the scan's job queue").recv();
                    let Ok((b, batch)) = job else { return };
                    let best = match &batch.counts {
                        Counts::Dense(rows) => windows.dense_maxima(rows, total_cases as f64),
                        Counts::Sparse { cells, counts } => {
                            windows.sparse_maxima(cells, counts, batch.lanes, total_cases as f64, &mut tables)
                        }
                    };
                    if to_caller.send((b, best)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(to_caller);
        let mut dense = vec![0u32; n * LANES];
        for b in 0..batches {
            let lanes = LANES.min(replicates - b * LANES);
            dense.iter_mut().for_each(|c| *c = 0);
            for lane in 0..lanes {
                for _ in 0..total_cases {
                    let u = uniform() * sum;
                    let i = cumulative.partition_point(|&c| c <= u).min(n - 1);
                    dense[i * LANES + lane] += 1;
                }
            }
            let counts = if vectorised {
                Counts::Dense(dense.chunks(LANES).map(|row| std::array::from_fn(|lane| row[lane] as u16)).collect())
            } else {
                let (mut cells, mut counts) = (Vec::with_capacity(n), Vec::new());
                for row in dense.chunks(LANES) {
                    let mut mask = 0u128;
                    let start = counts.len() as u32;
                    for (lane, &c) in row.iter().enumerate().filter(|(_, c)| **c > 0) {
                        mask |= 1 << lane;
                        counts.push(c);
                    }
                    cells.push((mask, start));
                }
                Counts::Sparse { cells, counts }
            };
            to_workers.send((b, Batch { counts, lanes })).expect("a scan worker stopped");
        }
        drop(to_workers);
        for (b, best) in results {
            let lanes = LANES.min(replicates - b * LANES);
            maxima[b * LANES..b * LANES + lanes].copy_from_slice(&best[..lanes]);
        }
    });
    maxima
}

/// Each lane's thresholds by count (module documentation), reset for each batch.
struct Thresholds {
    size: usize,
    /// High rates: evaluate a window of count c when its E is below `high[lane * size + c]`.
    high: Vec<f64>,
    /// Low rates: evaluate when E is above `low[lane * size + c]`.
    low: Vec<f64>,
    min_cases: f64,
}

impl Thresholds {
    fn new(total: u64, min_cases: f64) -> Self {
        let size = if total <= MAX_TABLE_CASES { total as usize + 1 } else { 0 };
        Thresholds { size, high: vec![0.0; LANES * size], low: vec![0.0; LANES * size], min_cases }
    }

    fn reset(&mut self) {
        for lane in 0..LANES {
            for c in 0..self.size {
                let x = c as f64;
                self.high[lane * self.size + c] = if x >= self.min_cases { x } else { -1.0 };
                self.low[lane * self.size + c] = x;
            }
        }
    }
}

/// A conservative threshold for high rates: a value at or above the E where the LLR of count
/// `c` equals `m`, from `from`, an E whose LLR does not exceed m (Newton's method on the convex,
/// decreasing LLR; `from` itself if it does not converge).
fn high_threshold(c: f64, m: f64, total: f64, from: f64) -> f64 {
    let mut e = from;
    for _ in 0..100 {
        let f = poisson_llr(c, e, total) - m;
        let slope = (total - c) / (total - e) - c / e;
        let mut next = e - f / slope;
        if next.is_nan() || next <= 0.0 {
            next = e / 2.0;
        } else if next >= c {
            next = (e + c) / 2.0;
        }
        if (next - e).abs() <= 1e-10 * e {
            let t = (next * (1.0 + 1e-7)).min(from);
            return if poisson_llr(c, t, total) <= m { t } else { from };
        }
        e = next;
    }
    from
}

/// A conservative threshold for low rates: a value at or below the E where the low-rate LLR of
/// count `c` equals `m`, from `from`, an E whose LLR does not exceed m.
fn low_threshold(c: f64, m: f64, total: f64, from: f64) -> f64 {
    let mut e = from;
    for _ in 0..100 {
        let f = poisson_llr_low(c, e, total) - m;
        let slope = (total - c) / (total - e) - if c > 0.0 { c / e } else { 0.0 };
        let mut next = e - f / slope;
        if next.is_nan() || next >= total {
            next = (e + total) / 2.0;
        } else if next <= c {
            next = (e + c) / 2.0;
        }
        if (next - e).abs() <= 1e-10 * e {
            let t = (next * (1.0 - 1e-7)).max(from);
            return if poisson_llr_low(c, t, total) <= m { t } else { from };
        }
        e = next;
    }
    from
}

/// The relative slack of the vectorised bound's test, far above its single-precision rounding.
const SLACK: f32 = 1e-3;

/// The vectorised pass over the windows for high rates, for all lanes of a batch at once, with
/// no branch but the rare one that evaluates a window. Each step adds the location's counts to
/// the lanes' and tests, in single precision, only for lanes that have just gained cases, a bound
/// on the LLR against each lane's best M:
///
/// - with `h(x) = x ln x − x + 1`, `LLR = E·h(c/E) + (C−E)·h((C−c)/(C−E))`; `h(x) ≤ (x−1)²/2`
///   for x ≥ 1 (h'' = 1/x ≤ 1) and `h(y) ≤ (1−y)²/(2y)` for 0 < y ≤ 1 (their difference is 0 at
///   1 and decreasing), so `LLR ≤ (c−E)²/2 · (1/E + 1/(C−c))`;
/// - while c ≤ 3C/4, `1/(C−c) ≤ 4/C`, so a window can beat M only if
///   `c − E ≥ √M · √(2EC/(C + 4E))`: one square root per lane and best, one per step;
/// - the test has a relative slack of [`SLACK`], far above its rounding; windows that pass are
///   evaluated exactly. A lane whose count passes 3C/4 in a centre's windows (under the null
///   hypothesis, only with very few cases) has that centre's windows evaluated exactly
///   afterwards.
#[inline(always)]
fn dense_pass(windows: &Windows, rows: &[[u16; LANES]], total: f64) -> [f64; LANES] {
    let mut best = [0.0_f64; LANES];
    let mut root = [0.0_f32; LANES]; // √(M·(1 − slack)), each lane's
    let scale = total / windows.total_population;
    let most = (0.75 * total) as u16;
    let total32 = total as f32;
    for centre in 0..windows.centres() {
        let list = windows.members(centre);
        let mut counts = [0u16; LANES];
        let mut p = 0.0;
        for (k, &i) in list.iter().enumerate() {
            if let Some(&ahead) = list.get(k + PREFETCH) {
                prefetch(&rows[ahead as usize]);
            }
            let i = i as usize;
            p += windows.populations[i];
            let row = &rows[i];
            let e = p * scale;
            let e32 = e as f32;
            let reach = (2.0 * e32 * total32 / (total32 + 4.0 * e32)).sqrt();
            let mut fire = 0u32;
            for lane in 0..LANES {
                counts[lane] += row[lane];
                let d = counts[lane] as f32 - e32;
                fire |= ((row[lane] != 0) & (d >= root[lane] * reach)) as u32;
            }
            if fire == 0 {
                continue;
            }
            let e = total * p / windows.total_population;
            for lane in 0..LANES {
                let c = counts[lane] as f64;
                if row[lane] != 0 && c >= windows.min_cases {
                    let llr = poisson_llr(c, e, total);
                    if llr > best[lane] {
                        best[lane] = llr;
                        root[lane] = (llr * (1.0 - SLACK as f64)).sqrt() as f32;
                    }
                }
            }
        }
        for lane in 0..LANES {
            if counts[lane] > most {
                let mut c = 0.0;
                let mut p = 0.0;
                for &i in list {
                    let i = i as usize;
                    p += windows.populations[i];
                    let n = rows[i][lane];
                    c += n as f64;
                    if n != 0 && c >= windows.min_cases {
                        let llr = poisson_llr(c, total * p / windows.total_population, total);
                        if llr > best[lane] {
                            best[lane] = llr;
                            root[lane] = (llr * (1.0 - SLACK as f64)).sqrt() as f32;
                        }
                    }
                }
            }
        }
    }
    best
}

/// How many steps ahead the vectorised pass asks for a location's counts.
const PREFETCH: usize = 8;

/// Asks the processor to bring `row` into its cache (the rows are read in an order the hardware
/// cannot guess: the centre's neighbours').
#[inline(always)]
fn prefetch(row: &[u16; LANES]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let at = row.as_ptr() as *const i8;
        // SAFETY: prefetching reads nothing and cannot fault; both addresses are in `row`.
        #[allow(unused_unsafe)]
        unsafe {
            for line in 0..LANES / 32 {
                _mm_prefetch::<_MM_HINT_T0>(at.add(64 * line));
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl")]
fn dense_pass_avx512(windows: &Windows, rows: &[[u16; LANES]], total: f64) -> [f64; LANES] {
    dense_pass(windows, rows, total)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn dense_pass_avx2(windows: &Windows, rows: &[[u16; LANES]], total: f64) -> [f64; LANES] {
    dense_pass(windows, rows, total)
}

impl Windows {
    /// The maximum LLR of each lane of a dense batch, high rates ([`dense_pass`]), with the
    /// widest vectors the processor has.
    fn dense_maxima(&self, rows: &[[u16; LANES]], total: f64) -> [f64; LANES] {
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx512f")
                && is_x86_feature_detected!("avx512bw")
                && is_x86_feature_detected!("avx512vl")
            {
                // SAFETY: the processor has the features the function is compiled for.
                return unsafe { dense_pass_avx512(self, rows, total) };
            }
            if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                // SAFETY: as above.
                return unsafe { dense_pass_avx2(self, rows, total) };
            }
        }
        dense_pass(self, rows, total)
    }

    /// The maximum LLR of each lane of a sparse batch, any rates (module documentation).
    fn sparse_maxima(
        &self,
        cells: &[(u128, u32)],
        all_counts: &[u32],
        lanes: usize,
        total: f64,
        tables: &mut Thresholds,
    ) -> [f64; LANES] {
        tables.reset();
        let size = tables.size;
        let (high, low) = (self.rates != Rates::Low, self.rates != Rates::High);
        let mut best = [0.0_f64; LANES];
        // A window of `count` and expected `e` for `lane`, high rates.
        let try_high = |lane: usize, count: u32, e: f64, best: &mut [f64; LANES], tables: &mut Thresholds| {
            let c = count as f64;
            if size > 0 {
                let at = lane * size + count as usize;
                if e >= tables.high[at] {
                    return;
                }
                let llr = poisson_llr(c, e, total);
                if llr > best[lane] {
                    best[lane] = llr;
                } else {
                    tables.high[at] = high_threshold(c, best[lane], total, e);
                }
            } else if c >= self.min_cases {
                best[lane] = best[lane].max(poisson_llr(c, e, total));
            }
        };
        let try_low = |lane: usize, count: u32, e: f64, best: &mut [f64; LANES], tables: &mut Thresholds| {
            let c = count as f64;
            if size > 0 {
                let at = lane * size + count as usize;
                if e <= tables.low[at] {
                    return;
                }
                let llr = poisson_llr_low(c, e, total);
                if llr > best[lane] {
                    best[lane] = llr;
                } else {
                    tables.low[at] = low_threshold(c, best[lane], total, e);
                }
            } else {
                best[lane] = best[lane].max(poisson_llr_low(c, e, total));
            }
        };
        for centre in 0..self.centres() {
            let list = self.members(centre);
            let mut counts = [0u32; LANES];
            let mut p = 0.0;
            for (k, &i) in list.iter().enumerate() {
                let i = i as usize;
                let before = p;
                p += self.populations[i];
                let (mut bits, start) = cells[i];
                if bits == 0 {
                    continue;
                }
                let e = total * p / self.total_population;
                let e_before = if low { total * before / self.total_population } else { 0.0 };
                let mut at = start as usize;
                while bits != 0 {
                    let lane = bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    if low && k > 0 {
                        try_low(lane, counts[lane], e_before, &mut best, tables);
                    }
                    counts[lane] += all_counts[at];
                    at += 1;
                    if high {
                        try_high(lane, counts[lane], e, &mut best, tables);
                    }
                }
            }
            if low && !list.is_empty() {
                let e = total * p / self.total_population;
                for (lane, &count) in counts.iter().enumerate().take(lanes) {
                    try_low(lane, count, e, &mut best, tables);
                }
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SplitMix64;
    use crate::scan::{Distance, Location, Settings};

    /// Random places, populations and cases; the batched, pruned maxima equal the maxima of
    /// [`Windows::max_llr`] on each replicate redrawn from the same generator, for high, low and
    /// both rates.
    #[test]
    fn the_fast_maxima_are_the_maxima_of_every_window() {
        let mut rng = SplitMix64::new(7);
        let locations: Vec<Location> = (0..300)
            .map(|_| Location {
                cases: 0.0,
                population: 1.0 + 1000.0 * rng.uniform().powi(3),
                x: rng.uniform(),
                y: rng.uniform(),
            })
            .collect();
        for (rates, share) in [(Rates::High, 0.5), (Rates::Low, 0.3), (Rates::Both, 0.5)] {
            let settings =
                Settings { max_population_share: share, distance: Distance::Cartesian, rates, ..Settings::default() };
            let windows = Windows::new(&locations, &settings);
            for total in [3u64, 40, 700] {
                let mut draw = SplitMix64::new(total);
                let fast = simulate(&windows, total, 70, || draw.uniform());
                let mut draw = SplitMix64::new(total);
                let n = locations.len();
                let cumulative: Vec<f64> = {
                    let all: f64 = locations.iter().map(|l| l.population).sum();
                    let mut s = 0.0;
                    locations
                        .iter()
                        .map(|l| {
                            s += l.population / all;
                            s
                        })
                        .collect()
                };
                let sum = *cumulative.last().unwrap();
                for (r, got) in fast.iter().enumerate() {
                    let mut cases = vec![0.0; n];
                    for _ in 0..total {
                        let u = draw.uniform() * sum;
                        cases[cumulative.partition_point(|&c| c <= u).min(n - 1)] += 1.0;
                    }
                    let want = windows.max_llr(&cases);
                    assert_eq!(*got, want, "{rates:?}, {total} cases, replicate {r}");
                }
            }
        }
    }

    /// The thresholds bracket the root of `LLR(c, E) = M` from the safe side.
    #[test]
    fn thresholds_are_conservative() {
        for (c, total, m) in [(5.0, 100.0, 3.0), (50.0, 60.0, 10.0), (2.0, 1e6, 0.5), (900.0, 1000.0, 40.0)] {
            let t = high_threshold(c, m, total, c * 0.999);
            assert!(poisson_llr(c, t, total) <= m + 1e-9 && poisson_llr(c, t * (1.0 - 1e-5), total) > m, "{c} {m}");
            let t = low_threshold(c, m, total, c * 1.001 + 1e-3);
            if poisson_llr_low(c, (total + c) / 2.0, total) > m {
                assert!(poisson_llr_low(c, t, total) <= m + 1e-9, "{c} {m}");
                assert!(
                    poisson_llr_low(c, t * (1.0 + 1e-5), total) > m,
                    "{c} {m}: {t} {}",
                    poisson_llr_low(c, t, total)
                );
            }
        }
    }
}
