//! The governance of the platform: who has an account and with what role, how a research team
//! applies for access, how the scientific and ethics committee reviews and decides, the permit
//! an approval grants (what a project's workspace holds, for whom, until when), and the public
//! register of decisions. Every change is a committed transaction of the store (SQLite, the
//! embedded default, or PostgreSQL) and an event of the audit log, durable before the change is
//! acknowledged.
//!
//! Anchors: Mica's data access request workflow (states opened, submitted, reviewed, approved,
//! conditionally approved, rejected; amendments), OHDSI Arachne's two gates (a data steward,
//! then the committee), and the European Health Data Space's secure processing environments
//! (access only for the persons a permit names; every operation logged).

pub mod accounts;
pub mod applications;
pub mod queries;
pub mod register;
pub mod roles;
pub mod sessions;
mod store;
pub mod workflow;
pub mod workspaces;

use std::path::Path;
use std::sync::Arc;

use oncodata_audit::{AuditError, AuditLog};
use sqlx::AnyPool;

pub use accounts::User;
pub use applications::{Application, Form, Populations};
pub use roles::{Action, Role};
pub use store::default_url;
pub use workflow::State;

/// What can go wrong, each with a stable code the API returns.
#[derive(Debug, thiserror::Error)]
pub enum GovernanceError {
    /// The store could not be reached or refused a statement.
    #[error("the governance store: {0}")]
    Store(#[from] sqlx::Error),
    /// The store's schema could not be brought up to date.
    #[error("the governance store's migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The audit log could not record the action (so the action was not taken).
    #[error("the audit log: {0}")]
    Audit(#[from] AuditError),
    /// No valid session or token, or a wrong password.
    #[error("{0}")]
    Unauthenticated(String),
    /// Signed in, but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// No such object (or not one the user may know of).
    #[error("{0}")]
    NotFound(String),
    /// A request that is not well formed: says which field and what is expected.
    #[error("{0}")]
    Invalid(String),
    /// A step the object's state does not allow now.
    #[error("{0}")]
    State(String),
    /// Too many failed logins: the account is locked for a while.
    #[error("{0}")]
    Locked(String),
}

impl GovernanceError {
    /// The error's stable code (the API's `error.code`).
    pub fn code(&self) -> &'static str {
        match self {
            GovernanceError::Store(_) | GovernanceError::Migrate(_) => "store_unavailable",
            GovernanceError::Audit(_) => "audit_unavailable",
            GovernanceError::Unauthenticated(_) => "unauthenticated",
            GovernanceError::Forbidden(_) => "forbidden",
            GovernanceError::NotFound(_) => "not_found",
            GovernanceError::Invalid(_) => "invalid_request",
            GovernanceError::State(_) => "wrong_state",
            GovernanceError::Locked(_) => "account_locked",
        }
    }
}

/// A result of this crate.
pub type Result<T> = std::result::Result<T, GovernanceError>;

/// The clock, in Unix seconds (a test sets its own to see approvals expire).
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The columns a project workspace can hold, which an application chooses among.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    /// Every column, as `table.column`.
    pub columns: Vec<String>,
    /// Those naming sources (a registry, a hospital): requested only with `show_sources`.
    pub sources: Vec<String>,
}

/// The governance of one warehouse: its store, its audit log, what its workspaces can hold.
#[derive(Clone)]
pub struct Governance {
    pool: AnyPool,
    audit: Arc<AuditLog>,
    clock: Clock,
    /// What an application may request.
    catalog: Arc<Catalog>,
    /// Opinions needed in a review round before the committee decides.
    quorum: usize,
}

impl Governance {
    /// Opens (creating it and bringing its schema up to date) the store at `url` (`sqlite://…`
    /// or `postgres://…`), with the audit log in folder `audit`, and `catalog` the columns an
    /// application may request.
    pub async fn open(url: &str, audit: &Path, catalog: Catalog) -> Result<Self> {
        let pool = store::connect(url).await?;
        Ok(Self {
            pool,
            audit: Arc::new(AuditLog::open(audit)?),
            clock: Arc::new(|| chrono::Utc::now().timestamp()),
            catalog: Arc::new(catalog),
            quorum: 1,
        })
    }

    /// The same governance with another clock.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The same governance requiring `quorum` opinions before a decision.
    pub fn with_quorum(mut self, quorum: usize) -> Self {
        self.quorum = quorum.max(1);
        self
    }

    /// The audit log.
    pub fn audit(&self) -> &Arc<AuditLog> {
        &self.audit
    }

    /// The columns an application may request.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Now, in Unix seconds.
    pub fn now(&self) -> i64 {
        (self.clock)()
    }

    /// Records an event in the audit log, durable when this returns (called inside the store's
    /// transaction, before its commit: a change the store holds always has its event; and by
    /// the server before it answers a query).
    pub async fn record(&self, actor: &str, action: &str, details: serde_json::Value) -> Result<u64> {
        let (audit, actor, action) = (self.audit.clone(), actor.to_string(), action.to_string());
        tokio::task::spawn_blocking(move || audit.append(&actor, &action, details))
            .await
            .map_err(|e| AuditError::Request(format!("the audit writer stopped: {e}")))?
            .map_err(GovernanceError::from)
    }

    /// Signs a checkpoint of the audit log (the server does at an interval and on demand).
    pub async fn checkpoint(&self) -> Result<Option<oncodata_audit::Checkpoint>> {
        let audit = self.audit.clone();
        tokio::task::spawn_blocking(move || audit.checkpoint())
            .await
            .map_err(|e| AuditError::Request(format!("the audit writer stopped: {e}")))?
            .map_err(GovernanceError::from)
    }
}

/// Deserialises an integer written as JSON allows it: `24`, or `24.0` (JSON Schema's `integer`
/// is any number without a fraction, as generated clients may write it).
pub fn integer<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<i64, D::Error> {
    let n = <serde_json::Number as serde::Deserialize>::deserialize(d)?;
    n.as_i64()
        .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15).map(|f| f as i64))
        .ok_or_else(|| serde::de::Error::custom(format!("{n}: an integer")))
}

/// Random bytes from the operating system, as lowercase hexadecimal.
fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).expect("the operating system's random source");
    hex::encode(buffer)
}

/// The SHA-256 of a secret, as stored in place of it.
fn digest(secret: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests;
