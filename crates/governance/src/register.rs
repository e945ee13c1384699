//! The public transparency register: every project the committee approved or refused, with its
//! title, team, purpose, the data it uses, its decision date and duration; and the decisions of
//! each year. What the French platform and the Health Data Hub publish of their approvals.

use serde::Serialize;
use sqlx::Row;

use crate::applications::{Form, Populations};
use crate::workflow::State;
use crate::{Governance, GovernanceError, Result};

/// A decided project, as the public sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Entry {
    /// The application's number.
    pub id: i64,
    /// The project's title.
    pub title: String,
    /// Its owner and members.
    pub team: Vec<String>,
    /// Its objectives.
    pub purpose: String,
    /// Why it is in the public interest.
    pub public_interest: String,
    /// The columns it uses (approved) or asked for (refused).
    pub data: Vec<String>,
    /// The populations.
    pub populations: Populations,
    /// `approved`, `expired` or `refused`.
    pub outcome: String,
    /// The date of the decision (YYYY-MM-DD, UTC).
    pub decided: String,
    /// How long the permit lasts, in months.
    pub duration_months: i64,
    /// When the permit ends (YYYY-MM-DD), for approved projects.
    pub expires: Option<String>,
}

/// The decisions of a year.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Year {
    /// The year.
    pub year: i32,
    /// Projects approved that year.
    pub approved: usize,
    /// Projects refused that year.
    pub refused: usize,
}

/// The register.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Register {
    /// Every decided project, newest decision first.
    pub projects: Vec<Entry>,
    /// Decisions per year, oldest first.
    pub years: Vec<Year>,
}

fn date(time: i64) -> String {
    chrono::DateTime::from_timestamp(time, 0).unwrap_or_default().format("%Y-%m-%d").to_string()
}

impl Governance {
    /// The public register.
    pub async fn register(&self) -> Result<Register> {
        let now = self.now();
        let rows = sqlx::query(
            "SELECT a.id, a.owner, a.state, a.body, p.body AS permit, p.expires, \
             (SELECT MIN(d.time) FROM decisions d WHERE d.application = a.id AND d.outcome IN ('approve', 'approve_with_conditions')) AS approved, \
             (SELECT MIN(d.time) FROM decisions d WHERE d.application = a.id AND d.outcome = 'reject') AS refused \
             FROM applications a LEFT JOIN permits p ON p.application = a.id ORDER BY a.id",
        )
        .fetch_all(&self.pool)
        .await?;
        let unreadable =
            |e: serde_json::Error| GovernanceError::Invalid(format!("the store holds a form it cannot read: {e}"));
        let mut projects = Vec::new();
        for row in &rows {
            let permit: Option<String> = row.try_get("permit")?;
            let state: String = row.try_get("state")?;
            let (form, outcome, decided, expires): (Form, &str, i64, Option<i64>) = match permit {
                Some(body) => {
                    let expires: i64 = row.try_get("expires")?;
                    let outcome = if expires > now { "approved" } else { "expired" };
                    (serde_json::from_str(&body).map_err(unreadable)?, outcome, row.try_get("approved")?, Some(expires))
                }
                None if state == State::Rejected.name() => {
                    let body: String = row.try_get("body")?;
                    (serde_json::from_str(&body).map_err(unreadable)?, "refused", row.try_get("refused")?, None)
                }
                None => continue,
            };
            let owner: String = row.try_get("owner")?;
            projects.push(Entry {
                id: row.try_get("id")?,
                title: form.title,
                team: std::iter::once(owner).chain(form.members).collect(),
                purpose: form.objectives,
                public_interest: form.public_interest,
                data: form.variables,
                populations: form.populations,
                outcome: outcome.into(),
                decided: date(decided),
                duration_months: form.duration_months,
                expires: expires.map(date),
            });
        }
        projects.sort_by(|a, b| b.decided.cmp(&a.decided).then(b.id.cmp(&a.id)));
        let mut years: Vec<Year> = Vec::new();
        for p in &projects {
            let year: i32 = p.decided[..4].parse().unwrap_or_default();
            let at = match years.iter().position(|y| y.year == year) {
                Some(i) => i,
                None => {
                    years.push(Year { year, approved: 0, refused: 0 });
                    years.len() - 1
                }
            };
            if p.outcome == "refused" {
                years[at].refused += 1;
            } else {
                years[at].approved += 1;
            }
        }
        years.sort_by_key(|y| y.year);
        Ok(Register { projects, years })
    }
}
