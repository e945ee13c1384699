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
//! - `mi_ratio`: the mortality:incidence ratio needs the population's cancer deaths (a
//!   mortality source: CépiDc, WHO), never the registry's own all-cause deaths; none is loaded
//!   yet, so it is not computable (empty).
//!
//! Percentages have every case of the cell as denominator (basis unknown included).

use oncodata_warehouse::{QueryResult, Warehouse};

use crate::AnalysisError;
use crate::cohort::REGISTRY_SOURCES;

/// The indicators by registry dataset, site group and year: `dataset, site_group, year, cases,
/// pct_mv, pct_dco, pct_psu, pct_stage_unknown, mi_ratio`.
pub async fn indicators(w: &Warehouse) -> Result<QueryResult, AnalysisError> {
    let linked = w.tables()?.iter().any(|t| t == "primaries");
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
    let sql = format!(
        "WITH t AS ({cases}) \
         SELECT dataset, site_group, year, count(*) AS cases, \
           round(100.0 * sum(CASE WHEN basis BETWEEN 5 AND 8 THEN 1 ELSE 0 END) / count(*), 2) AS pct_mv, \
           round(100.0 * sum(CASE WHEN basis = 0 THEN 1 ELSE 0 END) / count(*), 2) AS pct_dco, \
           round(100.0 * sum(CASE WHEN topography = 'C80.9' THEN 1 ELSE 0 END) / count(*), 2) AS pct_psu, \
           round(100.0 * sum(CASE WHEN (stage IS NULL OR upper(stage) IN ('X', 'UNKNOWN', '9')) \
                                   AND (summary_stage IS NULL OR summary_stage NOT IN ('0', '1', '2', '3', '4', '5', '7')) \
                              THEN 1 ELSE 0 END) / count(*), 2) AS pct_stage_unknown, \
           CAST(NULL AS DOUBLE) AS mi_ratio \
         FROM t GROUP BY dataset, site_group, year ORDER BY dataset, site_group, year"
    );
    Ok(w.query_async(&sql).await?)
}

/// The records per rule: quarantined (errors) and accepted with a warning, by dataset.
pub async fn records_per_rule(w: &Warehouse) -> Result<QueryResult, AnalysisError> {
    Ok(w
        .query_async(
        "SELECT dataset, rule_id, severity, count(*) AS records FROM ( \
           SELECT dataset, unnest(string_to_array(rule_ids, ';')) AS rule_id, 'quarantined' AS severity FROM quarantine \
           UNION ALL \
           SELECT dataset, rule_id, 'warning' AS severity FROM warnings \
         ) GROUP BY dataset, rule_id, severity ORDER BY dataset, severity, records DESC, rule_id",
        )
        .await?)
}
