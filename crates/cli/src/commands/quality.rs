//! `oncodata quality`: the registry data-quality indicators by dataset (registry), site group
//! and year, and the counts per validation rule — in the terminal, as CSV and as an HTML page.
//!
//! Indicators (Bray & Parkin, "Evaluation of data quality in the cancer registry", Eur J Cancer
//! 2009; IARC Technical Publication 43; the registry-and-epi-methods notes §2):
//! - `pct_mv`: microscopically verified, basis of diagnosis 5–8, per 100 cases;
//! - `pct_dco`: death certificate only, basis 0;
//! - `pct_psu`: primary site unknown, topography C80.9;
//! - `pct_stage_unknown`: no stage group;
//! - `mi_ratio`: deaths in the year among the dataset's patients with a tumour of the site
//!   group, over the cases of the year — only where the dataset records vital status.
//!
//! Percentages have every registered case of the cell as denominator (basis unknown included).

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
}

/// The indicators by dataset, site group and year. A tumour's stage is known when it has a
/// stage group (TNM, or the source's own) or a SEER summary stage other than 8 (not
/// applicable) and 9 (unknown).
pub const INDICATORS_SQL: &str = "
WITH t AS (
  SELECT t.dataset, coalesce(t.site_group, 'other') AS site_group, t.incidence_year AS year,
         t.basis_of_diagnosis AS basis, t.topography, t.stage, t.summary_stage, p.death_date, p.vital_status
  FROM tumours t LEFT JOIN patients p ON p.dataset = t.dataset AND p.patient_id = t.patient_id
),
known AS (
  SELECT dataset, bool_or(vital_status <> 'unknown') AS vital_known FROM t GROUP BY dataset
),
cases AS (
  SELECT dataset, site_group, year, count(*) AS cases,
         sum(CASE WHEN basis BETWEEN 5 AND 8 THEN 1 ELSE 0 END) AS mv,
         sum(CASE WHEN basis = 0 THEN 1 ELSE 0 END) AS dco,
         sum(CASE WHEN topography = 'C80.9' THEN 1 ELSE 0 END) AS psu,
         sum(CASE WHEN (stage IS NULL OR upper(stage) IN ('X', 'UNKNOWN', '9'))
                   AND (summary_stage IS NULL OR summary_stage NOT IN ('0', '1', '2', '3', '4', '5', '7'))
                  THEN 1 ELSE 0 END) AS stage_unknown
  FROM t GROUP BY dataset, site_group, year
),
deaths AS (
  SELECT dataset, site_group, CAST(date_part('year', death_date) AS INT) AS year, count(*) AS deaths
  FROM t WHERE death_date IS NOT NULL GROUP BY 1, 2, 3
)
SELECT c.dataset, c.site_group, c.year, c.cases,
       round(100.0 * c.mv / c.cases, 2) AS pct_mv,
       round(100.0 * c.dco / c.cases, 2) AS pct_dco,
       round(100.0 * c.psu / c.cases, 2) AS pct_psu,
       round(100.0 * c.stage_unknown / c.cases, 2) AS pct_stage_unknown,
       CASE WHEN k.vital_known THEN round(CAST(coalesce(d.deaths, 0) AS DOUBLE) / c.cases, 4) END AS mi_ratio
FROM cases c
JOIN known k ON k.dataset = c.dataset
LEFT JOIN deaths d ON d.dataset = c.dataset AND d.site_group = c.site_group AND d.year = c.year
ORDER BY c.dataset, c.site_group, c.year";

/// The records per rule: quarantined (errors) and accepted with a warning.
pub const RULES_SQL: &str = "
SELECT dataset, rule_id, severity, count(*) AS records FROM (
  SELECT dataset, unnest(string_to_array(rule_ids, ';')) AS rule_id, 'quarantined' AS severity FROM quarantine
  UNION ALL
  SELECT dataset, rule_id, 'warning' AS severity FROM warnings
) GROUP BY dataset, rule_id, severity ORDER BY dataset, severity, records DESC, rule_id";

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
    let indicators = w.query(INDICATORS_SQL)?;
    let rules = w.query(RULES_SQL)?;
    match args.format {
        Format::Table => {
            println!("Data quality indicators (per 100 cases; M:I where vital status is recorded)");
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
             % primary site unknown (C80.9), % stage unknown, mortality:incidence ratio where vital status is \
             recorded; by dataset, site group and year.</p>\n{}{}</body></html>\n",
            dir.display(),
            html_table("Indicators", &indicators)?,
            html_table("Records per rule", &rules)?
        );
        std::fs::write(path, page).map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("✓ HTML report written to {}", path.display());
    }
    Ok(())
}
