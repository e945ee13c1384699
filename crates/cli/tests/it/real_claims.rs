//! The claims reader on the SNDS's own tables, written by others: the Health Data Hub's
//! synthetic SNDS (`crates/ingest/fixtures/real/claims/SOURCE.md`), ingested as published and
//! compared with what an independent Python reader (`expected_snds.py`) makes of them: rows
//! read, accepted, quarantined and skipped per table, and every beneficiary accepted, field by
//! field.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{ingest_json, stdout_of};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ingest/fixtures/real/claims")
}

#[test]
fn the_synthetic_snds_tables_are_read_joined_and_counted_as_an_independent_reader_says() {
    let tmp = tempfile::tempdir().unwrap();
    let wh = tmp.path().join("wh");
    let w = wh.to_str().unwrap();
    let dir = fixtures().join("synthetic-snds");
    let summary = ingest_json(&wh, &["--extract-date", "2026-12-01", "--source", "claims", dir.to_str().unwrap()]);
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("synthetic-snds.expected.json")).unwrap())
            .unwrap();
    let files = summary["sources"].as_array().unwrap();
    assert_eq!(files.len(), expected["counts"].as_object().unwrap().len(), "{summary}");
    for f in files {
        let name = Path::new(f["file"].as_str().unwrap()).file_name().unwrap().to_str().unwrap().to_string();
        let want = &expected["counts"][&name];
        let got = ["read", "accepted", "quarantined", "skipped"].map(|k| f[k].as_u64().unwrap());
        assert_eq!(
            got.to_vec(),
            want.as_array().unwrap().iter().map(|n| n.as_u64().unwrap()).collect::<Vec<_>>(),
            "{name}"
        );
        assert_eq!(got[0], got[1] + got[2] + got[3], "{name}: counts add up");
    }

    let patients = stdout_of(&[
        "sql",
        "--warehouse",
        w,
        "--format",
        "json",
        "SELECT patient_id, sex, birth_date, departement, CAST(death_date AS VARCHAR) AS death_date FROM patients \
         ORDER BY patient_id",
    ]);
    let got: Vec<Value> = serde_json::from_str(&patients).unwrap();
    let want = expected["patients"].as_array().unwrap();
    assert_eq!(got.len(), want.len(), "{patients}");
    for (g, e) in got.iter().zip(want) {
        assert_eq!(g["patient_id"], e["patient_id"]);
        assert_eq!(g["sex"], e["sex"]);
        assert_eq!(g["birth_date"].as_str().unwrap()[..4], e["birth_year"].to_string(), "{g}");
        assert_eq!(g["departement"], e["departement"]);
        assert_eq!(g["death_date"], e["death_date"]);
    }
    // No cancer in these tables: no care event, and the stay of a known beneficiary for a
    // non-cancer diagnosis is skipped, not quarantined.
    let events = stdout_of(&["sql", "--warehouse", w, "--format", "csv", "SELECT count(*) AS n FROM care_events"]);
    assert_eq!(events.lines().nth(1), Some("0"), "{events}");
}
