//! Being signed in: a browser session (a random cookie value; the store keeps its SHA-256 and a
//! CSRF token the page sends back on every change), and bearer API tokens for scripts, each
//! scoped to one project, expiring (never after the project's permit), revocable, kept only as
//! their SHA-256.

use serde::Serialize;
use sqlx::Row;

use crate::accounts::User;
use crate::{Governance, GovernanceError, Result, digest, random_hex};

/// How long a browser session lasts, in seconds.
pub const SESSION_SECONDS: i64 = 8 * 3600;
/// The longest life of an API token, in days.
pub const MAX_TOKEN_DAYS: i64 = 90;
/// How an API token starts (so that secret scanners know it).
pub const TOKEN_PREFIX: &str = "odt_";

/// A new browser session: its secret (the cookie's value, shown once) and its CSRF token.
#[derive(Debug, Clone)]
pub struct Session {
    /// The cookie's value.
    pub secret: String,
    /// What state-changing requests carry in `X-CSRF-Token`.
    pub csrf: String,
    /// The account.
    pub user: User,
    /// When it ends (Unix seconds).
    pub expires: i64,
}

/// An API token as listed (never its secret).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TokenInfo {
    /// Its public id (the part after `odt_` and before the next `_`).
    pub id: String,
    /// The project it opens.
    pub project: i64,
    /// When it was made and when it ends (Unix seconds).
    pub created: i64,
    /// When it ends.
    pub expires: i64,
    /// Whether it was revoked.
    pub revoked: bool,
}

/// A new API token: its secret, shown once.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IssuedToken {
    /// The secret, `odt_ID_SECRET`: send it as `Authorization: Bearer …`.
    pub token: String,
    /// The token as listed.
    pub info: TokenInfo,
}

impl Governance {
    /// Opens a browser session for an authenticated account.
    pub async fn open_session(&self, user: User) -> Result<Session> {
        let (secret, csrf) = (random_hex(32), random_hex(16));
        let now = self.now();
        let expires = now + SESSION_SECONDS;
        sqlx::query("INSERT INTO sessions (token_hash, user_name, csrf, created, expires) VALUES ($1, $2, $3, $4, $5)")
            .bind(digest(&secret))
            .bind(&user.name)
            .bind(&csrf)
            .bind(now)
            .bind(expires)
            .execute(&self.pool)
            .await?;
        Ok(Session { secret, csrf, user, expires })
    }

    /// The account and CSRF token of a session cookie's value, if the session is open.
    pub async fn session(&self, secret: &str) -> Result<(User, String)> {
        let row = sqlx::query(
            "SELECT u.name, u.role, u.disabled, u.created, s.csrf, s.expires FROM sessions s JOIN users u ON u.name = s.user_name WHERE s.token_hash = $1",
        )
        .bind(digest(secret))
        .fetch_optional(&self.pool)
        .await?;
        let expired = || GovernanceError::Unauthenticated("your session has ended: sign in again".into());
        let row = row.ok_or_else(expired)?;
        let user = User::from_row(&row)?;
        if user.disabled || row.try_get::<i64, _>("expires")? <= self.now() {
            return Err(expired());
        }
        Ok((user, row.try_get("csrf")?))
    }

    /// Ends a session.
    pub async fn close_session(&self, secret: &str, user: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(digest(secret)).execute(&mut *tx).await?;
        self.record(user, "logout", serde_json::json!({})).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Makes an API token for `project`, of which `user` must be a member with the permit in
    /// force; it lasts `days` (at most [`MAX_TOKEN_DAYS`], and never past the permit).
    pub async fn issue_token(&self, user: &User, project: i64, days: i64) -> Result<IssuedToken> {
        let permit = self.workspace_permit(user, project).await?;
        if !(1..=MAX_TOKEN_DAYS).contains(&days) {
            return Err(GovernanceError::Invalid(format!("days: a token lasts 1 to {MAX_TOKEN_DAYS} days")));
        }
        let now = self.now();
        let expires = (now + days * 86_400).min(permit.expires);
        let (id, secret) = (random_hex(6), random_hex(32));
        let token = format!("{TOKEN_PREFIX}{id}_{secret}");
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO api_tokens (id, token_hash, user_name, project, created, expires) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(digest(&token))
        .bind(&user.name)
        .bind(project)
        .bind(now)
        .bind(expires)
        .execute(&mut *tx)
        .await?;
        self.record(
            &user.name,
            "token_issue",
            serde_json::json!({ "token": id, "project": project, "expires": expires }),
        )
        .await?;
        tx.commit().await?;
        Ok(IssuedToken { token, info: TokenInfo { id, project, created: now, expires, revoked: false } })
    }

    /// The account and project of a bearer token, if it is valid: not revoked, not expired, its
    /// account enabled.
    pub async fn token(&self, token: &str) -> Result<(User, i64)> {
        let invalid = || {
            GovernanceError::Unauthenticated(
                "this API token is not valid (revoked, expired or mistyped): make a new one".into(),
            )
        };
        if !token.starts_with(TOKEN_PREFIX) {
            return Err(invalid());
        }
        let row = sqlx::query(
            "SELECT u.name, u.role, u.disabled, u.created, t.project, t.expires, t.revoked FROM api_tokens t JOIN users u ON u.name = t.user_name WHERE t.token_hash = $1",
        )
        .bind(digest(token))
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(invalid)?;
        let user = User::from_row(&row)?;
        if user.disabled || row.try_get::<i64, _>("revoked")? != 0 || row.try_get::<i64, _>("expires")? <= self.now() {
            return Err(invalid());
        }
        Ok((user, row.try_get("project")?))
    }

    /// `user`'s API tokens.
    pub async fn tokens(&self, user: &User) -> Result<Vec<TokenInfo>> {
        let rows = sqlx::query(
            "SELECT id, project, created, expires, revoked FROM api_tokens WHERE user_name = $1 ORDER BY created, id",
        )
        .bind(&user.name)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TokenInfo {
                    id: r.try_get("id")?,
                    project: r.try_get("project")?,
                    created: r.try_get("created")?,
                    expires: r.try_get("expires")?,
                    revoked: r.try_get::<i64, _>("revoked")? != 0,
                })
            })
            .collect()
    }

    /// Revokes one of `user`'s tokens.
    pub async fn revoke_token(&self, user: &User, id: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("UPDATE api_tokens SET revoked = 1 WHERE id = $1 AND user_name = $2")
            .bind(id)
            .bind(&user.name)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(GovernanceError::NotFound(format!("you have no API token {id:?}")));
        }
        self.record(&user.name, "token_revoke", serde_json::json!({ "token": id })).await?;
        tx.commit().await?;
        Ok(())
    }
}
