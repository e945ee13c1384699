//! `oncodata demo`: the whole chain on a synthetic registry, from source file to incidence
//! table.
//!
//! 1. generate the Manche registry's 2021–2022 extract (ENCR-style CSV) and denominators;
//! 2. read and validate them (IARC checks; faulty records to quarantine);
//! 3. write the warehouse's Parquet tables;
//! 4. aggregate cases and person-years in SQL and compute crude and world age-standardised
//!    rates with their 95 % intervals;
//! 5. print the table and write it, with the quarantine, under `DIR/reports/`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use oncodata_coding::{AgeGroup, site_group, standard_population};
use oncodata_ingest::encr::read_encr_csv;
use oncodata_ingest::population::read_population_csv;
use oncodata_stats::incidence::{AsrInterval, IncidenceRow, Stratum, incidence_table};
use oncodata_synth::{RegistryConfig, generate_registry};
use oncodata_warehouse::Warehouse;

use super::CliResult;
use crate::WarehouseArg;
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

/// Runs the demo.
pub fn run(args: Args) -> CliResult {
    let dir = args.warehouse.warehouse;
    let sources = dir.join("sources");
    let reports = dir.join("reports");
    for d in [&sources, &reports] {
        fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
    }

    let step = Step::start("generating the synthetic Manche registry, 2021-2022");
    let cfg = RegistryConfig::demo(args.seed);
    let generated = generate_registry(&cfg, &sources)?;
    step.done(&format!(
        "generated {} tumours ({} with a planted fault) in {}",
        generated.tumours,
        generated.faulty,
        generated.encr_csv.display()
    ));

    let step = Step::start("validating with the IARC checks");
    let today = chrono::Local::now().date_naive();
    let extract = read_encr_csv(&generated.encr_csv, today)?;
    let population = read_population_csv(&generated.population_csv)?;
    let c = extract.counts;
    step.done(&format!(
        "{}: read {} = accepted {} + quarantined {} ({} warnings)",
        generated.encr_csv.display(),
        c.read,
        c.accepted,
        c.quarantined,
        c.warnings
    ));

    let step = Step::start("writing the warehouse");
    let warehouse = Warehouse::open(&dir)?;
    warehouse.write_patients(&extract.patients)?;
    warehouse.write_tumours(&extract.tumours)?;
    warehouse.write_population(&population)?;
    warehouse.write_quarantine(&extract.quarantined)?;
    step.done(&format!("warehouse {}: tables {}", dir.display(), warehouse.tables()?.join(", ")));

    let step = Step::start("computing incidence");
    let rows = incidence_by_site_and_sex(&warehouse)?;
    let report = reports.join(REPORT);
    write_report(&report, &rows)?;
    write_quarantine(&reports.join("quarantine.csv"), &extract.quarantined)?;
    step.done(&format!("wrote {}", report.display()));

    println!();
    println!(
        "Incidence of invasive cancers, Manche registry (synthetic), {}-{}, per 100,000 person-years",
        cfg.first_year, cfg.last_year
    );
    println!("ASR: world standard population (Segi 1960); 95% intervals: exact Poisson (crude), Tiwari (ASR)");
    println!();
    print_table(&rows);
    Ok(())
}

/// Cases by site group, sex and age group, and person-years by sex and age group, aggregated
/// in the warehouse; rates computed with the world standard.
pub fn incidence_by_site_and_sex(warehouse: &Warehouse) -> Result<Vec<IncidenceRow>, Box<dyn std::error::Error>> {
    let cases = warehouse.query(
        "SELECT t.site_group, p.sex, age_group(t.age_at_diagnosis) AS age_group, count(*) AS cases \
         FROM tumours t JOIN patients p ON t.patient_id = p.patient_id \
         WHERE t.behaviour = 3 AND t.site_group IS NOT NULL \
         GROUP BY 1, 2, 3",
    )?;
    let pop = warehouse.query("SELECT sex, age_group, sum(persons) AS person_years FROM population GROUP BY 1, 2")?;

    let n = AgeGroup::COUNT;
    let mut py: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for r in pop.rows()? {
        let g = AgeGroup::parse(&r[1].as_text())?;
        py.entry(r[0].as_text()).or_insert_with(|| vec![0.0; n])[g.index()] += r[2].as_f64().unwrap_or(0.0);
    }
    let mut counts: BTreeMap<(String, String), Vec<f64>> = BTreeMap::new();
    for r in cases.rows()? {
        let g = AgeGroup::parse(&r[2].as_text())?;
        let c = r[3].as_f64().unwrap_or(0.0);
        for site in [r[0].as_text(), "all".to_string()] {
            counts.entry((site, r[1].as_text())).or_insert_with(|| vec![0.0; n])[g.index()] += c;
        }
    }
    let order: Vec<&str> = site_group::in_report_order().map(|g| g.id).chain(["all"]).collect();
    let mut strata = Vec::new();
    for site in order {
        for sex in ["male", "female"] {
            let (Some(c), Some(p)) = (counts.get(&(site.to_string(), sex.to_string())), py.get(sex)) else {
                continue;
            };
            strata.push(Stratum {
                key: vec![site.to_string(), sex.to_string()],
                cases: c.clone(),
                person_years: p.clone(),
            });
        }
    }
    let world = standard_population::built_in("world").expect("built-in standard");
    Ok(incidence_table(&strata, &world.weights, AsrInterval::Tiwari, 0.95)?)
}

fn write_report(path: &Path, rows: &[IncidenceRow]) -> CliResult {
    let mut w = csv::Writer::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    w.write_record([
        "site_group",
        "sex",
        "cases",
        "person_years",
        "crude_rate",
        "crude_lower",
        "crude_upper",
        "asr",
        "asr_lower",
        "asr_upper",
    ])?;
    for r in rows {
        let nums = [
            r.cases,
            r.person_years,
            r.crude.value,
            r.crude.lower,
            r.crude.upper,
            r.asr.rate.value,
            r.asr.rate.lower,
            r.asr.rate.upper,
        ];
        let mut rec: Vec<String> = r.key.clone();
        rec.extend(nums.iter().map(|v| v.to_string()));
        w.write_record(&rec)?;
    }
    w.flush()?;
    Ok(())
}

fn write_quarantine(path: &PathBuf, rows: &[oncodata_ingest::QuarantinedRecord]) -> CliResult {
    let mut w = csv::Writer::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    w.write_record(["source_file", "line", "record_id", "rule_ids", "messages", "raw"])?;
    for q in rows {
        w.write_record([
            q.provenance.file.clone(),
            q.provenance.record.to_string(),
            q.record_id.clone().unwrap_or_default(),
            q.rule_ids(),
            q.messages(),
            q.raw.clone(),
        ])?;
    }
    w.flush()?;
    Ok(())
}

fn print_table(rows: &[IncidenceRow]) {
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
    for r in rows {
        let ci = |v: f64, l: f64, u: f64| format!("{v:.1} ({l:.1}-{u:.1})");
        if r.key[0] == "all" && previous != "all" {
            println!("{rule}");
        }
        previous = &r.key[0];
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
