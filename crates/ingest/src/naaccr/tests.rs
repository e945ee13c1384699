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
    for garbage in ["", "\u{0}\u{1}binary", "<a><b></a>", "<NaaccrData><Patient><Tumor></Patient></NaaccrData>"] {
        let e = read_str(garbage).unwrap_err().to_string();
        assert!(e.starts_with("t.xml"), "{garbage:?}: {e}");
    }
}
