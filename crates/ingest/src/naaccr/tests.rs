//! The NAACCR reader against the ENCR reader on the same synthetic registry, and on broken XML.

use super::*;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

/// The synthetic NAACCR XML holds the ENCR extract's records line for line: same counts, same
/// records quarantined for the same first rule, same tumours accepted.
#[test]
fn naaccr_reads_what_the_encr_extract_holds() {
    let dir = tempfile::tempdir().unwrap();
    let g = oncodata_synth::generate(&oncodata_synth::SynthConfig::demo(11), dir.path()).unwrap();
    let mut encr = Extract::default();
    crate::encr::read_encr_csv(g.encr_csv.as_ref().unwrap(), today(), &mut encr).unwrap();
    let mut xml = Extract::default();
    read_naaccr_xml(g.naaccr_xml.as_ref().unwrap(), today(), &mut xml).unwrap();
    let c = xml.finish_file(SOURCE_KIND, "x").unwrap();
    assert_eq!(c.read, g.registry_records);
    let e = encr.finish_file("encr-csv", "e").unwrap();
    assert_eq!((c.read, c.accepted, c.quarantined), (e.read, e.accepted, e.quarantined));
    let rules = |x: &Extract| -> Vec<(Option<String>, &'static str)> {
        x.quarantined.iter().map(|q| (q.record_id.clone(), q.violations[0].rule)).collect()
    };
    assert_eq!(rules(&xml), rules(&encr));
    // NAACCR positions are tumour ordinals: ENCR line = position + 1.
    for (a, b) in xml.quarantined.iter().zip(&encr.quarantined) {
        assert_eq!(a.provenance.record + 1, b.provenance.record);
    }
    for (a, b) in xml.tumours.iter().zip(&encr.tumours) {
        assert_eq!(
            (&a.tumour_id, &a.topography, &a.morphology, a.age_at_diagnosis),
            (&b.tumour_id, &b.topography, &b.morphology, b.age_at_diagnosis)
        );
        assert_eq!(a.incidence_date.format("%Y-%m").to_string(), b.incidence_date.format("%Y-%m").to_string());
    }
}

fn read_str(text: &str) -> Result<Counts, IngestError> {
    let mut out = Extract::default();
    read_naaccr(text.as_bytes(), "t.xml", today(), &mut out)?;
    out.finish_file(SOURCE_KIND, "t.xml")
}

use crate::quarantine::Counts;

const ONE: &str = r#"<?xml version="1.0"?><NaaccrData xmlns="http://naaccr.org/naaccrxml"><Item naaccrId="registryId">R</Item>
<Patient><Item naaccrId="patientIdNumber">7</Item><Item naaccrId="sex">2</Item><Item naaccrId="dateOfBirth">19500615</Item>
<Tumor><Item naaccrId="dateOfDiagnosis">2022031</Item><Item naaccrId="primarySite">C504</Item><Item naaccrId="histologicTypeIcdO3">8500</Item><Item naaccrId="behaviorCodeIcdO3">3</Item></Tumor>
<Tumor><Item naaccrId="tumorRecordNumber">02</Item><Item naaccrId="dateOfDiagnosis">20220399</Item><Item naaccrId="primarySite">C5&#48;4</Item><Item naaccrId="histologicTypeIcdO3">8500</Item><Item naaccrId="behaviorCodeIcdO3">3</Item></Tumor>
</Patient></NaaccrData>"#;

#[test]
fn records_are_tumours_and_bad_dates_are_quarantined() {
    // The first tumour's date has 7 digits: quarantined; the second (unknown day, a character
    // reference in the site) is accepted.
    let c = read_str(ONE).unwrap();
    assert_eq!((c.read, c.accepted, c.quarantined), (2, 1, 1));
}

#[test]
fn broken_xml_is_an_error_naming_the_file() {
    let truncated = &ONE[..ONE.len() / 2];
    let e = read_str(truncated).unwrap_err().to_string();
    assert!(e.starts_with("t.xml"), "{e}");
    for garbage in ["", "\u{0}\u{1}binary", "<a><b></a>", "<NaaccrData><Patient><Tumor><Item naaccrId=\"x\">1</Item>"] {
        let e = read_str(garbage).unwrap_err().to_string();
        assert!(e.starts_with("t.xml"), "{garbage:?}: {e}");
    }
}

fn extract_of(text: &[u8]) -> Extract {
    let mut out = Extract::default();
    read_naaccr(text, "t.xml", today(), &mut out).unwrap();
    out.finish_file(SOURCE_KIND, "t.xml").unwrap();
    out
}

/// A patient of `ONE`'s shape with its own id and a tumour body.
fn patient(id: &str, tumour_extra: &str) -> String {
    format!(
        r#"<Patient><Item naaccrId="patientIdNumber">{id}</Item><Item naaccrId="sex">2</Item><Item naaccrId="dateOfBirth">19500615</Item><Item naaccrId="nameLast">Secret</Item>
<Tumor><Item naaccrId="dateOfDiagnosis">20220310</Item><Item naaccrId="primarySite">C504</Item><Item naaccrId="histologicTypeIcdO3">8500</Item><Item naaccrId="behaviorCodeIcdO3">3</Item>{tumour_extra}</Tumor></Patient>
"#
    )
}

fn file_of(root_items: &str, patients: &[String]) -> String {
    format!(
        r#"<?xml version="1.0"?><NaaccrData xmlns="http://naaccr.org/naaccrxml">{root_items}
{}</NaaccrData>"#,
        patients.concat()
    )
}

/// A broken tag quarantines the patient it is in, one record per tumour, and the rest of the
/// file is read; the quarantined text keeps no name.
#[test]
fn a_broken_patient_is_quarantined_and_the_rest_read() {
    let broken = patient("2", "</Tumr>").replace("</Tumr></Tumor>", "</Tumr>");
    let no_id = patient("3", "<Item>x</Item>");
    let unclosed = patient("4", "").replace("</Tumor></Patient>", "</Tumor>");
    let text = file_of("", &[patient("1", ""), broken, no_id, unclosed, patient("5", "")]);
    let out = extract_of(text.as_bytes());
    let c = out.files[0].counts;
    assert_eq!((c.read, c.accepted, c.quarantined), (5, 2, 3), "{:?}", out.quarantined);
    let ids: Vec<&str> = out.tumours.iter().map(|t| t.tumour_id.as_str()).collect();
    assert_eq!(ids, ["1-01", "5-01"]);
    for q in &out.quarantined {
        assert_eq!(q.violations[0].rule, "naaccr.structure", "{q:?}");
        assert!(q.violations[0].message.contains("patient at byte"), "{q:?}");
        assert!(!q.raw.contains("Secret") && !q.raw.contains("nameLast"), "{}", q.raw);
        assert!(q.raw.contains("primarySite=C504"), "{}", q.raw);
    }
}

/// Text around character entities keeps its spaces; a root item is kept in the source ids.
#[test]
fn spaces_around_entities_are_kept() {
    let text = file_of(r#"<Item naaccrId="registryId">A &amp; B</Item>"#, &[patient("1", "")]);
    let out = extract_of(text.as_bytes());
    assert!(out.tumours[0].source_ids.starts_with("registryId=A & B;"), "{}", out.tumours[0].source_ids);
}

/// A duplicated item and an item no dictionary defines are warnings naming them, never their
/// value; the first value of a duplicated item is kept.
#[test]
fn duplicate_and_unknown_items_are_warnings_that_name_them() {
    let extra = r#"<Item naaccrId="laterality">1</Item><Item naaccrId="laterality">2</Item><Item naaccrId="myRegistryField">x</Item>"#;
    let out = extract_of(file_of("", &[patient("1", extra)]).as_bytes());
    assert_eq!(out.tumours.len(), 1);
    assert_eq!(out.tumours[0].laterality, Some(1));
    let rules: Vec<(&str, &str)> =
        out.warnings.iter().map(|w| (w.violation.rule, w.violation.message.as_str())).collect();
    assert!(
        rules.contains(&("naaccr.duplicate-item", "item laterality is given 2 times in one Tumor; the first is kept")),
        "{rules:?}"
    );
    assert!(
        rules.iter().any(|(r, m)| *r == "naaccr.unknown-item" && m.starts_with("item myRegistryField ")),
        "{rules:?}"
    );
    assert!(!rules.iter().any(|(_, m)| m.contains("nameLast")), "nameLast is a dictionary item: {rules:?}");
}

/// Grades, stages and TNM of a 2018+ abstract, with which scheme each came from.
#[test]
fn stages_and_grades_keep_their_scheme() {
    let extra = r#"<Item naaccrId="grade">9</Item><Item naaccrId="gradeClinical">2</Item><Item naaccrId="gradePathological">9</Item>
<Item naaccrId="summaryStage2018">9</Item><Item naaccrId="derivedSummaryStage2018">3</Item>
<Item naaccrId="tnmClinT">c1A</Item><Item naaccrId="tnmClinN">c0</Item><Item naaccrId="tnmClinM">c0</Item><Item naaccrId="tnmClinStageGroup">1A</Item>
<Item naaccrId="tnmPathT">pX</Item><Item naaccrId="tnmPathStageGroup">99</Item><Item naaccrId="tnmEditionNumber">08</Item>
<Item naaccrId="sequenceNumberCentral">02</Item><Item naaccrId="laterality">2</Item>"#;
    let text = file_of("", &[patient("1", extra).replace("20220310", "202203")]);
    let out = extract_of(text.as_bytes());
    let t = &out.tumours[0];
    assert_eq!((t.grade, t.grade_code.as_deref(), t.grade_scheme.as_deref()), (Some(9), Some("2"), Some("clinical")));
    assert_eq!((t.summary_stage.as_deref(), t.summary_stage_scheme.as_deref()), (Some("3"), Some("SS2018-derived")));
    assert_eq!(
        (t.stage.as_deref(), t.tnm_t.as_deref(), t.tnm_n.as_deref(), t.tnm_m.as_deref()),
        (Some("IA"), Some("T1a"), Some("N0"), Some("M0"))
    );
    assert_eq!((t.tnm_basis.as_deref(), t.tnm_edition.as_deref()), (Some("clinical"), Some("08")));
    assert_eq!((t.sequence_number.as_deref(), t.laterality), (Some("02"), Some(2)));
    assert_eq!((t.incidence_date_precision.as_str(), t.incidence_date.to_string().as_str()), ("month", "2022-03-15"));
}

#[test]
fn ajcc_codes_are_written_as_the_ajcc_writes_them() {
    for (code, want) in [
        ("2B", Some("IIB")),
        ("4", Some("IV")),
        ("0IS", Some("0is")),
        ("1A1", Some("IA1")),
        ("88", None),
        ("99", None),
        ("OC", Some("OC")),
    ] {
        assert_eq!(stage_group(code).as_deref(), want, "{code}");
    }
    for (code, cat, want) in [
        ("p4", 'T', Some("T4")),
        ("c1A", 'T', Some("T1a")),
        ("pIS", 'T', Some("Tis")),
        ("cX", 'T', Some("TX")),
        ("yp2", 'T', Some("T2")),
        ("pN1mi", 'N', Some("N1mi")),
        ("c1B", 'M', Some("M1b")),
        ("88", 'T', None),
        ("p", 'T', None),
    ] {
        assert_eq!(tnm_category(code, cat).as_deref(), want, "{code}");
    }
}

/// The reader takes gzip itself, as the NAACCR samples are published.
#[test]
fn gzipped_xml_is_read() {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(file_of("", &[patient("1", ""), patient("2", "")]).as_bytes()).unwrap();
    let out = extract_of(&gz.finish().unwrap());
    assert_eq!(out.tumours.len(), 2);
}
