//! The platform service end to end: the real `oncodata serve` over HTTP on loopback, on SQLite,
//! or on PostgreSQL when `ONCODATA_TEST_POSTGRES` names a server (`.ci/run` starts one and runs
//! these tests again on it).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

use super::stdout_of;

/// How a request is signed.
#[derive(Clone)]
pub enum Auth {
    /// Nobody.
    Anonymous,
    /// A browser session: its cookie and CSRF token.
    Session { cookie: String, csrf: String },
    /// A project's API token.
    Token(String),
}

/// A running `oncodata serve`, stopped (SIGTERM) when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    agent: ureq::Agent,
}

/// The store the tests use: `--database URL` for a new PostgreSQL database when
/// `ONCODATA_TEST_POSTGRES` is set, nothing (the warehouse's SQLite) otherwise.
pub fn database_args() -> Vec<String> {
    match std::env::var("ONCODATA_TEST_POSTGRES") {
        Ok(server) if !server.is_empty() => {
            let name = format!("e{}_{}", std::process::id(), COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
            let created =
                Command::new("psql").args([&server, "-qc", &format!("CREATE DATABASE {name}")]).output().unwrap();
            assert!(created.status.success(), "psql: {}", String::from_utf8_lossy(&created.stderr));
            let (base, _) = server.rsplit_once('/').unwrap();
            vec!["--database".into(), format!("{base}/{name}")]
        }
        _ => Vec::new(),
    }
}

static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The demo's warehouse, linked, in `dir`, with accounts `NAME long password` for each
/// `(name, role)`.
pub fn platform(dir: &Path, accounts: &[(&str, &str)], database: &[String]) -> PathBuf {
    let wh = dir.join("wh");
    let w = wh.to_str().unwrap();
    stdout_of(&["demo", "--warehouse", w]);
    stdout_of(&["link", "--warehouse", w]);
    for (name, role) in accounts {
        let mut child = Command::new(env!("CARGO_BIN_EXE_oncodata"))
            .args(["users", "add", name, "--role", role, "--warehouse", w])
            .args(database)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{name} long password").unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "users add: {}", String::from_utf8_lossy(&out.stderr));
        assert!(!String::from_utf8_lossy(&out.stdout).contains("long password"), "the password is never printed");
    }
    wh
}

impl Server {
    /// Starts `oncodata serve` on `warehouse` on a free loopback port.
    pub fn start(warehouse: &Path, database: &[String]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_oncodata"))
            .args([
                "serve",
                "--warehouse",
                warehouse.to_str().unwrap(),
                "--bind",
                "127.0.0.1:0",
                "--checkpoint-every",
                "1",
            ])
            .args(database)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url =
            line.split_whitespace().find(|w| w.starts_with("http://")).unwrap_or_else(|| panic!("{line}")).to_string();
        let agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        Server { child, url, agent }
    }

    /// Sends a request; returns the status and the body (JSON, or a string).
    pub fn call(&self, method: &str, path: &str, auth: &Auth, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}{path}", self.url);
        let mut request = ureq::http::Request::builder().method(method).uri(&url);
        match auth {
            Auth::Anonymous => {}
            Auth::Session { cookie, csrf } => {
                request = request.header("cookie", format!("oncodata_session={cookie}")).header("x-csrf-token", csrf);
            }
            Auth::Token(t) => request = request.header("authorization", format!("Bearer {t}")),
        }
        let text = body.map(|b| b.to_string()).unwrap_or_default();
        let request = request.header("content-type", "application/json").body(text).unwrap();
        let mut response = self.agent.run(request).unwrap();
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// Signs in; returns the session, from the cookies the server sets.
    pub fn login(&self, name: &str) -> Auth {
        let url = format!("{}/api/session", self.url);
        let mut response = self
            .agent
            .post(&url)
            .header("content-type", "application/json")
            .send(json!({"name": name, "password": format!("{name} long password")}).to_string())
            .unwrap();
        let cookies: Vec<String> =
            response.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect();
        let body: Value = serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
        assert_eq!(response.status().as_u16(), 200, "{body}");
        let value = |name: &str| {
            let c =
                cookies.iter().find(|c| c.starts_with(&format!("{name}="))).unwrap_or_else(|| panic!("{cookies:?}"));
            (c.clone(), c[name.len() + 1..].split(';').next().unwrap().to_string())
        };
        let (session, cookie) = value("oncodata_session");
        assert!(
            session.contains("HttpOnly") && session.contains("Secure") && session.contains("SameSite=Strict"),
            "{session}"
        );
        let (csrf_cookie, csrf) = value("oncodata_csrf");
        assert!(!csrf_cookie.contains("HttpOnly"), "the page reads the CSRF cookie");
        assert_eq!(body["csrf_token"], csrf.as_str());
        Auth::Session { cookie, csrf }
    }

    /// Stops the server as an operator would (SIGTERM) and waits for it.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        self.child.wait().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An application's form, naming columns of the demo's workspace.
pub fn form(title: &str, members: &[&str]) -> Value {
    json!({
        "title": title,
        "objectives": "Adherence to adjuvant hormone therapy after breast cancer",
        "public_interest": "Persistence of treatment drives survival",
        "methodology": "Retrospective cohort of women diagnosed 2021-2022",
        "legal_basis": "GDPR art. 6(1)(e) and 9(2)(j)",
        "variables": ["persons.sex", "persons.birth_month", "primaries.site_group"],
        "populations": {"site_groups": ["breast"], "years": [2021, 2022]},
        "members": members,
        "duration_months": 24
    })
}

fn id(body: &Value) -> i64 {
    body["id"].as_i64().unwrap_or_else(|| panic!("{body}"))
}

#[test]
fn an_application_is_reviewed_approved_and_registered_over_http() {
    let tmp = tempfile::tempdir().unwrap();
    let db = database_args();
    let accounts = [
        ("alice", "applicant"),
        ("bob", "applicant"),
        ("carol", "applicant"),
        ("chris", "committee"),
        ("cora", "committee"),
        ("steve", "steward"),
        ("root", "admin"),
    ];
    let wh = platform(tmp.path(), &accounts, &db);
    let s = Server::start(&wh, &db);
    let anonymous = Auth::Anonymous;
    let (status, health) = s.call("GET", "/healthz", &anonymous, None);
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));

    let alice = s.login("alice");
    let (status, app) = s.call("POST", "/api/applications", &alice, Some(form("TRADHOR", &["bob"])));
    assert_eq!(status, 201, "{app}");
    let n = id(&app);
    let path = format!("/api/applications/{n}");

    // A change without the session's CSRF token is refused.
    let Auth::Session { cookie, .. } = &alice else { unreachable!() };
    let forged = Auth::Session { cookie: cookie.clone(), csrf: "0".repeat(32) };
    let (status, e) = s.call("POST", &format!("{path}/steps"), &forged, Some(json!({"step": "submit"})));
    assert_eq!((status, e["error"]["code"].as_str()), (403, Some("csrf")));

    assert_eq!(s.call("POST", &format!("{path}/steps"), &alice, Some(json!({"step": "submit"}))).0, 200);
    let steve = s.login("steve");
    assert_eq!(
        s.call("POST", &format!("{path}/steps"), &steve, Some(json!({"step": "open_review", "note": "complete"}))).0,
        200
    );

    // Two committee members: Cora declares a conflict and is refused; Chris reviews.
    let (chris, cora) = (s.login("chris"), s.login("cora"));
    assert_eq!(s.call("POST", &format!("{path}/conflicts"), &cora, Some(json!({"reason": "co-author"}))).0, 204);
    let (status, e) = s.call("POST", &format!("{path}/reviews"), &cora, Some(json!({"opinion": "favourable"})));
    assert_eq!((status, e["error"]["code"].as_str()), (403, Some("forbidden")), "{e}");
    assert_eq!(s.call("GET", &path, &cora, None).0, 403, "a conflicted member cannot read the review");
    let (status, e) =
        s.call("POST", &format!("{path}/decision"), &cora, Some(json!({"outcome": "approve", "motivation": "x"})));
    assert_eq!(status, 403, "{e}");
    let review = json!({"opinion": "unfavourable", "comment": "restrict to women"});
    assert_eq!(s.call("POST", &format!("{path}/reviews"), &chris, Some(review)).0, 200);
    let decision = json!({"outcome": "request_changes", "motivation": "Restrict the population to women."});
    let (status, app) = s.call("POST", &format!("{path}/decision"), &chris, Some(decision));
    assert_eq!((status, app["state"].as_str()), (200, Some("changes_requested")), "{app}");

    // Alice reads the requested changes, edits and resubmits; the committee approves.
    let (_, seen) = s.call("GET", &path, &alice, None);
    assert_eq!(seen["decisions"][0]["motivation"], "Restrict the population to women.");
    assert_eq!(seen["reviews"], json!([]), "the applicant does not read the committee's opinions");
    let mut changed = form("TRADHOR", &["bob"]);
    changed["populations"]["sexes"] = json!(["2"]);
    assert_eq!(s.call("PUT", &path, &alice, Some(changed)).0, 200);
    assert_eq!(
        s.call("POST", &format!("{path}/steps"), &alice, Some(json!({"step": "submit", "note": "women only"}))).0,
        200
    );
    assert_eq!(s.call("POST", &format!("{path}/steps"), &steve, Some(json!({"step": "open_review"}))).0, 200);
    assert_eq!(s.call("POST", &format!("{path}/reviews"), &chris, Some(json!({"opinion": "favourable"}))).0, 200);
    let decision = json!({"outcome": "approve", "motivation": "The public interest is shown."});
    let (status, app) = s.call("POST", &format!("{path}/decision"), &chris, Some(decision));
    assert_eq!((status, app["state"].as_str()), (200, Some("approved")), "{app}");
    let states: Vec<&str> = app["transitions"].as_array().unwrap().iter().map(|t| t["to"].as_str().unwrap()).collect();
    assert_eq!(states, ["submitted", "under_review", "changes_requested", "submitted", "under_review", "approved"]);

    // The project: members in, others out.
    let project = format!("/api/projects/{n}");
    let bob = s.login("bob");
    let (status, permit) = s.call("GET", &project, &bob, None);
    assert_eq!((status, permit["form"]["members"].clone()), (200, json!(["bob"])), "{permit}");
    assert_eq!(s.call("GET", &project, &s.login("carol"), None).0, 403);
    assert_eq!(s.call("GET", &project, &anonymous, None).0, 401);
    assert_eq!(s.call("POST", &format!("{project}/tokens"), &anonymous, Some(json!({}))).0, 401);
    let (status, token) = s.call("POST", &format!("{project}/tokens"), &bob, Some(json!({"days": 7})));
    assert_eq!(status, 201, "{token}");
    let token = Auth::Token(token["token"].as_str().unwrap().to_string());
    assert_eq!(s.call("GET", &project, &token, None).0, 200);
    let (status, e) = s.call("GET", "/api/applications", &token, None);
    assert_eq!((status, e["error"]["code"].as_str()), (403, Some("token_scope")), "a token opens its project only");
    assert_eq!(s.call("GET", &format!("/api/projects/{}", n + 1), &token, None).0, 403);

    // The public register.
    let (status, register) = s.call("GET", "/api/register", &anonymous, None);
    assert_eq!(status, 200);
    assert_eq!(register["projects"][0]["title"], "TRADHOR");
    assert_eq!(register["projects"][0]["team"], json!(["alice", "bob"]));
    assert_eq!(register["projects"][0]["outcome"], "approved");
    let (status, page) = s.call("GET", "/register?lang=en", &anonymous, None);
    assert_eq!(status, 200);
    assert!(page.as_str().unwrap().contains("<td>TRADHOR</td>") && page.as_str().unwrap().contains(r#"lang="en""#));

    // Five wrong passwords lock an account.
    for _ in 0..5 {
        let (status, _) =
            s.call("POST", "/api/session", &anonymous, Some(json!({"name": "carol", "password": "wrong"})));
        assert_eq!(status, 401);
    }
    let (status, e) =
        s.call("POST", "/api/session", &anonymous, Some(json!({"name": "carol", "password": "carol long password"})));
    assert_eq!((status, e["error"]["code"].as_str()), (429, Some("account_locked")), "{e}");

    // The administrator sees the audit log verify; every transition is in it.
    let (status, audit) = s.call("GET", "/api/audit", &s.login("root"), None);
    assert_eq!(status, 200, "{audit}");
    assert!(s.stop().success(), "a graceful stop");
    let verified = stdout_of(&["audit", "verify", "--warehouse", wh.to_str().unwrap()]);
    assert!(verified.contains("verified"), "{verified}");
    let events = std::fs::read_to_string(wh.join("audit/events.jsonl")).unwrap();
    let recorded = events
        .lines()
        .filter(|l| l.contains(r#""action":"transition""#) || l.contains(r#""action":"decision""#))
        .count();
    assert_eq!(recorded, 6, "one event per transition");
    assert!(events.lines().any(|l| l.contains(r#""action":"login_failed""#)));
    assert!(!events.contains("long password"), "no password in the audit log");
}
