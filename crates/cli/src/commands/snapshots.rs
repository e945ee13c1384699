//! `oncodata snapshots list|restore|prune`: the warehouse's versions. Every command that
//! changes the warehouse publishes one snapshot; any reading command takes `--as-of N`.

use std::path::{Path, PathBuf};

use oncodata_warehouse::{Retention, Snapshot, Warehouse};

use super::{CliResult, Format};

/// Arguments of `oncodata snapshots`.
#[derive(clap::Args)]
pub struct Args {
    /// Warehouse directory.
    #[arg(long, value_name = "DIR", default_value = "oncodata-data", global = true)]
    warehouse: PathBuf,
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// One line per snapshot kept: number, time, what made it, tables changed, rows, size.
    List {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Publish a new snapshot with the tables of an earlier one (the versions in between stay).
    Restore {
        /// The snapshot to go back to.
        snapshot: u64,
    },
    /// Apply a retention policy: remove the snapshots it does not keep, and the files only they
    /// used (with the leftovers of interrupted loads). The latest snapshot is always kept.
    Prune {
        /// Keep this many of the latest snapshots.
        #[arg(long, value_name = "N", default_value_t = 10)]
        keep_last: usize,
        /// Also keep every snapshot younger than this many days.
        #[arg(long, value_name = "DAYS")]
        keep_days: Option<u32>,
    },
}

fn open(dir: &Path) -> Result<Warehouse, Box<dyn std::error::Error>> {
    if !dir.join("snapshots").is_dir() && !dir.join("tables").is_dir() {
        return Err(format!("{}: no warehouse here", dir.display()).into());
    }
    Ok(Warehouse::open(dir)?)
}

/// A size for people: 1.2 MiB.
fn human_bytes(bytes: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", units[unit]) }
}

/// Runs the command.
pub fn run(args: Args) -> CliResult {
    let warehouse = args.warehouse;
    match args.action {
        Action::List { format } => list(&warehouse, format),
        Action::Restore { snapshot } => {
            let w = open(&warehouse)?;
            let id = w.restore(snapshot)?;
            println!("snapshot {id} published: the tables of snapshot {snapshot}");
            Ok(())
        }
        Action::Prune { keep_last, keep_days } => {
            if keep_last == 0 {
                return Err("--keep-last 0: the latest snapshot is always kept; give 1 or more".into());
            }
            let w = open(&warehouse)?;
            let r = w.prune(Retention { keep_last, keep_days })?;
            let ids = |v: &[u64]| match (v.first(), v.last()) {
                (Some(a), Some(b)) if a == b => format!("{a}"),
                (Some(a), Some(b)) if (b - a) as usize + 1 == v.len() => format!("{a}-{b}"),
                _ => v.iter().map(u64::to_string).collect::<Vec<_>>().join(","),
            };
            println!(
                "removed {} snapshots ({}), kept {} ({}); {} files deleted, {} freed",
                r.removed.len(),
                if r.removed.is_empty() { "none".into() } else { ids(&r.removed) },
                r.kept.len(),
                ids(&r.kept),
                r.files_deleted,
                human_bytes(r.bytes_freed)
            );
            Ok(())
        }
    }
}

fn list(dir: &Path, format: Format) -> CliResult {
    let w = open(dir)?;
    let snapshots = w.snapshots()?;
    if snapshots.is_empty() {
        println!("{}: no snapshot yet (ingest a source: oncodata ingest --warehouse {})", dir.display(), dir.display());
        return Ok(());
    }
    let changed = |i: usize, s: &Snapshot| {
        // A parent pruned away: every table counts as changed.
        let parent = i.checked_sub(1).map(|p| &snapshots[p]).filter(|p| Some(p.id) == s.parent);
        s.changed_tables(parent)
    };
    match format {
        Format::Json => {
            let rows: Vec<_> = snapshots
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let rows: serde_json::Map<String, serde_json::Value> =
                        s.tables.keys().map(|t| (t.clone(), s.rows(t).into())).collect();
                    serde_json::json!({
                        "snapshot": s.id,
                        "parent": s.parent,
                        "created": s.created,
                        "operation": s.operation,
                        "tables_changed": changed(i, s),
                        "rows": rows,
                        "bytes": s.bytes(),
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&rows)?);
        }
        Format::Csv | Format::Table => {
            let csv = format == Format::Csv;
            if csv {
                println!("snapshot,created,operation,tables_changed,tumours,patients,bytes");
            } else {
                println!(
                    "{:>8}  {:<24}  {:>10}  {:>10}  {:>10}  operation: tables changed",
                    "snapshot", "created (UTC)", "tumours", "patients", "size"
                );
            }
            for (i, s) in snapshots.iter().enumerate() {
                let tables = changed(i, s).join(" ");
                if csv {
                    let quote = |t: &str| format!("\"{}\"", t.replace('"', "\"\""));
                    println!(
                        "{},{},{},{},{},{},{}",
                        s.id,
                        s.created,
                        quote(&s.operation),
                        quote(&tables),
                        s.rows("tumours"),
                        s.rows("patients"),
                        s.bytes()
                    );
                } else {
                    let current = if i + 1 == snapshots.len() { " (current)" } else { "" };
                    println!(
                        "{:>8}  {:<24}  {:>10}  {:>10}  {:>10}  {}{current}: {tables}",
                        s.id,
                        s.created,
                        s.rows("tumours"),
                        s.rows("patients"),
                        human_bytes(s.bytes()),
                        s.operation
                    );
                }
            }
        }
    }
    Ok(())
}
