//! Which FHIR `Condition`s are primary tumours, and their ICD-O-3 codes when the condition's
//! code gives them: an mCODE PrimaryCancerCondition, or a Condition coded as a malignant, in
//! situ or uncertain-behaviour neoplasm in ICD-O-3, ICD-10 (C00–C76, C80–C97, D00–D09, D37–D48)
//! or SNOMED CT (the concepts of `data/fhir/snomed_cancer.csv`, whose README gives the rule).
//! Secondary cancers (mCODE SecondaryCancerCondition, ICD-10 C77–C79, SNOMED metastases),
//! suspected or refuted conditions and every other condition are not primary tumours; a
//! SNOMED CT concept the table does not list but whose name is a cancer's is an error naming it.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde_json::Value;

use crate::rules::Violation;

/// A tumour's codes as its condition's code gives them.
#[derive(Debug, Clone, PartialEq)]
pub struct Tumour {
    /// ICD-O-3 topography (`C34.9`).
    pub topography: String,
    /// ICD-O-3 morphology (`8046`).
    pub morphology: String,
    /// ICD-O-3 behaviour (`3`).
    pub behaviour: String,
    /// Stage group the code carries (`I` for "…, TNM stage 1").
    pub stage: Option<String>,
    /// The condition's onset, for a staged concept that stands for its primary.
    pub onset: Option<String>,
}

/// What a Condition is.
#[derive(Debug, Clone, PartialEq)]
pub enum Class {
    /// A primary tumour, with its codes when the condition's code gives them (else they come
    /// from `bodySite` and the mCODE histology extension).
    Primary(Option<Tumour>),
    /// The stage of a primary tumour, coded as a staged disorder ("…, TNM stage 1").
    Staged(Tumour),
    /// A cancer whose SNOMED CT concept is not mapped: the record cannot be read.
    Unmapped(Violation),
    /// A secondary cancer (a metastasis), with its site's ICD-O-3 topography when its code
    /// gives it: information on its primary, not a tumour of its own.
    Secondary(Option<String>),
    /// Not a cancer: a comorbidity, a suspected or refuted cancer.
    NotPrimary,
}

/// A row of `snomed_cancer.csv`.
struct Concept {
    kind: String,
    topography: String,
    morphology: String,
    behaviour: String,
    stage: Option<String>,
}

fn snomed() -> &'static HashMap<String, Concept> {
    static TABLE: LazyLock<HashMap<String, Concept>> = LazyLock::new(|| {
        let text = include_str!("../data/fhir/snomed_cancer.csv");
        csv::Reader::from_reader(text.as_bytes())
            .records()
            .map(|r| {
                let r = r.expect("snomed_cancer.csv is valid CSV");
                let stage = Some(r[5].to_string()).filter(|s| !s.is_empty());
                let c = Concept {
                    kind: r[1].into(),
                    topography: r[2].into(),
                    morphology: r[3].into(),
                    behaviour: r[4].into(),
                    stage,
                };
                (r[0].to_string(), c)
            })
            .collect()
    });
    &TABLE
}

/// What a concept of `data/fhir/snomed_structures.csv` codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Structure {
    /// A body site: an ICD-O-3 topography (`C34.9`).
    BodySite,
    /// A morphologic abnormality: an ICD-O-3 morphology and behaviour (`8140/3`).
    Morphology,
    /// A laterality qualifier: the NAACCR/ENCR laterality code (`2` left).
    Laterality,
}

impl Structure {
    fn name(self) -> &'static str {
        match self {
            Self::BodySite => "body-site",
            Self::Morphology => "morphology",
            Self::Laterality => "laterality",
        }
    }
}

fn structures() -> &'static HashMap<(String, String), String> {
    static TABLE: LazyLock<HashMap<(String, String), String>> = LazyLock::new(|| {
        let text = include_str!("../data/fhir/snomed_structures.csv");
        csv::Reader::from_reader(text.as_bytes())
            .records()
            .map(|r| {
                let r = r.expect("snomed_structures.csv is valid CSV");
                ((r[1].to_string(), r[0].to_string()), r[2].to_string())
            })
            .collect()
    });
    &TABLE
}

/// The code a CodeableConcept gives for `kind`: a SNOMED CT coding through
/// `data/fhir/snomed_structures.csv`, any other coding as it is written (ICD-O-3). `Ok(None)`
/// when there is no coding; an error naming the concept when the only codes are SNOMED CT
/// concepts the table does not list (a laterality not listed is `Ok(None)`: left unknown).
pub fn structure_code(concept: &Value, kind: Structure) -> Result<Option<String>, Violation> {
    let mut unmapped = None;
    let codings = concept.get("coding").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    for coding in codings {
        let Some(code) = text(coding, &["code"]) else { continue };
        if !text(coding, &["system"]).unwrap_or("").contains("snomed") {
            return Ok(Some(code.to_string()));
        }
        match structures().get(&(kind.name().to_string(), code.to_string())) {
            Some(mapped) => return Ok(Some(mapped.clone())),
            None if kind == Structure::Laterality => {}
            None => {
                let display = text(coding, &["display"]).unwrap_or("");
                unmapped.get_or_insert(Violation::error(
                    "fhir.unmapped-concept",
                    format!(
                        "SNOMED CT {} concept {code} ({display}) is not mapped to ICD-O-3 by data/fhir/snomed_structures.csv",
                        kind.name()
                    ),
                ));
            }
        }
    }
    unmapped.map_or(Ok(None), Err)
}

/// Words that name a cancer in a concept's display.
const CANCER_WORDS: [&str; 9] =
    ["carcinoma", "malignant", "neoplasm", "cancer", "leukemia", "leukaemia", "lymphoma", "melanoma", "sarcoma"];

fn text<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for k in path {
        cur = cur.get(*k)?;
    }
    cur.as_str().map(str::trim).filter(|s| !s.is_empty())
}

/// What an ICD-10 code is: a primary malignant neoplasm with the ICD-O-3 codes that stand for
/// it ([`oncodata_coding::icd10::to_icdo3`]), a secondary neoplasm (C77–C79) with its site, an in
/// situ or uncertain-behaviour neoplasm (D00–D09, D37–D48: a tumour whose site comes from
/// `bodySite`); `None` for any other code.
pub fn icd10_class(code: &str) -> Option<Class> {
    let code = code.trim().to_ascii_uppercase().replace('.', "");
    let (letter, digits) = code.split_at_checked(1)?;
    let number: u32 = digits.get(..2)?.parse().ok()?;
    let converted = || {
        oncodata_coding::icd10::to_icdo3(&code).map(|(t, m, b)| {
            Class::Primary(Some(Tumour {
                topography: t.to_string(),
                morphology: m.to_string(),
                behaviour: b.code().to_string(),
                stage: None,
                onset: None,
            }))
        })
    };
    Some(match (letter, number) {
        ("C", 77..=79) => {
            Class::Secondary(secondary_site(&format!("C{number:02}.{}", digits.get(2..3).unwrap_or("9"))))
        }
        ("C", _) => converted()?,
        // The chronic myeloid neoplasms ICD-O-3 counts as malignant (D45, D46, D47.x), else as
        // the other uncertain-behaviour codes.
        ("D", 45..=47) => converted().unwrap_or(Class::Primary(None)),
        // In situ and uncertain behaviour: a tumour, its site from bodySite.
        ("D", 0..=9) | ("D", 37..=48) => Class::Primary(None),
        _ => return None,
    })
}

/// A data table of the crate (CSV with a header) as a map from its first column to its column
/// `value`.
fn key_value(file: &str, text: &str, value: usize) -> HashMap<String, String> {
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| {
            let r = r.unwrap_or_else(|e| panic!("data/fhir/{file} is valid CSV: {e}"));
            (r[0].to_string(), r[value].to_string())
        })
        .collect()
}

/// The ICD-O-3 topography of the site an ICD-10 secondary neoplasm code names (`C78.7` →
/// `C22.0`), from `data/fhir/icd10_secondary_sites.csv`.
fn secondary_site(icd10: &str) -> Option<String> {
    static TABLE: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
        key_value("icd10_secondary_sites.csv", include_str!("../data/fhir/icd10_secondary_sites.csv"), 1)
    });
    TABLE.get(icd10).or_else(|| TABLE.get(&format!("{}.9", &icd10[..3]))).cloned()
}

/// The ATC code of an RxNorm drug of Synthea's cancer modules and the mCODE examples
/// (`data/fhir/rxnorm_atc.csv`, its rule in the folder's README), `None` for a drug not listed.
pub fn atc_of_rxnorm(code: &str) -> Option<&'static str> {
    static TABLE: LazyLock<HashMap<String, String>> =
        LazyLock::new(|| key_value("rxnorm_atc.csv", include_str!("../data/fhir/rxnorm_atc.csv"), 3));
    TABLE.get(code.trim()).map(String::as_str)
}

/// What a SNOMED CT concept is, from `data/fhir/snomed_cancer.csv`; a concept not listed whose
/// `display` names a cancer is [`Class::Unmapped`]; `None` for any other concept. `onset` is the
/// condition's, kept with a staged concept.
pub fn snomed_class(code: &str, display: &str, onset: Option<&str>) -> Option<Class> {
    match snomed().get(code) {
        Some(c) => {
            let tumour = || Tumour {
                topography: c.topography.clone(),
                morphology: c.morphology.clone(),
                behaviour: c.behaviour.clone(),
                stage: c.stage.clone(),
                onset: onset.map(str::to_string),
            };
            Some(match c.kind.as_str() {
                "primary" => Class::Primary(Some(tumour())),
                "staged" => Class::Staged(tumour()),
                "secondary" => Class::Secondary(Some(c.topography.clone()).filter(|t| !t.is_empty())),
                _ => Class::NotPrimary,
            })
        }
        None => {
            let lower = display.to_lowercase();
            (CANCER_WORDS.iter().any(|w| lower.contains(w)) && !lower.contains("benign")).then(|| {
                Class::Unmapped(Violation::error(
                    "fhir.unmapped-concept",
                    format!(
                        "SNOMED CT concept {code} ({display}) names a cancer that data/fhir/snomed_cancer.csv does not map to ICD-O-3"
                    ),
                ))
            })
        }
    }
}

/// What a Condition resource is (module documentation).
pub fn classify(condition: &Value) -> Class {
    let status = (|| condition.get("verificationStatus")?.get("coding")?.as_array()?.first()?.get("code")?.as_str())();
    if matches!(status, Some("refuted" | "entered-in-error" | "provisional" | "differential" | "unconfirmed")) {
        return Class::NotPrimary;
    }
    let profiles = condition.get("meta").and_then(|m| m.get("profile")).map(|p| p.to_string()).unwrap_or_default();
    if profiles.contains("secondary-cancer-condition") {
        // The site: the body site's, else the one the code gives.
        let body_site = condition.get("bodySite").and_then(Value::as_array).and_then(|s| s.first());
        let site = body_site.and_then(|s| structure_code(s, Structure::BodySite).ok().flatten());
        let coded = || match classify_codes(condition) {
            Some(Class::Secondary(site)) => site,
            _ => None,
        };
        return Class::Secondary(site.or_else(coded));
    }
    let mcode = profiles.contains("primary-cancer-condition")
        || condition
            .get("extension")
            .and_then(Value::as_array)
            .is_some_and(|e| e.iter().any(|x| text(x, &["url"]).is_some_and(|u| u.contains("histology-morphology"))));
    match (classify_codes(condition), mcode) {
        (Some(Class::NotPrimary) | None, true) => Class::Primary(None),
        (Some(c), _) => c,
        (None, false) => Class::NotPrimary,
    }
}

/// What a Condition's `code` says it is: the first coding that says something, a primary with
/// codes over one without; `None` when no coding is a cancer's.
fn classify_codes(condition: &Value) -> Option<Class> {
    let onset = text(condition, &["onsetDateTime"]).or_else(|| text(condition, &["recordedDate"]));
    let codings = condition.get("code").and_then(|c| c.get("coding")).and_then(Value::as_array);
    let mut found = None;
    for coding in codings.into_iter().flatten() {
        let (system, code) = (text(coding, &["system"]).unwrap_or(""), text(coding, &["code"]).unwrap_or(""));
        let class = if system.contains("icd-o") {
            Some(Class::Primary(None))
        } else if system.contains("icd-10") {
            icd10_class(code)
        } else if system.contains("snomed") {
            let display = text(coding, &["display"]).or_else(|| text(condition, &["code", "text"])).unwrap_or("");
            snomed_class(code, display, onset)
        } else {
            None
        };
        // The first coding that says something wins; a primary with codes over one without.
        match (&found, class) {
            (None, Some(c)) => found = Some(c),
            (Some(Class::Primary(None)), Some(c @ Class::Primary(Some(_)))) => found = Some(c),
            _ => {}
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn coded(system: &str, code: &str, display: &str) -> Value {
        json!({"resourceType": "Condition", "code": {"coding": [{"system": system, "code": code, "display": display}]},
               "verificationStatus": {"coding": [{"code": "confirmed"}]}, "onsetDateTime": "2020-01-02"})
    }

    #[test]
    fn conditions_are_classified_by_their_codes() {
        let snomed = "http://snomed.info/sct";
        let Class::Primary(Some(t)) = classify(&coded(snomed, "254637007", "Non-small cell lung cancer (disorder)"))
        else {
            panic!()
        };
        assert_eq!((t.topography.as_str(), t.morphology.as_str(), t.behaviour.as_str()), ("C34.9", "8046", "3"));
        let Class::Staged(t) = classify(&coded(snomed, "424132000", "NSCLC, TNM stage 1")) else { panic!() };
        assert_eq!((t.stage.as_deref(), t.onset.as_deref()), (Some("I"), Some("2020-01-02")));
        assert_eq!(classify(&coded(snomed, "162573006", "Suspected lung cancer (situation)")), Class::NotPrimary);
        assert_eq!(classify(&coded(snomed, "44054006", "Diabetes mellitus type 2 (disorder)")), Class::NotPrimary);
        let Class::Unmapped(v) = classify(&coded(snomed, "1234", "Malignant neoplasm of pineal gland")) else {
            panic!()
        };
        assert!(v.message.contains("1234") && v.message.contains("pineal"), "{}", v.message);
        let icd = "http://hl7.org/fhir/sid/icd-10";
        let Class::Primary(Some(t)) = classify(&coded(icd, "C50.4", "")) else { panic!() };
        assert_eq!((t.topography.as_str(), t.morphology.as_str()), ("C50.4", "8000"));
        let Class::Primary(Some(t)) = classify(&coded(icd, "C61", "")) else { panic!() };
        assert_eq!(t.topography, "C61.9");
        assert_eq!(classify(&coded(icd, "C78.7", "")), Class::Secondary(Some("C22.0".into())), "secondary");
        assert_eq!(classify(&coded(icd, "C77", "")), Class::Secondary(Some("C77.9".into())));
        assert_eq!(
            classify(&coded(snomed, "94225005", "Secondary malignant neoplasm of brain")),
            Class::Secondary(Some("C71.9".into()))
        );
        assert_eq!(classify(&coded(icd, "I10", "")), Class::NotPrimary);
        assert_eq!(classify(&coded(icd, "D05.1", "")), Class::Primary(None));
        let mut refuted = coded(icd, "C50.4", "");
        refuted["verificationStatus"]["coding"][0]["code"] = json!("refuted");
        assert_eq!(classify(&refuted), Class::NotPrimary);
    }

    #[test]
    fn snomed_body_sites_morphologies_and_lateralities_map_to_icdo3() {
        let concept =
            |code: &str| json!({"coding": [{"system": "http://snomed.info/sct", "code": code, "display": "x"}]});
        assert_eq!(structure_code(&concept("41224006"), Structure::BodySite), Ok(Some("C34.3".into())));
        assert_eq!(structure_code(&concept("82711006"), Structure::Morphology), Ok(Some("8500/3".into())));
        assert_eq!(structure_code(&concept("7771000"), Structure::Laterality), Ok(Some("2".into())));
        assert_eq!(structure_code(&concept("1"), Structure::Laterality), Ok(None));
        let e = structure_code(&concept("1"), Structure::BodySite).unwrap_err();
        assert!(e.rule == "fhir.unmapped-concept" && e.message.contains("body-site concept 1"), "{}", e.message);
        // An ICD-O-3 coding beside an unmapped SNOMED CT one is used.
        let both = json!({"coding": [{"system": "http://snomed.info/sct", "code": "1"}, {"system": "urn:oid:2.16.840.1.113883.6.43.1", "code": "C50.4"}]});
        assert_eq!(structure_code(&both, Structure::BodySite), Ok(Some("C50.4".into())));
        assert_eq!(structure_code(&json!({}), Structure::Morphology), Ok(None));
    }

    #[test]
    fn icd10_codes_classify_as_primaries_secondaries_or_uncertain() {
        let codes = |c: &str| match icd10_class(c) {
            Some(Class::Primary(Some(t))) => Some((t.topography, t.morphology)),
            _ => None,
        };
        assert_eq!(codes("C61"), Some(("C61.9".into(), "8000".into())));
        // Myelodysplastic syndromes and polycythaemia vera are malignant in ICD-O-3.
        assert_eq!(codes("D46.9"), Some(("C42.1".into(), "9989".into())));
        assert_eq!(codes("D45"), Some(("C42.1".into(), "9950".into())));
        // Other uncertain behaviour and in situ codes: a tumour whose codes come from bodySite.
        assert_eq!(icd10_class("D47.2"), Some(Class::Primary(None)));
        assert_eq!(icd10_class("D05.1"), Some(Class::Primary(None)));
        assert!(matches!(icd10_class("C78.7"), Some(Class::Secondary(_))));
        assert_eq!(icd10_class("I21.9"), None);
    }
}
