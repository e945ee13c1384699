//! Conversion of ICD-O-3 (topography, morphology, behaviour) to ICD-10, after the IARC algorithm
//! (IARCcrgTools, Ferlay et al., IARC Technical Report No. 42, 2005):
//!
//! 1. morphologies whose ICD-10 code does not follow the site (melanoma, Kaposi sarcoma,
//!    mesothelioma, haematological malignancies, liver by histology, lobular and ductal breast
//!    carcinoma in situ, some benign tumours) take the first matching row of
//!    `data/icdo3_to_icd10_morphology.csv`;
//! 2. the others take the site's code for their behaviour from
//!    `data/icdo3_to_icd10_topography.csv`.
//!
//! Behaviours /6 and /9 have no registry code and are rejected.

use std::sync::LazyLock;

use crate::rules::{RuleTable, TumourMatch};
use crate::table::rows;
use crate::{Behaviour, CodeError, Morphology, Topography};

/// The four behaviour columns of a topography row; `None` when ICD-10 has no code.
struct SiteCodes([Option<&'static str>; 4]);

static MORPHOLOGY_RULES: LazyLock<RuleTable<&'static str>> = LazyLock::new(|| {
    RuleTable::new(
        rows(
            "icdo3_to_icd10_morphology.csv",
            include_str!("../data/icdo3_to_icd10_morphology.csv"),
            &["morphology", "behaviour", "topography", "icd10", "note"],
        )
        .into_iter()
        .map(|f| (TumourMatch::from_cells("icdo3_to_icd10_morphology.csv", f[0], f[2], f[1]), f[3])),
    )
});

/// The topography rows: by subsite ordinal (`C18.1` → 181) and by three-character site (`C18`).
struct SiteTable {
    subsites: Vec<Option<SiteCodes>>,
    sites: Vec<Option<SiteCodes>>,
}

static SITE_CODES: LazyLock<SiteTable> = LazyLock::new(|| {
    let mut table = SiteTable { subsites: (0..1000).map(|_| None).collect(), sites: (0..100).map(|_| None).collect() };
    let file = "icdo3_to_icd10_topography.csv";
    let header = ["topography", "malignant", "in_situ", "benign", "uncertain"];
    for f in rows(file, include_str!("../data/icdo3_to_icd10_topography.csv"), &header) {
        let cell = |s: &'static str| (!s.is_empty()).then_some(s);
        let codes = SiteCodes([cell(f[1]), cell(f[2]), cell(f[3]), cell(f[4])]);
        let whole_site = f[0].len() == 3;
        let t = Topography::parse(&if whole_site { format!("{}.0", f[0]) } else { f[0].to_string() })
            .unwrap_or_else(|e| panic!("data/{file}: {e}"));
        let slot = if whole_site {
            &mut table.sites[usize::from(t.site())]
        } else {
            &mut table.subsites[usize::from(t.ordinal())]
        };
        *slot = Some(codes);
    }
    table
});

/// The row of a topography: its subsite's, else its site's.
fn site_codes(t: Topography) -> Option<&'static SiteCodes> {
    let table = &*SITE_CODES;
    table.subsites[usize::from(t.ordinal())].as_ref().or(table.sites[usize::from(t.site())].as_ref())
}

/// Replaces a trailing `*` by the topography's fourth character (`C43.*` → `C43.5`).
fn expand(code: &str, topography: Topography) -> String {
    match code.strip_suffix('*') {
        Some(stem) => format!("{stem}{}", topography.subsite()),
        None => code.to_string(),
    }
}

/// The ICD-10 code of a tumour, e.g. C50.4 for topography C50.4, morphology 8500, behaviour 3.
///
/// Fails with [`CodeError::Unknown`] for an invalid topography or morphology, and with
/// [`CodeError::NoConversion`] for behaviours /6 and /9 or a behaviour that ICD-10 does not code
/// at that site (e.g. an in situ tumour of bone).
pub fn from_icdo3(topography: Topography, morphology: Morphology, behaviour: Behaviour) -> Result<String, CodeError> {
    if !topography.is_valid() {
        return Err(CodeError::Unknown {
            kind: "ICD-O-3 topography",
            value: topography.to_string(),
            classification: "ICD-O-3 (C00.0-C80.9)",
        });
    }
    if !morphology.is_valid() {
        return Err(CodeError::Unknown {
            kind: "ICD-O-3 morphology",
            value: morphology.to_string(),
            classification: "ICD-O-3.1",
        });
    }
    let what = || format!("{topography} {morphology}/{behaviour}");
    let column = match behaviour {
        Behaviour::Malignant => 0,
        Behaviour::InSitu => 1,
        Behaviour::Benign => 2,
        Behaviour::Uncertain => 3,
        Behaviour::Metastatic | Behaviour::UncertainPrimary => {
            return Err(CodeError::NoConversion {
                target: "ICD-10 primary-tumour",
                what: format!("{} (behaviour /{behaviour} is not a primary tumour)", what()),
            });
        }
    };
    if let Some(icd10) = MORPHOLOGY_RULES.first(topography, morphology, behaviour) {
        return Ok(expand(icd10, topography));
    }
    let row = site_codes(topography).ok_or_else(|| CodeError::NoConversion { target: "ICD-10", what: what() })?;
    row.0[column]
        .map(|c| expand(c, topography))
        .ok_or_else(|| CodeError::NoConversion { target: "ICD-10", what: what() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(t: &str, mb: &str) -> Result<String, CodeError> {
        let (m, b) = Morphology::parse_with_behaviour(mb).unwrap();
        from_icdo3(Topography::parse(t).unwrap(), m, b)
    }

    /// Conversions given as examples in ICD-O-3's introduction and the IARC conversion notes,
    /// and ICD-10's own index entries for the same neoplasms.
    #[test]
    fn published_examples() {
        let cases = [
            ("C50.4", "8500/3", "C50.4"), // infiltrating duct carcinoma, upper outer quadrant
            ("C34.1", "8070/3", "C34.1"), // squamous cell carcinoma, upper lobe
            ("C61.9", "8140/3", "C61"),   // adenocarcinoma of prostate
            ("C18.7", "8140/3", "C18.7"), // adenocarcinoma of sigmoid colon
            ("C73.9", "8260/3", "C73"),   // papillary carcinoma of thyroid
            ("C44.5", "8720/3", "C43.5"), // melanoma of skin of trunk
            ("C44.3", "8090/3", "C44.3"), // basal cell carcinoma of skin of face
            ("C69.3", "8720/3", "C69.3"), // melanoma of choroid stays with the eye
            ("C38.4", "9050/3", "C45.0"), // pleural mesothelioma
            ("C48.2", "9050/3", "C45.1"), // peritoneal mesothelioma
            ("C44.7", "9140/3", "C46.0"), // Kaposi sarcoma of skin
            ("C77.2", "9680/3", "C83.3"), // diffuse large B-cell lymphoma, nodal
            ("C16.9", "9699/3", "C88.4"), // MALT lymphoma of stomach
            ("C77.1", "9663/3", "C81.1"), // nodular sclerosis Hodgkin lymphoma
            ("C42.1", "9861/3", "C92.0"), // acute myeloid leukaemia
            ("C42.1", "9823/3", "C91.1"), // chronic lymphocytic leukaemia
            ("C42.1", "9732/3", "C90.0"), // multiple myeloma
            ("C42.1", "9863/3", "C92.1"), // chronic myeloid leukaemia
            ("C42.1", "9950/3", "D45"),   // polycythaemia vera
            ("C42.1", "9983/3", "D46.2"), // refractory anaemia with excess blasts
            ("C22.0", "8170/3", "C22.0"), // hepatocellular carcinoma
            ("C22.1", "8160/3", "C22.1"), // cholangiocarcinoma
            ("C22.0", "8970/3", "C22.2"), // hepatoblastoma
            ("C22.0", "8000/3", "C22.9"), // malignant neoplasm of liver NOS
            ("C50.9", "8500/2", "D05.1"), // ductal carcinoma in situ
            ("C50.9", "8520/2", "D05.0"), // lobular carcinoma in situ
            ("C53.9", "8070/2", "D06.9"), // carcinoma in situ of cervix
            ("C18.7", "8140/2", "D01.0"), // adenocarcinoma in situ of colon
            ("C67.9", "8120/2", "D09.0"), // transitional cell carcinoma in situ of bladder
            ("C44.5", "8720/2", "D03.5"), // melanoma in situ of trunk
            ("C18.7", "8210/0", "D12.5"), // adenomatous polyp of sigmoid colon
            ("C70.0", "9530/0", "D32.0"), // meningioma of cerebral meninges
            ("C71.9", "9440/3", "C71.9"), // glioblastoma
            ("C64.9", "8960/3", "C64"),   // nephroblastoma
            ("C56.9", "8441/3", "C56"),   // serous cystadenocarcinoma of ovary
            ("C80.9", "8000/3", "C80.9"), // malignant neoplasm, primary site unknown
            ("C42.0", "8000/3", "C80.9"), // non-haematological morphology on blood
            ("C25.0", "8500/1", "D37.7"), // pancreas, uncertain behaviour
            ("C73.9", "8330/0", "D34"),   // follicular adenoma of thyroid
        ];
        for (t, mb, want) in cases {
            assert_eq!(conv(t, mb).as_deref(), Ok(want), "{t} {mb}");
        }
    }

    #[test]
    fn impossible_conversions_are_errors() {
        // No ICD-10 in situ code for bone; /6 and /9 are not primary tumours.
        for (t, mb) in [("C41.2", "9180/2"), ("C50.9", "8500/6"), ("C34.1", "8070/9")] {
            assert!(matches!(conv(t, mb), Err(CodeError::NoConversion { .. })), "{t} {mb}");
        }
        assert!(matches!(conv("C43.5", "8720/3"), Err(CodeError::Unknown { .. })));
        assert!(matches!(conv("C50.9", "8511/3"), Err(CodeError::Unknown { .. })));
    }

    #[test]
    fn every_valid_topography_converts_when_malignant() {
        let m = Morphology::parse("8000").unwrap();
        for t in Topography::all() {
            let c = from_icdo3(t, m, Behaviour::Malignant);
            assert!(c.is_ok(), "{t}: {c:?}");
            let c = c.unwrap();
            assert!(c.starts_with('C') || c.starts_with('D'), "{t} -> {c}");
        }
    }
}
