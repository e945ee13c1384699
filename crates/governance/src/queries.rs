//! A project's saved queries: the SQL statements its members name and keep, to run again in the
//! workspace. Only the members the permit in force names may save or read them; each save is an
//! audit event (the statement's text is in the store, its SHA-256 in the log).

use serde::Serialize;
use sha2::Digest;
use sqlx::Row;

use crate::accounts::User;
use crate::{Governance, GovernanceError, Result};

/// The longest name and statement kept.
const MAX_NAME: usize = 100;
const MAX_STATEMENT: usize = 100_000;

/// A saved query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SavedQuery {
    /// Its number.
    pub id: i64,
    /// The project it belongs to.
    pub project: i64,
    /// The member who saved it.
    pub owner: String,
    /// Its name.
    pub name: String,
    /// The statement.
    pub sql: String,
    /// When it was saved (Unix seconds).
    pub created: i64,
}

impl Governance {
    /// Saves `sql` under `name` in project `project`, for `user`, a member the permit in force
    /// names.
    pub async fn save_query(&self, user: &User, project: i64, name: &str, sql: &str) -> Result<SavedQuery> {
        self.workspace_permit(user, project).await?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME {
            return Err(GovernanceError::Invalid(format!("a saved query needs a name of 1 to {MAX_NAME} characters")));
        }
        if sql.trim().is_empty() || sql.len() > MAX_STATEMENT {
            return Err(GovernanceError::Invalid(format!(
                "a saved query needs a statement of 1 to {MAX_STATEMENT} bytes"
            )));
        }
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query("UPDATE counters SET value = value + 1 WHERE name = 'saved_query' RETURNING value")
            .fetch_one(&mut *tx)
            .await?
            .try_get("value")?;
        let created = self.now();
        sqlx::query(
            "INSERT INTO saved_queries (id, application, owner, name, statement, created) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(project)
        .bind(&user.name)
        .bind(name)
        .bind(sql)
        .bind(created)
        .execute(&mut *tx)
        .await?;
        let digest = hex::encode(sha2::Sha256::digest(sql.as_bytes()));
        self.record(
            &user.name,
            "query_save",
            serde_json::json!({ "project": project, "query": id, "name": name, "sql_sha256": digest }),
        )
        .await?;
        tx.commit().await?;
        Ok(SavedQuery { id, project, owner: user.name.clone(), name: name.to_string(), sql: sql.to_string(), created })
    }

    /// Project `project`'s saved queries, newest first, for a member the permit in force names.
    pub async fn saved_queries(&self, user: &User, project: i64) -> Result<Vec<SavedQuery>> {
        self.workspace_permit(user, project).await?;
        let rows = sqlx::query(
            "SELECT id, owner, name, statement, created FROM saved_queries WHERE application = $1 ORDER BY id DESC",
        )
        .bind(project)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SavedQuery {
                    id: r.try_get("id")?,
                    project,
                    owner: r.try_get("owner")?,
                    name: r.try_get("name")?,
                    sql: r.try_get("statement")?,
                    created: r.try_get("created")?,
                })
            })
            .collect()
    }
}
