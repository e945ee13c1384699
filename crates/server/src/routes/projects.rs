//! A project's routes: its permit and its API tokens. Open to its members (signed in, or with a
//! token of that project) while its permit is in force.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use oncodata_governance::applications::Permit;
use oncodata_governance::sessions::{IssuedToken, TokenInfo};
use serde::Deserialize;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, Body, ErrorBody};

use axum::Json;

/// The permit of a project: what its workspace holds, for whom, until when.
#[utoipa::path(get, path = "/api/projects/{id}", tag = "projects",
    params(("id" = i64, Path, description = "The project's (application's) number")),
    responses((status = 200, body = Permit), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn permit(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>) -> ApiResult<Json<Permit>> {
    Ok(Json(state.governance.workspace_permit(caller.for_project(id)?, id).await?))
}

/// A new token's life.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// Days it lasts (1 to 90; never past the permit).
    #[serde(default = "thirty")]
    pub days: i64,
}

fn thirty() -> i64 {
    30
}

/// Makes an API token for a project's workspace (shown once: keep it like a password).
#[utoipa::path(post, path = "/api/projects/{id}/tokens", tag = "projects", request_body = TokenRequest,
    params(("id" = i64, Path, description = "The project's number")),
    responses((status = 201, body = IssuedToken), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn issue_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
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
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.governance.revoke_token(caller.account()?, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
