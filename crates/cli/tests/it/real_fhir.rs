//! `oncodata ingest --source fhir` on FHIR files others wrote (`crates/ingest/fixtures/real/fhir/
//! SOURCE.md`): a FHIR Bulk Data export that Synthea wrote (the SMART on FHIR sample bulk
//! datasets, 10-patient branch: one resource per NDJSON line, a file per resource type) and the
//! HL7 mCODE STU1 examples (a resource per JSON file). Every cancer is found and no other
//! condition; each tumour's codes, date and stage and its treatments equal what independent
//! Python readers (`expected_synthea.py`, `expected_mcode.py`) find in the files.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::stdout_of;

/// Ingests a FHIR fixture and checks it against its `.expected.json` (written by an independent
/// Python reader): the counts, every tumour's `keys`, and the care events by tumour and kind.
/// Returns the warehouse's directory.
fn ingest_and_compare(fixture: &str, keys: &[&str]) -> (tempfile::TempDir, String) {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ingest/fixtures/real/fhir");
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures.join(format!("{fixture}.expected.json"))).unwrap())
            .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path().join("wh").to_str().unwrap().to_string();
    let export = fixtures.join(fixture);
    let summary: Value = serde_json::from_str(&stdout_of(&[
        "ingest",
        "--warehouse",
        &w,
        "--format",
        "json",
        "--source",
        "fhir",
        export.to_str().unwrap(),
    ]))
    .unwrap();
    let counts = &summary["sources"][0];
    for key in ["read", "accepted", "skipped"] {
        assert_eq!(counts[key], expected[key], "{key}: {summary}");
    }
    assert_eq!(counts["quarantined"], 0, "{summary}");

    let sql = "SELECT tumour_id, topography, morphology, CAST(behaviour AS BIGINT) AS behaviour, \
               CAST(laterality AS BIGINT) AS laterality, CAST(incidence_date AS VARCHAR) AS incidence_date, stage, \
               tnm_t, tnm_n, tnm_m, tnm_basis, tnm_edition FROM tumours ORDER BY tumour_id";
    let got: Value = serde_json::from_str(&stdout_of(&["sql", "--warehouse", &w, "--format", "json", sql])).unwrap();
    let got = got.as_array().unwrap();
    let want = expected["tumours"].as_array().unwrap();
    assert_eq!(got.len(), want.len(), "{got:?}");
    for (g, e) in got.iter().zip(want) {
        for key in keys {
            assert_eq!(g[key], e[key], "{key} of {}", e["tumour_id"]);
        }
    }

    let events = stdout_of(&[
        "sql",
        "--warehouse",
        &w,
        "--format",
        "json",
        "SELECT tumour_id, kind, count(*) AS n FROM care_events GROUP BY tumour_id, kind",
    ]);
    let events: Vec<Value> = serde_json::from_str(&events).unwrap();
    let got: BTreeMap<String, u64> = events
        .iter()
        .map(|e| {
            (format!("{} {}", e["tumour_id"].as_str().unwrap(), e["kind"].as_str().unwrap()), e["n"].as_u64().unwrap())
        })
        .collect();
    let want: BTreeMap<String, u64> =
        expected["care_events"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_u64().unwrap())).collect();
    assert_eq!(got, want);
    (tmp, w)
}

#[test]
fn a_synthea_bulk_export_gives_its_cancers_and_nothing_else() {
    let keys = ["tumour_id", "topography", "morphology", "behaviour", "incidence_date", "stage"];
    let (_tmp, w) = ingest_and_compare("synthea-bulk-10", &keys);
    // Its cancer drugs (cisplatin, paclitaxel: RxNorm) are chemotherapy through their ATC class
    // (data/fhir/rxnorm_atc.csv), so no medication is left with an unmapped code system.
    let warnings = stdout_of(&["sql", "--warehouse", &w, "--format", "csv", "SELECT rule_id, message FROM warnings"]);
    assert!(!warnings.contains("fhir.code-system"), "{warnings}");
}

/// The HL7 mCODE STU1 examples (one resource per `.json` file, as the implementation guide
/// publishes them): the PrimaryCancerCondition's SNOMED CT body site, histology and laterality,
/// its clinical and pathological TNM Observations (linked by `stage.assessment`, by `hasMember`
/// and, for the pathological ones, by nothing but the patient), its cancer-related procedures,
/// its secondary cancer as a metastasis event; the secondary cancer and the comorbidity are not
/// tumours, the second patient has none.
#[test]
fn the_hl7_mcode_examples_give_their_primary_cancer_with_its_stage() {
    let keys = [
        "tumour_id",
        "topography",
        "morphology",
        "behaviour",
        "laterality",
        "incidence_date",
        "stage",
        "tnm_t",
        "tnm_n",
        "tnm_m",
        "tnm_basis",
        "tnm_edition",
    ];
    let (_tmp, w) = ingest_and_compare("mcode-stu1", &keys);
    // The secondary cancer is a metastasis of its primary, dated and at its site.
    let sql = "SELECT tumour_id, CAST(date AS VARCHAR) AS date, code FROM care_events WHERE kind = 'metastasis'";
    let got: Value = serde_json::from_str(&stdout_of(&["sql", "--warehouse", &w, "--format", "json", sql])).unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ingest/fixtures/real/fhir");
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures.join("mcode-stu1.expected.json")).unwrap()).unwrap();
    assert_eq!(got, expected["metastases"]);
    // Gefitinib (RxNorm 349472) is a targeted therapy of the patient's only primary.
    let warnings = stdout_of(&["sql", "--warehouse", &w, "--format", "csv", "SELECT rule_id, message FROM warnings"]);
    assert!(!warnings.contains("fhir.code-system"), "{warnings}");
}
