//! `oncodata sql`: SQL on the warehouse — one statement printed or exported to a file, or an
//! interactive shell when no statement is given.

use std::path::{Path, PathBuf};

use oncodata_warehouse::{ExportFormat, Warehouse};

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
    let Some(sql) = &args.sql else {
        if args.out.is_some() {
            return Err("--out needs a statement".into());
        }
        return crate::shell::run(&w, args.format.unwrap_or(SqlFormat::Table));
    };
    if let Some(out) = &args.out {
        let format = export_format(args.format, out)?;
        let rows = w.export(sql, out, format)?;
        eprintln!("✓ {rows} rows written to {}", out.display());
        return Ok(());
    }
    print_result(&w, sql, args.format.unwrap_or(SqlFormat::Table))
}

/// Runs one statement and prints its result in `format`.
pub fn print_result(w: &Warehouse, sql: &str, format: SqlFormat) -> CliResult {
    let r = w.query_user(sql)?;
    match format {
        SqlFormat::Table => println!("{}", r.to_pretty()?),
        SqlFormat::Csv => print!("{}", r.to_csv()?),
        SqlFormat::Json => println!("{}", r.to_json()?),
        SqlFormat::Parquet => return Err("--format parquet writes a file: give --out FILE".into()),
    }
    Ok(())
}
