//! The warehouse written from model records and read back through SQL.

use chrono::NaiveDate;
use oncodata_model::{PartialDate, Patient, PopulationCount, Provenance, Sex, Tumour, VitalStatus};

use super::*;

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
        laterality: None,
        basis_of_diagnosis: Some(7),
        incidence_date: NaiveDate::from_ymd_opt(2022, 3, 15).unwrap(),
        age_at_diagnosis: age,
        tnm_t: None,
        tnm_n: None,
        tnm_m: None,
        stage: Some("II".into()),
        icd10: None,
        iccc: None,
        site_group: Some(group.into()),
        source_ids: format!("PAT={id}"),
        provenance: prov(2),
    }
}

#[test]
fn tables_round_trip_through_sql() {
    let dir = tempfile::tempdir().unwrap();
    let w = Warehouse::open(dir.path()).unwrap();
    w.write_tumours(&[
        tumour("1", "C50.4", "8500", 71, "breast"),
        tumour("2", "C61.9", "8140", 84, "prostate"),
        tumour("3", "C61.9", "8140", 90, "prostate"),
    ])
    .unwrap();
    w.write_patients(&[Patient {
        patient_id: "1".into(),
        sex: Sex::Female,
        birth_date: PartialDate { year: 1950, month: Some(6), day: None },
        departement: Some("50".into()),
        commune: None,
        vital_status: VitalStatus::Alive,
        last_contact: NaiveDate::from_ymd_opt(2023, 12, 15),
        death_date: None,
        provenance: prov(2),
    }])
    .unwrap();
    w.write_population(&[PopulationCount {
        area: "50".into(),
        year: 2022,
        sex: Sex::Male,
        age_group: "85+".into(),
        persons: 5000.0,
    }])
    .unwrap();
    assert_eq!(w.tables().unwrap(), vec!["patients", "population", "tumours"]);

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
    let p = w.query("SELECT birth_date, last_contact, sex, source_file, source_record FROM patients").unwrap();
    assert_eq!(
        p.rows().unwrap()[0],
        vec![
            Value::Text("1950-06".into()),
            Value::Text("2023-12-15".into()),
            Value::Text("female".into()),
            Value::Text("encr_test.csv".into()),
            Value::Int(2)
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

#[test]
fn reads_a_users_csv_and_parquet_files() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("data.csv");
    std::fs::write(&csv, "time,status,group\n5,1,a\n7,0,NA\n").unwrap();
    let r = read_file(&csv).unwrap();
    assert_eq!(r.columns(), vec!["time", "status", "group"]);
    assert_eq!(r.rows().unwrap()[1], vec![Value::Int(7), Value::Int(0), Value::Text("NA".into())]);
    // The same through Parquet: write it with the warehouse, read it back as a file.
    let w = Warehouse::open(dir.path()).unwrap();
    w.write_population(&[PopulationCount {
        area: "50".into(),
        year: 2022,
        sex: Sex::Male,
        age_group: "85+".into(),
        persons: 5.0,
    }])
    .unwrap();
    let p = read_file(&dir.path().join("tables/population.parquet")).unwrap();
    assert_eq!(p.num_rows(), 1);
    let e = read_file(&dir.path().join("missing.csv")).unwrap_err().to_string();
    assert!(e.contains("missing.csv"), "{e}");
}
