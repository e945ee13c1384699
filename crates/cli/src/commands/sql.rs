//! `oncodata sql`: SQL on the warehouse — one statement printed or exported to a file, or an
//! interactive shell when no statement is given.

use std::path::{Path, PathBuf};

use oncodata_warehouse::{ColumnRole, ExportFormat, QueryResult, Value, Warehouse};

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

/// Whom a statement's result is for: the audience and the warehouse's policy.
pub struct Recipient {
    /// The warehouse's disclosure policy.
    pub policy: oncodata_disclosure::Policy,
    /// The audience.
    pub audience: oncodata_disclosure::Audience,
    /// The project (for a differentially private audience).
    pub project: Option<String>,
}

/// Runs a user's statement for `to`: as it is for an unrestricted audience; otherwise only an
/// aggregate with one count column, its columns reordered (groups, the count, the rest) and
/// protected by disclosure control (`oncodata_disclosure::table`).
pub fn result_for(w: &Warehouse, sql: &str, to: &Recipient) -> Result<QueryResult, Box<dyn std::error::Error>> {
    let rules = to.policy.rules(to.audience);
    if rules.unrestricted {
        return Ok(w.query_user(sql)?);
    }
    let name = to.audience.name();
    let shape = w.user_query_shape(sql)?;
    if !shape.aggregate {
        return Err(format!(
            "the {name} audience sees aggregates only, and this statement returns records: group them \
             (GROUP BY … with COUNT(DISTINCT patient_id)), or ask a data steward (--audience steward)"
        )
        .into());
    }
    if shape.grouping_sets {
        return Err(format!(
            "ROLLUP, CUBE and GROUPING SETS mix margins with the rows, which the {name} audience's disclosure \
             control cannot tell apart: ask for each table by its own columns"
        )
        .into());
    }
    let counts: Vec<usize> =
        (0..shape.roles.len()).filter(|&i| matches!(shape.roles[i], ColumnRole::Count { .. })).collect();
    let distinct: Vec<usize> = counts
        .iter()
        .copied()
        .filter(|&i| matches!(shape.roles[i], ColumnRole::Count { distinct: true, .. }))
        .collect();
    let count = match (counts.as_slice(), distinct.as_slice()) {
        ([c], _) | (_, [c]) => *c,
        _ => {
            return Err(format!(
                "the {name} audience's disclosure control checks the persons behind each row: the statement needs \
                 one COUNT column (COUNT(DISTINCT patient_id) counts persons), it has {}",
                counts.len()
            )
            .into());
        }
    };
    let groups: Vec<usize> =
        (0..shape.roles.len()).filter(|&i| matches!(shape.roles[i], ColumnRole::Group { .. })).collect();
    if let Some(privacy) = &rules.privacy {
        return private_result(w, sql, to, privacy, &shape, &groups, count);
    }
    let rest: Vec<usize> = (0..shape.roles.len()).filter(|i| !groups.contains(i) && *i != count).collect();
    let order: Vec<usize> = groups.iter().copied().chain([count]).chain(rest).collect();
    let result = w.query_user(sql)?;
    let rows: Vec<Vec<Value>> =
        result.rows()?.into_iter().map(|r| order.iter().map(|&i| r[i].clone()).collect()).collect();
    let columns: Vec<String> = order.iter().map(|&i| shape.columns[i].clone()).collect();
    let names: Vec<&str> = columns.iter().map(String::as_str).collect();
    let reordered = QueryResult::from_rows(&names, &rows)?;
    // Sums over persons: the dominance and p % rules on each row's contributions.
    let ColumnRole::Count { aggregate: counted, .. } = shape.roles[count] else { unreachable!("a count column") };
    let group_index = grouping_order(&shape, &groups);
    let mut sensitive: std::collections::HashMap<Vec<String>, &'static str> = Default::default();
    for role in &shape.roles {
        let ColumnRole::Aggregate { function, aggregate } = role else { continue };
        if function != "sum" {
            continue;
        }
        let mut by_row: std::collections::HashMap<Vec<String>, Vec<f64>> = Default::default();
        for (g, _, v) in w.user_query_contributions(sql, counted, *aggregate)? {
            if g.len() == group_index.len() {
                by_row.entry(group_index.iter().map(|&k| g[k].clone()).collect()).or_default().push(v.abs());
            }
        }
        for (key, c) in by_row {
            let (n, k) = rules.dominance;
            let rule = if oncodata_disclosure::magnitude::dominated(&c, n, k) {
                Some("dominance")
            } else if oncodata_disclosure::magnitude::p_percent(&c, rules.p_percent) {
                Some("p-percent")
            } else {
                None
            };
            if let Some(rule) = rule {
                sensitive.entry(key).or_insert(rule);
            }
        }
    }
    let sensitive_rows: Vec<Option<&'static str>> = rows
        .iter()
        .map(|r| sensitive.get(&r[..groups.len()].iter().map(Value::as_text).collect::<Vec<_>>()).copied())
        .collect();
    let protected =
        super::disclosure::withhold_result(&reordered, groups.len(), &sensitive_rows, &to.policy, to.audience)?;
    // The differencing defence: the persons behind each shown cell, against every earlier
    // release to this audience.
    let members = w.user_query_members(sql, counted)?;
    let group_of = &group_index;
    if members.first().is_some_and(|(g, _)| g.len() != groups.len()) {
        return Err(format!(
            "the {name} audience's disclosure control compares each row with earlier releases: select every \
             GROUP BY column"
        )
        .into());
    }
    let mut persons: std::collections::HashMap<Vec<String>, Vec<&str>> = Default::default();
    for (g, member) in &members {
        let key: Vec<String> = group_of.iter().map(|&k| g[k].clone()).collect();
        persons.entry(key).or_default().push(member);
    }
    let mut log = oncodata_disclosure::release::ReleaseLog::open(w.root(), to.audience)?;
    let shown_rows = protected.rows()?;
    let cells: Vec<_> = shown_rows
        .iter()
        .filter(|r| matches!(r.last(), Some(Value::Null)))
        .map(|r| {
            let key: Vec<String> = r[..groups.len()].iter().map(Value::as_text).collect();
            let ids = persons.get(&key).cloned().unwrap_or_default();
            log.cell(key, ids)
        })
        .collect();
    if let Some(d) = log.check(&cells, rules.min_persons) {
        return Err(format!(
            "refused for the {name} audience: its row ({}) and the row ({}) of release {} (\"{}\") differ by {} \
             {}, fewer than {}: together they would isolate them (differencing). Ask for groups that do not \
             nest in earlier ones, or ask a data steward",
            d.key.join(", "),
            d.earlier_key.join(", "),
            d.earlier,
            d.earlier_what,
            d.persons,
            if d.persons == 1 { "person" } else { "persons" },
            rules.min_persons
        )
        .into());
    }
    let id = log.record(sql, cells)?;
    eprintln!(
        "disclosure: release {id} to the {name} audience logged (the differencing defence compares later ones with it)"
    );
    match &rules.cell_key {
        None => Ok(protected),
        Some(ck) => {
            // The cell-key method on the counts shown; what is computed from a count goes with it.
            let table = oncodata_disclosure::cell_key::PTable::new(ck.max_noise, ck.variance, rules.min_persons)?;
            let computed: Vec<usize> = order
                .iter()
                .enumerate()
                .filter(|(_, i)| shape.roles[**i] == ColumnRole::Computed)
                .map(|(k, _)| k)
                .collect();
            let count_at = groups.len();
            let mut noised = 0;
            let rows: Vec<Vec<Value>> = shown_rows
                .into_iter()
                .map(|mut r| {
                    let shown = matches!(r.last(), Some(Value::Null));
                    let n = r[count_at].as_f64().filter(|x| *x >= 0.0).map(|x| x as u64);
                    if let (true, Some(n)) = (shown, n) {
                        let key: Vec<String> = r[..count_at].iter().map(Value::as_text).collect();
                        let ids = persons.get(&key).cloned().unwrap_or_default();
                        let cell = oncodata_disclosure::cell_key::cell_key(ids.iter().map(|id| log.record_key(id)));
                        r[count_at] = Value::Int(n as i64 + table.noise(n, cell));
                        computed.iter().for_each(|&k| r[k] = Value::Null);
                        r.push(Value::Text("cell-key".into()));
                        noised += 1;
                    } else {
                        r.push(Value::Null);
                    }
                    r
                })
                .collect();
            let mut columns = protected.columns();
            columns.push("perturbed".into());
            let names: Vec<&str> = columns.iter().map(String::as_str).collect();
            eprintln!(
                "disclosure: {noised} counts perturbed by the cell-key method (noise up to ±{}, variance {}; the same \
                 persons always get the same noise)",
                ck.max_noise, ck.variance
            );
            Ok(QueryResult::from_rows(&names, &rows)?)
        }
    }
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

/// For each output grouping column (`groups`, output positions), its place among the query's
/// GROUP BY expressions.
fn grouping_order(shape: &oncodata_warehouse::ResultShape, groups: &[usize]) -> Vec<usize> {
    groups
        .iter()
        .map(|&i| match shape.roles[i] {
            ColumnRole::Group { index } => index,
            _ => unreachable!("a group column"),
        })
        .collect()
}

/// A differentially private release of a statement's count by its groups
/// (`oncodata_disclosure::privacy`): the project's odometer spends the release's loss or refuses
/// it, the persons counted are bounded per person, and only groups whose noisy count reaches the
/// threshold are released, with the noise scale.
fn private_result(
    w: &Warehouse,
    sql: &str,
    to: &Recipient,
    privacy: &oncodata_disclosure::privacy::PrivacyRule,
    shape: &oncodata_warehouse::ResultShape,
    groups: &[usize],
    count: usize,
) -> Result<QueryResult, Box<dyn std::error::Error>> {
    let name = to.audience.name();
    let project = to.project.as_deref().ok_or_else(|| {
        format!(
            "the {name} audience's counts are differentially private, spending a project's budget: give --project ID"
        )
    })?;
    if shape.roles.len() != groups.len() + 1 {
        return Err(format!(
            "the {name} audience's releases are differentially private counts: select the GROUP BY columns and one \
             COUNT(DISTINCT …) only"
        )
        .into());
    }
    let ColumnRole::Count { aggregate, .. } = shape.roles[count] else { unreachable!("a count column") };
    let members = w.user_query_members(sql, aggregate)?;
    let order = grouping_order(shape, groups);
    let members: Vec<(Vec<String>, String)> =
        members.into_iter().map(|(g, p)| (order.iter().map(|&k| g[k].clone()).collect(), p)).collect();
    let mut odometer = oncodata_disclosure::privacy::Odometer::open(w.root(), project)?;
    let (epsilon, delta) = odometer.spend(privacy, sql)?;
    let released = oncodata_disclosure::privacy::private_counts(&members, privacy)?;
    let mechanism = match privacy.mechanism {
        oncodata_disclosure::privacy::Mechanism::Laplace => "laplace",
        oncodata_disclosure::privacy::Mechanism::Gaussian => "gaussian",
    };
    let rows: Vec<Vec<Value>> = released
        .counts
        .iter()
        .map(|(key, n)| {
            let mut row: Vec<Value> = key.iter().map(|k| Value::Text(k.clone())).collect();
            row.extend([Value::Int(*n), Value::Float(privacy.scale), Value::Text(mechanism.into())]);
            row
        })
        .collect();
    let mut columns: Vec<String> = groups.iter().map(|&i| shape.columns[i].clone()).collect();
    columns.extend([shape.columns[count].clone(), "noise_scale".into(), "perturbed".into()]);
    let names: Vec<&str> = columns.iter().map(String::as_str).collect();
    let (spent_e, spent_d) = odometer.spent();
    eprintln!(
        "disclosure: differentially private release for project {project} ({mechanism} noise, scale {}, groups \
         released when their noisy count is at least {}; {} persons' extra groups dropped): this release ε = \
         {epsilon:.4}, δ = {delta:.2e}; spent ε = {spent_e:.4} of {}, δ = {spent_d:.2e} of {:.2e}",
        privacy.scale, privacy.threshold, released.dropped, privacy.budget_epsilon, privacy.budget_delta
    );
    Ok(QueryResult::from_rows(&names, &rows)?)
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
    let to = Recipient { policy, audience, project: args.project.clone() };
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
