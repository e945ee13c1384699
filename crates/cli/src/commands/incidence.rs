//! `oncodata incidence`: counts, crude and age-standardised rates with their intervals, and
//! cumulative rate and risk 0-74, by any grouping, from the warehouse or from a user's files.

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use oncodata_analyses::incidence::{RATE_COLUMNS, rate_fields};
use oncodata_analyses::incidence::{
    RateOptions, Rates, Standard, counts_from_files, counts_from_warehouse, parse_years, rates, table_records,
};
use oncodata_stats::incidence::{AsrInterval, IncidenceRow, Stratum, crude_rate};
use serde_json::json;

use super::{CliResult, Format};
use crate::WarehouseArg;
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
    /// Only cases diagnosed in these years, over the population of these years (A-B, or one
    /// year): the period a published table is for.
    #[arg(long, value_name = "A-B")]
    years: Option<String>,
    /// Whom the table is for: public, project or steward. A row whose count the audience's
    /// disclosure rules withhold (the warehouse's `disclosure.toml`; by default no count of 1-10
    /// persons for the public and projects) is printed empty from its count on, with the rule in
    /// the `suppressed` column, and left out of the chart; so is a row withheld so that none can
    /// be recomputed from the others and the margins (secondary). Default: the policy's
    /// (`[default] incidence`, public).
    #[arg(long)]
    audience: Option<String>,
}

/// Age-specific rates per 100,000 with exact Poisson intervals.
fn print_age_specific(
    args: &Args,
    labels: &[String],
    keep: &[usize],
    strata: &[Stratum],
    policy: &oncodata_disclosure::Policy,
    audience: oncodata_disclosure::Audience,
) -> CliResult {
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
    super::disclosure::withhold_printed(&mut header, &mut records, args.by.len() + 1, policy, audience)?;
    write_records(
        args.format,
        args.by.len() + 1,
        &header,
        &records,
        "Age-specific rates per 100,000 person-years, exact Poisson intervals",
    )
}

/// Runs the command.
pub fn run(args: Args) -> CliResult {
    let policy = super::disclosure::policy_of(&args.warehouse.warehouse)?;
    let audience = super::disclosure::audience_for(args.audience.as_deref(), &policy, "incidence")?;
    let standard = Standard::named(&args.standard)?;
    let counts = match (&args.cases, &args.population) {
        (Some(cases), Some(population)) => counts_from_files(cases, population, &args.by, &standard.labels)?,
        _ => {
            let dir = &args.warehouse.warehouse;
            if !dir.join("tables").is_dir() {
                return Err(format!(
                    "{}: no warehouse here (give --cases and --population, or run `oncodata demo`)",
                    dir.display()
                )
                .into());
            }
            let w = args.warehouse.open()?;
            let years = args.years.as_deref().map(parse_years).transpose()?;
            w.block_on(counts_from_warehouse(&w, &args.by, &standard.labels, years))?
        }
    };
    if let Some((_, note)) = &counts.counted {
        eprintln!("{note}");
    }
    let interval = match args.ci {
        CiMethod::Tiwari => AsrInterval::Tiwari,
        CiMethod::FayFeuer => AsrInterval::FayFeuer,
        CiMethod::Normal => AsrInterval::Normal,
    };
    let options = RateOptions {
        interval,
        conf: args.conf,
        age_range: args.age_range.as_deref(),
        sir_reference: args.sir_reference.as_deref(),
        ratio_to: args.ratio_to.as_deref(),
    };
    let computed = rates(&counts, &standard, &options)?;
    let (mut header, mut records) = table_records(&args.by, &computed);
    let Rates { keep, strata, table, sirs, ratios, .. } = computed;
    if sirs.is_some() {
        header.extend(["expected", "sir", "sir_lower", "sir_upper"].map(String::from));
    }
    if ratios.is_some() {
        header.extend(["rate_ratio", "rr_lower", "rr_upper"].map(String::from));
    }
    let num = |x: f64| if x.is_finite() { x.to_string() } else { "NA".into() };
    for (i, v) in records.iter_mut().enumerate() {
        if let Some(s) = &sirs {
            let (e, sir) = s[i];
            v.extend([num(e), num(sir.value), num(sir.lower), num(sir.upper)]);
        }
        if let Some(rr) = &ratios {
            v.extend([num(rr[i].value), num(rr[i].lower), num(rr[i].upper)]);
        }
    }
    let withheld = if args.age_specific {
        vec![false; records.len()]
    } else {
        super::disclosure::withhold_printed(&mut header, &mut records, args.by.len(), &policy, audience)?
    };
    // The chart shows only the rows the table shows.
    let table: Vec<&IncidenceRow> = table.iter().zip(&withheld).filter(|(_, w)| !**w).map(|(r, _)| r).collect();
    if let Some(path) = &args.plot {
        if let Some(y) = args.by.iter().position(|b| b == "year") {
            // Trends: one line per combination of the other grouping columns, ASR by year.
            let mut series: BTreeMap<String, Vec<(f64, f64, f64, f64)>> = BTreeMap::new();
            for r in table.iter().copied() {
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
        return print_age_specific(&args, &counts.labels, &keep, &strata, &policy, audience);
    }
    let title = format!(
        "{}Rates per 100,000 person-years; ASR: {} standard, {}% intervals ({:?})",
        counts.counted.as_ref().map_or(String::new(), |(u, _)| format!("Cases: {}. ", u.label())),
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

/// Numbers rounded for the terminal.
fn short(v: &str) -> String {
    match v.parse::<f64>() {
        Ok(x) if x.fract() == 0.0 => format!("{x}"),
        Ok(x) => format!("{x:.2}"),
        Err(_) => v.to_string(),
    }
}
