//! The data steward's routes: the quarantine by rule, one record with its source text and the
//! rules it broke, the correction and re-ingest of a record, and the quality indicators by
//! registry, site group and year (`oncodata quarantine list|show`, `oncodata quality`). Reading
//! a record's source text and correcting it are audit events (the text itself is never logged).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use oncodata_governance::roles::Action;
use oncodata_ingest::rules::RULES;
use oncodata_warehouse::Warehouse;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Body, ErrorBody, QueryParams};

/// The most records one listing gives.
const MAX_RECORDS: usize = 2_000;

/// A listing's filters.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct QuarantineQuery {
    /// Only this dataset.
    pub dataset: Option<String>,
    /// Only records that broke this rule.
    pub rule: Option<String>,
}

/// A rule and how many quarantined records broke it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RuleCount {
    /// The rule's id (`iarc.morphology`…).
    pub rule: String,
    /// What it checks.
    pub description: String,
    /// Records that broke it.
    pub records: u64,
}

/// A quarantined record, without its text.
#[derive(Serialize, utoipa::ToSchema)]
pub struct QuarantineEntry {
    /// The dataset it was loaded into.
    pub dataset: String,
    /// Its source kind.
    pub source: String,
    /// The file it came from.
    pub source_file: String,
    /// Its number in the file.
    pub source_record: i64,
    /// Its id (`PAT-TUM`), when it could be read.
    pub record_id: String,
    /// The rules it broke, `;`-separated.
    pub rule_ids: String,
}

/// The quarantine.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Quarantine {
    /// Records per rule, most frequent first.
    pub rules: Vec<RuleCount>,
    /// The records (at most 2,000; `total` says how many match).
    pub records: Vec<QuarantineEntry>,
    /// Records matching the filters.
    pub total: u64,
}

/// A rule a record broke.
#[derive(Serialize, utoipa::ToSchema)]
pub struct BrokenRule {
    /// Its id.
    pub rule: String,
    /// What it checks.
    pub description: String,
}

/// One quarantined record with its source text.
#[derive(Serialize, utoipa::ToSchema)]
pub struct QuarantineRecord {
    /// Where it came from and the rules it broke.
    #[serde(flatten)]
    pub entry: QuarantineEntry,
    /// What each check said.
    pub messages: String,
    /// The record as the source holds it.
    pub raw: String,
    /// The rules with what they check.
    pub rules: Vec<BrokenRule>,
}

/// Which record.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct RecordQuery {
    /// Its source file, as listed.
    pub file: String,
    /// Its number in the file.
    pub record: i64,
}

/// A correction.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Fix {
    /// The record's source file, as listed.
    pub file: String,
    /// Its number in the file.
    pub record: i64,
    /// The corrected record: one line in the source's own format.
    pub raw: String,
}

/// What a correction did.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Fixed {
    /// Whether the corrected record was accepted (it left the quarantine).
    pub accepted: bool,
    /// The rules it still breaks.
    pub rules: Vec<String>,
    /// The snapshot that published the correction.
    pub snapshot: Option<u64>,
    /// In words: read = accepted + quarantined, and what to do next.
    pub summary: String,
}

/// A table of indicators.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Quality {
    /// The columns.
    pub columns: Vec<String>,
    /// The rows.
    #[schema(value_type = Vec<Vec<Value>>)]
    pub rows: Vec<Vec<serde_json::Value>>,
    /// How the mortality-to-incidence ratio was computed, or why not.
    pub note: String,
}

fn sql_text(v: &str) -> String {
    format!("'{}'", v.replace('\'', "''"))
}

fn store(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "store_unavailable", e.to_string())
}

fn warehouse(state: &AppState) -> ApiResult<Warehouse> {
    let root = &state.workspaces.warehouse;
    if !root.join("tables").join("quarantine").is_dir() {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "no quarantine: no source has been ingested"));
    }
    Warehouse::open(root).map_err(store)
}

fn describe(rule: &str) -> String {
    RULES.iter().find(|i| i.id == rule).map_or_else(String::new, |i| i.description.to_string())
}

/// The quarantine: records per rule, and the records (`oncodata quarantine list`).
#[utoipa::path(get, path = "/api/quarantine", tag = "curation", params(QuarantineQuery),
    responses((status = 400, body = ErrorBody), (status = 200, body = Quarantine), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn quarantine(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<QuarantineQuery>,
) -> ApiResult<Json<Quarantine>> {
    caller.account()?.may(Action::Curate)?;
    let w = warehouse(&state)?;
    let mut filters = vec!["true".to_string()];
    if let Some(d) = &query.dataset {
        filters.push(format!("dataset = {}", sql_text(d)));
    }
    if let Some(r) = &query.rule {
        filters.push(format!("array_has(string_to_array(rule_ids, ';'), {})", sql_text(r)));
    }
    let r = w
        .query_async(&format!(
            "SELECT dataset, source, source_file, source_record, coalesce(record_id, '') AS record_id, rule_ids FROM quarantine \
             WHERE {} ORDER BY dataset, source_file, source_record",
            filters.join(" AND ")
        ))
        .await
        .map_err(store)?;
    let rows = r.rows().map_err(store)?;
    let mut counts: std::collections::BTreeMap<String, u64> = Default::default();
    for row in &rows {
        for rule in row[5].as_text().split(';').filter(|r| !r.is_empty()) {
            *counts.entry(rule.to_string()).or_default() += 1;
        }
    }
    let mut rules: Vec<RuleCount> =
        counts.into_iter().map(|(rule, records)| RuleCount { description: describe(&rule), rule, records }).collect();
    rules.sort_by(|a, b| b.records.cmp(&a.records).then(a.rule.cmp(&b.rule)));
    let total = rows.len() as u64;
    let records = rows
        .into_iter()
        .take(MAX_RECORDS)
        .map(|r| QuarantineEntry {
            dataset: r[0].as_text(),
            source: r[1].as_text(),
            source_file: r[2].as_text(),
            source_record: r[3].as_text().parse().unwrap_or(0),
            record_id: r[4].as_text(),
            rule_ids: r[5].as_text(),
        })
        .collect();
    Ok(Json(Quarantine { rules, records, total }))
}

async fn quarantined(w: &Warehouse, file: &str, record: i64) -> ApiResult<QuarantineRecord> {
    let r = w
        .query_async(&format!(
            "SELECT dataset, source, source_file, source_record, coalesce(record_id, ''), rule_ids, messages, raw FROM quarantine \
             WHERE source_file = {} AND source_record = {record}",
            sql_text(file)
        ))
        .await
        .map_err(store)?;
    let rows = r.rows().map_err(store)?;
    let row = rows.first().ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("{file}:{record}: no such record in the quarantine"))
    })?;
    let rule_ids = row[5].as_text();
    Ok(QuarantineRecord {
        rules: rule_ids
            .split(';')
            .filter(|r| !r.is_empty())
            .map(|r| BrokenRule { rule: r.to_string(), description: describe(r) })
            .collect(),
        entry: QuarantineEntry {
            dataset: row[0].as_text(),
            source: row[1].as_text(),
            source_file: row[2].as_text(),
            source_record: record,
            record_id: row[4].as_text(),
            rule_ids,
        },
        messages: row[6].as_text(),
        raw: row[7].as_text(),
    })
}

/// One quarantined record with its source text (`oncodata quarantine show FILE:RECORD`); the
/// reading is an audit event.
#[utoipa::path(get, path = "/api/quarantine/record", tag = "curation", params(RecordQuery),
    responses((status = 400, body = ErrorBody), (status = 200, body = QuarantineRecord), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn record(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<RecordQuery>,
) -> ApiResult<Json<QuarantineRecord>> {
    let user = caller.account()?;
    user.may(Action::Curate)?;
    let w = warehouse(&state)?;
    let found = quarantined(&w, &query.file, query.record).await?;
    state
        .governance
        .record(
            &user.name,
            "quarantine_read",
            serde_json::json!({ "file": found.entry.source_file, "record": found.entry.source_record, "dataset": found.entry.dataset }),
        )
        .await?;
    Ok(Json(found))
}

/// Corrects a quarantined record and ingests it again into its dataset, in a snapshot of its
/// own (the corrected file is kept under `WAREHOUSE/corrections/`): accepted, it leaves the
/// quarantine; rejected again, its entry says the new verdict. Run `oncodata link` afterwards for
/// the consolidated primaries.
#[utoipa::path(post, path = "/api/quarantine/fix", tag = "curation", request_body = Fix,
    responses((status = 400, body = ErrorBody), (status = 200, body = Fixed), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn fix(State(state): State<AppState>, caller: Caller, Body(fix): Body<Fix>) -> ApiResult<Json<Fixed>> {
    let user = caller.account()?;
    user.may(Action::Curate)?;
    let w = warehouse(&state)?;
    let found = quarantined(&w, &fix.file, fix.record).await?;
    drop(w);
    let root = state.workspaces.warehouse.clone();
    let keys = state.workspaces.keys.clone();
    let actor = user.name.clone();
    let target = oncodata_ingest::load::Quarantined {
        dataset: found.entry.dataset.clone(),
        source: found.entry.source.clone(),
        source_file: found.entry.source_file.clone(),
        source_record: found.entry.source_record,
    };
    let raw = fix.raw;
    let done = tokio::task::spawn_blocking(move || -> Result<oncodata_ingest::load::Correction, String> {
        let verified =
            oncodata_ingest::Verified::load(&root.join("registrar").join("verified.csv")).map_err(|e| e.to_string())?;
        let keys = if keys.is_file() {
            let file = oncodata_pseudonym::KeyFile::load(&keys).map_err(|e| e.to_string())?;
            Some(std::sync::Arc::new(oncodata_pseudonym::Pseudonymiser::new(file)))
        } else {
            None
        };
        // A handle of its own: on an error nothing it staged is published.
        let w = Warehouse::open(&root).map_err(|e| e.to_string())?;
        oncodata_ingest::load::correct(&w, &target, &raw, verified, keys, &actor).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
    .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", e))?;
    let accepted = done.counts.accepted == done.counts.read && done.counts.read > 0;
    state
        .governance
        .record(
            &user.name,
            "quarantine_fix",
            serde_json::json!({
                "file": found.entry.source_file, "record": found.entry.source_record, "dataset": found.entry.dataset,
                "corrected_file": done.file.display().to_string(), "accepted": accepted, "snapshot": done.snapshot,
            }),
        )
        .await?;
    let c = done.counts;
    let summary = format!(
        "{}: read {} = accepted {} + quarantined {}; snapshot {}{}",
        done.file.display(),
        c.read,
        c.accepted,
        c.quarantined,
        done.snapshot.map_or("none".into(), |s| s.to_string()),
        if accepted {
            "; run `oncodata link` for the consolidated primaries".to_string()
        } else {
            format!("; still broken: {}", done.rules.join(", "))
        }
    );
    Ok(Json(Fixed { accepted, rules: done.rules, snapshot: done.snapshot, summary }))
}

/// The quality indicators by registry dataset, site group and year (`oncodata quality`): cases,
/// % microscopically verified, % death certificate only, % primary site unknown, % stage
/// unknown, mortality-to-incidence ratio.
#[utoipa::path(get, path = "/api/quality", tag = "curation",
    responses((status = 200, body = Quality), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn quality(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Quality>> {
    caller.account()?.may(Action::Curate)?;
    let w = Warehouse::open(&state.workspaces.warehouse).map_err(store)?;
    let found = oncodata_analyses::quality::indicators(&w).await.map_err(store)?;
    let columns = found.table.columns();
    let rows = found
        .table
        .rows()
        .map_err(store)?
        .into_iter()
        .map(|r| r.into_iter().map(crate::routes::projects::json_value).collect())
        .collect();
    Ok(Json(Quality { columns, rows, note: found.mortality }))
}
