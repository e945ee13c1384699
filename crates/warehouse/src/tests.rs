//! The warehouse written from model records and read back through SQL.

use chrono::NaiveDate;
use oncodata_model::{PartialDate, Patient, PopulationCount, Provenance, Sex, Tumour, VitalStatus};

use super::*;
use oncodata_model::Severity;

fn prov(record: u64) -> Provenance {
    Provenance { source: "encr-csv".into(), file: "encr_test.csv".into(), record }
}

fn tumour(id: &str, topo: &str, morph: &str, age: u16, group: &str) -> Tumour {
    Tumour {
        tumour_id: id.into(),
        patient_id: id.into(),
        topography: topo.into(),
        morphology: morph.into(),
        behaviour: 3,
        grade: Some(2),
        grade_code: None,
        grade_scheme: None,
        laterality: None,
        basis_of_diagnosis: Some(7),
        incidence_date: NaiveDate::from_ymd_opt(2022, 3, 15).unwrap(),
        incidence_date_precision: "day".into(),
        sequence_number: None,
        age_at_diagnosis: age,
        tnm_t: None,
        tnm_n: None,
        tnm_m: None,
        stage: Some("II".into()),
        tnm_basis: None,
        tnm_edition: None,
        summary_stage: None,
        summary_stage_scheme: None,
        icd10: None,
        iccc: None,
        site_group: Some(group.into()),
        source_ids: ["PAT=", id].into_iter().collect(),
        provenance: prov(2),
    }
}

#[test]
fn tables_round_trip_through_sql() {
    let dir = tempfile::tempdir().unwrap();
    let w = Warehouse::open(dir.path()).unwrap();
    let mut extract = oncodata_model::Records::default();
    extract.tumours.extend([
        tumour("1", "C50.4", "8500", 71, "breast"),
        tumour("2", "C61.9", "8140", 84, "prostate"),
        tumour("3", "C61.9", "8140", 90, "prostate"),
    ]);
    extract.patients.push(Patient {
        patient_id: "1".into(),
        sex: Sex::Female,
        birth_date: PartialDate { year: 1950, month: Some(6), day: None },
        departement: Some("50".into()),
        commune: None,
        vital_status: VitalStatus::Alive,
        last_contact: NaiveDate::from_ymd_opt(2023, 12, 15),
        death_date: None,
        cause_of_death: None,
        provenance: prov(2),
    });
    w.load_dataset("test", &extract, &[]).unwrap();
    w.write_population(&[PopulationCount {
        area: "50".into(),
        year: 2022,
        sex: Sex::Male,
        age_group: "85+".into(),
        persons: 5000.0,
    }])
    .unwrap();
    assert_eq!(
        w.tables().unwrap(),
        vec!["care_events", "identities", "patients", "population", "quarantine", "tumours", "warnings"]
    );

    let r = w
        .query("SELECT site_group, age_group(age_at_diagnosis) AS age_group, count(*) AS n FROM tumours GROUP BY 1, 2 ORDER BY 1, 2")
        .unwrap();
    assert_eq!(r.columns(), vec!["site_group", "age_group", "n"]);
    assert_eq!(
        r.rows().unwrap(),
        vec![
            vec![Value::Text("breast".into()), Value::Text("70-74".into()), Value::Int(1)],
            vec![Value::Text("prostate".into()), Value::Text("80-84".into()), Value::Int(1)],
            vec![Value::Text("prostate".into()), Value::Text("85+".into()), Value::Int(1)],
        ]
    );
    let p = w.query("SELECT birth_date, last_contact, sex, source_file, source_record, dataset FROM patients").unwrap();
    assert_eq!(
        p.rows().unwrap()[0],
        vec![
            Value::Text("1950-06".into()),
            Value::Text("2023-12-15".into()),
            Value::Text("female".into()),
            Value::Text("encr_test.csv".into()),
            Value::Int(2),
            Value::Text("test".into())
        ]
    );
    let csv = w.query("SELECT area, persons FROM population").unwrap().to_csv().unwrap();
    assert_eq!(csv, "area,persons\n50,5000.0\n");
    let json = w.query("SELECT area, year FROM population").unwrap().to_json().unwrap();
    assert_eq!(json, r#"[{"area":"50","year":2022}]"#);
    assert!(w.query("SELECT 1 AS one").unwrap().to_pretty().unwrap().contains("| one |"));
}

#[test]
fn platform_functions_classify_like_the_coding_tables() {
    let dir = tempfile::tempdir().unwrap();
    let w = Warehouse::open(dir.path()).unwrap();
    let r = w
        .query(
            "SELECT icd10('C44.5', '8720', 3) AS a, site_group('C18.7', '8140', 3) AS b, iccc('C64.9', '8960', 3) AS c, \
             icd10('C50.7', '8500', 3) AS d, age_group(4) AS e, age_group(85) AS f",
        )
        .unwrap();
    assert_eq!(
        r.rows().unwrap()[0],
        vec![
            Value::Text("C43.5".into()),
            Value::Text("colorectum".into()),
            Value::Text("VIa".into()),
            Value::Null,
            Value::Text("0-4".into()),
            Value::Text("85+".into()),
        ]
    );
}

#[test]
fn sql_errors_name_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let w = Warehouse::open(dir.path()).unwrap();
    let e = w.query("SELECT * FROM nosuchtable").unwrap_err().to_string();
    assert!(e.contains("nosuchtable"), "{e}");
}

/// A user's Parquet file reads back column by column, in its row order; a missing file is named.
#[test]
fn reads_a_users_parquet_file() {
    let dir = tempfile::tempdir().unwrap();
    let w = Warehouse::open(dir.path()).unwrap();
    let rows: Vec<PopulationCount> = (0..3)
        .map(|i| PopulationCount {
            area: "50".into(),
            year: 2020 + i,
            sex: Sex::Male,
            age_group: "85+".into(),
            persons: 5.0 + i as f64,
        })
        .collect();
    w.write_population(&rows).unwrap();
    let file = &w.snapshot().unwrap().tables["population"][0].path;
    let (names, columns) = read_parquet(&dir.path().join(file)).unwrap();
    let at = |n: &str| names.iter().position(|x| x == n).unwrap();
    assert_eq!(columns[at("year")], vec![Value::Int(2020), Value::Int(2021), Value::Int(2022)]);
    assert_eq!(columns[at("persons")][2], Value::Float(7.0));
    assert_eq!(columns[at("area")][0], Value::Text("50".into()));
    let e = read_parquet(&dir.path().join("missing.parquet")).unwrap_err().to_string();
    assert!(e.contains("missing.parquet"), "{e}");
}

/// Loading a dataset again replaces its records instead of adding them twice; a record that
/// was quarantined and is now accepted leaves the quarantine; another dataset is untouched.
#[test]
fn loading_a_dataset_again_merges_by_record() {
    use oncodata_model::{QuarantinedRecord, Records as Extract, Violation};
    let dir = tempfile::tempdir().unwrap();
    let w = Warehouse::open(dir.path()).unwrap();
    let count = |sql: &str| match &w.query(sql).unwrap().rows().unwrap()[0][0] {
        Value::Int(n) => *n,
        v => panic!("{v:?}"),
    };
    let first = Extract {
        tumours: vec![tumour("1", "C50.4", "8500", 71, "breast"), tumour("2", "C61.9", "8140", 84, "prostate")],
        quarantined: vec![QuarantinedRecord {
            provenance: prov(4),
            record_id: Some("3".into()),
            violations: vec![Violation { rule: "iarc.topography", severity: Severity::Error, message: "C50.7".into() }],
            raw: "3,C507".into(),
        }],
        ..Default::default()
    };
    let r = w.load_dataset("reg", &first, &[]).unwrap();
    assert_eq!((r.tumours_new, r.tumours_replaced, r.quarantine_total), (2, 0, 1));
    w.load_dataset("other", &first, &[]).unwrap();

    // The corrected record alone, from another file.
    let mut t3 = tumour("3", "C50.2", "8500", 60, "breast");
    t3.provenance.file = "fixed.csv".into();
    let fix = Extract { tumours: vec![t3, tumour("2", "C61.9", "8140", 84, "prostate")], ..Default::default() };
    let r = w.load_dataset("reg", &fix, &[]).unwrap();
    assert_eq!((r.tumours_new, r.tumours_replaced, r.quarantine_resolved, r.quarantine_total), (1, 1, 1, 0));
    assert_eq!(count("SELECT count(*) FROM tumours WHERE dataset = 'reg'"), 3);
    assert_eq!(count("SELECT count(DISTINCT tumour_id) FROM tumours WHERE dataset = 'reg'"), 3);
    assert_eq!(count("SELECT count(*) FROM quarantine WHERE dataset = 'reg'"), 0);
    assert_eq!(count("SELECT count(*) FROM tumours WHERE dataset = 'other'"), 2);
    assert_eq!(count("SELECT count(*) FROM quarantine WHERE dataset = 'other'"), 1);
    assert_eq!(w.datasets().unwrap(), vec!["other", "reg"]);
    assert!(w.load_dataset("../escape", &fix, &[]).is_err());
}

/// A dataset written in several batches holds what one batch holds; a load dropped before it
/// finishes (a read error) leaves the dataset as it was and no staged file behind, whether it
/// was merging with earlier rows or the dataset's first load.
#[test]
fn loading_in_batches_equals_loading_at_once_and_an_unfinished_load_changes_nothing() {
    use oncodata_model::{Records, Records as Extract};
    let dir = tempfile::tempdir().unwrap();
    let w = Warehouse::open(dir.path()).unwrap();
    let rows = |sql: &str| w.query(sql).unwrap().rows().unwrap();
    let tumours: Vec<Tumour> = (0..50).map(|i| tumour(&i.to_string(), "C50.4", "8500", 60, "breast")).collect();
    let whole = Extract { tumours: tumours.clone(), ..Default::default() };
    w.load_dataset("whole", &whole, &[]).unwrap();
    let mut load = w.load("batched").unwrap();
    for chunk in tumours.chunks(7) {
        load.write(&Records { tumours: chunk.to_vec(), ..Records::default() }).unwrap();
    }
    let r = load.finish(["encr_test.csv"]).unwrap();
    assert_eq!((r.tumours_new, r.tumours_replaced), (50, 0));
    let by_dataset =
        "SELECT tumour_id, topography, age_at_diagnosis FROM tumours WHERE dataset = '{}' ORDER BY tumour_id";
    let whole_rows = rows(&by_dataset.replace("{}", "whole"));
    assert_eq!(whole_rows.len(), 50);
    assert_eq!(rows(&by_dataset.replace("{}", "batched")), whole_rows);

    let mut load = w.load("batched").unwrap();
    load.write(&Records { tumours: vec![tumour("new", "C61.9", "8140", 80, "prostate")], ..Records::default() })
        .unwrap();
    drop(load);
    assert_eq!(rows(&by_dataset.replace("{}", "batched")), whole_rows);
    let staged: Vec<_> = walk(&dir.path().join("staging")).into_iter().filter(|p| p.is_file()).collect();
    assert!(staged.is_empty(), "{staged:?}");

    // A first load, written straight into its data files, dropped: no dataset, no file left.
    let mut load = w.load("fresh").unwrap();
    load.write(&Records { tumours: tumours.clone(), ..Records::default() }).unwrap();
    drop(load);
    assert_eq!(w.datasets().unwrap(), ["batched", "whole"]);
    let tmp: Vec<_> =
        walk(&dir.path().join("tables")).into_iter().filter(|p| p.to_string_lossy().ends_with(".tmp")).collect();
    assert!(tmp.is_empty(), "{tmp:?}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}

fn count(w: &Warehouse, sql: &str) -> i64 {
    match &w.query(sql).unwrap().rows().unwrap()[0][0] {
        Value::Int(n) => *n,
        v => panic!("{v:?}"),
    }
}

fn extract_of(ids: std::ops::Range<u32>) -> oncodata_model::Records {
    oncodata_model::Records {
        tumours: ids.map(|i| tumour(&i.to_string(), "C50.4", "8500", 60, "breast")).collect(),
        ..Default::default()
    }
}

/// Every load is a snapshot; an earlier snapshot reads as it was and refuses changes; a group
/// of changes is one snapshot that another reader sees only once committed.
#[test]
fn snapshots_version_every_change_and_groups_publish_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let w = Warehouse::open(dir.path()).unwrap();
    assert!(w.snapshot().is_none());
    w.load_dataset("a", &extract_of(0..3), &[]).unwrap();
    w.load_dataset("b", &extract_of(0..5), &[]).unwrap();
    let snaps = w.snapshots().unwrap();
    assert_eq!(snaps.iter().map(|s| s.id).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(snaps[1].parent, Some(1));
    assert_eq!(snaps[1].operation, "load dataset b");
    assert_eq!((snaps[0].rows("tumours"), snaps[1].rows("tumours")), (3, 8));
    assert_eq!(snaps[1].changed_tables(Some(&snaps[0])).len(), RECORD_TABLES.len());

    let old = Warehouse::open_as_of(dir.path(), 1).unwrap();
    assert_eq!(count(&old, "SELECT count(*) FROM tumours"), 3);
    let e = old.load_dataset("c", &extract_of(0..1), &[]).unwrap_err().to_string();
    assert!(e.contains("read-only"), "{e}");
    let e = Warehouse::open_as_of(dir.path(), 9).err().unwrap().to_string();
    assert!(e.contains("snapshot 9 does not exist") && e.contains("1 to 2"), "{e}");

    // A group: another reader sees nothing of it until the commit, then all of it.
    w.begin("two datasets").unwrap();
    w.load_dataset("c", &extract_of(0..4), &[]).unwrap();
    w.load_dataset("d", &extract_of(0..6), &[]).unwrap();
    assert_eq!(count(&w, "SELECT count(*) FROM tumours"), 18, "the writer sees its own changes");
    assert_eq!(count(&Warehouse::open(dir.path()).unwrap(), "SELECT count(*) FROM tumours"), 8);
    // A second writer is refused while the first holds the lock.
    let other = Warehouse::open(dir.path()).unwrap();
    let e = other.load_dataset("e", &extract_of(0..1), &[]).unwrap_err().to_string();
    assert!(e.contains("another oncodata command"), "{e}");
    assert_eq!(w.commit().unwrap(), Some(3));
    assert_eq!(count(&Warehouse::open(dir.path()).unwrap(), "SELECT count(*) FROM tumours"), 18);
    assert_eq!(w.snapshots().unwrap().last().unwrap().operation, "two datasets");
    // The handle opened before snapshot 3 may not write over it.
    let e = other.load_dataset("e", &extract_of(0..1), &[]).unwrap_err().to_string();
    assert!(e.contains("snapshot 3 was published after this command read snapshot 2"), "{e}");
    // A group that changes nothing publishes nothing.
    w.begin("nothing").unwrap();
    assert_eq!(w.commit().unwrap(), None);
    assert_eq!(w.snapshots().unwrap().len(), 3);
    // A dropped group publishes nothing.
    drop(other);
    w.begin("abandoned").unwrap();
    w.load_dataset("e", &extract_of(0..1), &[]).unwrap();
    drop(w);
    let w = Warehouse::open(dir.path()).unwrap();
    assert_eq!((w.snapshot().unwrap().id, count(&w, "SELECT count(*) FROM tumours")), (3, 18));
}

/// Restoring makes a new snapshot with an old one's tables; pruning removes the snapshots a
/// policy does not keep and every file no kept snapshot lists, leftovers included.
#[test]
fn restore_and_prune() {
    let dir = tempfile::tempdir().unwrap();
    let w = Warehouse::open(dir.path()).unwrap();
    for n in 1..=4 {
        w.load_dataset("a", &extract_of(0..n), &[]).unwrap();
    }
    assert_eq!(w.restore(2).unwrap(), 5);
    assert_eq!(count(&w, "SELECT count(*) FROM tumours"), 2);
    assert_eq!(w.snapshots().unwrap().last().unwrap().operation, "restore snapshot 2");
    let leftover = dir.path().join("tables/tumours/a-s000009-99.parquet.tmp");
    std::fs::write(&leftover, b"partial").unwrap();
    let files_before = walk(&dir.path().join("tables")).into_iter().filter(|p| p.is_file()).count();
    let r = w.prune(Retention { keep_last: 2, keep_days: None }).unwrap();
    assert_eq!((r.removed, r.kept), (vec![1, 2, 3], vec![4, 5]));
    // Snapshots 4 and 5 list the parts of loads 4 and 2: the parts of loads 1 and 3 go, with the
    // leftover.
    assert_eq!(r.files_deleted, 2 * RECORD_TABLES.len() as u64 + 1);
    let files_after = walk(&dir.path().join("tables")).into_iter().filter(|p| p.is_file()).count();
    assert_eq!(files_before - files_after, r.files_deleted as usize);
    assert!(!leftover.exists());
    for id in [4, 5] {
        let s = Warehouse::open_as_of(dir.path(), id).unwrap();
        assert_eq!(count(&s, "SELECT count(*) FROM tumours"), if id == 4 { 4 } else { 2 });
    }
    assert!(Warehouse::open_as_of(dir.path(), 2).is_err());
}

/// A warehouse written before snapshots (files named by table and dataset) opens with its
/// tables adopted as snapshot 1.
#[test]
fn a_warehouse_from_before_snapshots_is_adopted() {
    let old = tempfile::tempdir().unwrap();
    {
        let w = Warehouse::open(old.path()).unwrap();
        w.load_dataset("reg", &extract_of(0..3), &[]).unwrap();
        w.write_population(&[]).unwrap();
    }
    // Lay the files out as an older oncodata did, without manifests.
    let legacy = tempfile::tempdir().unwrap();
    let snap = snapshots::latest(old.path()).unwrap();
    for (table, files) in &snap.tables {
        for f in files {
            let to = match &f.dataset {
                Some(d) => legacy.path().join(format!("tables/{table}/{d}.parquet")),
                None => legacy.path().join(format!("tables/{table}.parquet")),
            };
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(old.path().join(&f.path), to).unwrap();
        }
    }
    let w = Warehouse::open(legacy.path()).unwrap();
    let s = w.snapshot().unwrap();
    assert_eq!((s.id, s.rows("tumours")), (1, 3));
    assert_eq!(s.tables["population"][0].path, "tables/population.parquet");
    assert_eq!(count(&w, "SELECT count(*) FROM tumours WHERE dataset = 'reg'"), 3);
    w.load_dataset("reg", &extract_of(0..5), &[]).unwrap();
    assert_eq!(count(&w, "SELECT count(*) FROM tumours"), 5);
}

/// A new warehouse's first load that is never committed (its command failed or was killed)
/// leaves data files behind; opening the warehouse again must not adopt them as tables from
/// before snapshots, which would publish the half-done load.
#[test]
fn an_unpublished_first_load_is_not_adopted() {
    let dir = tempfile::tempdir().unwrap();
    {
        let w = Warehouse::open(dir.path()).unwrap();
        w.begin("ingest that fails").unwrap();
        let mut load = w.load("reg").unwrap();
        let e = extract_of(0..3);
        let records =
            oncodata_model::Records { tumours: e.tumours.clone(), patients: e.patients.clone(), ..Default::default() };
        load.write(&records).unwrap();
        load.finish(["f.csv"]).unwrap();
        // The command fails here: no commit.
    }
    assert!(std::fs::read_dir(dir.path().join("tables/tumours")).unwrap().count() > 0, "files were written");
    let w = Warehouse::open(dir.path()).unwrap();
    assert!(w.snapshot().is_none(), "nothing was published");
    assert!(w.snapshots().unwrap().is_empty());
}

/// A long-lived handle (a server's) sees what another process published once it refreshes,
/// without reopening; a handle opened on an earlier snapshot does not move.
#[test]
fn a_long_lived_handle_refreshes_to_the_latest_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let writer = Warehouse::open(dir.path()).unwrap();
    writer.load_dataset("a", &extract_of(0..3), &[]).unwrap();
    let server = Warehouse::open(dir.path()).unwrap();
    let pinned = Warehouse::open_as_of(dir.path(), 1).unwrap();
    assert_eq!(count(&server, "SELECT count(*) FROM tumours"), 3);
    writer.load_dataset("b", &extract_of(0..5), &[]).unwrap();
    assert_eq!(count(&server, "SELECT count(*) FROM tumours"), 3, "until it refreshes");
    assert!(server.refresh().unwrap());
    assert_eq!(count(&server, "SELECT count(*) FROM tumours"), 8);
    assert!(!server.refresh().unwrap(), "nothing new");
    assert!(!pinned.refresh().unwrap());
    assert_eq!(count(&pinned, "SELECT count(*) FROM tumours"), 3);
}

/// A user's query streams in record batches, up to the row limit, on the caller's runtime; it
/// is checked as any user SQL is.
#[test]
fn a_user_query_streams_up_to_its_limit() {
    use futures::StreamExt;
    let dir = tempfile::tempdir().unwrap();
    let w = Warehouse::open(dir.path()).unwrap();
    w.load_dataset("a", &extract_of(0..40), &[]).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let rows = runtime.block_on(async {
        let mut stream = w.query_user_stream(&View::Steward, "SELECT tumour_id FROM tumours", 25).await.unwrap();
        let mut rows = 0;
        while let Some(batch) = stream.next().await {
            rows += batch.unwrap().num_rows();
        }
        rows
    });
    assert_eq!(rows, 25);
    let refused =
        runtime.block_on(async { w.query_user_stream(&View::Steward, "SELECT * FROM identities", 10).await.err() });
    assert!(refused.unwrap().to_string().contains("identities"));
    // A project's view: its tables and nothing else, never the identities, catalogue readable.
    let view = View::Named { name: "p42".into(), tables: vec!["tumours".into(), "identities".into()] };
    let ok = runtime.block_on(w.query_in_view_async(&view, "SELECT count(*) AS n FROM tumours")).unwrap();
    assert_eq!(ok.rows().unwrap()[0][0].as_f64(), Some(40.0));
    for sql in [
        "SELECT * FROM patients",
        "SELECT * FROM tumours t JOIN patients p ON p.patient_id = t.patient_id",
        "SELECT * FROM tumours WHERE patient_id IN (SELECT patient_id FROM patients)",
        "SELECT * FROM identities",
    ] {
        let e = runtime.block_on(w.query_in_view_async(&view, sql)).unwrap_err().to_string();
        assert!(e.contains("is not in view p42") || e.contains("identities"), "{sql}: {e}");
    }
    assert!(runtime.block_on(w.query_in_view_async(&view, "SHOW TABLES")).is_ok());
}

/// A table's text columns rewritten row by row: changed parts published as one snapshot, a second
/// run changes nothing, a refused row is an error naming the table, dataset and row, and leaves
/// the table as it was.
#[test]
fn text_columns_are_rewritten_row_by_row() {
    use oncodata_model::{QuarantinedRecord, Violation};
    let dir = tempfile::tempdir().unwrap();
    let w = Warehouse::open(dir.path()).unwrap();
    let quarantined = |n: u64, raw: &str| QuarantinedRecord {
        provenance: prov(n),
        record_id: Some(n.to_string()),
        violations: vec![Violation::error("iarc.topography", "C50.7")],
        raw: raw.into(),
    };
    let records = |rows: Vec<QuarantinedRecord>| oncodata_model::Records { quarantined: rows, ..Default::default() };
    w.load_dataset("a", &records(vec![quarantined(2, "x,c507"), quarantined(3, "y,C507")]), &[]).unwrap();
    w.load_dataset("b", &records(vec![quarantined(2, "Z")]), &[]).unwrap();
    let before = w.snapshots().unwrap().len();
    let mut upper = |_: &str, row: &mut [Option<String>]| {
        let old = row[0].clone();
        row[0] = old.as_deref().map(str::to_uppercase);
        Ok(row[0] != old)
    };
    let r = w.rewrite_text_columns("quarantine", &["raw"], &mut upper).unwrap();
    assert_eq!((r.changed, r.unchanged), (2, 1));
    assert_eq!(w.snapshots().unwrap().len(), before + 1, "one snapshot");
    let raw = w.query("SELECT raw FROM quarantine ORDER BY raw").unwrap().rows().unwrap();
    assert_eq!(raw.iter().map(|r| r[0].as_text()).collect::<Vec<_>>(), ["X,C507", "Y,C507", "Z"]);
    let r = w.rewrite_text_columns("quarantine", &["raw"], &mut upper).unwrap();
    assert_eq!((r.changed, r.unchanged), (0, 3));

    let mut refuse = |dataset: &str, _: &mut [Option<String>]| {
        if dataset == "b" { Err("not of this chain".to_string()) } else { Ok(false) }
    };
    let e = w.rewrite_text_columns("quarantine", &["raw"], &mut refuse).unwrap_err().to_string();
    assert!(e.contains("quarantine of dataset b: row 1: not of this chain"), "{e}");
    assert!(w.rewrite_text_columns("quarantine", &["no_such_column"], &mut refuse).is_err());
}

/// The shape of a user's query comes from its plan: groups, counts (aliased, distinct, behind a
/// HAVING and an ORDER BY), other aggregates, computed columns; records are not an aggregate.
#[test]
fn a_query_says_whether_its_rows_are_groups_and_which_column_counts() {
    let dir = tempfile::tempdir().unwrap();
    let w = Warehouse::open(dir.path()).unwrap();
    w.load_dataset("a", &extract_of(0..10), &[]).unwrap();
    let shape = w
        .user_query_shape(
            "SELECT site_group AS s, COUNT(*) AS n, COUNT(DISTINCT patient_id) persons, AVG(age_at_diagnosis) a, COUNT(*) * 2 AS twice \
             FROM tumours GROUP BY site_group HAVING COUNT(*) > 0 ORDER BY n DESC LIMIT 5",
        )
        .unwrap();
    assert!(shape.aggregate && !shape.grouping_sets);
    assert_eq!(shape.columns, ["s", "n", "persons", "a", "twice"]);
    assert_eq!(
        shape.roles,
        [
            ColumnRole::Group { index: 0 },
            ColumnRole::Count { distinct: false, aggregate: 0 },
            ColumnRole::Count { distinct: true, aggregate: 1 },
            ColumnRole::Aggregate { function: "avg".into(), aggregate: 2 },
            ColumnRole::Computed
        ]
    );
    // What the distinct count counts: each group's patients.
    let members = w
        .user_query_members(
            "SELECT site_group, COUNT(DISTINCT patient_id) FROM tumours WHERE age_at_diagnosis >= 0 GROUP BY site_group",
            0,
        )
        .unwrap();
    assert_eq!(members.len(), 10);
    assert!(members.iter().all(|(g, p)| g == &vec!["breast".to_string()] && !p.is_empty()));
    // What each patient contributes to a sum: their ages.
    let contributions = w
        .user_query_contributions(
            "SELECT site_group, COUNT(DISTINCT patient_id), SUM(age_at_diagnosis) FROM tumours GROUP BY site_group",
            0,
            1,
        )
        .unwrap();
    assert_eq!(contributions.len(), 10);
    assert!(contributions.iter().all(|(_, _, v)| *v == 60.0));
    let err = w.user_query_members("SELECT COUNT(*) FROM tumours", 0).unwrap_err().to_string();
    assert!(err.contains("COUNT(DISTINCT patient_id)"), "{err}");
    let records = w.user_query_shape("SELECT tumour_id, site_group FROM tumours WHERE age_at_diagnosis > 3").unwrap();
    assert!(!records.aggregate);
    assert_eq!(records.roles, [ColumnRole::Computed, ColumnRole::Computed]);
    let rollup = w.user_query_shape("SELECT site_group, COUNT(*) FROM tumours GROUP BY ROLLUP(site_group)").unwrap();
    assert!(rollup.aggregate && rollup.grouping_sets);
    assert!(w.user_query_shape("SELECT * FROM identities").is_err());
}
