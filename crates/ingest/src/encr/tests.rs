//! The reader against the declarative fixture `fixtures/encr_rules.csv`: each row is an ENCR
//! record and the rule ids it must raise (`accept` for a clean record).

use std::io::Write;

use super::*;
use crate::{Records, Severity};
use oncodata_model::VitalStatus;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

/// Reads a file into a fresh extract and checks its counts.
fn read(path: &Path) -> Result<Extract, IngestError> {
    let mut out = Extract::default();
    read_encr_csv(path, today(), &mut out)?;
    out.finish_file(SOURCE_KIND, &path.display().to_string())?;
    Ok(out)
}

fn write(content: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(content.as_bytes()).unwrap();
    f
}

#[test]
fn every_fixture_record_raises_exactly_its_rules() {
    let fixture = include_str!("../../fixtures/encr_rules.csv");
    let mut lines = fixture.lines();
    let header = lines.next().unwrap();
    let encr_header = header.splitn(3, ',').nth(2).unwrap();
    for line in lines {
        let mut parts = line.splitn(3, ',');
        let (case, expect, record) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
        let file = write(&format!("{encr_header}\n{record}\n"));
        let out = read(file.path()).unwrap();
        assert_eq!(out.counts().read, 1, "{case}");
        let mut got: Vec<&str> = out
            .quarantined
            .iter()
            .flat_map(|q| q.violations.iter().map(|v| v.rule))
            .chain(out.warnings.iter().map(|w| w.violation.rule))
            .collect();
        got.sort();
        got.dedup();
        let mut want: Vec<&str> = if expect == "accept" { vec![] } else { expect.split(' ').collect() };
        want.sort();
        assert_eq!(got, want, "{case}: {:?}", out.quarantined);
        let rejected = want.iter().any(|r| crate::rules::rule(r).unwrap().severity == Severity::Error);
        assert_eq!(out.counts().quarantined, rejected as u64, "{case}");
        assert_eq!(out.counts().accepted, !rejected as u64, "{case}");
        if let Some(q) = out.quarantined.first() {
            assert_eq!(q.provenance.record, 2, "{case}: the record is on line 2");
            assert_eq!(q.raw, record, "{case}");
        }
    }
}

#[test]
fn accepted_record_is_fully_coded() {
    let fixture = include_str!("../../fixtures/encr_rules.csv");
    let mut lines = fixture.lines();
    let header = lines.next().unwrap().splitn(3, ',').nth(2).unwrap().to_string();
    let record = lines.next().unwrap().splitn(3, ',').nth(2).unwrap().to_string();
    let file = write(&format!("{header}\n{record}\n"));
    let out = read(file.path()).unwrap();
    let t = &out.tumours[0];
    assert_eq!((t.topography.as_str(), t.morphology.as_str(), t.behaviour), ("C50.4", "8500", 3));
    assert_eq!(t.icd10.as_deref(), Some("C50.4"));
    assert_eq!(t.site_group.as_deref(), Some("breast"));
    assert_eq!(t.iccc.as_deref(), Some("XIf"));
    assert_eq!(t.incidence_date, NaiveDate::from_ymd_opt(2022, 3, 15).unwrap());
    assert_eq!(t.stage.as_deref(), Some("II"));
    let p = &out.patients[0];
    assert_eq!(p.birth_date.to_string(), "1950-06");
    assert_eq!(p.last_contact, Some(NaiveDate::from_ymd_opt(2023, 12, 15).unwrap()));
    assert_eq!(p.vital_status, VitalStatus::Alive);
}

#[test]
fn malformed_records_are_quarantined_not_dropped() {
    let header = "PAT,MoB,YoB,Age,Sex,Geo_Code,TUM,MoI,YoI,BoD,Topo,Morpho,Beh,Grade,Vit_stat,MoF,YoF,Surv_time,Stage";
    let mut bytes = format!("{header}\n1,6,1950,71,2,50,01,3,2022,7,C504,8500,3\n").into_bytes();
    bytes.extend_from_slice(b"2,6,1950,71,2,50,01,3,2022,7,C50\xff4,8500,3,2,1,12,2023,640,II\n");
    bytes.extend_from_slice(b"3,6,1950,71,2,50,01,3,2022,7,C504,8500,3,2,1,12,2023,640,II\n");
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(&bytes).unwrap();
    let out = read(f.path()).unwrap();
    assert_eq!((out.counts().read, out.counts().accepted, out.counts().quarantined), (3, 1, 2));
    assert_eq!(out.quarantined[0].violations[0].rule, "record.shape");
    assert_eq!(out.quarantined[0].provenance.record, 2);
    assert_eq!(out.quarantined[1].violations[0].rule, "record.encoding");
    assert_eq!(out.quarantined[1].provenance.record, 3);
}

#[test]
fn a_file_without_the_encr_columns_is_refused_with_its_name() {
    let f = write("a,b,c\n1,2,3\n");
    let e = read(f.path()).unwrap_err().to_string();
    assert!(e.contains(&f.path().display().to_string()), "{e}");
    assert!(e.contains("missing column(s) PAT, YoB, Age, Sex, MoI, YoI, Topo, Morpho, Beh"), "{e}");
    let missing = read(Path::new("/nonexistent/encr.csv")).unwrap_err().to_string();
    assert!(missing.contains("/nonexistent/encr.csv"), "{missing}");
}

#[test]
fn columns_in_any_order_and_case() {
    let f = write("topo,morpho,beh,pat,sex,yob,age,moi,yoi\nC619,8140,3,7,1,1950,71,3,2022\n");
    let out = read(f.path()).unwrap();
    assert_eq!(out.counts().accepted, 1, "{:?}", out.quarantined);
    assert_eq!(out.tumours[0].tumour_id, "7-01");
}

/// The synthetic registry's planted faults are exactly what validation quarantines, each for
/// the rule that catches its kind of fault; faults the edit checks cannot see (duplicates,
/// death-certificate-only cases, unlikely combinations, identity typos) are accepted.
#[test]
fn synthetic_extract_quarantines_exactly_the_planted_faults() {
    let dir = tempfile::tempdir().unwrap();
    let g = oncodata_synth::generate(&oncodata_synth::SynthConfig::demo(7), dir.path()).unwrap();
    let encr = g.encr_csv.clone().unwrap();
    let out = read(&encr).unwrap();
    assert_eq!(out.counts().read, g.registry_records);
    assert_eq!(out.counts().read, out.counts().accepted + out.counts().quarantined);
    let file = encr.strip_prefix(dir.path()).unwrap().to_string_lossy().to_string();
    let mut truth = csv::Reader::from_path(&g.faults_csv).unwrap();
    let quarantinable = |kind: &str| -> Option<&'static str> {
        Some(match kind {
            "invalid_topography" => "iarc.topography",
            "invalid_morphology" => "iarc.morphology",
            "sex_site_conflict" => "iarc.sex-topography",
            "birth_after_incidence" => "date.birth-incidence",
            "missing_value" => "record.required",
            _ => return None,
        })
    };
    let planted: Vec<(u64, &'static str)> = truth
        .deserialize::<std::collections::HashMap<String, String>>()
        .map(|r| r.unwrap())
        .filter(|r| r["file"] == file)
        .filter_map(|r| Some((r["record"].parse().ok()?, quarantinable(&r["fault"])?)))
        .collect();
    assert!(!planted.is_empty());
    let got: Vec<(u64, &str)> = out.quarantined.iter().map(|q| (q.provenance.record, q.violations[0].rule)).collect();
    assert_eq!(got, planted);
}

/// `Var` names the variables of `VARIABLES` by position.
#[test]
fn variables_are_listed_in_the_order_of_var() {
    use super::Var::*;
    let all = [
        Pat, YoB, Age, Sex, MoI, YoI, Topo, Morpho, Beh, MoB, GeoCode, Tum, BoD, Grade, VitStat, MoF, YoF, SurvTime,
        Stage, CT, CN, CM, Lat,
    ];
    assert_eq!(all.len(), super::VARIABLES.len());
    for (i, v) in all.into_iter().enumerate() {
        assert_eq!(v as usize, i);
        assert_eq!(format!("{v:?}").to_lowercase(), super::VARIABLES[i].replace('_', "").to_lowercase());
    }
}

/// Streamed in small batches, a file yields the same records as held whole; a sink that
/// fails makes the run fail instead of losing the records.
#[test]
fn streamed_records_equal_held_records_and_a_failing_sink_fails_the_run() {
    use std::sync::{Arc, Mutex};
    let mut content = String::from("PAT,TUM,Sex,YoB,Age,MoI,YoI,Topo,Morpho,Beh,BoD\n");
    for i in 0..5000 {
        let topo = if i % 9 == 0 { "C507" } else { "C504" };
        content.push_str(&format!("{},{},2,1950,70,3,2020,{topo},8500,3,7\n", i / 2, i % 2 + 1));
    }
    let file = write(&content);
    let held = read(file.path()).unwrap();
    let got = Arc::new(Mutex::new(Records::default()));
    let mut streamed = Extract::default();
    let sink = Arc::clone(&got);
    streamed.stream_to(100, move |r| {
        let mut all = sink.lock().unwrap();
        all.patients.extend(r.patients);
        all.tumours.extend(r.tumours);
        all.quarantined.extend(r.quarantined);
        Ok(())
    });
    read_encr_csv(file.path(), today(), &mut streamed).unwrap();
    streamed.end_stream().unwrap();
    let all = got.lock().unwrap();
    assert!(streamed.tumours.is_empty(), "handed over");
    assert_eq!(all.tumours, held.tumours);
    assert_eq!(all.patients, held.patients);
    assert_eq!(all.quarantined, held.quarantined);
    assert_eq!(streamed.totals(), held.totals());
    assert_eq!((held.totals().patients, held.totals().tumours, held.totals().quarantined), (2500, 4444, 556));

    let mut failing = Extract::default();
    failing.stream_to(100, |_| Err("disk full".into()));
    read_encr_csv(file.path(), today(), &mut failing).unwrap();
    assert!(failing.end_stream().unwrap_err().to_string().contains("disk full"));
}

/// The same patient and tumour number twice: the first record is kept, the second goes to
/// quarantine with its own text and the line of the first.
#[test]
fn a_tumour_read_twice_is_quarantined_the_second_time() {
    let file = write(
        "PAT,TUM,Sex,YoB,Age,MoI,YoI,Topo,Morpho,Beh\n\
         7,1,2,1950,70,3,2020,C504,8500,3\n\
         8,1,2,1950,70,3,2020,C504,8500,3\n\
         7,1,2,1950,70,4,2020,C502,8500,3\n",
    );
    let out = read(file.path()).unwrap();
    assert_eq!((out.counts().accepted, out.counts().quarantined), (2, 1));
    let q = &out.quarantined[0];
    assert_eq!((q.provenance.record, q.violations[0].rule), (4, "record.duplicate"));
    assert!(q.violations[0].message.contains("record 2"), "{}", q.violations[0].message);
    assert_eq!(q.raw, "7,1,2,1950,70,4,2020,C502,8500,3");
    assert_eq!(out.tumours[0].topography, "C50.4");
}

/// Duplicates within a batch of rows and across batches (rows are checked 2048 at a time on
/// worker threads, duplicates then found in file order): each later copy is quarantined, the
/// quarantine keeps the order of the file, and a patient with two tumours is kept once.
#[test]
fn duplicates_within_and_across_batches_are_quarantined_in_file_order() {
    let mut content = String::from("PAT,TUM,Sex,YoB,Age,MoI,YoI,Topo,Morpho,Beh\n");
    let mut expected = Vec::new();
    for i in 0..6000u64 {
        let line = i + 2;
        let (pat, tum) = match i {
            _ if i % 1000 == 999 => (i - 1, 1), // the row before again: same batch
            3000 => (10, 1),                    // an early row again: another batch
            4500 => (4499, 2),                  // a second tumour of the row before's patient
            _ => (i, 1),
        };
        if i % 1000 == 999 || i == 3000 {
            expected.push((line, "record.duplicate"));
        }
        let topo = if i % 1500 == 7 { "C999" } else { "C504" };
        if topo == "C999" {
            expected.push((line, "iarc.topography"));
        }
        content.push_str(&format!("{pat},{tum},2,1950,70,3,2020,{topo},8500,3\n"));
    }
    let file = write(&content);
    let out = read(file.path()).unwrap();
    let got: Vec<(u64, &str)> = out.quarantined.iter().map(|q| (q.provenance.record, q.violations[0].rule)).collect();
    assert_eq!(got, expected);
    let c = out.counts();
    assert_eq!((c.read, c.accepted + c.quarantined), (6000, 6000));
    assert_eq!(out.tumours.len() as u64, c.accepted);
    let pats: std::collections::HashSet<&str> = out.tumours.iter().map(|t| t.patient_id.as_str()).collect();
    assert_eq!(out.patients.len(), pats.len());
    let dup = out.quarantined.iter().find(|q| q.provenance.record == 3002).unwrap();
    assert!(dup.violations[0].message.contains("record 12"), "{}", dup.violations[0].message);
    assert_eq!(dup.raw, "10,1,2,1950,70,3,2020,C504,8500,3");
}

/// A registry export with columns the ENCR layout does not have (a name, a free-text note): a
/// quarantined row keeps only the columns the reader reads, the others blank, so that no name
/// reaches the quarantine while the row still fits the file's header; the same for a row that
/// cannot be split into its fields.
#[test]
fn columns_the_reader_does_not_read_are_blank_in_the_quarantine() {
    let file = write(
        "PAT,NOM,TUM,Sex,YoB,Age,MoI,YoI,Topo,Morpho,Beh,NOTE\n\
         7,Valicourt,1,2,1950,70,3,2020,X999,8500,3,\"seen by Dr Martin\"\n\
         8,Durand,1,2,1950\n",
    );
    let out = read(file.path()).unwrap();
    assert_eq!(out.counts().quarantined, 2);
    assert_eq!(out.quarantined[0].raw, "7,,1,2,1950,70,3,2020,X999,8500,3,");
    assert_eq!(out.quarantined[1].raw, "8,,1,2,1950");
    for q in &out.quarantined {
        assert!(!q.raw.contains("Valicourt") && !q.raw.contains("Martin") && !q.raw.contains("Durand"), "{}", q.raw);
    }
}
