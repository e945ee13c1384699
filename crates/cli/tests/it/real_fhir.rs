//! `oncodata ingest --source fhir` on a FHIR Bulk Data export that Synthea wrote (the SMART on
//! FHIR sample bulk datasets, 10-patient branch: one resource per NDJSON line, a file per
//! resource type; `crates/ingest/fixtures/real/fhir/SOURCE.md`): every cancer is found and no
//! other condition, each tumour's codes, date and stage and its treatments equal what an
//! independent Python reader (`expected_synthea.py`) finds in the files.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::stdout_of;

#[test]
fn a_synthea_bulk_export_gives_its_cancers_and_nothing_else() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ingest/fixtures/real/fhir");
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures.join("synthea-bulk-10.expected.json")).unwrap())
            .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path().join("wh");
    let w = w.to_str().unwrap();
    let export = fixtures.join("synthea-bulk-10");
    let summary: Value = serde_json::from_str(&stdout_of(&[
        "ingest",
        "--warehouse",
        w,
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
               CAST(incidence_date AS VARCHAR) AS incidence_date, stage FROM tumours ORDER BY tumour_id";
    let got: Value = serde_json::from_str(&stdout_of(&["sql", "--warehouse", w, "--format", "json", sql])).unwrap();
    let got = got.as_array().unwrap();
    let want = expected["tumours"].as_array().unwrap();
    assert_eq!(got.len(), want.len(), "{got:?}");
    for (g, e) in got.iter().zip(want) {
        for key in ["tumour_id", "topography", "morphology", "behaviour", "incidence_date", "stage"] {
            assert_eq!(g[key], e[key], "{key} of {}", e["tumour_id"]);
        }
    }

    let events = stdout_of(&[
        "sql",
        "--warehouse",
        w,
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

    // The RxNorm-coded medications are not guessed at: one warning names the system.
    let warnings = stdout_of(&["sql", "--warehouse", w, "--format", "csv", "SELECT rule_id, message FROM warnings"]);
    assert!(warnings.contains("fhir.code-system") && warnings.contains("rxnorm"), "{warnings}");
}
