//! Dates as the sources write them.

use super::*;

#[test]
fn iso_and_naaccr_dates() {
    let d = |y, m, dd| Some(PartialDate { year: y, month: m, day: dd });
    assert_eq!(parse_date("2021-03-04"), d(2021, Some(3), Some(4)));
    assert_eq!(parse_date("2021-03-04T10:00:00Z"), d(2021, Some(3), Some(4)));
    assert_eq!(parse_date("2021-03"), d(2021, Some(3), None));
    assert_eq!(parse_date("2021"), d(2021, None, None));
    assert_eq!(parse_date("20210304"), d(2021, Some(3), Some(4)));
    assert_eq!(parse_date("20210399"), d(2021, Some(3), None));
    assert_eq!(parse_date("2021    "), d(2021, None, None));
    assert_eq!(parse_date("20219999"), d(2021, None, None));
    for bad in ["2021-02-30", "2021-13", "21-03-04", "2021031", "x", "", "2021-3-4", "２０２１"] {
        assert_eq!(parse_date(bad), None, "{bad}");
    }
}

/// The memoised conversions equal the conversion tables' own answers, whatever the order in
/// which combinations come and come back (a combination without an ICD-10 code included).
#[test]
fn memoised_conversions_equal_the_tables() {
    let combos = [
        ("C50.4", 8500, Behaviour::Malignant),
        ("C71.9", 9470, Behaviour::Malignant),
        ("C50.4", 8500, Behaviour::InSitu),
        ("C44.3", 8090, Behaviour::Malignant),
        ("C80.9", 8000, Behaviour::Malignant),
        ("C61.9", 8140, Behaviour::Malignant),
        ("C50.4", 9470, Behaviour::Malignant),
        ("C22.0", 8970, Behaviour::Malignant),
        ("C50.4", 8500, Behaviour::Metastatic),
    ];
    for round in 0..3 {
        for &(t, m, b) in combos.iter().cycle().skip(round).take(combos.len()) {
            let (t, m) = (Topography::parse(t).unwrap(), Morphology::parse(&m.to_string()).unwrap());
            let d = derived_codes(t, m, b, Sex::Female);
            assert_eq!(
                d.icd10,
                icd10::from_icdo3(t, m, b, Sex::Female).map(|c| Text::new(&c)).map_err(|e| e.to_string())
            );
            assert_eq!(d.iccc.as_deref(), iccc::classify(t, m, b).map(|s| s.subgroup));
            assert_eq!(d.site_group.as_deref(), site_group::classify(t, m, b).map(|g| g.id));
        }
    }
    let metastasis = (Topography::parse("C50.4").unwrap(), Morphology::parse("8500").unwrap(), Behaviour::Metastatic);
    assert!(derived_codes(metastasis.0, metastasis.1, metastasis.2, Sex::Male).icd10.is_err());
}
