//! `oncodata synth`: synthetic France — registry, claims, hospital and programme data with
//! their truth — for any départements, years and population scale, the registry extract
//! optionally loaded into a warehouse.

use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use oncodata_ingest::population::{read_life_table, read_population};
use oncodata_synth::faults::FaultRates;
use oncodata_synth::params::DEPARTEMENTS;
use oncodata_synth::{Generated, SynthConfig, generate_with_progress};
use oncodata_warehouse::Warehouse;

use super::CliResult;

/// Arguments of `oncodata synth`.
#[derive(clap::Args)]
pub struct Args {
    /// Output directory.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Incidence years, e.g. 2010-2024.
    #[arg(long, value_name = "A-B", default_value = "2010-2024")]
    years: String,
    /// Population scale: 1.0 is the real population (≈ 430,000 cancers a year for all of
    /// France); 0.01 a hundredth.
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Random seed; the same seed and arguments give the same bytes.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Départements simulated: `all` (the 101), `registry` (only those a general cancer
    /// registry covers, ≈ 22 % of the population), or INSEE codes, e.g. 14,50. Registry
    /// extracts cover the simulated départements that have a registry (and every childhood
    /// cancer); claims cover every cancer.
    #[arg(long, default_value = "all")]
    departements: String,
    /// Which départements the general registries' extract covers: `actual` (those with a
    /// registry) or `all` (as if the whole country were covered, for national-scale tests).
    #[arg(long, default_value = "actual", value_parser = ["actual", "all"])]
    registries: String,
    /// Follow-up end (ISO date); default 31 December of the year after the last incidence year.
    #[arg(long, value_name = "DATE")]
    follow_up_end: Option<String>,
    /// Plant no faults (default: about 2 % of registry records and 5 % of identities, recorded
    /// in truth/faults.csv).
    #[arg(long)]
    no_faults: bool,
    /// The null geography: no area effects and no planted clusters (the same risk in every
    /// commune), to check that `oncodata scan` finds nothing where there is nothing. Default:
    /// mild effects by département and 3 clusters of neighbouring communes (truth/clusters.csv).
    #[arg(long)]
    null_geography: bool,
    /// Also validate the data and load them into this warehouse (tables patients, tumours,
    /// population, life_table, quarantine, replaced).
    #[arg(long, value_name = "DIR")]
    warehouse: Option<PathBuf>,
}

/// What loading a generated registry into a warehouse read and kept.
pub struct Loaded {
    /// Records read.
    pub read: u64,
    /// Accepted.
    pub accepted: u64,
    /// Quarantined.
    pub quarantined: u64,
    /// Warnings.
    pub warnings: u64,
}

/// Validates the general registries' extract of a generated data set and writes it, with the
/// denominators, the life table and the cancer deaths, into the warehouse at `dir`.
pub fn load_registry(generated: &Generated, dir: &Path) -> Result<Loaded, Box<dyn std::error::Error>> {
    let encr = generated.encr_csv.as_ref().ok_or("no simulated département has a general cancer registry")?;
    let (today, _) = oncodata_ingest::extract_date(oncodata_ingest::SourceKind::EncrCsv, encr)?;
    let (population, _) = read_population(&generated.population_csv)?;
    let (life_table, _) = read_life_table(&generated.life_table_csv)?;
    let (mortality, _) = oncodata_ingest::mortality::read_mortality(&generated.mortality_csv)?;
    let warehouse = Warehouse::open(dir)?;
    warehouse.begin("load a synthetic registry: its extract, population, life table and cancer deaths")?;
    let mut extract = oncodata_ingest::Extract::default();
    let (kind, dataset) = (oncodata_ingest::SourceKind::EncrCsv, super::ingest::default_dataset(encr));
    super::ingest::read_into(kind, encr, None, today, &mut extract, Some(&warehouse), &dataset)?;
    let (first_year, last_year) = generated.registry_years;
    let areas = generated.registry_areas.clone();
    warehouse.declare_coverage(&[oncodata_model::Coverage {
        dataset: dataset.clone(),
        areas,
        first_year,
        last_year,
    }])?;
    warehouse.write_population(&population)?;
    warehouse.write_life_table(&life_table)?;
    warehouse.merge_mortality(&mortality)?;
    warehouse.commit()?;
    let c = extract.counts();
    Ok(Loaded { read: c.read, accepted: c.accepted, quarantined: c.quarantined, warnings: c.warnings })
}

/// Runs the command.
pub fn run(args: Args) -> CliResult {
    let (first, last) = args
        .years
        .split_once('-')
        .and_then(|(a, b)| Some((a.trim().parse::<i32>().ok()?, b.trim().parse::<i32>().ok()?)))
        .ok_or_else(|| format!("--years {}: expected A-B, e.g. 2010-2024", args.years))?;
    let departements: Vec<String> = match args.departements.as_str() {
        "registry" => DEPARTEMENTS.iter().filter(|d| d.registry).map(|d| d.code.to_string()).collect(),
        "all" => DEPARTEMENTS.iter().map(|d| d.code.to_string()).collect(),
        list => list.split(',').map(|c| c.trim().to_string()).collect(),
    };
    let follow_up_end = match &args.follow_up_end {
        Some(d) => chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|e| format!("--follow-up-end {d}: {e}"))?,
        None => chrono::NaiveDate::from_ymd_opt(last + 1, 12, 31).ok_or("--years: last year out of range")?,
    };
    let cfg = SynthConfig {
        departements,
        first_year: first,
        last_year: last,
        follow_up_end,
        seed: args.seed,
        faults: if args.no_faults { FaultRates::none() } else { FaultRates::default() },
        scale: args.scale,
        registries_everywhere: args.registries == "all",
        null_geography: args.null_geography,
    };
    std::fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} département-years, {elapsed} elapsed, ETA {eta}")
            .expect("template"),
    );
    let generated = generate_with_progress(&cfg, &args.out, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    let g = &generated;
    eprintln!(
        "✓ {} tumours in {} départements, {first}-{last}, scale {}; {} source records ({} with a planted fault)",
        g.tumours,
        cfg.departements.len(),
        cfg.scale,
        g.source_records,
        g.faulty
    );
    if let Some(encr) = &g.encr_csv {
        eprintln!(
            "  registries: {} ({} records), NAACCR XML and identity file beside it",
            encr.display(),
            g.registry_records
        );
        // What the general registries cover, as `ingest --coverage` reads it.
        let coverage = format!("{}:{}-{}", g.registry_areas.join(","), g.registry_years.0, g.registry_years.1);
        let file = encr.with_file_name("coverage.txt");
        std::fs::write(&file, format!("{coverage}\n")).map_err(|e| format!("{}: {e}", file.display()))?;
        eprintln!("  their coverage: {} (ingest --coverage \"$(cat {})\")", coverage, file.display());
    }
    eprintln!("  paediatric registries: {} ({} records)", g.paediatric_csv.display(), g.paediatric_records);
    eprintln!("  claims: {} ({} persons)", g.claims_dir.display(), g.tumours);
    for d in &g.omop_dirs {
        eprintln!("  OMOP CDM 5.4: {}", d.display());
    }
    for f in &g.fhir_files {
        eprintln!("  FHIR mCODE bundles: {}", f.display());
    }
    eprintln!("  screening and vaccination: {}", g.screening_dir.display());
    eprintln!(
        "  denominators {}, life table {}, cancer deaths {}, truth in {}",
        g.population_csv.display(),
        g.life_table_csv.display(),
        g.mortality_csv.display(),
        g.truth_dir.display()
    );
    if let Some(dir) = &args.warehouse {
        let l = load_registry(&generated, dir)?;
        eprintln!(
            "✓ loaded into {}: read {} = accepted {} + quarantined {} ({} warnings)",
            dir.display(),
            l.read,
            l.accepted,
            l.quarantined,
            l.warnings
        );
    }
    Ok(())
}
