//! The service killed (SIGKILL) at random moments during a burst of workflow actions: after each
//! restart every acknowledged transition is there, and at the end the audit log verifies and
//! holds an event for every transition the store holds. `ONCODATA_SERVICE_KILLS` sets how many
//! kills (6 by default).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};

use super::service::{Auth, Client, Server, database_args, form, platform};
use super::stdout_of;

/// Workflow actions as fast as the server takes them, until it stops answering; returns, for
/// each application, how many transitions the server acknowledged.
fn burst(c: &Client, alice: &Auth, steve: &Auth, chris: &Auth, stop: &AtomicBool) -> Vec<(i64, usize)> {
    let mut acknowledged = Vec::new();
    let ok = |r: Option<(u16, Value)>| -> Option<Value> {
        let (status, body) = r?;
        assert!(status < 500 && (200..300).contains(&status), "{status} {body}");
        Some(body)
    };
    while !stop.load(Ordering::SeqCst) {
        let Some(app) = ok(c.try_call("POST", "/api/applications", alice, Some(form("crash", &[])))) else { break };
        let id = app["id"].as_i64().unwrap();
        acknowledged.push((id, 0));
        let path = format!("/api/applications/{id}");
        let steps: [(&Auth, &str, Value, bool); 4] = [
            (alice, "steps", json!({"step": "submit"}), true),
            (steve, "steps", json!({"step": "open_review"}), true),
            (chris, "reviews", json!({"opinion": "favourable"}), false),
            (chris, "decision", json!({"outcome": "approve", "motivation": "fine"}), true),
        ];
        for (who, route, body, transition) in steps {
            if ok(c.try_call("POST", &format!("{path}/{route}"), who, Some(body))).is_none() {
                return acknowledged;
            }
            if transition {
                acknowledged.last_mut().unwrap().1 += 1;
            }
        }
    }
    acknowledged
}

/// Every acknowledged application holds at least its acknowledged transitions.
fn check(s: &Server, alice: &Auth, acknowledged: &HashMap<i64, usize>) {
    for (id, n) in acknowledged {
        let (status, app) = s.call("GET", &format!("/api/applications/{id}"), alice, None);
        assert_eq!(status, 200, "application {id}, acknowledged, is gone: {app}");
        let held = app["transitions"].as_array().unwrap().len();
        assert!(held >= *n, "application {id}: {n} transitions acknowledged, {held} held");
    }
}

#[test]
fn killed_at_random_moments_the_service_keeps_every_acknowledged_transition_and_its_audit_event() {
    let kills: usize = std::env::var("ONCODATA_SERVICE_KILLS").ok().and_then(|k| k.parse().ok()).unwrap_or(6);
    let tmp = tempfile::tempdir().unwrap();
    let db = database_args();
    let wh = platform(tmp.path(), &[("alice", "applicant"), ("steve", "steward"), ("chris", "committee")], &db);
    let mut acknowledged: HashMap<i64, usize> = HashMap::new();
    let mut sessions: Option<(Auth, Auth, Auth)> = None;
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..kills {
        let s = Server::start(&wh, &db);
        // Sessions are kept in the store: they outlive the server.
        let (alice, steve, chris) =
            sessions.get_or_insert_with(|| (s.login("alice"), s.login("steve"), s.login("chris"))).clone();
        check(&s, &alice, &acknowledged);
        let stop = Arc::new(AtomicBool::new(false));
        let worker = {
            let (c, stop) = (s.client(), stop.clone());
            std::thread::spawn(move || burst(&c, &alice, &steve, &chris, &stop))
        };
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(std::time::Duration::from_millis(150 + seed % 600));
        s.kill();
        stop.store(true, Ordering::SeqCst);
        for (id, n) in worker.join().unwrap() {
            let known = acknowledged.entry(id).or_default();
            *known = (*known).max(n);
        }
    }
    // The bursts must exercise the service: at least one application per two kills (a burst cut
    // short while a freshly started server, on PostgreSQL, answers its first request may
    // acknowledge none).
    assert!(2 * acknowledged.len() >= kills, "the bursts acknowledged {} applications", acknowledged.len());
    eprintln!(
        "{kills} kills: {} applications, {} transitions acknowledged",
        acknowledged.len(),
        acknowledged.values().sum::<usize>()
    );

    let s = Server::start(&wh, &db);
    let (alice, ..) = sessions.unwrap();
    check(&s, &alice, &acknowledged);
    // Every transition the store holds has its event in the audit log.
    let mut held: Vec<(i64, String)> = Vec::new();
    let (_, list) = s.call("GET", "/api/applications", &alice, None);
    for summary in list.as_array().unwrap() {
        let id = summary["id"].as_i64().unwrap();
        let (_, app) = s.call("GET", &format!("/api/applications/{id}"), &alice, None);
        for t in app["transitions"].as_array().unwrap() {
            held.push((id, t["to"].as_str().unwrap().to_string()));
        }
    }
    assert!(s.stop().success());
    let verified = stdout_of(&["audit", "verify", "--warehouse", wh.to_str().unwrap()]);
    assert!(verified.contains("verified"), "{verified}");
    let mut events: HashMap<(i64, String), usize> = HashMap::new();
    for line in std::fs::read_to_string(wh.join("audit/events.jsonl")).unwrap().lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        let event = &record["event"];
        if matches!(event["action"].as_str(), Some("transition" | "decision")) {
            let d = &event["details"];
            *events.entry((d["application"].as_i64().unwrap(), d["to"].as_str().unwrap().into())).or_default() += 1;
        }
    }
    let mut needed: HashMap<(i64, String), usize> = HashMap::new();
    for key in held {
        *needed.entry(key).or_default() += 1;
    }
    for (key, n) in needed {
        let logged = events.get(&key).copied().unwrap_or(0);
        assert!(logged >= n, "application {} reached {} {n} time(s), {logged} audit event(s)", key.0, key.1);
    }
}
