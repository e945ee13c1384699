//! `oncodata demo` against the independent computation in `tests/reference/`.

use std::collections::HashMap;

use crate::{oncodata, run_demo};

type Table = HashMap<(String, String), HashMap<String, f64>>;

fn read_table(text: &str) -> Table {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let key = (rec[0].to_string(), rec[1].to_string());
            // Numbers only: a withheld row's are empty, the `suppressed` column is text.
            let values = headers
                .iter()
                .zip(rec.iter())
                .skip(2)
                .filter_map(|(h, v)| Some((h.to_string(), v.parse().ok()?)))
                .collect();
            (key, values)
        })
        .collect()
}

/// The demo's incidence table equals, to 1e-9 relative, the table computed by
/// `tests/reference/demo_incidence.py` (scipy) from the same synthetic extract: its own site
/// grouping, exact Poisson crude intervals and Tiwari ASR intervals.
#[test]
fn demo_rates_match_the_independent_computation() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_demo(dir.path());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("ASR world (95% CI)"), "{stdout}");
    assert!(stdout.contains("All invasive cancers"), "{stdout}");

    let text = std::fs::read_to_string(dir.path().join("reports/incidence_by_site_sex.csv")).unwrap();
    let ours = read_table(&text);
    let reference = read_table(include_str!("../reference/demo_incidence_seed20241.csv"));
    let mut keys: Vec<_> = ours.keys().collect();
    keys.sort();
    let mut ref_keys: Vec<_> = reference.keys().collect();
    ref_keys.sort();
    assert_eq!(keys, ref_keys);
    // The public report withholds every count of 1-10 (and cells that would give one away):
    // the reference's small counts are exactly among the withheld rows, the rest are equal.
    let suppressed: std::collections::HashMap<(String, String), String> = {
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let h = r.headers().unwrap().clone();
        let s = h.iter().position(|c| c == "suppressed").expect("a suppressed column");
        r.records()
            .map(|rec| rec.unwrap())
            .map(|rec| ((rec[0].to_string(), rec[1].to_string()), rec[s].to_string()))
            .collect()
    };
    assert!(stdout.contains("Disclosure control (public)") && stdout.contains("none recoverable"), "{stdout}");
    let mut withheld = 0;
    for (key, want) in &reference {
        let small = want["cases"] > 0.0 && want["cases"] < 11.0;
        match suppressed[key].as_str() {
            "" => assert!(!small, "{key:?}: a count of {} is published", want["cases"]),
            "frequency" => {
                assert!(small, "{key:?}");
                withheld += 1;
                continue;
            }
            rule => {
                assert_eq!(rule, "secondary", "{key:?}");
                withheld += 1;
                continue;
            }
        }
        let got = &ours[key];
        for (column, w) in want {
            let g = got[column];
            assert!((g - w).abs() <= 1e-9 * w.abs(), "{key:?} {column}: {g} vs reference {w}");
        }
    }
    assert!(reference[&("breast".into(), "female".into())]["cases"] > 500.0);
    assert!(withheld > 0, "the demo's table has small cells to withhold");
}

/// Every record read is accepted or quarantined, and the quarantine is in the warehouse.
#[test]
fn demo_counts_add_up_and_quarantine_is_queryable() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_demo(dir.path());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let line = stderr.lines().find(|l| l.contains("read ")).expect("counts line");
    // "... read R = accepted A + quarantined Q (W warnings) ..."
    let words: Vec<&str> = line.split_whitespace().collect();
    let after = |w: &str| -> u64 { words[words.iter().position(|x| *x == w).unwrap() + 1].parse().unwrap() };
    let (r, a, q) = (after("read"), after("accepted"), after("quarantined"));
    assert_eq!(r, a + q, "{line}");
    assert!(q > 0 && a > 5000, "{line}");

    let w = dir.path().to_str().unwrap();
    let sql = oncodata(&["sql", "--warehouse", w, "--format", "csv", "SELECT count(*) AS n FROM quarantine"]);
    assert!(sql.status.success(), "{}", String::from_utf8_lossy(&sql.stderr));
    assert_eq!(String::from_utf8(sql.stdout).unwrap(), format!("n\n{q}\n"));
    let t = oncodata(&["sql", "--warehouse", w, "--format", "csv", "SELECT count(*) AS n FROM tumours"]);
    assert_eq!(String::from_utf8(t.stdout).unwrap(), format!("n\n{a}\n"));
}

/// Same seed, same table: the demo is reproducible.
#[test]
fn demo_is_deterministic() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    run_demo(a.path());
    run_demo(b.path());
    let read = |d: &tempfile::TempDir| std::fs::read(d.path().join("reports/incidence_by_site_sex.csv")).unwrap();
    assert_eq!(read(&a), read(&b));
}

/// `oncodata survival` on the warehouse (no --data) with a selection gives the demo's net
/// survival for the same site and sex.
#[test]
fn survival_on_the_warehouse_equals_the_demo_report() {
    let dir = tempfile::tempdir().unwrap();
    run_demo(dir.path());
    let w = dir.path().to_str().unwrap();
    let out = oncodata(&[
        "survival",
        "--warehouse",
        w,
        "--where",
        "site_group = 'lung' AND sex = 'male'",
        "--method",
        "pohar-perme",
        "--format",
        "csv",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let ours: Vec<Vec<String>> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    let report = std::fs::read_to_string(dir.path().join("reports/net_survival_by_site.csv")).unwrap();
    let demo: Vec<Vec<String>> = report
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect::<Vec<_>>())
        .filter(|r| r[0] == "lung" && r[1] == "male")
        .collect();
    assert_eq!(ours.len(), demo.len());
    for (o, d) in ours.iter().zip(&demo) {
        assert_eq!(o[1], d[2], "time");
        assert_eq!(o[5], d[6], "surv at {}", d[2]);
    }
}

/// The demo loads only into a warehouse it made: into someone's warehouse it refuses, saying
/// why, and leaves it as it was; into its own it runs again.
#[test]
fn demo_refuses_a_warehouse_it_did_not_create() {
    let tmp = tempfile::tempdir().unwrap();
    let wh = tmp.path().join("wh");
    let file = tmp.path().join("encr_one.csv");
    std::fs::write(
        &file,
        "PAT,MoB,YoB,Age,Sex,Geo_Code,TUM,MoI,YoI,BoD,Topo,Morpho,Beh,Grade,Vit_stat,MoF,YoF,Surv_time,Stage\n\
         00000001,3,1950,70,2,14,01,6,2020,7,C187,8480,3,2,1,12,2023,1300,I\n",
    )
    .unwrap();
    let w = wh.to_str().unwrap();
    crate::stdout_of(&["ingest", "--warehouse", w, "--source", "encr-csv", file.to_str().unwrap()]);
    let out = oncodata(&["demo", "--warehouse", w]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("did not create"), "{err}");
    assert!(!wh.join("tables/population").exists() && !wh.join("sources").exists(), "the warehouse was touched");
    let own = tmp.path().join("demo");
    run_demo(&own);
    run_demo(&own);
}
