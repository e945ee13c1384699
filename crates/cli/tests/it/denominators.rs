//! Real denominators and population mortality: INSEE's population estimates (Calvados, Manche,
//! Orne, 2022–2025) and the Human Mortality Database's death rates (United Kingdom, 2000–2016),
//! ingested as published (`crates/ingest/fixtures/real/denominators/SOURCE.md`) beside a
//! registry extract; the warehouse's tables are compared row by row with what an independent
//! Python reader computes from the files, then incidence and net survival run on them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::{ingest_json, stdout_of};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ingest/fixtures/real/denominators")
}

/// Rows of a CSV (header first), each as text fields.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
    r.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect()
}

/// Compares a query's rows with an expected CSV: key columns as text, the last as a number.
fn same_rows(wh: &str, sql: &str, expected: &str) {
    let got = csv_rows(&stdout_of(&["sql", "--warehouse", wh, "--format", "csv", sql]));
    let want = csv_rows(&std::fs::read_to_string(fixtures().join(expected)).unwrap());
    assert_eq!(got[0], want[0], "columns");
    assert_eq!(got.len(), want.len(), "rows of {expected}");
    for (g, w) in got.iter().zip(&want).skip(1) {
        let n = g.len() - 1;
        assert_eq!(g[..n], w[..n], "keys");
        let (a, b): (f64, f64) = (g[n].parse().unwrap(), w[n].parse().unwrap());
        assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{g:?} against {w:?}");
    }
}

#[test]
fn published_denominators_load_and_incidence_and_net_survival_run_on_them() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let d = data.to_str().unwrap();
    stdout_of(&["synth", "--out", d, "--departements", "50", "--years", "2022-2023", "--scale", "0.05", "--seed", "4"]);
    let encr = crate::registry_extract(&data);
    let wh = tmp.path().join("wh");
    let w = wh.to_str().unwrap();
    let population = fixtures().join("insee-population-dep-sexe-aq-2022-2025-14-50-61.csv");
    let life_table = fixtures().join("hmd-gbr-Mx_1x1-2000-2016.txt");
    let summary = ingest_json(
        &wh,
        &[
            "--coverage",
            "50:2022-2023",
            "--source",
            "encr-csv",
            encr.to_str().unwrap(),
            "--source",
            "population",
            population.to_str().unwrap(),
            "--source",
            "life-table",
            life_table.to_str().unwrap(),
        ],
    );
    let reference = summary["reference"].as_array().unwrap();
    assert_eq!(reference[0]["layout"], "INSEE population on 1 January by département");
    assert_eq!(reference[1]["layout"], "Human Mortality Database Mx_1x1");
    assert!(reference[0]["notes"].to_string().contains("4 aggregate rows"), "{summary}");

    // The registry's declared coverage is kept with its dataset.
    let coverage = stdout_of(&[
        "sql",
        "--warehouse",
        w,
        "--format",
        "csv",
        "SELECT dataset, area, first_year, last_year FROM coverage",
    ]);
    assert_eq!(coverage.lines().nth(1), Some("encr_50_2022-2023,50,2022,2023"), "{coverage}");

    same_rows(
        w,
        "SELECT area, CAST(year AS BIGINT) AS year, sex, age_group, persons FROM population ORDER BY area, year, sex, age_group",
        "expected-population.csv",
    );
    same_rows(
        w,
        "SELECT CAST(age AS BIGINT) AS age, sex, CAST(year AS BIGINT) AS year, hazard FROM life_table ORDER BY year, age, sex",
        "expected-life-table.csv",
    );

    // Incidence by area (département) and year takes its person-years from INSEE's table.
    let incidence = csv_rows(&stdout_of(&["incidence", "--warehouse", w, "--by", "area,year", "--format", "csv"]));
    let col = |name: &str| {
        incidence[0].iter().position(|c| c == name).unwrap_or_else(|| panic!("{name}: {:?}", incidence[0]))
    };
    let row = incidence.iter().find(|r| r[col("area")] == "50" && r[col("year")] == "2022").expect("Manche 2022");
    let expected: f64 = csv_rows(&std::fs::read_to_string(fixtures().join("expected-population.csv")).unwrap())
        .iter()
        .skip(1)
        .filter(|r| r[0] == "50" && r[1] == "2022")
        .map(|r| r[4].parse::<f64>().unwrap())
        .sum();
    let person_years: f64 = row[col("person_years")].parse().unwrap();
    assert!((person_years - expected).abs() < 1e-6, "{person_years} against {expected}");
    assert!(row[col("cases")].parse::<u64>().unwrap() > 0);

    // Net survival (Pohar-Perme) against the HMD's rates: it runs, and its estimates are
    // survival proportions.
    let survival = csv_rows(&stdout_of(&[
        "survival",
        "--audience",
        "steward",
        "--warehouse",
        w,
        "--where",
        "site_group = 'breast'",
        "--method",
        "pohar-perme",
        "--at",
        "365",
        "--format",
        "csv",
    ]));
    let at: HashMap<&str, usize> = survival[0].iter().enumerate().map(|(i, c)| (c.as_str(), i)).collect();
    assert!(survival.len() > 1, "{survival:?}");
    for r in &survival[1..] {
        let s: f64 = r[at["surv"]].parse().unwrap();
        assert!(s > 0.5 && s < 1.2, "{r:?}");
    }
}
