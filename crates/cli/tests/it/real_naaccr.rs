//! `oncodata ingest --source naaccr-xml` on the NAACCR XML sample files that the imsweb
//! naaccr-xml library publishes (dictionaries 21 and 25, 1,000 tumours each, gzipped as
//! published; see `crates/ingest/fixtures/real/naaccr/SOURCE.md`): every accepted tumour is
//! compared field by field with what an independent reader (`expected.py`, Python's ElementTree)
//! finds in the file, and the counts, the share accepted and the quarantine's contents are
//! checked.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::{ingest_json, stdout_of};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ingest/fixtures/real/naaccr")
}

/// The expected rows by tumour id, and the column names.
fn expected(name: &str) -> (Vec<String>, HashMap<String, Vec<String>>) {
    let mut r = csv::Reader::from_path(fixtures().join(name)).unwrap();
    let columns = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r.iter().map(String::from).collect())
        })
        .collect();
    (columns, rows)
}

/// Ingests `file` into a new warehouse in `dir`; returns the warehouse path and the JSON summary.
fn ingest(dir: &Path, file: &Path) -> (PathBuf, serde_json::Value) {
    ingest_as(dir, "naaccr-xml", file)
}

/// Ingests `file` as `kind` into a new warehouse in `dir`.
fn ingest_as(dir: &Path, kind: &str, file: &Path) -> (PathBuf, serde_json::Value) {
    let wh = dir.join("wh");
    let summary = ingest_json(&wh, &["--source", kind, file.to_str().unwrap()]);
    (wh, summary)
}

/// The warehouse's tumours with their patients' vital status and cause of death, as CSV rows
/// keyed by tumour id, columns in `columns`' order.
fn warehouse_rows(wh: &Path, columns: &[String]) -> HashMap<String, Vec<String>> {
    let select: Vec<String> = columns
        .iter()
        .map(|c| match c.as_str() {
            "vital_status" | "cause_of_death" => format!("p.{c}"),
            _ => format!("t.{c}"),
        })
        .collect();
    let sql = format!(
        "SELECT {} FROM tumours t JOIN patients p ON p.dataset = t.dataset AND p.patient_id = t.patient_id",
        select.join(", ")
    );
    let csv = stdout_of(&["sql", "--warehouse", wh.to_str().unwrap(), "--format", "csv", &sql]);
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    r.records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r.iter().map(String::from).collect())
        })
        .collect()
}

/// Compares every accepted tumour with its expected row; returns the number compared.
fn compare(wh: &Path, expected_csv: &str) -> usize {
    let (columns, want) = expected(expected_csv);
    let got = warehouse_rows(wh, &columns);
    let mut differences = Vec::new();
    for (id, row) in &got {
        let Some(w) = want.get(id) else { panic!("tumour {id} is not in the file") };
        for (k, c) in columns.iter().enumerate() {
            if row[k] != w[k] {
                differences.push(format!("{id} {c}: warehouse '{}', file '{}'", row[k], w[k]));
            }
        }
    }
    assert!(differences.is_empty(), "{} differences:\n{}", differences.len(), differences.join("\n"));
    got.len()
}

fn counts(summary: &serde_json::Value) -> (u64, u64, u64) {
    let f = &summary["sources"][0];
    (f["read"].as_u64().unwrap(), f["accepted"].as_u64().unwrap(), f["quarantined"].as_u64().unwrap())
}

/// Ingests a 1,000-tumour sample, checks its counts and that at least 96 % are accepted, and
/// compares every accepted tumour with `<version>-abstract-1000.expected.csv`; returns the
/// warehouse, the summary and the number accepted.
fn ingest_and_compare(dir: &Path, sample: &str, version: &str) -> (PathBuf, serde_json::Value, u64) {
    let (wh, summary) = ingest(dir, &fixtures().join(sample));
    let (read, accepted, quarantined) = counts(&summary);
    assert_eq!((read, accepted + quarantined), (1000, 1000), "{summary}");
    assert!(accepted >= 960, "only {accepted} of 1,000 accepted: {summary}");
    assert_eq!(compare(&wh, &format!("{version}-abstract-1000.expected.csv")) as u64, accepted);
    (wh, summary, accepted)
}

#[test]
fn the_v25_sample_is_read_field_by_field() {
    let tmp = tempfile::tempdir().unwrap();
    let (wh, summary, accepted) = ingest_and_compare(tmp.path(), "naaccr-xml-sample-v250-abstract-1000.xml.gz", "v250");
    // What the file declares about itself is kept with the dataset.
    let declared = stdout_of(&[
        "sql",
        "--warehouse",
        wh.to_str().unwrap(),
        "--format",
        "csv",
        "SELECT item, value FROM source_declarations ORDER BY item",
    ]);
    assert!(declared.contains("baseDictionaryUri,http://naaccr.org/naaccrxml/naaccr-dictionary-250.xml"), "{declared}");
    assert!(declared.contains("recordType,A") && declared.contains("timeGenerated,2024-08-23"), "{declared}");
    // A gzipped file's dataset is named without `.xml.gz`.
    assert_eq!(summary["sources"][0]["dataset"].as_str(), Some("naaccr-xml-sample-v250-abstract-1000"));

    // Stage is kept wherever the file has one, laterality for all: the comparison above covers
    // it tumour by tumour; here the totals, so that a reader losing them cannot go unseen.
    let w = wh.to_str().unwrap();
    let known = stdout_of(&[
        "sql",
        "--warehouse",
        w,
        "--format",
        "csv",
        "SELECT count(summary_stage) AS ss, count(laterality) AS lat, count(stage) AS ajcc FROM tumours",
    ]);
    let (_, want) = expected("v250-abstract-1000.expected.csv");
    let accepted_ids = warehouse_rows(&wh, &["tumour_id".to_string()]);
    let in_file = |k: usize| accepted_ids.keys().filter(|id| !want[*id][k].is_empty()).count() as u64;
    let totals: Vec<u64> = known.lines().nth(1).unwrap().split(',').map(|v| v.parse().unwrap()).collect();
    assert_eq!((totals[0], totals[2]), (in_file(11), in_file(13)), "summary stage and AJCC stage group wherever given");
    assert!(totals[0] > 850 && totals[2] > 40, "{totals:?}");
    assert_eq!(totals[1], accepted, "laterality for every tumour");

    // The quality report counts a stage as known where the file has one: summary stage 0-7 or
    // an AJCC stage group; its indicators are the invasive tumours' (behaviour 3).
    let quality = tmp.path().join("quality.csv");
    stdout_of(&["quality", "--warehouse", w, "--csv", quality.to_str().unwrap()]);
    let mut unknown = 0.0;
    for r in csv::Reader::from_path(&quality).unwrap().deserialize::<HashMap<String, String>>() {
        let r = r.unwrap();
        unknown += r["cases"].parse::<f64>().unwrap() * r["pct_stage_unknown"].parse::<f64>().unwrap() / 100.0;
    }
    let staged = |r: &Vec<String>| !r[13].is_empty() || ["0", "1", "2", "3", "4", "5", "7"].contains(&r[11].as_str());
    let want_unknown = accepted_ids.keys().filter(|id| want[*id][3] == "3" && !staged(&want[*id])).count();
    assert!((unknown - want_unknown as f64).abs() < 0.5, "stage unknown: report {unknown}, file {want_unknown}");

    // Nothing identifying reaches the quarantine: the sample carries names, SSNs, telephone
    // numbers and addresses.
    let raw = stdout_of(&["sql", "--warehouse", w, "--format", "csv", "SELECT raw FROM quarantine"]);
    for item in ["nameLast", "nameFirst", "socialSecurityNumber", "telephone", "addrAtDx", "nameMaiden"] {
        assert!(!raw.contains(item), "{item} in the quarantine: {raw}");
    }
}

#[test]
fn the_v21_sample_is_read_field_by_field() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, summary, accepted) = ingest_and_compare(tmp.path(), "naaccr-xml-sample-v210-abstract-1000.xml.gz", "v210");
    let file = fixtures().join("naaccr-xml-sample-v210-abstract-1000.xml.gz");
    // The date checks' "today" is the date the file declares it was written, not the clock's.
    let source = &summary["sources"][0];
    assert_eq!(
        (source["extract_date"].as_str(), source["extract_date_from"].as_str()),
        (Some("2020-07-31"), Some("the file's timeGenerated"))
    );
    // An earlier extract date puts the diagnoses after it in quarantine, the same on any day.
    let (wh, summary) = ingest_as_of(&tmp.path().join("early"), &file, "2019-12-31");
    let (_, early, _) = counts(&summary);
    let future = stdout_of(&[
        "sql",
        "--warehouse",
        wh.to_str().unwrap(),
        "--format",
        "csv",
        "SELECT count(*) FROM quarantine WHERE rule_ids LIKE '%date.future%'",
    ]);
    let future: u64 = future.lines().nth(1).unwrap().parse().unwrap();
    assert!(future > 0 && early + future <= accepted + future && early < accepted, "{summary}");
}

/// Ingests `file` as NAACCR XML with `--extract-date`.
fn ingest_as_of(dir: &Path, file: &Path, date: &str) -> (PathBuf, serde_json::Value) {
    let wh = dir.join("wh");
    let summary = ingest_json(&wh, &["--extract-date", date, "--source", "naaccr-xml", file.to_str().unwrap()]);
    (wh, summary)
}

/// `tumorRecordNumber` is optional: without it, tumours are numbered by their position in their
/// patient, and the same tumours are accepted with the same values. The file is also given
/// uncompressed and re-encoded in windows-1252, as some registries' software writes it.
#[test]
fn without_tumour_record_numbers_and_in_cp1252_the_same_tumours_are_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    let mut xml = String::new();
    let gz = std::fs::File::open(fixtures().join("naaccr-xml-sample-v250-abstract-1000.xml.gz")).unwrap();
    flate2::read::GzDecoder::new(gz).read_to_string(&mut xml).unwrap();
    let stripped: String = xml
        .lines()
        .filter(|l| !l.contains("naaccrId=\"tumorRecordNumber\""))
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .replacen("<?xml version=\"1.0\"?>", "<?xml version=\"1.0\" encoding=\"Cp1252\"?>", 1);
    assert!(stripped.contains("encoding=\"Cp1252\""));
    let file = tmp.path().join("no-record-number.xml");
    let (bytes, _, lossy) = encoding_rs::WINDOWS_1252.encode(&stripped);
    assert!(!lossy);
    std::fs::File::create(&file).unwrap().write_all(&bytes).unwrap();
    let (wh, summary) = ingest(tmp.path(), &file);
    let (read, accepted, _) = counts(&summary);
    let (_, with_numbers) =
        ingest(&tmp.path().join("b"), &fixtures().join("naaccr-xml-sample-v250-abstract-1000.xml.gz"));
    assert_eq!((read, accepted), (1000, counts(&with_numbers).1), "{summary}");
    assert_eq!(compare(&wh, "v250-abstract-1000.expected.csv") as u64, accepted);
}

/// The version 18 flat file (the imsweb 100-record incidence sample, as converted to the flat
/// layout by the kumc-bmi naaccr-tumor-data project) and the same sample in NAACCR XML give the
/// same tumours, each equal field by field to what `expected.py` reads from the files.
#[test]
fn the_v18_flat_file_and_its_xml_give_the_same_tumours() {
    let tmp = tempfile::tempdir().unwrap();
    let flat = fixtures().join("naaccr-xml-sample-v180-incidence-100.txt.gz");
    let (flat_wh, flat_summary) = ingest_as(&tmp.path().join("flat"), "naaccr-flat", &flat);
    let xml = fixtures().join("naaccr-xml-sample-v180-incidence-100.xml.gz");
    let (xml_wh, xml_summary) = ingest_as(&tmp.path().join("xml"), "naaccr-xml", &xml);
    let (read, accepted, quarantined) = counts(&flat_summary);
    assert_eq!((read, accepted + quarantined), (100, 100), "{flat_summary}");
    assert_eq!(counts(&xml_summary), (read, accepted, quarantined), "{xml_summary}");
    assert!(accepted >= 90, "{flat_summary}");
    assert_eq!(compare(&flat_wh, "v180-incidence-100.expected.csv") as u64, accepted);
    assert_eq!(compare(&xml_wh, "v180-incidence-100.expected.csv") as u64, accepted);
}
