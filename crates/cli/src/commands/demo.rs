//! `oncodata demo`: the whole chain on a synthetic registry, from source file to incidence
//! table.
//!
//! 1. generate the Manche registry's 2021–2022 extract (ENCR-style CSV) and denominators;
//! 2. read and validate them (IARC checks; faulty records to quarantine);
//! 3. write the warehouse's Parquet tables;
//! 4. aggregate cases and person-years in SQL and compute crude and world age-standardised
//!    rates with their 95 % intervals;
//! 5. estimate net survival (Pohar-Perme) of the main sites against the generator's life table,
//!    beside the generator's true net survival;
//! 6. print the tables and write them, with the quarantine and two plots, under `DIR/reports/`.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use oncodata_analyses::cohort::SurvivalOptions;
use oncodata_analyses::survival::{self, CurveRow};
use oncodata_coding::site_group;
use oncodata_stats::incidence::IncidenceRow;
use oncodata_stats::relative::{DAYS_PER_YEAR, RateTable, RateUnit};
use oncodata_stats::survival::SurvivalRow;
use oncodata_synth::{SynthConfig, generate};
use oncodata_warehouse::Warehouse;

use super::CliResult;
use crate::WarehouseArg;
use crate::plot::{BarSeries, Curve, TrendSeries, rate_bars, survival_curves, trend_lines};
use crate::progress::Step;

/// The demo's default seed: the same seed gives the same data and the same table.
pub const DEFAULT_SEED: u64 = 20241;

/// Arguments of `oncodata demo`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    warehouse: WarehouseArg,
    /// Random seed of the synthetic registry.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
}

/// File name of the incidence report under `DIR/reports/`.
pub const REPORT: &str = "incidence_by_site_sex.csv";

/// The file that marks a warehouse as the demo's: the demo loads again only into its own.
pub const MARK: &str = ".oncodata-demo";

/// Runs the demo.
pub fn run(args: Args) -> CliResult {
    let dir = args.warehouse.warehouse;
    // A warehouse the demo did not make is someone's data: the demo would replace its
    // population and life table.
    if dir.join("tables").is_dir() && !dir.join(MARK).exists() {
        return Err(format!(
            "{}: a warehouse that `oncodata demo` did not create; the demo would replace its population and life table. \
             Give another folder: oncodata demo --warehouse DIR",
            dir.display()
        )
        .into());
    }
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    fs::write(dir.join(MARK), "made by oncodata demo\n").map_err(|e| format!("{}: {e}", dir.display()))?;
    let sources = dir.join("sources");
    let reports = dir.join("reports");
    for d in [&sources, &reports] {
        fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
    }

    let step = Step::start("generating the synthetic Manche registry, 2021-2022");
    let cfg = SynthConfig::demo(args.seed);
    let generated = generate(&cfg, &sources)?;
    let encr = generated.encr_csv.clone().ok_or("the demo's département has no registry")?;
    step.done(&format!(
        "generated {} tumours, {} registry records ({} with a planted fault) in {}, with claims, hospital extracts and truth",
        generated.tumours,
        generated.registry_records,
        generated.faulty,
        encr.display()
    ));

    let step = Step::start("validating with the IARC checks and writing the warehouse");
    let c = super::synth::load_registry(&generated, &dir)?;
    let warehouse = Warehouse::open(&dir)?;
    step.done(&format!(
        "{}: read {} = accepted {} + quarantined {} ({} warnings); warehouse {}: tables {}",
        encr.display(),
        c.read,
        c.accepted,
        c.quarantined,
        c.warnings,
        dir.display(),
        warehouse.tables()?.join(", ")
    ));

    let step = Step::start("computing incidence");
    let rows = incidence_by_site_and_sex(&dir)?;
    let by_year = warehouse_rates(&dir, &["year", "sex"], "world")?;
    let policy = super::disclosure::policy_of(&dir)?;
    let public = policy.rules(oncodata_disclosure::Audience::Public);
    let disclosure = protect_published(&dir, public)?;
    let withheld_rows: Vec<Option<&'static str>> = rows
        .iter()
        .map(|r| {
            let site = (r.key[0] != "all").then_some(r.key[0].as_str());
            disclosure.rule(&[site, Some(&r.key[1]), None])
        })
        .collect::<Result<_, _>>()?;
    let report = reports.join(REPORT);
    write_report(&report, &rows, &withheld_rows)?;
    let quarantine = warehouse.query(
        "SELECT source_file, source_record AS line, record_id, rule_ids, messages, raw FROM quarantine ORDER BY source_record",
    )?;
    let quarantine_csv = reports.join("quarantine.csv");
    fs::write(&quarantine_csv, quarantine.to_csv()?).map_err(|e| format!("{}: {e}", quarantine_csv.display()))?;
    let asr_plot = reports.join("incidence_asr.svg");
    let shown: Vec<IncidenceRow> =
        rows.iter().zip(&withheld_rows).filter(|(_, w)| w.is_none()).map(|(r, _)| r.clone()).collect();
    plot_asr(&asr_plot, &shown, cfg.first_year, cfg.last_year)?;
    let trend_plot = reports.join("incidence_trend.svg");
    let series: Vec<TrendSeries> = ["male", "female"]
        .iter()
        .map(|sex| {
            let points = by_year
                .iter()
                .filter(|r| r.key[1] == *sex)
                .filter(|r| disclosure.rule(&[None, Some(&r.key[1]), Some(&r.key[0])]).is_ok_and(|w| w.is_none()))
                .filter_map(|r| {
                    Some((r.key[0].parse::<f64>().ok()?, r.asr.rate.value, r.asr.rate.lower, r.asr.rate.upper))
                })
                .collect();
            (sex.to_string(), points)
        })
        .collect();
    trend_lines(
        &trend_plot,
        "All invasive cancers, world age-standardised rate per 100,000",
        "year of diagnosis",
        "ASR per 100,000",
        &series,
    )?;
    step.done(&format!("wrote {}, {} and {}", report.display(), asr_plot.display(), trend_plot.display()));

    let step = Step::start("estimating net survival");
    let survival = net_survival_by_site(&dir, &generated.net_survival_csv, public)?;
    let survival_csv = reports.join("net_survival_by_site.csv");
    write_survival(&survival_csv, &survival)?;
    let survival_plot = reports.join("net_survival.svg");
    plot_net_survival(&survival_plot, &survival)?;
    step.done(&format!("wrote {} and {}", survival_csv.display(), survival_plot.display()));

    println!();
    println!(
        "Incidence of invasive cancers, Manche registry (synthetic), {}-{}, per 100,000 person-years",
        cfg.first_year, cfg.last_year
    );
    println!("ASR: world standard population (Segi 1960); 95% intervals: exact Poisson (crude), Tiwari (ASR)");
    println!();
    print_table(&rows, &withheld_rows);
    println!();
    println!("{}", disclosure_note(&disclosure, public));
    println!();
    println!("Net survival (Pohar-Perme) against the population life table, 95% intervals (log);");
    println!("follow-up to {}; 'true' is the generator's net survival for the same site and sex", cfg.follow_up_end);
    println!();
    print_survival(&survival);
    println!();
    println!("Files: {}", reports.display());
    Ok(())
}

/// Incidence by site group and sex, in the order of the national reports, then all invasive
/// cancers by sex (key `all`), world standard, Tiwari intervals.
/// The warehouse's incidence rates by `by` ([`oncodata_analyses::incidence::warehouse_rates`]).
fn warehouse_rates(dir: &Path, by: &[&str], standard: &str) -> Result<Vec<IncidenceRow>, Box<dyn std::error::Error>> {
    let w = Warehouse::open(dir)?;
    Ok(w.block_on(oncodata_analyses::incidence::warehouse_rates(&w, by, standard))?)
}

pub fn incidence_by_site_and_sex(dir: &Path) -> Result<Vec<IncidenceRow>, Box<dyn std::error::Error>> {
    let by_site = warehouse_rates(dir, &["site_group", "sex"], "world")?;
    let mut rows = Vec::new();
    for group in site_group::in_report_order() {
        for sex in ["male", "female"] {
            rows.extend(by_site.iter().filter(|r| r.key[0] == group.id && r.key[1] == sex).cloned());
        }
    }
    for sex in ["male", "female"] {
        for mut r in warehouse_rates(dir, &["sex"], "world")?.into_iter().filter(|r| r.key[0] == sex) {
            r.key = vec!["all".to_string(), sex.to_string()];
            rows.push(r);
        }
    }
    Ok(rows)
}

/// The demo's published incidence — by site group and sex with its margin by sex, and by year
/// and sex — protected together for the public audience from the warehouse's counts by site
/// group, sex and year ([`oncodata_disclosure::table::protect_linked`]): each table withholds
/// what `oncodata incidence --by …` withholds from it, and the attacker's linear programs find
/// nothing recoverable from both.
fn protect_published(
    dir: &Path,
    rules: &oncodata_disclosure::Rules,
) -> Result<oncodata_disclosure::table::Linked, Box<dyn std::error::Error>> {
    let cells = warehouse_rates(dir, &["site_group", "sex", "year"], "world")?;
    let keys: Vec<Vec<String>> = cells.iter().map(|r| r.key.clone()).collect();
    let counts: Vec<u64> = cells
        .iter()
        .map(|r| (r.cases >= 0.0 && r.cases.fract() == 0.0).then_some(r.cases as u64))
        .collect::<Option<_>>()
        .ok_or("incidence counts that are not whole numbers of cases")?;
    let columns: Vec<String> = ["site_group", "sex", "year"].map(String::from).to_vec();
    let tables = vec![columns[..2].to_vec(), vec![columns[2].clone(), columns[1].clone()]];
    Ok(oncodata_disclosure::table::protect_linked(&columns, &keys, &counts, &tables, rules)?)
}

/// What the demo says of its disclosure control.
fn disclosure_note(d: &oncodata_disclosure::table::Linked, rules: &oncodata_disclosure::Rules) -> String {
    let proof = d.proof.describe();
    format!(
        "Disclosure control (public): no count of 1 to {} cases is shown; {} cells of the incidence tables and \
         their margins withheld ({} by the frequency rule, {} so that none can be recomputed); {proof}. Survival \
         curves show no step isolating 1 to {} deaths or censorings and stop where fewer are at risk.",
        rules.min_persons - 1,
        d.withheld,
        d.primaries,
        d.withheld - d.primaries,
        rules.min_persons - 1
    )
}

fn write_report(path: &Path, rows: &[IncidenceRow], withheld: &[Option<&'static str>]) -> CliResult {
    let mut w = csv::Writer::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    w.write_record(["site_group", "sex"].iter().chain(&super::incidence::RATE_COLUMNS).chain(&["suppressed"]))?;
    for (r, rule) in rows.iter().zip(withheld) {
        let mut rec: Vec<String> = r.key.clone();
        match rule {
            None => rec.extend(super::incidence::rate_fields(r)),
            Some(_) => rec.extend(super::incidence::RATE_COLUMNS.iter().map(|_| String::new())),
        }
        rec.push(rule.unwrap_or_default().to_string());
        w.write_record(&rec)?;
    }
    w.flush()?;
    Ok(())
}

fn print_table(rows: &[IncidenceRow], withheld: &[Option<&'static str>]) {
    let title = |id: &str| match id {
        "all" => "All invasive cancers",
        id => site_group::by_id(id).map(|g| g.title).unwrap_or("?"),
    };
    let width = rows.iter().map(|r| title(&r.key[0]).chars().count()).max().unwrap_or(10);
    let rule = "-".repeat(width + 68);
    println!(
        "{:<width$} {:<7} {:>6}  {:>24}  {:>24}",
        "site group", "sex", "cases", "crude rate (95% CI)", "ASR world (95% CI)"
    );
    println!("{rule}");
    let mut previous = "";
    for (r, withheld) in rows.iter().zip(withheld) {
        let ci = |v: f64, l: f64, u: f64| format!("{v:.1} ({l:.1}-{u:.1})");
        if r.key[0] == "all" && previous != "all" {
            println!("{rule}");
        }
        previous = &r.key[0];
        if let Some(rule) = withheld {
            println!("{:<width$} {:<7} {:>6}  withheld ({rule})", title(&r.key[0]), r.key[1], "");
            continue;
        }
        println!(
            "{:<width$} {:<7} {:>6}  {:>24}  {:>24}",
            title(&r.key[0]),
            r.key[1],
            r.cases,
            ci(r.crude.value, r.crude.lower, r.crude.upper),
            ci(r.asr.rate.value, r.asr.rate.lower, r.asr.rate.upper)
        );
    }
}

/// Net survival of one site group and sex.
pub struct SiteSurvival {
    /// Site group id.
    pub site_group: String,
    /// `male` or `female`.
    pub sex: String,
    /// Patients.
    pub n: usize,
    /// Deaths.
    pub deaths: usize,
    /// The Pohar-Perme table (times in days), with the expected survival, as published (steps
    /// merged by the survival rule).
    pub rows: Vec<CurveRow>,
    /// The estimate at 1 and 2 years, `None` where the survival rule withholds it.
    pub at: [Option<SurvivalRow>; 2],
    /// The generator's true 1-year net survival.
    pub true_1y: f64,
}

/// The sites and sexes the demo reports survival for.
const SURVIVAL_SITES: [(&str, &str); 6] = [
    ("prostate", "male"),
    ("breast", "female"),
    ("colorectum", "male"),
    ("colorectum", "female"),
    ("lung", "male"),
    ("lung", "female"),
];

/// Pohar-Perme net survival of the main sites from the warehouse's survival cohort and life
/// table ([`oncodata_analyses::survival`]), beside the generator's true 1-year net survival.
pub fn net_survival_by_site(
    dir: &Path,
    truth_csv: &Path,
    rules: &oncodata_disclosure::Rules,
) -> Result<Vec<SiteSurvival>, Box<dyn std::error::Error>> {
    let w = Warehouse::open(dir)?;
    let mut sites: Vec<&str> = SURVIVAL_SITES.iter().map(|(site, _)| *site).collect();
    sites.dedup();
    let filter = format!("site_group IN ({})", sites.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", "));
    let options = SurvivalOptions { filter: Some(&filter), ..Default::default() };
    let found = w.block_on(survival::warehouse_data(&w, &options))?;
    eprintln!("{}", found.note);
    let table = RateTable::from_rows(&found.life_table, RateUnit::Year)?;
    let mut truth = BTreeMap::new();
    // The national case mix's rows (`stage` and `age_band` = `all`): site_group, sex, stage,
    // age_band, excess_hazard_per_year, net_survival_1y, net_survival_5y.
    for r in csv::Reader::from_path(truth_csv)?.records() {
        let r = r?;
        if &r[2] != "all" || &r[3] != "all" {
            continue;
        }
        let sex = if &r[1] == "1" { "male" } else { "female" };
        truth.insert((r[0].to_string(), sex.to_string()), r[5].parse::<f64>()?);
    }
    let by = ["site_group".to_string(), "sex".to_string()];
    let request = survival::Request::net_survival_of_warehouse(&by, &table);
    let mut estimates = survival::estimate(&found.data, &request)?;
    // The policy's anchors (every output of a curve shows the same points), 1 and 2 years among them.
    let mut years = rules.survival_anchor_years.clone();
    for y in [1.0, 2.0] {
        if !years.contains(&y) {
            years.push(y);
        }
    }
    years.sort_by(f64::total_cmp);
    let anchors: Vec<f64> = years.iter().map(|y| y * DAYS_PER_YEAR).collect();
    let withheld = oncodata_disclosure::survival::withhold_estimates(&mut estimates, rules, &anchors);
    let at = |k: usize, y: f64| withheld.anchors[k][years.iter().position(|x| *x == y).expect("an anchor")];
    let mut out = Vec::new();
    for (site, sex) in SURVIVAL_SITES {
        let group = format!("{site},{sex}");
        let Some(k) = estimates.curves.iter().position(|(g, _)| *g == group) else { continue };
        let rows = &estimates.curves[k].1;
        let summary = estimates.summary.iter().find(|s| s.group == group).expect("a summary per curve");
        out.push(SiteSurvival {
            site_group: site.into(),
            sex: sex.into(),
            n: summary.n,
            deaths: summary.events,
            rows: rows.clone(),
            at: [at(k, 1.0), at(k, 2.0)],
            true_1y: truth.get(&(site.to_string(), sex.to_string())).copied().unwrap_or(f64::NAN),
        });
    }
    Ok(out)
}

fn write_survival(path: &Path, sites: &[SiteSurvival]) -> CliResult {
    let mut w = csv::Writer::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    w.write_record([
        "site_group",
        "sex",
        "time",
        "n_risk",
        "n_event",
        "n_censor",
        "surv",
        "std_err",
        "lower",
        "upper",
        "expected",
    ])?;
    for s in sites {
        for x in &s.rows {
            let r = &x.row;
            let expected = x.expected.unwrap_or(f64::NAN);
            let nums = [r.time, r.n_risk, r.n_event, r.n_censor, r.surv, r.std_err, r.lower, r.upper, expected];
            let mut rec = vec![s.site_group.clone(), s.sex.clone()];
            rec.extend(nums.iter().map(|v| v.to_string()));
            w.write_record(&rec)?;
        }
    }
    w.flush()?;
    Ok(())
}

fn print_survival(sites: &[SiteSurvival]) {
    let cell = |r: Option<&SurvivalRow>| {
        r.map_or("withheld".to_string(), |r| format!("{:.3} ({:.3}-{:.3})", r.surv, r.lower, r.upper))
    };
    println!(
        "{:<28} {:<7} {:>6} {:>7}  {:>22}  {:>22}  {:>9}",
        "site group", "sex", "n", "deaths", "1 year", "2 years", "true 1y"
    );
    println!("{}", "-".repeat(111));
    for s in sites {
        let title = site_group::by_id(&s.site_group).map_or(s.site_group.as_str(), |g| g.title);
        println!(
            "{:<28} {:<7} {:>6} {:>7}  {:>22}  {:>22}  {:>9.3}",
            title,
            s.sex,
            s.n,
            s.deaths,
            cell(s.at[0].as_ref()),
            cell(s.at[1].as_ref()),
            s.true_1y
        );
    }
}

fn plot_net_survival(path: &Path, sites: &[SiteSurvival]) -> CliResult {
    let curves: Vec<Curve> = sites
        .iter()
        .map(|s| Curve {
            label: format!(
                "{} ({})",
                site_group::by_id(&s.site_group).map_or(s.site_group.as_str(), |g| g.title),
                s.sex
            ),
            points: s.rows.iter().map(|x| (x.row.time / DAYS_PER_YEAR, x.row.surv, x.row.lower, x.row.upper)).collect(),
        })
        .collect();
    survival_curves(path, "Net survival (Pohar-Perme), Manche registry (synthetic)", "years since diagnosis", &curves)
}

fn plot_asr(path: &Path, rows: &[IncidenceRow], first: i32, last: i32) -> CliResult {
    let sites: Vec<&str> = {
        let mut v: Vec<&str> = Vec::new();
        for r in rows {
            if r.key[0] != "all" && !v.contains(&r.key[0].as_str()) {
                v.push(&r.key[0]);
            }
        }
        v
    };
    let labels: Vec<String> =
        sites.iter().map(|id| site_group::by_id(id).map_or(id.to_string(), |g| g.title.to_string())).collect();
    let series: Vec<BarSeries> = ["male", "female"]
        .iter()
        .map(|sex| {
            let values = sites
                .iter()
                .map(|site| {
                    rows.iter()
                        .find(|r| r.key[0] == *site && r.key[1] == *sex)
                        .map(|r| (r.asr.rate.value, r.asr.rate.lower, r.asr.rate.upper))
                })
                .collect();
            (sex.to_string(), values)
        })
        .collect();
    rate_bars(
        path,
        &format!("Incidence {first}-{last}, world age-standardised rate per 100,000 (95% CI)"),
        "ASR (world) per 100,000",
        &labels,
        &series,
    )
}
