//! Applications for access: writing, the workflow's steps, conflicts, opinions, decisions.

use axum::extract::State;
use axum::http::StatusCode;
use oncodata_governance::Form;
use oncodata_governance::applications::{Application, Opinion, Summary};
use oncodata_governance::workflow::Step;
use serde::Deserialize;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiResult, Body, ErrorBody, Param};

use axum::Json;

/// The applications the caller may see.
#[utoipa::path(get, path = "/api/applications", tag = "applications",
    responses((status = 200, body = Vec<Summary>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<Summary>>> {
    Ok(Json(state.governance.applications(caller.account()?).await?))
}

/// Writes a new application (a draft).
#[utoipa::path(post, path = "/api/applications", tag = "applications", request_body = Form,
    responses((status = 400, body = ErrorBody), (status = 201, body = Application), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Body(form): Body<Form>,
) -> ApiResult<(StatusCode, Json<Application>)> {
    Ok((StatusCode::CREATED, Json(state.governance.create_application(caller.account()?, form).await?)))
}

/// An application, as the caller may see it.
#[utoipa::path(get, path = "/api/applications/{id}", tag = "applications", params(("id" = i64, Path, description = "The application's number")),
    responses((status = 400, body = ErrorBody), (status = 200, body = Application), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Param(id): Param<i64>,
) -> ApiResult<Json<Application>> {
    Ok(Json(state.governance.application(caller.account()?, id).await?))
}

/// Replaces a draft's form (or that of an application returned for changes).
#[utoipa::path(put, path = "/api/applications/{id}", tag = "applications", request_body = Form,
    params(("id" = i64, Path, description = "The application's number")),
    responses((status = 400, body = ErrorBody), (status = 200, body = Application), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Param(id): Param<i64>,
    Body(form): Body<Form>,
) -> ApiResult<Json<Application>> {
    Ok(Json(state.governance.update_application(caller.account()?, id, form).await?))
}

/// A step of the workflow.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepRequest {
    /// `submit`, `open_review`, `confirm_conditions` or `amend` (decisions: POST …/decision).
    pub step: Step,
    /// Why, or what comes with it.
    #[serde(default)]
    pub note: String,
}

/// Takes a step of the workflow.
#[utoipa::path(post, path = "/api/applications/{id}/steps", tag = "applications", request_body = StepRequest,
    params(("id" = i64, Path, description = "The application's number")),
    responses((status = 400, body = ErrorBody), (status = 200, body = Application), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn step(
    State(state): State<AppState>,
    caller: Caller,
    Param(id): Param<i64>,
    Body(request): Body<StepRequest>,
) -> ApiResult<Json<Application>> {
    let stepped = state.governance.step(caller.account()?, id, request.step, &request.note).await?;
    state.forget_register();
    state.build_if_granted(&stepped);
    Ok(Json(stepped))
}

/// A declared conflict of interest.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConflictRequest {
    /// What the conflict is.
    pub reason: String,
}

/// A committee member declares a conflict of interest: they can then neither read the
/// application's review nor vote on it.
#[utoipa::path(post, path = "/api/applications/{id}/conflicts", tag = "review", request_body = ConflictRequest,
    params(("id" = i64, Path, description = "The application's number")),
    responses((status = 400, body = ErrorBody), (status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn conflict(
    State(state): State<AppState>,
    caller: Caller,
    Param(id): Param<i64>,
    Body(request): Body<ConflictRequest>,
) -> ApiResult<StatusCode> {
    state.governance.declare_conflict(caller.account()?, id, &request.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An opinion.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// `favourable`, `favourable_with_conditions` or `unfavourable`.
    pub opinion: Opinion,
    /// What the member says.
    #[serde(default)]
    pub comment: String,
}

/// A committee member's opinion on an application under review (once per round).
#[utoipa::path(post, path = "/api/applications/{id}/reviews", tag = "review", request_body = ReviewRequest,
    params(("id" = i64, Path, description = "The application's number")),
    responses((status = 400, body = ErrorBody), (status = 200, body = Application), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn review(
    State(state): State<AppState>,
    caller: Caller,
    Param(id): Param<i64>,
    Body(request): Body<ReviewRequest>,
) -> ApiResult<Json<Application>> {
    Ok(Json(state.governance.review(caller.account()?, id, request.opinion, &request.comment).await?))
}

/// A decision.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// `request_changes`, `approve`, `approve_with_conditions` or `reject`.
    pub outcome: Step,
    /// Why (the applicant reads it; for requested changes, what to change).
    pub motivation: String,
    /// The conditions of a conditional approval.
    #[serde(default)]
    pub conditions: String,
}

/// The committee's decision on an application under review, with its motivation.
#[utoipa::path(post, path = "/api/applications/{id}/decision", tag = "review", request_body = DecisionRequest,
    params(("id" = i64, Path, description = "The application's number")),
    responses((status = 400, body = ErrorBody), (status = 200, body = Application), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    caller: Caller,
    Param(id): Param<i64>,
    Body(request): Body<DecisionRequest>,
) -> ApiResult<Json<Application>> {
    let user = caller.account()?;
    let decided = state.governance.decide(user, id, request.outcome, &request.motivation, &request.conditions).await?;
    state.forget_register();
    state.build_if_granted(&decided);
    Ok(Json(decided))
}
