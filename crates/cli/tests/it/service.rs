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

/// A running `oncodata serve`, killed when dropped.
pub struct Server {
    child: Child,
    client: Client,
}

/// An HTTP client of a server (cheap to clone, for other threads).
#[derive(Clone)]
pub struct Client {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// `grpc://127.0.0.1:PORT`: Arrow Flight SQL.
    pub grpc: String,
    agent: ureq::Agent,
}

impl std::ops::Deref for Server {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
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
/// `(name, role)`, and a key file beside it (`dir/keys.toml`).
pub fn platform(dir: &Path, accounts: &[(&str, &str)], database: &[String]) -> PathBuf {
    let wh = dir.join("wh");
    let w = wh.to_str().unwrap();
    stdout_of(&["demo", "--warehouse", w]);
    stdout_of(&["link", "--warehouse", w]);
    stdout_of(&["keys", "init", "--keys", dir.join("keys.toml").to_str().unwrap()]);
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
    /// Starts `oncodata serve` on `warehouse` (made by [`platform`]) on a free loopback port.
    pub fn start(warehouse: &Path, database: &[String]) -> Server {
        let keys = warehouse.parent().unwrap().join("keys.toml");
        let mut child = Command::new(env!("CARGO_BIN_EXE_oncodata"))
            .args([
                "serve",
                "--warehouse",
                warehouse.to_str().unwrap(),
                "--bind",
                "127.0.0.1:0",
                "--checkpoint-every",
                "1",
                "--keys",
                keys.to_str().unwrap(),
                "--flight-bind",
                "127.0.0.1:0",
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
        let grpc = line
            .split_whitespace()
            .find(|w| w.starts_with("grpc://"))
            .unwrap_or_else(|| panic!("{line}"))
            .trim_end_matches(';')
            .to_string();
        Server { child, client: Client { url, grpc, agent } }
    }

    /// A client for another thread.
    pub fn client(&self) -> Client {
        self.client.clone()
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops the server as an operator would (SIGTERM) and waits for it.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        self.child.wait().unwrap()
    }
}

impl Client {
    /// Sends a request; returns the status and the body (JSON, or a string).
    pub fn call(&self, method: &str, path: &str, auth: &Auth, body: Option<Value>) -> (u16, Value) {
        self.send(method, path, auth, body).unwrap_or_else(|e| panic!("{method} {path}: no answer: {e}"))
    }

    /// Sends a request; `None` when the server does not answer (it was killed).
    pub fn try_call(&self, method: &str, path: &str, auth: &Auth, body: Option<Value>) -> Option<(u16, Value)> {
        self.send(method, path, auth, body).ok()
    }

    /// Sends a request; the status and body, or why there is no answer.
    fn send(&self, method: &str, path: &str, auth: &Auth, body: Option<Value>) -> Result<(u16, Value), ureq::Error> {
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
        let mut response = self.agent.run(request)?;
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string()?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::String(text))))
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

    /// Sends a request and returns the raw response: status, content type, bytes.
    pub fn raw(&self, path: &str, auth: &Auth, body: Value) -> (u16, String, Vec<u8>) {
        let mut request = ureq::http::Request::builder().method("POST").uri(format!("{}{path}", self.url));
        if let Auth::Token(t) = auth {
            request = request.header("authorization", format!("Bearer {t}"));
        }
        let request = request.header("content-type", "application/json").body(body.to_string()).unwrap();
        let mut response = self.agent.run(request).unwrap();
        let kind = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        (response.status().as_u16(), kind, response.body_mut().read_to_vec().unwrap())
    }

    /// Waits (up to a minute) until project `id`'s workspace is built; returns the project.
    pub fn workspace_ready(&self, id: i64, member: &Auth) -> Value {
        for _ in 0..600 {
            let (status, project) = self.call("GET", &format!("/api/projects/{id}"), member, None);
            assert_eq!(status, 200, "{project}");
            match project["workspace"]["state"].as_str() {
                Some("ready") => return project,
                Some("failed") => panic!("the workspace's build failed: {project}"),
                _ => std::thread::sleep(std::time::Duration::from_millis(100)),
            }
        }
        panic!("project {id}'s workspace was not built in a minute");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a statement over Arrow Flight SQL with a project's token (Apache Arrow's Rust client);
/// the result as rows of text, or the server's refusal.
pub fn flight_sql(grpc: &str, token: &str, sql: &str) -> Result<(Vec<String>, Vec<Vec<String>>), tonic::Status> {
    use futures::TryStreamExt;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let channel = tonic::transport::Channel::from_shared(grpc.replace("grpc://", "http://"))
            .unwrap()
            .connect()
            .await
            .unwrap();
        let mut client = arrow_flight::sql::client::FlightSqlServiceClient::new(channel);
        client.set_header("authorization", format!("Bearer {token}"));
        let status = |e: arrow_flight::error::FlightError| match e {
            arrow_flight::error::FlightError::Tonic(s) => *s,
            other => tonic::Status::unknown(other.to_string()),
        };
        let info = client.execute(sql.to_string(), None).await.map_err(status)?;
        let ticket = info.endpoint[0].ticket.clone().unwrap();
        let batches: Vec<arrow_array::RecordBatch> =
            client.do_get(ticket).await.map_err(status)?.try_collect().await.map_err(status)?;
        let columns = info.try_decode_schema().unwrap().fields().iter().map(|f| f.name().clone()).collect();
        let mut rows = Vec::new();
        for b in &batches {
            for i in 0..b.num_rows() {
                rows.push(
                    b.columns().iter().map(|c| arrow_cast::display::array_value_to_string(c, i).unwrap()).collect(),
                );
            }
        }
        Ok((columns, rows))
    })
}

/// An application's form, naming columns of the demo's workspace.
pub fn form(title: &str, members: &[&str]) -> Value {
    json!({
        "title": title,
        "objectives": "Adherence to adjuvant hormone therapy after breast cancer",
        "public_interest": "Persistence of treatment drives survival",
        "methodology": "Retrospective cohort of women diagnosed 2021-2022",
        "legal_basis": "GDPR art. 6(1)(e) and 9(2)(j)",
        "variables": ["persons.person_id", "persons.sex", "persons.birth_month", "primaries.person_id", "primaries.site_group"],
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
    assert_eq!((status, permit["permit"]["form"]["members"].clone()), (200, json!(["bob"])), "{permit}");
    assert_eq!(s.call("GET", &project, &s.login("carol"), None).0, 403);
    assert_eq!(s.call("GET", &project, &anonymous, None).0, 401);
    assert_eq!(s.call("POST", &format!("{project}/tokens"), &anonymous, Some(json!({}))).0, 401);
    // A body that is not an object is refused, even one serde could read as the request.
    let (status, e) = s.call("POST", &format!("{project}/tokens"), &bob, Some(json!([])));
    assert_eq!((status, e["error"]["code"].as_str()), (400, Some("invalid_request")), "{e}");
    let (status, token) = s.call("POST", &format!("{project}/tokens"), &bob, Some(json!({"days": 7})));
    assert_eq!(status, 201, "{token}");
    let token = Auth::Token(token["token"].as_str().unwrap().to_string());
    assert_eq!(s.call("GET", &project, &token, None).0, 200);
    let (status, e) = s.call("GET", "/api/applications", &token, None);
    assert_eq!((status, e["error"]["code"].as_str()), (403, Some("token_scope")), "a token opens its project only");
    assert_eq!(s.call("GET", &format!("/api/projects/{}", n + 1), &token, None).0, 403);

    // The workspace: the permitted columns of the permitted persons, under the project's
    // pseudonyms; nothing else is there.
    let built = s.workspace_ready(n, &bob);
    assert!(built["workspace"]["message"].as_str().unwrap().contains("persons"), "{built}");
    let sql = format!("{project}/sql");
    let (status, persons) =
        s.call("POST", &sql, &bob, Some(json!({"sql": "SELECT * FROM persons ORDER BY person_id"})));
    assert_eq!(status, 200, "{persons}");
    assert_eq!(persons["columns"], json!(["person_id", "sex", "birth_month"]));
    let rows = persons["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r[1] == "2"), "women only, as the amended permit says");
    assert!(
        rows.iter().all(|r| {
            let p = r[0].as_str().unwrap();
            p.len() == 24 && p.bytes().all(|b| b.is_ascii_hexdigit()) && !p.starts_with('P')
        }),
        "project pseudonyms, not warehouse ids"
    );
    let (_, sites) = s.call("POST", &sql, &bob, Some(json!({"sql": "SELECT DISTINCT site_group FROM primaries"})));
    assert_eq!(sites["rows"], json!([["breast"]]));
    let (_, count) = s.call(
        "POST",
        &sql,
        &bob,
        Some(json!({"sql": "SELECT count(*) AS n FROM persons p WHERE NOT EXISTS (SELECT 1 FROM primaries q WHERE q.person_id = p.person_id)"})),
    );
    assert_eq!(count["rows"], json!([[0]]), "every person of the workspace has a permitted primary");
    for refused in
        ["SELECT * FROM care_events", "SELECT * FROM tumours", "DROP TABLE persons", "SELECT datasets FROM persons"]
    {
        let (status, e) = s.call("POST", &sql, &bob, Some(json!({"sql": refused})));
        assert_eq!(status, 400, "{refused}: {e}");
    }
    assert_eq!(s.call("POST", &sql, &s.login("carol"), Some(json!({"sql": "SELECT 1"}))).0, 403);
    assert_eq!(s.call("POST", &sql, &anonymous, Some(json!({"sql": "SELECT 1"}))).0, 401);
    let (status, kind, bytes) =
        s.raw(&sql, &token, json!({"sql": "SELECT sex, count(*) AS n FROM persons GROUP BY sex", "format": "arrow"}));
    assert_eq!((status, kind.as_str()), (200, "application/vnd.apache.arrow.stream"));
    assert_eq!(bytes[..4], [0xff; 4], "an Arrow IPC stream starts with its continuation marker");

    // Output checking: what leaves the workspace passes the project audience's disclosure control.
    let exports = format!("{project}/exports");
    let by_month = "SELECT birth_month, count(DISTINCT person_id) AS n FROM persons GROUP BY birth_month";
    let (status, export) = s.call("POST", &exports, &bob, Some(json!({"sql": by_month})));
    assert_eq!(status, 200, "{export}");
    assert_eq!(export["columns"], json!(["birth_month", "n", "suppressed"]));
    let rows = export["rows"].as_array().unwrap();
    let withheld = rows.iter().filter(|r| !r[2].is_null()).count();
    assert!(withheld > 0, "months of 1-10 women are withheld: {export}");
    assert!(rows.iter().all(|r| r[1].is_null() || r[1].as_i64().unwrap() >= 11), "no count of 1 to 10 leaves");
    assert!(!export["notes"].as_array().unwrap().is_empty(), "the notes say what was withheld");
    let releases = wh.join(format!("workspaces/{n}.releases/disclosure"));
    assert!(releases.is_dir(), "the project's release log is kept beside its workspace, not in it");
    assert!(!wh.join(format!("workspaces/{n}/disclosure")).exists());
    let (status, e) = s.call("POST", &exports, &bob, Some(json!({"sql": "SELECT * FROM persons"})));
    assert_eq!((status, e["error"]["code"].as_str()), (422, Some("refused_by_output_checking")), "{e}");
    assert_eq!(s.call("POST", &exports, &s.login("carol"), Some(json!({"sql": by_month}))).0, 403);

    // Arrow Flight SQL: the same workspace, the same answers, with the project's token only.
    let Auth::Token(secret) = &token else { unreachable!() };
    let (columns, rows) = flight_sql(&s.grpc, secret, "SELECT person_id, sex FROM persons ORDER BY person_id").unwrap();
    assert_eq!(columns, ["person_id", "sex"]);
    let over_http: Vec<Vec<String>> = persons["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| vec![r[0].as_str().unwrap().to_string(), r[1].as_str().unwrap().to_string()])
        .collect();
    assert_eq!(rows.len(), over_http.len());
    assert!(rows == over_http, "Flight SQL and the HTTP route give the same rows");
    let refused = flight_sql(&s.grpc, "odt_0_0", "SELECT 1").unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated, "{refused}");
    let refused = flight_sql(&s.grpc, secret, "SELECT * FROM tumours").unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{refused}");

    // A published figure: the public table `oncodata incidence --audience public` prints.
    let (status, figure) = s.call("GET", "/api/figures/incidence?by=site_group,sex", &anonymous, None);
    assert_eq!(status, 200, "{figure}");
    let printed = stdout_of(&[
        "incidence",
        "--warehouse",
        wh.to_str().unwrap(),
        "--by",
        "site_group,sex",
        "--audience",
        "public",
        "--format",
        "csv",
    ]);
    let mut lines = printed.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(figure["columns"], json!(header));
    let rows = figure["rows"].as_array().unwrap();
    let cases = header.iter().position(|c| *c == "cases").unwrap();
    let mut compared = 0;
    for (line, row) in lines.zip(rows) {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(row[0], fields[0]);
        assert_eq!(row[1], fields[1]);
        match row[cases].as_f64() {
            Some(n) => assert_eq!(n, fields[cases].parse::<f64>().unwrap()),
            None => assert!(fields[cases].is_empty(), "withheld in both: {line}"),
        }
        compared += 1;
    }
    assert_eq!(compared, rows.len());
    assert!(rows.iter().all(|r| r[cases].as_f64().is_none_or(|n| n == 0.0 || n >= 11.0)), "no count of 1 to 10");
    // … for a period, as `--years` gives it.
    let (status, one_year) = s.call("GET", "/api/figures/incidence?by=sex&years=2021", &anonymous, None);
    assert_eq!(status, 200, "{one_year}");
    let printed = stdout_of(&[
        "incidence",
        "--warehouse",
        wh.to_str().unwrap(),
        "--by",
        "sex",
        "--years",
        "2021",
        "--format",
        "csv",
    ]);
    let from_command: Vec<f64> =
        printed.lines().skip(1).map(|l| l.split(',').nth(1).unwrap().parse().unwrap()).collect();
    let from_route: Vec<f64> = one_year["rows"].as_array().unwrap().iter().map(|r| r[1].as_f64().unwrap()).collect();
    assert_eq!(from_route, from_command, "the same cases for 2021");

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
    let queries = events.lines().filter(|l| l.contains(r#""action":"sql""#)).count();
    assert_eq!(queries, 5, "every statement answered is in the log (the refused ones were not answered)");
    assert!(events.contains(r#""protocol":"flight-sql""#));
    assert_eq!(events.lines().filter(|l| l.contains(r#""action":"export""#)).count(), 1, "the export answered");
    assert!(events.lines().any(|l| l.contains(r#""action":"workspace""#) && l.contains(r#""state":"ready""#)));
    assert!(!events.contains("long password"), "no password in the audit log");
}

/// A self-signed certificate for 127.0.0.1 in `dir` (openssl): (certificate, key).
fn certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
        .args(["-subj", "/CN=oncodata-test", "-addext", "subjectAltName=IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(made.status.success(), "openssl: {}", String::from_utf8_lossy(&made.stderr));
    (cert, key)
}

#[test]
fn the_service_speaks_tls_with_the_certificate_it_is_given() {
    let tmp = tempfile::tempdir().unwrap();
    let wh = platform(tmp.path(), &[], &[]);
    let (cert, key) = certificate(tmp.path());
    let w = wh.to_str().unwrap();
    // A key that is not one is refused before the server starts, naming the file.
    let out = super::oncodata(&[
        "serve",
        "--warehouse",
        w,
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        cert.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cert.pem: not a PEM private key"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut child = Command::new(env!("CARGO_BIN_EXE_oncodata"))
        .args(["serve", "--warehouse", w, "--bind", "127.0.0.1:0", "--flight-bind", "127.0.0.1:0"])
        .args(["--tls-cert", cert.to_str().unwrap(), "--tls-key", key.to_str().unwrap()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url =
        line.split_whitespace().find(|w| w.starts_with("https://")).unwrap_or_else(|| panic!("{line}")).to_string();
    assert!(line.contains("grpc+tls://"), "{line}");
    let curl = |args: &[&str]| Command::new("curl").args(["-sS", "--max-time", "10"]).args(args).output().unwrap();
    let ok = curl(&["--cacert", cert.to_str().unwrap(), &format!("{url}/healthz")]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert_eq!(String::from_utf8_lossy(&ok.stdout), r#"{"status":"ok"}"#);
    assert!(!curl(&[&format!("{url}/healthz")]).status.success(), "an unknown certificate is refused by the client");
    let plain = url.replace("https://", "http://");
    let answered = curl(&[&format!("{plain}/healthz")]);
    assert!(!String::from_utf8_lossy(&answered.stdout).contains("ok"), "no plain HTTP on the TLS port");
    let _ = child.kill();
    let _ = child.wait();
}
