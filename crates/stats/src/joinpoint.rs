//! Joinpoint regression of rates over time, as NCI's Joinpoint Regression Program fits it.
//!
//! The model (Kim, Fay, Feuer & Midthune 2000, *Stat Med* 19:335–351; Joinpoint's help,
//! <https://surveillance.cancer.gov/help/joinpoint/statistical-notes> and its pages on the model
//! selection methods; `registry-and-epi-methods.md` names Joinpoint as SEER*Stat's trend tool) is
//! log-linear and continuous:
//!
//! `ln y = β₀ + β₁ x + δ₁ (x − τ₁)⁺ + … + δₖ (x − τₖ)⁺ + ε`,
//!
//! fitted by weighted least squares with weights `w` (Joinpoint's options: constant variance
//! `w = 1`; Poisson variance `w = count`, since `var ln r ≈ 1/count`; standard errors
//! `w = r²/se²` by the delta method). The joinpoints `τ` lie at observed `x` (Joinpoint's grid
//! search with no grid points between observations), at least `min_end` observations from
//! either end and `min_between` observations apart, the joinpoint itself not counted (Joinpoint's
//! defaults: 2 and 2). For each number of joinpoints `k` the fit with the least weighted SSE over
//! every admissible set is kept (Lerman 1980's grid search, exhaustive).
//!
//! The number of joinpoints is chosen by
//! - the **permutation test** (Kim et al. 2000): between `kmin` and `kmax`, test `H₀: a` against
//!   `H₁: b` starting from `a = kmin, b = kmax`, each at the Bonferroni level `α/(kmax − kmin)`;
//!   reject → `a + 1`, else `b − 1`, until `a = b`. The statistic is `T = (SSE₀ − SSE₁)/SSE₁`; its
//!   null distribution comes from the `H₀` fit plus its weighted residuals permuted, both models
//!   refitted on every permuted series; `p = (1 + #{T* ≥ T})/(N + 1)`;
//! - **BIC** `ln(SSE/n) + (2k + 2) ln n / n`, **BIC3** `ln(SSE/n) + (3k + 2) ln n / n`, and the
//!   **weighted BIC** (Kim et al. 2023, *J Appl Stat* 50:1992; Joinpoint 5's default)
//!   `ln(SSE/n) + ((2 + R²max) k + 2) ln n / n`, where `R²max` is the largest partial R² of a
//!   joinpoint's slope change over the observations from just after the previous joinpoint to the
//!   next one, against a single line there.
//!
//! Each segment's annual percent change is `APC = 100 (e^b − 1)` with `b` the segment's slope; its
//! interval `100 (e^{b ± t se(b)} − 1)` uses `σ̂² = SSE/(n − p)` and `t` with `n − p` degrees of
//! freedom, `p = 2k + 2` (Joinpoint counts the joinpoints as parameters). The average annual
//! percent change over `[A, B]` (Clegg, Hankey, Tiwari, Feuer & Edwards 2009, *Stat Med*
//! 28:3670) is `100 (e^{Σ wᵢ bᵢ / Σ wᵢ} − 1)`, `wᵢ` the length of segment `i` inside `[A, B]`;
//! its interval uses `t` when `[A, B]` lies in one segment and the normal distribution otherwise.
//! Empirical-quantile intervals (Joinpoint's resampling option) refit the selected number of
//! joinpoints, locations included, on the fit plus resampled weighted residuals and take the
//! `α/2` and `1 − α/2` quantiles (linear interpolation, R's type 7) of the APCs and AAPCs.

use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::StatsError;
use crate::distributions::normal_quantile;

/// How the number of joinpoints is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Selection {
    /// Kim et al.'s sequential permutation tests with `permutations` permuted series per test.
    Permutation {
        /// Permuted series per test (Joinpoint's default: 4499).
        permutations: usize,
    },
    /// Least BIC, penalty `2k + 2`.
    Bic,
    /// Least BIC3, penalty `3k + 2`.
    Bic3,
    /// Least weighted BIC (Joinpoint 5's default).
    WeightedBic,
}

/// What Joinpoint's "Method and Parameters" tab sets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Fewest joinpoints considered.
    pub min_joinpoints: usize,
    /// Most joinpoints considered; `None`: Joinpoint's rule by the number of observations
    /// ([`default_max_joinpoints`]).
    pub max_joinpoints: Option<usize>,
    /// Observations from a joinpoint to either end, the joinpoint excluded.
    pub min_end: usize,
    /// Observations between two joinpoints, the joinpoints excluded.
    pub min_between: usize,
    /// How the number of joinpoints is chosen.
    pub selection: Selection,
    /// `1 −` the confidence level, and the permutation tests' overall significance level.
    pub alpha: f64,
    /// Resampled series for empirical-quantile intervals (0: parametric intervals only).
    pub resamples: usize,
}

impl Default for Settings {
    /// Joinpoint 5's defaults: 0 joinpoints to the number the data allow, 2 observations from
    /// the ends and between joinpoints, weighted BIC, 95 % intervals.
    fn default() -> Self {
        Self {
            min_joinpoints: 0,
            max_joinpoints: None,
            min_end: 2,
            min_between: 2,
            selection: Selection::WeightedBic,
            alpha: 0.05,
            resamples: 0,
        }
    }
}

/// Joinpoint's maximum number of joinpoints "determined by the number of data points":
/// 0 below 7 observations, then one more for every 5 observations, at most 5.
pub fn default_max_joinpoints(n: usize) -> usize {
    if n < 7 { 0 } else { ((n - 7) / 5 + 1).min(5) }
}

/// A series to fit: strictly increasing `x`, positive rates `y` and positive weights.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The times (e.g. years), strictly increasing.
    pub x: Vec<f64>,
    /// The rates (> 0).
    pub rate: Vec<f64>,
    /// The weights (> 0): 1, the counts, or `rate²/se²`.
    pub weight: Vec<f64>,
}

/// The best fit with a given number of joinpoints.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Model {
    /// Number of joinpoints.
    pub joinpoints: usize,
    /// Where they are (values of `x`).
    pub at: Vec<f64>,
    /// Weighted sum of squared errors on the log scale.
    pub sse: f64,
    /// `ln(SSE/n) + (2k + 2) ln n / n`.
    pub bic: f64,
    /// `ln(SSE/n) + (3k + 2) ln n / n`.
    pub bic3: f64,
    /// `ln(SSE/n) + ((2 + R²max) k + 2) ln n / n`.
    pub weighted_bic: f64,
    /// The largest partial R² of a joinpoint (0 without joinpoints).
    pub r2_max: f64,
}

/// One of the sequential permutation tests.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PermutationTest {
    /// Joinpoints under the null hypothesis.
    pub null: usize,
    /// Joinpoints under the alternative.
    pub alternative: usize,
    /// `(SSE₀ − SSE₁)/SSE₁` on the data.
    pub statistic: f64,
    /// `(1 + #{T* ≥ T})/(N + 1)`.
    pub p_value: f64,
    /// The Bonferroni level the p-value is compared with.
    pub level: f64,
    /// Whether the null hypothesis was rejected.
    pub rejected: bool,
}

/// A segment of the selected model and its annual percent change.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Segment {
    /// Where it starts (`x`).
    pub from: f64,
    /// Where it ends (`x`).
    pub to: f64,
    /// `100 (e^b − 1)`.
    pub apc: f64,
    /// Parametric interval (t, `n − 2k − 2` degrees of freedom).
    pub lower: f64,
    /// Upper bound of the parametric interval.
    pub upper: f64,
    /// `b / se(b)`.
    pub t: f64,
    /// Two-sided p-value of `b = 0`.
    pub p_value: f64,
    /// Empirical-quantile interval, when resampled.
    pub empirical: Option<(f64, f64)>,
}

/// The average annual percent change over a range.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Aapc {
    /// Start of the range.
    pub from: f64,
    /// End of the range.
    pub to: f64,
    /// `100 (e^{Σ wᵢ bᵢ / Σ wᵢ} − 1)`.
    pub aapc: f64,
    /// Parametric interval.
    pub lower: f64,
    /// Upper bound of the parametric interval.
    pub upper: f64,
    /// Empirical-quantile interval, when resampled.
    pub empirical: Option<(f64, f64)>,
}

/// A fitted joinpoint trend.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Trend {
    /// Observations.
    pub n: usize,
    /// Joinpoints of the selected model.
    pub selected: usize,
    /// Where they are.
    pub joinpoints: Vec<f64>,
    /// The best fit for every number of joinpoints considered.
    pub models: Vec<Model>,
    /// The permutation tests, in the order they were made.
    pub tests: Vec<PermutationTest>,
    /// The selected model's segments.
    pub segments: Vec<Segment>,
    /// AAPC over the whole range first, then over each range asked for.
    pub aapc: Vec<Aapc>,
    /// The modelled rates at each `x`.
    pub fitted: Vec<f64>,
}

/// Every admissible set of joinpoints for one `k`, with what a fit on any series needs.
struct Candidates {
    /// Observation indices of the joinpoints, one set after another (`k` each).
    at: Vec<usize>,
    /// Cholesky factor (lower, row-major `p × p`) of `X'WX`, one per set.
    factor: Vec<f64>,
}

/// The fixed part of every fit: `x` measured from its first value, the weights, and the
/// candidate joinpoint sets by `k`.
struct Grid<'a> {
    t: Vec<f64>,
    w: &'a [f64],
    by_k: Vec<Candidates>,
    kmin: usize,
}

/// Sums of a series needed by every candidate: `Σ w y`, `Σ w y t` and `Σ_{i>j} w y (tᵢ − tⱼ)`.
struct Moments {
    yy: f64,
    base: [f64; 2],
    hinge: Vec<f64>,
}

fn cholesky(a: &mut [f64], p: usize) -> bool {
    for j in 0..p {
        let mut d = a[j * p + j];
        for k in 0..j {
            d -= a[j * p + k] * a[j * p + k];
        }
        if d <= 0.0 || !d.is_finite() {
            return false;
        }
        let d = d.sqrt();
        a[j * p + j] = d;
        for i in j + 1..p {
            let mut s = a[i * p + j];
            for k in 0..j {
                s -= a[i * p + k] * a[j * p + k];
            }
            a[i * p + j] = s / d;
        }
        for k in j + 1..p {
            a[j * p + k] = 0.0;
        }
    }
    true
}

/// Solves `L L' β = b` in place.
fn cholesky_solve(l: &[f64], p: usize, b: &mut [f64]) {
    for i in 0..p {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i * p + k] * b[k];
        }
        b[i] = s / l[i * p + i];
    }
    for i in (0..p).rev() {
        let mut s = b[i];
        for k in i + 1..p {
            s -= l[k * p + i] * b[k];
        }
        b[i] = s / l[i * p + i];
    }
}

/// The design row of observation `i` for joinpoints at `at`.
fn design_row(t: &[f64], at: &[usize], i: usize) -> Vec<f64> {
    let mut row = vec![1.0, t[i]];
    row.extend(at.iter().map(|&j| (t[i] - t[j]).max(0.0)));
    row
}

/// Admissible joinpoint sets for `k`, in lexicographic order.
fn admissible(n: usize, k: usize, min_end: usize, min_between: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    if k == 0 {
        out.push(Vec::new());
        return out;
    }
    if n < 2 * min_end + 1 {
        return out;
    }
    let (lo, hi) = (min_end, n - 1 - min_end);
    let mut c: Vec<usize> = Vec::with_capacity(k);
    fn extend(c: &mut Vec<usize>, from: usize, hi: usize, k: usize, gap: usize, out: &mut Vec<Vec<usize>>) {
        if c.len() == k {
            out.push(c.clone());
            return;
        }
        for j in from..=hi {
            c.push(j);
            extend(c, j + gap + 1, hi, k, gap, out);
            c.pop();
        }
    }
    extend(&mut c, lo, hi, k, min_between, &mut out);
    out
}

// The sums run over observations, indexing several parallel arrays at once.
#[allow(clippy::needless_range_loop)]
impl<'a> Grid<'a> {
    fn new(x: &[f64], w: &'a [f64], kmin: usize, kmax: usize, min_end: usize, min_between: usize) -> Self {
        let t: Vec<f64> = x.iter().map(|v| v - x[0]).collect();
        let n = t.len();
        let mut by_k = Vec::new();
        for k in kmin..=kmax {
            let p = k + 2;
            let sets = admissible(n, k, min_end, min_between);
            let mut c = Candidates { at: Vec::with_capacity(sets.len() * k), factor: Vec::new() };
            for set in sets {
                let mut a = vec![0.0; p * p];
                for i in 0..n {
                    let row = design_row(&t, &set, i);
                    for r in 0..p {
                        for s in 0..=r {
                            a[r * p + s] += w[i] * row[r] * row[s];
                        }
                    }
                }
                for r in 0..p {
                    for s in 0..r {
                        a[s * p + r] = a[r * p + s];
                    }
                }
                if cholesky(&mut a, p) {
                    c.at.extend(&set);
                    c.factor.extend(a);
                }
            }
            if c.factor.is_empty() {
                break;
            }
            by_k.push(c);
        }
        Self { t, w, by_k, kmin }
    }

    fn kmax(&self) -> usize {
        self.kmin + self.by_k.len() - 1
    }

    fn moments(&self, y: &[f64]) -> Moments {
        // Centre y on its weighted mean: the intercept absorbs it and the SSE keeps its digits.
        let sw: f64 = self.w.iter().sum();
        let mean = y.iter().zip(self.w).map(|(v, w)| v * w).sum::<f64>() / sw;
        let n = y.len();
        let mut m = Moments { yy: 0.0, base: [0.0; 2], hinge: vec![0.0; n] };
        for i in 0..n {
            let wy = self.w[i] * (y[i] - mean);
            m.yy += wy * (y[i] - mean);
            m.base[0] += wy;
            m.base[1] += wy * self.t[i];
            for (j, h) in m.hinge.iter_mut().enumerate().take(i) {
                *h += wy * (self.t[i] - self.t[j]);
            }
        }
        m
    }

    /// The best set for `k` joinpoints on a series: its index and weighted SSE.
    fn best(&self, k: usize, m: &Moments) -> (usize, f64) {
        let c = &self.by_k[k - self.kmin];
        let p = k + 2;
        let (mut b, mut rhs) = (vec![0.0; p], vec![0.0; p]);
        let mut best = (0, f64::INFINITY);
        for s in 0..c.factor.len() / (p * p) {
            let at = &c.at[s * k..(s + 1) * k];
            b[0] = m.base[0];
            b[1] = m.base[1];
            for (q, &j) in at.iter().enumerate() {
                b[2 + q] = m.hinge[j];
            }
            rhs.copy_from_slice(&b);
            cholesky_solve(&c.factor[s * p * p..(s + 1) * p * p], p, &mut b);
            let sse = m.yy - rhs.iter().zip(&b).map(|(r, v)| r * v).sum::<f64>();
            if sse < best.1 {
                best = (s, sse);
            }
        }
        best
    }

    fn set(&self, k: usize, s: usize) -> &[usize] {
        &self.by_k[k - self.kmin].at[s * k..(s + 1) * k]
    }

    /// Coefficients, residual weighted SSE (computed from the residuals) and `(X'WX)⁻¹`.
    fn coefficients(&self, y: &[f64], at: &[usize]) -> (Vec<f64>, f64, Vec<f64>) {
        let p = at.len() + 2;
        let n = y.len();
        let mut a = vec![0.0; p * p];
        let mut b = vec![0.0; p];
        for i in 0..n {
            let row = design_row(&self.t, at, i);
            for r in 0..p {
                b[r] += self.w[i] * row[r] * y[i];
                for s in 0..p {
                    a[r * p + s] += self.w[i] * row[r] * row[s];
                }
            }
        }
        let mut l = a;
        let ok = cholesky(&mut l, p);
        debug_assert!(ok);
        cholesky_solve(&l, p, &mut b);
        let sse = (0..n)
            .map(|i| {
                let fit: f64 = design_row(&self.t, at, i).iter().zip(&b).map(|(d, c)| d * c).sum();
                self.w[i] * (y[i] - fit).powi(2)
            })
            .sum();
        let mut inverse = vec![0.0; p * p];
        for col in 0..p {
            let mut e = vec![0.0; p];
            e[col] = 1.0;
            cholesky_solve(&l, p, &mut e);
            for r in 0..p {
                inverse[r * p + col] = e[r];
            }
        }
        (b, sse, inverse)
    }

    fn fitted_log(&self, beta: &[f64], at: &[usize]) -> Vec<f64> {
        (0..self.t.len()).map(|i| design_row(&self.t, at, i).iter().zip(beta).map(|(d, c)| d * c).sum()).collect()
    }

    /// Partial R² of joinpoint `q` (0-based) of the set `at` (Kim et al. 2023, eq. for WBIC).
    fn partial_r2(&self, y: &[f64], at: &[usize], q: usize) -> f64 {
        let lo = if q == 0 { 0 } else { at[q - 1] + 1 };
        let hi = if q + 1 == at.len() { y.len() - 1 } else { at[q + 1] };
        let idx: Vec<usize> = (lo..=hi).collect();
        let sw: Vec<f64> = idx.iter().map(|&i| self.w[i].sqrt()).collect();
        let a: Vec<f64> = sw.clone();
        let c: Vec<f64> = idx.iter().zip(&sw).map(|(&i, s)| s * (self.t[i] - self.t[lo])).collect();
        let residual = |v: &[f64]| -> Vec<f64> {
            let (aa, ac, cc) = (dot(&a, &a), dot(&a, &c), dot(&c, &c));
            let (av, cv) = (dot(&a, v), dot(&c, v));
            let det = aa * cc - ac * ac;
            let (g0, g1) = ((cc * av - ac * cv) / det, (aa * cv - ac * av) / det);
            v.iter().zip(a.iter().zip(&c)).map(|(v, (a, c))| v - g0 * a - g1 * c).collect()
        };
        let yy: Vec<f64> = idx.iter().zip(&sw).map(|(&i, s)| s * y[i]).collect();
        let z: Vec<f64> = idx.iter().zip(&sw).map(|(&i, s)| s * (self.t[i] - self.t[at[q]]).max(0.0)).collect();
        let (ry, rz) = (residual(&yy), residual(&z));
        let den = dot(&ry, &ry) * dot(&rz, &rz);
        if den > 0.0 { dot(&ry, &rz).powi(2) / den } else { 0.0 }
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Slope contrasts: segment `j`'s slope is `β₁ + δ₁ + … + δⱼ`.
fn segment_contrast(p: usize, j: usize) -> Vec<f64> {
    (0..p).map(|i| if (1..=j + 1).contains(&i) { 1.0 } else { 0.0 }).collect()
}

/// The AAPC contrast over `[from, to]` and how many segments it spans.
fn aapc_contrast(p: usize, ends: &[f64], from: f64, to: f64) -> (Vec<f64>, usize) {
    let mut c = vec![0.0; p];
    let (mut total, mut spanned) = (0.0, 0);
    for j in 0..ends.len() - 1 {
        let len = ends[j + 1].min(to) - ends[j].max(from);
        if len > 0.0 {
            for (ci, s) in c.iter_mut().zip(segment_contrast(p, j)) {
                *ci += len * s;
            }
            total += len;
            spanned += 1;
        }
    }
    (c.into_iter().map(|v| v / total).collect(), spanned)
}

fn quadratic(c: &[f64], m: &[f64]) -> f64 {
    let p = c.len();
    (0..p).map(|r| (0..p).map(|s| c[r] * m[r * p + s] * c[s]).sum::<f64>()).sum()
}

/// Quantile with linear interpolation between order statistics (R's type 7, numpy's default).
pub fn quantile_type7(sorted: &[f64], prob: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * prob;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

fn apc(b: f64) -> f64 {
    100.0 * b.exp_m1()
}

/// Fits the joinpoint model to `series`, chooses the number of joinpoints, and gives the
/// APCs, the AAPC over the whole range and over each of `ranges`, with intervals. `uniform`
/// draws the permutations and resamples (Fisher–Yates from the last element, `⌊u (i+1)⌋`).
pub fn fit(
    series: &Series,
    settings: &Settings,
    ranges: &[(f64, f64)],
    uniform: &mut dyn FnMut() -> f64,
) -> Result<Trend, StatsError> {
    let err = |m: String| StatsError::Input(m);
    let n = series.x.len();
    if series.rate.len() != n || series.weight.len() != n {
        return Err(err("x, rates and weights differ in length".into()));
    }
    if n < 3 {
        return Err(err(format!("{n} observations: a trend needs at least 3")));
    }
    if let Some(i) = (1..n).find(|&i| series.x[i].partial_cmp(&series.x[i - 1]) != Some(std::cmp::Ordering::Greater)) {
        return Err(err(format!("x = {} comes after {}: the times must increase", series.x[i], series.x[i - 1])));
    }
    if let Some(i) = (0..n).find(|&i| !(series.rate[i] > 0.0 && series.rate[i].is_finite())) {
        return Err(err(format!(
            "the rate at x = {} is {}: a log-linear trend needs rates above 0",
            series.x[i], series.rate[i]
        )));
    }
    if let Some(i) = (0..n).find(|&i| !(series.weight[i] > 0.0 && series.weight[i].is_finite())) {
        return Err(err(format!("the weight at x = {} is {}: weights must be above 0", series.x[i], series.weight[i])));
    }
    if !(settings.alpha > 0.0 && settings.alpha < 1.0) {
        return Err(err(format!("alpha {} must be between 0 and 1", settings.alpha)));
    }
    let wanted_max = settings.max_joinpoints.unwrap_or_else(|| default_max_joinpoints(n));
    if settings.min_joinpoints > wanted_max {
        return Err(err(format!(
            "at least {} joinpoints asked for, at most {wanted_max} allowed",
            settings.min_joinpoints
        )));
    }
    let y: Vec<f64> = series.rate.iter().map(|r| r.ln()).collect();
    let grid = Grid::new(
        &series.x,
        &series.weight,
        settings.min_joinpoints,
        wanted_max,
        settings.min_end,
        settings.min_between,
    );
    if grid.by_k.is_empty() {
        return Err(err(format!(
            "{n} observations leave no room for {} joinpoints with {} observations from the ends and {} between",
            settings.min_joinpoints, settings.min_end, settings.min_between
        )));
    }
    let (kmin, kmax) = (grid.kmin, grid.kmax());
    let moments = grid.moments(&y);
    let best: Vec<(usize, f64)> = (kmin..=kmax).map(|k| grid.best(k, &moments)).collect();
    let ln_n = (n as f64).ln();
    let models: Vec<Model> = (kmin..=kmax)
        .map(|k| {
            let (s, _) = best[k - kmin];
            let at = grid.set(k, s);
            let (_, sse, _) = grid.coefficients(&y, at);
            let r2_max = (0..k).map(|q| grid.partial_r2(&y, at, q)).fold(0.0, f64::max);
            let l = (sse / n as f64).ln();
            Model {
                joinpoints: k,
                at: at.iter().map(|&j| series.x[j]).collect(),
                sse,
                bic: l + (2 * k + 2) as f64 * ln_n / n as f64,
                bic3: l + (3 * k + 2) as f64 * ln_n / n as f64,
                weighted_bic: l + ((2.0 + r2_max) * k as f64 + 2.0) * ln_n / n as f64,
                r2_max,
            }
        })
        .collect();

    let mut tests = Vec::new();
    let selected = match settings.selection {
        Selection::Permutation { permutations } => {
            let (mut a, mut b) = (kmin, kmax);
            let level = if kmax > kmin { settings.alpha / (kmax - kmin) as f64 } else { settings.alpha };
            while a < b {
                let (sse0, sse1) = (models[a - kmin].sse, models[b - kmin].sse);
                let observed = (sse0 - sse1) / sse1;
                let at0 = grid.set(a, best[a - kmin].0).to_vec();
                let (beta0, _, _) = grid.coefficients(&y, &at0);
                let mu0 = grid.fitted_log(&beta0, &at0);
                let sw: Vec<f64> = series.weight.iter().map(|w| w.sqrt()).collect();
                let e: Vec<f64> = (0..n).map(|i| (y[i] - mu0[i]) * sw[i]).collect();
                let mut exceed = 0usize;
                let mut perm = e.clone();
                let mut ys = vec![0.0; n];
                for _ in 0..permutations {
                    perm.copy_from_slice(&e);
                    for i in (1..n).rev() {
                        let j = ((uniform() * (i + 1) as f64) as usize).min(i);
                        perm.swap(i, j);
                    }
                    for i in 0..n {
                        ys[i] = mu0[i] + perm[i] / sw[i];
                    }
                    let m = grid.moments(&ys);
                    let (s0, s1) = (grid.best(a, &m).1, grid.best(b, &m).1);
                    if (s0 - s1) / s1 >= observed {
                        exceed += 1;
                    }
                }
                let p_value = (exceed + 1) as f64 / (permutations + 1) as f64;
                let rejected = p_value < level;
                tests.push(PermutationTest { null: a, alternative: b, statistic: observed, p_value, level, rejected });
                if rejected {
                    a += 1;
                } else {
                    b -= 1;
                }
            }
            a
        }
        Selection::Bic | Selection::Bic3 | Selection::WeightedBic => {
            let score = |m: &Model| match settings.selection {
                Selection::Bic => m.bic,
                Selection::Bic3 => m.bic3,
                _ => m.weighted_bic,
            };
            models.iter().fold(&models[0], |best, m| if score(m) < score(best) { m } else { best }).joinpoints
        }
    };

    let k = selected;
    let at = grid.set(k, best[k - kmin].0).to_vec();
    let (beta, sse, inverse) = grid.coefficients(&y, &at);
    let p = k + 2;
    let df = n as isize - (2 * k + 2) as isize;
    let sigma2 = if df > 0 { sse / df as f64 } else { f64::NAN };
    let t_dist = (df > 0).then(|| StudentsT::new(0.0, 1.0, df as f64).expect("df > 0"));
    let t_quantile = t_dist.as_ref().map_or(f64::NAN, |t| t.inverse_cdf(1.0 - settings.alpha / 2.0));
    let z_quantile = normal_quantile(1.0 - settings.alpha / 2.0);
    let mut ends = vec![series.x[0]];
    ends.extend(at.iter().map(|&j| series.x[j]));
    ends.push(series.x[n - 1]);
    let mut segments: Vec<Segment> = (0..=k)
        .map(|j| {
            let c = segment_contrast(p, j);
            let b = dot(&c, &beta);
            let se = (sigma2 * quadratic(&c, &inverse)).sqrt();
            let t = b / se;
            Segment {
                from: ends[j],
                to: ends[j + 1],
                apc: apc(b),
                lower: apc(b - t_quantile * se),
                upper: apc(b + t_quantile * se),
                t,
                p_value: t_dist.as_ref().map_or(f64::NAN, |d| 2.0 * (1.0 - d.cdf(t.abs()))),
                empirical: None,
            }
        })
        .collect();
    let mut all_ranges = vec![(series.x[0], series.x[n - 1])];
    for &(from, to) in ranges {
        if !(from < to && from >= series.x[0] && to <= series.x[n - 1]) {
            return Err(err(format!(
                "AAPC range {from}-{to}: it must be increasing and within {}-{}",
                series.x[0],
                series.x[n - 1]
            )));
        }
        all_ranges.push((from, to));
    }
    let mut aapc: Vec<Aapc> = all_ranges
        .iter()
        .map(|&(from, to)| {
            let (c, spanned) = aapc_contrast(p, &ends, from, to);
            let b = dot(&c, &beta);
            let se = (sigma2 * quadratic(&c, &inverse)).sqrt();
            let q = if spanned == 1 { t_quantile } else { z_quantile };
            Aapc { from, to, aapc: apc(b), lower: apc(b - q * se), upper: apc(b + q * se), empirical: None }
        })
        .collect();

    if settings.resamples > 0 {
        let mu = grid.fitted_log(&beta, &at);
        let sw: Vec<f64> = series.weight.iter().map(|w| w.sqrt()).collect();
        let e: Vec<f64> = (0..n).map(|i| (y[i] - mu[i]) * sw[i]).collect();
        let mut apcs = vec![Vec::with_capacity(settings.resamples); k + 1];
        let mut aapcs = vec![Vec::with_capacity(settings.resamples); all_ranges.len()];
        let mut ys = vec![0.0; n];
        for _ in 0..settings.resamples {
            for i in 0..n {
                let draw = ((uniform() * n as f64) as usize).min(n - 1);
                ys[i] = mu[i] + e[draw] / sw[i];
            }
            let m = grid.moments(&ys);
            let bat = grid.set(k, grid.best(k, &m).0).to_vec();
            let (bb, _, _) = grid.coefficients(&ys, &bat);
            for (j, draws) in apcs.iter_mut().enumerate() {
                draws.push(apc(dot(&segment_contrast(p, j), &bb)));
            }
            let mut bends = vec![series.x[0]];
            bends.extend(bat.iter().map(|&j| series.x[j]));
            bends.push(series.x[n - 1]);
            for (r, &(from, to)) in all_ranges.iter().enumerate() {
                aapcs[r].push(apc(dot(&aapc_contrast(p, &bends, from, to).0, &bb)));
            }
        }
        let bounds = |draws: &mut Vec<f64>| {
            draws.sort_by(f64::total_cmp);
            (quantile_type7(draws, settings.alpha / 2.0), quantile_type7(draws, 1.0 - settings.alpha / 2.0))
        };
        for (s, draws) in segments.iter_mut().zip(apcs.iter_mut()) {
            s.empirical = Some(bounds(draws));
        }
        for (a, draws) in aapc.iter_mut().zip(aapcs.iter_mut()) {
            a.empirical = Some(bounds(draws));
        }
    }

    let fitted = grid.fitted_log(&beta, &at).into_iter().map(f64::exp).collect();
    Ok(Trend {
        n,
        selected,
        joinpoints: at.iter().map(|&j| series.x[j]).collect(),
        models,
        tests,
        segments,
        aapc,
        fitted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joinpoint_s_maximum_by_number_of_points() {
        let got: Vec<usize> = [6, 7, 11, 12, 16, 17, 19, 21, 22, 26, 27, 40].map(default_max_joinpoints).to_vec();
        assert_eq!(got, [0, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5]);
    }

    #[test]
    fn admissible_sets_keep_two_observations_from_the_ends_and_between() {
        // 9 points: joinpoints at indices 2..=6, at least 3 apart.
        assert_eq!(admissible(9, 1, 2, 2), vec![vec![2], vec![3], vec![4], vec![5], vec![6]]);
        assert_eq!(admissible(9, 2, 2, 2), vec![vec![2, 5], vec![2, 6], vec![3, 6]]);
        assert!(admissible(9, 3, 2, 2).is_empty());
    }

    #[test]
    fn an_exact_two_segment_series_is_recovered() {
        // ln r = 1 + 0.02 t until 2010, then -0.03 per year: APC 2.0201 % and -2.9554 %.
        let x: Vec<f64> = (2000..=2020).map(f64::from).collect();
        let rate: Vec<f64> =
            x.iter().map(|&v| (1.0 + 0.02 * (v - 2000.0) - 0.05 * (v - 2010.0).max(0.0)).exp()).collect();
        let series = Series { weight: vec![1.0; x.len()], x, rate };
        let settings = Settings { selection: Selection::Bic, max_joinpoints: Some(1), ..Settings::default() };
        let t = fit(&series, &settings, &[(2015.0, 2020.0)], &mut || 0.5).unwrap();
        assert_eq!(t.selected, 1);
        assert_eq!(t.joinpoints, vec![2010.0]);
        assert!((t.segments[0].apc - 100.0 * (0.02_f64.exp() - 1.0)).abs() < 1e-9);
        assert!((t.segments[1].apc - 100.0 * ((-0.03_f64).exp() - 1.0)).abs() < 1e-9);
        assert!((t.aapc[1].aapc - t.segments[1].apc).abs() < 1e-9);
        // Whole range: (10 × 0.02 + 10 × -0.03)/20 = -0.005.
        assert!((t.aapc[0].aapc - 100.0 * ((-0.005_f64).exp() - 1.0)).abs() < 1e-9);
    }

    #[test]
    fn bad_series_are_refused_with_the_reason() {
        let s = Series { x: vec![1.0, 2.0, 2.0, 3.0], rate: vec![1.0; 4], weight: vec![1.0; 4] };
        let e = fit(&s, &Settings::default(), &[], &mut || 0.5).unwrap_err().to_string();
        assert!(e.contains("must increase"), "{e}");
        let s = Series { x: vec![1.0, 2.0, 3.0, 4.0], rate: vec![1.0, 0.0, 1.0, 1.0], weight: vec![1.0; 4] };
        let e = fit(&s, &Settings::default(), &[], &mut || 0.5).unwrap_err().to_string();
        assert!(e.contains("rates above 0"), "{e}");
    }

    #[test]
    fn type7_quantiles_interpolate() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile_type7(&v, 0.5), 3.0);
        assert!((quantile_type7(&v, 0.025) - 1.1).abs() < 1e-12);
    }
}
