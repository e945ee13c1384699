//! Errors as the API returns them: a status and `{"error": {"code": …, "message": …}}`, the code
//! stable (scripts branch on it), the message saying what to do.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use oncodata_governance::GovernanceError;
use serde::Serialize;

/// An error response.
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The stable code.
    pub code: &'static str,
    /// What went wrong and what to do.
    pub message: String,
}

/// The body of an error response.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// An error's code and message.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable: `unauthenticated`, `forbidden`, `csrf`, `token_scope`, `not_found`,
    /// `invalid_request`, `refused_by_output_checking`, `wrong_state`, `account_locked`, `rate_limited`, `audit_tampered`, `store_unavailable`,
    /// `audit_unavailable`, `internal`.
    pub code: String,
    /// What went wrong and what to do.
    pub message: String,
}

impl ApiError {
    /// An error with its status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }

    /// 401: no valid session or token.
    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "sign in (POST /api/session) or send a project's API token (Authorization: Bearer …)",
        )
    }

    /// 400: a request body or parameter that is not as the API describes it.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }
}

impl From<GovernanceError> for ApiError {
    fn from(e: GovernanceError) -> Self {
        let status = match &e {
            GovernanceError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            GovernanceError::Forbidden(_) => StatusCode::FORBIDDEN,
            GovernanceError::NotFound(_) => StatusCode::NOT_FOUND,
            GovernanceError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            GovernanceError::State(_) => StatusCode::CONFLICT,
            GovernanceError::Locked(_) => StatusCode::TOO_MANY_REQUESTS,
            GovernanceError::Store(_) | GovernanceError::Migrate(_) | GovernanceError::Audit(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
        };
        let message = match &e {
            // The store's own words may hold statements; the log has them, the client a hint.
            GovernanceError::Store(_) | GovernanceError::Migrate(_) => {
                eprintln!("oncodata serve: {e}");
                "the governance store is unavailable; try again, and tell the administrator if it persists".into()
            }
            GovernanceError::Audit(_) => {
                eprintln!("oncodata serve: {e}");
                "the audit log could not record the action, so it was not taken; tell the administrator".into()
            }
            _ => e.to_string(),
        };
        Self::new(status, e.code(), message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: ErrorDetail { code: self.code.into(), message: self.message } };
        (self.status, axum::Json(body)).into_response()
    }
}

/// A handler's result.
pub type ApiResult<T> = Result<T, ApiError>;

/// A JSON request body whose refusals are [`ApiError`]s (not plain text). Every body of the API
/// is an object: anything else is refused, even where serde would read a struct from an array
/// (`[]` would otherwise pass for a request whose fields all have defaults).
pub struct Body<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for Body<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<serde_json::Value>::from_request(request, state).await {
            Ok(axum::Json(value)) if !value.is_object() => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the body is not a JSON object: send JSON as /api/openapi.json describes it".to_string(),
            )),
            Ok(axum::Json(value)) => serde_json::from_value::<T>(value).map(Body).map_err(|e| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    format!("Failed to deserialize the JSON body into the target type: {e}: send JSON as /api/openapi.json describes it"),
                )
            }),
            Err(rejection) => Err(ApiError::new(
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    StatusCode::PAYLOAD_TOO_LARGE
                } else {
                    StatusCode::BAD_REQUEST
                },
                "invalid_request",
                format!("{}: send JSON as /api/openapi.json describes it", rejection.body_text()),
            )),
        }
    }
}

/// A path parameter whose refusals are [`ApiError`]s (not plain text).
pub struct Param<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for Param<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Param(value)),
            Err(rejection) => Err(ApiError::invalid(format!(
                "{}: a path parameter is not as /api/openapi.json describes it",
                rejection.body_text()
            ))),
        }
    }
}

/// Query parameters whose refusals are [`ApiError`]s (not plain text).
pub struct QueryParams<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for QueryParams<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(QueryParams(value)),
            Err(rejection) => Err(ApiError::invalid(format!(
                "{}: the query parameters are not as /api/openapi.json describes them",
                rejection.body_text()
            ))),
        }
    }
}
