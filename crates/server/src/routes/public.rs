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

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The public register as a page (French by default, `?lang=en` in English).
#[utoipa::path(get, path = "/register", tag = "public", security(()), params(Language),
    responses((status = 400, body = ErrorBody), (status = 200, content_type = "text/html", body = String), (status = 503, body = ErrorBody)))]
pub async fn register_page(
    State(state): State<AppState>,
    QueryParams(language): QueryParams<Language>,
) -> ApiResult<Html<String>> {
    let register = state.register().await?;
    let en = language.lang.as_deref() == Some("en");
    let t = |fr: &'static str, english: &'static str| if en { english } else { fr };
    let outcome = |o: &str| match o {
        "approved" => t("autorisé", "approved"),
        "expired" => t("terminé", "ended"),
        _ => t("refusé", "refused"),
    };
    let mut rows = String::new();
    for p in &register.projects {
        rows += &format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            p.id,
            escape(&p.title),
            escape(&p.team.join(", ")),
            escape(&p.purpose),
            escape(&p.data.join(", ")),
            outcome(&p.outcome),
            p.decided,
            p.duration_months
        );
    }
    let mut years = String::new();
    for y in &register.years {
        years += &format!("<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n", y.year, y.approved, y.refused);
    }
    let lang = if en { "en" } else { "fr" };
    Ok(Html(format!(
        r#"<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;color:#111}}table{{border-collapse:collapse;margin-bottom:2rem}}th,td{{border:1px solid #666;padding:.3rem .6rem;text-align:left;vertical-align:top}}th{{background:#e8e8e8}}</style>
</head><body><main>
<h1>{title}</h1>
<p><a href="?lang={other}" hreflang="{other}">{switch}</a></p>
<table><caption>{projects}</caption>
<thead><tr><th scope="col">N°</th><th scope="col">{c_title}</th><th scope="col">{c_team}</th><th scope="col">{c_purpose}</th><th scope="col">{c_data}</th><th scope="col">{c_outcome}</th><th scope="col">{c_date}</th><th scope="col">{c_months}</th></tr></thead>
<tbody>
{rows}</tbody></table>
<table><caption>{per_year}</caption>
<thead><tr><th scope="col">{c_year}</th><th scope="col">{c_approved}</th><th scope="col">{c_refused}</th></tr></thead>
<tbody>
{years}</tbody></table>
</main></body></html>
"#,
        title = t("Registre public des projets", "Public register of projects"),
        other = if en { "fr" } else { "en" },
        switch = t("English", "Français"),
        projects = t("Projets autorisés et refusés", "Approved and refused projects"),
        c_title = t("Titre", "Title"),
        c_team = t("Équipe", "Team"),
        c_purpose = t("Finalité", "Purpose"),
        c_data = t("Données", "Data"),
        c_outcome = t("Décision", "Decision"),
        c_date = t("Date", "Date"),
        c_months = t("Durée (mois)", "Duration (months)"),
        per_year = t("Décisions par année", "Decisions per year"),
        c_year = t("Année", "Year"),
        c_approved = t("Autorisés", "Approved"),
        c_refused = t("Refusés", "Refused"),
    )))
}
