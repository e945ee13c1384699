//! Published figures: what the public may see of the warehouse, through the public audience's
//! disclosure control, as `oncodata incidence --audience public` prints it; computed once and
//! served from memory.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use oncodata_analyses::incidence::{RateOptions, Standard, counts_from_warehouse, parse_years, rates, table_records};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody, QueryParams};

/// The selection of an incidence table.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct IncidenceQuery {
    /// The grouping columns, comma-separated (as `oncodata incidence --by`: site_group, sex,
    /// year, area…).
    pub by: String,
    /// The standard population of the age-standardised rates: `world` (the default), `europe`…
    pub standard: Option<String>,
    /// The years of diagnosis, `A-B` or one year (as `oncodata incidence --years`); all by default.
    pub years: Option<String>,
}

/// A published table.
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct Figure {
    /// The columns: the groups, cases, person-years, rates with their intervals, and
    /// `suppressed` (the rule that withheld a row, null when shown).
    pub columns: Vec<String>,
    /// The rows: groups as text, numbers as numbers; a withheld row's figures are null.
    #[schema(value_type = Vec<Vec<Object>>)]
    pub rows: Vec<Vec<serde_json::Value>>,
    /// What disclosure control withheld, and why.
    pub notes: Vec<String>,
}

fn refused(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", e.to_string())
}

/// Incidence by the columns asked for — cases, person-years, crude and age-standardised rates
/// per 100,000 with 95 % intervals (Tiwari), cumulative rate and risk 0-74 — as the public may
/// see it: no count of 1 to 10 persons, and what would reveal one withheld too.
#[utoipa::path(get, path = "/api/figures/incidence", tag = "public", security(()), params(IncidenceQuery),
    responses((status = 200, body = Figure), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn incidence(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<IncidenceQuery>,
) -> ApiResult<Json<Figure>> {
    let by: Vec<String> = query.by.split(',').map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect();
    let standard_name = query.standard.clone().unwrap_or_else(|| "world".into());
    let years = query.years.as_deref().map(parse_years).transpose().map_err(refused)?;
    let key = format!("incidence?by={}&standard={standard_name}&years={years:?}", by.join(","));
    if let Some(figure) = state.figure(&key) {
        return Ok(Json(figure));
    }
    if by.is_empty() {
        return Err(refused("by: name at least one grouping column"));
    }
    let root = state.workspaces.warehouse.clone();
    let w = oncodata_warehouse::Warehouse::open(&root)
        .map_err(|e| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "store_unavailable", e.to_string()))?;
    let standard = Standard::named(&standard_name).map_err(refused)?;
    let counts = counts_from_warehouse(&w, &by, &standard.labels, years).await.map_err(refused)?;
    let figure = tokio::task::spawn_blocking(move || -> Result<Figure, String> {
        let computed = rates(&counts, &standard, &RateOptions::default()).map_err(|e| e.to_string())?;
        let (mut header, mut records) = table_records(&by, &computed);
        let (policy, _) = oncodata_disclosure::Policy::of_warehouse(&root).map_err(|e| e.to_string())?;
        let mut notes = Vec::new();
        oncodata_disclosure::sql::withhold_printed_with(
            &mut header,
            &mut records,
            by.len(),
            &[],
            &policy,
            oncodata_disclosure::Audience::Public,
            &mut notes,
        )
        .map_err(|e| e.to_string())?;
        let last = header.len() - 1;
        let rows = records
            .into_iter()
            .map(|r| {
                r.into_iter()
                    .enumerate()
                    .map(|(i, v)| match (i < by.len() || i == last, v.parse::<f64>()) {
                        _ if v.is_empty() || v == "NA" => serde_json::Value::Null,
                        (false, Ok(x)) => serde_json::Number::from_f64(x).map_or(serde_json::Value::Null, Into::into),
                        _ => v.into(),
                    })
                    .collect()
            })
            .collect();
        Ok(Figure { columns: header, rows, notes })
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
    .map_err(refused)?;
    state.keep_figure(key, figure.clone());
    Ok(Json(figure))
}
