//! `oncodata quarantine list|show|export` and `oncodata verify`: what a data steward does with
//! rejected records and a registrar with unusual but true cases.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use oncodata_ingest::Verified;
use oncodata_ingest::rules::RULES;
use oncodata_warehouse::Warehouse;

use super::{CliResult, Format};
use crate::WarehouseArg;

/// Arguments of `oncodata quarantine`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// One line per rejected record: dataset, file, record number, record id, rules.
    List {
        #[command(flatten)]
        warehouse: WarehouseArg,
        /// Only this dataset.
        #[arg(long)]
        dataset: Option<String>,
        /// Only records that broke this rule.
        #[arg(long)]
        rule: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Everything about one record: its rules, messages and raw text.
    Show {
        #[command(flatten)]
        warehouse: WarehouseArg,
        /// The record id (`PAT-TUM`), or `FILE:RECORD` (file as listed, record number).
        record: String,
    },
    /// Write the quarantine to a file: as a CSV listing (default), or with --as-source the raw
    /// records of one source file under that file's header, ready to correct and re-ingest.
    Export {
        #[command(flatten)]
        warehouse: WarehouseArg,
        /// Output file.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Only this dataset.
        #[arg(long)]
        dataset: Option<String>,
        /// Write the raw records of this source file (as listed in `source_file`) in the
        /// file's own format: its header line, then one record per line.
        #[arg(long, value_name = "SOURCE_FILE")]
        as_source: Option<String>,
    },
}

fn sql_text(v: &str) -> String {
    format!("'{}'", v.replace('\'', "''"))
}

fn open(w: &WarehouseArg) -> Result<Warehouse, Box<dyn std::error::Error>> {
    if !w.warehouse.join("tables").join("quarantine").is_dir() {
        return Err(format!(
            "{}: no quarantine here (ingest a source first: oncodata ingest --warehouse {} --source KIND PATH)",
            w.warehouse.display(),
            w.warehouse.display()
        )
        .into());
    }
    Ok(w.open()?)
}

/// Runs the command.
pub fn run(args: Args) -> CliResult {
    match args.action {
        Action::List { warehouse, dataset, rule, format } => {
            let w = open(&warehouse)?;
            let mut filters = vec!["true".to_string()];
            if let Some(d) = dataset {
                filters.push(format!("dataset = {}", sql_text(&d)));
            }
            if let Some(r) = rule {
                filters.push(format!("array_has(string_to_array(rule_ids, ';'), {})", sql_text(&r)));
            }
            let r = w.query(&format!(
                "SELECT dataset, source, source_file, source_record, record_id, rule_ids, messages FROM quarantine \
                 WHERE {} ORDER BY dataset, source_file, source_record",
                filters.join(" AND ")
            ))?;
            match format {
                Format::Table => println!("{}", r.to_pretty()?),
                Format::Csv => print!("{}", r.to_csv()?),
                Format::Json => println!("{}", r.to_json()?),
            }
        }
        Action::Show { warehouse, record } => {
            let w = open(&warehouse)?;
            let by_id = format!("record_id = {}", sql_text(&record));
            let condition = match record.rsplit_once(':') {
                Some((file, n)) if n.parse::<u64>().is_ok() => {
                    format!("({by_id}) OR (source_file = {} AND source_record = {n})", sql_text(file))
                }
                _ => by_id,
            };
            let r = w.query(&format!(
                "SELECT dataset, source, source_file, source_record, record_id, rule_ids, messages, raw FROM quarantine WHERE {condition} \
                 ORDER BY dataset, source_file, source_record"
            ))?;
            let rows = r.rows()?;
            if rows.is_empty() {
                return Err(format!("{record}: no such record in the quarantine").into());
            }
            let names = r.columns();
            for row in rows {
                for (name, v) in names.iter().zip(&row) {
                    println!("{name:>14}: {}", v.as_text());
                    if *name == "rule_ids" {
                        for id in v.as_text().split(';') {
                            if let Some(info) = RULES.iter().find(|i| i.id == id) {
                                println!("{:>14}  {id}: {}", "", info.description);
                            }
                        }
                    }
                }
                println!();
            }
        }
        Action::Export { warehouse, out, dataset, as_source } => {
            let w = open(&warehouse)?;
            let mut filters = vec!["true".to_string()];
            if let Some(d) = &dataset {
                filters.push(format!("dataset = {}", sql_text(d)));
            }
            let io = |e: std::io::Error| format!("{}: {e}", out.display());
            match as_source {
                None => {
                    let r = w.query(&format!(
                        "SELECT dataset, source, source_file, source_record, record_id, rule_ids, messages, raw FROM quarantine \
                         WHERE {} ORDER BY dataset, source_file, source_record",
                        filters.join(" AND ")
                    ))?;
                    std::fs::write(&out, r.to_csv()?).map_err(io)?;
                    eprintln!("✓ {} quarantined records written to {}", r.rows()?.len(), out.display());
                }
                Some(file) => {
                    filters.push(format!("source_file = {}", sql_text(&file)));
                    let r = w.query(&format!(
                        "SELECT source, raw FROM quarantine WHERE {} ORDER BY source_record",
                        filters.join(" AND ")
                    ))?;
                    let rows = r.rows()?;
                    let Some(first) = rows.first() else {
                        return Err(format!("no quarantined record from {file}").into());
                    };
                    let source = first[0].as_text();
                    let mut f = std::io::BufWriter::new(std::fs::File::create(&out).map_err(io)?);
                    match source.as_str() {
                        "fhir" => {}
                        "naaccr-xml" => {
                            return Err(
                                "NAACCR XML records are quarantined as naaccrId=value pairs: correct them in the \
                                        XML source (the record number is the Tumor's position) and ingest it again"
                                    .into(),
                            );
                        }
                        _ => {
                            let src = std::fs::File::open(&file).map_err(|e| {
                                format!("{file}: {e} (the source file gives the header line of the export)")
                            })?;
                            let mut header = String::new();
                            std::io::BufReader::new(src).read_line(&mut header).map_err(|e| format!("{file}: {e}"))?;
                            f.write_all(header.trim_end_matches(['\r', '\n']).as_bytes()).map_err(io)?;
                            f.write_all(b"\n").map_err(io)?;
                        }
                    }
                    for row in &rows {
                        writeln!(f, "{}", row[1].as_text()).map_err(io)?;
                    }
                    f.flush().map_err(io)?;
                    eprintln!(
                        "✓ {} records of {file} written to {}: correct them, then ingest the file with --source {source} \
                         --dataset <the dataset they came from>",
                        rows.len(),
                        out.display()
                    );
                }
            }
        }
    }
    Ok(())
}

/// Arguments of `oncodata verify`.
#[derive(clap::Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    warehouse: WarehouseArg,
    /// The record's id (the tumour id, `PAT-TUM`).
    #[arg(long)]
    record: String,
    /// The warning rule verified (e.g. iarc.age-topography).
    #[arg(long)]
    rule: String,
    /// Who verified it.
    #[arg(long)]
    by: String,
    /// Why the case is right as coded.
    #[arg(long, default_value = "")]
    reason: String,
}

/// Records a registrar's verification.
pub fn verify(args: VerifyArgs) -> CliResult {
    let path = args.warehouse.warehouse.join("registrar").join("verified.csv");
    let today = chrono::Local::now().date_naive();
    Verified::record(&path, &args.record, &args.rule, &args.by, today, &args.reason)?;
    eprintln!(
        "✓ {} verified for {} by {} in {}; the warning is not raised on the next ingest of this record",
        args.rule,
        args.record,
        args.by,
        path.display()
    );
    Ok(())
}
