//! `oncodata ingest`, `quarantine`, `verify` and `quality` end to end on the synthetic data:
//! every format's counts against the generator's truth files, re-ingestion without duplicates,
//! the steward's correction loop, a registrar's verification, and the quality report against an
//! independent computation.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use crate::oncodata;

fn run_ok(args: &[&str]) -> String {
    let out = oncodata(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn ingest_json(warehouse: &Path, cwd_args: &[&str]) -> Value {
    let mut args = vec!["ingest", "--warehouse", warehouse.to_str().unwrap(), "--format", "json"];
    args.extend_from_slice(cwd_args);
    serde_json::from_str(&run_ok(&args)).unwrap()
}

fn sql_count(warehouse: &Path, sql: &str) -> i64 {
    let out = run_ok(&["sql", "--warehouse", warehouse.to_str().unwrap(), "--format", "csv", sql]);
    out.lines().nth(1).unwrap().parse().unwrap()
}

/// Rows of `truth/records.csv` per file, and planted faults per (file, kind).
fn truth(dir: &Path) -> (HashMap<String, u64>, HashMap<(String, String), u64>) {
    let mut rows = HashMap::new();
    for r in csv::Reader::from_path(dir.join("truth/records.csv")).unwrap().records() {
        *rows.entry(r.unwrap()[0].to_string()).or_insert(0) += 1;
    }
    let mut faults = HashMap::new();
    for r in csv::Reader::from_path(dir.join("truth/faults.csv")).unwrap().records() {
        let r = r.unwrap();
        *faults.entry((r[0].to_string(), r[4].to_string())).or_insert(0) += 1;
    }
    (rows, faults)
}

#[test]
fn every_format_ingests_the_synthetic_data_with_the_truth_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let d = data.to_str().unwrap();
    run_ok(&["synth", "--out", d, "--scale", "0.01", "--years", "2021-2022", "--seed", "5"]);
    let (rows, faults) = truth(&data);
    let registry = std::fs::read_dir(data.join("registry")).unwrap().map(|e| e.unwrap().path()).collect::<Vec<_>>();
    let find = |prefix: &str| {
        registry
            .iter()
            .find(|p| {
                p.file_name().unwrap().to_str().unwrap().starts_with(prefix)
                    && !p.to_str().unwrap().contains("paediatric")
            })
            .unwrap()
            .to_str()
            .unwrap()
            .to_string()
    };
    let (encr, naaccr) = (find("encr_"), find("naaccr_"));
    let wh = tmp.path().join("wh");
    let omop = data.join("hospitals/omop/roussy");
    let fhir = data.join("hospitals/fhir/curie.ndjson");
    let claims = data.join("claims");
    let summary = ingest_json(
        &wh,
        &[
            "--source",
            "encr-csv",
            &encr,
            "--source",
            "naaccr-xml",
            &naaccr,
            "--source",
            "omop",
            omop.to_str().unwrap(),
            "--source",
            "fhir",
            fhir.to_str().unwrap(),
            "--source",
            "claims",
            claims.to_str().unwrap(),
        ],
    );
    let files: HashMap<String, &Value> = summary["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["file"].as_str().unwrap().strip_prefix(&format!("{d}/")).unwrap().to_string(), s))
        .collect();
    for (file, s) in &files {
        assert_eq!(s["read"], s["accepted"].as_u64().unwrap() + s["quarantined"].as_u64().unwrap(), "{file}");
    }
    let rel = |p: &str| p.strip_prefix(&format!("{d}/")).unwrap().to_string();
    // Registry: every record read; quarantined = the planted faults the checks see.
    let encr_rel = rel(&encr);
    let visible =
        ["invalid_topography", "invalid_morphology", "sex_site_conflict", "birth_after_incidence", "missing_value"];
    let planted: u64 =
        visible.iter().map(|k| faults.get(&(encr_rel.clone(), k.to_string())).copied().unwrap_or(0)).sum();
    assert_eq!(files[&encr_rel]["read"].as_u64().unwrap(), rows[&encr_rel]);
    assert_eq!(files[&encr_rel]["quarantined"].as_u64().unwrap(), planted);
    // NAACCR: the same records.
    for k in ["read", "accepted", "quarantined", "warnings"] {
        assert_eq!(files[&rel(&naaccr)][k], files[&encr_rel][k], "{k}");
    }
    // OMOP: one condition per person in the truth, all accepted.
    let persons = rows["hospitals/omop/roussy/person.csv"];
    assert_eq!(files["hospitals/omop/roussy/person.csv"]["accepted"].as_u64().unwrap(), persons);
    assert_eq!(files["hospitals/omop/roussy/condition_occurrence.csv"]["accepted"].as_u64().unwrap(), persons);
    // FHIR: one bundle per truth row, all accepted.
    assert_eq!(files["hospitals/fhir/curie.ndjson"]["accepted"].as_u64().unwrap(), rows["hospitals/fhir/curie.ndjson"]);
    // Claims: every beneficiary.
    assert_eq!(files["claims/beneficiaries.csv"]["accepted"].as_u64().unwrap(), rows["claims/beneficiaries.csv"]);
    assert!(files["claims/pmsi_mco_stays.csv"]["accepted"].as_u64().unwrap() > 0);
    let tumours_before = sql_count(&wh, "SELECT count(*) FROM tumours");
    let expected = files[&encr_rel]["accepted"].as_u64().unwrap() * 2 + persons + rows["hospitals/fhir/curie.ndjson"];
    assert_eq!(tumours_before as u64, expected);

    // Ingesting the same file again adds nothing.
    let again = ingest_json(&wh, &["--source", "encr-csv", &encr]);
    let ds = &again["datasets"][0];
    assert_eq!(ds["tumours_new"], 0);
    assert_eq!(ds["tumours_replaced"], files[&encr_rel]["accepted"]);
    assert_eq!(sql_count(&wh, "SELECT count(*) FROM tumours"), tumours_before);
    let dataset = ds["dataset"].as_str().unwrap().to_string();
    let quarantined = files[&encr_rel]["quarantined"].as_i64().unwrap();
    assert_eq!(sql_count(&wh, &format!("SELECT count(*) FROM quarantine WHERE dataset = '{dataset}'")), quarantined);

    // The steward's loop: export the records with an invalid topography under the file's
    // header, correct them (unknown primary site), ingest them into the same dataset.
    let w = wh.to_str().unwrap();
    let listing = run_ok(&["quarantine", "list", "--warehouse", w, "--rule", "iarc.topography", "--format", "csv"]);
    let invalid: Vec<&str> = listing.lines().skip(1).filter(|l| l.starts_with(&format!("{dataset},"))).collect();
    assert!(!invalid.is_empty());
    let export = tmp.path().join("to_fix.csv");
    run_ok(&[
        "quarantine",
        "export",
        "--warehouse",
        w,
        "--dataset",
        &dataset,
        "--as-source",
        &encr,
        "--out",
        export.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&export).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("PAT,"), "{header}");
    let topo = header.split(',').position(|c| c == "Topo").unwrap();
    let ids: Vec<String> = invalid.iter().map(|l| l.split(',').nth(4).unwrap().to_string()).collect();
    let mut fixed = format!("{header}\n");
    for line in lines {
        let mut f: Vec<String> = line.split(',').map(str::to_string).collect();
        let id = format!("{}-{}", f[0], f[6]);
        if ids.contains(&id) {
            f[topo] = "C80.9".into();
            fixed.push_str(&f.join(","));
            fixed.push('\n');
        }
    }
    let fixed_path = tmp.path().join("fixed.csv");
    std::fs::write(&fixed_path, fixed).unwrap();
    let shown = run_ok(&["quarantine", "show", "--warehouse", w, &ids[0]]);
    assert!(shown.contains("iarc.topography") && shown.contains("raw"), "{shown}");
    let fix = ingest_json(&wh, &["--source", "encr-csv", fixed_path.to_str().unwrap(), "--dataset", &dataset]);
    let fixed_ok = fix["sources"][0]["accepted"].as_i64().unwrap();
    assert!(fixed_ok > 0);
    assert_eq!(fix["datasets"][0]["quarantine_resolved"].as_i64().unwrap(), fixed_ok);
    assert_eq!(
        sql_count(&wh, &format!("SELECT count(*) FROM quarantine WHERE dataset = '{dataset}'")),
        quarantined - fixed_ok
    );
    assert_eq!(sql_count(&wh, "SELECT count(*) FROM tumours"), tumours_before + fixed_ok);

    // A registrar verifies one warning; the next ingest does not raise it.
    let warning = run_ok(&[
        "sql",
        "--warehouse",
        w,
        "--format",
        "csv",
        &format!(
            "SELECT record_id, rule_id FROM warnings WHERE dataset = '{dataset}' AND source_file = '{encr}' ORDER BY source_record LIMIT 1"
        ),
    ]);
    let (record, rule) = warning.lines().nth(1).unwrap().split_once(',').unwrap();
    let before = sql_count(
        &wh,
        &format!("SELECT count(*) FROM warnings WHERE dataset = '{dataset}' AND source_file = '{encr}'"),
    );
    let refused =
        oncodata(&["verify", "--warehouse", w, "--record", record, "--rule", "iarc.topography", "--by", "me"]);
    assert!(!refused.status.success(), "an error rule cannot be verified");
    run_ok(&[
        "verify",
        "--warehouse",
        w,
        "--record",
        record,
        "--rule",
        rule,
        "--by",
        "Dr Test",
        "--reason",
        "confirmed",
    ]);
    let again = ingest_json(&wh, &["--source", "encr-csv", &encr]);
    assert_eq!(again["datasets"][0]["verified_warnings_skipped"], 1);
    assert_eq!(
        sql_count(
            &wh,
            &format!("SELECT count(*) FROM warnings WHERE dataset = '{dataset}' AND source_file = '{encr}'")
        ),
        before - 1
    );
}

#[test]
fn a_mapped_csv_ingests_and_bad_input_names_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("export.csv");
    std::fs::write(
        &csv,
        "NUM;SEXE;NAISS;DIAG;TOPO;MORPHO\n\
         A1;F;15/06/1950;03/03/2022;C50.4;8500/3\n\
         A2;M;01/01/1960;10/10/2022;C61.9;8140/3\n\
         A3;F;01/01/1960;10/10/2022;C61.9;8140/3\n\
         A4;X;01/01/1960;31/02/2022;C34.1;8070/3\n\
         A5;M;01/01/1960\n",
    )
    .unwrap();
    let mapping = tmp.path().join("export.toml");
    std::fs::write(
        &mapping,
        "[file]\ndelimiter = \";\"\n[columns]\npatient_id = \"NUM\"\n\
         sex = { column = \"SEXE\", codes = { F = \"2\", M = \"1\" } }\n\
         birth_date = { column = \"NAISS\", format = \"%d/%m/%Y\" }\n\
         incidence_date = { column = \"DIAG\", format = \"%d/%m/%Y\" }\n\
         topography = \"TOPO\"\nmorphology = { column = \"MORPHO\", system = \"icdo3-behaviour\" }\n",
    )
    .unwrap();
    let wh = tmp.path().join("wh");
    let s = ingest_json(&wh, &["--source", "csv", csv.to_str().unwrap(), "--mapping", mapping.to_str().unwrap()]);
    let src = &s["sources"][0];
    assert_eq!(
        (src["read"].as_u64(), src["accepted"].as_u64(), src["quarantined"].as_u64()),
        (Some(5), Some(2), Some(3))
    );
    let q = run_ok(&["quarantine", "list", "--warehouse", wh.to_str().unwrap(), "--format", "csv"]);
    assert!(q.contains(",4,A3-01,iarc.sex-topography,"), "{q}");
    assert!(q.contains(",5,A4-01,record.format;record.format,") || q.contains(",5,A4-01,record.format"), "{q}");
    assert!(q.contains(",6,,record.shape,"), "{q}");

    // A mapping naming an unknown meaning, and a file that is not what it claims.
    std::fs::write(&mapping, "[columns]\npatient = \"NUM\"\n").unwrap();
    let out = oncodata(&[
        "ingest",
        "--warehouse",
        wh.to_str().unwrap(),
        "--source",
        "csv",
        csv.to_str().unwrap(),
        "--mapping",
        mapping.to_str().unwrap(),
    ]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!out.status.success() && err.contains("export.toml") && err.contains("unknown meaning 'patient'"), "{err}");
    let out =
        oncodata(&["ingest", "--warehouse", wh.to_str().unwrap(), "--source", "naaccr-xml", csv.to_str().unwrap()]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!out.status.success() && err.contains("export.csv"), "{err}");
    let out = oncodata(&["ingest", "--warehouse", wh.to_str().unwrap(), "--source", "encr-csv", csv.to_str().unwrap()]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(!out.status.success() && err.contains("export.csv") && err.contains("missing column(s)"), "{err}");
}

/// The quality indicators of a small registry file equal those computed independently from the
/// same file by `reference/quality_reference.py` (Python's csv module, no oncodata code).
#[test]
fn quality_report_matches_the_independent_computation() {
    let reference = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference");
    let tmp = tempfile::tempdir().unwrap();
    let wh = tmp.path().join("wh");
    let w = wh.to_str().unwrap();
    let fixture = reference.join("quality_registry.csv");
    run_ok(&["ingest", "--warehouse", w, "--source", "encr-csv", fixture.to_str().unwrap(), "--dataset", "reg"]);
    let html = tmp.path().join("q.html");
    let got = run_ok(&["quality", "--warehouse", w, "--format", "csv", "--html", html.to_str().unwrap()]);
    let want = std::fs::read_to_string(reference.join("quality_expected.csv")).unwrap();
    let parse =
        |text: &str| -> Vec<Vec<String>> { text.lines().map(|l| l.split(',').map(str::to_string).collect()).collect() };
    let (got, want) = (parse(&got), parse(&want));
    assert_eq!(got[0], want[0]);
    assert_eq!(got.len(), want.len(), "{got:?}");
    for (g, e) in got.iter().zip(&want).skip(1) {
        for (i, (a, b)) in g.iter().zip(e).enumerate() {
            match (a.parse::<f64>(), b.parse::<f64>()) {
                (Ok(x), Ok(y)) => assert!((x - y).abs() < 1e-9, "{} {a} vs {b} in {g:?}", want[0][i]),
                _ => assert_eq!(a, b, "{} in {g:?}", want[0][i]),
            }
        }
    }
    let page = std::fs::read_to_string(html).unwrap();
    assert!(page.contains("<table>") && page.contains("pct_mv") && page.contains("iarc.topography"));
}

/// `registry.csv` in `dir`: an ENCR extract of one valid breast cancer.
fn one_record_registry(dir: &Path) -> std::path::PathBuf {
    let csv = dir.join("registry.csv");
    std::fs::write(
        &csv,
        "PAT,MoB,YoB,Age,Sex,Geo_Code,TUM,MoI,YoI,BoD,Topo,Morpho,Beh,Grade,Vit_stat,MoF,YoF,Surv_time,Stage\n\
         00000001,6,1950,71,2,50,01,3,2022,7,C504,8500,3,2,1,12,2023,640,II\n",
    )
    .unwrap();
    csv
}

/// A panic in a worker thread (a bug; injected here by the debug build's
/// `ONCODATA_FAULT_WORKER_PANIC`) ends the command with an error naming the file and a non-zero
/// exit, within seconds, and publishes nothing: before, the warehouse writer waited forever for
/// batches that would never come.
#[test]
fn a_panicking_worker_is_an_error_not_a_hang() {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};
    let tmp = tempfile::tempdir().unwrap();
    let csv = one_record_registry(tmp.path());
    let wh = tmp.path().join("wh");
    for dry_run in [false, true] {
        let mut args =
            vec!["ingest", "--warehouse", wh.to_str().unwrap(), "--source", "encr-csv", csv.to_str().unwrap()];
        if dry_run {
            args.push("--dry-run");
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_oncodata"))
            .args(&args)
            .env("ONCODATA_FAULT_WORKER_PANIC", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let start = Instant::now();
        while child.try_wait().unwrap().is_none() {
            if start.elapsed() > Duration::from_secs(60) {
                child.kill().unwrap();
                panic!("ingest hung after a worker panicked (dry run: {dry_run})");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{stderr}");
        assert!(stderr.contains("registry.csv") && stderr.contains("internal error"), "{stderr}");
        assert!(!stderr.contains("deliberate"), "a panic's message is not printed: {stderr}");
    }
    let snapshots = run_ok(&["snapshots", "list", "--warehouse", wh.to_str().unwrap(), "--format", "csv"]);
    assert_eq!(snapshots.lines().count(), 1, "nothing published: {snapshots}");
}

/// One `ingest` of several paths is all or nothing: a path that cannot be read at all (here a
/// truncated NAACCR XML file) publishes nothing, yet every path's summary is printed and the
/// broken one named; `--keep-going` publishes the others. Either way the command fails.
#[test]
fn a_broken_file_publishes_nothing_unless_keep_going() {
    let tmp = tempfile::tempdir().unwrap();
    let good = one_record_registry(tmp.path());
    let broken = tmp.path().join("broken.xml");
    std::fs::write(&broken, "<?xml version=\"1.0\"?><NaaccrData><Patient><Item naaccrId=\"sex\">2</Item>").unwrap();
    let wh = tmp.path().join("wh");
    let w = wh.to_str().unwrap();
    let args = |extra: &[&'static str]| -> std::process::Output {
        let mut a = vec!["ingest", "--warehouse", w, "--source", "encr-csv", good.to_str().unwrap()];
        a.extend(["--source", "naaccr-xml", broken.to_str().unwrap()]);
        a.extend(extra);
        oncodata(&a)
    };
    let out = args(&[]);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success());
    assert!(stdout.contains("read 1 = accepted 1 + quarantined 0"), "the good file's summary: {stdout}");
    assert!(stdout.contains("broken.xml: not read:") && stdout.contains("truncated"), "{stdout}");
    assert!(stderr.contains("broken.xml") && stderr.contains("nothing published"), "{stderr}");
    let list = run_ok(&["snapshots", "list", "--warehouse", w, "--format", "csv"]);
    assert_eq!(list.lines().count(), 1, "nothing published: {list}");

    let out = args(&["--keep-going", "--format", "json"]);
    assert!(!out.status.success());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["errors"][0]["path"].as_str(), broken.to_str());
    assert!(report["snapshot"].as_u64().is_some(), "{report}");
    assert_eq!(sql_count(&wh, "SELECT count(*) FROM tumours"), 1);
}
