//! `oncodata survival`: Kaplan–Meier, Ederer II relative survival or Pohar-Perme net survival
//! of a user's file, with intervals, medians, the log-rank test and a plot.

use std::path::PathBuf;

use oncodata_analyses::cohort::SurvivalOptions;
use oncodata_analyses::survival::{self, CurveRow, Estimates, estimate, read_rate_table, warehouse_data};
use oncodata_disclosure::survival::{Withheld, withhold_group};
use oncodata_stats::relative::{DAYS_PER_YEAR, Integration, RateTable, RateUnit, RelativeMethod};
use oncodata_stats::survival::CiTransform;
use serde_json::json;

use super::{CliResult, Format};
use crate::WarehouseArg;
use crate::plot::{Curve, survival_curves};
use oncodata_analyses::columns::Columns;

/// The estimator.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Kaplan–Meier (observed survival).
    Km,
    /// Ederer II relative survival.
    Ederer2,
    /// Pohar-Perme net survival.
    PoharPerme,
}

/// Interval transform.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ci {
    /// On log S (R's default).
    Log,
    /// On log(−log S).
    LogLog,
    /// On S.
    Plain,
}

/// A unit of time or age.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Days.
    Days,
    /// Years (365.241 days, as relsurv).
    Years,
}

/// Unit of the rate table's hazards.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateUnitArg {
    /// Per day.
    Day,
    /// Per person-year.
    Year,
}

/// Integration of population hazards.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntegrationArg {
    /// One-day steps with the hazard at the start of each day (reproduces relsurv).
    Daily,
    /// Exact integration between the rate table's cut points.
    Exact,
}

/// Arguments of `oncodata survival`.
#[derive(clap::Args)]
pub struct Args {
    /// Data file (CSV with a header, or Parquet). Without it, the warehouse's invasive tumours
    /// with their follow-up: columns time (days), status, age_days, sex, date, site_group, area,
    /// year, iccc, icd10, and its life_table as rate table.
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,
    #[command(flatten)]
    warehouse: WarehouseArg,
    /// On the warehouse: a SQL condition on those columns, e.g. "site_group = 'lung' AND year >= 2015".
    #[arg(long = "where", value_name = "SQL")]
    filter: Option<String>,
    /// On the warehouse: only each person's first primary (EUROCARE, CONCORD).
    #[arg(long)]
    first_primary: bool,
    /// On the warehouse: ages at diagnosis kept, e.g. 15-99 (EUROCARE, CONCORD).
    #[arg(long, value_name = "A-B")]
    age_range: Option<String>,
    /// On the warehouse: the follow-up's closing date; later deaths and contacts are censored
    /// at it, later diagnoses left out.
    #[arg(long, value_name = "YYYY-MM-DD")]
    closing_date: Option<String>,
    /// Column of follow-up times (with --data).
    #[arg(long, value_name = "COL")]
    time: Option<String>,
    /// Column of event indicators: 1/0, TRUE/FALSE, or 2/1 as in R (2 = event) (with --data).
    #[arg(long, value_name = "COL")]
    event: Option<String>,
    /// Columns defining the groups (repeat or separate by commas).
    #[arg(long, value_name = "COL", value_delimiter = ',')]
    by: Vec<String>,
    /// Estimator.
    #[arg(long, value_enum, default_value_t = Method::Km)]
    method: Method,
    /// Interval transform.
    #[arg(long, value_enum, default_value_t = Ci::Log)]
    ci: Ci,
    /// Confidence level.
    #[arg(long, default_value_t = 0.95)]
    conf: f64,
    /// Unit of the time column (relative methods work in days).
    #[arg(long, value_enum, default_value_t = Unit::Days)]
    time_unit: Unit,
    /// Report at these times only (in the time column's unit), e.g. 365.25,1826.
    #[arg(long, value_name = "T1,T2,…", value_delimiter = ',')]
    at: Vec<f64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Write the curves with their bands to this SVG file.
    #[arg(long, value_name = "FILE")]
    plot: Option<PathBuf>,
    /// Rate table for relative methods: CSV or Parquet with columns age (whole years), sex,
    /// year (from which the row applies), hazard.
    #[arg(long, value_name = "FILE")]
    ratetable: Option<PathBuf>,
    /// Unit of the rate table's hazards.
    #[arg(long, value_enum, default_value_t = RateUnitArg::Day)]
    rate_unit: RateUnitArg,
    /// Column of age at diagnosis (relative methods).
    #[arg(long, value_name = "COL")]
    age: Option<String>,
    /// Unit of the age column.
    #[arg(long, value_enum, default_value_t = Unit::Years)]
    age_unit: Unit,
    /// Column of sex, with the rate table's labels (relative methods).
    #[arg(long, value_name = "COL")]
    sex: Option<String>,
    /// Column of the date of diagnosis: an ISO date, or a decimal calendar year (relative
    /// methods).
    #[arg(long, value_name = "COL")]
    year: Option<String>,
    /// Integration of population hazards (relative methods).
    #[arg(long, value_enum, default_value_t = IntegrationArg::Daily)]
    integration: IntegrationArg,
    /// Age-standardise with the International Cancer Survival Standard weights (icss1, icss2,
    /// icss3) over the age groups 15-44, 45-54, 55-64, 65-74, 75+ (needs --age).
    #[arg(long, value_name = "ICSS")]
    standardise: Option<String>,
    /// Whom the curves are for: public, project or steward. For the public and projects (the
    /// warehouse's `disclosure.toml`; by default a threshold of 11 persons), a group of fewer
    /// persons is withheld, each curve stops where fewer are at risk, steps are merged until
    /// each shows no death and no censoring or at least that many, and a median is shown only
    /// with its interval inside the shown curve. Default: the policy's (`[default] survival`,
    /// public).
    #[arg(long)]
    audience: Option<String>,
}

/// Runs the analysis.
pub fn run(args: Args) -> CliResult {
    let mut args = args;
    let (cols, warehouse_rates) = match &args.data {
        Some(path) => (Columns::read(path)?, None),
        None => {
            let ages = match &args.age_range {
                Some(text) => Some(
                    text.split_once('-')
                        .and_then(|(a, b)| Some((a.trim().parse::<u16>().ok()?, b.trim().parse::<u16>().ok()?)))
                        .filter(|(a, b)| a <= b)
                        .ok_or_else(|| format!("--age-range {text}: expected A-B, e.g. 15-99"))?,
                ),
                None => None,
            };
            let options = SurvivalOptions {
                filter: args.filter.as_deref(),
                first_primary_only: args.first_primary,
                ages,
                closing_date: args.closing_date.as_deref(),
            };
            let dir = &args.warehouse.warehouse;
            if !dir.join("tables").is_dir() {
                return Err(
                    format!("{}: no warehouse here (give --data FILE, or run `oncodata demo`)", dir.display()).into()
                );
            }
            let w = args.warehouse.open()?;
            let found = w.block_on(warehouse_data(&w, &options))?;
            eprintln!("{}", found.note);
            // The warehouse's columns and units.
            args.time.get_or_insert_with(|| "time".into());
            args.event.get_or_insert_with(|| "status".into());
            args.age.get_or_insert_with(|| "age_days".into());
            args.sex.get_or_insert_with(|| "sex".into());
            args.year.get_or_insert_with(|| "date".into());
            if args.age.as_deref() == Some("age_days") {
                args.age_unit = Unit::Days;
            }
            args.time_unit = Unit::Days;
            (found.data, Some(found.life_table))
        }
    };
    let source = args
        .data
        .as_ref()
        .map_or_else(|| format!("warehouse {}", args.warehouse.warehouse.display()), |p| p.display().to_string());
    if cols.is_empty() {
        return Err(format!("{source}: no data rows").into());
    }
    let time_col = args.time.clone().ok_or("--data needs --time COL")?;
    let event_col = args.event.clone().ok_or("--data needs --event COL")?;
    let method = match args.method {
        Method::Km => survival::Method::KaplanMeier,
        Method::Ederer2 | Method::PoharPerme => survival::Method::Relative(
            if args.method == Method::Ederer2 { RelativeMethod::EdererII } else { RelativeMethod::PoharPerme },
            if args.integration == IntegrationArg::Exact { Integration::Exact } else { Integration::Daily },
        ),
    };
    let rate_table = match (args.method, &args.ratetable, &warehouse_rates) {
        (Method::Km, _, _) => None,
        (_, Some(path), _) => Some(read_rate_table(
            path,
            if args.rate_unit == RateUnitArg::Year { RateUnit::Year } else { RateUnit::Day },
        )?),
        (_, None, Some(rows)) if rows.is_empty() => {
            return Err(format!(
                "--method {:?} needs a life table: the warehouse has none (load one with `oncodata ingest --source life-table FILE`, or give --ratetable FILE)",
                args.method
            )
            .into());
        }
        (_, None, Some(rows)) => {
            Some(RateTable::from_rows(rows, RateUnit::Year).map_err(|e| format!("warehouse life_table: {e}"))?)
        }
        (_, None, None) => return Err(format!("--method {:?} needs --ratetable FILE", args.method).into()),
    };
    let request = survival::Request {
        by: &args.by,
        time: &time_col,
        time_in_years: args.time_unit == Unit::Years,
        event: &event_col,
        age: args.age.as_deref(),
        age_in_years: args.age_unit == Unit::Years,
        sex: args.sex.as_deref(),
        date: args.year.as_deref(),
        method,
        rate_table: rate_table.as_ref(),
        transform: match args.ci {
            Ci::Log => CiTransform::Log,
            Ci::LogLog => CiTransform::LogLog,
            Ci::Plain => CiTransform::Plain,
        },
        conf: args.conf,
        standardise: args.standardise.as_deref(),
        at: &args.at,
    };
    let policy = super::disclosure::policy_of(&args.warehouse.warehouse)?;
    let audience = super::disclosure::audience_for(args.audience.as_deref(), &policy, "survival")?;
    let rules = policy.rules(audience);
    let per_year = if args.time_unit == Unit::Years { 1.0 } else { DAYS_PER_YEAR };
    let anchors: Vec<f64> = rules.survival_anchor_years.iter().map(|y| y * per_year).collect();
    // What the disclosure rule withheld and the standard left out, told once the curves are out.
    let notes = |withheld: &Withheld, outside_standard: usize| {
        if let Some(note) = withheld.note(audience, rules) {
            eprintln!("{note}");
        }
        if outside_standard > 0 {
            eprintln!(
                "note: {outside_standard} patients under 15 are outside the ICSS standard and left out of the standardised estimate"
            );
        }
    };
    if args.format == Format::Csv {
        // A file holds the curves only: each group's curve is made, checked by the disclosure
        // rule and printed before the next is made, and the table let go before the first, so
        // that memory holds one curve, not all (a curve of fractional times has a row per
        // subject).
        let prepared = survival::prepare(&cols, &request)?;
        drop(cols);
        let mut withheld = Withheld::default();
        let mut plotted = Vec::new();
        let mut out = std::io::stdout().lock();
        let mut spare = Vec::new();
        write_csv_header(&mut out, args.method != Method::Km)?;
        prepared.each_group(|group, rows, mut summary| -> CliResult {
            if let Some(shown) = withhold_group(rows, &mut summary, rules, &anchors, &mut withheld) {
                if args.plot.is_some() {
                    plotted.push(plot_curve(&args, &group, &shown));
                }
                write_csv_curve(&mut out, &mut spare, &group, &shown)?;
            }
            Ok(())
        })?;
        std::io::Write::flush(&mut out)?;
        notes(&withheld, prepared.outside_standard);
        return write_plot(&args, &source, &plotted);
    }
    let mut estimates = estimate(&cols, &request)?;
    let withheld = oncodata_disclosure::survival::withhold_estimates(&mut estimates, rules, &anchors);
    notes(&withheld, estimates.outside_standard);
    let plotted: Vec<Curve> = estimates.curves.iter().map(|(g, rows)| plot_curve(&args, g, rows)).collect();
    write_plot(&args, &source, &plotted)?;
    print_output(&args, &estimates, &withheld)
}

/// A group's curve as the plot draws it.
fn plot_curve(args: &Args, group: &str, rows: &[CurveRow]) -> Curve {
    Curve {
        label: if args.by.is_empty() { group.to_string() } else { format!("{} = {group}", args.by.join(",")) },
        points: rows.iter().map(|r| (r.row.time, r.row.surv, r.row.lower, r.row.upper)).collect(),
    }
}

/// Draws the curves to `--plot FILE`, if asked.
fn write_plot(args: &Args, source: &str, curves: &[Curve]) -> CliResult {
    let Some(path) = &args.plot else { return Ok(()) };
    let what = match args.method {
        Method::Km => "Kaplan-Meier survival",
        Method::Ederer2 => "Relative survival (Ederer II)",
        Method::PoharPerme => "Net survival (Pohar-Perme)",
    };
    let unit = if args.time_unit == Unit::Years { "years" } else { "days" };
    survival_curves(path, &format!("{what}, {source}"), &format!("time ({unit})"), curves)?;
    eprintln!("✓ wrote {}", path.display());
    Ok(())
}

/// The columns of the curves' table (`expected` for the relative methods).
fn curve_header(expected: bool) -> Vec<&'static str> {
    let mut header = vec!["group", "time", "n_risk", "n_event", "n_censor", "surv", "std_err", "lower", "upper"];
    if expected {
        header.push("expected");
    }
    header
}

/// The numbers of a curve's row, in the order of [`curve_header`].
fn row_numbers(r: &CurveRow) -> impl Iterator<Item = f64> {
    let x = &r.row;
    [x.time, x.n_risk, x.n_event, x.n_censor, x.surv, x.std_err, x.lower, x.upper].into_iter().chain(r.expected)
}

fn write_csv_header(out: &mut impl std::io::Write, expected: bool) -> CliResult {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(curve_header(expected))?;
    out.write_all(&w.into_inner().map_err(|e| e.to_string())?)?;
    Ok(())
}

/// Writes a group's curve as CSV rows: blocks of rows formatted on every core (a curve with
/// fractional times has a row per subject) and written in order as they are ready. The group's
/// field is quoted once, as the CSV writer quotes it; numbers never need quoting.
fn write_csv_curve(
    out: &mut impl std::io::Write,
    spare: &mut Vec<Vec<u8>>,
    group: &str,
    curve: &[CurveRow],
) -> CliResult {
    const BLOCK: usize = 2048;
    let mut field = csv::Writer::from_writer(Vec::new());
    field.write_field(group)?;
    let group = field.into_inner().map_err(|e| e.to_string())?;
    let blocks = curve.len().div_ceil(BLOCK);
    oncodata_stats::parallel::in_order(
        blocks,
        spare,
        |k, text| -> std::io::Result<()> {
            let mut buffer = zmij::Buffer::new();
            for r in &curve[k * BLOCK..((k + 1) * BLOCK).min(curve.len())] {
                text.extend_from_slice(&group);
                for x in row_numbers(r) {
                    text.push(b',');
                    text.extend_from_slice(fmt_full(x, &mut buffer).as_bytes());
                }
                text.push(b'\n');
            }
            Ok(())
        },
        |text| out.write_all(text),
    )?;
    Ok(())
}

fn print_output(args: &Args, estimates: &Estimates, withheld: &oncodata_disclosure::survival::Withheld) -> CliResult {
    // Every curve's rows with their group, in order (not collected: a million rows).
    let rows = || estimates.curves.iter().flat_map(|(g, rows)| rows.iter().map(move |r| (g, r)));
    let summary: Vec<serde_json::Value> = estimates
        .summary
        .iter()
        .map(|s| {
            let events = if withheld.events.contains(&s.group) { json!(null) } else { json!(s.events) };
            let mut entry = json!({"group": s.group, "n": s.n, "events": events});
            if let Some(m) = &s.median {
                entry["median"] = json!(m.value);
                entry["median_lower"] = json!(m.lower);
                entry["median_upper"] = json!(m.upper);
            }
            entry
        })
        .collect();
    let test = estimates.log_rank.as_ref();
    let header = curve_header(rows().any(|(_, r)| r.expected.is_some()));
    let fields = |(g, r): &(&String, &CurveRow)| -> Vec<String> {
        std::iter::once((*g).clone())
            .chain(row_numbers(r).map(|x| fmt_full(x, &mut zmij::Buffer::new()).to_string()))
            .collect()
    };
    match args.format {
        Format::Json => {
            let table: Vec<serde_json::Value> = rows()
                .map(|r| {
                    let f = fields(&r);
                    let mut o = serde_json::Map::new();
                    for (h, v) in header.iter().zip(f) {
                        let value = if *h == "group" {
                            json!(v)
                        } else {
                            v.parse::<f64>().ok().filter(|x| x.is_finite()).map_or(json!(null), |x| json!(x))
                        };
                        o.insert(h.to_string(), value);
                    }
                    serde_json::Value::Object(o)
                })
                .collect();
            let lr = test.map(
                |t| json!({"chisq": t.chisq, "df": t.df, "p": t.p, "observed": t.observed, "expected": t.expected}),
            );
            println!("{}", json!({"table": table, "summary": summary, "log_rank": lr}));
        }
        // (CSV curves are printed as they are made, by `run`.)
        Format::Table | Format::Csv => {
            println!("{}", header.iter().map(|h| format!("{h:>10}")).collect::<Vec<_>>().join(" "));
            for r in rows() {
                let f = fields(&r);
                let mut out = vec![format!("{:>10}", f[0])];
                out.extend(f[1..].iter().map(|v| format!("{:>10}", short(v))));
                println!("{}", out.join(" "));
            }
            println!();
            for s in &summary {
                let med = |k: &str| s[k].as_f64().map_or("NA".to_string(), |v| format!("{v}"));
                let events = if s["events"].is_null() { "withheld".to_string() } else { s["events"].to_string() };
                if s.get("median").is_some() {
                    println!(
                        "group {}: n = {}, events = {}, median = {} ({}% CI {} - {})",
                        s["group"].as_str().unwrap_or(""),
                        s["n"],
                        events,
                        med("median"),
                        args.conf * 100.0,
                        med("median_lower"),
                        med("median_upper")
                    );
                } else {
                    println!("group {}: n = {}, deaths = {events}", s["group"].as_str().unwrap_or(""), s["n"]);
                }
            }
            if let Some(t) = test {
                println!("log-rank test: chisq = {:.4} on {} df, p = {:.6}", t.chisq, t.df, t.p);
            }
        }
    }
    Ok(())
}

/// Full precision for files: the shortest text that reads back as the same number, in Rust's
/// notation (`3`, `0.25`, `0.000001`, never an exponent); NA for undefined values. Żmij (Schubfach) finds
/// the digits (where two shortest forms are equally near, which only a number with an 18-digit
/// exact decimal value can meet, it takes the even last digit and Rust the upper one); its
/// exponent forms (`1e-7`) are left to Rust and its trailing `.0` trimmed.
fn fmt_full(x: f64, buffer: &mut zmij::Buffer) -> std::borrow::Cow<'_, str> {
    if !x.is_finite() {
        return "NA".into();
    }
    let text = buffer.format_finite(x);
    if text.contains('e') { x.to_string().into() } else { text.strip_suffix(".0").unwrap_or(text).into() }
}

/// Six significant digits for the terminal.
fn short(v: &str) -> String {
    match v.parse::<f64>() {
        Ok(x) if x.fract() == 0.0 && x.abs() < 1e9 => format!("{x}"),
        Ok(x) => format!("{:.6}", x).trim_end_matches('0').to_string(),
        Err(_) => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast formatting prints every number in as few digits as Rust, reading back as the
    /// same number, and as Rust prints it but for the last digit of a tie: whole numbers,
    /// fractions, the smallest and largest magnitudes, negative zero, random bit patterns.
    #[test]
    fn numbers_print_shortest_as_rust_prints_them() {
        let mut buffer = zmij::Buffer::new();
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut values = vec![0.0, -0.0, 1.0, 3.0, 0.25, 1e-7, 1e-5, 123456.789, 1e15, 1e16, 1e21, f64::MIN_POSITIVE];
        for _ in 0..300_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            values.push(f64::from_bits(state));
            values.push((state % 1_000_000_000) as f64 / 1e6);
            // Any mantissa, with exponents from 2^-20 to 2^60 (the range it prints without an exponent, and beyond it).
            let exponent = 1023 - 20 + (state >> 52) % 81;
            values.push(f64::from_bits(exponent << 52 | (state & ((1 << 52) - 1))));
        }
        for x in values.into_iter().filter(|x| x.is_finite()) {
            let (ours, rust) = (fmt_full(x, &mut buffer).to_string(), x.to_string());
            assert_eq!(ours.parse::<f64>().unwrap().to_bits(), x.to_bits(), "{ours} is not {x:e}");
            if ours != rust {
                // A tie: the same digits but the last, one apart.
                let (a, b) = (ours.as_bytes(), rust.as_bytes());
                assert!(a.len() == b.len() && a[..a.len() - 1] == b[..b.len() - 1], "{ours} vs {rust}");
                assert_eq!(b[b.len() - 1] - a[a.len() - 1], 1, "{ours} vs {rust}");
            }
        }
        assert_eq!(fmt_full(1.0, &mut buffer), "1");
        assert_eq!(fmt_full(1e-7, &mut buffer), "0.0000001");
        assert_eq!(fmt_full(f64::NAN, &mut buffer), "NA");
    }
}
