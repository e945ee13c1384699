//! `oncodata ingest --source omop` on OHDSI's own Eunomia data set Synthea27Nj (CDM 5.4; see
//! `crates/ingest/fixtures/real/omop/SOURCE.md`), as a folder of gzipped tables and as a zip
//! archive laid out as OHDSI ships it: upper-case table names are found, every condition (none
//! is a cancer) is skipped and counted, drugs coded in RxNorm and SNOMED CT procedures are no
//! error, and each table's counts equal what an independent Python reader finds; and as OHDSI's
//! Parquet export of the same set (`Synthea27NjParquet`), read with DuckDB by that reader.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;

use serde_json::Value;

use crate::ingest_json;

/// Each table's (read, accepted, quarantined, skipped) from `ingest --format json`, by table name.
fn counts(summary: &Value) -> HashMap<String, [u64; 4]> {
    summary["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let file = f["file"].as_str().unwrap();
            let table = file.rsplit(['/', '!']).next().unwrap().split('.').next().unwrap().to_ascii_uppercase();
            let n = |k: &str| f[k].as_u64().unwrap();
            (table, [n("read"), n("accepted"), n("quarantined"), n("skipped")])
        })
        .collect()
}

/// Each table's counts in an ingest summary equal what the independent reader found: persons
/// and deaths accepted, conditions skipped unless a cancer, drugs and procedures skipped.
fn assert_tables_as_expected(summary: &Value, expected: &Value) {
    let n = |k: &str| expected[k].as_u64().unwrap();
    let c = counts(summary);
    assert_eq!(c["PERSON"], [n("persons"), n("persons"), 0, 0], "{summary}");
    assert_eq!(c["DEATH"], [n("deaths"), n("deaths"), 0, 0], "{summary}");
    assert_eq!(c["CONDITION_OCCURRENCE"], [n("conditions"), n("cancers"), 0, n("conditions_skipped")], "{summary}");
    assert_eq!(c["DRUG_EXPOSURE"], [n("drug_exposures"), 0, 0, n("drug_exposures")], "{summary}");
    assert_eq!(c["PROCEDURE_OCCURRENCE"], [n("procedures"), 0, 0, n("procedures")], "{summary}");
}

fn ingest(wh: &Path, source: &Path) -> Value {
    ingest_json(wh, &["--source", "omop", source.to_str().unwrap()])
}

#[test]
fn an_ohdsi_eunomia_set_is_read_without_false_errors() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ingest/fixtures/real/omop");
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures.join("eunomia-synthea27nj.expected.json")).unwrap())
            .unwrap();
    let tmp = tempfile::tempdir().unwrap();

    // The zip, as OHDSI ships it: upper-case CSV tables and macOS resource forks.
    let archive = tmp.path().join("Synthea27Nj_5.4.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&archive).unwrap());
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for entry in std::fs::read_dir(fixtures.join("eunomia-synthea27nj")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().trim_end_matches(".gz").to_string();
        let mut text = Vec::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap()).read_to_end(&mut text).unwrap();
        zip.start_file(name.as_str(), options).unwrap();
        zip.write_all(&text).unwrap();
        zip.start_file(format!("__MACOSX/._{name}"), options).unwrap();
        zip.write_all(b"\x00\x05\x16\x07 resource fork").unwrap();
    }
    zip.finish().unwrap();

    for (k, source) in [fixtures.join("eunomia-synthea27nj"), archive].iter().enumerate() {
        let summary = ingest(&tmp.path().join(format!("wh{k}")), source);
        assert_tables_as_expected(&summary, &expected);
        let file = summary["sources"][0]["file"].as_str().unwrap();
        assert!(
            if k == 1 { file.ends_with("Synthea27Nj_5.4.zip!PERSON.csv") } else { file.ends_with("PERSON.csv.gz") },
            "{file}"
        );
    }
}

#[test]
fn an_ohdsi_parquet_export_is_read_as_its_csv() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ingest/fixtures/real/omop");
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures.join("eunomia-synthea27nj-parquet.expected.json")).unwrap(),
    )
    .unwrap();
    let n = |k: &str| expected[k].as_u64().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let summary = ingest(&tmp.path().join("wh"), &fixtures.join("eunomia-synthea27nj-parquet"));
    assert_tables_as_expected(&summary, &expected);
    let c = counts(&summary);
    assert_eq!(c["EPISODE"], [0, 0, 0, 0], "an empty table is read: {summary}");
    let file = summary["sources"][0]["file"].as_str().unwrap();
    assert!(file.ends_with("person.parquet"), "named by its own file: {file}");
    // The patients are in the warehouse as the CSV export gives them.
    let w = tmp.path().join("wh");
    let out = crate::stdout_of(&[
        "sql",
        "--warehouse",
        w.to_str().unwrap(),
        "--format",
        "csv",
        "SELECT count(*) AS n, min(CAST(birth_date AS VARCHAR)) AS first FROM patients",
    ]);
    assert!(out.contains(&format!("{},", n("persons"))), "{out}");
}
