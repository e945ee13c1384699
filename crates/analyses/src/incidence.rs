//! Incidence rates by any grouping, from the warehouse ([`counts_from_warehouse`]: the cases of
//! [`crate::cohort`] over its population) or from a user's files ([`counts_from_files`]):
//! crude and age-standardised rates with their intervals, cumulative rate and risk 0-74,
//! standardised incidence ratios against reference rates and rate ratios between groups
//! ([`rates`]); the formulas are `oncodata_stats::incidence`'s, with their sources
//! (`registry-and-epi-methods.md` §3: Segi/Doll world standard, Tiwari et al. 2006, Fay & Feuer
//! 1997, Breslow & Day 1987 for the SIR, Boyle & Parkin 1991 for the rate-ratio interval).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use oncodata_coding::{AgeGroup, standard_population};
use oncodata_stats::incidence::{
    AsrInterval, IncidenceRow, Rate, Stratum, cumulative_rate_and_risk, incidence_table, rate_ratio,
    standardised_incidence_ratio,
};
use oncodata_warehouse::Warehouse;

use crate::cohort::{self, CaseUnit, Stratifier};
use crate::columns::Columns;
use crate::{AnalysisError, request};

/// A standard population: its age-group labels and weights.
#[derive(Debug, Clone, PartialEq)]
pub struct Standard {
    /// The age-group labels, in order.
    pub labels: Vec<String>,
    /// The weight of each age group.
    pub weights: Vec<f64>,
}

impl Standard {
    /// A built-in standard (`world` Segi 1960, `esp1976`, `esp2013`, `who`) or a CSV/Parquet
    /// file with columns `age_group`, `weight`.
    pub fn named(name: &str) -> Result<Self, AnalysisError> {
        if let Some(s) = standard_population::built_in(name) {
            return Ok(Self { labels: AgeGroup::all().map(|g| g.label()).collect(), weights: s.weights.to_vec() });
        }
        let path = PathBuf::from(name);
        if !path.exists() {
            return Err(request(format!(
                "--standard {name}: neither a built-in standard ({}) nor a file",
                standard_population::BUILT_IN_NAMES.join(", ")
            )));
        }
        let c = Columns::read(&path).map_err(request)?;
        let labels = c.texts("age_group").map_err(request)?;
        let weights = c.numbers("weight").map_err(request)?;
        if let Some(i) = weights.iter().position(|w| !w.is_finite() || *w < 0.0) {
            return Err(request(c.bad(i, "weight", "is negative or not a number")));
        }
        Ok(Self { labels, weights })
    }

    /// Whether the labels are the 5-year groups 0-4 … 85+ (in any of their spellings).
    pub fn is_five_year(&self) -> bool {
        self.labels.len() == AgeGroup::COUNT
            && self
                .labels
                .iter()
                .zip(AgeGroup::all())
                .all(|(l, g)| label_index(std::slice::from_ref(l), &g.label()).is_some())
    }
}

/// The index of an age-group label among `labels` (5-year labels are matched in any of their
/// spellings, e.g. 00-04).
pub fn label_index(labels: &[String], text: &str) -> Option<usize> {
    labels.iter().position(|l| l == text.trim()).or_else(|| {
        let g = AgeGroup::parse(text).ok()?;
        labels.iter().position(|l| AgeGroup::parse(l).ok() == Some(g))
    })
}

/// Cases and person-years by stratum and age group.
#[derive(Debug, Clone, PartialEq)]
pub struct Counts {
    /// The grouping columns.
    pub by: Vec<String>,
    /// Age-group labels, in order.
    pub labels: Vec<String>,
    /// Cases by key (the values of `by`) and age group.
    pub cases: BTreeMap<Vec<String>, Vec<f64>>,
    /// Person-years by the population's part of the key and age group.
    pub person_years: HashMap<Vec<String>, Vec<f64>>,
    /// Which `by` columns the population has (their positions in the key).
    pub population_keys: Vec<usize>,
    /// On the warehouse: what was counted, and what was left out ([`cohort::Cases::describe`]).
    pub counted: Option<(CaseUnit, String)>,
}

/// Cases from a file (one row per case, or aggregated rows with a `count` column; an `age` or
/// `age_group` column and the `by` columns) and person-years from another (the `by` columns it
/// has, `age_group`, `person_years`); errors name the file, row and column.
pub fn counts_from_files(
    cases: &Path,
    population: &Path,
    by: &[String],
    labels: &[String],
) -> Result<Counts, AnalysisError> {
    let cases = Columns::read(cases).map_err(request)?;
    let pop = Columns::read(population).map_err(request)?;
    let keys: Vec<Vec<String>> = by.iter().map(|b| cases.texts(b)).collect::<Result<_, _>>().map_err(request)?;
    let counts: Vec<f64> =
        if cases.index("count").is_ok() { cases.numbers("count").map_err(request)? } else { vec![1.0; cases.len()] };
    let groups: Vec<usize> = if cases.index("age_group").is_ok() {
        let t = cases.texts("age_group").map_err(request)?;
        t.iter()
            .enumerate()
            .map(|(r, l)| {
                label_index(labels, l).ok_or_else(|| {
                    cases.bad(r, "age_group", &format!("is '{l}', not one of the standard's age groups"))
                })
            })
            .collect::<Result<_, _>>()
            .map_err(request)?
    } else {
        let ages = cases.numbers("age").map_err(request)?;
        ages.iter()
            .enumerate()
            .map(|(r, a)| {
                if !(0.0..=150.0).contains(a) {
                    return Err(cases.bad(r, "age", &format!("is {a}, not an age in years")));
                }
                label_index(labels, &AgeGroup::from_age(*a as u32).label())
                    .ok_or_else(|| cases.bad(r, "age", "has no 5-year group in the standard; give an age_group column"))
            })
            .collect::<Result<_, _>>()
            .map_err(request)?
    };
    let mut out = Counts {
        by: by.to_vec(),
        labels: labels.to_vec(),
        cases: BTreeMap::new(),
        person_years: HashMap::new(),
        population_keys: vec![],
        counted: None,
    };
    for i in 0..cases.len() {
        let key: Vec<String> = keys.iter().map(|c| c[i].clone()).collect();
        out.cases.entry(key).or_insert_with(|| vec![0.0; labels.len()])[groups[i]] += counts[i];
    }
    out.population_keys = (0..by.len()).filter(|&k| pop.index(&by[k]).is_ok()).collect();
    let pop_by: Vec<Vec<String>> =
        out.population_keys.iter().map(|&k| pop.texts(&by[k])).collect::<Result<_, _>>().map_err(request)?;
    let pop_groups = pop.texts("age_group").map_err(request)?;
    let py = pop.numbers("person_years").map_err(request)?;
    for i in 0..pop.len() {
        let g = label_index(labels, &pop_groups[i]).ok_or_else(|| {
            request(pop.bad(i, "age_group", &format!("is '{}', not one of the standard's age groups", pop_groups[i])))
        })?;
        if !py[i].is_finite() || py[i] < 0.0 {
            return Err(request(pop.bad(i, "person_years", "is negative or not a number")));
        }
        let key: Vec<String> = pop_by.iter().map(|c| c[i].clone()).collect();
        out.person_years.entry(key).or_insert_with(|| vec![0.0; labels.len()])[g] += py[i];
    }
    Ok(out)
}

/// The warehouse's cases ([`cohort::incidence_cases`]) and person-years
/// ([`cohort::person_years`]) by `by` (names of [`Stratifier`]s), in the 5-year age groups of
/// `labels`.
pub async fn counts_from_warehouse(
    w: &Warehouse,
    by: &[String],
    labels: &[String],
    years: Option<cohort::Years>,
) -> Result<Counts, AnalysisError> {
    if labels.len() != AgeGroup::COUNT
        || labels.iter().zip(AgeGroup::all()).any(|(l, g)| label_index(std::slice::from_ref(l), &g.label()).is_none())
    {
        return Err(request("on the warehouse, --standard must use the 5-year age groups 0-4 ... 85+"));
    }
    let stratifiers: Vec<Stratifier> = by
        .iter()
        .map(|b| {
            Stratifier::parse(b).ok_or_else(|| {
                let names: Vec<&str> = Stratifier::ALL.iter().map(|s| s.name()).collect();
                request(format!("--by {b}: on the warehouse, group by {}", names.join(", ")))
            })
        })
        .collect::<Result<_, _>>()?;
    let cases = cohort::incidence_cases(w, &stratifiers, years).await?;
    let counted = Some((cases.unit, cases.describe()));
    let mut out = Counts {
        by: by.to_vec(),
        labels: labels.to_vec(),
        cases: cases.counts.into_iter().map(|(k, v)| (k, v.to_vec())).collect(),
        person_years: HashMap::new(),
        population_keys: vec![],
        counted,
    };
    let population = cohort::person_years(w, &stratifiers, years).await?;
    out.population_keys = population.keys;
    for (key, group, py) in population.by_group {
        let g = label_index(labels, &group).ok_or_else(|| request(format!("population age group '{group}'")))?;
        out.person_years.entry(key).or_insert_with(|| vec![0.0; labels.len()])[g] += py;
    }
    Ok(out)
}

/// A period of years written `A-B` (or one year `A`), as `--years` takes it.
pub fn parse_years(text: &str) -> Result<cohort::Years, AnalysisError> {
    let bad = || request(format!("--years {text}: expected a period of years as A-B (2020-2022) or one year"));
    let (a, b) = text.split_once('-').unwrap_or((text, text));
    let (first, last): (i32, i32) = (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?);
    if first > last || !(1900..=2200).contains(&first) || !(1900..=2200).contains(&last) {
        return Err(bad());
    }
    Ok((first, last))
}

/// The age groups an `A-B` range keeps (whole 5-year groups from A to B; `A+` from A on).
pub fn age_range(text: &str, labels: &[String]) -> Result<Vec<usize>, AnalysisError> {
    let bad =
        || request(format!("--age-range {text}: expected whole 5-year groups as A-B (0-74, 35-64) or A+ (e.g. 50+)"));
    let (lo, hi) = match text.split_once('-') {
        Some((a, b)) => {
            (a.trim().parse::<u32>().map_err(|_| bad())?, Some(b.trim().parse::<u32>().map_err(|_| bad())?))
        }
        None => (text.trim().trim_end_matches('+').parse::<u32>().map_err(|_| bad())?, None),
    };
    if lo % 5 != 0 || hi.is_some_and(|h| h % 5 != 4 || h < lo) {
        return Err(bad());
    }
    let keep: Vec<usize> = labels
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let g = AgeGroup::parse(l).ok()?;
            let inside = g.lower_age() >= lo && hi.is_none_or(|h| g.lower_age() < h && g.index() < AgeGroup::COUNT - 1);
            inside.then_some(i)
        })
        .collect();
    if keep.is_empty() { Err(bad()) } else { Ok(keep) }
}

/// Pairs each stratum's cases with its population's person-years, over the kept age groups. An
/// age group with cases and no person-years is an error, never a rate over zero.
pub fn strata(counts: &Counts, keep: &[usize]) -> Result<Vec<Stratum>, AnalysisError> {
    let pick = |v: &[f64]| keep.iter().map(|&i| v[i]).collect::<Vec<f64>>();
    counts
        .cases
        .iter()
        .map(|(key, cases)| {
            let pkey: Vec<String> = counts.population_keys.iter().map(|&i| key[i].clone()).collect();
            let py = counts.person_years.get(&pkey).ok_or_else(|| {
                let cols: Vec<&str> = counts.population_keys.iter().map(|&i| counts.by[i].as_str()).collect();
                request(format!("no population for {} = {}", cols.join(","), pkey.join(",")))
            })?;
            if let Some(&k) = keep.iter().find(|&&k| cases[k] > 0.0 && (py[k].is_nan() || py[k] <= 0.0)) {
                let cols: Vec<String> = counts.by.iter().zip(key).map(|(c, v)| format!("{c}={v}")).collect();
                return Err(request(format!(
                    "{} case(s) in age group {} of {} but no person-years in the population for it: \
                     the population lacks that age group (or gives 0)",
                    cases[k],
                    counts.labels[k],
                    if cols.is_empty() { "all".to_string() } else { cols.join(", ") }
                )));
            }
            Ok(Stratum { key: key.clone(), cases: pick(cases), person_years: pick(py) })
        })
        .collect()
}

/// What [`rates`] computes besides the rates themselves.
#[derive(Debug, Clone, Copy)]
pub struct RateOptions<'a> {
    /// Interval of the age-standardised rate.
    pub interval: AsrInterval,
    /// Confidence level (0 to 1, exclusive).
    pub conf: f64,
    /// Truncated rates over whole 5-year groups (`0-74`, `35-64`, `50+`).
    pub age_range: Option<&'a str>,
    /// Reference rates per 100,000 for standardised incidence ratios: a CSV or Parquet file with
    /// the `by` columns it stratifies on, `age_group` and `rate`.
    pub sir_reference: Option<&'a Path>,
    /// `COL=VALUE`: rate ratios of each row's ASR to the row with that value of `COL`.
    pub ratio_to: Option<&'a str>,
}

impl Default for RateOptions<'_> {
    /// What registries publish: Tiwari intervals at 95 %, all ages, no SIR or ratio.
    fn default() -> Self {
        Self { interval: AsrInterval::Tiwari, conf: 0.95, age_range: None, sir_reference: None, ratio_to: None }
    }
}

/// The rates of every stratum, with what the options asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Rates {
    /// The age groups kept (indexes of the labels).
    pub keep: Vec<usize>,
    /// Cases and person-years per stratum, over the kept groups.
    pub strata: Vec<Stratum>,
    /// Crude and age-standardised rates per stratum.
    pub table: Vec<IncidenceRow>,
    /// Cumulative rate and risk 0-74 (%), when the groups are the 5-year ones, untruncated.
    pub cumulative: Vec<Option<(f64, f64)>>,
    /// Expected cases and SIR per stratum, with a reference.
    pub sirs: Option<Vec<(f64, Rate)>>,
    /// Rate ratio per stratum (NaN where the reference row is missing), with `ratio_to`.
    pub ratios: Option<Vec<Rate>>,
}

/// The columns every incidence table has after its grouping columns.
pub const RATE_COLUMNS: [&str; 9] =
    ["cases", "person_years", "crude_rate", "crude_lower", "crude_upper", "asr", "asr_lower", "asr_upper", "asr_se"];

/// The columns after [`RATE_COLUMNS`]: cumulative rate and risk 0-74 (%).
pub const CUMULATIVE_COLUMNS: [&str; 2] = ["cum_rate_0_74", "cum_risk_0_74"];

/// A row's values for [`RATE_COLUMNS`], at full precision (NA when undefined).
pub fn rate_fields(r: &IncidenceRow) -> Vec<String> {
    [
        r.cases,
        r.person_years,
        r.crude.value,
        r.crude.lower,
        r.crude.upper,
        r.asr.rate.value,
        r.asr.rate.lower,
        r.asr.rate.upper,
        r.asr.se,
    ]
    .iter()
    .map(|x| if x.is_finite() { x.to_string() } else { "NA".into() })
    .collect()
}

/// The incidence table as published: the grouping columns `by`, [`RATE_COLUMNS`] and
/// [`CUMULATIVE_COLUMNS`], one record per stratum of `rates`, numbers at full precision.
pub fn table_records(by: &[String], rates: &Rates) -> (Vec<String>, Vec<Vec<String>>) {
    let header =
        by.iter().cloned().chain(RATE_COLUMNS.iter().chain(&CUMULATIVE_COLUMNS).map(|c| c.to_string())).collect();
    let records = rates
        .table
        .iter()
        .zip(&rates.cumulative)
        .map(|(r, cum)| {
            let mut v = r.key.clone();
            v.extend(rate_fields(r));
            v.push(cum.map_or("NA".into(), |c| c.0.to_string()));
            v.push(cum.map_or("NA".into(), |c| c.1.to_string()));
            v
        })
        .collect();
    (header, records)
}

/// Rates per stratum of `counts`, standardised to `standard` (whose labels are the counts').
pub fn rates(counts: &Counts, standard: &Standard, options: &RateOptions<'_>) -> Result<Rates, AnalysisError> {
    if options.conf <= 0.0 || options.conf >= 1.0 {
        return Err(request(format!("--conf {} must be between 0 and 1", options.conf)));
    }
    let keep: Vec<usize> = match options.age_range {
        Some(r) => age_range(r, &counts.labels)?,
        None => (0..counts.labels.len()).collect(),
    };
    let pick = |v: &[f64]| keep.iter().map(|&i| v[i]).collect::<Vec<f64>>();
    let strata = strata(counts, &keep)?;
    let table = incidence_table(&strata, &pick(&standard.weights), options.interval, options.conf)?;
    // Cumulative rate and risk 0-74 need 5-year groups.
    let five_year: Vec<usize> = (0..counts.labels.len())
        .filter(|&i| AgeGroup::parse(&counts.labels[i]).is_ok_and(|g| g.index() < 15))
        .collect();
    let cumulative = strata
        .iter()
        .map(|s| {
            (five_year.len() == 15 && options.age_range.is_none()).then(|| {
                let c: Vec<f64> = five_year.iter().map(|&i| s.cases[i]).collect();
                let p: Vec<f64> = five_year.iter().map(|&i| s.person_years[i]).collect();
                cumulative_rate_and_risk(&c, &p, 5.0)
            })
        })
        .collect();
    let sirs = match options.sir_reference {
        None => None,
        Some(path) => {
            let reference = reference_rates(path, &counts.by, &counts.labels)?;
            let mut out = Vec::new();
            for s in &strata {
                let rkey: Vec<String> = reference.key_columns.iter().map(|&k| s.key[k].clone()).collect();
                let rates = reference
                    .rates
                    .get(&rkey)
                    .ok_or_else(|| request(format!("{}: no reference rates for {}", path.display(), rkey.join(","))))?;
                let rates = pick(rates);
                if let Some(k) = rates.iter().position(|r| r.is_nan()) {
                    return Err(request(format!(
                        "{}: no reference rate for age group {} of {}",
                        path.display(),
                        counts.labels[keep[k]],
                        rkey.join(",")
                    )));
                }
                let expected: f64 = rates.iter().zip(&s.person_years).map(|(r, p)| r * p / 100_000.0).sum();
                out.push((expected, standardised_incidence_ratio(s.cases.iter().sum(), expected, options.conf)));
            }
            Some(out)
        }
    };
    let ratios = match options.ratio_to {
        None => None,
        Some(spec) => {
            let (col, value) = spec
                .split_once('=')
                .ok_or_else(|| request(format!("--ratio-to {spec}: expected COL=VALUE, e.g. sex=female")))?;
            let k = counts
                .by
                .iter()
                .position(|b| b == col)
                .ok_or_else(|| request(format!("--ratio-to {spec}: {col} is not a --by column")))?;
            Some(
                table
                    .iter()
                    .map(|r| {
                        let mut key = r.key.clone();
                        key[k] = value.to_string();
                        table
                            .iter()
                            .find(|x| x.key == key)
                            .map_or(Rate { value: f64::NAN, lower: f64::NAN, upper: f64::NAN }, |reference| {
                                rate_ratio(&r.asr, &reference.asr, options.conf)
                            })
                    })
                    .collect(),
            )
        }
    };
    Ok(Rates { keep, strata, table, cumulative, sirs, ratios })
}

/// Reference rates per 100,000 by a subset of the `by` columns and age group.
struct ReferenceRates {
    /// Positions in the key of the columns the reference stratifies on.
    key_columns: Vec<usize>,
    rates: HashMap<Vec<String>, Vec<f64>>,
}

fn reference_rates(path: &Path, by: &[String], labels: &[String]) -> Result<ReferenceRates, AnalysisError> {
    let c = Columns::read(path).map_err(request)?;
    let key_columns: Vec<usize> = (0..by.len()).filter(|&k| c.index(&by[k]).is_ok()).collect();
    let keys: Vec<Vec<String>> =
        key_columns.iter().map(|&k| c.texts(&by[k])).collect::<Result<_, _>>().map_err(request)?;
    let groups = c.texts("age_group").map_err(request)?;
    let rate = c.numbers("rate").map_err(request)?;
    let mut rates: HashMap<Vec<String>, Vec<f64>> = HashMap::new();
    for i in 0..c.len() {
        let g = label_index(labels, &groups[i]).ok_or_else(|| {
            request(c.bad(i, "age_group", &format!("is '{}', not one of the standard's age groups", groups[i])))
        })?;
        if !rate[i].is_finite() || rate[i] < 0.0 {
            return Err(request(c.bad(i, "rate", "is negative or not a number")));
        }
        let key: Vec<String> = keys.iter().map(|k| k[i].clone()).collect();
        rates.entry(key).or_insert_with(|| vec![f64::NAN; labels.len()])[g] = rate[i];
    }
    Ok(ReferenceRates { key_columns, rates })
}

/// Rates from the warehouse by `by`, with a built-in or file standard and the Tiwari interval at
/// 95 %: what `oncodata incidence --by …` prints, for other callers (the demo, a server).
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let w = oncodata_warehouse::Warehouse::open(std::path::Path::new("oncodata-data"))?;
/// for row in w.block_on(oncodata_analyses::incidence::warehouse_rates(&w, &["sex"], "world"))? {
///     println!("{:?}: ASR {:.1} per 100,000", row.key, row.asr.rate.value);
/// }
/// # Ok(()) }
/// ```
pub async fn warehouse_rates(w: &Warehouse, by: &[&str], standard: &str) -> Result<Vec<IncidenceRow>, AnalysisError> {
    let standard = Standard::named(standard)?;
    let by: Vec<String> = by.iter().map(|s| s.to_string()).collect();
    let counts = counts_from_warehouse(w, &by, &standard.labels, None).await?;
    let options =
        RateOptions { interval: AsrInterval::Tiwari, conf: 0.95, age_range: None, sir_reference: None, ratio_to: None };
    Ok(rates(&counts, &standard, &options)?.table)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// From files, with a two-group standard: the rates a hand calculation gives, the SIR
    /// against reference rates, the rate ratio, and errors that name the file and row.
    #[test]
    fn rates_from_files_equal_a_hand_calculation() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let standard = write("standard.csv", "age_group,weight\nyoung,60\nold,40\n");
        let cases =
            write("cases.csv", "sex,age_group,count\nmale,young,10\nmale,old,30\nfemale,young,5\nfemale,old,20\n");
        let population = write(
            "population.csv",
            "sex,age_group,person_years\nmale,young,100000\nmale,old,50000\nfemale,young,100000\nfemale,old,50000\n",
        );
        let reference = write("reference.csv", "age_group,rate\nyoung,10\nold,50\n");
        let standard = Standard::named(standard.to_str().unwrap()).unwrap();
        assert!(!standard.is_five_year());
        let by = vec!["sex".to_string()];
        let counts = counts_from_files(&cases, &population, &by, &standard.labels).unwrap();
        let options = RateOptions {
            interval: AsrInterval::Normal,
            conf: 0.95,
            age_range: None,
            sir_reference: Some(&reference),
            ratio_to: Some("sex=female"),
        };
        let r = rates(&counts, &standard, &options).unwrap();
        let male = r.table.iter().position(|x| x.key == ["male"]).unwrap();
        let female = r.table.iter().position(|x| x.key == ["female"]).unwrap();
        // Crude: 40 / 150,000 = 26.67 per 100,000; ASR: (0.6 × 10 + 0.4 × 60) = 30 per 100,000.
        assert!((r.table[male].crude.value - 40.0 / 1.5).abs() < 1e-9);
        assert!((r.table[male].asr.rate.value - 30.0).abs() < 1e-9);
        // Women: 0.6 × 5 + 0.4 × 40 = 19; rate ratio 30 / 19.
        assert!((r.table[female].asr.rate.value - 19.0).abs() < 1e-9);
        let ratios = r.ratios.unwrap();
        assert!((ratios[male].value - 30.0 / 19.0).abs() < 1e-12);
        assert!((ratios[female].value - 1.0).abs() < 1e-12);
        // Expected for men: 10 × 1 + 50 × 0.5 = 35; SIR 40 / 35.
        let sirs = r.sirs.unwrap();
        assert!((sirs[male].0 - 35.0).abs() < 1e-9 && (sirs[male].1.value - 40.0 / 35.0).abs() < 1e-12);
        assert_eq!(r.cumulative, vec![None, None], "no cumulative risk without 5-year groups");

        let bad = write("bad.csv", "sex,age_group,count\nmale,middle,1\n");
        let e = counts_from_files(&bad, &population, &by, &standard.labels).unwrap_err().to_string();
        assert!(e.contains("bad.csv") && e.contains("row 1") && e.contains("middle"), "{e}");
        let none = write("none.csv", "sex,age_group,person_years\nmale,young,100000\n");
        let counts = counts_from_files(&cases, &none, &by, &standard.labels).unwrap();
        let e = rates(&counts, &standard, &RateOptions { sir_reference: None, ratio_to: None, ..options }).unwrap_err();
        assert!(e.to_string().contains("no population for sex = female"), "{e}");
    }

    #[test]
    fn age_ranges_keep_whole_five_year_groups() {
        let labels: Vec<String> = AgeGroup::all().map(|g| g.label()).collect();
        assert_eq!(age_range("0-74", &labels).unwrap(), (0..15).collect::<Vec<_>>());
        assert_eq!(age_range("50+", &labels).unwrap(), (10..18).collect::<Vec<_>>());
        for bad in ["3-74", "0-73", "x", "80-40"] {
            assert!(age_range(bad, &labels).is_err(), "{bad}");
        }
    }
}
