//! The state of each project's workspace: which permit version it holds, and whether it is
//! being built, ready, or failed (and why). The server builds a workspace when a permit is
//! granted or replaced, and again at start for any permit whose workspace is behind.

use serde::Serialize;
use sqlx::Row;

use crate::applications::{Permit, permit_of};
use crate::{Governance, Result};

/// How far a workspace's build is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Build {
    /// Being built from the permit.
    Building,
    /// Ready to be queried.
    Ready,
    /// The build failed (the message says why).
    Failed,
}

impl Build {
    fn name(self) -> &'static str {
        match self {
            Build::Building => "building",
            Build::Ready => "ready",
            Build::Failed => "failed",
        }
    }

    fn parse(name: &str) -> Build {
        match name {
            "ready" => Build::Ready,
            "building" => Build::Building,
            _ => Build::Failed,
        }
    }
}

/// A project's workspace.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Workspace {
    /// The permit version it holds (or is being built from).
    pub version: i64,
    /// How far its build is.
    pub state: Build,
    /// What it holds, or why its build failed.
    pub message: String,
    /// When its state last changed (Unix seconds).
    pub updated: i64,
}

impl Governance {
    /// Project `id`'s workspace, if one was ever built or started.
    pub async fn workspace(&self, id: i64) -> Result<Option<Workspace>> {
        let row = sqlx::query("SELECT version, state, message, updated FROM workspaces WHERE application = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| {
            Ok(Workspace {
                version: r.try_get("version")?,
                state: Build::parse(&r.try_get::<String, _>("state")?),
                message: r.try_get("message")?,
                updated: r.try_get("updated")?,
            })
        })
        .transpose()
    }

    /// Records how project `id`'s workspace build for permit `version` went (an audit event).
    pub async fn set_workspace(&self, id: i64, version: i64, state: Build, message: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM workspaces WHERE application = $1").bind(id).execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO workspaces (application, version, state, message, updated) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(version)
        .bind(state.name())
        .bind(message)
        .bind(self.now())
        .execute(&mut *tx)
        .await?;
        self.record(
            "platform",
            "workspace",
            serde_json::json!({ "project": id, "version": version, "state": state.name(), "message": message }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The permit of project `id` (for the platform's own work: no reader's rights checked).
    pub async fn permit(&self, id: i64) -> Result<Option<Permit>> {
        let mut conn = self.pool.acquire().await?;
        permit_of(&mut conn, id, self.now()).await
    }

    /// The projects whose permit is in force and whose workspace does not hold it yet.
    pub async fn workspaces_behind(&self) -> Result<Vec<i64>> {
        let rows = sqlx::query(
            "SELECT p.application FROM permits p LEFT JOIN workspaces w ON w.application = p.application \
             WHERE p.expires > $1 AND (w.version IS NULL OR w.version <> p.version OR w.state <> 'ready') \
             ORDER BY p.application",
        )
        .bind(self.now())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok(r.try_get("application")?)).collect()
    }
}
