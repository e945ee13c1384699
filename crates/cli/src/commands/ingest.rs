//! `oncodata ingest`: read, validate and load sources into the warehouse, one dataset per
//! source path, printing per file read = accepted + quarantined.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::Duration;

use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressStyle};
use oncodata_ingest::mapping::Mapping;
use oncodata_ingest::mortality::read_mortality;
use oncodata_ingest::population::{ReferenceSummary, read_life_table, read_population};
use oncodata_ingest::{Extract, SourceKind, Verified};
use oncodata_model::{CauseOfDeathCount, Coverage, LifeTableEntry, PopulationCount};
use oncodata_warehouse::{LoadReport, Warehouse, valid_dataset_name};
use serde_json::json;

use super::CliResult;
use crate::WarehouseArg;

/// Output of the run summary.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SummaryFormat {
    /// A table for the terminal.
    Table,
    /// `{"sources": [{"source", "file", "dataset", "read", "accepted", "quarantined", "warnings", …}]}`.
    Json,
}

/// Arguments of `oncodata ingest`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    warehouse: WarehouseArg,
    /// A source: its kind (encr-csv, naaccr-xml, naaccr-flat, omop, fhir, claims, csv, identity;
    /// population and life-table for denominators and population mortality, mortality for
    /// cancer deaths by cause: WHO Mortality Database files or a plain CSV) and one or
    /// more paths (files; folders for omop and claims). Repeat for several kinds. `identity` is
    /// a registry's identity file (PAT, nir, surname, first_name, birth_date, sex, departement),
    /// loaded with the `encr_…` dataset of the same name; it needs --keys.
    #[arg(long = "source", value_names = ["KIND", "PATH"], num_args = 2.., action = clap::ArgAction::Append, required = true)]
    sources: Vec<String>,
    /// The TOML mapping of `csv` sources.
    #[arg(long, value_name = "FILE")]
    mapping: Option<PathBuf>,
    /// Load every path as this dataset (default: one dataset per path, named after the file or
    /// folder). Re-ingesting a corrected file under the same dataset replaces its records.
    #[arg(long, value_name = "NAME")]
    dataset: Option<String>,
    /// Validate and count without loading the warehouse.
    #[arg(long)]
    dry_run: bool,
    /// The extract's date, which the date checks take for "today" (no diagnosis, birth, death
    /// or contact after it). Default: the date the file declares (NAACCR XML `timeGenerated`),
    /// else the file's modification date — never the clock's, so that the same file validates
    /// the same way on any day.
    #[arg(long, value_name = "YYYY-MM-DD")]
    extract_date: Option<NaiveDate>,
    /// What the registry datasets of this command cover: the areas whose residents they
    /// register (population area codes, départements) and the years of diagnosis, as
    /// `AREAS:FIRST-LAST` (`14,50,61:2010-2022`). Kept in the `coverage` table; a dataset
    /// declared again replaces its earlier declaration.
    #[arg(long, value_name = "AREAS:FIRST-LAST")]
    coverage: Option<String>,
    /// Publish the paths that could be read even when another could not (by default one path
    /// that cannot be read at all publishes nothing); the command still exits with an error
    /// naming the paths left out.
    #[arg(long)]
    keep_going: bool,
    /// Summary format.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Table)]
    format: SummaryFormat,
    #[command(flatten)]
    keys: super::keys::KeysArg,
}

/// The dataset a path loads into by default: the file name without its extension (and without
/// `.gz`), or the folder's name, with characters outside `[A-Za-z0-9._-]` replaced by `_`.
pub fn default_dataset(path: &Path) -> String {
    let unzipped;
    let path = match path.to_str().and_then(|p| p.strip_suffix(".gz")) {
        Some(p) if !path.is_dir() => {
            unzipped = PathBuf::from(p);
            unzipped.as_path()
        }
        _ => path,
    };
    let name = if path.is_dir() { path.file_name() } else { path.file_stem() };
    let name = name.and_then(|n| n.to_str()).unwrap_or("dataset");
    name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' }).collect()
}

/// The dataset a path of `kind` loads into by default: [`default_dataset`], except that a
/// registry identity file `identity_X.csv` belongs to the extract `encr_X` beside it (its rows
/// identify that extract's patients).
pub fn default_dataset_of(kind: SourceKind, path: &Path) -> String {
    let name = default_dataset(path);
    match (kind, name.strip_prefix("identity_")) {
        (SourceKind::Identity, Some(rest)) => format!("encr_{rest}"),
        _ => name,
    }
}

/// One source path's outcome.
struct Outcome {
    kind: SourceKind,
    path: String,
    dataset: String,
    extract: Extract,
    load: Option<LoadReport>,
    /// Why the path could not be read, when it could not.
    error: Option<String>,
    /// The date the date checks took for today, and where it came from.
    extract_date: Option<(NaiveDate, &'static str)>,
    /// For reference data (population, life table): what was read.
    reference: Option<ReferenceSummary>,
}

/// The bytes of a source path: the file's size, or the sizes of the files in the folder.
fn source_bytes(path: &Path) -> u64 {
    match std::fs::read_dir(path) {
        Ok(entries) => entries.filter_map(|e| e.ok()?.metadata().ok()).filter(|m| m.is_file()).map(|m| m.len()).sum(),
        Err(_) => std::fs::metadata(path).map_or(0, |m| m.len()),
    }
}

/// Reads one source path into the warehouse (the library's [`oncodata_ingest::load::read_into`])
/// with a progress bar: bytes read, records, and the merge.
pub fn read_into(
    kind: SourceKind,
    path: &Path,
    mapping: Option<&Mapping>,
    today: NaiveDate,
    extract: &mut Extract,
    warehouse: Option<&Warehouse>,
    dataset: &str,
) -> Result<Option<LoadReport>, Box<dyn std::error::Error>> {
    let label = format!("{} {}", kind.name(), path.display());
    let bar = ProgressBar::new(source_bytes(path).max(1));
    let style = "{spinner} {msg} {wide_bar} {percent}% {binary_bytes}/{binary_total_bytes} [{elapsed} < {eta}]";
    bar.set_style(ProgressStyle::with_template(style).expect("template"));
    bar.enable_steady_tick(Duration::from_millis(100));
    let progress = extract.progress.clone();
    // Updates the bar ten times a second until told to stop (the channel closes), at once.
    let (stop, stopped) = mpsc::channel::<()>();
    let ticker = {
        let (bar, label) = (bar.clone(), label.clone());
        std::thread::spawn(move || {
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(Duration::from_millis(100)) {
                bar.set_position(progress.bytes.load(Ordering::Relaxed));
                bar.set_message(format!("{label}: {} records", progress.records.load(Ordering::Relaxed)));
            }
        })
    };
    let result = oncodata_ingest::load::read_into(kind, path, mapping, today, extract, warehouse, dataset);
    drop(stop);
    bar.finish_and_clear();
    ticker.join().ok();
    Ok(result?)
}

/// Runs the command.
pub fn run(args: Args) -> CliResult {
    let mut plan = Vec::new();
    // The values of every --source, in order: a kind, then its paths; a kind name starts a new
    // group once the current one has a path (so `--source claims claims` reads a folder named
    // claims).
    let mut kind: Option<(SourceKind, usize)> = None;
    for token in &args.sources {
        match (SourceKind::parse(token), kind) {
            (Some(k), None) => kind = Some((k, 0)),
            (Some(k), Some((_, n))) if n > 0 => kind = Some((k, 0)),
            (_, Some((k, n))) => {
                plan.push((k, PathBuf::from(token)));
                kind = Some((k, n + 1));
            }
            (None, None) => {
                let kinds: Vec<&str> = SourceKind::ALL.iter().map(|k| k.name()).collect();
                return Err(format!("--source {token}: unknown kind (one of {})", kinds.join(", ")).into());
            }
        }
    }
    if let Some(d) = &args.dataset
        && !valid_dataset_name(d)
    {
        return Err(format!("--dataset {d}: use letters, digits, '-', '_' and '.' only").into());
    }
    let mapping = args.mapping.as_deref().map(Mapping::load).transpose()?;
    if let Some(text) = &args.coverage {
        Coverage::parse("", text)?; // a mistyped declaration fails before any file is read
    }
    let dir = &args.warehouse.warehouse;
    let verified = Verified::load(&dir.join("registrar").join("verified.csv"))?;
    let warehouse = if args.dry_run { None } else { Some(args.warehouse.open()?) };
    let mut population: Vec<PopulationCount> = Vec::new();
    let mut life_table: Option<Vec<LifeTableEntry>> = None;
    let mut mortality: Vec<CauseOfDeathCount> = Vec::new();
    if let Some(w) = &warehouse {
        // All the sources of one command become visible together, in one snapshot.
        let paths: Vec<String> = plan.iter().map(|(k, p)| format!("{} {}", k.name(), p.display())).collect();
        w.begin(&format!("ingest {}", paths.join(", ")))?;
    }
    let keys = args.keys.load_if_any(Some(dir))?;
    let identities =
        plan.iter().any(|(k, _)| matches!(k, SourceKind::Identity | SourceKind::Fhir | SourceKind::Claims));
    if keys.is_none() && identities {
        eprintln!(
            "note: no key file ({}): the identities of these sources are not kept, so they cannot be linked; \
             create one with `oncodata keys init`",
            args.keys.path().display()
        );
    }

    // Every path is read, so that each one's summary is printed; one that cannot be read at all
    // leaves the dataset it was loading as it was, and by default publishes nothing.
    let mut outcomes = Vec::new();
    for (kind, path) in plan {
        if kind.is_reference() {
            // Reference data, read whole or not at all; written below, with the records.
            let read = match kind {
                SourceKind::Population => read_population(&path).map(|(rows, summary)| {
                    population.extend(rows);
                    summary
                }),
                SourceKind::Mortality => read_mortality(&path).map(|(rows, summary)| {
                    mortality.extend(rows);
                    summary
                }),
                _ => read_life_table(&path).map(|(rows, summary)| {
                    life_table = Some(rows);
                    summary
                }),
            };
            let (reference, error) = match read {
                Ok(summary) => (Some(summary), None),
                Err(e) => (None, Some(e.to_string())),
            };
            let (path, extract) = (path.display().to_string(), Extract::default());
            let (dataset, load, extract_date) = (String::new(), None, None);
            outcomes.push(Outcome { kind, path, dataset, extract, load, error, extract_date, reference });
            continue;
        }
        let dataset = args.dataset.clone().unwrap_or_else(|| default_dataset_of(kind, &path));
        let mut extract = Extract::new(verified.clone()).with_keys(keys.clone());
        let today = match args.extract_date {
            Some(d) => Ok((d, "--extract-date")),
            None => oncodata_ingest::extract_date(kind, &path),
        };
        let extract_date = today.as_ref().ok().copied();
        let read = today.map_err(Into::into).and_then(|(today, _)| {
            read_into(kind, &path, mapping.as_ref(), today, &mut extract, warehouse.as_ref(), &dataset)
        });
        let (load, error) = match read {
            Ok(load) => (load, None),
            Err(e) => (None, Some(e.to_string())),
        };
        let path = path.display().to_string();
        outcomes.push(Outcome { kind, path, dataset, extract, load, error, extract_date, reference: None });
    }
    let failed: Vec<&Outcome> = outcomes.iter().filter(|o| o.error.is_some()).collect();
    let publish = failed.is_empty() || args.keep_going;
    if let (Some(w), true, Some(text)) = (&warehouse, publish, &args.coverage) {
        let datasets = outcomes.iter().filter(|o| o.reference.is_none() && o.error.is_none()).map(|o| &o.dataset);
        let declared = datasets.map(|d| Coverage::parse(d, text)).collect::<Result<Vec<_>, _>>()?;
        w.declare_coverage(&declared)?;
    }
    if let (Some(w), true) = (&warehouse, publish) {
        for o in outcomes.iter().filter(|o| o.error.is_none()) {
            w.declare_sources(&o.dataset, &o.extract.declared)?;
        }
        if !population.is_empty() {
            w.merge_population(&population)?;
        }
        if let Some(rows) = &life_table {
            w.write_life_table(rows)?;
        }
        if !mortality.is_empty() {
            w.merge_mortality(&mortality)?;
        }
    }
    let snapshot = match &warehouse {
        Some(w) if publish => w.commit()?,
        _ => None,
    };

    match args.format {
        SummaryFormat::Json => {
            let sources: Vec<_> = outcomes
                .iter()
                .flat_map(|o| {
                    o.extract.files.iter().map(move |f| {
                        json!({
                            "source": o.kind.name(),
                            "path": o.path,
                            "file": f.file,
                            "dataset": o.dataset,
                            "read": f.counts.read,
                            "accepted": f.counts.accepted,
                            "quarantined": f.counts.quarantined,
                            "skipped": f.counts.skipped,
                            "warnings": f.counts.warnings,
                            "extract_date": o.extract_date.map(|(d, _)| d.to_string()),
                            "extract_date_from": o.extract_date.map(|(_, from)| from),
                        })
                    })
                })
                .collect();
            let reference: Vec<_> = outcomes
                .iter()
                .filter_map(|o| {
                    let r = o.reference.as_ref()?;
                    Some(json!({ "source": o.kind.name(), "path": o.path, "layout": r.layout, "rows": r.rows, "notes": r.notes }))
                })
                .collect();
            let errors: Vec<_> = failed
                .iter()
                .map(|o| json!({ "source": o.kind.name(), "path": o.path, "dataset": o.dataset, "error": o.error }))
                .collect();
            let datasets: Vec<_> = outcomes
                .iter()
                .map(|o| {
                    let l = o.load.unwrap_or_default();
                    let t = o.extract.totals();
                    json!({
                        "dataset": o.dataset,
                        "path": o.path,
                        "tumours": t.tumours,
                        "patients": t.patients,
                        "care_events": t.care_events,
                        "verified_warnings_skipped": o.extract.verified_warnings,
                        "loaded": o.load.is_some() && snapshot.is_some(),
                        "tumours_new": l.tumours_new,
                        "tumours_replaced": l.tumours_replaced,
                        "quarantine_resolved": l.quarantine_resolved,
                        "quarantine_total": l.quarantine_total,
                    })
                })
                .collect();
            let report = json!({
                "sources": sources,
                "reference": reference,
                "errors": errors,
                "datasets": datasets.into_iter().filter(|d| d["dataset"] != "").collect::<Vec<_>>(),
                "snapshot": snapshot
            });
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        SummaryFormat::Table => {
            println!(
                "{:<12} {:<60} {:>10} {:>10} {:>12} {:>8} {:>9}",
                "source", "file", "read", "accepted", "quarantined", "skipped", "warnings"
            );
            for o in &outcomes {
                for f in &o.extract.files {
                    let c = f.counts;
                    println!(
                        "{:<12} {:<60} {:>10} {:>10} {:>12} {:>8} {:>9}",
                        f.source, f.file, c.read, c.accepted, c.quarantined, c.skipped, c.warnings
                    );
                }
            }
            for o in &outcomes {
                if let Some(e) = &o.error {
                    println!("{}: not read: {e}", o.path);
                    continue;
                }
                if let Some(r) = &o.reference {
                    let written = if snapshot.is_some() { "loaded" } else { "not published" };
                    let notes: String = r.notes.iter().map(|n| format!("; {n}")).collect();
                    println!("{} → {} ({}, {written}): {} rows{notes}", o.path, o.kind.name(), r.layout, r.rows);
                    continue;
                }
                let c = o.extract.counts();
                let t = o.extract.totals();
                let mut verified = match o.extract.verified_warnings {
                    0 => String::new(),
                    n => format!("; {n} warnings not raised (verified by a registrar)"),
                };
                // read = accepted + quarantined (+ skipped: records with no cancer in them).
                let mut counts = format!("read {} = accepted {} + quarantined {}", c.read, c.accepted, c.quarantined);
                if c.skipped > 0 {
                    counts.push_str(&format!(" + skipped {} (no cancer)", c.skipped));
                }
                if let Some((date, from)) = o.extract_date {
                    verified.push_str(&format!("; dates checked up to {date} ({from})"));
                }
                if t.identities > 0 {
                    verified.push_str(&format!("; {} identities pseudonymised", t.identities));
                }
                match o.load.filter(|_| snapshot.is_some()) {
                    Some(l) => println!(
                        "{} → dataset {}: {counts}; {} tumours ({} new, {} replaced), {} patients, {} care events; quarantine {} ({} resolved){verified}",
                        o.path,
                        o.dataset,
                        t.tumours,
                        l.tumours_new,
                        l.tumours_replaced,
                        t.patients,
                        t.care_events,
                        l.quarantine_total,
                        l.quarantine_resolved
                    ),
                    None => println!(
                        "{} ({}): {counts}{verified}",
                        o.path,
                        if args.dry_run { "dry run" } else { "not published" },
                    ),
                }
            }
            if let Some(id) = snapshot {
                println!("snapshot {id} published (oncodata snapshots list --warehouse {})", dir.display());
            }
            if snapshot.is_some() && outcomes.iter().any(|o| o.extract.totals().quarantined > 0) {
                println!("see the quarantine with: oncodata quarantine list --warehouse {}", dir.display());
            }
        }
    }
    if !failed.is_empty() {
        let errors: Vec<&str> = failed.iter().filter_map(|o| o.error.as_deref()).collect();
        let done = match (&warehouse, snapshot) {
            (None, _) => "dry run".to_string(),
            (Some(_), Some(id)) => format!("snapshot {id} published without them (--keep-going)"),
            (Some(_), None) if args.keep_going => "nothing else to publish".to_string(),
            (Some(_), None) => "nothing published; --keep-going publishes the paths that could be read".to_string(),
        };
        return Err(format!("{} path(s) could not be read ({done}):\n  {}", errors.len(), errors.join("\n  ")).into());
    }
    Ok(())
}
