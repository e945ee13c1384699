//! Trends as NCI's Joinpoint fits them (`oncodata trend`): joinpoint regression
//! ([`oncodata_stats::joinpoint`]) of each series of a table of rates by year
//! ([`trends_of_file`]), or of the warehouse's age-standardised incidence rates by year
//! ([`trends_of_rates`], weighted by their standard errors as Joinpoint weights SEER*Stat's
//! rates).

use std::collections::BTreeMap;

use oncodata_stats::joinpoint::{Selection, Series, Settings, Trend, fit};
use oncodata_stats::random::SplitMix64;
use serde::Serialize;

use crate::columns::Columns;
use crate::incidence::Rates;
use crate::{AnalysisError, request};

/// Joinpoint's heteroscedasticity options: what each rate's weight is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weighting {
    /// Constant variance: every rate weighs 1.
    Constant,
    /// Poisson variance: a rate weighs its count of cases.
    Poisson,
    /// Standard errors: a rate `r` with standard error `se` weighs `r²/se²`.
    StandardError,
}

impl Weighting {
    /// The option's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Constant => "constant variance",
            Self::Poisson => "Poisson variance",
            Self::StandardError => "standard error",
        }
    }
}

/// What every trend request shares: the model settings, the AAPC ranges and the seed.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendRequest {
    /// Joinpoint's settings.
    pub settings: Settings,
    /// Ranges for AAPCs besides the whole one.
    pub ranges: Vec<(f64, f64)>,
    /// The seed of the permutations and resamples (SplitMix64).
    pub seed: u64,
    /// The weights.
    pub weighting: Weighting,
}

/// A series and its fitted trend.
#[derive(Debug, Clone, Serialize)]
pub struct SeriesTrend {
    /// The values of the grouping columns.
    pub key: Vec<String>,
    /// The years (or other times).
    pub x: Vec<f64>,
    /// The observed rates.
    pub rate: Vec<f64>,
    /// The fit.
    #[serde(flatten)]
    pub trend: Trend,
}

/// The trends of a table, with what they were fitted with.
#[derive(Debug, Clone, Serialize)]
pub struct TrendResult {
    /// The grouping columns.
    pub by: Vec<String>,
    /// One trend per series.
    pub series: Vec<SeriesTrend>,
    /// Series not fitted, with the reason (a rate withheld by disclosure control, too few
    /// years); only on the warehouse, where a file's series would be an error.
    pub not_fitted: Vec<(Vec<String>, String)>,
    /// The settings, as reported.
    pub settings: serde_json::Value,
}

/// Parses `A-B` AAPC ranges.
pub fn parse_ranges(texts: &[String]) -> Result<Vec<(f64, f64)>, AnalysisError> {
    texts
        .iter()
        .map(|t| {
            t.split_once('-')
                .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)))
                .ok_or_else(|| request(format!("--aapc {t}: expected a range of years A-B, e.g. 2013-2022")))
        })
        .collect()
}

fn settings_json(request: &TrendRequest) -> serde_json::Value {
    let s = &request.settings;
    let selection = match s.selection {
        Selection::Permutation { permutations } => format!("permutation tests ({permutations} permutations)"),
        Selection::Bic => "BIC".into(),
        Selection::Bic3 => "BIC3".into(),
        Selection::WeightedBic => "weighted BIC".into(),
    };
    serde_json::json!({
        "model": "ln(rate) = xb, continuous joinpoints at observed times (grid search)",
        "weights": request.weighting.name(),
        "selection": selection,
        "min_joinpoints": s.min_joinpoints,
        "max_joinpoints": s.max_joinpoints.map_or_else(|| serde_json::json!("by number of observations"), |k| k.into()),
        "min_observations_from_ends": s.min_end,
        "min_observations_between": s.min_between,
        "alpha": s.alpha,
        "resamples": s.resamples,
        "seed": request.seed,
    })
}

fn fit_all(
    by: &[String],
    groups: BTreeMap<Vec<String>, Vec<(f64, f64, f64)>>,
    request: &TrendRequest,
    mut not_fitted: Option<Vec<(Vec<String>, String)>>,
) -> Result<TrendResult, AnalysisError> {
    let mut series = Vec::new();
    for (key, mut points) in groups {
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let name = if key.is_empty() { String::new() } else { format!("{}: ", key.join(", ")) };
        if let Some(w) = points.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(refuse(format!("{name}two rows for {}", w[0].0)));
        }
        let s = Series {
            x: points.iter().map(|p| p.0).collect(),
            rate: points.iter().map(|p| p.1).collect(),
            weight: points.iter().map(|p| p.2).collect(),
        };
        // Each series draws from its own generator, so adding a series changes no other.
        let mut rng = SplitMix64::new(request.seed);
        match (fit(&s, &request.settings, &request.ranges, &mut || rng.uniform()), not_fitted.as_mut()) {
            (Ok(trend), _) => series.push(SeriesTrend { key, x: s.x, rate: s.rate, trend }),
            (Err(e), Some(skipped)) => skipped.push((key, e.to_string())),
            (Err(e), None) => return Err(refuse(format!("{name}{e}"))),
        }
    }
    let not_fitted = not_fitted.unwrap_or_default();
    Ok(TrendResult { by: by.to_vec(), series, not_fitted, settings: settings_json(request) })
}

fn refuse(message: String) -> AnalysisError {
    request(message)
}

/// The columns of a table of rates.
#[derive(Debug, Clone, Copy)]
pub struct FileTrend<'a> {
    /// The time column (e.g. year).
    pub x: &'a str,
    /// The rate column.
    pub rate: &'a str,
    /// The count column (Poisson weights).
    pub count: Option<&'a str>,
    /// The standard-error column (standard-error weights).
    pub se: Option<&'a str>,
    /// Columns whose values make separate series.
    pub by: &'a [String],
}

/// One trend per series of `data`; errors name the file, row and column.
pub fn trends_of_file(
    data: &Columns,
    file: &FileTrend<'_>,
    request: &TrendRequest,
) -> Result<TrendResult, AnalysisError> {
    let bad = AnalysisError::Request;
    let x = data.numbers(file.x).map_err(bad)?;
    let rate = data.numbers(file.rate).map_err(bad)?;
    let weight: Vec<f64> = match request.weighting {
        Weighting::Constant => vec![1.0; x.len()],
        Weighting::Poisson => {
            let col = file.count.ok_or_else(|| refuse("--weights poisson needs --count COL".into()))?;
            data.numbers(col).map_err(bad)?
        }
        Weighting::StandardError => {
            let col = file.se.ok_or_else(|| refuse("--weights se needs --se COL".into()))?;
            data.numbers(col).map_err(bad)?.iter().zip(&rate).map(|(se, r)| r * r / (se * se)).collect()
        }
    };
    for r in 0..x.len() {
        if !(rate[r] > 0.0 && rate[r].is_finite()) {
            return Err(bad(data.bad(
                r,
                file.rate,
                &format!("is {}: a log-linear trend needs rates above 0", rate[r]),
            )));
        }
        if !(weight[r] > 0.0 && weight[r].is_finite()) {
            let col = match request.weighting {
                Weighting::Poisson => file.count.unwrap_or(file.rate),
                _ => file.se.unwrap_or(file.rate),
            };
            return Err(bad(data.bad(r, col, "gives no positive weight")));
        }
    }
    let keys: Vec<Vec<String>> = if file.by.is_empty() {
        vec![Vec::new(); x.len()]
    } else {
        let cols = file.by.iter().map(|b| data.texts(b).map_err(bad)).collect::<Result<Vec<_>, _>>()?;
        (0..x.len()).map(|r| cols.iter().map(|c| c[r].clone()).collect()).collect()
    };
    if x.is_empty() {
        return Err(bad("no rows: the table is empty".into()));
    }
    let mut groups: BTreeMap<Vec<String>, Vec<(f64, f64, f64)>> = BTreeMap::new();
    for (r, key) in keys.into_iter().enumerate() {
        groups.entry(key).or_default().push((x[r], rate[r], weight[r]));
    }
    fit_all(file.by, groups, request, None)
}

/// One trend of age-standardised rates per stratum of `by`, from incidence `rates` grouped by
/// `by` and then `year` (the last key). Rows marked in `withheld` (disclosure control) leave
/// their series out, as do series the model cannot fit (too few years); the result names them.
pub fn trends_of_rates(
    by: &[String],
    rates: &Rates,
    withheld: &[bool],
    request: &TrendRequest,
) -> Result<TrendResult, AnalysisError> {
    let mut groups: BTreeMap<Vec<String>, Vec<(f64, f64, f64)>> = BTreeMap::new();
    let mut out: BTreeMap<Vec<String>, String> = BTreeMap::new();
    for (row, &hidden) in rates.table.iter().zip(withheld) {
        let (key, year) = row.key.split_at(row.key.len() - 1);
        let year: f64 = year[0].parse().map_err(|_| refuse(format!("year '{}' is not a number", year[0])))?;
        if hidden {
            out.entry(key.to_vec()).or_insert_with(|| format!("the rate of {year} is withheld by disclosure control"));
            continue;
        }
        let asr = row.asr.rate.value;
        if asr.is_nan() || asr <= 0.0 {
            out.entry(key.to_vec())
                .or_insert_with(|| format!("no cases in {year}: a log-linear trend needs rates above 0"));
            continue;
        }
        let weight = match request.weighting {
            Weighting::Constant => 1.0,
            Weighting::Poisson => row.cases,
            Weighting::StandardError => asr * asr / (row.asr.se * row.asr.se),
        };
        groups.entry(key.to_vec()).or_default().push((year, asr, weight));
    }
    for key in out.keys() {
        groups.remove(key);
    }
    fit_all(by, groups, request, Some(out.into_iter().collect()))
}
