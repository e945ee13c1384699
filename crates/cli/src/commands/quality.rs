//! `oncodata quality`: each registry's data-quality indicators by site group and year, and the
//! counts per validation rule — in the terminal, as CSV and as an HTML page. The indicators and
//! their definitions are `oncodata_analyses::quality`'s.

use std::path::PathBuf;

use oncodata_warehouse::QueryResult;

use super::{CliResult, Format};
use crate::WarehouseArg;

/// Arguments of `oncodata quality`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    warehouse: WarehouseArg,
    /// Output format of the terminal report.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Also write the indicators as CSV to this file.
    #[arg(long, value_name = "FILE")]
    csv: Option<PathBuf>,
    /// Also write both tables as an HTML page.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Whom the report is for: steward (a data steward's tool, raw figures), project or
    /// public. For the public and projects, the warehouse's `disclosure.toml` applies
    /// (by default no count of 1-10): a withheld row of indicators loses its count and
    /// percentages, a withheld count of records per rule is empty; the `suppressed` column says
    /// by which rule. Default: the policy's (`[default] quality`, steward).
    #[arg(long)]
    audience: Option<String>,
}

fn html_table(title: &str, r: &QueryResult) -> Result<String, Box<dyn std::error::Error>> {
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let mut h = format!("<h2>{}</h2>\n<table>\n<tr>", esc(title));
    for c in r.columns() {
        h.push_str(&format!("<th>{}</th>", esc(&c)));
    }
    h.push_str("</tr>\n");
    for row in r.rows()? {
        h.push_str("<tr>");
        for v in row {
            h.push_str(&format!("<td>{}</td>", esc(&v.as_text())));
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
    Ok(h)
}

/// Runs the command.
pub fn run(args: Args) -> CliResult {
    let dir = &args.warehouse.warehouse;
    if !dir.join("tables").join("tumours").is_dir() {
        return Err(format!("{}: no tumours loaded (oncodata ingest first)", dir.display()).into());
    }
    let w = args.warehouse.open()?;
    let oncodata_analyses::quality::Indicators { table: indicators, mortality } =
        w.block_on(oncodata_analyses::quality::indicators(&w))?;
    let rules = w.block_on(oncodata_analyses::quality::records_per_rule(&w))?;
    let policy = super::disclosure::policy_of(dir)?;
    let audience = super::disclosure::audience_for(args.audience.as_deref(), &policy, "quality")?;
    let (indicators, rules) = if policy.rules(audience).unrestricted {
        (indicators, rules)
    } else {
        // dataset, site_group, year | cases, percentages…; dataset, rule_id, severity | records.
        let position = |r: &QueryResult, name: &str| {
            r.columns().iter().position(|c| c == name).ok_or_else(|| format!("quality report: no column {name}"))
        };
        let (cases, records) = (position(&indicators, "cases")?, position(&rules, "records")?);
        (
            super::disclosure::withhold_result(&indicators, cases, &[], &policy, audience)?,
            super::disclosure::withhold_result(&rules, records, &[], &policy, audience)?,
        )
    };
    match args.format {
        Format::Table => {
            println!("Data quality indicators of each registry's invasive cases (per 100 cases; {mortality})");
            println!("{}", indicators.to_pretty()?);
            println!("Records per rule");
            println!("{}", rules.to_pretty()?);
        }
        Format::Csv => print!("{}", indicators.to_csv()?),
        Format::Json => println!("{{\"indicators\": {}, \"rules\": {}}}", indicators.to_json()?, rules.to_json()?),
    }
    if let Some(path) = &args.csv {
        std::fs::write(path, indicators.to_csv()?).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("✓ indicators written to {}", path.display());
    }
    if let Some(path) = &args.html {
        let page = format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>oncodata data quality</title>\n<style>\
             body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}\
             td,th{{border:1px solid #ccc;padding:2px 8px;text-align:right}}th{{background:#eee}}</style></head><body>\n\
             <h1>Data quality — {}</h1>\n<p>% microscopically verified (basis 5–8), % death certificate only, \
             % primary site unknown (C80.9), % stage unknown of each registry's invasive cases (its primaries once \
             linked) and the mortality:incidence ratio ({}); by registry, site group and year.</p>\n{}{}</body></html>\n",
            dir.display(),
            mortality.replace('&', "&amp;").replace('<', "&lt;"),
            html_table("Indicators", &indicators)?,
            html_table("Records per rule", &rules)?
        );
        std::fs::write(path, page).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("✓ HTML report written to {}", path.display());
    }
    Ok(())
}
