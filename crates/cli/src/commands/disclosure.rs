//! `oncodata disclosure check`: says, cell by cell, what the disclosure rules of an audience
//! would withhold from a table a researcher wants to take out, and fails when the table is not
//! safe to publish as it is. The rules are `oncodata_disclosure`'s, under the warehouse's policy
//! (`DIR/disclosure.toml`, written with the defaults on first use).

use std::path::PathBuf;

use oncodata_analyses::columns::Columns;
use oncodata_disclosure::{Audience, Policy, Verdict, check_counts};
use serde_json::json;

use super::{CliResult, Format};

/// Arguments of `oncodata disclosure`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Checks a table (CSV with a header, or Parquet): each cell of the count column under the
    /// audience's rules; exits with an error when any cell would be withheld.
    Check {
        /// The table.
        file: PathBuf,
        /// The column that counts persons.
        #[arg(long, value_name = "COLUMN")]
        count: String,
        /// Columns that name each cell, shown beside it (`site_group,sex`).
        #[arg(long, value_name = "COLS", value_delimiter = ',')]
        by: Vec<String>,
        /// Whom the table is for: public, project or steward.
        #[arg(long, default_value = "public")]
        audience: String,
        /// The warehouse whose policy applies (its `disclosure.toml`).
        #[arg(long, value_name = "DIR", default_value = "oncodata-data")]
        warehouse: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Rounds a table (CSV or Parquet) under control to base 5 or 10: every count and every
    /// margin (`all COLUMN`) to a multiple of the base next to it, so that the rounded table still
    /// adds up; prints the rows and the margins, each flagged `rounded`.
    Round {
        /// The table.
        file: PathBuf,
        /// The column that counts persons.
        #[arg(long, value_name = "COLUMN")]
        count: String,
        /// The columns that group the table (its rows are the cells).
        #[arg(long, value_name = "COLS", value_delimiter = ',', required = true)]
        by: Vec<String>,
        /// The rounding base.
        #[arg(long, default_value_t = 5)]
        base: u64,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

/// The disclosure policy of the warehouse at `dir` (written with the defaults on first use), or
/// the default policy when there is no warehouse there.
pub fn policy_of(dir: &std::path::Path) -> Result<Policy, Box<dyn std::error::Error>> {
    if dir.join("tables").is_dir() || dir.join("snapshots").is_dir() {
        let (policy, written) = Policy::of_warehouse(dir)?;
        if written {
            eprintln!("note: {} written with the default policy", dir.join("disclosure.toml").display());
        }
        Ok(policy)
    } else {
        Ok(Policy::default())
    }
}

/// The audience of a command's output: the one named on the command line, else the policy's
/// default for the command (its `[default]` section).
pub fn audience_for(named: Option<&str>, policy: &Policy, command: &str) -> Result<Audience, String> {
    named.map_or(Ok(policy.default_audience(command)), audience_of)
}

/// The audience named on the command line.
pub fn audience_of(text: &str) -> Result<Audience, String> {
    Audience::parse(text).ok_or_else(|| format!("--audience {text}: one of public, project, steward"))
}

/// Withholds the rows of a printed table that the audience's rules withhold (the count and
/// every column after it emptied; the columns before the count group the table), adds the
/// `suppressed` column naming the rule, and says on standard error how many rows each rule
/// withheld and how the protection was proved. Returns which rows were withheld.
pub fn withhold_printed(
    header: &mut Vec<String>,
    records: &mut [Vec<String>],
    count: usize,
    policy: &Policy,
    audience: Audience,
) -> Result<Vec<bool>, Box<dyn std::error::Error>> {
    withhold_printed_with(header, records, count, &[], policy, audience)
}

/// [`withhold_printed`], with rows another primary rule withholds
/// (`oncodata_disclosure::sql::withhold_printed_with`).
pub fn withhold_printed_with(
    header: &mut Vec<String>,
    records: &mut [Vec<String>],
    count: usize,
    sensitive: &[Option<&'static str>],
    policy: &Policy,
    audience: Audience,
) -> Result<Vec<bool>, Box<dyn std::error::Error>> {
    let mut notes = Vec::new();
    let withheld = oncodata_disclosure::sql::withhold_printed_with(
        header, records, count, sensitive, policy, audience, &mut notes,
    );
    notes.iter().for_each(|n| eprintln!("{n}"));
    Ok(withheld?)
}

/// [`withhold_printed_with`] on a query result whose columns before `count` group it
/// (`oncodata_disclosure::sql::withhold_result`).
pub fn withhold_result(
    result: &oncodata_warehouse::QueryResult,
    count: usize,
    sensitive: &[Option<&'static str>],
    policy: &Policy,
    audience: Audience,
) -> Result<oncodata_warehouse::QueryResult, Box<dyn std::error::Error>> {
    let mut notes = Vec::new();
    let result = oncodata_disclosure::sql::withhold_result(result, count, sensitive, policy, audience, &mut notes);
    notes.iter().for_each(|n| eprintln!("{n}"));
    Ok(result?)
}

/// Runs the command.
pub fn run(args: Args) -> CliResult {
    let (file, count, by, audience, warehouse, format) = match args.action {
        Action::Check { file, count, by, audience, warehouse, format } => {
            (file, count, by, audience, warehouse, format)
        }
        Action::Round { file, count, by, base, format } => return round(&file, &count, &by, base, format),
    };
    let audience = audience_of(&audience)?;
    let policy = policy_of(&warehouse)?;
    let rules = policy.rules(audience);
    let table = Columns::read(&file)?;
    let texts = table.optional_texts(&count)?;
    let labels: Vec<Vec<Option<String>>> = by.iter().map(|c| table.optional_texts(c)).collect::<Result<_, _>>()?;
    let counts: Vec<Option<&str>> = texts.iter().map(|t| t.as_deref()).collect();
    let mut check = check_counts(&counts, rules).map_err(|e| format!("{}: {e} (column {count})", file.display()))?;
    // Grouped by columns: the table with its margins, and what secondary suppression adds.
    if !by.is_empty() && !check.is_safe() {
        let keys: Vec<Vec<String>> =
            (0..texts.len()).map(|r| labels.iter().map(|l| l[r].clone().unwrap_or_default()).collect()).collect();
        let numbers: Vec<Option<u64>> = check.cells.iter().map(|c| c.count).collect();
        let protected = oncodata_disclosure::protect_rows(&by, &keys, &numbers, rules)
            .map_err(|e| format!("{}: {e}", file.display()))?;
        for (cell, rule) in check.cells.iter_mut().zip(&protected.rules) {
            if *rule == Some(oncodata_disclosure::table::SECONDARY) && cell.verdict == Verdict::Safe {
                cell.verdict = Verdict::Suppressed {
                    rule: oncodata_disclosure::table::SECONDARY,
                    reason: format!(
                        "shown, it would let a withheld cell be recomputed from the others and the margins by {}",
                        by.join(", ")
                    ),
                };
            }
        }
    }

    let label = |row: usize| -> Vec<String> { labels.iter().map(|l| l[row - 1].clone().unwrap_or_default()).collect() };
    let shown = |c: &oncodata_disclosure::CellCheck| c.count.map(|n| n.to_string()).unwrap_or_default();
    let describe = |c: &oncodata_disclosure::CellCheck| match &c.verdict {
        Verdict::Safe => ("safe", "", String::new()),
        Verdict::Suppressed { rule, reason } => ("suppressed", *rule, reason.clone()),
    };
    match format {
        Format::Json => {
            let cells: Vec<_> = check
                .cells
                .iter()
                .map(|c| {
                    let (v, rule, reason) = describe(c);
                    json!({"row": c.row, "by": label(c.row), "count": c.count, "verdict": v, "rule": rule, "reason": reason})
                })
                .collect();
            let out = json!({"audience": audience.name(), "min_persons": rules.min_persons, "unrestricted": rules.unrestricted,
                "cells": cells, "suppressed": check.suppressed(), "safe": check.is_safe()});
            println!("{out}");
        }
        Format::Csv | Format::Table => {
            let mut header: Vec<String> = vec!["row".into()];
            header.extend(by.iter().cloned());
            header.extend([count.clone(), "verdict".into(), "rule".into(), "reason".into()]);
            let mut lines = vec![header];
            for c in &check.cells {
                let (v, rule, reason) = describe(c);
                let mut line = vec![c.row.to_string()];
                line.extend(label(c.row));
                line.extend([shown(c), v.into(), rule.into(), reason]);
                lines.push(line);
            }
            if matches!(format, Format::Csv) {
                let mut w = csv::Writer::from_writer(std::io::stdout());
                for l in &lines {
                    w.write_record(l)?;
                }
                w.flush()?;
            } else {
                let widths: Vec<usize> = (0..lines[0].len())
                    .map(|i| lines.iter().map(|l| l[i].chars().count()).max().unwrap_or(0))
                    .collect();
                for l in &lines {
                    let cells: Vec<String> = l.iter().zip(&widths).map(|(s, w)| format!("{s:<w$}")).collect();
                    println!("{}", cells.join("  ").trim_end());
                }
            }
        }
    }
    let what = if rules.unrestricted {
        format!("the {} audience is unrestricted", audience.name())
    } else {
        format!("no count of 1 to {} persons for the {} audience", rules.min_persons - 1, audience.name())
    };
    if check.is_safe() {
        eprintln!("✓ {}: safe to publish ({what}); {} cells checked", file.display(), check.cells.len());
        Ok(())
    } else {
        Err(format!(
            "{}: not safe to publish: {} of {} cells would be withheld ({what})",
            file.display(),
            check.suppressed(),
            check.cells.len()
        )
        .into())
    }
}

/// `oncodata disclosure round`: the table with its margins rounded under control.
fn round(file: &std::path::Path, count: &str, by: &[String], base: u64, format: Format) -> CliResult {
    if base < 2 {
        return Err("--base: 2 or more (5 or 10 as a rule)".into());
    }
    let table = Columns::read(file)?;
    let texts = table.optional_texts(count)?;
    let labels: Vec<Vec<Option<String>>> = by.iter().map(|c| table.optional_texts(c)).collect::<Result<_, _>>()?;
    let counts: Vec<Option<&str>> = texts.iter().map(|t| t.as_deref()).collect();
    // Counts of persons, whole numbers (the frequency rule's reader says which row is not).
    let checked = check_counts(&counts, &Policy::default().audience.steward)
        .map_err(|e| format!("{}: {e} (column {count})", file.display()))?;
    let mut numbers = Vec::with_capacity(counts.len());
    for c in &checked.cells {
        numbers.push(c.count.ok_or_else(|| format!("{}: row {}: no count to round", file.display(), c.row))?);
    }
    let keys: Vec<Vec<String>> =
        (0..numbers.len()).map(|r| labels.iter().map(|l| l[r].clone().unwrap_or_default()).collect()).collect();
    let rows = oncodata_disclosure::table::round_rows(by, &keys, &numbers, base)
        .map_err(|e| format!("{}: {e}", file.display()))?;
    let mut header: Vec<String> = by.to_vec();
    header.extend([count.to_string(), "rounded".into()]);
    let records: Vec<Vec<String>> = rows
        .iter()
        .map(|(key, n)| {
            let mut r = key.clone();
            r.extend([n.to_string(), format!("base {base}")]);
            r
        })
        .collect();
    match format {
        Format::Json => {
            let out: Vec<_> = records
                .iter()
                .map(|r| header.iter().zip(r).map(|(h, v)| (h.clone(), json!(v))).collect::<serde_json::Map<_, _>>())
                .collect();
            println!("{}", json!(out));
        }
        Format::Csv | Format::Table => {
            let mut w = csv::Writer::from_writer(std::io::stdout());
            w.write_record(&header)?;
            for r in &records {
                w.write_record(r)?;
            }
            w.flush()?;
        }
    }
    eprintln!(
        "✓ {}: {} rows and {} margins rounded under control to base {base} (every margin the sum of its parts)",
        file.display(),
        numbers.len(),
        rows.len() - numbers.len()
    );
    Ok(())
}
