//! Who is calling: a browser session (cookie, with a CSRF token on every state-changing
//! request), a project's bearer API token, or nobody; and the login rate limit.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use oncodata_governance::User;

use crate::AppState;
use crate::error::ApiError;

/// The session cookie (HTTP-only).
pub const SESSION_COOKIE: &str = "oncodata_session";
/// The CSRF cookie (readable by the page, which sends it back in [`CSRF_HEADER`]).
pub const CSRF_COOKIE: &str = "oncodata_csrf";
/// The header carrying the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The caller of a request.
pub enum Caller {
    /// Nobody signed in.
    Anonymous,
    /// A browser session.
    Session {
        /// The account.
        user: User,
        /// The session's cookie value (to end it).
        secret: String,
    },
    /// A project's API token.
    Token {
        /// The account.
        user: User,
        /// The project the token opens.
        project: i64,
    },
}

impl Caller {
    /// The signed-in account, for routes that are not a project's (a token opens only its
    /// project's routes).
    pub fn account(&self) -> Result<&User, ApiError> {
        match self {
            Caller::Session { user, .. } => Ok(user),
            Caller::Token { .. } => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "token_scope",
                "an API token opens its project's routes (/api/projects/{id}/…) only; sign in for the rest",
            )),
            Caller::Anonymous => Err(ApiError::unauthenticated()),
        }
    }

    /// The account, for a route of project `id`: a session, or a token of that project.
    pub fn for_project(&self, id: i64) -> Result<&User, ApiError> {
        match self {
            Caller::Token { user, project } if *project == id => Ok(user),
            Caller::Token { project, .. } => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "token_scope",
                format!("this API token opens project {project}, not project {id}"),
            )),
            _ => self.account(),
        }
    }
}

/// The value of cookie `name` in the request's headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Compares two secrets in time independent of where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let governance = &state.governance;
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).ok_or_else(|| {
                ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "Authorization: send `Bearer TOKEN`")
            })?;
            let (user, project) = governance.token(token.trim()).await?;
            return Ok(Caller::Token { user, project });
        }
        let Some(secret) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Ok(Caller::Anonymous);
        };
        let (user, csrf) = governance.session(secret).await?;
        if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
            if !same(sent, &csrf) {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "csrf",
                    format!(
                        "a change needs the session's CSRF token in the {CSRF_HEADER} header (the {CSRF_COOKIE} cookie's value)"
                    ),
                ));
            }
        }
        Ok(Caller::Session { user, secret: secret.to_string() })
    }
}

/// Login attempts allowed per client address and minute (a hospital's staff may share one
/// address; an account's own lock stops guessing its password long before).
pub const LOGINS_PER_MINUTE: usize = 30;

/// Counts login attempts per client address over a sliding minute.
#[derive(Default)]
pub struct LoginLimiter {
    attempts: Mutex<HashMap<IpAddr, Vec<Instant>>>,
}

impl LoginLimiter {
    /// Counts an attempt from `client`; refuses it when the last minute had too many.
    pub fn check(&self, client: IpAddr) -> Result<(), ApiError> {
        let now = Instant::now();
        let mut attempts = self.attempts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        attempts.retain(|_, times| times.last().is_some_and(|t| now.duration_since(*t) < Duration::from_secs(60)));
        let times = attempts.entry(client).or_default();
        times.retain(|t| now.duration_since(*t) < Duration::from_secs(60));
        if times.len() >= LOGINS_PER_MINUTE {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("more than {LOGINS_PER_MINUTE} logins a minute from your address: wait a minute"),
            ));
        }
        times.push(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_address_is_refused_beyond_its_logins_per_minute() {
        let limiter = LoginLimiter::default();
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        for _ in 0..LOGINS_PER_MINUTE {
            limiter.check(a).unwrap();
        }
        assert_eq!(limiter.check(a).unwrap_err().code, "rate_limited");
        limiter.check(b).expect("another address is not limited");
    }

    #[test]
    fn cookies_are_read_by_name_among_several_headers() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, "a=1; oncodata_session=abc".parse().unwrap());
        headers.append(header::COOKIE, "oncodata_csrf=def".parse().unwrap());
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, CSRF_COOKIE), Some("def"));
        assert_eq!(cookie(&headers, "oncodata"), None);
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
