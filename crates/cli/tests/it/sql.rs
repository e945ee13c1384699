//! `oncodata sql` beyond one printed statement: export to Parquet, CSV and JSON, scripts on
//! standard input with the shell's commands, and the memory limit with spilling.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use super::{oncodata, run_demo, stdout_of as ok};

fn with_stdin(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_oncodata"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn exports_scripts_and_the_memory_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let wh = tmp.path().join("wh");
    run_demo(&wh);
    let w = wh.to_str().unwrap();
    let query = "SELECT tumour_id, topography, incidence_date, behaviour FROM tumours ORDER BY tumour_id";
    let expected = ok(&["sql", "--warehouse", w, "--format", "csv", query]);
    let n = expected.lines().count() - 1;
    assert!(n > 1000, "{n} tumours");

    // Parquet: read back by another warehouse's DataFusion, the same rows and types.
    let copy = tmp.path().join("copy");
    std::fs::create_dir_all(copy.join("tables")).unwrap();
    let file = copy.join("tables").join("exported.parquet");
    let out = oncodata(&["sql", "--warehouse", w, "--out", file.to_str().unwrap(), query]);
    assert!(out.status.success() && String::from_utf8_lossy(&out.stderr).contains(&format!("{n} rows written")));
    let c = copy.to_str().unwrap();
    assert_eq!(
        ok(&["sql", "--warehouse", c, "--format", "csv", "SELECT * FROM exported ORDER BY tumour_id"]),
        expected
    );
    let types = ok(&["sql", "--warehouse", c, "--format", "csv", "DESCRIBE exported"]);
    assert!(types.contains("incidence_date,Date32") && types.contains("behaviour,UInt8"), "{types}");
    // CSV and JSON files.
    let csv = tmp.path().join("t.csv");
    ok(&["sql", "--warehouse", w, "--out", csv.to_str().unwrap(), query]);
    assert_eq!(std::fs::read_to_string(&csv).unwrap(), expected);
    let json = tmp.path().join("t.json");
    ok(&["sql", "--warehouse", w, "--format", "json", "--out", json.to_str().unwrap(), query]);
    let rows: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), n);
    // No partial file is left by a failing export.
    let bad =
        oncodata(&["sql", "--warehouse", w, "--out", tmp.path().join("x.parquet").to_str().unwrap(), "SELECT nope"]);
    assert!(!bad.status.success());
    assert!(
        std::fs::read_dir(tmp.path()).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().contains("x.parquet"))
    );
    let unknown = oncodata(&["sql", "--warehouse", w, "--out", tmp.path().join("x.xlsx").to_str().unwrap(), query]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("give --format parquet, csv or json"));

    // A script on standard input: statements across lines, quotes, comments, \d and \format.
    let script =
        "SELECT count(*) AS n\n  FROM tumours; -- the count\n\\format csv\nSELECT 'a;b' AS x;\n\\d primaries_absent\n";
    let out = with_stdin(&["sql", "--warehouse", w], script);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("| {n}")) && text.contains("x\na;b\n"), "{text}");
    // The failing last command (no such table) fails the run, naming the table.
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("primaries_absent"));
    let out = with_stdin(&["sql", "--warehouse", w], "\\d\n");
    assert!(String::from_utf8_lossy(&out.stdout).contains("tumours"));

    // Memory limit: a sort of 600,000 rows spills to disk under 24 MiB, with the same result.
    let big = "SELECT t.source_ids, t.tumour_id, r.value FROM tumours t CROSS JOIN (SELECT value FROM range(0, 100)) r \
               ORDER BY t.source_ids DESC, r.value";
    let count = format!("SELECT count(*) AS n, sum(length(source_ids) * value) AS s FROM ({big})");
    let free = ok(&["sql", "--warehouse", w, "--format", "csv", &count]);
    let limited = ok(&["sql", "--warehouse", w, "--memory-limit", "24M", "--format", "csv", &count]);
    assert_eq!(free, limited);
    let plan =
        ok(&["sql", "--warehouse", w, "--memory-limit", "24M", "--format", "csv", &format!("EXPLAIN ANALYZE {big}")]);
    let spills: u64 = plan
        .split("spill_count=")
        .skip(1)
        .map(|s| s.split(|c: char| !c.is_ascii_digit()).next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert!(spills > 0, "no spill under the limit: {plan}");
    // Too little memory: a clear error, not a crash; a bad size names the unit.
    let starved = oncodata(&["sql", "--warehouse", w, "--memory-limit", "1M", big]);
    assert!(!starved.status.success());
    assert!(String::from_utf8_lossy(&starved.stderr).contains("Resources exhausted"));
    let bad_size = oncodata(&["sql", "--warehouse", w, "--memory-limit", "12X", "SELECT 1"]);
    assert!(String::from_utf8_lossy(&bad_size.stderr).contains("unknown unit"));
}

/// Versions from the command line: each ingest is a snapshot, `--as-of` reads an earlier one
/// (and refuses to change it), `restore` brings its tables back as a new snapshot, `prune`
/// keeps what the policy says.
#[test]
fn snapshots_list_as_of_restore_and_prune() {
    let tmp = tempfile::tempdir().unwrap();
    let wh = tmp.path().join("wh");
    run_demo(&wh);
    let w = wh.to_str().unwrap();
    let encr = wh.join("sources/registry/encr_50_2021-2022.csv");
    let count = |extra: &[&str]| -> usize {
        let mut args = vec!["sql", "--warehouse", w, "--format", "csv"];
        args.extend_from_slice(extra);
        args.push("SELECT count(*) FROM tumours");
        ok(&args).lines().nth(1).unwrap().parse().unwrap()
    };
    let first = count(&[]);
    let out = ok(&["ingest", "--warehouse", w, "--source", "encr-csv", encr.to_str().unwrap(), "--dataset", "again"]);
    assert!(out.contains("snapshot 2 published"), "{out}");
    assert_eq!(count(&[]), 2 * first);
    assert_eq!(count(&["--as-of", "1"]), first);
    let list = ok(&["snapshots", "list", "--warehouse", w]);
    assert_eq!(list.lines().count(), 3, "{list}");
    assert!(list.lines().nth(2).unwrap().contains("ingest encr-csv") && list.contains("(current)"), "{list}");

    // An earlier snapshot is read-only; an unknown one is named.
    let refused =
        oncodata(&["ingest", "--warehouse", w, "--as-of", "1", "--source", "encr-csv", encr.to_str().unwrap()]);
    assert!(!refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("read-only"));
    let missing = oncodata(&["sql", "--warehouse", w, "--as-of", "7", "SELECT 1"]);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("snapshot 7 does not exist"));

    assert!(ok(&["snapshots", "restore", "--warehouse", w, "1"]).contains("snapshot 3 published"));
    assert_eq!(count(&[]), first);
    let pruned = ok(&["snapshots", "prune", "--warehouse", w, "--keep-last", "1"]);
    assert!(pruned.starts_with("removed 2 snapshots (1-2), kept 1 (3)"), "{pruned}");
    assert_eq!(count(&[]), first);
    let json: serde_json::Value =
        serde_json::from_str(&ok(&["snapshots", "list", "--warehouse", w, "--format", "json"])).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 1);
    assert_eq!(json[0]["rows"]["tumours"].as_u64().unwrap() as usize, first);
}

/// User SQL cannot escape: no file written or registered, no setting changed, one statement
/// only, and the identities table is out of reach, in a subquery too. Each refusal says why.
#[test]
fn user_sql_is_read_only_and_cannot_read_identities() {
    let tmp = tempfile::tempdir().unwrap();
    let wh = tmp.path().join("wh");
    let w = wh.to_str().unwrap();
    let out = crate::run_demo(&wh);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let target = tmp.path().join("stolen.csv");
    let copy = format!("COPY (SELECT * FROM patients) TO '{}' STORED AS CSV", target.display());
    let escapes = [
        (copy.as_str(), "read-only"),
        ("CREATE EXTERNAL TABLE passwd (line VARCHAR) STORED AS CSV LOCATION '/etc/passwd'", "read-only"),
        ("SET datafusion.execution.batch_size = 1", "read-only"),
        ("INSERT INTO coverage VALUES ('x', '99', 2000, 2001)", "read-only"),
        ("SELECT 1; SELECT 2", "statement"),
        ("SELECT * FROM identities", "identities"),
        ("SELECT count(*) FROM tumours WHERE patient_id IN (SELECT patient_id FROM identities)", "identities"),
    ];
    for (sql, why) in escapes {
        let out = crate::oncodata(&["sql", "--warehouse", w, sql]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{sql}: accepted");
        assert!(err.to_lowercase().contains(why), "{sql}: {err}");
        assert!(!err.contains("panicked"), "{sql}: {err}");
    }
    assert!(!target.exists(), "COPY wrote a file");
    // Exports go through the same checks.
    let out =
        crate::oncodata(&["sql", "--warehouse", w, "--out", target.to_str().unwrap(), "SELECT * FROM identities"]);
    assert!(!out.status.success() && !target.exists());
    // Reading is still reading.
    let ok = crate::stdout_of(&["sql", "--warehouse", w, "--format", "csv", "SELECT count(*) AS n FROM tumours"]);
    assert!(ok.starts_with("n\n"), "{ok}");
}
