//! The data-quality indicators of each registry (Bray & Parkin, "Evaluation of data quality in
//! the cancer registry", Eur J Cancer 2009; IARC Technical Publication 43; the
//! registry-and-epi-methods notes §2), by registry dataset, site group and year, on the
//! registry's own invasive cases as CanReg5 and the ENCR compute them (in situ and benign
//! tumours are not in these indicators):
//!
//! - on a linked warehouse, the registry's primaries (each reportable invasive primary with a
//!   record of that registry, once, with its consolidated values); else its own records;
//! - `pct_mv`: microscopically verified, basis of diagnosis 5–8, per 100 cases;
//! - `pct_dco`: death certificate only, basis 0;
//! - `pct_psu`: primary site unknown, topography C80.9;
//! - `pct_stage_unknown`: no stage group, no summary stage 0–7;
//! - `mi_ratio`: the mortality:incidence ratio, the population's deaths from the site group's
//!   cancers (the `mortality` table, `oncodata ingest --source mortality`: CépiDc, the WHO
//!   Mortality Database) in the registry's covered areas in the year, divided by the cell's
//!   cases (Bray & Parkin 2009, §3.3; never the registry's own all-cause deaths). It is
//!   computable only for a registry whose coverage is declared and a year for which the
//!   mortality source has deaths in every covered area; otherwise empty, and
//!   [`Indicators::mortality`] says why.
//!
//! Percentages have every case of the cell as denominator (basis unknown included).

use oncodata_warehouse::{QueryResult, Value, Warehouse};

use crate::AnalysisError;
use crate::cohort::REGISTRY_SOURCES;

/// The indicators of [`indicators`] and where their mortality came from.
#[derive(Debug)]
pub struct Indicators {
    /// `dataset, site_group, year, cases, pct_mv, pct_dco, pct_psu, pct_stage_unknown,
    /// mi_ratio`, by registry dataset, site group and year.
    pub table: QueryResult,
    /// Whether M:I could be computed, in words: the mortality source used, or why not.
    pub mortality: String,
}

/// The indicators by registry dataset, site group and year, with the M:I ratio wherever the
/// warehouse holds the population's cancer deaths for the registry's area and year.
///
/// ```no_run
/// # async fn f(w: &oncodata_warehouse::Warehouse) -> Result<(), oncodata_analyses::AnalysisError> {
/// let q = oncodata_analyses::quality::indicators(w).await?;
/// println!("{}\n{}", q.mortality, q.table.to_pretty()?);
/// # Ok(()) }
/// ```
pub async fn indicators(w: &Warehouse) -> Result<Indicators, AnalysisError> {
    let tables = w.tables()?;
    let has = |t: &str| tables.iter().any(|x| x == t);
    let linked = has("primaries");
    let registry = REGISTRY_SOURCES.map(|s| format!("'{s}'")).join(", ");
    let cases = if linked {
        format!(
            "SELECT DISTINCT pt.dataset, p.primary_id, coalesce(p.site_group, 'other') AS site_group, \
               p.incidence_year AS year, p.basis_of_diagnosis AS basis, p.topography, p.stage, \
               CAST(NULL AS VARCHAR) AS summary_stage \
             FROM primaries p JOIN primary_tumours pt ON pt.primary_id = p.primary_id \
             JOIN tumours t ON t.dataset = pt.dataset AND t.tumour_id = pt.tumour_id \
             WHERE t.source IN ({registry}) AND p.reportable AND p.behaviour = 3"
        )
    } else {
        format!(
            "SELECT t.dataset, t.tumour_id AS primary_id, coalesce(t.site_group, 'other') AS site_group, \
               t.incidence_year AS year, t.basis_of_diagnosis AS basis, t.topography, t.stage, t.summary_stage \
             FROM tumours t WHERE t.source IN ({registry}) AND t.behaviour = 3"
        )
    };
    let per_cell = format!(
        "WITH t AS ({cases}) \
         SELECT dataset, site_group, year, count(*) AS cases, \
           round(100.0 * sum(CASE WHEN basis BETWEEN 5 AND 8 THEN 1 ELSE 0 END) / count(*), 2) AS pct_mv, \
           round(100.0 * sum(CASE WHEN basis = 0 THEN 1 ELSE 0 END) / count(*), 2) AS pct_dco, \
           round(100.0 * sum(CASE WHEN topography = 'C80.9' THEN 1 ELSE 0 END) / count(*), 2) AS pct_psu, \
           round(100.0 * sum(CASE WHEN (stage IS NULL OR upper(stage) IN ('X', 'UNKNOWN', '9')) \
                                   AND (summary_stage IS NULL OR summary_stage NOT IN ('0', '1', '2', '3', '4', '5', '7')) \
                              THEN 1 ELSE 0 END) / count(*), 2) AS pct_stage_unknown \
         FROM t GROUP BY dataset, site_group, year"
    );
    let (sql, mortality) = if has("mortality") && has("coverage") {
        // Deaths of the covered areas, by registry, site group and year; M:I only where every
        // covered area has deaths in the year.
        let sql = format!(
            "WITH q AS ({per_cell}), \
             covered AS (SELECT c.dataset, c.area, y.year FROM coverage c \
               JOIN (SELECT DISTINCT year FROM mortality) y ON y.year BETWEEN c.first_year AND c.last_year), \
             complete AS (SELECT c.dataset, c.year FROM covered c \
               LEFT JOIN (SELECT DISTINCT area, year FROM mortality) m ON m.area = c.area AND m.year = c.year \
               GROUP BY c.dataset, c.year HAVING count(m.area) = count(*)), \
             deaths AS (SELECT c.dataset, m.site_group, m.year, sum(m.deaths) AS deaths FROM mortality m \
               JOIN covered c ON c.area = m.area AND c.year = m.year \
               WHERE m.site_group IS NOT NULL GROUP BY c.dataset, m.site_group, m.year) \
             SELECT q.dataset, q.site_group, q.year, q.cases, q.pct_mv, q.pct_dco, q.pct_psu, q.pct_stage_unknown, \
               CASE WHEN k.dataset IS NULL THEN CAST(NULL AS DOUBLE) \
                    ELSE round(CAST(coalesce(d.deaths, 0) AS DOUBLE) / q.cases, 3) END AS mi_ratio \
             FROM q LEFT JOIN complete k ON k.dataset = q.dataset AND k.year = q.year \
             LEFT JOIN deaths d ON d.dataset = q.dataset AND d.site_group = q.site_group AND d.year = q.year \
             ORDER BY q.dataset, q.site_group, q.year"
        );
        let note = "M:I from the mortality table's cancer deaths of each registry's covered areas (empty where a \
                    covered area has no deaths in the year)";
        (sql, note.to_string())
    } else {
        let sql =
            format!("SELECT *, CAST(NULL AS DOUBLE) AS mi_ratio FROM ({per_cell}) ORDER BY dataset, site_group, year");
        let why = if has("mortality") {
            "M:I not computable: no registry declares its coverage (ingest with --coverage AREAS:FIRST-LAST)"
        } else {
            "M:I not computable: no mortality source (oncodata ingest --source mortality FILE)"
        };
        (sql, why.to_string())
    };
    Ok(Indicators { table: w.query_async(&sql).await?, mortality })
}

/// The records per rule: quarantined (errors) and accepted with a warning, by dataset:
/// `dataset, rule_id, severity, records`, most records first. A quarantined record counts once
/// under each rule it broke (its `rule_ids`, `;`-separated, are split here rather than by SQL's
/// `unnest`, which an Apache Ballista cluster cannot run).
pub async fn records_per_rule(w: &Warehouse) -> Result<QueryResult, AnalysisError> {
    let mut counts: std::collections::BTreeMap<(String, &'static str, String), i64> = Default::default();
    // A table with no row (or none at all) is not queried.
    if w.rows("quarantine") > 0 {
        let sql = "SELECT dataset, rule_ids, count(*) AS records FROM quarantine GROUP BY dataset, rule_ids";
        for r in w.query_async(sql).await?.rows()? {
            let n = r[2].as_f64().unwrap_or(0.0) as i64;
            for rule in r[1].as_text().split(';').filter(|s| !s.is_empty()) {
                *counts.entry((r[0].as_text(), "quarantined", rule.to_string())).or_default() += n;
            }
        }
    }
    if w.rows("warnings") > 0 {
        let sql = "SELECT dataset, rule_id, count(*) AS records FROM warnings GROUP BY dataset, rule_id";
        for r in w.query_async(sql).await?.rows()? {
            let n = r[2].as_f64().unwrap_or(0.0) as i64;
            *counts.entry((r[0].as_text(), "warning", r[1].as_text())).or_default() += n;
        }
    }
    let mut rows: Vec<(String, &'static str, String, i64)> =
        counts.into_iter().map(|((dataset, severity, rule), n)| (dataset, severity, rule, n)).collect();
    rows.sort_by(|a, b| (&a.0, a.1, std::cmp::Reverse(a.3), &a.2).cmp(&(&b.0, b.1, std::cmp::Reverse(b.3), &b.2)));
    let rows: Vec<Vec<Value>> = rows
        .into_iter()
        .map(|(dataset, severity, rule, n)| {
            vec![Value::Text(dataset), Value::Text(rule), Value::Text(severity.to_string()), Value::Int(n)]
        })
        .collect();
    Ok(QueryResult::from_rows(&["dataset", "rule_id", "severity", "records"], &rows)?)
}
