//! `oncodata audit` end to end: every SQL statement is an event of the warehouse's audit log,
//! durable and signed before its result is shown; the log verifies, proves an event against the
//! checkpoint an auditor kept, survives the erasure of an event's details, and names the event
//! someone changed.

use crate::{oncodata, run_demo, stdout_of};

#[test]
fn statements_are_audited_and_tampering_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let wh = tmp.path().join("wh");
    run_demo(&wh);
    let w = wh.to_str().unwrap();
    let statements = ["SELECT count(*) AS n FROM tumours", "SELECT sex, count(*) AS n FROM patients GROUP BY sex"];
    for s in statements {
        stdout_of(&["sql", "--warehouse", w, "--audience", "steward", "--format", "csv", s]);
    }
    let verified = stdout_of(&["audit", "verify", "--warehouse", w]);
    assert!(verified.contains("audit log verified") && verified.contains("signed checkpoints"), "{verified}");
    let events = std::fs::read_to_string(wh.join("audit/events.jsonl")).unwrap();
    let ours: Vec<&str> = events.lines().filter(|l| statements.iter().any(|s| l.contains(s))).collect();
    assert_eq!(ours.len(), 2, "{events}");
    assert!(ours.iter().all(|l| l.contains("\"result_sha256\":") && l.contains("\"action\":\"sql\"")));

    // The auditor keeps the latest checkpoint and the public key; a proof checks against them.
    let seq = events.lines().count() - 1;
    let proof: serde_json::Value =
        serde_json::from_str(&stdout_of(&["audit", "prove", &seq.to_string(), "--warehouse", w])).unwrap();
    assert_eq!(proof["index"], seq);
    assert!(proof["leaf_data"].as_str().unwrap().contains(statements[1]));
    let kept = tmp.path().join("checkpoint.json");
    std::fs::write(&kept, proof["checkpoint"].to_string()).unwrap();
    let key = std::fs::read_to_string(wh.join("audit/audit.pub")).unwrap();
    let check = |extra: &[&str]| {
        let mut args =
            vec!["audit", "verify", "--warehouse", w, "--checkpoint", kept.to_str().unwrap(), "--key", key.trim()];
        args.extend_from_slice(extra);
        oncodata(&args)
    };
    assert!(check(&[]).status.success());

    // Erasing an event's details keeps the log verifiable; the erasure is itself recorded.
    stdout_of(&["audit", "erase", "0", "--warehouse", w]);
    assert!(check(&[]).status.success(), "{}", String::from_utf8_lossy(&check(&[]).stderr));

    // One character of a statement changed: refused, and the event named.
    let path = wh.join("audit/events.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen("GROUP BY sex", "GROUP BY age", 1)).unwrap();
    let out = check(&[]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("event {seq} was changed")), "{stderr}");
    // The last checkpoint removed: the auditor's copy is missing from the log.
    std::fs::write(&path, text).unwrap();
    let checkpoints = wh.join("audit/checkpoints.jsonl");
    let lines = std::fs::read_to_string(&checkpoints).unwrap();
    let kept_lines: Vec<&str> = lines.lines().collect();
    std::fs::write(&checkpoints, kept_lines[..kept_lines.len() - 2].join("\n") + "\n").unwrap();
    let out = check(&[]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is not in the log"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
