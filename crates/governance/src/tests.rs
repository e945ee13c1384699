//! The governance on the store the tests are given: SQLite by default, PostgreSQL when
//! `ONCODATA_TEST_POSTGRES` holds a server's URL (`.ci/run` starts one and runs these tests
//! again on it), each test in a database of its own.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::applications::{Form, Opinion, Populations};
use crate::workflow::{State, Step};
use crate::*;

/// A store for one test, and its clock (Unix seconds, moved by hand).
pub(crate) async fn governance(dir: &std::path::Path) -> (Governance, Arc<AtomicI64>) {
    let url = test_database_url(dir).await;
    let clock = Arc::new(AtomicI64::new(1_780_000_000)); // 2026-05-28
    let c = clock.clone();
    let catalog = Catalog {
        columns: [
            "persons.person_id",
            "persons.sex",
            "persons.datasets",
            "primaries.site_group",
            "primaries.incidence_date",
        ]
        .map(String::from)
        .to_vec(),
        sources: vec!["persons.datasets".into()],
    };
    let g = Governance::open(&url, &dir.join("audit"), catalog).await.unwrap();
    (g.with_clock(Arc::new(move || c.load(Ordering::SeqCst))), clock)
}

/// SQLite in `dir`, or a new database on the PostgreSQL server of `ONCODATA_TEST_POSTGRES`.
pub async fn test_database_url(dir: &std::path::Path) -> String {
    match std::env::var("ONCODATA_TEST_POSTGRES") {
        Ok(server) if !server.is_empty() => {
            use sqlx::Connection;
            sqlx::any::install_default_drivers();
            let name = format!("t{}", random_hex(8));
            let mut admin = sqlx::AnyConnection::connect(&server).await.expect("the test PostgreSQL server");
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut admin).await.unwrap();
            let (base, _) = server.rsplit_once('/').expect("a URL ending in /DATABASE");
            format!("{base}/{name}")
        }
        _ => default_url(dir),
    }
}

fn form(title: &str) -> Form {
    Form {
        title: title.into(),
        objectives: "Adherence to adjuvant hormone therapy after breast cancer".into(),
        public_interest: "Persistence of treatment drives survival".into(),
        methodology: "Retrospective cohort, 2015-2022".into(),
        legal_basis: "GDPR art. 6(1)(e), 9(2)(j)".into(),
        variables: vec!["persons.sex".into(), "primaries.site_group".into()],
        populations: Populations {
            site_groups: vec!["breast".into()],
            years: Some([2015, 2022]),
            ..Default::default()
        },
        members: vec!["bob".into()],
        duration_months: 24,
        date_precision: Default::default(),
        show_sources: false,
    }
}

struct People {
    alice: User,
    bob: User,
    carol: User,
    chris: User,
    cora: User,
    steve: User,
    admin: User,
}

async fn people(g: &Governance) -> People {
    let add = |name: &'static str, role| async move {
        g.add_user("admin", name, role, format!("{name} long password")).await.unwrap()
    };
    People {
        alice: add("alice", Role::Applicant).await,
        bob: add("bob", Role::Applicant).await,
        carol: add("carol", Role::Applicant).await,
        chris: add("chris", Role::Committee).await,
        cora: add("cora", Role::Committee).await,
        steve: add("steve", Role::Steward).await,
        admin: add("root", Role::Admin).await,
    }
}

fn code<T: std::fmt::Debug>(r: Result<T>) -> &'static str {
    r.expect_err("refused").code()
}

#[tokio::test]
async fn an_application_goes_through_review_changes_and_approval_with_every_step_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let (g, clock) = governance(tmp.path()).await;
    let p = people(&g).await;
    let a = g.create_application(&p.alice, form("TRADHOR")).await.unwrap();
    assert_eq!((a.state, a.round), (State::Draft, 0));
    assert_eq!(code(g.application(&p.chris, a.id).await), "not_found", "drafts are their owner's");
    let a = g.step(&p.alice, a.id, Step::Submit, "").await.unwrap();
    assert_eq!(code(g.step(&p.alice, a.id, Step::OpenReview, "").await), "forbidden");
    let a = g.step(&p.steve, a.id, Step::OpenReview, "complete").await.unwrap();
    assert_eq!(a.state, State::UnderReview);

    // Cora declares a conflict: she can neither read the review nor vote.
    g.declare_conflict(&p.cora, a.id, "co-author of the applicant").await.unwrap();
    assert_eq!(code(g.application(&p.cora, a.id).await), "forbidden");
    assert_eq!(code(g.review(&p.cora, a.id, Opinion::Favourable, "").await), "forbidden");
    assert_eq!(code(g.decide(&p.cora, a.id, Step::Approve, "fine", "").await), "forbidden");
    assert!(g.applications(&p.cora).await.unwrap().iter().any(|s| s.id == a.id && s.conflicted));

    assert_eq!(code(g.decide(&p.chris, a.id, Step::Approve, "fine", "").await), "wrong_state", "no opinion yet");
    g.review(&p.chris, a.id, Opinion::Unfavourable, "the population is too wide").await.unwrap();
    assert_eq!(code(g.review(&p.chris, a.id, Opinion::Favourable, "").await), "wrong_state", "one opinion a round");
    let a = g.decide(&p.chris, a.id, Step::RequestChanges, "restrict to women aged 18+", "").await.unwrap();
    assert_eq!(a.state, State::ChangesRequested);
    let seen = g.application(&p.bob, a.id).await.unwrap();
    assert_eq!(seen.decisions[0].motivation, "restrict to women aged 18+", "members read the requested changes");
    assert!(seen.reviews.is_empty(), "but not the committee's opinions");

    clock.fetch_add(86_400, Ordering::SeqCst);
    let mut changed = form("TRADHOR");
    changed.populations.sexes = vec!["2".into()];
    g.update_application(&p.alice, a.id, changed.clone()).await.unwrap();
    g.step(&p.alice, a.id, Step::Submit, "restricted to women").await.unwrap();
    g.step(&p.steve, a.id, Step::OpenReview, "").await.unwrap();
    g.review(&p.chris, a.id, Opinion::Favourable, "").await.unwrap();
    let a = g.decide(&p.chris, a.id, Step::Approve, "public interest shown", "").await.unwrap();
    assert_eq!((a.state, a.round), (State::Approved, 2));
    let permit = a.permit.as_ref().unwrap();
    assert_eq!(permit.form, changed);
    assert!(permit.in_force);
    assert_eq!(g.workspace_permit(&p.bob, a.id).await.unwrap().version, 0);
    assert_eq!(code(g.workspace_permit(&p.carol, a.id).await), "forbidden", "not a member");
    assert_eq!(code(g.application(&p.carol, a.id).await), "forbidden");

    let steps: Vec<(State, State, &str)> = a.transitions.iter().map(|t| (t.from, t.to, t.actor.as_str())).collect();
    assert_eq!(
        steps,
        [
            (State::Draft, State::Submitted, "alice"),
            (State::Submitted, State::UnderReview, "steve"),
            (State::UnderReview, State::ChangesRequested, "chris"),
            (State::ChangesRequested, State::Submitted, "alice"),
            (State::Submitted, State::UnderReview, "steve"),
            (State::UnderReview, State::Approved, "chris"),
        ]
    );
    // Every transition has its audit event, and the log verifies.
    let report = g.audit().verify(None, None).unwrap();
    let text = std::fs::read_to_string(tmp.path().join("audit/events.jsonl")).unwrap();
    let transitions =
        text.lines().filter(|l| l.contains(r#""action":"transition""#) || l.contains(r#""action":"decision""#)).count();
    assert_eq!(transitions, a.transitions.len());
    assert!(report.events as usize > transitions);
    assert!(!text.contains("long password"), "no password reaches the log");

    let register = g.register().await.unwrap();
    assert_eq!(register.projects.len(), 1);
    assert_eq!(register.projects[0].team, ["alice", "bob"]);
    assert_eq!(register.projects[0].outcome, "approved");
    assert_eq!(register.projects[0].decided, "2026-05-29");
    let _ = p.admin;
}

#[tokio::test]
async fn each_role_is_refused_what_the_table_does_not_give_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (g, _) = governance(tmp.path()).await;
    let p = people(&g).await;
    assert_eq!(code(g.create_application(&p.chris, form("x")).await), "forbidden");
    assert_eq!(code(g.create_application(&p.admin, form("x")).await), "forbidden");
    let a = g.create_application(&p.alice, form("x")).await.unwrap();
    assert_eq!(code(g.step(&p.bob, a.id, Step::Submit, "").await), "forbidden", "a member is not the owner");
    g.step(&p.alice, a.id, Step::Submit, "").await.unwrap();
    assert_eq!(code(g.application(&p.admin, a.id).await), "forbidden");
    assert_eq!(code(g.review(&p.steve, a.id, Opinion::Favourable, "").await), "forbidden");
    assert_eq!(code(g.step(&p.chris, a.id, Step::OpenReview, "").await), "forbidden");
    assert_eq!(code(g.review(&p.chris, a.id, Opinion::Favourable, "").await), "wrong_state", "not under review yet");
    assert_eq!(code(g.step(&p.alice, a.id, Step::Approve, "").await), "invalid_request");
    assert_eq!(g.applications(&p.carol).await.unwrap().len(), 0);
    assert_eq!(g.applications(&p.steve).await.unwrap().len(), 1);
    let steward_view = g.application(&p.steve, a.id).await.unwrap();
    assert_eq!(steward_view.next_steps, [Step::OpenReview]);
}

#[tokio::test]
async fn forms_name_columns_of_a_workspace_and_applicants_as_members() {
    let tmp = tempfile::tempdir().unwrap();
    let (g, _) = governance(tmp.path()).await;
    let p = people(&g).await;
    let mut f = form("x");
    f.variables.push("persons.nir".into());
    let e = g.create_application(&p.alice, f).await.unwrap_err();
    assert!(e.to_string().contains("\"persons.nir\" is not a column"), "{e}");
    let mut f = form("x");
    f.members = vec!["chris".into()];
    assert!(g.create_application(&p.alice, f).await.unwrap_err().to_string().contains("not an applicant"));
    let mut f = form("x");
    f.variables.push("persons.datasets".into());
    assert!(g.create_application(&p.alice, f.clone()).await.unwrap_err().to_string().contains("show_sources"));
    f.show_sources = true;
    g.create_application(&p.alice, f).await.expect("the sources, when asked for");
    let mut f = form("x");
    f.duration_months = 61;
    assert_eq!(code(g.create_application(&p.alice, f).await), "invalid_request");
}

#[tokio::test]
async fn five_failed_logins_lock_an_account_for_a_quarter_of_an_hour() {
    let tmp = tempfile::tempdir().unwrap();
    let (g, clock) = governance(tmp.path()).await;
    people(&g).await;
    assert_eq!(g.authenticate("alice", "alice long password".into(), "test").await.unwrap().name, "alice");
    for _ in 0..accounts::MAX_FAILURES {
        assert_eq!(code(g.authenticate("alice", "wrong".into(), "test").await), "unauthenticated");
    }
    assert_eq!(code(g.authenticate("alice", "alice long password".into(), "test").await), "account_locked");
    clock.fetch_add(accounts::LOCK_SECONDS, Ordering::SeqCst);
    g.authenticate("alice", "alice long password".into(), "test").await.unwrap();
    assert_eq!(code(g.authenticate("my secret password", "whatever".into(), "test").await), "unauthenticated");
    let log = std::fs::read_to_string(tmp.path().join("audit/events.jsonl")).unwrap();
    assert!(
        !log.contains("my secret password"),
        "a name typed for no account (a password in the wrong field) is not kept"
    );
    g.disable_user("root", "alice").await.unwrap();
    assert_eq!(code(g.authenticate("alice", "alice long password".into(), "test").await), "unauthenticated");
    g.reset_password("root", "alice", "a new long password".into()).await.unwrap();
    g.authenticate("alice", "a new long password".into(), "test").await.unwrap();
    assert_eq!(
        code(g.add_user("root", "Bad Name", Role::Applicant, "long enough password".into()).await),
        "invalid_request"
    );
    assert_eq!(code(g.add_user("root", "dora", Role::Applicant, "short".into()).await), "invalid_request");
    let stored: String =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE name = 'alice'").fetch_one(&g.pool).await.unwrap();
    assert!(stored.starts_with("$argon2id$v=19$"), "Argon2id, never the password");
}

#[tokio::test]
async fn sessions_and_project_tokens_end_when_they_should() {
    let tmp = tempfile::tempdir().unwrap();
    let (g, clock) = governance(tmp.path()).await;
    let p = people(&g).await;
    let session = g.open_session(p.alice.clone()).await.unwrap();
    let (user, csrf) = g.session(&session.secret).await.unwrap();
    assert_eq!((user.name.as_str(), csrf), ("alice", session.csrf.clone()));

    let a = g.create_application(&p.alice, form("x")).await.unwrap();
    assert_eq!(code(g.issue_token(&p.alice, a.id, 30).await), "forbidden", "no permit yet");
    g.step(&p.alice, a.id, Step::Submit, "").await.unwrap();
    g.step(&p.steve, a.id, Step::OpenReview, "").await.unwrap();
    g.review(&p.chris, a.id, Opinion::FavourableWithConditions, "a data-management plan").await.unwrap();
    let a = g.decide(&p.chris, a.id, Step::ApproveWithConditions, "good", "send the DMP").await.unwrap();
    assert!(a.permit.is_none(), "no permit before the conditions are met");
    let a = g.step(&p.steve, a.id, Step::ConfirmConditions, "DMP received").await.unwrap();
    assert_eq!(a.state, State::Approved);

    let issued = g.issue_token(&p.bob, a.id, 30).await.unwrap();
    assert!(issued.token.starts_with("odt_"));
    assert_eq!(g.token(&issued.token).await.unwrap().1, a.id);
    assert_eq!(code(g.token("odt_00_00").await), "unauthenticated");
    assert_eq!(code(g.revoke_token(&p.alice, &issued.info.id).await), "not_found", "another's token");
    g.revoke_token(&p.bob, &issued.info.id).await.unwrap();
    assert_eq!(code(g.token(&issued.token).await), "unauthenticated");

    let issued = g.issue_token(&p.bob, a.id, 90).await.unwrap();
    clock.fetch_add(91 * 86_400, Ordering::SeqCst);
    assert_eq!(code(g.token(&issued.token).await), "unauthenticated", "expired");
    assert_eq!(code(g.session(&session.secret).await), "unauthenticated", "sessions last 8 hours");
    clock.fetch_add(2 * 365 * 86_400, Ordering::SeqCst);
    assert!(g.workspace_permit(&p.bob, a.id).await.unwrap_err().to_string().contains("expired"));
    assert_eq!(g.register().await.unwrap().projects[0].outcome, "expired");
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM api_tokens").fetch_all(&g.pool).await.unwrap();
    assert!(stored.iter().all(|h| !issued.token.contains(h.as_str()) && h.len() == 64), "only hashes are kept");
}

#[tokio::test]
async fn an_amendment_is_reviewed_again_and_a_refused_one_keeps_the_permit() {
    let tmp = tempfile::tempdir().unwrap();
    let (g, clock) = governance(tmp.path()).await;
    let p = people(&g).await;
    let approve = |id: i64, outcome: Step| {
        let p = &p;
        let g = &g;
        async move {
            g.step(&p.steve, id, Step::OpenReview, "").await.unwrap();
            g.review(&p.chris, id, Opinion::Favourable, "").await.unwrap();
            g.decide(&p.chris, id, outcome, "motivated", "").await.unwrap()
        }
    };
    let a = g.create_application(&p.alice, form("x")).await.unwrap();
    g.step(&p.alice, a.id, Step::Submit, "").await.unwrap();
    approve(a.id, Step::Approve).await;
    clock.fetch_add(1000, Ordering::SeqCst);

    let a = g.step(&p.alice, a.id, Step::Amend, "add carol").await.unwrap();
    assert_eq!((a.state, a.version), (State::Draft, 1));
    let mut f = form("x");
    f.members.push("carol".into());
    g.update_application(&p.alice, a.id, f.clone()).await.unwrap();
    assert_eq!(code(g.workspace_permit(&p.carol, a.id).await), "forbidden", "not before the amendment is approved");
    assert!(g.workspace_permit(&p.bob, a.id).await.is_ok(), "the permit in force stays");
    g.step(&p.alice, a.id, Step::Submit, "").await.unwrap();
    let a = approve(a.id, Step::Reject).await;
    assert_eq!(a.state, State::Approved, "a refused amendment leaves the project approved");
    assert_eq!(a.permit.as_ref().unwrap().version, 0);

    g.step(&p.alice, a.id, Step::Amend, "").await.unwrap();
    g.step(&p.alice, a.id, Step::Submit, "").await.unwrap();
    let a = approve(a.id, Step::Approve).await;
    assert_eq!(a.permit.as_ref().unwrap().version, 2);
    assert!(g.workspace_permit(&p.carol, a.id).await.is_ok());

    let b = g.create_application(&p.carol, form("refused")).await.unwrap();
    g.step(&p.carol, b.id, Step::Submit, "").await.unwrap();
    approve(b.id, Step::Reject).await;
    let register = g.register().await.unwrap();
    let outcomes: Vec<(&str, &str)> =
        register.projects.iter().map(|e| (e.title.as_str(), e.outcome.as_str())).collect();
    assert_eq!(outcomes, [("refused", "refused"), ("x", "approved")]);
    assert_eq!((register.years[0].year, register.years[0].approved, register.years[0].refused), (2026, 1, 1));
}
