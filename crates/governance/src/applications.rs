//! Applications for access, their reviews and decisions, and the permits approvals grant.
//!
//! What an application names (Mica's and the French platform's forms): objectives, the public
//! interest, methodology, legal basis, the variables (`table.column` of a project workspace)
//! and populations requested, the members, the duration, how precise dates may be and whether
//! hospital and dataset names may be seen.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::accounts::User;
use crate::roles::{Action, Role};
use crate::workflow::{self, State, Step};
use crate::{Governance, GovernanceError, Result};

/// The longest a permit can last, in months.
pub const MAX_MONTHS: i64 = 60;

/// How precise the dates of a workspace are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DatePrecision {
    /// Full dates.
    Day,
    /// Dates cut to the month (the default).
    #[default]
    Month,
    /// Years only.
    Year,
}

/// The persons and tumours requested (empty lists: all).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Populations {
    /// Site groups (as `oncodata incidence --by site_group` names them).
    #[serde(default)]
    pub site_groups: Vec<String>,
    /// Years of diagnosis, first and last.
    #[serde(default, deserialize_with = "years")]
    #[schema(min_items = 2, max_items = 2)]
    pub years: Option<[i32; 2]>,
    /// Départements (INSEE codes).
    #[serde(default)]
    pub areas: Vec<String>,
    /// Sexes (`1` men, `2` women).
    #[serde(default)]
    pub sexes: Vec<String>,
}

/// Deserialises `[first, last]` years (integers as [`crate::integer`] reads them), or null.
fn years<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<[i32; 2]>, D::Error> {
    #[derive(Deserialize)]
    struct Year(#[serde(deserialize_with = "crate::integer")] i64);
    let Some([Year(a), Year(b)]) = Option::<[Year; 2]>::deserialize(d)? else { return Ok(None) };
    let year = |y: i64| i32::try_from(y).map_err(|_| serde::de::Error::custom(format!("{y}: a year")));
    Ok(Some([year(a)?, year(b)?]))
}

/// The application form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Form {
    /// The project's title.
    #[schema(min_length = 1)]
    pub title: String,
    /// What the project wants to learn.
    #[schema(min_length = 1)]
    pub objectives: String,
    /// Why it is in the public interest.
    #[schema(min_length = 1)]
    pub public_interest: String,
    /// How: design, population, analyses.
    #[schema(min_length = 1)]
    pub methodology: String,
    /// The legal basis of the processing (e.g. GDPR art. 6(1)(e) and 9(2)(j)).
    #[schema(min_length = 1)]
    pub legal_basis: String,
    /// The columns requested, as `table.column` of a workspace.
    #[schema(min_items = 1)]
    pub variables: Vec<String>,
    /// The populations requested.
    #[serde(default)]
    pub populations: Populations,
    /// The other members (applicant accounts); the owner is always one.
    #[serde(default)]
    pub members: Vec<String>,
    /// How long, in months (1 to 60).
    #[serde(deserialize_with = "crate::integer")]
    #[schema(minimum = 1, maximum = 60)]
    pub duration_months: i64,
    /// How precise dates may be.
    #[serde(default)]
    pub date_precision: DatePrecision,
    /// Whether hospital and dataset names may be seen.
    #[serde(default)]
    pub show_sources: bool,
}

/// A change of state: who, when, why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Transition {
    /// The state before.
    pub from: State,
    /// The state after.
    pub to: State,
    /// Who took the step.
    pub actor: String,
    /// When (Unix seconds).
    pub time: i64,
    /// Why, or what came with it.
    pub note: String,
}

/// A committee member's opinion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Opinion {
    /// For.
    Favourable,
    /// For, under conditions (say which in the comment).
    FavourableWithConditions,
    /// Against.
    Unfavourable,
}

/// An opinion in a review round.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Review {
    /// The round (the submission it reviews).
    pub round: i64,
    /// The committee member.
    pub reviewer: String,
    /// The opinion.
    pub opinion: Opinion,
    /// What the member says.
    pub comment: String,
    /// When (Unix seconds).
    pub time: i64,
}

/// A declared conflict of interest.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Conflict {
    /// The committee member.
    pub reviewer: String,
    /// Why.
    pub reason: String,
    /// When (Unix seconds).
    pub time: i64,
}

/// The committee's decision on a round.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Decision {
    /// The round.
    pub round: i64,
    /// The step decided (`request_changes`, `approve`, `approve_with_conditions`, `reject`).
    pub outcome: Step,
    /// Why: what the applicant reads (and, for requested changes, what to change).
    pub motivation: String,
    /// The conditions of a conditional approval.
    pub conditions: String,
    /// Who recorded it.
    pub decider: String,
    /// When (Unix seconds).
    pub time: i64,
}

/// The permit in force for a project.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Permit {
    /// The amendment it grants (0: the first approval).
    pub version: i64,
    /// What it grants.
    pub form: Form,
    /// When it was granted and when it ends (Unix seconds).
    pub granted: i64,
    /// When it ends.
    pub expires: i64,
    /// Whether it is in force now.
    pub in_force: bool,
}

impl Permit {
    /// Whether `user` is one of the permit's members (its owner is always one).
    pub fn names(&self, owner: &str, user: &str) -> bool {
        owner == user || self.form.members.iter().any(|m| m == user)
    }
}

/// An application as its reader may see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Application {
    /// Its number.
    pub id: i64,
    /// The applicant who owns it.
    pub owner: String,
    /// Its state.
    pub state: State,
    /// The steps its reader may take now.
    pub next_steps: Vec<Step>,
    /// The form (the amendment's, while one is written).
    pub form: Form,
    /// Submissions so far.
    pub round: i64,
    /// Amendments since the first approval.
    pub version: i64,
    /// When it was made and last changed (Unix seconds).
    pub created: i64,
    /// When it last changed.
    pub updated: i64,
    /// Every change of state.
    pub transitions: Vec<Transition>,
    /// The committee's decisions.
    pub decisions: Vec<Decision>,
    /// The opinions (committee members without a conflict only; empty for others).
    pub reviews: Vec<Review>,
    /// The declared conflicts (committee and stewards only).
    pub conflicts: Vec<Conflict>,
    /// The permit in force, if approved.
    pub permit: Option<Permit>,
}

/// One line of a list of applications.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Summary {
    /// Its number.
    pub id: i64,
    /// Its title.
    pub title: String,
    /// Its owner.
    pub owner: String,
    /// Its state.
    pub state: State,
    /// Submissions so far.
    pub round: i64,
    /// When it last changed (Unix seconds).
    pub updated: i64,
    /// Whether the reader declared a conflict of interest on it.
    pub conflicted: bool,
}

/// An application's row.
struct Stored {
    id: i64,
    owner: String,
    state: State,
    form: Form,
    round: i64,
    version: i64,
    created: i64,
    updated: i64,
}

impl Stored {
    fn from_row(row: &AnyRow) -> Result<Stored> {
        let state: String = row.try_get("state")?;
        let body: String = row.try_get("body")?;
        Ok(Stored {
            id: row.try_get("id")?,
            owner: row.try_get("owner")?,
            state: State::parse(&state)
                .ok_or_else(|| GovernanceError::Invalid(format!("the store holds an unknown state {state:?}")))?,
            form: serde_json::from_str(&body)
                .map_err(|e| GovernanceError::Invalid(format!("the store holds a form it cannot read: {e}")))?,
            round: row.try_get("round")?,
            version: row.try_get("version")?,
            created: row.try_get("created")?,
            updated: row.try_get("updated")?,
        })
    }

    /// Whether `user` is the owner or a member named by the form.
    fn involves(&self, user: &str) -> bool {
        self.owner == user || self.form.members.iter().any(|m| m == user)
    }
}

/// The columns of `applications`, in [`Stored::from_row`]'s order.
macro_rules! columns {
    () => {
        "id, owner, state, title, body, round, version, created, updated"
    };
}

async fn load(conn: &mut AnyConnection, id: i64) -> Result<Stored> {
    let row = sqlx::query(concat!("SELECT ", columns!(), " FROM applications WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| GovernanceError::NotFound(format!("no application {id}")))?;
    Stored::from_row(&row)
}

async fn conflicted(conn: &mut AnyConnection, id: i64, user: &str) -> Result<bool> {
    Ok(sqlx::query("SELECT reviewer FROM conflicts WHERE application = $1 AND reviewer = $2")
        .bind(id)
        .bind(user)
        .fetch_optional(&mut *conn)
        .await?
        .is_some())
}

/// The permit of application `id`, if it has one.
pub(crate) async fn permit_of(conn: &mut AnyConnection, id: i64, now: i64) -> Result<Option<Permit>> {
    let Some(row) = sqlx::query("SELECT version, body, granted, expires FROM permits WHERE application = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let body: String = row.try_get("body")?;
    let expires: i64 = row.try_get("expires")?;
    Ok(Some(Permit {
        version: row.try_get("version")?,
        form: serde_json::from_str(&body)
            .map_err(|e| GovernanceError::Invalid(format!("the store holds a permit it cannot read: {e}")))?,
        granted: row.try_get("granted")?,
        expires,
        in_force: expires > now,
    }))
}

/// `months` after `time` (Unix seconds), on the calendar.
fn add_months(time: i64, months: i64) -> i64 {
    let start = chrono::DateTime::from_timestamp(time, 0).unwrap_or_default();
    start.checked_add_months(chrono::Months::new(months as u32)).unwrap_or(start).timestamp()
}

impl Governance {
    /// Refuses a form that is incomplete, requests columns a workspace does not have, names
    /// members who are not applicants, or lasts too long.
    async fn check_form(&self, conn: &mut AnyConnection, form: &Form) -> Result<()> {
        let invalid = |what: String| Err(GovernanceError::Invalid(what));
        for (field, text) in [
            ("title", &form.title),
            ("objectives", &form.objectives),
            ("public_interest", &form.public_interest),
            ("methodology", &form.methodology),
            ("legal_basis", &form.legal_basis),
        ] {
            if text.trim().is_empty() {
                return invalid(format!("{field}: required"));
            }
        }
        if form.title.chars().count() > 200 {
            return invalid("title: at most 200 characters".into());
        }
        if form.variables.is_empty() {
            return invalid("variables: name at least one `table.column` of a workspace".into());
        }
        if self.catalog.columns.is_empty() {
            return invalid("variables: the warehouse is not linked, so no workspace can be built yet; a steward runs `oncodata link`".into());
        }
        for v in &form.variables {
            if !self.catalog.columns.contains(v) {
                return invalid(format!(
                    "variables: {v:?} is not a column of a project workspace; choose among {}",
                    self.catalog.columns.join(", ")
                ));
            }
            if self.catalog.sources.contains(v) && !form.show_sources {
                return invalid(format!(
                    "variables: {v:?} names the sources (registries, hospitals): ask for it with show_sources"
                ));
            }
        }
        if let Some([first, last]) = form.populations.years
            && first > last
        {
            return invalid(format!("populations.years: {first} comes after {last}"));
        }
        if !(1..=MAX_MONTHS).contains(&form.duration_months) {
            return invalid(format!("duration_months: 1 to {MAX_MONTHS}"));
        }
        for member in &form.members {
            let role = sqlx::query("SELECT role FROM users WHERE name = $1 AND disabled = 0")
                .bind(member)
                .fetch_optional(&mut *conn)
                .await?;
            let role: Option<String> = role.map(|r| r.try_get("role")).transpose()?;
            if role.as_deref() != Some(Role::Applicant.name()) {
                return invalid(format!("members: {member:?} is not an applicant's account"));
            }
        }
        Ok(())
    }

    /// Writes a new application (a draft) owned by `user`.
    pub async fn create_application(&self, user: &User, form: Form) -> Result<Application> {
        user.may(Action::Apply)?;
        let mut tx = self.pool.begin().await?;
        self.check_form(&mut tx, &form).await?;
        let id: i64 = sqlx::query("UPDATE counters SET value = value + 1 WHERE name = 'application' RETURNING value")
            .fetch_one(&mut *tx)
            .await?
            .try_get("value")?;
        let now = self.now();
        sqlx::query(concat!("INSERT INTO applications (", columns!(), ") VALUES ($1, $2, $3, $4, $5, 0, 0, $6, $6)"))
            .bind(id)
            .bind(&user.name)
            .bind(State::Draft.name())
            .bind(&form.title)
            .bind(serde_json::to_string(&form).expect("a form serialises"))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        self.record(&user.name, "application_create", serde_json::json!({ "application": id })).await?;
        tx.commit().await?;
        self.application(user, id).await
    }

    /// Replaces the form of a draft (or of an application returned for changes).
    pub async fn update_application(&self, user: &User, id: i64, form: Form) -> Result<Application> {
        user.may(Action::Apply)?;
        let mut tx = self.pool.begin().await?;
        let stored = load(&mut tx, id).await?;
        if stored.owner != user.name {
            return Err(GovernanceError::Forbidden(format!("application {id} is not yours")));
        }
        if !matches!(stored.state, State::Draft | State::ChangesRequested) {
            return Err(GovernanceError::State(format!(
                "application {id} is {}: only a draft or an application returned for changes can be edited",
                stored.state.name()
            )));
        }
        self.check_form(&mut tx, &form).await?;
        sqlx::query("UPDATE applications SET title = $1, body = $2, updated = $3 WHERE id = $4")
            .bind(&form.title)
            .bind(serde_json::to_string(&form).expect("a form serialises"))
            .bind(self.now())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        self.record(&user.name, "application_update", serde_json::json!({ "application": id })).await?;
        tx.commit().await?;
        self.application(user, id).await
    }

    /// Takes a step of the workflow (all but the committee's decision, see [`Governance::decide`]),
    /// with a note (why, or what comes with it).
    pub async fn step(&self, user: &User, id: i64, step: Step, note: &str) -> Result<Application> {
        if matches!(step, Step::RequestChanges | Step::Approve | Step::ApproveWithConditions | Step::Reject) {
            return Err(GovernanceError::Invalid(format!(
                "{step:?} is a decision: record it with its motivation (POST …/decision)"
            )));
        }
        let mut tx = self.pool.begin().await?;
        let stored = load(&mut tx, id).await?;
        let to = self.allowed_step(user, &stored, step)?;
        if matches!(step, Step::Submit | Step::Amend) && stored.owner != user.name {
            return Err(GovernanceError::Forbidden(format!("application {id} is not yours")));
        }
        if step == Step::Submit {
            // The form is checked again: accounts may have changed since it was written.
            self.check_form(&mut tx, &stored.form).await?;
        }
        let now = self.now();
        let (round, version) = match step {
            Step::Submit => (stored.round + 1, stored.version),
            Step::Amend => (stored.round, stored.version + 1),
            _ => (stored.round, stored.version),
        };
        self.transition(&mut tx, &stored, to, &user.name, note, round, version).await?;
        if step == Step::ConfirmConditions {
            self.grant(&mut tx, &stored, &user.name, now).await?;
        }
        self.record(
            &user.name,
            "transition",
            serde_json::json!({ "application": id, "from": stored.state.name(), "to": to.name(), "step": step, "round": round }),
        )
        .await?;
        tx.commit().await?;
        self.application(user, id).await
    }

    /// Checks that `user` may take `step` on the application: the workflow allows it from its
    /// state and the user's role has the right; returns where it leads.
    fn allowed_step(&self, user: &User, stored: &Stored, step: Step) -> Result<State> {
        let (to, action) = workflow::next(stored.state, step).ok_or_else(|| {
            GovernanceError::State(format!(
                "application {} is {}: {step:?} cannot be taken from there (possible: {:?})",
                stored.id,
                stored.state.name(),
                workflow::steps_from(stored.state)
            ))
        })?;
        user.may(action)?;
        Ok(to)
    }

    /// Writes the new state and its transition.
    #[allow(clippy::too_many_arguments)]
    async fn transition(
        &self,
        conn: &mut AnyConnection,
        stored: &Stored,
        to: State,
        actor: &str,
        note: &str,
        round: i64,
        version: i64,
    ) -> Result<()> {
        let now = self.now();
        let done = sqlx::query(
            "UPDATE applications SET state = $1, round = $2, version = $3, updated = $4 WHERE id = $5 AND state = $6",
        )
        .bind(to.name())
        .bind(round)
        .bind(version)
        .bind(now)
        .bind(stored.id)
        .bind(stored.state.name())
        .execute(&mut *conn)
        .await?;
        if done.rows_affected() == 0 {
            return Err(GovernanceError::State(format!("application {} changed meanwhile: read it again", stored.id)));
        }
        let seq: i64 = sqlx::query("SELECT COUNT(*) AS n FROM transitions WHERE application = $1")
            .bind(stored.id)
            .fetch_one(&mut *conn)
            .await?
            .try_get("n")?;
        sqlx::query(
            "INSERT INTO transitions (application, seq, from_state, to_state, actor, time, note) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(stored.id)
        .bind(seq)
        .bind(stored.state.name())
        .bind(to.name())
        .bind(actor)
        .bind(now)
        .bind(note)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }

    /// Writes the permit of an approved application (replacing an amendment's predecessor).
    async fn grant(&self, conn: &mut AnyConnection, stored: &Stored, actor: &str, now: i64) -> Result<()> {
        sqlx::query("DELETE FROM permits WHERE application = $1").bind(stored.id).execute(&mut *conn).await?;
        let expires = add_months(now, stored.form.duration_months);
        sqlx::query("INSERT INTO permits (application, version, body, granted, expires) VALUES ($1, $2, $3, $4, $5)")
            .bind(stored.id)
            .bind(stored.version)
            .bind(serde_json::to_string(&stored.form).expect("a form serialises"))
            .bind(now)
            .bind(expires)
            .execute(&mut *conn)
            .await?;
        self.record(
            actor,
            "permit",
            serde_json::json!({ "application": stored.id, "version": stored.version, "expires": expires,
                "variables": stored.form.variables, "members": stored.form.members }),
        )
        .await?;
        Ok(())
    }

    /// Refuses a committee member who declared a conflict on the application.
    async fn not_conflicted(&self, conn: &mut AnyConnection, user: &User, id: i64) -> Result<()> {
        if conflicted(conn, id, &user.name).await? {
            return Err(GovernanceError::Forbidden(format!(
                "you declared a conflict of interest on application {id}: you may neither read its review nor vote"
            )));
        }
        Ok(())
    }

    /// A committee member declares a conflict of interest on an application.
    pub async fn declare_conflict(&self, user: &User, id: i64, reason: &str) -> Result<()> {
        user.may(Action::DeclareConflict)?;
        if reason.trim().is_empty() {
            return Err(GovernanceError::Invalid("reason: say what the conflict is".into()));
        }
        let mut tx = self.pool.begin().await?;
        let stored = load(&mut tx, id).await?;
        if stored.round == 0 {
            return Err(GovernanceError::NotFound(format!("no application {id}")));
        }
        if conflicted(&mut tx, id, &user.name).await? {
            return Ok(());
        }
        let reviewed =
            sqlx::query("SELECT reviewer FROM reviews WHERE application = $1 AND round = $2 AND reviewer = $3")
                .bind(id)
                .bind(stored.round)
                .bind(&user.name)
                .fetch_optional(&mut *tx)
                .await?;
        if reviewed.is_some() {
            return Err(GovernanceError::State(format!(
                "you gave an opinion on application {id} in this round: tell the committee's secretariat of the conflict"
            )));
        }
        sqlx::query("INSERT INTO conflicts (application, reviewer, reason, time) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(&user.name)
            .bind(reason)
            .bind(self.now())
            .execute(&mut *tx)
            .await?;
        self.record(&user.name, "conflict", serde_json::json!({ "application": id, "reason": reason })).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A committee member gives an opinion on an application under review (once per round).
    pub async fn review(&self, user: &User, id: i64, opinion: Opinion, comment: &str) -> Result<Application> {
        user.may(Action::Review)?;
        let mut tx = self.pool.begin().await?;
        let stored = load(&mut tx, id).await?;
        self.not_conflicted(&mut tx, user, id).await?;
        if stored.state != State::UnderReview {
            return Err(GovernanceError::State(format!(
                "application {id} is {}: opinions are given while it is under review",
                stored.state.name()
            )));
        }
        let done = sqlx::query(
            "INSERT INTO reviews (application, round, reviewer, opinion, comment, time) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(stored.round)
        .bind(&user.name)
        .bind(serde_json::to_value(opinion).expect("serialises").as_str().expect("a name"))
        .bind(comment)
        .bind(self.now())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(GovernanceError::State(format!(
                "you gave your opinion on application {id} in this round already"
            )));
        }
        self.record(
            &user.name,
            "review",
            serde_json::json!({ "application": id, "round": stored.round, "opinion": opinion }),
        )
        .await?;
        tx.commit().await?;
        self.application(user, id).await
    }

    /// The committee's decision on an application under review: `outcome` one of the steps
    /// `request_changes`, `approve`, `approve_with_conditions`, `reject`, with its motivation
    /// (and conditions). Needs the quorum of opinions in the round. An approval grants the
    /// permit; a refused amendment leaves the project approved under its permit in force.
    pub async fn decide(
        &self,
        user: &User,
        id: i64,
        outcome: Step,
        motivation: &str,
        conditions: &str,
    ) -> Result<Application> {
        if !matches!(outcome, Step::RequestChanges | Step::Approve | Step::ApproveWithConditions | Step::Reject) {
            return Err(GovernanceError::Invalid(
                "outcome: one of request_changes, approve, approve_with_conditions, reject".into(),
            ));
        }
        if motivation.trim().is_empty() {
            return Err(GovernanceError::Invalid("motivation: a decision says why".into()));
        }
        if outcome == Step::ApproveWithConditions && conditions.trim().is_empty() {
            return Err(GovernanceError::Invalid("conditions: a conditional approval names its conditions".into()));
        }
        let mut tx = self.pool.begin().await?;
        let stored = load(&mut tx, id).await?;
        self.not_conflicted(&mut tx, user, id).await?;
        let mut to = self.allowed_step(user, &stored, outcome)?;
        let opinions: i64 = sqlx::query("SELECT COUNT(*) AS n FROM reviews WHERE application = $1 AND round = $2")
            .bind(id)
            .bind(stored.round)
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
        if (opinions as usize) < self.quorum {
            return Err(GovernanceError::State(format!(
                "application {id} has {opinions} opinion(s) in this round; the committee decides after {}",
                self.quorum
            )));
        }
        let now = self.now();
        let in_force = permit_of(&mut tx, id, now).await?;
        let mut note = motivation.to_string();
        if outcome == Step::Reject && in_force.is_some() {
            to = State::Approved;
            note = format!("amendment refused; the permit in force is unchanged: {motivation}");
        }
        sqlx::query(
            "INSERT INTO decisions (application, round, outcome, motivation, conditions, decider, time) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(stored.round)
        .bind(serde_json::to_value(outcome).expect("serialises").as_str().expect("a name"))
        .bind(motivation)
        .bind(conditions)
        .bind(&user.name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        self.transition(&mut tx, &stored, to, &user.name, &note, stored.round, stored.version).await?;
        if outcome == Step::Approve {
            self.grant(&mut tx, &stored, &user.name, now).await?;
        }
        self.record(
            &user.name,
            "decision",
            serde_json::json!({ "application": id, "round": stored.round, "outcome": outcome, "to": to.name() }),
        )
        .await?;
        tx.commit().await?;
        self.application(user, id).await
    }

    /// Application `id` as `user` may see it.
    pub async fn application(&self, user: &User, id: i64) -> Result<Application> {
        user.may(Action::ReadApplication)?;
        let mut conn = self.pool.acquire().await?;
        let stored = load(&mut conn, id).await?;
        let now = self.now();
        let permit = permit_of(&mut conn, id, now).await?;
        let deliberates = match user.role {
            Role::Applicant => {
                let named =
                    stored.involves(&user.name) || permit.as_ref().is_some_and(|p| p.names(&stored.owner, &user.name));
                if !named {
                    return Err(GovernanceError::Forbidden(format!(
                        "application {id} is neither yours nor one you are a member of"
                    )));
                }
                false
            }
            Role::Committee | Role::Steward => {
                if stored.round == 0 {
                    return Err(GovernanceError::NotFound(format!("no application {id} (drafts are their owner's)")));
                }
                if user.role == Role::Committee {
                    self.not_conflicted(&mut conn, user, id).await?;
                }
                user.role == Role::Committee
            }
            Role::Public | Role::Admin => unreachable!("refused by the table above"),
        };
        let transitions = sqlx::query(
            "SELECT from_state, to_state, actor, time, note FROM transitions WHERE application = $1 ORDER BY seq",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            let state = |c: &str| -> Result<State> {
                let name: String = r.try_get(c)?;
                State::parse(&name).ok_or_else(|| GovernanceError::Invalid(format!("unknown state {name:?}")))
            };
            Ok(Transition {
                from: state("from_state")?,
                to: state("to_state")?,
                actor: r.try_get("actor")?,
                time: r.try_get("time")?,
                note: r.try_get("note")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let decisions = sqlx::query(
            "SELECT round, outcome, motivation, conditions, decider, time FROM decisions WHERE application = $1 ORDER BY round",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            Ok(Decision {
                round: r.try_get("round")?,
                outcome: named(r.try_get("outcome")?)?,
                motivation: r.try_get("motivation")?,
                conditions: r.try_get("conditions")?,
                decider: r.try_get("decider")?,
                time: r.try_get("time")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let (mut reviews, mut conflicts) = (Vec::new(), Vec::new());
        if user.role != Role::Applicant {
            conflicts = sqlx::query(
                "SELECT reviewer, reason, time FROM conflicts WHERE application = $1 ORDER BY time, reviewer",
            )
            .bind(id)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| {
                Ok(Conflict {
                    reviewer: r.try_get("reviewer")?,
                    reason: r.try_get("reason")?,
                    time: r.try_get("time")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        }
        if deliberates {
            reviews = sqlx::query(
                "SELECT round, reviewer, opinion, comment, time FROM reviews WHERE application = $1 ORDER BY round, time, reviewer",
            )
            .bind(id)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| {
                Ok(Review {
                    round: r.try_get("round")?,
                    reviewer: r.try_get("reviewer")?,
                    opinion: named(r.try_get("opinion")?)?,
                    comment: r.try_get("comment")?,
                    time: r.try_get("time")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        }
        let next_steps = workflow::steps_from(stored.state)
            .into_iter()
            .filter(|s| workflow::next(stored.state, *s).is_some_and(|(_, a)| crate::roles::allows(user.role, a)))
            .filter(|s| {
                user.role != Role::Applicant || stored.owner == user.name || !matches!(s, Step::Submit | Step::Amend)
            })
            .collect();
        Ok(Application {
            id,
            owner: stored.owner,
            state: stored.state,
            next_steps,
            form: stored.form,
            round: stored.round,
            version: stored.version,
            created: stored.created,
            updated: stored.updated,
            transitions,
            decisions,
            reviews,
            conflicts,
            permit,
        })
    }

    /// The applications `user` may see: an applicant's own and those naming them; for the
    /// committee and stewards, every one ever submitted (flagged where the reader is conflicted).
    pub async fn applications(&self, user: &User) -> Result<Vec<Summary>> {
        user.may(Action::ReadApplication)?;
        let mut conn = self.pool.acquire().await?;
        let rows =
            sqlx::query(concat!("SELECT ", columns!(), " FROM applications ORDER BY id")).fetch_all(&mut *conn).await?;
        let conflicts: Vec<i64> = sqlx::query("SELECT application FROM conflicts WHERE reviewer = $1")
            .bind(&user.name)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| r.try_get("application"))
            .collect::<std::result::Result<_, _>>()?;
        let mut list = Vec::new();
        for row in &rows {
            let s = Stored::from_row(row)?;
            let visible = match user.role {
                Role::Applicant => s.involves(&user.name),
                _ => s.round > 0,
            };
            if visible {
                list.push(Summary {
                    id: s.id,
                    title: s.form.title,
                    owner: s.owner,
                    state: s.state,
                    round: s.round,
                    updated: s.updated,
                    conflicted: conflicts.contains(&s.id),
                });
            }
        }
        Ok(list)
    }

    /// The permit of project `id` if `user` may use its workspace now: an applicant the permit
    /// names, the permit in force.
    pub async fn workspace_permit(&self, user: &User, id: i64) -> Result<Permit> {
        user.may(Action::UseWorkspace)?;
        let mut conn = self.pool.acquire().await?;
        let stored = load(&mut conn, id).await?;
        let permit = permit_of(&mut conn, id, self.now()).await?.ok_or_else(|| {
            GovernanceError::Forbidden(format!("project {id} has no permit: its workspace is closed"))
        })?;
        if !permit.names(&stored.owner, &user.name) {
            return Err(GovernanceError::Forbidden(format!("you are not a member of project {id}")));
        }
        if !permit.in_force {
            return Err(GovernanceError::Forbidden(format!(
                "project {id}'s permit expired: its owner may apply for an extension (an amendment)"
            )));
        }
        Ok(permit)
    }
}

/// A value the store writes by its serde name (an opinion, a step).
fn named<T: serde::de::DeserializeOwned>(name: String) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(name.clone()))
        .map_err(|_| GovernanceError::Invalid(format!("the store holds an unknown name {name:?}")))
}
