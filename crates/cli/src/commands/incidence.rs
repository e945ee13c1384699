//! `oncodata incidence`: counts, crude and age-standardised rates with their intervals, and
//! cumulative rate and risk 0-74, by any grouping, from the warehouse or from a user's files.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use oncodata_analyses::cohort::{self, Stratifier};
use oncodata_coding::{AgeGroup, standard_population};
use oncodata_stats::incidence::{
    AsrInterval, IncidenceRow, Rate, Stratum, crude_rate, cumulative_rate_and_risk, incidence_table, rate_ratio,
    standardised_incidence_ratio,
};
use serde_json::json;

use super::{CliResult, Format};
use crate::WarehouseArg;
use crate::columns::Columns;
use crate::plot::{BarSeries, TrendSeries, rate_bars, trend_lines};

/// Interval of the age-standardised rate.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CiMethod {
    /// Tiwari, Clegg & Zou 2006 (SEER*Stat's default).
    Tiwari,
    /// Fay & Feuer 1997 gamma interval.
    FayFeuer,
    /// Normal approximation.
    Normal,
}

/// Arguments of `oncodata incidence`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    warehouse: WarehouseArg,
    /// Cases file (CSV or Parquet): one row per case, or aggregated rows with a `count` column;
    /// an `age` (years) or `age_group` column, and the --by columns. Without it, the warehouse.
    #[arg(long, value_name = "FILE", requires = "population")]
    cases: Option<PathBuf>,
    /// Population file: the --by columns it has (e.g. sex, year), `age_group`, `person_years`.
    #[arg(long, value_name = "FILE", requires = "cases")]
    population: Option<PathBuf>,
    /// Grouping columns (comma-separated). On the warehouse: site_group, sex, year, area, icd10, iccc.
    #[arg(long, value_name = "COLS", value_delimiter = ',', required = true)]
    by: Vec<String>,
    /// Standard population: world (Segi 1960), esp1976, esp2013, who, or a CSV/Parquet file
    /// with columns age_group, weight.
    #[arg(long, default_value = "world")]
    standard: String,
    /// Interval of the age-standardised rate.
    #[arg(long, value_enum, default_value_t = CiMethod::Tiwari)]
    ci: CiMethod,
    /// Restrict to an age range of whole 5-year groups (truncated rates), e.g. 0-74 or 35-64.
    #[arg(long, value_name = "A-B")]
    age_range: Option<String>,
    /// Confidence level.
    #[arg(long, default_value_t = 0.95)]
    conf: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Write a chart of the age-standardised rates (SVG).
    #[arg(long, value_name = "FILE")]
    plot: Option<PathBuf>,
    /// Standardised incidence ratios against these reference rates: a CSV or Parquet file with
    /// the --by columns it stratifies on (any of them, or none), `age_group` and `rate` (per
    /// 100,000 person-years). Adds expected, sir, sir_lower, sir_upper.
    #[arg(long, value_name = "FILE")]
    sir_reference: Option<PathBuf>,
    /// Rate ratios of each row's ASR to the row with COL=VALUE and the same other groups
    /// (e.g. sex=female), with the test-based interval of CanReg5/Rcan. Adds rate_ratio,
    /// rr_lower, rr_upper.
    #[arg(long, value_name = "COL=VALUE")]
    ratio_to: Option<String>,
    /// Print age-specific rates instead: one row per group and age group (cases,
    /// person_years, rate, lower, upper with the exact Poisson interval).
    #[arg(long)]
    age_specific: bool,
}

/// Age-specific rates per 100,000 with exact Poisson intervals.
fn print_age_specific(args: &Args, labels: &[String], keep: &[usize], strata: &[Stratum]) -> CliResult {
    let mut header: Vec<String> = args.by.clone();
    header.extend(["age_group", "cases", "person_years", "rate", "lower", "upper"].map(String::from));
    let num = |x: f64| if x.is_finite() { x.to_string() } else { "NA".into() };
    let mut records = Vec::new();
    for s in strata {
        for (k, &g) in keep.iter().enumerate() {
            let r = crude_rate(s.cases[k], s.person_years[k], args.conf);
            let mut v = s.key.clone();
            v.push(labels[g].clone());
            v.extend([num(s.cases[k]), num(s.person_years[k]), num(r.value), num(r.lower), num(r.upper)]);
            records.push(v);
        }
    }
    write_records(
        args.format,
        args.by.len() + 1,
        &header,
        &records,
        "Age-specific rates per 100,000 person-years, exact Poisson intervals",
    )
}

/// Reference rates per 100,000 by a subset of the --by columns and age group.
struct ReferenceRates {
    /// Positions in the key of the columns the reference stratifies on.
    key_columns: Vec<usize>,
    rates: HashMap<Vec<String>, Vec<f64>>,
}

fn reference_rates(
    path: &std::path::Path,
    by: &[String],
    labels: &[String],
) -> Result<ReferenceRates, Box<dyn std::error::Error>> {
    let c = Columns::read(path)?;
    let key_columns: Vec<usize> = (0..by.len()).filter(|&k| c.index(&by[k]).is_ok()).collect();
    let keys: Vec<Vec<String>> = key_columns.iter().map(|&k| c.texts(&by[k])).collect::<Result<_, _>>()?;
    let groups = c.texts("age_group")?;
    let rate = c.numbers("rate")?;
    let mut rates: HashMap<Vec<String>, Vec<f64>> = HashMap::new();
    for i in 0..c.len() {
        let g = label_index(labels, &groups[i]).ok_or_else(|| {
            c.bad(i, "age_group", &format!("is '{}', not one of the standard's age groups", groups[i]))
        })?;
        if !rate[i].is_finite() || rate[i] < 0.0 {
            return Err(c.bad(i, "rate", "is negative or not a number").into());
        }
        let key: Vec<String> = keys.iter().map(|k| k[i].clone()).collect();
        rates.entry(key).or_insert_with(|| vec![f64::NAN; labels.len()])[g] = rate[i];
    }
    Ok(ReferenceRates { key_columns, rates })
}

/// Counts by stratum and age group.
struct Counts {
    /// Age-group labels, in order.
    labels: Vec<String>,
    /// Cases by key and age group.
    cases: BTreeMap<Vec<String>, Vec<f64>>,
    /// Person-years by the population's part of the key and age group.
    person_years: HashMap<Vec<String>, Vec<f64>>,
    /// Which --by columns the population has (their positions in the key).
    population_keys: Vec<usize>,
    /// What the warehouse's cases are, and the note saying what was counted and left out
    /// (none for files).
    unit: Option<(cohort::CaseUnit, String)>,
}

/// The standard's age-group labels and weights.
fn standard(name: &str) -> Result<(Vec<String>, Vec<f64>), Box<dyn std::error::Error>> {
    if let Some(s) = standard_population::built_in(name) {
        return Ok((AgeGroup::all().map(|g| g.label()).collect(), s.weights.to_vec()));
    }
    let path = PathBuf::from(name);
    if !path.exists() {
        return Err(format!(
            "--standard {name}: neither a built-in standard ({}) nor a file",
            standard_population::BUILT_IN_NAMES.join(", ")
        )
        .into());
    }
    let c = Columns::read(&path)?;
    let labels = c.texts("age_group")?;
    let weights = c.numbers("weight")?;
    if let Some(i) = weights.iter().position(|w| !w.is_finite() || *w < 0.0) {
        return Err(c.bad(i, "weight", "is negative or not a number").into());
    }
    Ok((labels, weights))
}

/// The index of an age-group label among the standard's labels (5-year labels are matched in
/// any of their spellings, e.g. 00-04).
fn label_index(labels: &[String], text: &str) -> Option<usize> {
    labels.iter().position(|l| l == text.trim()).or_else(|| {
        let g = AgeGroup::parse(text).ok()?;
        labels.iter().position(|l| AgeGroup::parse(l).ok() == Some(g))
    })
}

fn from_files(args: &Args, labels: Vec<String>) -> Result<Counts, Box<dyn std::error::Error>> {
    let cases = Columns::read(args.cases.as_ref().expect("clap: --cases"))?;
    let pop = Columns::read(args.population.as_ref().expect("clap: --population"))?;
    let by: Vec<Vec<String>> = args.by.iter().map(|b| cases.texts(b)).collect::<Result<_, _>>()?;
    let counts: Vec<f64> = if cases.index("count").is_ok() { cases.numbers("count")? } else { vec![1.0; cases.len()] };
    let groups: Vec<usize> = if cases.index("age_group").is_ok() {
        let t = cases.texts("age_group")?;
        t.iter()
            .enumerate()
            .map(|(r, l)| {
                label_index(&labels, l).ok_or_else(|| {
                    cases.bad(r, "age_group", &format!("is '{l}', not one of the standard's age groups"))
                })
            })
            .collect::<Result<_, _>>()?
    } else {
        let ages = cases.numbers("age")?;
        ages.iter()
            .enumerate()
            .map(|(r, a)| {
                if !(0.0..=150.0).contains(a) {
                    return Err(cases.bad(r, "age", &format!("is {a}, not an age in years")));
                }
                label_index(&labels, &AgeGroup::from_age(*a as u32).label())
                    .ok_or_else(|| cases.bad(r, "age", "has no 5-year group in the standard; give an age_group column"))
            })
            .collect::<Result<_, _>>()?
    };
    let mut out = Counts {
        labels: labels.clone(),
        cases: BTreeMap::new(),
        person_years: HashMap::new(),
        population_keys: vec![],
        unit: None,
    };
    for i in 0..cases.len() {
        let key: Vec<String> = by.iter().map(|c| c[i].clone()).collect();
        out.cases.entry(key).or_insert_with(|| vec![0.0; labels.len()])[groups[i]] += counts[i];
    }
    out.population_keys = (0..args.by.len()).filter(|&k| pop.index(&args.by[k]).is_ok()).collect();
    let pop_by: Vec<Vec<String>> =
        out.population_keys.iter().map(|&k| pop.texts(&args.by[k])).collect::<Result<_, _>>()?;
    let pop_groups = pop.texts("age_group")?;
    let py = pop.numbers("person_years")?;
    for i in 0..pop.len() {
        let g = label_index(&labels, &pop_groups[i]).ok_or_else(|| {
            pop.bad(i, "age_group", &format!("is '{}', not one of the standard's age groups", pop_groups[i]))
        })?;
        if !py[i].is_finite() || py[i] < 0.0 {
            return Err(pop.bad(i, "person_years", "is negative or not a number").into());
        }
        let key: Vec<String> = pop_by.iter().map(|c| c[i].clone()).collect();
        out.person_years.entry(key).or_insert_with(|| vec![0.0; labels.len()])[g] += py[i];
    }
    Ok(out)
}

fn from_warehouse(args: &Args, labels: Vec<String>) -> Result<Counts, Box<dyn std::error::Error>> {
    if labels.len() != AgeGroup::COUNT
        || labels.iter().zip(AgeGroup::all()).any(|(l, g)| label_index(std::slice::from_ref(l), &g.label()).is_none())
    {
        return Err("on the warehouse, --standard must use the 5-year age groups 0-4 ... 85+".into());
    }
    let dir = &args.warehouse.warehouse;
    if !dir.join("tables").is_dir() {
        return Err(format!(
            "{}: no warehouse here (give --cases and --population, or run `oncodata demo`)",
            dir.display()
        )
        .into());
    }
    let w = args.warehouse.open()?;
    let by: Vec<Stratifier> = args
        .by
        .iter()
        .map(|b| {
            Stratifier::parse(b).ok_or_else(|| {
                let names: Vec<&str> = Stratifier::ALL.iter().map(|s| s.name()).collect();
                format!("--by {b}: on the warehouse, group by {}", names.join(", "))
            })
        })
        .collect::<Result<_, _>>()?;
    let cases = w.block_on(cohort::incidence_cases(&w, &by))?;
    let counted: f64 = cases.counts.values().flatten().sum();
    let excluded: Vec<String> = cases.excluded.iter().map(|(why, n)| format!("{n} {why}")).collect();
    let claims_only = match cases.claims_only {
        0 => String::new(),
        n => format!(", {n} of them known from claims diagnoses alone"),
    };
    let note = format!(
        "counted: {counted} {}{claims_only} ({}); left out: {}",
        cases.unit.label(),
        if cases.coverage {
            "residents of the areas and years the registries cover"
        } else {
            "no registry coverage declared: every area, the whole population"
        },
        if excluded.is_empty() { "none".to_string() } else { excluded.join(", ") }
    );
    let mut out = Counts {
        labels: labels.clone(),
        cases: cases.counts.into_iter().map(|(k, v)| (k, v.to_vec())).collect(),
        person_years: HashMap::new(),
        population_keys: vec![],
        unit: Some((cases.unit, note)),
    };
    let population = w.block_on(cohort::person_years(&w, &by))?;
    out.population_keys = population.keys;
    for (key, group, py) in population.by_group {
        let g = label_index(&labels, &group).ok_or("population age group")?;
        out.person_years.entry(key).or_insert_with(|| vec![0.0; labels.len()])[g] += py;
    }
    Ok(out)
}

/// The age groups an `A-B` range keeps: whole 5-year groups from A to B.
fn age_range(text: &str, labels: &[String]) -> Result<Vec<usize>, String> {
    let bad = || format!("--age-range {text}: expected whole 5-year groups as A-B (0-74, 35-64) or A+ (e.g. 50+)");
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

/// Rates from the warehouse at `dir` by the given columns, with a built-in standard and the
/// Tiwari interval: what `oncodata incidence --by …` prints, for other commands (the demo).
pub fn warehouse_table(
    dir: &std::path::Path,
    by: &[&str],
    standard_name: &str,
) -> Result<Vec<IncidenceRow>, Box<dyn std::error::Error>> {
    let args = Args {
        warehouse: WarehouseArg::at(dir),
        cases: None,
        population: None,
        by: by.iter().map(|s| s.to_string()).collect(),
        standard: standard_name.to_string(),
        ci: CiMethod::Tiwari,
        age_range: None,
        conf: 0.95,
        format: Format::Csv,
        plot: None,
        sir_reference: None,
        ratio_to: None,
        age_specific: false,
    };
    let (labels, weights) = standard(standard_name)?;
    let counts = from_warehouse(&args, labels)?;
    let strata = strata_of(&args, &counts, &(0..counts.labels.len()).collect::<Vec<_>>())?;
    Ok(incidence_table(&strata, &weights, AsrInterval::Tiwari, 0.95)?)
}

/// Pairs each stratum's cases with its population's person-years, over the kept age groups.
fn strata_of(args: &Args, counts: &Counts, keep: &[usize]) -> Result<Vec<Stratum>, String> {
    let pick = |v: &[f64]| keep.iter().map(|&i| v[i]).collect::<Vec<f64>>();
    counts
        .cases
        .iter()
        .map(|(key, cases)| {
            let pkey: Vec<String> = counts.population_keys.iter().map(|&i| key[i].clone()).collect();
            let py = counts.person_years.get(&pkey).ok_or_else(|| {
                let cols: Vec<&str> = counts.population_keys.iter().map(|&i| args.by[i].as_str()).collect();
                format!("no population for {} = {}", cols.join(","), pkey.join(","))
            })?;
            // Cases need person-years: an age group with cases and none (a missing or zero
            // population row) is an error, never a rate over zero.
            if let Some(&k) = keep.iter().find(|&&k| cases[k] > 0.0 && (py[k].is_nan() || py[k] <= 0.0)) {
                let cols: Vec<String> = args.by.iter().zip(key).map(|(c, v)| format!("{c}={v}")).collect();
                return Err(format!(
                    "{} case(s) in age group {} of {} but no person-years in the population for it: \
                     the population lacks that age group (or gives 0)",
                    cases[k],
                    counts.labels[k],
                    if cols.is_empty() { "all".to_string() } else { cols.join(", ") }
                ));
            }
            Ok(Stratum { key: key.clone(), cases: pick(cases), person_years: pick(py) })
        })
        .collect()
}

/// Runs the command.
pub fn run(args: Args) -> CliResult {
    if args.conf <= 0.0 || args.conf >= 1.0 {
        return Err(format!("--conf {} must be between 0 and 1", args.conf).into());
    }
    let (labels, weights) = standard(&args.standard)?;
    let counts = if args.cases.is_some() { from_files(&args, labels)? } else { from_warehouse(&args, labels)? };
    if let Some((_, note)) = &counts.unit {
        eprintln!("{note}");
    }
    let keep: Vec<usize> = match &args.age_range {
        Some(r) => age_range(r, &counts.labels)?,
        None => (0..counts.labels.len()).collect(),
    };
    let pick = |v: &[f64]| keep.iter().map(|&i| v[i]).collect::<Vec<f64>>();
    let strata = strata_of(&args, &counts, &keep)?;
    let interval = match args.ci {
        CiMethod::Tiwari => AsrInterval::Tiwari,
        CiMethod::FayFeuer => AsrInterval::FayFeuer,
        CiMethod::Normal => AsrInterval::Normal,
    };
    let table = incidence_table(&strata, &pick(&weights), interval, args.conf)?;
    // Cumulative rate and risk 0-74 need 5-year groups; given only when the labels are those.
    let five_year: Vec<usize> = (0..counts.labels.len())
        .filter(|&i| AgeGroup::parse(&counts.labels[i]).is_ok_and(|g| g.index() < 15))
        .collect();
    let cumulative: Vec<Option<(f64, f64)>> = strata
        .iter()
        .map(|s| {
            (five_year.len() == 15 && args.age_range.is_none()).then(|| {
                let c: Vec<f64> = five_year.iter().map(|&i| s.cases[i]).collect();
                let p: Vec<f64> = five_year.iter().map(|&i| s.person_years[i]).collect();
                cumulative_rate_and_risk(&c, &p, 5.0)
            })
        })
        .collect();

    // Standardised incidence ratios.
    let sirs: Option<Vec<(f64, Rate)>> = match &args.sir_reference {
        None => None,
        Some(path) => {
            let reference = reference_rates(path, &args.by, &counts.labels)?;
            let mut out = Vec::new();
            for s in &strata {
                let rkey: Vec<String> = reference.key_columns.iter().map(|&k| s.key[k].clone()).collect();
                let rates = reference
                    .rates
                    .get(&rkey)
                    .ok_or_else(|| format!("{}: no reference rates for {}", path.display(), rkey.join(",")))?;
                let rates = pick(rates);
                if let Some(k) = rates.iter().position(|r| r.is_nan()) {
                    return Err(format!(
                        "{}: no reference rate for age group {} of {}",
                        path.display(),
                        counts.labels[keep[k]],
                        rkey.join(",")
                    )
                    .into());
                }
                let expected: f64 = rates.iter().zip(&s.person_years).map(|(r, p)| r * p / 100_000.0).sum();
                out.push((expected, standardised_incidence_ratio(s.cases.iter().sum(), expected, args.conf)));
            }
            Some(out)
        }
    };
    // Rate ratios to a reference level of one grouping column.
    let ratios: Option<Vec<Rate>> = match &args.ratio_to {
        None => None,
        Some(spec) => {
            let (col, value) = spec
                .split_once('=')
                .ok_or_else(|| format!("--ratio-to {spec}: expected COL=VALUE, e.g. sex=female"))?;
            let k = args
                .by
                .iter()
                .position(|b| b == col)
                .ok_or_else(|| format!("--ratio-to {spec}: {col} is not a --by column"))?;
            let out = table
                .iter()
                .map(|r| {
                    let mut key = r.key.clone();
                    key[k] = value.to_string();
                    table
                        .iter()
                        .find(|x| x.key == key)
                        .map_or(Rate { value: f64::NAN, lower: f64::NAN, upper: f64::NAN }, |reference| {
                            rate_ratio(&r.asr, &reference.asr, args.conf)
                        })
                })
                .collect();
            Some(out)
        }
    };

    let mut header: Vec<String> = args.by.clone();
    header.extend(RATE_COLUMNS.iter().chain(&["cum_rate_0_74", "cum_risk_0_74"]).map(|c| c.to_string()));
    if sirs.is_some() {
        header.extend(["expected", "sir", "sir_lower", "sir_upper"].map(String::from));
    }
    if ratios.is_some() {
        header.extend(["rate_ratio", "rr_lower", "rr_upper"].map(String::from));
    }
    let num = |x: f64| if x.is_finite() { x.to_string() } else { "NA".into() };
    let records: Vec<Vec<String>> = table
        .iter()
        .zip(&cumulative)
        .enumerate()
        .map(|(i, (r, cum))| {
            let mut v = r.key.clone();
            v.extend(rate_fields(r));
            v.push(cum.map_or("NA".into(), |c| c.0.to_string()));
            v.push(cum.map_or("NA".into(), |c| c.1.to_string()));
            if let Some(s) = &sirs {
                let (e, sir) = s[i];
                v.extend([num(e), num(sir.value), num(sir.lower), num(sir.upper)]);
            }
            if let Some(rr) = &ratios {
                v.extend([num(rr[i].value), num(rr[i].lower), num(rr[i].upper)]);
            }
            v
        })
        .collect();
    if let Some(path) = &args.plot {
        if let Some(y) = args.by.iter().position(|b| b == "year") {
            // Trends: one line per combination of the other grouping columns, ASR by year.
            let mut series: BTreeMap<String, Vec<(f64, f64, f64, f64)>> = BTreeMap::new();
            for r in &table {
                let Ok(year) = r.key[y].parse::<f64>() else { continue };
                let label: Vec<String> = r
                    .key
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| *k != y)
                    .map(|(k, v)| format!("{} = {v}", args.by[k]))
                    .collect();
                let label = if label.is_empty() { "all".to_string() } else { label.join(", ") };
                series.entry(label).or_default().push((year, r.asr.rate.value, r.asr.rate.lower, r.asr.rate.upper));
            }
            let series: Vec<TrendSeries> = series.into_iter().collect();
            trend_lines(
                path,
                &format!("Age-standardised incidence ({} standard) per 100,000, by year", args.standard),
                "year",
                "ASR per 100,000",
                &series,
            )?;
        } else {
            let firsts: Vec<String> = {
                let mut f: Vec<String> = table.iter().map(|r| r.key[0].clone()).collect();
                f.dedup();
                f
            };
            let seconds: Vec<String> = {
                let mut s: Vec<String> = table.iter().map(|r| r.key.get(1).cloned().unwrap_or_default()).collect();
                s.sort();
                s.dedup();
                s
            };
            let series: Vec<BarSeries> = seconds
                .iter()
                .map(|second| {
                    let values = firsts
                        .iter()
                        .map(|first| {
                            table
                                .iter()
                                .find(|r| &r.key[0] == first && r.key.get(1).cloned().unwrap_or_default() == *second)
                                .map(|r| (r.asr.rate.value, r.asr.rate.lower, r.asr.rate.upper))
                        })
                        .collect();
                    (if second.is_empty() { "ASR".into() } else { format!("{} = {second}", args.by[1]) }, values)
                })
                .collect();
            rate_bars(
                path,
                &format!("Age-standardised incidence ({} standard) per 100,000", args.standard),
                "ASR per 100,000",
                &firsts,
                &series,
            )?;
        }
        eprintln!("✓ wrote {}", path.display());
    }
    if args.age_specific {
        return print_age_specific(&args, &counts.labels, &keep, &strata);
    }
    let title = format!(
        "{}Rates per 100,000 person-years; ASR: {} standard, {}% intervals ({:?})",
        counts.unit.as_ref().map_or(String::new(), |(u, _)| format!("Cases: {}. ", u.label())),
        args.standard,
        args.conf * 100.0,
        args.ci
    );
    write_records(args.format, args.by.len(), &header, &records, &title)
}

/// Prints a table as CSV, JSON (numbers from column `text_columns` on) or aligned text.
fn write_records(
    format: Format,
    text_columns: usize,
    header: &[String],
    records: &[Vec<String>],
    title: &str,
) -> CliResult {
    match format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(std::io::stdout());
            w.write_record(header)?;
            for r in records {
                w.write_record(r)?;
            }
            w.flush()?;
        }
        Format::Json => {
            let rows: Vec<serde_json::Value> = records
                .iter()
                .map(|r| {
                    let o: serde_json::Map<String, serde_json::Value> = header
                        .iter()
                        .zip(r)
                        .enumerate()
                        .map(|(i, (h, v))| {
                            let value = if i < text_columns {
                                json!(v)
                            } else {
                                v.parse::<f64>().map_or(json!(null), |x| json!(x))
                            };
                            (h.clone(), value)
                        })
                        .collect();
                    serde_json::Value::Object(o)
                })
                .collect();
            println!("{}", serde_json::Value::Array(rows));
        }
        Format::Table => {
            println!("{title}");
            let widths: Vec<usize> = (0..header.len())
                .map(|c| records.iter().map(|r| short(&r[c]).len()).chain([header[c].len()]).max().unwrap_or(4))
                .collect();
            let line = |cells: Vec<String>| {
                cells.iter().zip(&widths).map(|(c, w)| format!("{c:>w$}")).collect::<Vec<_>>().join("  ")
            };
            println!("{}", line(header.to_vec()));
            for r in records {
                println!("{}", line(r.iter().map(|c| short(c)).collect()));
            }
        }
    }
    Ok(())
}

/// The columns every incidence table has after its grouping columns.
pub const RATE_COLUMNS: [&str; 9] =
    ["cases", "person_years", "crude_rate", "crude_lower", "crude_upper", "asr", "asr_lower", "asr_upper", "asr_se"];

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

/// Numbers rounded for the terminal.
fn short(v: &str) -> String {
    match v.parse::<f64>() {
        Ok(x) if x.fract() == 0.0 => format!("{x}"),
        Ok(x) => format!("{x:.2}"),
        Err(_) => v.to_string(),
    }
}
