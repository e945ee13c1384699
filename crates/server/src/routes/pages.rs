//! The web pages (`oncodata_web` draws them): the public explorer at `/` with its downloads
//! under `/explorer/`, the signed-in pages under `/app/`, and the embedded assets under
//! `/assets/`. The explorer's figures are the published tables of [`crate::routes::figures`];
//! the signed-in pages fill themselves from the JSON API, which checks every right.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use oncodata_web::Lang;
use oncodata_web::chart::Point;
use oncodata_web::explorer::{self, Choices, Figures, Measure, Selection, SurvivalAt, Table};
use oncodata_web::layout::{Nav, page};

use crate::AppState;
use crate::error::ApiError;
use crate::routes::figures::{ClusterFigure, Figure, SurvivalFigure};

type Params = Query<HashMap<String, String>>;

fn lang_of(params: &HashMap<String, String>) -> Lang {
    Lang::from_param(params.get("lang").map(String::as_str))
}

/// An error as a page in the visitor's language.
fn failure(lang: Lang, status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<p id=\"message\" role=\"alert\">{}</p><p><a href=\"/?lang={}\">{}</a></p>",
        oncodata_web::escape(message),
        lang.tag(),
        lang.t("Retour à l'explorateur", "Back to the explorer")
    );
    (
        status,
        Html(page(lang, lang.t("Erreur", "Error"), &format!("/?lang={}", lang.other().tag()), Nav::Explorer, &body)),
    )
        .into_response()
}

fn api_failure(lang: Lang, e: ApiError) -> Response {
    failure(lang, e.status, &e.message)
}

/// What the explorer needs for a selection, computed (or taken from memory) once.
struct Computed {
    selection: Selection,
    years: (i32, i32),
    by_area: Arc<Figure>,
    by_year: Arc<Figure>,
    covered: Vec<String>,
    survival: Option<Arc<SurvivalFigure>>,
    clusters: Option<Arc<ClusterFigure>>,
}

async fn compute(state: &AppState, params: &HashMap<String, String>) -> Result<Computed, Response> {
    let lang = lang_of(params);
    let selection = Selection::parse(params).map_err(|e| failure(lang, StatusCode::BAD_REQUEST, &e))?;
    let coverage = state.coverage().await.map_err(|e| api_failure(lang, e))?;
    let years_arg = selection.years_arg();
    let empty = || Arc::new(Figure { columns: Vec::new(), rows: Vec::new(), notes: Vec::new() });
    if selection.measure == Measure::Clusters {
        let covered = coverage.covered(selection.years);
        let clusters = state
            .clusters_figure(selection.site.clone(), selection.sex.clone(), selection.years, covered.clone())
            .await
            .map_err(|e| api_failure(lang, e))?;
        let years = coverage.years.or(selection.years).unwrap_or((2000, 2024));
        return Ok(Computed {
            selection,
            years,
            by_area: empty(),
            by_year: empty(),
            covered,
            survival: None,
            clusters: Some(clusters),
        });
    }
    let (by_area, by_year, survival) = if selection.measure == Measure::Survival {
        // Net survival is published by cancer site: the page asks for one.
        let s = match selection.site {
            Some(_) => {
                Some(state.survival_figure(&selection.survival_filter()).await.map_err(|e| api_failure(lang, e))?)
            }
            None => None,
        };
        (empty(), empty(), s)
    } else {
        let by_area = state
            .incidence_table(&selection.by_area(), None, years_arg.as_deref())
            .await
            .map_err(|e| api_failure(lang, e))?;
        let by_year =
            state.incidence_table(&selection.by_year(), None, None).await.map_err(|e| api_failure(lang, e))?;
        (by_area, by_year, None)
    };
    // Without declared coverage every area with population counts (the cohort's rule).
    let covered = if coverage.declared.is_empty() {
        let i = by_area.columns.iter().position(|c| c == "area");
        let mut v: Vec<String> = by_area.rows.iter().filter_map(|r| r.get(i?)?.as_str().map(str::to_string)).collect();
        v.sort();
        v.dedup();
        v
    } else {
        coverage.covered(selection.years)
    };
    let years = coverage.years.or(selection.years).unwrap_or((2000, 2024));
    Ok(Computed { selection, years, by_area, by_year, covered, survival, clusters: None })
}

fn survival_parts(s: &SurvivalFigure) -> (Vec<SurvivalAt>, Vec<Point>) {
    let at =
        s.at.iter()
            .map(|p| SurvivalAt {
                years: p.years as u32,
                estimate: p.estimate.zip(p.lower).zip(p.upper).map(|((e, l), u)| (e, l, u)),
            })
            .collect();
    let curve = s
        .curve
        .iter()
        .map(|p| Point { x: p.years, y: p.estimate.map(|e| (e, p.lower.unwrap_or(e), p.upper.unwrap_or(e))) })
        .collect();
    (at, curve)
}

/// The explorer: the selection in the query (`measure`, `site`, `sex`, `years` or `from`/`to`,
/// `area`, `lang`).
pub async fn explorer_page(State(state): State<AppState>, Query(params): Params) -> Response {
    let c = match compute(&state, &params).await {
        Ok(c) => c,
        Err(response) => return response,
    };
    let choices = Choices { years: c.years };
    let html = match &c.survival {
        _ if c.clusters.is_some() => {
            let k = c.clusters.as_ref().expect("clusters");
            explorer::page_of(
                &c.selection,
                &choices,
                &Figures::Clusters {
                    clusters: &k.rows,
                    departements: &k.departements,
                    places: &k.places,
                    notes: &k.notes,
                },
            )
        }
        None if c.selection.measure == Measure::Survival => {
            explorer::page_of(&c.selection, &choices, &Figures::ChooseSite)
        }
        Some(s) => {
            let (at, curve) = survival_parts(s);
            explorer::page_of(
                &c.selection,
                &choices,
                &Figures::Survival { persons: s.persons, at: &at, curve: &curve, notes: &s.notes },
            )
        }
        None => {
            let mut notes = c.by_area.notes.clone();
            notes.extend(c.by_year.notes.iter().cloned());
            explorer::page_of(
                &c.selection,
                &choices,
                &Figures::Incidence {
                    by_area: Table { columns: &c.by_area.columns, rows: &c.by_area.rows },
                    by_year: Table { columns: &c.by_year.columns, rows: &c.by_year.rows },
                    covered: &c.covered,
                    notes: &notes,
                },
            )
        }
    };
    Html(html).into_response()
}

/// The explorer's downloads: `areas.csv`, `years.csv`, `survival.csv`, `map.svg`, `trend.svg`,
/// `survival.svg`, `clusters.csv`, `clusters.svg`, for the selection in the query.
pub async fn explorer_file(State(state): State<AppState>, Path(file): Path<String>, Query(params): Params) -> Response {
    let lang = lang_of(&params);
    let mut params = params;
    if file.starts_with("survival") {
        params.insert("measure".into(), "survival".into());
    } else if file.starts_with("clusters") {
        params.insert("measure".into(), "clusters".into());
    } else {
        params.insert("measure".into(), "incidence".into());
    }
    let c = match compute(&state, &params).await {
        Ok(c) => c,
        Err(response) => return response,
    };
    let by_area = Table { columns: &c.by_area.columns, rows: &c.by_area.rows };
    let by_year = Table { columns: &c.by_year.columns, rows: &c.by_year.rows };
    let svg = |text: String| format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{text}\n");
    let (body, media) = match (file.as_str(), &c.survival) {
        ("areas.csv", _) => (by_area.csv(&c.selection, "area"), "text/csv; charset=utf-8"),
        ("years.csv", _) => (by_year.csv(&c.selection, "year"), "text/csv; charset=utf-8"),
        ("map.svg", _) => (svg(explorer::map_file(&c.selection, &by_area, &c.covered)), "image/svg+xml"),
        ("trend.svg", _) => (svg(explorer::trend_file(&c.selection, &by_year)), "image/svg+xml"),
        ("clusters.csv", _) => match &c.clusters {
            Some(k) => (explorer::clusters_csv(&k.rows), "text/csv; charset=utf-8"),
            None => return failure(lang, StatusCode::NOT_FOUND, "clusters.csv: no clusters computed"),
        },
        ("clusters.svg", _) => match &c.clusters {
            Some(k) => (svg(explorer::clusters_file(&c.selection, &k.departements, &k.places)), "image/svg+xml"),
            None => return failure(lang, StatusCode::NOT_FOUND, "clusters.svg: no clusters computed"),
        },
        ("survival.csv" | "survival.svg", None) => {
            return failure(
                lang,
                StatusCode::BAD_REQUEST,
                "site: net survival is published by cancer site; choose one",
            );
        }
        ("survival.csv", Some(s)) => (explorer::survival_csv(&survival_parts(s).0), "text/csv; charset=utf-8"),
        ("survival.svg", Some(s)) => {
            (svg(explorer::survival_file(&c.selection, &survival_parts(s).1)), "image/svg+xml")
        }
        _ => {
            return failure(
                lang,
                StatusCode::NOT_FOUND,
                &format!(
                    "{file}: no such download (areas.csv, years.csv, map.svg, trend.svg, survival.csv, survival.svg, clusters.csv, clusters.svg)"
                ),
            );
        }
    };
    let name = format!(
        "oncodata-{}-{}-{}-{}",
        c.selection.site.as_deref().unwrap_or("all"),
        c.selection.sex.as_deref().unwrap_or("both"),
        c.selection.years_arg().unwrap_or_else(|| "all".into()),
        file
    );
    (
        [
            (header::CONTENT_TYPE, media.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        body,
    )
        .into_response()
}

/// An embedded asset (`/assets/style.css`, `/assets/explorer.js`, `/assets/app.js`).
pub async fn asset(Path(name): Path<String>) -> Response {
    match oncodata_web::asset(&name) {
        Some((bytes, media)) => {
            ([(header::CONTENT_TYPE, media), (header::CACHE_CONTROL, "public, max-age=300")], bytes.into_owned())
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}

/// The signed-in pages: `/app`, `/app/login`, `/app/applications`, `/app/review`,
/// `/app/quarantine`, `/app/admin`.
pub async fn signed_in_page(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(params): Params,
) -> Response {
    let lang = lang_of(&params);
    use oncodata_web::signed_in as p;
    let html = match name.as_str() {
        "" => p::home(lang),
        "login" => p::login(lang),
        "applications" => p::applications(lang, &state.governance.catalog().columns),
        "review" => p::queue(lang),
        "quarantine" => p::quarantine(lang),
        "admin" => p::admin(lang),
        _ => return failure(lang, StatusCode::NOT_FOUND, &format!("/app/{name}: no such page")),
    };
    Html(html).into_response()
}

/// The signed-in home page.
pub async fn home_page(state: State<AppState>, params: Params) -> Response {
    signed_in_page(state, Path(String::new()), params).await
}

/// An application's page (`/app/applications/{id}`) or a project's workspace
/// (`/app/projects/{id}`).
pub async fn numbered_page(
    State(state): State<AppState>,
    Path((kind, id)): Path<(String, String)>,
    Query(params): Params,
) -> Response {
    let lang = lang_of(&params);
    let Ok(id) = id.parse::<i64>() else {
        return failure(lang, StatusCode::NOT_FOUND, &format!("/app/{kind}/{id}: not a number"));
    };
    match kind.as_str() {
        "applications" => Html(oncodata_web::signed_in::application(lang, id, &state.governance.catalog().columns)),
        "projects" => Html(oncodata_web::signed_in::project(lang, id)),
        _ => return failure(lang, StatusCode::NOT_FOUND, &format!("/app/{kind}/{id}: no such page")),
    }
    .into_response()
}
