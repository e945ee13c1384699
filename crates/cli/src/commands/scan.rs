//! `oncodata scan`: Kulldorff's spatial scan statistic (discrete Poisson, purely spatial,
//! circular windows, SaTScan's rules) on a table of locations.

use std::path::PathBuf;

use oncodata_analyses::columns::Columns;
use oncodata_analyses::scan::{Coordinates, FileScan, scan};

use super::{CliResult, Format};

/// Arguments of `oncodata scan`.
#[derive(clap::Args)]
pub struct Args {
    /// The table of locations (CSV with a header, or Parquet).
    #[arg(long, value_name = "FILE")]
    data: PathBuf,
    /// Column of the location's id.
    #[arg(long, value_name = "COL")]
    location: String,
    /// Column of the cases (whole numbers).
    #[arg(long, value_name = "COL")]
    cases: String,
    /// Column of the population at risk.
    #[arg(long, value_name = "COL")]
    population: String,
    /// Column of latitudes in degrees (with --longitude: great-circle distances in km).
    #[arg(long, value_name = "COL", requires = "longitude", conflicts_with_all = ["x", "y"])]
    latitude: Option<String>,
    /// Column of longitudes in degrees.
    #[arg(long, value_name = "COL", requires = "latitude")]
    longitude: Option<String>,
    /// Column of Cartesian x (with --y: Euclidean distances).
    #[arg(long, value_name = "COL", requires = "y")]
    x: Option<String>,
    /// Column of Cartesian y.
    #[arg(long, value_name = "COL", requires = "x")]
    y: Option<String>,
    /// The largest share of the population at risk a window may hold.
    #[arg(long, default_value_t = 0.5)]
    max_population: f64,
    /// Monte Carlo replicates for the p-values (0: none).
    #[arg(long, default_value_t = 999)]
    replicates: usize,
    /// The replicates' seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

/// Runs the scan and prints its clusters.
pub fn run(args: Args) -> CliResult {
    let data = Columns::read(&args.data)?;
    let coordinates = match (&args.latitude, &args.longitude, &args.x, &args.y) {
        (Some(latitude), Some(longitude), _, _) => Coordinates::LatLong { latitude, longitude },
        (_, _, Some(x), Some(y)) => Coordinates::Cartesian { x, y },
        _ => return Err("give the coordinates: --latitude COL --longitude COL, or --x COL --y COL".into()),
    };
    let request = FileScan {
        location: &args.location,
        cases: &args.cases,
        population: &args.population,
        coordinates,
        max_population: args.max_population,
        replicates: args.replicates,
        seed: args.seed,
    };
    let result = scan(&data, &request).map_err(|e| format!("{}: {e}", args.data.display()))?;
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&result)?),
        Format::Csv => {
            let mut w = csv::Writer::from_writer(std::io::stdout());
            w.write_record([
                "rank",
                "centre",
                "locations",
                "radius",
                "population",
                "observed",
                "expected",
                "relative_risk",
                "llr",
                "p_value",
                "members",
            ])?;
            for c in &result.clusters {
                w.write_record([
                    c.rank.to_string(),
                    c.centre.clone(),
                    c.members.len().to_string(),
                    c.radius.to_string(),
                    c.population.to_string(),
                    c.observed.to_string(),
                    c.expected.to_string(),
                    c.relative_risk.to_string(),
                    c.llr.to_string(),
                    c.p_value.map(|p| p.to_string()).unwrap_or_default(),
                    c.members.join(";"),
                ])?;
            }
            w.flush()?;
        }
        Format::Table => {
            println!(
                "{:>4} {:>10} {:>9} {:>10} {:>11} {:>9} {:>10} {:>7} {:>11} {:>9}",
                "rank", "centre", "locations", "radius", "population", "observed", "expected", "RR", "LLR", "p"
            );
            for c in &result.clusters {
                println!(
                    "{:>4} {:>10} {:>9} {:>10.4} {:>11} {:>9} {:>10.4} {:>7.3} {:>11.6} {:>9}",
                    c.rank,
                    c.centre,
                    c.members.len(),
                    c.radius,
                    c.population,
                    c.observed,
                    c.expected,
                    c.relative_risk,
                    c.llr,
                    c.p_value.map_or("—".to_string(), |p| format!("{p:.4}"))
                );
            }
        }
    }
    Ok(())
}
