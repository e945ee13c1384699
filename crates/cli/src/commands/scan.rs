//! `oncodata scan`: Kulldorff's spatial scan statistic (discrete Poisson, purely spatial,
//! circular windows, SaTScan's rules) on a table of locations.

use std::path::PathBuf;

use oncodata_analyses::columns::Columns;
use oncodata_analyses::incidence::parse_years;
use oncodata_analyses::scan::{
    Coordinates, FileScan, ScanResult, Scanning, TimeScan, Unit, WarehouseScan, scan, scan_warehouse,
};
use oncodata_stats::scan::{Overlap, Rates, SpaceTimeModel};

/// The space-time scan's model.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelArg {
    /// Poisson: expected cases by indirect standardisation on the population.
    Poisson,
    /// Space-time permutation: case counts only.
    Permutation,
}

/// Which clusters are sought.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RatesArg {
    /// More cases than expected.
    High,
    /// Fewer cases than expected.
    Low,
    /// Either.
    Both,
}

/// SaTScan's criteria for reporting secondary clusters.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecondaryArg {
    /// No geographical overlap with a cluster reported before (SaTScan's default).
    NoOverlap,
    /// No cluster centre in another cluster, either way.
    NoCentresInOthers,
    /// Its centre in no more likely cluster.
    NoCentresInMoreLikely,
    /// No centre of a more likely cluster in it.
    NoCentresInLessLikely,
    /// Not both its centre in a more likely cluster and that cluster's centre in it.
    NoPairsOfCentres,
    /// The best window of every centre.
    Unrestricted,
}

use super::{CliResult, Format};
use crate::WarehouseArg;

/// Arguments of `oncodata scan`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    warehouse: WarehouseArg,
    /// A table of locations (CSV with a header, or Parquet). Without it, the warehouse's
    /// incidence cases by commune (--by-commune) or département (--by-departement).
    #[arg(long, value_name = "FILE", requires_all = ["location", "cases", "population"])]
    data: Option<PathBuf>,
    /// On the warehouse: one location per commune of residence.
    #[arg(long, conflicts_with_all = ["data", "by_departement"])]
    by_commune: bool,
    /// On the warehouse: one location per département of residence.
    #[arg(long, conflicts_with = "data")]
    by_departement: bool,
    /// On the warehouse: only this site group (e.g. thyroid; see `oncodata codes`).
    #[arg(long, value_name = "GROUP", conflicts_with = "data")]
    site_group: Option<String>,
    /// On the warehouse: only these départements (comma-separated INSEE codes, e.g. 14,50).
    #[arg(long, value_name = "CODES", value_delimiter = ',', conflicts_with = "data")]
    areas: Option<Vec<String>>,
    /// On the warehouse: only this sex (male, female).
    #[arg(long, conflicts_with = "data")]
    sex: Option<String>,
    /// On the warehouse: only cases diagnosed in these years (A-B), over their population.
    #[arg(long, value_name = "A-B", conflicts_with = "data")]
    years: Option<String>,
    /// On the warehouse: whom the clusters are for (public, project, steward); a cluster of
    /// fewer cases than the audience's frequency rule allows is listed without its counts.
    #[arg(long, conflicts_with = "data")]
    audience: Option<String>,
    /// Column of the location's id.
    #[arg(long, value_name = "COL")]
    location: Option<String>,
    /// Column of the cases (whole numbers).
    #[arg(long, value_name = "COL")]
    cases: Option<String>,
    /// Column of the population at risk, or of the expected cases (covariate-adjusted).
    #[arg(long, value_name = "COL", visible_alias = "expected")]
    population: Option<String>,
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
    /// The largest share of the population at risk (expected cases) a window may hold.
    #[arg(long, default_value_t = 0.5)]
    max_population: f64,
    /// The largest radius a window may have (km with latitude/longitude, the coordinates' unit
    /// otherwise); windows stop at whichever limit comes first.
    #[arg(long, value_name = "KM")]
    max_radius: Option<f64>,
    /// Scan for high rates, low rates or both (the space-time scans: high only).
    #[arg(long, value_enum, default_value_t = RatesArg::High)]
    rates: RatesArg,
    /// Which secondary clusters are reported, each judged against the more likely ones
    /// (SaTScan's criteria).
    #[arg(long, value_enum, default_value_t = SecondaryArg::NoOverlap)]
    secondary: SecondaryArg,
    /// Also give SaTScan's Gumbel approximation of the p-values (it can go below 1/(R+1)).
    #[arg(long)]
    gumbel: bool,
    /// Monte Carlo replicates for the p-values (0: none).
    #[arg(long, default_value_t = 999)]
    replicates: usize,
    /// The replicates' seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// On the warehouse: space-time cylinders (circles × intervals of years) instead of circles
    /// (Kulldorff et al. 1998), retrospective unless --prospective.
    #[arg(long, conflicts_with = "data")]
    space_time: bool,
    /// The space-time model: poisson (expected cases from the population), or permutation
    /// (Kulldorff et al. 2005: case counts only, expected C_place C_year / C).
    #[arg(long, value_enum, default_value_t = ModelArg::Poisson, requires = "space_time")]
    model: ModelArg,
    /// The longest interval of a cylinder, as a share of the years scanned.
    #[arg(long, default_value_t = 0.5, requires = "space_time")]
    max_time: f64,
    /// Only clusters still going on in the last year (prospective surveillance).
    #[arg(long, requires = "space_time")]
    prospective: bool,
    /// On the warehouse: write a map of the clusters over the départements' outlines (SVG): the
    /// most likely cluster and the significant secondary ones (the first five without replicates).
    #[arg(long, value_name = "FILE.svg", conflicts_with = "data")]
    plot: Option<PathBuf>,
}

/// The scan's settings from the arguments.
fn scanning(args: &Args) -> Scanning {
    Scanning {
        max_population: args.max_population,
        max_radius: args.max_radius,
        rates: match args.rates {
            RatesArg::High => Rates::High,
            RatesArg::Low => Rates::Low,
            RatesArg::Both => Rates::Both,
        },
        secondary: match args.secondary {
            SecondaryArg::NoOverlap => Overlap::NoGeographicalOverlap,
            SecondaryArg::NoCentresInOthers => Overlap::NoCentresInOtherClusters,
            SecondaryArg::NoCentresInMoreLikely => Overlap::NoCentresInMoreLikely,
            SecondaryArg::NoCentresInLessLikely => Overlap::NoCentresInLessLikely,
            SecondaryArg::NoPairsOfCentres => Overlap::NoPairsOfCentres,
            SecondaryArg::Unrestricted => Overlap::NoRestrictions,
        },
        replicates: args.replicates,
        seed: args.seed,
        gumbel: args.gumbel,
    }
}

/// Runs the scan and prints its clusters.
pub fn run(args: Args) -> CliResult {
    let result = match &args.data {
        Some(path) => {
            let data = Columns::read(path)?;
            let coordinates = match (&args.latitude, &args.longitude, &args.x, &args.y) {
                (Some(latitude), Some(longitude), _, _) => Coordinates::LatLong { latitude, longitude },
                (_, _, Some(x), Some(y)) => Coordinates::Cartesian { x, y },
                _ => return Err("give the coordinates: --latitude COL --longitude COL, or --x COL --y COL".into()),
            };
            let request = FileScan {
                location: args.location.as_deref().expect("required with --data"),
                cases: args.cases.as_deref().expect("required with --data"),
                population: args.population.as_deref().expect("required with --data"),
                coordinates,
                scanning: scanning(&args),
            };
            scan(&data, &request).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => {
            let dir = &args.warehouse.warehouse;
            if !dir.join("tables").is_dir() {
                return Err(format!(
                    "{}: no warehouse here (give --data FILE with its columns, or run `oncodata demo`)",
                    dir.display()
                )
                .into());
            }
            let unit = match (args.by_commune, args.by_departement) {
                (true, _) => Unit::Commune,
                (_, true) => Unit::Departement,
                _ => return Err("on the warehouse, say where to count: --by-commune or --by-departement".into()),
            };
            let policy = super::disclosure::policy_of(dir)?;
            let audience = super::disclosure::audience_for(args.audience.as_deref(), &policy, "incidence")?;
            let w = args.warehouse.open()?;
            let request = WarehouseScan {
                unit,
                site_group: args.site_group.as_deref(),
                sex: args.sex.as_deref(),
                years: args.years.as_deref().map(parse_years).transpose()?,
                scanning: scanning(&args),
                areas: args.areas.as_deref(),
                time: args.space_time.then_some(TimeScan {
                    model: match args.model {
                        ModelArg::Poisson => SpaceTimeModel::Poisson,
                        ModelArg::Permutation => SpaceTimeModel::Permutation,
                    },
                    max_share: args.max_time,
                    prospective: args.prospective,
                }),
                min_persons: {
                    let rules = policy.rules(audience);
                    if rules.unrestricted { 0 } else { rules.min_persons }
                },
            };
            let result = w.block_on(scan_warehouse(&w, &request))?;
            if let Some(left) = result.settings["left_out"].as_object().filter(|l| !l.is_empty()) {
                let parts: Vec<String> = left.iter().map(|(why, n)| format!("{n} {why}")).collect();
                eprintln!("left out: {}", parts.join("; "));
            }
            if let Some(path) = &args.plot {
                write_map(path, &result, &request)?;
                eprintln!("wrote {}", path.display());
            }
            result
        }
    };
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&result)?),
        Format::Csv => {
            let mut w = csv::Writer::from_writer(std::io::stdout());
            w.write_record(COLUMNS.iter().chain(&["gumbel_p_value", "members"]))?;
            for c in &result.clusters {
                w.write_record([
                    c.rank.to_string(),
                    c.centre.clone(),
                    c.members.len().to_string(),
                    c.radius.to_string(),
                    num(c.population),
                    num(c.observed),
                    num(c.expected),
                    num(c.relative_risk),
                    num(c.llr),
                    c.p_value.map(|p| p.to_string()).unwrap_or_default(),
                    c.years.clone().unwrap_or_default(),
                    c.gumbel_p_value.map(|p| p.to_string()).unwrap_or_default(),
                    c.members.join(";"),
                ])?;
            }
            w.flush()?;
        }
        Format::Table => {
            let shown = |x: f64, digits: usize| {
                if !x.is_finite() {
                    "—".to_string()
                } else if x.fract() == 0.0 {
                    format!("{x}")
                } else {
                    format!("{x:.digits$}")
                }
            };
            let mut header: Vec<String> = COLUMNS.iter().zip(WIDTHS).map(|(c, w)| format!("{c:>w$}")).collect();
            if args.gumbel {
                header.push(format!("{:>10}", "gumbel_p"));
            }
            println!("{}", header.join(" "));
            for c in &result.clusters {
                let gumbel = match (args.gumbel, c.gumbel_p_value) {
                    (false, _) => String::new(),
                    (true, Some(p)) => format!(" {p:>10.3e}"),
                    (true, None) => format!(" {:>10}", "—"),
                };
                println!(
                    "{:>4} {:>10} {:>9} {:>10.4} {:>11} {:>9} {:>10} {:>13} {:>11} {:>9} {:>10}{gumbel}",
                    c.rank,
                    c.centre,
                    c.members.len(),
                    c.radius,
                    shown(c.population, 1),
                    shown(c.observed, 0),
                    shown(c.expected, 4),
                    shown(c.relative_risk, 3),
                    shown(c.llr, 6),
                    c.p_value.map_or("—".to_string(), |p| format!("{p:.4}")),
                    c.years.as_deref().unwrap_or("")
                );
            }
        }
    }
    Ok(())
}

/// The clusters' columns, and their widths in the terminal table.
const COLUMNS: [&str; 11] = [
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
    "years",
];
const WIDTHS: [usize; 11] = [4, 10, 9, 10, 11, 9, 10, 13, 11, 9, 10];

/// A number for CSV: empty where it is withheld or undefined.
fn num(x: f64) -> String {
    if x.is_finite() { x.to_string() } else { String::new() }
}

/// The map of a warehouse scan's clusters ([`ScanResult::map`]) over the outlines of the
/// départements scanned.
fn write_map(path: &std::path::Path, result: &ScanResult, request: &WarehouseScan<'_>) -> CliResult {
    let (departements, members) = result.map(request.unit);
    let codes: Vec<&str> = departements.iter().map(String::as_str).collect();
    let places = oncodata_server::routes::figures::cluster_places(members);
    let title = format!(
        "Spatial scan: {}{}{}",
        request.site_group.unwrap_or("all cancers"),
        request.sex.map(|s| format!(", {s}")).unwrap_or_default(),
        request.years.map(|(a, b)| format!(", {a}-{b}")).unwrap_or_default()
    );
    std::fs::write(path, oncodata_web::map::cluster_map(&codes, &places, &title, oncodata_web::Lang::En))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(())
}
