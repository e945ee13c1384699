//! What anyone may read: health, the register (JSON and HTML), the OpenAPI description.

use axum::extract::State;
use axum::response::Html;
use oncodata_governance::register::Register;
use serde::Deserialize;

use crate::AppState;
use crate::error::{ApiResult, ErrorBody, QueryParams};

/// The server's health.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
}

/// Whether the server answers.
#[utoipa::path(get, path = "/healthz", tag = "public", security(()), responses((status = 200, body = Health)))]
pub async fn healthz() -> axum::Json<Health> {
    axum::Json(Health { status: "ok".into() })
}

/// The public register: every approved or refused project, and the decisions of each year.
#[utoipa::path(get, path = "/api/register", tag = "public", security(()),
    responses((status = 200, body = Register), (status = 503, body = ErrorBody)))]
pub async fn register(State(state): State<AppState>) -> ApiResult<axum::Json<Register>> {
    Ok(axum::Json(state.register().await?))
}

/// The page's language.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct Language {
    /// `fr` (the default) or `en`.
    pub lang: Option<String>,
}

/// The public register as a page (French by default, `?lang=en` in English).
#[utoipa::path(get, path = "/register", tag = "public", security(()), params(Language),
    responses((status = 400, body = ErrorBody), (status = 200, content_type = "text/html", body = String), (status = 503, body = ErrorBody)))]
pub async fn register_page(
    State(state): State<AppState>,
    QueryParams(language): QueryParams<Language>,
) -> ApiResult<Html<String>> {
    let register = state.register().await?;
    Ok(Html(oncodata_web::register::page_of(&register, oncodata_web::Lang::from_param(language.lang.as_deref()))))
}
