//! `oncodata sql`: one SQL statement on the warehouse.

use oncodata_warehouse::Warehouse;

use super::{CliResult, Format};
use crate::WarehouseArg;

/// Arguments of `oncodata sql`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    warehouse: WarehouseArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// The SQL statement.
    sql: String,
}

/// Runs the statement and prints the result.
pub fn run(args: Args) -> CliResult {
    if !args.warehouse.warehouse.join("tables").is_dir() {
        return Err(format!(
            "{}: no warehouse here (run `oncodata demo --warehouse {}` to make one)",
            args.warehouse.warehouse.display(),
            args.warehouse.warehouse.display()
        )
        .into());
    }
    let w = Warehouse::open(&args.warehouse.warehouse)?;
    let r = w.query(&args.sql)?;
    match args.format {
        Format::Table => println!("{}", r.to_pretty()?),
        Format::Csv => print!("{}", r.to_csv()?),
        Format::Json => println!("{}", r.to_json()?),
    }
    Ok(())
}
