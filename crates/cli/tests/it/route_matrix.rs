//! The role × route matrix (`route_matrix.txt`): every route of the OpenAPI description, called
//! by every kind of caller on a fresh object in the state the route needs, answers the status
//! the matrix gives; and no response to someone outside the project holds one of its
//! pseudonyms.

use serde_json::{Value, json};

use super::service::{Auth, Server, database_args, form, platform};

const CALLERS: [&str; 9] =
    ["anonymous", "owner", "member", "outsider", "committee", "conflicted", "steward", "admin", "token"];

/// One line of the matrix.
struct Line {
    method: String,
    path: String,
    object: String,
    statuses: Vec<u16>,
}

fn matrix() -> Vec<Line> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/route_matrix.txt")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let parts: Vec<&str> = l.split('|').map(str::trim).collect();
            let (method, path) = parts[0].split_once(char::is_whitespace).unwrap();
            let statuses: Vec<u16> = parts[2].split_whitespace().map(|s| s.parse().unwrap()).collect();
            assert_eq!(statuses.len(), CALLERS.len(), "{l}");
            Line { method: method.into(), path: path.trim().into(), object: parts[1].into(), statuses }
        })
        .collect()
}

/// The platform the matrix runs on: its server, the callers' sessions and bob's token.
struct Fixture {
    s: Server,
    callers: Vec<Auth>,
    /// A committee member who gives the opinions the decision needs.
    cleo: Auth,
    approved: i64,
    next_user: std::cell::Cell<usize>,
}

impl Fixture {
    fn session(&self, name: &str) -> Auth {
        self.s.login(name)
    }

    fn ok(&self, method: &str, path: &str, who: &Auth, body: Value) -> Value {
        let (status, answer) = self.s.call(method, path, who, Some(body));
        assert!((200..300).contains(&status), "{method} {path}: {status} {answer}");
        answer
    }

    /// A new application of alice's (bob a member) in `state`; cora declares a conflict on it
    /// once it is submitted.
    fn application(&self, state: &str) -> i64 {
        let (alice, steve, cleo) = (&self.callers[1], &self.callers[6], &self.cleo);
        let id = self.ok("POST", "/api/applications", alice, form("matrix", &["bob"]))["id"].as_i64().unwrap();
        if state == "draft" {
            return id;
        }
        let path = format!("/api/applications/{id}");
        self.ok("POST", &format!("{path}/steps"), alice, json!({"step": "submit"}));
        self.ok("POST", &format!("{path}/conflicts"), &self.callers[5], json!({"reason": "co-author"}));
        if state == "submitted" {
            return id;
        }
        self.ok("POST", &format!("{path}/steps"), steve, json!({"step": "open_review"}));
        if state == "under_review" {
            return id;
        }
        self.ok("POST", &format!("{path}/reviews"), cleo, json!({"opinion": "favourable"}));
        id
    }

    fn new_user(&self) -> String {
        let n = self.next_user.get();
        self.next_user.set(n + 1);
        let name = format!("temp{n}");
        let body = json!({"name": name, "role": "applicant", "password": "a long enough password"});
        self.ok("POST", "/api/users", &self.callers[7], body);
        name
    }
}

#[test]
fn every_route_answers_every_caller_as_the_matrix_says() {
    let tmp = tempfile::tempdir().unwrap();
    let db = database_args();
    let accounts = [
        ("alice", "applicant"),
        ("bob", "applicant"),
        ("carol", "applicant"),
        ("dora", "applicant"),
        ("chris", "committee"),
        ("cora", "committee"),
        ("cleo", "committee"),
        ("steve", "steward"),
        ("root", "admin"),
    ];
    let wh = platform(tmp.path(), &accounts, &db);
    let s = Server::start(&wh, &db);
    let mut callers: Vec<Auth> =
        ["alice", "bob", "carol", "chris", "cora", "steve", "root"].iter().map(|n| s.login(n)).collect();
    callers.insert(0, Auth::Anonymous);
    let cleo = s.login("cleo");
    let mut f = Fixture { s, callers, cleo, approved: 0, next_user: std::cell::Cell::new(0) };

    // The approved project, its workspace built, and bob's token for it.
    let id = f.application("reviewed");
    let decision = json!({"outcome": "approve", "motivation": "fine"});
    f.ok("POST", &format!("/api/applications/{id}/decision"), &f.callers[4], decision);
    f.approved = id;
    f.s.workspace_ready(id, &f.callers[2]);
    let token = f.ok("POST", &format!("/api/projects/{id}/tokens"), &f.callers[2], json!({"days": 7}));
    let bobs_token_id = token["info"]["id"].as_str().unwrap().to_string();
    f.callers.push(Auth::Token(token["token"].as_str().unwrap().to_string()));
    let pseudonyms: Vec<String> = f.ok(
        "POST",
        &format!("/api/projects/{id}/sql"),
        &f.callers[2],
        json!({"sql": "SELECT person_id FROM persons"}),
    )["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_str().unwrap().to_string())
        .collect();
    assert!(!pseudonyms.is_empty());

    // A quarantined record of the demo's: its file (as a query value and as text), number and text.
    let listing = f.ok("GET", "/api/quarantine", &f.callers[6], json!(null));
    let first = &listing["records"][0];
    let file = first["source_file"].as_str().unwrap().to_string();
    let number = first["source_record"].as_i64().unwrap();
    let record = f.ok(
        "GET",
        &format!("/api/quarantine/record?file={}&record={number}", encode(&file)),
        &f.callers[6],
        json!(null),
    );
    let quarantined = (encode(&file), number, file.clone(), record["raw"].as_str().unwrap().to_string());

    // Every route of the description has its line, and every line its route.
    let (_, api) = f.s.call("GET", "/api/openapi.json", &Auth::Anonymous, None);
    let mut described: Vec<String> = Vec::new();
    for (path, item) in api["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            described.push(format!("{} {path}", method.to_uppercase()));
        }
    }
    let lines = matrix();
    let mut listed: Vec<String> = lines.iter().map(|l| format!("{} {}", l.method, l.path)).collect();
    described.sort();
    listed.sort();
    assert_eq!(described, listed, "route_matrix.txt lists exactly the routes of /api/openapi.json");

    let mut wrong = Vec::new();
    for line in &lines {
        for (c, caller) in CALLERS.iter().enumerate() {
            let who = if line.method == "DELETE" && line.path == "/api/session" && c > 0 && c < 8 {
                // Signing out ends the session: a fresh one, not the matrix's.
                f.session(["", "alice", "bob", "carol", "chris", "cora", "steve", "root"][c])
            } else {
                f.callers[c].clone()
            };
            let applicant = (1..=3).contains(&c);
            let object = match line.object.as_str() {
                "none" => None,
                "approved" => Some(f.approved.to_string()),
                "step" => Some(f.application(if applicant { "draft" } else { "submitted" }).to_string()),
                "user" => Some(f.new_user()),
                "quarantined" => None,
                "token" => Some(if c == 1 || c == 2 {
                    f.ok("POST", &format!("/api/projects/{}/tokens", f.approved), &who, json!({}))["info"]["id"]
                        .as_str()
                        .unwrap()
                        .to_string()
                } else {
                    bobs_token_id.clone()
                }),
                state => Some(f.application(state).to_string()),
            };
            let path = match &object {
                Some(o) => line.path.replace("{id}", o).replace("{name}", o),
                None if line.path == "/api/figures/incidence" => format!("{}?by=site_group,sex", line.path),
                None if line.path == "/api/figures/survival" => format!("{}?site=breast&sex=female", line.path),
                None if line.path == "/api/quarantine/record" => {
                    format!("{}?file={}&record={}", line.path, quarantined.0, quarantined.1)
                }
                None => line.path.clone(),
            };
            let body = match (line.method.as_str(), line.path.as_str()) {
                ("POST", "/api/session") => Some(json!({"name": "dora", "password": "dora long password"})),
                ("POST", "/api/applications") | ("PUT", "/api/applications/{id}") => Some(form("matrix", &["bob"])),
                ("POST", "/api/applications/{id}/steps") => {
                    Some(json!({"step": if applicant { "submit" } else { "open_review" }}))
                }
                ("POST", "/api/applications/{id}/conflicts") => Some(json!({"reason": "a colleague"})),
                ("POST", "/api/applications/{id}/reviews") => Some(json!({"opinion": "favourable"})),
                ("POST", "/api/applications/{id}/decision") => {
                    Some(json!({"outcome": "approve", "motivation": "fine"}))
                }
                ("POST", "/api/projects/{id}/sql") => Some(json!({"sql": "SELECT person_id, sex FROM persons"})),
                ("POST", "/api/projects/{id}/tokens") => Some(json!({"days": 1})),
                ("POST", "/api/projects/{id}/exports") => {
                    Some(json!({"sql": "SELECT sex, count(DISTINCT person_id) AS n FROM persons GROUP BY sex"}))
                }
                ("POST", "/api/users") => {
                    let n = f.next_user.get();
                    f.next_user.set(n + 1);
                    Some(json!({"name": format!("new{n}"), "role": "applicant", "password": "a long enough password"}))
                }
                ("POST", "/api/users/{name}/password") => Some(json!({"password": "another long password"})),
                ("POST", "/api/projects/{id}/queries") => {
                    Some(json!({"name": "by sex", "sql": "SELECT sex FROM persons"}))
                }
                ("POST", "/api/quarantine/fix") => {
                    Some(json!({"file": quarantined.2, "record": quarantined.1, "raw": quarantined.3}))
                }
                _ => None,
            };
            let (status, answer) = f.s.call(&line.method, &path, &who, body);
            let expected = line.statuses[c];
            if status != expected {
                wrong.push(format!(
                    "{} {} as {caller}: {status} (expected {expected}) {answer}",
                    line.method, line.path
                ));
            }
            let inside = matches!(*caller, "owner" | "member" | "token");
            let text = answer.to_string();
            if !inside && let Some(p) = pseudonyms.iter().find(|p| text.contains(p.as_str())) {
                wrong.push(format!(
                    "{} {} as {caller}: the response holds the project's pseudonym {p}",
                    line.method, line.path
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{} cells differ from route_matrix.txt:\n{}", wrong.len(), wrong.join("\n"));
}

/// A query string's value, percent-encoded.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
