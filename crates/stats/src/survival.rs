//! Survival: Kaplan–Meier with Greenwood variance, its confidence intervals and quantiles, and
//! the log-rank test, reproducing R's `survival` package (Therneau; `survfit`, `survdiff`):
//!
//! - `S(t) = Π_{t_j ≤ t} (1 − d_j / n_j)` over the distinct times `t_j` with `n_j` at risk and
//!   `d_j` events;
//! - Greenwood: `σ²(t) = Σ_{t_j ≤ t} d_j / (n_j (n_j − d_j))`, the variance of `log S`; the
//!   standard error of `S` is `S σ` (R's `summary.survfit` `std.err`);
//! - intervals (R `survfit_confint`), `z = Φ⁻¹(1 − α/2)`: `log` `S e^{±zσ}` (upper capped at 1,
//!   R's default); `log-log` `exp(−exp(log(−log S) ∓ zσ / log S))`; `plain` `S ± zσS` within
//!   [0, 1]; undefined (NaN) where R gives NA (S = 0; S ∈ {0, 1} for log-log);
//! - quantiles (R `quantile.survfit`): the first time the curve reaches `1 − p` (to a tolerance
//!   of √ε), the midpoint to the next time when it stays exactly there; the interval from the
//!   bound curves (Brookmeyer & Crowley);
//! - log-rank (`survdiff`, ρ = 0): `O_g`, `E_g = Σ_j d_j n_gj / n_j`, variance
//!   `V_gh = Σ_j d_j (n_j − d_j)/(n_j − 1) · n_gj/n_j (δ_gh − n_hj/n_j)`, `χ² = (O−E)ᵀ V⁻ (O−E)`
//!   on k − 1 groups, p from χ²(k − 1).

use crate::StatsError;
use crate::distributions::{chi_square_upper_tail, normal_quantile};

/// How the interval of a survival probability is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CiTransform {
    /// On log S (R's default).
    Log,
    /// On log(−log S) (SAS, Stata, lifelines, popEpi default).
    LogLog,
    /// On S itself.
    Plain,
}

/// One row of a survival table: one distinct time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurvivalRow {
    /// Time.
    pub time: f64,
    /// At risk just before `time`.
    pub n_risk: f64,
    /// Events at `time`.
    pub n_event: f64,
    /// Censored at `time`.
    pub n_censor: f64,
    /// Survival probability just after `time`.
    pub surv: f64,
    /// Standard error of `surv`.
    pub std_err: f64,
    /// Lower confidence limit.
    pub lower: f64,
    /// Upper confidence limit.
    pub upper: f64,
}

/// A quantile of survival time with its interval (`None` where the curve does not reach it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurvivalQuantile {
    /// The quantile.
    pub value: Option<f64>,
    /// Lower confidence limit.
    pub lower: Option<f64>,
    /// Upper confidence limit.
    pub upper: Option<f64>,
}

/// A Kaplan–Meier estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct KaplanMeier {
    /// One row per distinct time (events or censorings), in increasing order.
    pub rows: Vec<SurvivalRow>,
    /// Number of subjects.
    pub n: usize,
    /// Number of events.
    pub events: usize,
}

fn check(time: &[f64], event: &[bool]) -> Result<(), StatsError> {
    if time.len() != event.len() {
        return Err(StatsError::Input(format!("{} times but {} event indicators", time.len(), event.len())));
    }
    if let Some(t) = time.iter().find(|t| !t.is_finite() || **t < 0.0) {
        return Err(StatsError::Input(format!("survival time {t} is negative or not a number")));
    }
    Ok(())
}

/// The interval of `surv` with log-scale standard error `sigma` (R `survfit_confint`).
pub fn confidence_interval(surv: f64, sigma: f64, transform: CiTransform, z: f64) -> (f64, f64) {
    match transform {
        CiTransform::Log => {
            if surv == 0.0 || sigma.is_nan() {
                return (f64::NAN, f64::NAN);
            }
            let l = surv.ln();
            ((l - z * sigma).exp(), (l + z * sigma).exp().min(1.0))
        }
        CiTransform::LogLog => {
            if surv == 0.0 || surv == 1.0 || sigma.is_nan() {
                return (f64::NAN, f64::NAN);
            }
            let se2 = z * sigma / surv.ln();
            let ll = (-surv.ln()).ln();
            ((-(ll - se2).exp()).exp(), (-(ll + se2).exp()).exp())
        }
        CiTransform::Plain => {
            let se2 = sigma * surv * z;
            if se2.is_nan() {
                return (f64::NAN, f64::NAN);
            }
            ((surv - se2).max(0.0), (surv + se2).min(1.0))
        }
    }
}

/// The Kaplan–Meier estimate of right-censored data (`event[i]` true for an event, false for
/// a censoring), with intervals at confidence `conf`.
pub fn kaplan_meier(
    time: &[f64],
    event: &[bool],
    transform: CiTransform,
    conf: f64,
) -> Result<KaplanMeier, StatsError> {
    if time.len() != event.len() {
        return Err(StatsError::Input(format!("{} times but {} event indicators", time.len(), event.len())));
    }
    let z = normal_quantile(1.0 - (1.0 - conf) / 2.0);
    let distinct = distinct_times(time, event)?;
    // Sized once: with fractional times the table has nearly a row per subject, and growing it by
    // doubling would hold up to three times its size while it is copied.
    let mut rows = Vec::with_capacity(distinct.len());
    let (mut at_risk, mut surv, mut greenwood) = (time.len() as f64, 1.0_f64, 0.0_f64);
    let mut events = 0;
    for (t, d, c) in distinct {
        events += d as usize;
        if d > 0.0 {
            surv *= 1.0 - d / at_risk;
            greenwood += d / (at_risk * (at_risk - d));
        }
        let sigma = greenwood.sqrt();
        let (lower, upper) = confidence_interval(surv, sigma, transform, z);
        rows.push(SurvivalRow {
            time: t,
            n_risk: at_risk,
            n_event: d,
            n_censor: c,
            surv,
            std_err: surv * sigma,
            lower,
            upper,
        });
        at_risk -= d + c;
    }
    Ok(KaplanMeier { rows, n: time.len(), events })
}

/// The distinct times in increasing order with their numbers of events and censorings.
///
/// Registry follow-up is usually in whole days: then the counts are taken in a single pass into
/// an array indexed by the time itself (a counting sort, linear in n, on two threads for large
/// inputs). Any other time (fractional, or beyond four times the number of subjects) falls back
/// to sorting the (time, event) pairs.
fn distinct_times(time: &[f64], event: &[bool]) -> Result<Vec<(f64, f64, f64)>, StatsError> {
    let cap = (4 * time.len()).max(1 << 16);
    let counts = if time.len() >= 1 << 18 {
        let half = time.len() / 2;
        let (a, b) = std::thread::scope(|scope| {
            let first = scope.spawn(|| whole_day_counts(&time[..half], &event[..half], cap));
            let second = whole_day_counts(&time[half..], &event[half..], cap);
            (first.join().expect("counting thread"), second)
        });
        a.zip(b).map(|(mut a, b)| {
            if a.len() < b.len() {
                a.resize(b.len(), [0, 0]);
            }
            for (x, y) in a.iter_mut().zip(&b) {
                x[0] += y[0];
                x[1] += y[1];
            }
            a
        })
    } else {
        whole_day_counts(time, event, cap)
    };
    if let Some(counts) = counts {
        return Ok(counts
            .iter()
            .enumerate()
            .filter(|(_, c)| c[0] + c[1] > 0)
            .map(|(k, c)| (k as f64, c[1] as f64, c[0] as f64))
            .collect());
    }
    // Whole-day counting accepts only whole non-negative numbers; anything else is checked here.
    if let Some(bad) = time.iter().find(|t| t.is_nan() || **t < 0.0 || t.is_infinite()) {
        return Err(StatsError::Input(format!("survival time {bad} is negative or not a number")));
    }
    let mut pairs: Vec<(f64, bool)> = time.iter().copied().zip(event.iter().copied()).collect();
    pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let distinct = 1 + pairs.windows(2).filter(|w| w[0].0 != w[1].0).count();
    let mut out: Vec<(f64, f64, f64)> = Vec::with_capacity(distinct);
    for (t, e) in pairs {
        match out.last_mut() {
            Some(last) if last.0 == t => {
                if e {
                    last.1 += 1.0
                } else {
                    last.2 += 1.0
                }
            }
            _ => out.push((t, if e { 1.0 } else { 0.0 }, if e { 0.0 } else { 1.0 })),
        }
    }
    Ok(out)
}

/// `[censorings, events]` per whole-day time in one pass, or `None` at the first time that is
/// not a whole number of days below `cap`. Indexing by the event flag avoids a branch that
/// random event patterns would mispredict.
fn whole_day_counts(time: &[f64], event: &[bool], cap: usize) -> Option<Vec<[u32; 2]>> {
    let mut counts: Vec<[u32; 2]> = Vec::new();
    for (&t, &e) in time.iter().zip(event) {
        let k = t as usize;
        if k as f64 != t {
            return None;
        }
        if k >= counts.len() {
            if k >= cap {
                return None;
            }
            counts.resize((k + 1).next_power_of_two().min(cap), [0, 0]);
        }
        counts[k][e as usize] += 1;
    }
    Some(counts)
}

/// R's `findq`: the time at which the distribution `y` (= 1 − S, starting at 0 at `first`)
/// reaches `p`, to tolerance `tol`, with the midpoint rule for flat stretches at exactly `p`.
fn find_quantile(first: f64, times: &[f64], curve: impl Iterator<Item = f64>, p: f64) -> Option<f64> {
    let tol = f64::EPSILON.sqrt();
    let (mut x, mut y) = (Vec::with_capacity(times.len() + 1), Vec::with_capacity(times.len() + 1));
    x.push(first);
    y.push(0.0);
    for (t, s) in times.iter().zip(curve) {
        if s.is_nan() {
            continue; // approx() drops NA points
        }
        x.push(*t);
        y.push(1.0 - s);
    }
    let xmax = *x.last().expect("first point");
    if y.iter().cloned().fold(f64::NEG_INFINITY, f64::max) < p {
        return None;
    }
    // Keep the first occurrence of each distinct y (R's `!duplicated(y)`; −0 is 0), in one pass:
    // where y never decreases (1 − S always; the limits nearly always) equal values are
    // neighbours, otherwise a set of those seen.
    let mut keep_x = Vec::new();
    let mut keep_y: Vec<f64> = Vec::new();
    if y.windows(2).all(|w| w[0] <= w[1]) {
        for (xi, yi) in x.into_iter().zip(y) {
            if keep_y.last() != Some(&yi) {
                keep_x.push(xi);
                keep_y.push(yi);
            }
        }
    } else {
        let mut seen = std::collections::HashSet::with_capacity(y.len());
        for (xi, yi) in x.into_iter().zip(y) {
            if seen.insert((yi + 0.0).to_bits()) {
                keep_x.push(xi);
                keep_y.push(yi);
            }
        }
    }
    // approx(y ± tol, 1:n, p, "constant", f = 1): the first index whose shifted y is ≥ p,
    // NA when p is outside the shifted range.
    let index = |shift: f64| -> Option<usize> {
        let ys: Vec<f64> = keep_y.iter().map(|v| v + shift).collect();
        if p < ys[0] || p > *ys.last().expect("non-empty") {
            return None;
        }
        ys.iter().position(|v| *v >= p)
    };
    let n = keep_y.len();
    if p == 0.0 {
        return Some(keep_x[0]);
    }
    let i1 = index(tol);
    let last_point = (p - keep_y[n - 1]).abs() < tol;
    if last_point {
        return i1.map(|i| (keep_x[i] + xmax) / 2.0);
    }
    let i2 = index(-tol);
    match (i1, i2) {
        (Some(a), Some(b)) => Some((keep_x[a] + keep_x[b]) / 2.0),
        _ => None,
    }
}

impl KaplanMeier {
    /// The `p` quantile of survival time (0.5 for the median) with its interval, by R's rule.
    pub fn quantile(&self, p: f64) -> SurvivalQuantile {
        let times: Vec<f64> = self.rows.iter().map(|r| r.time).collect();
        SurvivalQuantile {
            value: find_quantile(0.0, &times, self.rows.iter().map(|r| r.surv), p),
            lower: find_quantile(0.0, &times, self.rows.iter().map(|r| r.lower), p),
            upper: find_quantile(0.0, &times, self.rows.iter().map(|r| r.upper), p),
        }
    }

    /// The median survival time with its interval.
    pub fn median(&self) -> SurvivalQuantile {
        self.quantile(0.5)
    }

    /// The estimate in force at time `t`, as R's `summary(fit, times = t)`; `None` after the
    /// last time.
    pub fn at(&self, t: f64) -> Option<SurvivalRow> {
        summary_at(&self.rows, self.n as f64, &[t]).first().map(|(r, _)| *r)
    }
}

/// Values of a survival table at chosen times, as R's `summary.survfit(times = …)`: the estimate
/// of the last time at or before each (1 before the first), the number at risk at that time,
/// and the events and censorings since the previous chosen time. Times after the last row are
/// dropped, as R does. Returns each row with the index of the table row it came from.
pub fn summary_at(rows: &[SurvivalRow], n: f64, times: &[f64]) -> Vec<(SurvivalRow, Option<usize>)> {
    summary_at_by(rows, |r| r, n, times)
}

/// [`summary_at`] on a table of items that each hold a row (`row` gives it), without copying
/// the table.
pub fn summary_at_by<R>(
    items: &[R],
    row: impl Fn(&R) -> &SurvivalRow,
    n: f64,
    times: &[f64],
) -> Vec<(SurvivalRow, Option<usize>)> {
    let Some(last) = items.last() else { return Vec::new() };
    let mut sorted: Vec<f64> = times.iter().copied().filter(|t| *t <= row(last).time).collect();
    sorted.sort_by(f64::total_cmp);
    let mut out = Vec::new();
    let mut previous = f64::NEG_INFINITY;
    for t in sorted {
        let k = items.partition_point(|r| row(r).time <= t);
        let first_at_or_after = items.partition_point(|r| row(r).time < t);
        let n_risk = if first_at_or_after < items.len() { row(&items[first_at_or_after]).n_risk } else { 0.0 };
        // The rows after the previous chosen time, up to this one.
        let from = items.partition_point(|r| row(r).time <= previous);
        let between = items[from..k].iter().map(&row);
        let (n_event, n_censor) = between.fold((0.0, 0.0), |(e, c), r| (e + r.n_event, c + r.n_censor));
        let base = if k == 0 {
            SurvivalRow {
                time: t,
                n_risk: n,
                n_event: 0.0,
                n_censor: 0.0,
                surv: 1.0,
                std_err: 0.0,
                lower: 1.0,
                upper: 1.0,
            }
        } else {
            *row(&items[k - 1])
        };
        out.push((SurvivalRow { time: t, n_risk, n_event, n_censor, ..base }, k.checked_sub(1)));
        previous = t;
    }
    out
}

/// The result of a log-rank test.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRank {
    /// Observed events per group.
    pub observed: Vec<f64>,
    /// Expected events per group.
    pub expected: Vec<f64>,
    /// The χ² statistic.
    pub chisq: f64,
    /// Degrees of freedom (groups − 1).
    pub df: usize,
    /// p-value.
    pub p: f64,
}

/// The log-rank test of equal survival in `groups` (indices 0..k).
pub fn log_rank(time: &[f64], event: &[bool], group: &[usize]) -> Result<LogRank, StatsError> {
    check(time, event)?;
    if group.len() != time.len() {
        return Err(StatsError::Input(format!("{} times but {} group labels", time.len(), group.len())));
    }
    let k = group.iter().max().map_or(0, |g| g + 1);
    if k < 2 {
        return Err(StatsError::Input("the log-rank test needs at least two groups".into()));
    }
    // The subjects as (time, group and event) in time order: one sort of compact pairs.
    let mut order: Vec<(f64, usize)> =
        time.iter().zip(group.iter().zip(event)).map(|(&t, (&g, &e))| (t, g << 1 | usize::from(e))).collect();
    order.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let mut at_risk = vec![0.0; k];
    for &g in group {
        at_risk[g] += 1.0;
    }
    let mut test = LogRankSums::new(k);
    let (mut deaths, mut leaving) = (vec![0.0; k], vec![0.0; k]);
    let mut i = 0;
    while i < order.len() {
        let t = order[i].0;
        deaths.fill(0.0);
        leaving.fill(0.0);
        while i < order.len() && order[i].0 == t {
            let (g, dead) = (order[i].1 >> 1, order[i].1 & 1 == 1);
            if dead {
                deaths[g] += 1.0;
            }
            leaving[g] += 1.0;
            i += 1;
        }
        test.add(&deaths, &at_risk);
        for g in 0..k {
            at_risk[g] -= leaving[g];
        }
    }
    test.finish()
}

/// The log-rank test from each group's Kaplan–Meier table (a row per distinct time with its
/// number at risk and its events, as [`kaplan_meier`] gives them): the same statistic as
/// [`log_rank`] on the subjects, bit for bit, by merging the tables in time order instead of
/// sorting the subjects.
/// `row` gives the table row of an item (tables of rows with more beside them).
pub fn log_rank_of_tables<R>(tables: &[&[R]], row: impl Fn(&R) -> &SurvivalRow) -> Result<LogRank, StatsError> {
    let k = tables.len();
    if k < 2 {
        return Err(StatsError::Input("the log-rank test needs at least two groups".into()));
    }
    let mut test = LogRankSums::new(k);
    let mut next = vec![0; k];
    let (mut deaths, mut at_risk) = (vec![0.0; k], vec![0.0; k]);
    loop {
        // The next time of any group; each group's number at risk is that of its first row at
        // or after it (none left: 0), its deaths those of a row at it.
        let t =
            tables.iter().zip(&next).filter_map(|(rows, &i)| rows.get(i).map(|r| row(r).time)).min_by(f64::total_cmp);
        let Some(t) = t else { break };
        for g in 0..k {
            let row = tables[g].get(next[g]).map(&row);
            at_risk[g] = row.map_or(0.0, |r| r.n_risk);
            deaths[g] = row.filter(|r| r.time == t).map_or(0.0, |r| r.n_event);
            if row.is_some_and(|r| r.time == t) {
                next[g] += 1;
            }
        }
        test.add(&deaths, &at_risk);
    }
    test.finish()
}

/// The sums of the log-rank test over the distinct times (Mantel's observed, expected and
/// hypergeometric variance; Collett, *Modelling Survival Data in Medical Research*, §2.6).
struct LogRankSums {
    observed: Vec<f64>,
    expected: Vec<f64>,
    var: Vec<Vec<f64>>,
}

impl LogRankSums {
    fn new(k: usize) -> Self {
        Self { observed: vec![0.0; k], expected: vec![0.0; k], var: vec![vec![0.0; k]; k] }
    }

    /// One distinct time: the deaths at it and the numbers at risk just before it, by group.
    fn add(&mut self, deaths: &[f64], at_risk: &[f64]) {
        let k = deaths.len();
        let d: f64 = deaths.iter().sum();
        let n: f64 = at_risk.iter().sum();
        if d > 0.0 {
            for g in 0..k {
                self.observed[g] += deaths[g];
                self.expected[g] += d * at_risk[g] / n;
            }
            if n > 1.0 {
                let f = d * (n - d) / (n - 1.0);
                for g in 0..k {
                    for h in 0..k {
                        let delta = if g == h { 1.0 } else { 0.0 };
                        self.var[g][h] += f * at_risk[g] / n * (delta - at_risk[h] / n);
                    }
                }
            }
        }
    }

    /// χ² on groups 1..k (the variance matrix has rank k − 1) and its p-value.
    fn finish(self) -> Result<LogRank, StatsError> {
        let Self { observed, expected, var } = self;
        let k = observed.len();
        let m = k - 1;
        let diff: Vec<f64> = (1..k).map(|g| observed[g] - expected[g]).collect();
        let mut a: Vec<Vec<f64>> = (1..k).map(|g| (1..k).map(|h| var[g][h]).collect()).collect();
        let solution = solve(&mut a, diff.clone()).ok_or_else(|| {
            StatsError::Input("log-rank variance is singular (a group has no one at risk at any event)".into())
        })?;
        let chisq: f64 = solution.iter().zip(&diff).map(|(s, d)| s * d).sum();
        Ok(LogRank { observed, expected, chisq, df: m, p: chi_square_upper_tail(chisq, m as f64) })
    }
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting; `None` if singular.
fn solve(a: &mut [Vec<f64>], mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let pivot_row = a[col].clone();
        for row in col + 1..n {
            let f = a[row][col] / pivot_row[col];
            for (x, p) in a[row][col..].iter_mut().zip(&pivot_row[col..]) {
                *x -= f * p;
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|c| a[row][c] * x[c]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    Some(x)
}

#[cfg(test)]
mod tests;

/// Age-standardised survival: `S(t) = Σ_j w_j S_j(t) / Σ_j w_j` over age groups j, with the
/// variance `Σ_j w_j² Var S_j(t) / (Σ_j w_j)²` (Corazziari, Quinn & Capocaccia 2004; the
/// ICSS weights are in `oncodata_coding::icss`). Each group's curve is a step function; the
/// standardised curve is given at every time of any group, and is undefined (NaN) after the
/// end of a group's follow-up. Counts are summed over the groups; the interval is built from
/// the standardised estimate and its standard error with the chosen transform.
pub fn standardised_survival(
    groups: &[(f64, Vec<SurvivalRow>)],
    transform: CiTransform,
    conf: f64,
) -> Vec<SurvivalRow> {
    let z = normal_quantile(1.0 - (1.0 - conf) / 2.0);
    let total: f64 = groups.iter().map(|(w, _)| w).sum();
    let mut times: Vec<f64> = groups.iter().flat_map(|(_, rows)| rows.iter().map(|r| r.time)).collect();
    times.sort_by(f64::total_cmp);
    times.dedup();
    times
        .into_iter()
        .map(|t| {
            let (mut surv, mut var) = (0.0, 0.0);
            let (mut n_risk, mut n_event, mut n_censor) = (0.0, 0.0, 0.0);
            for (w, rows) in groups {
                let k = rows.partition_point(|r| r.time <= t);
                let ended = rows.last().is_none_or(|last| t > last.time);
                let (s, se) = if ended {
                    (f64::NAN, f64::NAN)
                } else if k == 0 {
                    (1.0, 0.0)
                } else {
                    (rows[k - 1].surv, rows[k - 1].std_err)
                };
                surv += w / total * s;
                var += (w / total).powi(2) * se * se;
                // At risk at t: those followed to t or beyond, the at-risk count of the group's
                // first time at or after t.
                n_risk += rows.get(rows.partition_point(|r| r.time < t)).map_or(0.0, |r| r.n_risk);
                if k > 0 && rows[k - 1].time == t {
                    n_event += rows[k - 1].n_event;
                    n_censor += rows[k - 1].n_censor;
                }
            }
            let se = var.sqrt();
            let (lower, upper) = confidence_interval(surv, se / surv, transform, z);
            SurvivalRow { time: t, n_risk, n_event, n_censor, surv, std_err: se, lower, upper }
        })
        .collect()
}
