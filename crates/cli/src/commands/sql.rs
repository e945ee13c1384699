//! `oncodata sql`: SQL on the warehouse — one statement printed or exported to a file, or an
//! interactive shell when no statement is given.

use std::path::{Path, PathBuf};

use oncodata_warehouse::{ExportFormat, QueryResult, Warehouse};

use super::CliResult;
use crate::WarehouseArg;

/// Output formats of `oncodata sql`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SqlFormat {
    /// A table for the terminal.
    Table,
    /// CSV with a header.
    Csv,
    /// A JSON array of objects.
    Json,
    /// Apache Parquet (with --out).
    Parquet,
}

/// Arguments of `oncodata sql`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    warehouse: WarehouseArg,
    /// Output format (with --out: taken from the file's extension when not given).
    #[arg(long, value_enum)]
    format: Option<SqlFormat>,
    /// Write the result to this file (Parquet, CSV or JSON) instead of printing it.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The SQL statement; without one, an interactive shell (or the statements read from
    /// standard input, separated by `;`).
    sql: Option<String>,
    /// Whom the result is for: steward (raw rows), project or public. For the public and
    /// projects, only aggregates with one COUNT column leave (the query's plan says so): rows
    /// whose count the warehouse's `disclosure.toml` withholds (by default 1-10), and those
    /// withheld so that none can be recomputed from the others and the margins, are printed empty
    /// from the count on, with the rule in a `suppressed` column; the grouping columns come first,
    /// then the count, then the other columns. Default: the policy's (`[default] sql`, steward).
    #[arg(long)]
    audience: Option<String>,
    /// The project the statement is run for: with differential privacy on for the audience
    /// (`[audience.NAME.privacy]` in the policy), its counts are released with noise and spend
    /// the project's privacy budget.
    #[arg(long, value_name = "ID")]
    project: Option<String>,
}

/// Whom a statement's result is for (`oncodata_disclosure::sql`).
pub use oncodata_disclosure::sql::Recipient;

/// Runs a user's statement for `to` (`oncodata_disclosure::sql::result_for`), saying on standard
/// error what disclosure control withheld and why.
pub fn result_for(w: &Warehouse, sql: &str, to: &Recipient) -> Result<QueryResult, Box<dyn std::error::Error>> {
    let mut notes = Vec::new();
    let result = oncodata_disclosure::sql::result_for(w, sql, to, &mut notes);
    notes.iter().for_each(|n| eprintln!("{n}"));
    Ok(result?)
}

/// The export format of `--out FILE`: the one given, else the file's extension.
fn export_format(format: Option<SqlFormat>, out: &Path) -> Result<ExportFormat, String> {
    let extension = out.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match (format, extension.as_deref()) {
        (Some(SqlFormat::Parquet), _) | (None, Some("parquet")) => Ok(ExportFormat::Parquet),
        (Some(SqlFormat::Csv), _) | (None, Some("csv")) => Ok(ExportFormat::Csv),
        (Some(SqlFormat::Json), _) | (None, Some("json")) => Ok(ExportFormat::Json),
        (Some(SqlFormat::Table), _) => Err("--format table prints to the terminal; give --format parquet, csv or \
                                            json with --out"
            .into()),
        (None, _) => Err(format!("{}: give --format parquet, csv or json (or a file ending so)", out.display())),
    }
}

/// Runs the statement and prints or exports the result, or runs the shell.
pub fn run(args: Args) -> CliResult {
    let dir = &args.warehouse.warehouse;
    if !dir.join("tables").is_dir() {
        return Err(format!(
            "{}: no warehouse here (run `oncodata demo --warehouse {}` to make one)",
            dir.display(),
            dir.display()
        )
        .into());
    }
    let w = args.warehouse.open()?;
    let policy = super::disclosure::policy_of(dir)?;
    let audience = super::disclosure::audience_for(args.audience.as_deref(), &policy, "sql")?;
    let to = Recipient { policy, audience, project: args.project.clone(), ledger: None };
    let Some(sql) = &args.sql else {
        if args.out.is_some() {
            return Err("--out needs a statement".into());
        }
        return crate::shell::run(&w, args.format.unwrap_or(SqlFormat::Table), &to);
    };
    if let Some(out) = &args.out {
        let format = export_format(args.format, out)?;
        let rows = if to.policy.rules(to.audience).unrestricted {
            w.export(sql, out, format)?
        } else {
            w.export_result(&result_for(&w, sql, &to)?, out, format)?
        };
        let written = std::fs::read(out).map_err(|e| format!("{}: {e}", out.display()))?;
        record_query(&w, sql, &to, &String::from_utf8_lossy(&written))?;
        eprintln!("✓ {rows} rows written to {}", out.display());
        return Ok(());
    }
    print_result(&w, sql, args.format.unwrap_or(SqlFormat::Table), &to)
}

/// Records a statement in the warehouse's audit log — its text, whom for, and the SHA-256 of its
/// result — before the result is shown.
fn record_query(w: &Warehouse, sql: &str, to: &Recipient, result: &str) -> CliResult {
    use sha2::Digest;
    super::audit::record(
        w.root(),
        "sql",
        serde_json::json!({
            "statement": sql,
            "audience": to.audience.name(),
            "project": to.project,
            "result_sha256": hex::encode(sha2::Sha256::digest(result.as_bytes())),
        }),
    )
}

/// Runs one statement for `to` ([`result_for`]) and prints its result in `format`.
pub fn print_result(w: &Warehouse, sql: &str, format: SqlFormat, to: &Recipient) -> CliResult {
    let r = result_for(w, sql, to)?;
    record_query(w, sql, to, &r.to_csv()?)?;
    match format {
        SqlFormat::Table => println!("{}", r.to_pretty()?),
        SqlFormat::Csv => print!("{}", r.to_csv()?),
        SqlFormat::Json => println!("{}", r.to_json()?),
        SqlFormat::Parquet => return Err("--format parquet writes a file: give --out FILE".into()),
    }
    Ok(())
}
