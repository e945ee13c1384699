//! Relative survival (Ederer II) and net survival (Pohar-Perme) against a population life table,
//! reproducing R's relsurv `rs.surv` (Pohar Perme, Stare & Estève, Biometrics 2012; Pohar Perme
//! & Pavlič, J Stat Softw 2018):
//!
//! - Ederer II: `dΛ_E(t) = (Σ dN_i − Σ Y_i dΛ_Pi) / Σ Y_i`, `Var = Σ dN / (Σ Y)²`;
//! - Pohar-Perme: `dΛ_E(t) = Σ dN_i/S_Pi / Σ Y_i/S_Pi − ∫ Σ Y_i λ_Pi/S_Pi / Σ Y_i/S_Pi`,
//!   `Var = Σ (Σ dN_i/S_Pi²) / (Σ Y_i/S_Pi)²`;
//! - `S(t) = Π (1 − dΛ_E)` (type "kaplan-meier"); intervals on that variance as relsurv
//!   computes them (not truncated to [0, 1]).
//!
//! `S_Pi` is subject i's expected (population) survival since diagnosis, from the rate table at
//! its attained age and calendar date, both advancing with follow-up; a year is 365.241 days
//! and dates count days from 1960-01-01, as in relsurv and the survival package.
//!
//! Two ways of integrating population hazards between the distinct follow-up times:
//!
//! - [`Integration::Daily`] (default): relsurv's own scheme (C routine `netfastpinter2`,
//!   precision 1 day) — steps of one day with the hazard looked up at the start of each step,
//!   including its running-average approximation of the integral of the weighted population
//!   hazard — so results equal relsurv's to rounding (except at time 0, where relsurv gives
//!   NaN for deaths on the day of diagnosis and here they count as in Kaplan–Meier);
//! - [`Integration::Exact`]: piecewise-constant hazards integrated exactly between the table's
//!   cut points (birthdays, 1 January), and for Pohar-Perme the integral of
//!   `Σ λ_i/S_i / Σ 1/S_i`, which is `d log Σ 1/S_i`, taken exactly as
//!   `log(Σ 1/S_i(t_j) / Σ 1/S_i(t_{j−1}))` over the subjects at risk.

use chrono::NaiveDate;

use crate::StatsError;
use crate::distributions::normal_quantile;
use crate::survival::{CiTransform, SurvivalRow};

/// Days in a year, as relsurv and the survival package convert ages and hazards.
pub const DAYS_PER_YEAR: f64 = 365.241;

/// Days from 1960-01-01 (the survival package's date origin) to a date.
pub fn days_since_1960(date: NaiveDate) -> f64 {
    date.signed_duration_since(NaiveDate::from_ymd_opt(1960, 1, 1).expect("origin")).num_days() as f64
}

/// A population rate table: hazards by whole year of age, sex and calendar period.
#[derive(Debug, Clone)]
pub struct RateTable {
    sexes: Vec<String>,
    /// Start of each calendar period in days since 1960-01-01 (1 January of its year).
    year_cuts: Vec<f64>,
    ages: usize,
    /// Hazard per day, `[sex][year][age]` flattened.
    hazard: Vec<f64>,
}

/// The unit of the hazards in a rate table file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateUnit {
    /// Per day (relsurv's own tables).
    Day,
    /// Per person-year (divided by 365.241).
    Year,
}

impl RateTable {
    /// Builds a table from rows `(age in whole years, sex label, year from which the row
    /// applies, hazard)`. Every (age, sex, year) combination from 0 to the maximum age must be
    /// present exactly once.
    pub fn from_rows(rows: &[(u32, String, i32, f64)], unit: RateUnit) -> Result<Self, StatsError> {
        let mut sexes: Vec<String> = rows.iter().map(|r| r.1.clone()).collect();
        sexes.sort();
        sexes.dedup();
        let mut years: Vec<i32> = rows.iter().map(|r| r.2).collect();
        years.sort();
        years.dedup();
        let ages =
            rows.iter().map(|r| r.0).max().ok_or_else(|| StatsError::Input("empty rate table".into()))? as usize + 1;
        let mut hazard = vec![f64::NAN; sexes.len() * years.len() * ages];
        for (age, sex, year, h) in rows {
            if !h.is_finite() || *h < 0.0 {
                return Err(StatsError::Input(format!("rate table: hazard {h} at age {age}, sex {sex}, year {year}")));
            }
            let s = sexes.binary_search(sex).expect("collected");
            let y = years.binary_search(year).expect("collected");
            let cell = &mut hazard[(s * years.len() + y) * ages + *age as usize];
            if !cell.is_nan() {
                return Err(StatsError::Input(format!("rate table: two rows for age {age}, sex {sex}, year {year}")));
            }
            *cell = match unit {
                RateUnit::Day => *h,
                RateUnit::Year => h / DAYS_PER_YEAR,
            };
        }
        if let Some(i) = hazard.iter().position(|h| h.is_nan()) {
            let (a, rest) = (i % ages, i / ages);
            return Err(StatsError::Input(format!(
                "rate table: no row for age {a}, sex {}, year {}",
                sexes[rest / years.len()],
                years[rest % years.len()]
            )));
        }
        let year_cuts = years
            .iter()
            .map(|y| {
                NaiveDate::from_ymd_opt(*y, 1, 1)
                    .map(days_since_1960)
                    .ok_or_else(|| StatsError::Input(format!("rate table: year {y}")))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { sexes, year_cuts, ages, hazard })
    }

    /// The index of a sex label, if the table has it.
    pub fn sex_index(&self, label: &str) -> Option<usize> {
        self.sexes.iter().position(|s| s == label)
    }

    /// The table's sex labels.
    pub fn sexes(&self) -> &[String] {
        &self.sexes
    }

    fn age_cut(&self, k: usize) -> f64 {
        k as f64 * DAYS_PER_YEAR
    }

    /// The cell of an attained age and date (days): the last cut at or below each, or the first
    /// cell below the table (relsurv's `pystep2`).
    fn cell(&self, age_days: f64, date_days: f64) -> (usize, usize) {
        let mut a = 0;
        while a + 1 < self.ages && age_days >= self.age_cut(a + 1) {
            a += 1;
        }
        let y = self.year_cuts.partition_point(|c| *c <= date_days).saturating_sub(1);
        (a, y)
    }

    fn hazard_at(&self, sex: usize, age: usize, year: usize) -> f64 {
        self.hazard[(sex * self.year_cuts.len() + year) * self.ages + age]
    }
}

/// One subject of a relative-survival analysis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Subject {
    /// Follow-up time in days.
    pub time: f64,
    /// Death (true) or censoring.
    pub event: bool,
    /// Age at diagnosis in days.
    pub age_days: f64,
    /// Index of the subject's sex in the rate table.
    pub sex: usize,
    /// Date of diagnosis in days since 1960-01-01.
    pub date_days: f64,
}

/// The estimator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelativeMethod {
    /// Relative survival, Ederer II.
    EdererII,
    /// Net survival, Pohar-Perme.
    PoharPerme,
}

/// How population hazards are integrated (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Integration {
    /// relsurv's daily steps.
    Daily,
    /// Exact integration between cut points.
    Exact,
}

/// One row of a relative survival table: the survival row (`surv` is the relative or net
/// survival; `std_err` is `surv` × relsurv's `std.err`, which is on the cumulative excess
/// hazard scale) and the expected survival of the subjects at risk (Ederer II's expected,
/// `Π exp(−Σ Y_i dΛ_Pi / Σ Y_i)`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RelativeRow {
    /// Time (days), counts, estimate and interval.
    pub row: SurvivalRow,
    /// Expected survival.
    pub expected: f64,
}

/// Sums over the subjects at risk in one interval between distinct times.
struct Interval {
    at_risk: f64,
    deaths: f64,
    /// Σ dN_i / S_i, at the end of the interval.
    deaths_weighted: f64,
    /// Σ dN_i / S_i².
    deaths_weighted_sq: f64,
    /// Σ Y_i / S_i at the end of the interval.
    at_risk_weighted: f64,
    /// Σ_i ∫ λ_i (Ederer II's expected deaths per subject at risk, times Σ Y).
    hazard: f64,
    /// ∫ Σ Y λ / S ÷ Σ Y / S (Pohar-Perme's population part).
    weighted_hazard: f64,
}

/// Relative or net survival of `subjects`.
pub fn relative_survival(
    subjects: &[Subject],
    table: &RateTable,
    method: RelativeMethod,
    integration: Integration,
    transform: CiTransform,
    conf: f64,
) -> Result<Vec<RelativeRow>, StatsError> {
    if let Some(s) = subjects
        .iter()
        .find(|s| !s.time.is_finite() || s.time < 0.0 || !s.age_days.is_finite() || !s.date_days.is_finite())
    {
        return Err(StatsError::Input(format!(
            "subject with time {}, age {} days, date {}: not usable",
            s.time, s.age_days, s.date_days
        )));
    }
    if let Some(s) = subjects.iter().find(|s| s.sex >= table.sexes.len()) {
        return Err(StatsError::Input(format!("sex index {} not in the rate table", s.sex)));
    }
    // Subjects in decreasing follow-up: those at risk at time t are a prefix.
    let mut order: Vec<usize> = (0..subjects.len()).collect();
    order.sort_by(|&a, &b| subjects[b].time.total_cmp(&subjects[a].time).then(a.cmp(&b)));
    let subs: Vec<Subject> = order.iter().map(|&i| subjects[i]).collect();
    let mut times: Vec<f64> = subs.iter().map(|s| s.time).collect();
    times.sort_by(f64::total_cmp);
    times.dedup();

    let mut intervals = Vec::with_capacity(times.len());
    let mut previous = 0.0;
    match integration {
        Integration::Daily => {
            let mut cells = DailyCells::new(&subs, table);
            for &t in &times {
                let n = subs.partition_point(|s| s.time >= t);
                cells.keep_at_risk(n);
                intervals.push(cells.interval(n, previous, t));
                previous = t;
            }
        }
        Integration::Exact => {
            let mut state = vec![State::default(); subs.len()];
            for (st, s) in state.iter_mut().zip(&subs) {
                st.surv = 1.0;
                (st.age, st.year) = table.cell(s.age_days, s.date_days);
            }
            for &t in &times {
                let n = subs.partition_point(|s| s.time >= t);
                intervals.push(exact_interval(&subs[..n], &mut state[..n], table, previous, t));
                previous = t;
            }
        }
    }

    let z = normal_quantile(1.0 - (1.0 - conf) / 2.0);
    let mut rows = Vec::with_capacity(times.len());
    let (mut surv, mut var, mut expected) = (1.0_f64, 0.0_f64, 1.0_f64);
    for (j, (t, iv)) in times.iter().zip(&intervals).enumerate() {
        let haz = match method {
            RelativeMethod::PoharPerme => iv.deaths_weighted / iv.at_risk_weighted - iv.weighted_hazard,
            RelativeMethod::EdererII => iv.deaths / iv.at_risk - iv.hazard / iv.at_risk,
        };
        var += match method {
            RelativeMethod::PoharPerme => iv.deaths_weighted_sq / (iv.at_risk_weighted * iv.at_risk_weighted),
            RelativeMethod::EdererII => iv.deaths / (iv.at_risk * iv.at_risk),
        };
        surv *= 1.0 - haz;
        expected *= (-iv.hazard / iv.at_risk).exp();
        let se = var.sqrt();
        let (lower, upper) = relsurv_interval(surv, se, transform, z);
        let next_risk = intervals.get(j + 1).map_or(0.0, |n| n.at_risk);
        rows.push(RelativeRow {
            row: SurvivalRow {
                time: *t,
                n_risk: iv.at_risk,
                n_event: iv.deaths,
                n_censor: iv.at_risk - next_risk - iv.deaths,
                surv,
                std_err: surv * se,
                lower,
                upper,
            },
            expected,
        });
    }
    Ok(rows)
}

/// relsurv's intervals: on log S, log(−log S) or S, with no truncation.
fn relsurv_interval(surv: f64, se: f64, transform: CiTransform, z: f64) -> (f64, f64) {
    match transform {
        CiTransform::Plain => (surv - se * z * surv, surv + se * z * surv),
        CiTransform::Log => ((surv.ln() - se * z).exp(), (surv.ln() + se * z).exp()),
        CiTransform::LogLog => {
            let ll = (-surv.ln()).ln();
            let s = se * z / surv.ln();
            ((-(ll - s).exp()).exp(), (-(ll + s).exp()).exp())
        }
    }
}

impl Interval {
    fn new(at_risk: usize) -> Self {
        Self {
            at_risk: at_risk as f64,
            deaths: 0.0,
            deaths_weighted: 0.0,
            deaths_weighted_sq: 0.0,
            at_risk_weighted: 0.0,
            hazard: 0.0,
            weighted_hazard: 0.0,
        }
    }

    /// Counts a death at the end of the interval, weighted by the subject's expected survival
    /// then.
    fn death(&mut self, expected_survival: f64) {
        self.deaths += 1.0;
        self.deaths_weighted += 1.0 / expected_survival;
        self.deaths_weighted_sq += 1.0 / (expected_survival * expected_survival);
    }
}

/// Per-subject running state: expected survival and current rate-table cell.
#[derive(Debug, Clone, Copy, Default)]
struct State {
    surv: f64,
    age: usize,
    year: usize,
}

impl State {
    /// Moves the cell forward to the attained age and date `elapsed` days after diagnosis.
    fn advance(&mut self, s: &Subject, table: &RateTable, elapsed: f64) {
        let (age, date) = (s.age_days + elapsed, s.date_days + elapsed);
        while self.age + 1 < table.ages && age >= table.age_cut(self.age + 1) {
            self.age += 1;
        }
        while self.year + 1 < table.year_cuts.len() && date >= table.year_cuts[self.year + 1] {
            self.year += 1;
        }
    }

    /// Days from `elapsed` to the next cut point of either dimension.
    fn days_to_next_cut(&self, s: &Subject, table: &RateTable, elapsed: f64) -> f64 {
        let age_next = if self.age + 1 < table.ages {
            table.age_cut(self.age + 1) - (s.age_days + elapsed)
        } else {
            f64::INFINITY
        };
        let year_next = if self.year + 1 < table.year_cuts.len() {
            table.year_cuts[self.year + 1] - (s.date_days + elapsed)
        } else {
            f64::INFINITY
        };
        age_next.min(year_next)
    }
}

/// relsurv's daily scheme (`netfastpinter2`) computed on rate-table cells instead of subjects.
///
/// relsurv visits every subject at risk on every day. But subjects in the same cell (age, sex,
/// period) share the day's hazard λ, so the sums it needs — Σ λ/S_i, Σ 1/S_i, Σ λ — are λ and
/// the cell's count and Σ 1/S_i, and a day multiplies the cell's Σ 1/S_i by e^λ. A subject's
/// own S is only needed when it changes cell (at a birthday or 1 January, found with a heap of
/// next cut points) and when it dies: each subject keeps its cumulative hazard on entering its
/// cell, and the cell its cumulative hazard since. The work per day is then proportional to the
/// number of occupied cells (a few hundred) rather than of subjects (hundreds of thousands),
/// with the same arithmetic as relsurv up to the order of summation.
struct DailyCells<'a> {
    table: &'a RateTable,
    subs: &'a [Subject],
    /// Per subject: current cell (index into the table's hazards), age and period indices,
    /// cumulative hazard on entering the cell, the cell's cumulative hazard then, whether at risk.
    cell: Vec<usize>,
    age: Vec<usize>,
    year: Vec<usize>,
    entry_hazard: Vec<f64>,
    entry_mark: Vec<f64>,
    at_risk: Vec<bool>,
    /// Subjects at risk: a prefix of `subs` of this length.
    n_at_risk: usize,
    /// Per cell: subjects, Σ 1/S_i, cumulative hazard of the cell's stay so far.
    count: Vec<f64>,
    inverse_sum: Vec<f64>,
    cumulative: Vec<f64>,
    /// Occupied cells and each cell's position in that list.
    occupied: Vec<usize>,
    position: Vec<usize>,
    /// Subjects by the day (days since diagnosis, rounded down) of their next cut point, with
    /// its exact time: a calendar queue, one bucket per day of follow-up (cut points after the
    /// last time are never reached and not kept).
    next_cut: Vec<Vec<(f64, usize)>>,
    /// The first day whose bucket may still hold subjects.
    first_day: usize,
}

const NOT_OCCUPIED: usize = usize::MAX;

impl<'a> DailyCells<'a> {
    fn new(subs: &'a [Subject], table: &'a RateTable) -> Self {
        let cells = table.hazard.len();
        let n = subs.len();
        let mut me = Self {
            table,
            subs,
            cell: vec![0; n],
            age: vec![0; n],
            year: vec![0; n],
            entry_hazard: vec![0.0; n],
            entry_mark: vec![0.0; n],
            at_risk: vec![true; n],
            n_at_risk: n,
            count: vec![0.0; cells],
            inverse_sum: vec![0.0; cells],
            cumulative: vec![0.0; cells],
            occupied: Vec::new(),
            position: vec![NOT_OCCUPIED; cells],
            // Subjects come longest follow-up first: the first one's time is the last.
            next_cut: vec![Vec::new(); subs.first().map_or(0, |s| s.time.max(0.0) as usize + 1)],
            first_day: 0,
        };
        for (i, s) in subs.iter().enumerate() {
            (me.age[i], me.year[i]) = table.cell(s.age_days, s.date_days);
            me.enter(i, 0.0);
            me.schedule(i);
        }
        me
    }

    fn cell_of(&self, i: usize) -> usize {
        (self.subs[i].sex * self.table.year_cuts.len() + self.year[i]) * self.table.ages + self.age[i]
    }

    /// Subject i's cumulative population hazard since diagnosis.
    fn hazard_of(&self, i: usize) -> f64 {
        self.entry_hazard[i] + self.cumulative[self.cell[i]] - self.entry_mark[i]
    }

    fn enter(&mut self, i: usize, hazard: f64) {
        let c = self.cell_of(i);
        self.cell[i] = c;
        self.entry_hazard[i] = hazard;
        self.entry_mark[i] = self.cumulative[c];
        if self.position[c] == NOT_OCCUPIED {
            self.position[c] = self.occupied.len();
            self.occupied.push(c);
        }
        self.count[c] += 1.0;
        self.inverse_sum[c] += hazard.exp();
    }

    /// Takes subject i out of its cell; returns its cumulative hazard.
    fn leave(&mut self, i: usize) -> f64 {
        let h = self.hazard_of(i);
        let c = self.cell[i];
        self.count[c] -= 1.0;
        if self.count[c] == 0.0 {
            self.inverse_sum[c] = 0.0;
            self.cumulative[c] = 0.0;
            let p = self.position[c];
            self.occupied.swap_remove(p);
            if p < self.occupied.len() {
                self.position[self.occupied[p]] = p;
            }
            self.position[c] = NOT_OCCUPIED;
        } else {
            self.inverse_sum[c] -= h.exp();
        }
        h
    }

    /// Puts subject i in the bucket of its next cut point, if any before the last time.
    fn schedule(&mut self, i: usize) {
        let s = &self.subs[i];
        let t = self.table;
        let age_next = if self.age[i] + 1 < t.ages { t.age_cut(self.age[i] + 1) - s.age_days } else { f64::INFINITY };
        let year_next = if self.year[i] + 1 < t.year_cuts.len() {
            t.year_cuts[self.year[i] + 1] - s.date_days
        } else {
            f64::INFINITY
        };
        let next = age_next.min(year_next);
        if next.is_finite() && next >= 0.0 && (next as usize) < self.next_cut.len() {
            self.next_cut[next as usize].push((next, i));
        }
    }

    /// Moves the subjects whose attained age or date has reached a cut point by `elapsed` days
    /// into their new cells (relsurv's test: `x + elapsed ≥ cut`).
    fn cross_cuts(&mut self, elapsed: f64) {
        // The subjects due, in the order of their cut times (then of their index).
        if self.next_cut.is_empty() {
            return;
        }
        let mut due = Vec::new();
        let last = (elapsed.max(0.0) as usize).min(self.next_cut.len() - 1);
        for day in self.first_day..=last {
            if (day + 1) as f64 <= elapsed {
                due.append(&mut self.next_cut[day]);
            } else {
                let bucket = &mut self.next_cut[day];
                due.extend(bucket.iter().filter(|(at, _)| *at <= elapsed));
                bucket.retain(|(at, _)| *at > elapsed);
            }
        }
        self.first_day = self.first_day.max(last);
        due.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (_, i) in due {
            if !self.at_risk[i] {
                continue;
            }
            let s = self.subs[i];
            let (age, date) = (s.age_days + elapsed, s.date_days + elapsed);
            let (mut a, mut y) = (self.age[i], self.year[i]);
            while a + 1 < self.table.ages && age >= self.table.age_cut(a + 1) {
                a += 1;
            }
            while y + 1 < self.table.year_cuts.len() && date >= self.table.year_cuts[y + 1] {
                y += 1;
            }
            if (a, y) != (self.age[i], self.year[i]) {
                let h = self.leave(i);
                (self.age[i], self.year[i]) = (a, y);
                self.enter(i, h);
            }
            self.schedule(i);
        }
    }

    /// Takes out of their cells the subjects no longer at risk (those from index `n` on).
    fn keep_at_risk(&mut self, n: usize) {
        for i in n..self.n_at_risk {
            self.leave(i);
            self.at_risk[i] = false;
        }
        self.n_at_risk = self.n_at_risk.min(n);
    }

    /// The sums of the interval (previous, t] for the `n` subjects at risk at t.
    fn interval(&mut self, n: usize, previous: f64, t: f64) -> Interval {
        let mut iv = Interval::new(n);
        let length = t - previous;
        let (mut f_lambda, mut f_lambda2, mut f_inv, mut f_inv2) = (0.0, 0.0, 0.0, 0.0);
        let mut elapsed_in = 0.0;
        // Zero-length intervals (deaths at time 0) take no step: relsurv gives NaN there; here
        // the deaths count with no population hazard.
        while elapsed_in < length {
            let start = previous + elapsed_in;
            let step = if length - elapsed_in < 1.0 { length - elapsed_in } else { 1.0 };
            self.cross_cuts(start);
            let mut inverse_sum = 0.0;
            for &c in &self.occupied {
                let lambda = self.table.hazard[c];
                let a = self.inverse_sum[c];
                let decay = (-step * lambda).exp();
                f_lambda += lambda * a;
                f_lambda2 += lambda * a / decay;
                f_inv += a;
                f_inv2 += a / decay;
                iv.hazard += step * lambda * self.count[c];
                self.inverse_sum[c] = a / decay;
                self.cumulative[c] += step * lambda;
                inverse_sum += self.inverse_sum[c];
            }
            iv.weighted_hazard += (f_lambda / f_inv / 2.0 + f_lambda2 / f_inv2 / 2.0) * step;
            iv.at_risk_weighted = inverse_sum;
            elapsed_in += step;
        }
        if length <= 0.0 {
            iv.at_risk_weighted = self.occupied.iter().map(|&c| self.inverse_sum[c]).sum();
        }
        let first_ending = self.subs[..n].partition_point(|s| s.time > t);
        for i in first_ending..n {
            if self.subs[i].event {
                iv.death((-self.hazard_of(i)).exp());
            }
        }
        iv
    }
}

/// Exact integration of piecewise-constant hazards over one interval (previous, t].
fn exact_interval(subs: &[Subject], state: &mut [State], table: &RateTable, previous: f64, t: f64) -> Interval {
    let mut iv = Interval::new(subs.len());
    let mut inv_before = 0.0;
    for (s, st) in subs.iter().zip(state.iter_mut()) {
        inv_before += 1.0 / st.surv;
        let mut at = previous;
        let mut cumulative = 0.0;
        while at < t {
            st.advance(s, table, at);
            // advance() has crossed every cut at or before `at`, so the next one is ahead.
            let next = st.days_to_next_cut(s, table, at);
            let piece = if next > 0.0 { next.min(t - at) } else { t - at };
            cumulative += piece * table.hazard_at(s.sex, st.age, st.year);
            at += piece;
        }
        iv.hazard += cumulative;
        st.surv *= (-cumulative).exp();
        iv.at_risk_weighted += 1.0 / st.surv;
        if s.time == t && s.event {
            iv.death(st.surv);
        }
    }
    iv.weighted_hazard = (iv.at_risk_weighted / inv_before).ln();
    iv
}

#[cfg(test)]
mod tests;
