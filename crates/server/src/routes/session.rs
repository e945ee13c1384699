//! Signing in and out.

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use oncodata_governance::User;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::{CSRF_COOKIE, Caller, SESSION_COOKIE};
use crate::error::{ApiResult, Body, ErrorBody};

/// A login.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// The account's name.
    pub name: String,
    /// Its password.
    pub password: String,
}

/// An open session.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionInfo {
    /// The account.
    pub user: User,
    /// The CSRF token to send in `X-CSRF-Token` with every change (also in the `oncodata_csrf` cookie).
    pub csrf_token: String,
    /// When the session ends (Unix seconds).
    pub expires: i64,
}

fn set_cookie(name: &str, value: &str, max_age: i64, http_only: bool) -> HeaderValue {
    let http_only = if http_only { "; HttpOnly" } else { "" };
    HeaderValue::from_str(&format!("{name}={value}; Path=/; Max-Age={max_age}; Secure; SameSite=Strict{http_only}"))
        .expect("cookie values are hexadecimal")
}

/// Signs in: sets the session cookie (HTTP-only, secure, same-site) and the CSRF cookie. Five
/// wrong passwords in a row lock the account for 15 minutes; ten attempts a minute from one
/// address are the most taken.
#[utoipa::path(post, path = "/api/session", tag = "session", security(()), request_body = Login,
    responses((status = 400, body = ErrorBody), (status = 200, body = SessionInfo), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(crate::ClientAddr(client)): ConnectInfo<crate::ClientAddr>,
    Body(login): Body<Login>,
) -> ApiResult<impl IntoResponse> {
    state.limiter.check(client.ip())?;
    let user = state.governance.authenticate(&login.name, login.password, &client.ip().to_string()).await?;
    let session = state.governance.open_session(user).await?;
    let age = session.expires - state.governance.now();
    let mut headers = HeaderMap::new();
    headers.append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, &session.secret, age, true));
    headers.append(header::SET_COOKIE, set_cookie(CSRF_COOKIE, &session.csrf, age, false));
    let info = SessionInfo { user: session.user, csrf_token: session.csrf, expires: session.expires };
    Ok((headers, axum::Json(info)))
}

/// Signs out.
#[utoipa::path(delete, path = "/api/session", tag = "session",
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn logout(State(state): State<AppState>, caller: Caller) -> ApiResult<impl IntoResponse> {
    let Caller::Session { user, secret } = &caller else {
        return Err(caller.account().err().unwrap_or_else(crate::error::ApiError::unauthenticated));
    };
    state.governance.close_session(secret, &user.name).await?;
    let mut headers = HeaderMap::new();
    headers.append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", 0, true));
    headers.append(header::SET_COOKIE, set_cookie(CSRF_COOKIE, "", 0, false));
    Ok((StatusCode::NO_CONTENT, headers))
}

/// The signed-in account.
#[utoipa::path(get, path = "/api/me", tag = "session",
    responses((status = 200, body = User), (status = 401, body = ErrorBody)))]
pub async fn me(caller: Caller) -> ApiResult<axum::Json<User>> {
    Ok(axum::Json(caller.account()?.clone()))
}
