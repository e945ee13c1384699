//! A project's routes: its permit and its API tokens. Open to its members (signed in, or with a
//! token of that project) while its permit is in force.

use axum::extract::State;
use axum::http::StatusCode;
use oncodata_governance::applications::Permit;
use oncodata_governance::queries::SavedQuery;
use oncodata_governance::sessions::{IssuedToken, TokenInfo};
use oncodata_governance::workspaces::Workspace;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Body, ErrorBody, Param};

use axum::Json;

/// A project: its permit and its workspace.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Project {
    /// What the workspace holds, for whom, until when.
    pub permit: Permit,
    /// The workspace's build (none before the first).
    pub workspace: Option<Workspace>,
}

/// A project: its permit and the state of its workspace.
#[utoipa::path(get, path = "/api/projects/{id}", tag = "projects",
    params(("id" = i64, Path, description = "The project's (application's) number")),
    responses((status = 400, body = ErrorBody), (status = 200, body = Project), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn permit(State(state): State<AppState>, caller: Caller, Param(id): Param<i64>) -> ApiResult<Json<Project>> {
    let permit = state.governance.workspace_permit(caller.for_project(id)?, id).await?;
    Ok(Json(Project { permit, workspace: state.governance.workspace(id).await? }))
}

/// A new token's life.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// Days it lasts (1 to 90; never past the permit).
    #[serde(default = "thirty", deserialize_with = "oncodata_governance::integer")]
    #[schema(minimum = 1, maximum = 90)]
    pub days: i64,
}

fn thirty() -> i64 {
    30
}

/// Makes an API token for a project's workspace (shown once: keep it like a password).
#[utoipa::path(post, path = "/api/projects/{id}/tokens", tag = "projects", request_body = TokenRequest,
    params(("id" = i64, Path, description = "The project's number")),
    responses((status = 400, body = ErrorBody), (status = 201, body = IssuedToken), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn issue_token(
    State(state): State<AppState>,
    caller: Caller,
    Param(id): Param<i64>,
    Body(request): Body<TokenRequest>,
) -> ApiResult<(StatusCode, Json<IssuedToken>)> {
    // A token does not make tokens: only a signed-in member does.
    let user = caller.account()?;
    Ok((StatusCode::CREATED, Json(state.governance.issue_token(user, id, request.days).await?)))
}

/// The caller's API tokens (never their secrets).
#[utoipa::path(get, path = "/api/tokens", tag = "projects",
    responses((status = 200, body = Vec<TokenInfo>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn tokens(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<TokenInfo>>> {
    Ok(Json(state.governance.tokens(caller.account()?).await?))
}

/// Revokes one of the caller's API tokens.
#[utoipa::path(delete, path = "/api/tokens/{id}", tag = "projects",
    params(("id" = String, Path, description = "The token's public id")),
    responses((status = 400, body = ErrorBody), (status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Param(id): Param<String>,
) -> ApiResult<StatusCode> {
    state.governance.revoke_token(caller.account()?, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A statement for a project's workspace.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SqlRequest {
    /// One SQL statement (Apache DataFusion's dialect), read-only, on the workspace's tables.
    pub sql: String,
    /// How the result comes back.
    #[serde(default)]
    pub format: ResultFormat,
}

/// The format of a result.
#[derive(Deserialize, Default, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResultFormat {
    /// `{"columns": […], "rows": [[…], …]}`, up to [`MAX_JSON_ROWS`] rows.
    #[default]
    Json,
    /// CSV with a header line.
    Csv,
    /// An Arrow IPC stream (pyarrow `ipc.open_stream`, R arrow `read_ipc_stream`), any size.
    Arrow,
}

/// The most rows a JSON result holds; larger results come as Arrow or CSV.
pub const MAX_JSON_ROWS: usize = 10_000;

/// A result as JSON.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SqlResult {
    /// The columns.
    pub columns: Vec<String>,
    /// The rows, each a list of values (null, number, boolean or string).
    #[schema(value_type = Vec<Vec<Value>>)]
    pub rows: Vec<Vec<serde_json::Value>>,
}

pub(crate) fn json_value(v: oncodata_warehouse::Value) -> serde_json::Value {
    use oncodata_warehouse::Value;
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Int(i) => i.into(),
        Value::Float(f) => serde_json::Number::from_f64(f).map_or(serde_json::Value::Null, serde_json::Value::Number),
        Value::Bool(b) => b.into(),
        Value::Text(t) => t.into(),
    }
}

/// Runs a read-only statement on the project's workspace (the tables and columns its permit
/// names, under the project's pseudonyms); the statement and the SHA-256 of its result are in
/// the audit log before the result is sent.
#[utoipa::path(post, path = "/api/projects/{id}/sql", tag = "projects", request_body = SqlRequest,
    params(("id" = i64, Path, description = "The project's number")),
    responses(
        (status = 200, description = "The result, in the format asked for", content(
            (SqlResult = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.apache.arrow.stream"))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn sql(
    State(state): State<AppState>,
    caller: Caller,
    Param(id): Param<i64>,
    Body(request): Body<SqlRequest>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    use sha2::Digest;
    let user = caller.for_project(id)?;
    let folder = state.ready_workspace(user, id).await?;
    let workspace = oncodata_warehouse::Warehouse::open(&folder)
        .map_err(|e| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "workspace_unavailable", e.to_string()))?;
    let result = workspace.query_user_async(&request.sql).await.map_err(|e| ApiError::invalid(e.to_string()))?;
    let failed = |e: oncodata_warehouse::WarehouseError| {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
    };
    let (content_type, bytes) = match request.format {
        ResultFormat::Json => {
            if result.num_rows() > MAX_JSON_ROWS {
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "result_too_large",
                    format!(
                        "{} rows: a JSON result holds at most {MAX_JSON_ROWS}; ask for \"format\": \"arrow\" (or \"csv\")",
                        result.num_rows()
                    ),
                ));
            }
            let rows = result.rows().map_err(failed)?;
            let body = SqlResult {
                columns: result.columns(),
                rows: rows.into_iter().map(|r| r.into_iter().map(json_value).collect()).collect(),
            };
            ("application/json", serde_json::to_vec(&body).expect("JSON serialises"))
        }
        ResultFormat::Csv => ("text/csv", result.to_csv().map_err(failed)?.into_bytes()),
        ResultFormat::Arrow => ("application/vnd.apache.arrow.stream", result.to_arrow_ipc().map_err(failed)?),
    };
    state
        .governance
        .record(
            &user.name,
            "sql",
            serde_json::json!({
                "project": id,
                "statement": request.sql,
                "rows": result.num_rows(),
                "result_sha256": hex::encode(sha2::Sha256::digest(&bytes)),
            }),
        )
        .await?;
    Ok(([(axum::http::header::CONTENT_TYPE, content_type)], bytes).into_response())
}

/// A statement whose result is to leave the workspace.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportRequest {
    /// One SQL statement on the workspace: an aggregate with one COUNT column (COUNT(DISTINCT
    /// person_id) counts persons), as the project audience's disclosure control requires.
    pub sql: String,
}

/// A result checked for leaving the workspace.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Export {
    /// The columns: the groups, the count, the rest, and `suppressed` (the rule that withheld a
    /// row, empty when shown).
    pub columns: Vec<String>,
    /// The rows; a withheld row's count and what follows it are null.
    #[schema(value_type = Vec<Vec<Value>>)]
    pub rows: Vec<Vec<serde_json::Value>>,
    /// What disclosure control withheld, and why.
    pub notes: Vec<String>,
}

/// Output checking: a statement's result as it may leave the workspace — the project audience's
/// disclosure control (the warehouse's `disclosure.toml`): aggregates only, no count of 1 to 10
/// persons, secondary suppression with the margins, the dominance and p % rules on sums, the
/// differencing defence against the project's earlier exports. Recorded in the audit log before
/// it is sent.
#[utoipa::path(post, path = "/api/projects/{id}/exports", tag = "projects", request_body = ExportRequest,
    params(("id" = i64, Path, description = "The project's number")),
    responses((status = 200, body = Export), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    Param(id): Param<i64>,
    Body(request): Body<ExportRequest>,
) -> ApiResult<Json<Export>> {
    use sha2::Digest;
    let user = caller.for_project(id)?;
    let folder = state.ready_workspace(user, id).await?;
    let (warehouse, statement) = (state.workspaces.warehouse.clone(), request.sql.clone());
    let project = crate::workspace::project_name(id);
    // The project's releases outlive its workspace's rebuilds (the differencing defence
    // compares every export with all the project's earlier ones).
    let ledger = state.workspaces.ledger(id);
    // The disclosure library runs the warehouse's blocking facade: off the server's threads.
    let checked = tokio::task::spawn_blocking(move || -> Result<(Export, String), String> {
        let (policy, _) = oncodata_disclosure::Policy::of_warehouse(&warehouse).map_err(|e| e.to_string())?;
        let to = oncodata_disclosure::sql::Recipient {
            policy,
            audience: oncodata_disclosure::Audience::Project,
            project: Some(project),
            ledger: Some(ledger),
        };
        let w = oncodata_warehouse::Warehouse::open(&folder).map_err(|e| e.to_string())?;
        let mut notes = Vec::new();
        let result =
            oncodata_disclosure::sql::result_for(&w, &statement, &to, &mut notes).map_err(|e| e.to_string())?;
        let csv = result.to_csv().map_err(|e| e.to_string())?;
        let rows = result.rows().map_err(|e| e.to_string())?;
        let export = Export {
            columns: result.columns(),
            rows: rows.into_iter().map(|r| r.into_iter().map(json_value).collect()).collect(),
            notes,
        };
        Ok((export, csv))
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    let (export, csv) =
        checked.map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "refused_by_output_checking", e))?;
    let withheld = export.rows.iter().filter(|r| r.last().is_some_and(|v| !v.is_null())).count();
    state
        .governance
        .record(
            &user.name,
            "export",
            serde_json::json!({
                "project": id,
                "statement": request.sql,
                "rows": export.rows.len(),
                "withheld": withheld,
                "result_sha256": hex::encode(sha2::Sha256::digest(csv.as_bytes())),
            }),
        )
        .await?;
    Ok(Json(export))
}

/// A query to save.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewQuery {
    /// Its name (1 to 100 characters).
    pub name: String,
    /// The statement.
    pub sql: String,
}

/// The project's saved queries, newest first.
#[utoipa::path(get, path = "/api/projects/{id}/queries", tag = "projects",
    params(("id" = i64, Path, description = "The project's number")),
    responses((status = 400, body = ErrorBody), (status = 200, body = Vec<SavedQuery>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn saved_queries(
    State(state): State<AppState>,
    caller: Caller,
    Param(id): Param<i64>,
) -> ApiResult<Json<Vec<SavedQuery>>> {
    let user = caller.for_project(id)?;
    Ok(Json(state.governance.saved_queries(user, id).await?))
}

/// Saves a query in the project (its statement's SHA-256 in the audit log).
#[utoipa::path(post, path = "/api/projects/{id}/queries", tag = "projects", request_body = NewQuery,
    params(("id" = i64, Path, description = "The project's number")),
    responses((status = 400, body = ErrorBody), (status = 201, body = SavedQuery), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn save_query(
    State(state): State<AppState>,
    caller: Caller,
    Param(id): Param<i64>,
    Body(query): Body<NewQuery>,
) -> ApiResult<(StatusCode, Json<SavedQuery>)> {
    let user = caller.for_project(id)?;
    Ok((StatusCode::CREATED, Json(state.governance.save_query(user, id, &query.name, &query.sql).await?)))
}
