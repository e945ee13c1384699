//! Accounts: a name, a role, a password hashed with Argon2id (RFC 9106; the `argon2` crate's
//! defaults, m = 19 MiB, t = 2, p = 1, as OWASP recommends), never stored, printed or logged;
//! failed logins counted, and an account locked for a quarter of an hour after five in a row.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::roles::{Action, Role, allows};
use crate::{Governance, GovernanceError, Result};

/// Failed logins in a row that lock an account.
pub const MAX_FAILURES: i64 = 5;
/// How long a locked account stays locked, in seconds.
pub const LOCK_SECONDS: i64 = 15 * 60;
/// The shortest password accepted.
pub const MIN_PASSWORD: usize = 12;

/// An account (without its password).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct User {
    /// The account's name.
    pub name: String,
    /// Its role.
    #[schema(value_type = String, example = "applicant")]
    pub role: Role,
    /// Whether it was disabled (it can no longer sign in).
    pub disabled: bool,
    /// When it was made (Unix seconds).
    pub created: i64,
}

impl User {
    /// Refuses unless the account's role may take `action`.
    pub fn may(&self, action: Action) -> Result<()> {
        if allows(self.role, action) {
            Ok(())
        } else {
            Err(GovernanceError::Forbidden(format!(
                "a {} may not {}: ask an account with the right role",
                self.role.name(),
                action.describe()
            )))
        }
    }

    pub(crate) fn from_row(row: &AnyRow) -> Result<User> {
        let role: String = row.try_get("role")?;
        Ok(User {
            name: row.try_get("name")?,
            role: Role::parse(&role)
                .ok_or_else(|| GovernanceError::Invalid(format!("the store holds an unknown role {role:?}")))?,
            disabled: row.try_get::<i64, _>("disabled")? != 0,
            created: row.try_get("created")?,
        })
    }
}

/// Refuses names other than 1–64 of `a-z 0-9 . _ -` starting with a letter or digit.
fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        && name.as_bytes()[0].is_ascii_alphanumeric();
    if ok {
        Ok(())
    } else {
        Err(GovernanceError::Invalid(format!(
            "account name {name:?}: use 1 to 64 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit"
        )))
    }
}

/// Hashes a password with Argon2id and a random salt (PHC string).
fn hash_password(password: &str) -> Result<String> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(GovernanceError::Invalid(format!("a password needs at least {MIN_PASSWORD} characters")));
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the operating system's random source");
    let salt = SaltString::encode_b64(&salt).expect("16 bytes make a salt");
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| GovernanceError::Invalid(format!("the password could not be hashed: {e}")))
}

/// Whether `password` matches the PHC string `hash`.
fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| argon2::Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// Runs Argon2 off the server's threads.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(work).await.expect("a hashing task does not panic")
}

impl Governance {
    /// Adds an account (`actor`: who adds it, for the audit log).
    pub async fn add_user(&self, actor: &str, name: &str, role: Role, password: String) -> Result<User> {
        check_name(name)?;
        if role == Role::Public {
            return Err(GovernanceError::Invalid("no account has the public's role".into()));
        }
        let hash = blocking(move || hash_password(&password)).await?;
        let mut tx = self.pool.begin().await?;
        let exists = sqlx::query("SELECT name FROM users WHERE name = $1").bind(name).fetch_optional(&mut *tx).await?;
        if exists.is_some() {
            return Err(GovernanceError::State(format!("an account {name:?} exists already")));
        }
        let now = self.now();
        sqlx::query("INSERT INTO users (name, role, password_hash, created) VALUES ($1, $2, $3, $4)")
            .bind(name)
            .bind(role.name())
            .bind(hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        self.record(actor, "user_add", serde_json::json!({ "user": name, "role": role.name() })).await?;
        tx.commit().await?;
        Ok(User { name: name.into(), role, disabled: false, created: now })
    }

    /// Every account, by name.
    pub async fn users(&self) -> Result<Vec<User>> {
        let rows =
            sqlx::query("SELECT name, role, disabled, created FROM users ORDER BY name").fetch_all(&self.pool).await?;
        rows.iter().map(User::from_row).collect()
    }

    /// The account `name`.
    pub async fn user(&self, name: &str) -> Result<User> {
        let row = sqlx::query("SELECT name, role, disabled, created FROM users WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| GovernanceError::NotFound(format!("no account {name:?}")))?;
        User::from_row(&row)
    }

    /// Disables an account: it can no longer sign in, and its sessions and tokens stop working.
    pub async fn disable_user(&self, actor: &str, name: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("UPDATE users SET disabled = 1 WHERE name = $1").bind(name).execute(&mut *tx).await?;
        if done.rows_affected() == 0 {
            return Err(GovernanceError::NotFound(format!("no account {name:?}")));
        }
        sqlx::query("DELETE FROM sessions WHERE user_name = $1").bind(name).execute(&mut *tx).await?;
        sqlx::query("UPDATE api_tokens SET revoked = 1 WHERE user_name = $1").bind(name).execute(&mut *tx).await?;
        self.record(actor, "user_disable", serde_json::json!({ "user": name })).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets a new password; the account is unlocked and enabled, its sessions end.
    pub async fn reset_password(&self, actor: &str, name: &str, password: String) -> Result<()> {
        let hash = blocking(move || hash_password(&password)).await?;
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = 0, disabled = 0 WHERE name = $2",
        )
        .bind(hash)
        .bind(name)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(GovernanceError::NotFound(format!("no account {name:?}")));
        }
        sqlx::query("DELETE FROM sessions WHERE user_name = $1").bind(name).execute(&mut *tx).await?;
        self.record(actor, "user_reset_password", serde_json::json!({ "user": name })).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Checks a name and password: the account, or why not. Five failures in a row lock the
    /// account for [`LOCK_SECONDS`]; while locked, no password is tried. Every attempt is in the
    /// audit log.
    pub async fn authenticate(&self, name: &str, password: String, client: &str) -> Result<User> {
        let row = sqlx::query(
            "SELECT name, role, disabled, created, password_hash, failed_logins, locked_until FROM users WHERE name = $1",
        )
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        let refused = || GovernanceError::Unauthenticated("wrong account name or password".into());
        let now = self.now();
        let Some(row) = row else {
            // The same work as for an account, so that timing does not tell which names exist.
            blocking(move || verify_password(&password, DUMMY_HASH)).await;
            // The name typed is not kept: it may be a password typed in the wrong field.
            self.record("unknown", "login_failed", serde_json::json!({ "client": client, "why": "unknown account" }))
                .await?;
            return Err(refused());
        };
        let user = User::from_row(&row)?;
        let locked_until: i64 = row.try_get("locked_until")?;
        if locked_until > now {
            self.record(name, "login_failed", serde_json::json!({ "client": client, "why": "locked" })).await?;
            return Err(GovernanceError::Locked(format!(
                "account {name:?} is locked after {MAX_FAILURES} failed logins; try again in {} minutes or ask an administrator to reset its password",
                (locked_until - now + 59) / 60
            )));
        }
        let hash: String = row.try_get("password_hash")?;
        let matches = blocking(move || verify_password(&password, &hash)).await;
        let mut tx = self.pool.begin().await?;
        if !matches || user.disabled {
            let failures = row.try_get::<i64, _>("failed_logins")? + 1;
            let (failures, lock) = if failures >= MAX_FAILURES { (0, now + LOCK_SECONDS) } else { (failures, 0) };
            sqlx::query("UPDATE users SET failed_logins = $1, locked_until = $2 WHERE name = $3")
                .bind(failures)
                .bind(lock)
                .bind(name)
                .execute(&mut *tx)
                .await?;
            let why = if user.disabled { "disabled" } else { "wrong password" };
            self.record(name, "login_failed", serde_json::json!({ "client": client, "why": why })).await?;
            tx.commit().await?;
            return Err(refused());
        }
        sqlx::query("UPDATE users SET failed_logins = 0 WHERE name = $1").bind(name).execute(&mut *tx).await?;
        self.record(name, "login", serde_json::json!({ "client": client })).await?;
        tx.commit().await?;
        Ok(user)
    }
}

/// An Argon2id hash of a random password, verified against when the account does not exist.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Cn0o2q0o3aYF8m4HqgOT0uGrVdQ6l0yXlX2QyPcXa5E";
