//! `oncodata trend`: joinpoint regression as NCI's Joinpoint fits it — the number and places of
//! the changes in trend, annual percent changes by segment and average annual percent changes,
//! of a table of rates by year or of the warehouse's age-standardised incidence rates.

use std::path::PathBuf;

use oncodata_analyses::columns::Columns;
use oncodata_analyses::incidence::{RateOptions, Standard, counts_from_warehouse, parse_years, rates, table_records};
use oncodata_analyses::trend::{
    FileTrend, TrendRequest, TrendResult, Weighting, parse_ranges, trends_of_file, trends_of_rates,
};
use oncodata_stats::joinpoint::{Selection, Settings};

use super::{CliResult, Format};
use crate::WarehouseArg;
use crate::plot::{JoinpointSeries, joinpoint_chart};

/// How the number of joinpoints is chosen.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectionArg {
    /// Weighted BIC (Kim et al. 2023; Joinpoint 5's default).
    Wbic,
    /// BIC, penalty 2k + 2.
    Bic,
    /// BIC3, penalty 3k + 2.
    Bic3,
    /// Kim et al. 2000's sequential permutation tests, Bonferroni-corrected.
    Permutation,
}

/// What a rate weighs.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightsArg {
    /// Constant variance (unweighted).
    Constant,
    /// Poisson variance: the count of cases (--count on a file).
    Poisson,
    /// Standard errors: rate²/se² (--se on a file; the warehouse's default).
    Se,
}

/// Arguments of `oncodata trend`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    warehouse: WarehouseArg,
    /// A table of rates (CSV or Parquet), one row per series and year. Without it, the
    /// warehouse's age-standardised incidence rates by year.
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,
    /// On a file: the time column.
    #[arg(long, value_name = "COL", default_value = "year")]
    x: String,
    /// On a file: the rate column.
    #[arg(long, value_name = "COL", requires = "data")]
    rate: Option<String>,
    /// On a file: the count column (for --weights poisson).
    #[arg(long, value_name = "COL", requires = "data")]
    count: Option<String>,
    /// On a file: the standard-error column (for --weights se).
    #[arg(long, value_name = "COL", requires = "data")]
    se: Option<String>,
    /// Columns whose values make separate series (comma-separated). On the warehouse:
    /// site_group, sex, area, icd10, iccc (the year is the time).
    #[arg(long, value_name = "COLS", value_delimiter = ',')]
    by: Vec<String>,
    /// On the warehouse: only these years of diagnosis (A-B).
    #[arg(long, value_name = "A-B")]
    years: Option<String>,
    /// On the warehouse: the standard population of the age-standardised rates.
    #[arg(long, default_value = "world")]
    standard: String,
    /// On the warehouse: whom the trends are for (public, project, steward); a series with a
    /// year the audience's disclosure rules withhold is not fitted.
    #[arg(long)]
    audience: Option<String>,
    /// What a rate weighs. Default: constant on a file, standard errors on the warehouse.
    #[arg(long, value_enum)]
    weights: Option<WeightsArg>,
    /// How the number of joinpoints is chosen.
    #[arg(long, value_enum, default_value_t = SelectionArg::Wbic)]
    selection: SelectionArg,
    /// Permuted series per permutation test (Joinpoint's default).
    #[arg(long, default_value_t = 4499)]
    permutations: usize,
    /// Fewest joinpoints.
    #[arg(long, default_value_t = 0)]
    min_joinpoints: usize,
    /// Most joinpoints. Default: by the number of years, as Joinpoint (7-11: 1, 12-16: 2, ...,
    /// 27 and more: 5).
    #[arg(long)]
    max_joinpoints: Option<usize>,
    /// Observations from a joinpoint to either end, the joinpoint excluded.
    #[arg(long, default_value_t = 2)]
    min_end: usize,
    /// Observations between two joinpoints, the joinpoints excluded.
    #[arg(long, default_value_t = 2)]
    min_between: usize,
    /// Average annual percent change over these years too (A-B; repeatable). The whole range's
    /// is always given.
    #[arg(long, value_name = "A-B")]
    aapc: Vec<String>,
    /// 1 − the confidence level of the intervals, and the permutation tests' level.
    #[arg(long, default_value_t = 0.05)]
    alpha: f64,
    /// Resampled series for empirical-quantile intervals (0: parametric intervals only).
    #[arg(long, default_value_t = 0)]
    resamples: usize,
    /// The seed of the permutations and resamples.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Write Joinpoint's graph (observed rates, modelled segments, joinpoints) as SVG.
    #[arg(long, value_name = "FILE")]
    plot: Option<PathBuf>,
}

/// Fits the trends and prints them.
pub fn run(args: Args) -> CliResult {
    let selection = match args.selection {
        SelectionArg::Wbic => Selection::WeightedBic,
        SelectionArg::Bic => Selection::Bic,
        SelectionArg::Bic3 => Selection::Bic3,
        SelectionArg::Permutation => Selection::Permutation { permutations: args.permutations },
    };
    let default_weights = if args.data.is_some() { WeightsArg::Constant } else { WeightsArg::Se };
    let weighting = match args.weights.unwrap_or(default_weights) {
        WeightsArg::Constant => Weighting::Constant,
        WeightsArg::Poisson => Weighting::Poisson,
        WeightsArg::Se => Weighting::StandardError,
    };
    let request = TrendRequest {
        settings: Settings {
            min_joinpoints: args.min_joinpoints,
            max_joinpoints: args.max_joinpoints,
            min_end: args.min_end,
            min_between: args.min_between,
            selection,
            alpha: args.alpha,
            resamples: args.resamples,
        },
        ranges: parse_ranges(&args.aapc)?,
        seed: args.seed,
        weighting,
    };
    let (result, y_label) = match &args.data {
        Some(path) => {
            let rate = args.rate.as_deref().ok_or("give the rate column: --rate COL")?;
            let data = Columns::read(path)?;
            let file =
                FileTrend { x: &args.x, rate, count: args.count.as_deref(), se: args.se.as_deref(), by: &args.by };
            (trends_of_file(&data, &file, &request)?, rate.to_string())
        }
        None => warehouse_trends(&args, &request)?,
    };
    for (key, why) in &result.not_fitted {
        eprintln!("{}: not fitted, {why}", key.join(", "));
    }
    print(&args, &result)?;
    if let Some(path) = &args.plot {
        let series: Vec<JoinpointSeries> = result
            .series
            .iter()
            .map(|s| JoinpointSeries {
                label: if s.key.is_empty() { "all".into() } else { s.key.join(", ") },
                observed: s.x.iter().copied().zip(s.rate.iter().copied()).collect(),
                modelled: s.x.iter().copied().zip(s.trend.fitted.iter().copied()).collect(),
                joinpoints: s.trend.joinpoints.clone(),
            })
            .collect();
        joinpoint_chart(path, "Joinpoint trends", &y_label, &series)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// The warehouse's age-standardised rates by `--by` and year, fitted series by series.
fn warehouse_trends(args: &Args, request: &TrendRequest) -> Result<(TrendResult, String), Box<dyn std::error::Error>> {
    let dir = &args.warehouse.warehouse;
    if !dir.join("tables").is_dir() {
        return Err(format!(
            "{}: no warehouse here (give --data FILE --rate COL, or run `oncodata demo`)",
            dir.display()
        )
        .into());
    }
    if args.by.iter().any(|b| b == "year") {
        return Err("--by year: the year is the trend's time; group by the other columns".into());
    }
    let policy = super::disclosure::policy_of(dir)?;
    let audience = super::disclosure::audience_for(args.audience.as_deref(), &policy, "incidence")?;
    let standard = Standard::named(&args.standard)?;
    let mut by = args.by.clone();
    by.push("year".into());
    let w = args.warehouse.open()?;
    let years = args.years.as_deref().map(parse_years).transpose()?;
    let counts = w.block_on(counts_from_warehouse(&w, &by, &standard.labels, years))?;
    if let Some((_, note)) = &counts.counted {
        eprintln!("{note}");
    }
    let computed = rates(&counts, &standard, &RateOptions::default())?;
    let (mut header, mut records) = table_records(&by, &computed);
    let withheld = super::disclosure::withhold_printed(&mut header, &mut records, by.len(), &policy, audience)?;
    let result = trends_of_rates(&args.by, &computed, &withheld, request)?;
    Ok((result, format!("age-standardised rate per 100,000 ({})", args.standard)))
}

fn num(x: f64) -> String {
    if x.is_finite() { x.to_string() } else { "NA".into() }
}

fn print(args: &Args, result: &TrendResult) -> CliResult {
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(result)?),
        Format::Csv => {
            let mut w = csv::Writer::from_writer(std::io::stdout());
            let mut header: Vec<String> = result.by.clone();
            header.extend(
                [
                    "joinpoints",
                    "kind",
                    "from",
                    "to",
                    "estimate",
                    "lower",
                    "upper",
                    "p_value",
                    "empirical_lower",
                    "empirical_upper",
                ]
                .map(String::from),
            );
            w.write_record(&header)?;
            for s in &result.series {
                let k = s.trend.selected.to_string();
                for seg in &s.trend.segments {
                    let mut r = s.key.clone();
                    let (el, eu) = seg.empirical.map_or((String::new(), String::new()), |(a, b)| (num(a), num(b)));
                    r.extend([
                        k.clone(),
                        "apc".into(),
                        num(seg.from),
                        num(seg.to),
                        num(seg.apc),
                        num(seg.lower),
                        num(seg.upper),
                        num(seg.p_value),
                        el,
                        eu,
                    ]);
                    w.write_record(&r)?;
                }
                for a in &s.trend.aapc {
                    let mut r = s.key.clone();
                    let (el, eu) = a.empirical.map_or((String::new(), String::new()), |(a, b)| (num(a), num(b)));
                    r.extend([
                        k.clone(),
                        "aapc".into(),
                        num(a.from),
                        num(a.to),
                        num(a.aapc),
                        num(a.lower),
                        num(a.upper),
                        String::new(),
                        el,
                        eu,
                    ]);
                    w.write_record(&r)?;
                }
            }
            w.flush()?;
        }
        Format::Table => {
            println!("Joinpoint regression: {}", result.settings["selection"].as_str().unwrap_or(""));
            for s in &result.series {
                let name = if s.key.is_empty() { "all".to_string() } else { s.key.join(", ") };
                let at: Vec<String> = s.trend.joinpoints.iter().map(|j| format!("{j}")).collect();
                println!();
                println!(
                    "{name}: {} joinpoint{}{}",
                    s.trend.selected,
                    if s.trend.selected == 1 { "" } else { "s" },
                    if at.is_empty() { String::new() } else { format!(" at {}", at.join(", ")) }
                );
                let level = format!("{} % interval", 100.0 * (1.0 - args.alpha));
                println!("  {:<12} {:>9} {:>21} {:>9}", "segment", "APC %", level, "p");
                for seg in &s.trend.segments {
                    println!(
                        "  {:<12} {:>9.3} {:>21} {:>9.4}",
                        format!("{}-{}", seg.from, seg.to),
                        seg.apc,
                        interval(seg.empirical.unwrap_or((seg.lower, seg.upper))),
                        seg.p_value
                    );
                }
                for a in &s.trend.aapc {
                    println!(
                        "  {:<12} {:>9.3} {:>21}  AAPC",
                        format!("{}-{}", a.from, a.to),
                        a.aapc,
                        interval(a.empirical.unwrap_or((a.lower, a.upper)))
                    );
                }
            }
        }
    }
    Ok(())
}

fn interval((lower, upper): (f64, f64)) -> String {
    format!("[{lower:.3}, {upper:.3}]")
}
