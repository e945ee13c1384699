//! `oncodata survival`: Kaplan–Meier, Ederer II relative survival or Pohar-Perme net survival
//! of a user's file, with intervals, medians, the log-rank test and a plot.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::NaiveDate;
use oncodata_analyses::cohort::SurvivalOptions;
use oncodata_coding::icss;
use oncodata_stats::relative::{
    DAYS_PER_YEAR, Integration, RateTable, RateUnit, RelativeMethod, Subject, days_since_1960, relative_survival,
};
use oncodata_stats::survival::{CiTransform, SurvivalRow, kaplan_meier, log_rank, standardised_survival, summary_at};
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
}

/// A survival table and, for the relative methods, the expected survival of each row.
type Estimate = (Vec<SurvivalRow>, Option<Vec<f64>>);

/// One output row, whatever the method.
struct Row {
    group: String,
    time: f64,
    n_risk: f64,
    n_event: f64,
    n_censor: f64,
    surv: f64,
    std_err: f64,
    lower: f64,
    upper: f64,
    expected: Option<f64>,
}

fn event_values(cols: &Columns, name: &str) -> Result<Vec<bool>, String> {
    let raw = cols.texts(name)?;
    let lower: Vec<String> = raw.iter().map(|s| s.trim().to_ascii_lowercase()).collect();
    // R's Surv() convention: numeric 1/2 codes mean censored/dead.
    let one_two = lower.iter().all(|v| v == "1" || v == "2") && lower.iter().any(|v| v == "2");
    lower
        .iter()
        .enumerate()
        .map(|(r, v)| match v.as_str() {
            "1" => Ok(!one_two),
            "2" if one_two => Ok(true),
            "0" | "false" | "f" => Ok(false),
            "true" | "t" => Ok(true),
            other => Err(cols.bad(r, name, &format!("is '{other}', not an event indicator (1/0, TRUE/FALSE, or 2/1)"))),
        })
        .collect()
}

/// Days since 1960-01-01 of an ISO date or a decimal year (fraction of the year's days).
fn date_days(cols: &Columns, row: usize, column: &str, text: &str) -> Result<f64, String> {
    if let Ok(d) = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        return Ok(days_since_1960(d));
    }
    let y: f64 = text
        .trim()
        .parse()
        .map_err(|_| cols.bad(row, column, &format!("is '{text}', not a date or a decimal year")))?;
    let whole = y.floor() as i32;
    let jan1 = NaiveDate::from_ymd_opt(whole, 1, 1).ok_or_else(|| cols.bad(row, column, "is out of range"))?;
    let days = NaiveDate::from_ymd_opt(whole + 1, 1, 1).expect("year").signed_duration_since(jan1).num_days() as f64;
    // Decimal years usually encode a date: snap to the whole day they stand for, so that
    // rounding in the fraction does not move the date across a rate-table cut point.
    let offset = (y - whole as f64) * days;
    let offset = if (offset - offset.round()).abs() < 1e-6 { offset.round() } else { offset };
    Ok(days_since_1960(jan1) + offset)
}

/// Runs the analysis.
pub fn run(args: Args) -> CliResult {
    if !(0.0..1.0).contains(&args.conf) || args.conf <= 0.0 {
        return Err(format!("--conf {} must be between 0 and 1", args.conf).into());
    }
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
            let (cols, rates) = from_warehouse(&args.warehouse, &options)?;
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
            (cols, Some(rates))
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
    let time = cols.numbers(&time_col)?;
    let event = event_values(&cols, &event_col)?;
    let keys: Vec<Vec<String>> = args.by.iter().map(|b| cols.texts(b)).collect::<Result<_, _>>()?;
    let group_of = |i: usize| {
        if keys.is_empty() {
            "all".to_string()
        } else {
            keys.iter().map(|k| k[i].clone()).collect::<Vec<_>>().join(",")
        }
    };
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for i in 0..cols.len() {
        groups.entry(group_of(i)).or_default().push(i);
    }
    let transform = match args.ci {
        Ci::Log => CiTransform::Log,
        Ci::LogLog => CiTransform::LogLog,
        Ci::Plain => CiTransform::Plain,
    };
    let to_days = if args.time_unit == Unit::Years { DAYS_PER_YEAR } else { 1.0 };

    // Subjects for the relative methods (age, sex and date against the rate table).
    let relative = match args.method {
        Method::Km => None,
        Method::Ederer2 | Method::PoharPerme => {
            let need = |o: &Option<String>, flag: &str| {
                o.clone().ok_or_else(|| format!("--method {:?} needs {flag}", args.method))
            };
            let table = match (&args.ratetable, &warehouse_rates) {
                (Some(path), _) => read_rate_table(path, args.rate_unit)?,
                (None, Some(rows)) if rows.is_empty() => {
                    return Err(format!(
                        "--method {:?} needs a life table: the warehouse has none (load one with `oncodata ingest --source life-table FILE`, or give --ratetable FILE)",
                        args.method
                    )
                    .into());
                }
                (None, Some(rows)) => {
                    RateTable::from_rows(rows, RateUnit::Year).map_err(|e| format!("warehouse life_table: {e}"))?
                }
                (None, None) => return Err(format!("--method {:?} needs --ratetable FILE", args.method).into()),
            };
            let (sex_col, year_col) = (need(&args.sex, "--sex COL")?, need(&args.year, "--year COL")?);
            let age_col = need(&args.age, "--age COL")?;
            let age = cols.numbers(&age_col)?;
            let sex = cols.texts(&sex_col)?;
            let year = cols.texts(&year_col)?;
            let age_factor = if args.age_unit == Unit::Years { DAYS_PER_YEAR } else { 1.0 };
            let subjects: Vec<Subject> = (0..cols.len())
                .map(|i| {
                    let s = table.sex_index(&sex[i]).ok_or_else(|| {
                        cols.bad(
                            i,
                            &sex_col,
                            &format!(
                                "is '{}', which the rate table does not have (it has {})",
                                sex[i],
                                table.sexes().join(", ")
                            ),
                        )
                    })?;
                    Ok(Subject {
                        time: time[i] * to_days,
                        event: event[i],
                        age_days: age[i] * age_factor,
                        sex: s,
                        date_days: date_days(&cols, i, &year_col, &year[i])?,
                    })
                })
                .collect::<Result<_, String>>()?;
            let method =
                if args.method == Method::Ederer2 { RelativeMethod::EdererII } else { RelativeMethod::PoharPerme };
            let integration =
                if args.integration == IntegrationArg::Exact { Integration::Exact } else { Integration::Daily };
            Some((subjects, table, method, integration))
        }
    };
    // One curve (rows in days for the relative methods, with their expected survival).
    let estimate = |idx: &[usize]| -> Result<Estimate, Box<dyn std::error::Error>> {
        match &relative {
            None => {
                let t: Vec<f64> = idx.iter().map(|&i| time[i]).collect();
                let e: Vec<bool> = idx.iter().map(|&i| event[i]).collect();
                Ok((kaplan_meier(&t, &e, transform, args.conf)?.rows, None))
            }
            Some((subjects, table, method, integration)) => {
                let subs: Vec<Subject> = idx.iter().map(|&i| subjects[i]).collect();
                let r = relative_survival(&subs, table, *method, *integration, transform, args.conf)?;
                Ok((r.iter().map(|x| x.row).collect(), Some(r.iter().map(|x| x.expected).collect())))
            }
        }
    };
    // ICSS age groups of each subject, for --standardise.
    let weights = match &args.standardise {
        None => None,
        Some(name) => {
            let w = icss::weights(name).ok_or_else(|| format!("--standardise {name}: use icss1, icss2 or icss3"))?;
            let age_col = args.age.clone().ok_or("--standardise needs --age COL (age at diagnosis)")?;
            let factor = if args.age_unit == Unit::Days { 1.0 / DAYS_PER_YEAR } else { 1.0 };
            let groups: Vec<Option<usize>> =
                cols.numbers(&age_col)?.iter().map(|a| icss::group_of_age(a * factor)).collect();
            let under = groups.iter().filter(|g| g.is_none()).count();
            if under > 0 {
                eprintln!(
                    "note: {under} patients under 15 are outside the ICSS standard and left out of the standardised estimate"
                );
            }
            Some((w, groups))
        }
    };

    let mut rows: Vec<Row> = Vec::new();
    let mut summary = Vec::new();
    for (g, idx) in &groups {
        let n = idx.len();
        let events = idx.iter().filter(|&&i| event[i]).count();
        let (table_rows, expected) = match &weights {
            None => estimate(idx)?,
            Some((w, age_groups)) => {
                let mut curves = Vec::new();
                for (k, weight) in w.iter().enumerate() {
                    let members: Vec<usize> = idx.iter().copied().filter(|&i| age_groups[i] == Some(k)).collect();
                    if members.is_empty() {
                        return Err(format!(
                            "group {g}: no patients aged {} — an ICSS-standardised estimate needs every age group",
                            icss::GROUPS[k]
                        )
                        .into());
                    }
                    curves.push((*weight, estimate(&members)?.0));
                }
                (standardised_survival(&curves, transform, args.conf), None)
            }
        };
        let mut entry = json!({"group": g, "n": n, "events": events});
        if relative.is_none() && weights.is_none() {
            let t: Vec<f64> = idx.iter().map(|&i| time[i]).collect();
            let e: Vec<bool> = idx.iter().map(|&i| event[i]).collect();
            let m = kaplan_meier(&t, &e, transform, args.conf)?.median();
            entry["median"] = json!(m.value);
            entry["median_lower"] = json!(m.lower);
            entry["median_upper"] = json!(m.upper);
        }
        summary.push(entry);
        let unit = if relative.is_some() { to_days } else { 1.0 };
        let picked: Vec<(SurvivalRow, Option<f64>)> = if args.at.is_empty() {
            table_rows.iter().enumerate().map(|(k, r)| (*r, expected.as_ref().map(|e| e[k]))).collect()
        } else {
            let at: Vec<f64> = args.at.iter().map(|t| t * unit).collect();
            summary_at(&table_rows, n as f64, &at)
                .into_iter()
                .map(|(r, k)| (r, expected.as_ref().map(|e| k.map_or(1.0, |k| e[k]))))
                .collect()
        };
        rows.extend(picked.into_iter().map(|(x, expected)| Row {
            group: g.clone(),
            time: x.time / unit,
            n_risk: x.n_risk,
            n_event: x.n_event,
            n_censor: x.n_censor,
            surv: x.surv,
            std_err: x.std_err,
            lower: x.lower,
            upper: x.upper,
            expected,
        }));
    }
    let test = if groups.len() > 1 && args.method == Method::Km {
        let index: BTreeMap<&String, usize> = groups.keys().enumerate().map(|(i, g)| (g, i)).collect();
        let labels: Vec<usize> = (0..cols.len()).map(|i| index[&group_of(i)]).collect();
        Some(log_rank(&time, &event, &labels)?)
    } else {
        None
    };

    if let Some(path) = &args.plot {
        let curves: Vec<Curve> = groups
            .keys()
            .map(|g| Curve {
                label: if args.by.is_empty() { g.clone() } else { format!("{} = {g}", args.by.join(",")) },
                points: rows.iter().filter(|r| &r.group == g).map(|r| (r.time, r.surv, r.lower, r.upper)).collect(),
            })
            .collect();
        let what = match args.method {
            Method::Km => "Kaplan-Meier survival",
            Method::Ederer2 => "Relative survival (Ederer II)",
            Method::PoharPerme => "Net survival (Pohar-Perme)",
        };
        let unit = if args.time_unit == Unit::Years { "years" } else { "days" };
        survival_curves(path, &format!("{what}, {source}"), &format!("time ({unit})"), &curves)?;
        eprintln!("✓ wrote {}", path.display());
    }
    print_output(&args, &rows, &summary, test.as_ref())
}

/// Rate-table rows: age, sex, year, hazard.
pub type RateRows = Vec<(u32, String, i32, f64)>;

/// The warehouse's invasive tumours with their follow-up, as a table with the columns named in
/// [`Args::data`]'s help (time in days, status, age_days, sex, date, site_group, area, year,
/// iccc, icd10, age), selected by an optional SQL condition, and the warehouse's life table rows
/// (hazards per year).
pub fn from_warehouse(
    warehouse: &WarehouseArg,
    options: &SurvivalOptions<'_>,
) -> Result<(Columns, RateRows), Box<dyn std::error::Error>> {
    use oncodata_warehouse::Value;
    let dir = &warehouse.warehouse;
    if !dir.join("tables").is_dir() {
        return Err(format!("{}: no warehouse here (give --data FILE, or run `oncodata demo`)", dir.display()).into());
    }
    let w = warehouse.open()?;
    let cohort = w.block_on(oncodata_analyses::cohort::survival_cohort(&w, options))?;
    let excluded: Vec<String> = cohort.excluded.iter().map(|(why, n)| format!("{n} {why}")).collect();
    eprintln!(
        "cohort: {} {} ({}); left out: {}",
        cohort.cases.len(),
        cohort.unit.label(),
        if cohort.coverage { "residents of the areas and years the registries cover" } else { "every area" },
        if excluded.is_empty() { "none".to_string() } else { excluded.join(", ") }
    );
    let mut rows = Vec::new();
    for case in &cohort.cases {
        let [site_group, sex, year, area, iccc, icd10, age] = case.groups.clone();
        rows.push(vec![
            Value::Float(case.time_days()? as f64),
            Value::Int(case.dead as i64),
            Value::Float(case.age_days()? as f64),
            sex,
            Value::Text(case.incidence_date.clone()),
            site_group,
            area,
            year,
            iccc,
            icd10,
            age,
        ]);
    }
    let names = ["time", "status", "age_days", "sex", "date", "site_group", "area", "year", "iccc", "icd10", "age"]
        .map(String::from)
        .to_vec();
    let rates = w
        .block_on(oncodata_analyses::cohort::life_table(&w))?
        .into_iter()
        .map(|r| (r.age, r.sex, r.year, r.hazard))
        .collect();
    Ok((Columns::from_rows(&format!("warehouse {}", dir.display()), names, rows), rates))
}

fn read_rate_table(path: &std::path::Path, unit: RateUnitArg) -> Result<RateTable, Box<dyn std::error::Error>> {
    let c = Columns::read(path)?;
    let age = c.numbers("age")?;
    let sex = c.texts("sex")?;
    let year = c.numbers("year")?;
    let hazard = c.numbers("hazard")?;
    let rows: Vec<(u32, String, i32, f64)> = (0..c.len())
        .map(|i| {
            if age[i] < 0.0 || age[i].fract() != 0.0 {
                return Err(c.bad(i, "age", &format!("is {}, not a whole number of years", age[i])));
            }
            Ok((age[i] as u32, sex[i].clone(), year[i] as i32, hazard[i]))
        })
        .collect::<Result<_, String>>()?;
    let unit = if unit == RateUnitArg::Year { RateUnit::Year } else { RateUnit::Day };
    Ok(RateTable::from_rows(&rows, unit).map_err(|e| format!("{}: {e}", path.display()))?)
}

fn print_output(
    args: &Args,
    rows: &[Row],
    summary: &[serde_json::Value],
    test: Option<&oncodata_stats::survival::LogRank>,
) -> CliResult {
    let mut header = vec!["group", "time", "n_risk", "n_event", "n_censor", "surv", "std_err", "lower", "upper"];
    if rows.iter().any(|r| r.expected.is_some()) {
        header.push("expected");
    }
    let fields = |r: &Row| -> Vec<String> {
        let mut v = vec![r.group.clone()];
        v.extend(
            [r.time, r.n_risk, r.n_event, r.n_censor, r.surv, r.std_err, r.lower, r.upper].iter().map(|x| fmt_full(*x)),
        );
        if let Some(e) = r.expected {
            v.push(fmt_full(e));
        }
        v
    };
    match args.format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(std::io::stdout());
            w.write_record(&header)?;
            for r in rows {
                w.write_record(fields(r))?;
            }
            w.flush()?;
        }
        Format::Json => {
            let table: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    let f = fields(r);
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
        Format::Table => {
            println!("{}", header.iter().map(|h| format!("{h:>10}")).collect::<Vec<_>>().join(" "));
            for r in rows {
                let f = fields(r);
                let mut out = vec![format!("{:>10}", f[0])];
                out.extend(f[1..].iter().map(|v| format!("{:>10}", short(v))));
                println!("{}", out.join(" "));
            }
            println!();
            for s in summary {
                let med = |k: &str| s[k].as_f64().map_or("NA".to_string(), |v| format!("{v}"));
                if s.get("median").is_some() {
                    println!(
                        "group {}: n = {}, events = {}, median = {} ({}% CI {} - {})",
                        s["group"].as_str().unwrap_or(""),
                        s["n"],
                        s["events"],
                        med("median"),
                        args.conf * 100.0,
                        med("median_lower"),
                        med("median_upper")
                    );
                } else {
                    println!("group {}: n = {}, deaths = {}", s["group"].as_str().unwrap_or(""), s["n"], s["events"]);
                }
            }
            if let Some(t) = test {
                println!("log-rank test: chisq = {:.4} on {} df, p = {:.6}", t.chisq, t.df, t.p);
            }
        }
    }
    Ok(())
}

/// Full precision for files (Rust's shortest round-trip form); NA for undefined values.
fn fmt_full(x: f64) -> String {
    if x.is_finite() { x.to_string() } else { "NA".into() }
}

/// Six significant digits for the terminal.
fn short(v: &str) -> String {
    match v.parse::<f64>() {
        Ok(x) if x.fract() == 0.0 && x.abs() < 1e9 => format!("{x}"),
        Ok(x) => format!("{:.6}", x).trim_end_matches('0').to_string(),
        Err(_) => v.to_string(),
    }
}
