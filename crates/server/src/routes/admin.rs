//! Administration: accounts and the audit log.

use axum::extract::State;
use axum::http::StatusCode;
use oncodata_governance::{Action, Role, User};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Body, ErrorBody, Param};

use axum::Json;

/// Every account.
#[utoipa::path(get, path = "/api/users", tag = "admin",
    responses((status = 200, body = Vec<User>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn users(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<User>>> {
    caller.account()?.may(Action::ManageUsers)?;
    Ok(Json(state.governance.users().await?))
}

/// A new account.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// Its name.
    pub name: String,
    /// `applicant`, `committee`, `steward` or `admin`.
    pub role: String,
    /// Its first password (at least 12 characters).
    pub password: String,
}

/// Adds an account.
#[utoipa::path(post, path = "/api/users", tag = "admin", request_body = NewUser,
    responses((status = 400, body = ErrorBody), (status = 201, body = User), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_user(
    State(state): State<AppState>,
    caller: Caller,
    Body(new): Body<NewUser>,
) -> ApiResult<(StatusCode, Json<User>)> {
    let admin = caller.account()?;
    admin.may(Action::ManageUsers)?;
    let role = Role::parse(&new.role).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
            "role: applicant, committee, steward or admin",
        )
    })?;
    Ok((StatusCode::CREATED, Json(state.governance.add_user(&admin.name, &new.name, role, new.password).await?)))
}

/// Disables an account (its sessions and tokens end).
#[utoipa::path(post, path = "/api/users/{name}/disable", tag = "admin",
    params(("name" = String, Path, description = "The account's name")),
    responses((status = 400, body = ErrorBody), (status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn disable_user(
    State(state): State<AppState>,
    caller: Caller,
    Param(name): Param<String>,
) -> ApiResult<StatusCode> {
    let admin = caller.account()?;
    admin.may(Action::ManageUsers)?;
    state.governance.disable_user(&admin.name, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new password.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    /// At least 12 characters.
    pub password: String,
}

/// Sets an account's password (unlocking and enabling it; its sessions end).
#[utoipa::path(post, path = "/api/users/{name}/password", tag = "admin", request_body = NewPassword,
    params(("name" = String, Path, description = "The account's name")),
    responses((status = 400, body = ErrorBody), (status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn reset_password(
    State(state): State<AppState>,
    caller: Caller,
    Param(name): Param<String>,
    Body(new): Body<NewPassword>,
) -> ApiResult<StatusCode> {
    let admin = caller.account()?;
    admin.may(Action::ManageUsers)?;
    state.governance.reset_password(&admin.name, &name, new.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The audit log's state.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditState {
    /// Events in the log.
    pub events: u64,
    /// Events whose details were erased.
    pub erased: u64,
    /// Signed checkpoints.
    pub checkpoints: u64,
    /// Events after the last checkpoint.
    pub unsigned: u64,
    /// The last checkpoint (JSON as `oncodata audit checkpoint` prints it).
    #[schema(value_type = Object)]
    pub last_checkpoint: Option<serde_json::Value>,
    /// The log's public key (hexadecimal Ed25519).
    pub public_key: String,
}

async fn audit_state(state: &AppState) -> ApiResult<AuditState> {
    let log = state.governance.audit().clone();
    let blocking = tokio::task::spawn_blocking(move || -> Result<AuditState, oncodata_audit::AuditError> {
        let report = log.verify(None, None)?;
        Ok(AuditState {
            events: report.events,
            erased: report.erased,
            checkpoints: report.checkpoints,
            unsigned: report.unsigned,
            last_checkpoint: log.last_checkpoint()?.map(|c| serde_json::to_value(c).expect("serialises")),
            public_key: log.public_key_hex()?,
        })
    });
    blocking.await.map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?.map_err(
        |e| {
            let tampered = matches!(e, oncodata_audit::AuditError::Tampered(_));
            ApiError::new(
                if tampered { StatusCode::CONFLICT } else { StatusCode::SERVICE_UNAVAILABLE },
                if tampered { "audit_tampered" } else { "audit_unavailable" },
                e.to_string(),
            )
        },
    )
}

/// Verifies the audit log and gives its last checkpoint (`oncodata audit verify`'s result).
#[utoipa::path(get, path = "/api/audit", tag = "admin",
    responses((status = 200, body = AuditState), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn audit(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<AuditState>> {
    caller.account()?.may(Action::Audit)?;
    Ok(Json(audit_state(&state).await?))
}

/// Signs a checkpoint of the audit log now.
#[utoipa::path(post, path = "/api/audit/checkpoint", tag = "admin",
    responses((status = 200, body = AuditState), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn checkpoint(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<AuditState>> {
    caller.account()?.may(Action::Audit)?;
    state.governance.checkpoint().await?;
    Ok(Json(audit_state(&state).await?))
}
