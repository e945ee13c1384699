//! `oncodata`: the command-line tool of the oncodata cancer data platform.

mod commands;
mod plot;
mod progress;
mod shell;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc rather than the system allocator: ingest builds records on worker threads and lets
/// them go on another, which glibc's allocator handles poorly (bench/ingest.sh).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// oncodata: a cancer data platform in one program. Ingest registry, claims and hospital
/// sources, validate them with the registries' edit checks, keep them in a columnar warehouse,
/// and compute incidence and survival.
#[derive(Parser)]
#[command(name = "oncodata", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the warehouse lives (the commands that use it share this option).
#[derive(clap::Args, Clone)]
pub struct WarehouseArg {
    /// Warehouse directory.
    #[arg(long, value_name = "DIR", default_value = "oncodata-data")]
    pub warehouse: PathBuf,
    /// The most memory a query may use (`8G`, `512M`, bytes); sorts, joins and aggregations
    /// spill to the temporary folder beyond it. Default: no limit.
    #[arg(long, value_name = "SIZE", env = "ONCODATA_MEMORY_LIMIT", value_parser = parse_size)]
    pub memory_limit: Option<usize>,
    /// Read the warehouse as it was at this snapshot (`oncodata snapshots list`), read-only.
    /// Default: the latest.
    #[arg(long, value_name = "SNAPSHOT")]
    pub as_of: Option<u64>,
    /// Run the queries on an Apache Ballista cluster (`df://HOST:PORT`, see `oncodata cluster`)
    /// instead of the embedded engine; its executors must see the warehouse at the same path.
    #[arg(long, value_name = "URL", env = "ONCODATA_BALLISTA")]
    pub ballista: Option<String>,
}

impl WarehouseArg {
    /// The warehouse at `dir`, latest snapshot, no memory limit.
    pub fn at(dir: &std::path::Path) -> Self {
        Self { warehouse: dir.to_path_buf(), memory_limit: None, as_of: None, ballista: None }
    }

    /// Opens the warehouse (at the snapshot asked for) with the memory limit applied.
    pub fn open(&self) -> Result<oncodata_warehouse::Warehouse, oncodata_warehouse::WarehouseError> {
        let w = match self.as_of {
            Some(id) => oncodata_warehouse::Warehouse::open_as_of(&self.warehouse, id)?,
            None => oncodata_warehouse::Warehouse::open(&self.warehouse)?,
        };
        Ok(w.with_memory_limit(self.memory_limit).with_ballista(self.ballista.clone()))
    }
}

/// Reads a size: a number of bytes, optionally followed by K, M, G or T (powers of 1024, with
/// or without `iB`/`B`).
fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let unit_at = t.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(t.len());
    let (number, unit) = t.split_at(unit_at);
    let value: f64 = number.parse().map_err(|_| format!("'{text}': expected a size such as 8G or 512M"))?;
    let scale = match unit.trim().to_ascii_uppercase().trim_end_matches('B').trim_end_matches('I') {
        "" => 1u64,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => return Err(format!("'{text}': unknown unit '{unit}' (K, M, G or T)")),
    };
    let bytes = value * scale as f64;
    if !(1.0..=usize::MAX as f64).contains(&bytes) {
        return Err(format!("'{text}': not a usable size"));
    }
    Ok(bytes as usize)
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole chain on a synthetic registry: generate, validate, load, report incidence.
    #[command(after_help = "Example:\n  oncodata demo --warehouse /tmp/oncodata-demo\n\n\
        Generates the Manche registry's 2021-2022 cases (about 6,000 tumours, fixed seed), \
        ingests them with the IARC checks (faulty records go to quarantine), writes the \
        warehouse's Parquet tables, and prints incidence by site group and sex: cases, crude \
        rate and world age-standardised rate per 100,000 with 95% intervals. The same table \
        is written to DIR/reports/incidence_by_site_sex.csv.")]
    Demo(commands::demo::Args),
    /// Generate a synthetic registry data set (ENCR-style extract, denominators, life table,
    /// truth) for any départements, years and population scale.
    #[command(after_help = "Examples:\n  oncodata synth --out synth-data --years 2010-2024 --scale 0.05\n  \
        oncodata synth --out national --departements all --years 2010-2024 --scale 1.0 --warehouse national-wh\n\n\
        Calibrated on France: INSEE populations and age pyramid, the 2023 national incidence estimates by site, \
        sex and age, net survival by site. Same seed and arguments, same bytes.")]
    Synth(commands::synth::Args),
    /// Read, validate and load sources: registry CSV or NAACCR XML, OMOP or FHIR hospital
    /// extracts, claims, or any CSV through a mapping. Nothing is dropped: every record is
    /// accepted (with warnings) or quarantined with its reasons.
    #[command(after_help = "Examples:\n  oncodata ingest --source encr-csv registry/encr_50_2021-2022.csv\n  \
        oncodata ingest --source naaccr-xml registry/naaccr_50.xml --source omop hospitals/omop/baclesse --format json\n  \
        oncodata ingest --source fhir hospitals/fhir/curie.ndjson --source claims claims\n  \
        oncodata ingest --source naaccr-xml naaccr-xml-sample-v250-abstract-1000.xml.gz --source naaccr-flat us_2018.txt.gz\n  \
        oncodata ingest --extract-date 2024-12-31 --keep-going --source encr-csv registry/*.csv\n  \
        oncodata ingest --source csv my_export.csv --mapping my_export.toml --dataset my_registry\n  \
        oncodata ingest --keys keys.toml --source encr-csv registry/encr_X.csv --source identity registry/identity_X.csv\n  \
        oncodata ingest --source population population.csv --source life-table Mx_1x1.txt --source mortality Morticd10_part6\n\n\
        With a key file (--keys, $ONCODATA_KEYS or ~/.config/oncodata/keys.toml), the identities of identity files, \
        FHIR patients and claims are pseudonymised into the table identities for `oncodata link`; without one they are not kept. \
        Each path loads as a dataset (its file or folder name, or --dataset); ingesting a corrected file \
        again replaces its records instead of adding them twice. Validation: record shape and encoding, \
        required variables and formats, ICD-O-3 validity, the IARC consistency checks (sex/site, \
        grade, basis/histology, age/site/histology, site/histology) and date checks.")]
    Ingest(commands::ingest::Args),
    /// See, show and export the quarantined records.
    #[command(after_help = "Examples:\n  oncodata quarantine list --rule iarc.topography\n  \
        oncodata quarantine show 00000412-01\n  oncodata quarantine export --out quarantine.csv\n  \
        oncodata quarantine export --as-source registry/encr_50_2021-2022.csv --out to_fix.csv")]
    Quarantine(commands::quarantine::Args),
    /// Mark an unusual case as verified so that its warning is not raised again (CanReg5's
    /// "checked" flag).
    #[command(
        after_help = "Example:\n  oncodata verify --record 00000017-01 --rule iarc.age-topography --by 'Dr Martin' \
        --reason 'breast cancer at 19 confirmed by pathology'"
    )]
    Verify(commands::quarantine::VerifyArgs),
    /// Registry data-quality indicators by dataset, site group and year, and records per rule.
    #[command(after_help = "Example:\n  oncodata quality --csv quality.csv --html quality.html")]
    Quality(commands::quality::Args),
    /// Run SQL on the warehouse (Apache DataFusion dialect): one statement, an export to
    /// Parquet/CSV/JSON, or an interactive shell.
    #[command(
        after_help = "Examples:\n  oncodata sql \"SELECT site_group, count(*) AS n FROM tumours GROUP BY site_group ORDER BY n DESC\"\n  \
        oncodata sql --format csv \"SELECT * FROM quarantine\" > quarantine.csv\n  \
        oncodata sql --out tumours.parquet \"SELECT * FROM tumours WHERE incidence_year = 2021\"\n  \
        oncodata sql --memory-limit 4G \"SELECT … ORDER BY …\"      (spills to disk beyond 4 GiB)\n  \
        oncodata sql                                               (interactive shell; or: oncodata sql < script.sql)\n\n\
        Tables: patients, tumours, care_events, quarantine, warnings, identities (each row with its dataset and source), population, life_table, coverage, mortality (cancer deaths by cause); \
        after `oncodata link`: persons, person_records, link_review, primaries, primary_tumours.\n\
        Functions: age_group(age), icd10(topography, morphology, behaviour), iccc(...), site_group(...)."
    )]
    Sql(commands::sql::Args),
    /// The warehouse's versions: list them, go back to one, prune old ones. Every command that
    /// changes the warehouse publishes a snapshot; reading commands take `--as-of SNAPSHOT`.
    #[command(after_help = "Examples:\n  oncodata snapshots list --warehouse wh\n  \
        oncodata sql --warehouse wh --as-of 3 \"SELECT count(*) FROM tumours\"\n  \
        oncodata snapshots restore --warehouse wh 3\n  oncodata snapshots prune --warehouse wh --keep-last 5 --keep-days 90\n\n\
        A snapshot is a manifest (DIR/snapshots/N.json) listing the Parquet files of every table; files are never \
        changed once written, and a load becomes visible all at once when its manifest is renamed into place. \
        A load killed midway leaves the warehouse on its last complete snapshot.")]
    Snapshots(commands::snapshots::Args),
    /// Disclosure control: check a table you want to take out against an audience's rules (the
    /// warehouse's `disclosure.toml`, written with the defaults on first use: no count of 1-10
    /// persons for the public and projects).
    #[command(after_help = "Examples:\n  oncodata disclosure check my_table.csv --count cases --by site_group,sex\n  \
        oncodata disclosure check export.parquet --count n --audience project --format json\n\n\
        Each cell of the count column is safe or withheld, with the rule and why; the command fails (exit 1) \
        when any cell would be withheld. Rules and their sources: crates/disclosure/reference/rules.md.")]
    Disclosure(commands::disclosure::Args),
    /// The warehouse's tamper-evident audit log: every project extract and SQL statement is an
    /// event of an append-only Merkle tree (RFC 6962) with signed checkpoints.
    #[command(after_help = "Examples:\n  oncodata audit verify --warehouse wh\n  \
        oncodata audit checkpoint --warehouse wh > checkpoint.json\n  \
        oncodata audit verify --warehouse wh --checkpoint checkpoint.json --key $(cat wh/audit/audit.pub)\n  \
        oncodata audit prove 12 --warehouse wh > proof.json\n  \
        python3 crates/audit/reference/rfc6962.py --verify proof.json\n  \
        oncodata audit erase 12 --warehouse wh\n\n\
        verify names the first event or checkpoint changed, removed, inserted or moved and exits 1. Keep a \
        checkpoint (and the public key, WAREHOUSE/audit/audit.pub) outside the warehouse: against it, even the \
        log's last lines cannot be cut unseen.")]
    Audit(commands::audit::Args),
    /// The platform service over HTTP: accounts, applications for access, committee review,
    /// permits and project tokens, the public register, the audit log; its API described at
    /// /api/openapi.json.
    #[command(after_help = "Examples:\n  oncodata serve --warehouse oncodata-data\n  \
        oncodata serve --warehouse wh --bind 0.0.0.0:8080 --database postgres://oncodata@db.example:5432/oncodata\n\n\
        The governance store is SQLite in the warehouse (governance.db) unless --database names a PostgreSQL one; \
        both are created and migrated on first start. Add accounts with `oncodata users add`.")]
    Serve(commands::serve::Args),
    /// The platform's accounts: add (password from standard input), list, disable, reset a
    /// password; and the roles table.
    #[command(
        after_help = "Examples:\n  oncodata users add alice --role applicant --warehouse wh     (asks for the password)\n  \
        oncodata users add chris --role committee --warehouse wh < chris.password\n  \
        oncodata users list --warehouse wh\n  oncodata users roles\n\n\
        Passwords are hashed with Argon2id; five wrong ones in a row lock an account for 15 minutes."
    )]
    Users(commands::users::Args),
    /// Incidence: cases, crude and age-standardised rates with intervals, cumulative risk 0-74,
    /// by any grouping, on the warehouse or on your own files.
    #[command(after_help = "Examples:\n  oncodata incidence --by site_group,sex --plot asr.svg\n  \
        oncodata incidence --cases cases.csv --population pop.csv --by sex --standard esp2013 --ci fay-feuer --format csv\n  \
        oncodata incidence --by site_group --age-range 0-74\n\n\
        Cases: one row per case, or rows with a `count` column; an `age` (years) or `age_group` column. \
        Population: the --by columns it has, `age_group`, `person_years`. Rates per 100,000; ASR divided \
        by the sum of the standard's weights; intervals: exact Poisson (crude), Tiwari (default) or Fay-Feuer (ASR).")]
    Incidence(commands::incidence::Args),
    /// Survival: Kaplan-Meier, relative (Ederer II) or net (Pohar-Perme), with intervals,
    /// medians, the log-rank test and a plot.
    #[command(
        after_help = "Examples:\n  oncodata survival --data lung.csv --time time --event status --by sex --plot km.svg\n  \
        oncodata survival --data cases.csv --time days --event dead --method pohar-perme \\\n      \
        --ratetable lifetable.csv --age age --sex sex --year diagnosis_date --at 365.241,1826.205\n\n\
        Kaplan-Meier and log-rank reproduce R's survfit/survdiff; Ederer II and Pohar-Perme reproduce \
        relsurv's rs.surv (times and ages in days as relsurv wants them: --time-unit and --age-unit convert)."
    )]
    Survival(commands::survival::Args),
    /// Link two files probabilistically (Fellegi-Sunter, m and u estimated from the files by
    /// EM and random pairs, as Splink does) and write the likely pairs.
    #[command(
        after_help = "Example:\n  oncodata link-files --left a.csv --right b.csv --config link.toml --out pairs.csv --truth true_links.csv\n\n\
        link.toml:\n  left_id = \"rec_id\"\n  right_id = \"rec_id\"\n  blocking = [[\"date_of_birth\"], [\"surname\", \"postcode\"]]   # optional: chosen from the data\n  \
        threshold = 0.5                 # optional\n  [[fields]]\n  name = \"surname\"\n  comparator = \"jaro-winkler\"    # also: levenshtein, exact, date, numeric\n  \
        term_frequency = true           # optional: rare values weigh more\n\n\
        Output: left_id, right_id, match_weight, match_probability for every pair at or above the threshold."
    )]
    LinkFiles(commands::link_files::Args),
    /// Link the warehouse's source patients into persons: deterministic on the pseudonymised
    /// national and claims ids, Fellegi-Sunter for the rest, constrained clustering, a review
    /// queue.
    #[command(after_help = "Examples:\n  oncodata link --warehouse wh --truth synth-data/truth\n  \
        oncodata link review --warehouse wh\n  oncodata link review --warehouse wh --same 3,7 --different 4 --by 'Dr Martin'\n\n\
        Writes the tables persons, person_records (how each record joined: nir, claims_id, review, probabilistic, \
        single), link_review, and primaries (the persons' tumour records consolidated under the IARC/IACR 2004 \
        multiple-primary rules, each best-information value with its source record) with primary_tumours (each \
        record's primary and the rule that put it there). Names are compared as keyed Bloom-filter encodings (Dice), birth month and day, \
        sex, département, cancer site (ICD-10) and diagnosis dates; m by EM, u from random pairs. Review \
        decisions (DIR/linkage/decisions.csv) apply to every later run.")]
    Link(commands::link::Args),
    /// A project's extract of the linked warehouse under the project's own pseudonyms.
    #[command(
        after_help = "Example:\n  oncodata extract --warehouse wh --keys keys.toml --project CESP-2026-014 --out extract-014\n  \
        oncodata sql --warehouse extract-014 \"SELECT site_group, count(*) FROM primaries GROUP BY 1\"\n\n\
        Writes persons (birth month only), primaries (best-information values, no source ids) and care_events, with \
        each person under a pseudonym keyed by a project key derived from the master key: two projects' extracts \
        cannot be joined on their ids. The extract is a warehouse of its own, in Parquet."
    )]
    Extract(commands::extract::Args),
    /// Pseudonymisation keys: create, rotate (re-keying a warehouse), import a source's key.
    #[command(after_help = "Examples:\n  oncodata keys init --keys ~/.config/oncodata/keys.toml\n  \
        oncodata keys import --source claims secrets/claims_pseudonym.key\n  \
        oncodata keys rotate --warehouse oncodata-data\n  oncodata keys status\n\n\
        Identities (national id, names) are replaced at ingest by HMAC-SHA-256 pseudonyms and keyed \
        Bloom-filter encodings; the key file (mode 0600, outside the warehouse) is never printed or copied.")]
    Keys(commands::keys::Args),
    /// Run a node of an Apache Ballista cluster (scheduler or executor) for `--ballista`.
    #[command(after_help = "Example, one machine (a real cluster: one scheduler, executors on every node, the \
        warehouse on a file system mounted at the same path everywhere):\n  \
        oncodata cluster scheduler --bind 127.0.0.1 --port 50050 &\n  \
        oncodata cluster executor --scheduler 127.0.0.1:50050 --flight-port 50051 --grpc-port 50052 &\n  \
        oncodata cluster executor --scheduler 127.0.0.1:50050 --flight-port 50061 --grpc-port 50062 &\n  \
        oncodata sql --warehouse wh --ballista df://127.0.0.1:50050 \"SELECT site_group, count(*) FROM tumours GROUP BY 1\"")]
    Cluster(commands::cluster::Args),
    /// Check ICD-O-3 codes and convert them to ICD-10, ICCC-3 and the national site groups.
    #[command(after_help = "Examples:\n  oncodata codes C44.5 8720/3\n  oncodata codes C509 8500/2\n  \
        oncodata codes --format json C64.9 8960/3")]
    Codes(commands::codes::Args),
    /// Scan for spatial clusters: Kulldorff's scan statistic, discrete Poisson model, SaTScan's
    /// rules (circular windows, secondary clusters without overlap, Monte Carlo p-values).
    #[command(after_help = "Example (SaTScan's New York leukaemia data, crates/stats/tests/data):\n  \
        oncodata scan --data ny_leukemia.csv --location location_id --cases cases --population population \\\n    \
        --x satscan_x --y satscan_y --max-population 0.5 --replicates 999 --seed 1 --format json")]
    Scan(commands::scan::Args),
    /// Fit trends as NCI's Joinpoint does: joinpoint regression of rates by year (log-linear,
    /// grid search, weighted BIC or permutation tests), APCs by segment and AAPCs.
    #[command(after_help = "Examples:\n  \
        oncodata trend --by site_group,sex --aapc 2018-2022 --plot trends.svg\n  \
        oncodata trend --data england_incidence_rolling.csv --x year --rate asr_rolling --by cancer_site,sex\n  \
        oncodata trend --data rates.csv --rate rate --count cases --weights poisson --selection permutation")]
    Trend(commands::trend::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Output piped into `head` and closed early ends the program quietly, as for any Unix tool,
    // instead of a panic on the next print. Not where the program talks over the network (a
    // Ballista node or client): there a peer closing its connection must be an error the
    // networking code handles, not the end of the process.
    let networked = matches!(cli.command, Command::Cluster(_) | Command::Serve(_))
        || std::env::args().any(|a| a == "--ballista" || a.starts_with("--ballista="))
        || std::env::var_os("ONCODATA_BALLISTA").is_some();
    #[cfg(unix)]
    if !networked {
        // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    // A panic is a bug; its message may quote the data being read (an identity, a record), so
    // only where it happened is printed.
    std::panic::set_hook(Box::new(|info| {
        let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        eprintln!(
            "error: internal error{at} (a bug in oncodata; its message is withheld because it may quote source data)"
        );
    }));
    let result = match cli.command {
        Command::Demo(a) => commands::demo::run(a),
        Command::Synth(a) => commands::synth::run(a),
        Command::Sql(a) => commands::sql::run(a),
        Command::Ingest(a) => commands::ingest::run(a),
        Command::Quarantine(a) => commands::quarantine::run(a),
        Command::Verify(a) => commands::quarantine::verify(a),
        Command::Quality(a) => commands::quality::run(a),
        Command::Codes(a) => commands::codes::run(a),
        Command::Scan(a) => commands::scan::run(a),
        Command::Trend(a) => commands::trend::run(a),
        Command::LinkFiles(a) => commands::link_files::run(a),
        Command::Keys(a) => commands::keys::run(a),
        Command::Link(a) => commands::link::run(a),
        Command::Extract(a) => commands::extract::run(a),
        Command::Survival(a) => commands::survival::run(a),
        Command::Incidence(a) => commands::incidence::run(a),
        Command::Snapshots(a) => commands::snapshots::run(a),
        Command::Disclosure(a) => commands::disclosure::run(a),
        Command::Audit(a) => commands::audit::run(a),
        Command::Serve(a) => commands::serve::run(a),
        Command::Users(a) => commands::users::run(a),
        Command::Cluster(a) => commands::cluster::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
