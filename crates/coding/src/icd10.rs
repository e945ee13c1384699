//! Conversion of ICD-O-3 (topography, morphology, behaviour) to ICD-10, after the IARC/IACR
//! conversion (IARCcrgTools, Ferlay et al., IARC Technical Report No. 42, 2005; its tables and
//! program as CanReg5 ships them):
//!
//! 1. morphologies whose ICD-10 code does not follow the site alone (melanoma, Kaposi sarcoma,
//!    mesothelioma, haematological malignancies, liver by histology, benign tumours by organ, germ
//!    cell tumours by sex...) take the first matching row of `data/icdo3_to_icd10_morphology.csv`,
//!    whose rows can depend on sex; a histology of one sex has no code in the other;
//! 2. the others take the site's code for their behaviour from
//!    `data/icdo3_to_icd10_topography.csv`.
//!
//! Both tables are written by `data/icdo3_to_icd10.py` from IARC's tables; a test compares every
//! combination with CanReg5's conversion (`reference/icd10_canreg5.py`), the differences being
//! listed with their rule in `reference/icd10_canreg5_differences.csv`.
//! Behaviours /6 and /9 have no registry code and are rejected.

use std::sync::LazyLock;

use crate::rules::{RuleTable, TumourMatch};
use crate::table::rows;
use crate::{Behaviour, CodeError, Morphology, Sex, Topography};

/// The four behaviour columns of a topography row, in the order of [`Column`]; `None` when the
/// conversion has no code.
struct SiteCodes([Option<&'static str>; 4]);

/// A column of the topography table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Malignant = 0,
    InSitu = 1,
    Benign = 2,
    Uncertain = 3,
}

impl Column {
    /// The column named in the morphology table (`site:benign`).
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "malignant" => Self::Malignant,
            "in_situ" => Self::InSitu,
            "benign" => Self::Benign,
            "uncertain" => Self::Uncertain,
            _ => return None,
        })
    }
}

/// What a row of the morphology table gives.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// This code (`*` for the topography's fourth character).
    Code(&'static str),
    /// The site's code in this column of the topography table.
    Site(Column),
    /// No code: a histology of the other sex.
    OtherSex,
}

/// A row of the morphology table beyond its tumour condition: the sex it is for (`None`: both).
#[derive(Debug, Clone, Copy)]
struct MorphologyRule {
    sex: Option<Sex>,
    target: Target,
}

static MORPHOLOGY_RULES: LazyLock<RuleTable<MorphologyRule>> = LazyLock::new(|| {
    let file = "icdo3_to_icd10_morphology.csv";
    let header = ["morphology", "behaviour", "topography", "sex", "icd10", "note"];
    RuleTable::new(rows(file, include_str!("../data/icdo3_to_icd10_morphology.csv"), &header).into_iter().map(|f| {
        let sex = match f[3] {
            "*" => None,
            "M" => Some(Sex::Male),
            "F" => Some(Sex::Female),
            other => panic!("data/{file}: bad sex '{other}'"),
        };
        let target = match f[4] {
            "" => Target::OtherSex,
            code => match code.strip_prefix("site:") {
                Some(name) => {
                    Target::Site(Column::parse(name).unwrap_or_else(|| panic!("data/{file}: bad column '{name}'")))
                }
                None => Target::Code(code),
            },
        };
        (TumourMatch::from_cells(file, f[0], f[2], f[1]), MorphologyRule { sex, target })
    }))
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

/// The site's code in a column of the topography table: its subsite's row, else its site's.
fn site_code(t: Topography, column: Column) -> Option<&'static str> {
    let table = &*SITE_CODES;
    let row = table.subsites[usize::from(t.ordinal())].as_ref().or(table.sites[usize::from(t.site())].as_ref())?;
    row.0[column as usize]
}

/// Replaces a trailing `*` by the topography's fourth character (`C43.*` → `C43.5`).
fn expand(code: &str, topography: Topography) -> String {
    match code.strip_suffix('*') {
        Some(stem) => format!("{stem}{}", topography.subsite()),
        None => code.to_string(),
    }
}

/// The conversion for one sex (male or female).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Code(String),
    /// The conversion has no code for this behaviour at this site.
    NoCode,
    /// A histology of the other sex.
    OtherSex,
}

fn for_sex(t: Topography, m: Morphology, b: Behaviour, column: Column, sex: Sex) -> Outcome {
    let rule = MORPHOLOGY_RULES.first_accepted(t, m, b, |r| r.sex.is_none_or(|s| s == sex));
    let code = match rule.map(|r| r.target) {
        Some(Target::Code(code)) => Some(code),
        Some(Target::OtherSex) => return Outcome::OtherSex,
        Some(Target::Site(column)) => site_code(t, column),
        None => site_code(t, column),
    };
    code.map_or(Outcome::NoCode, |c| Outcome::Code(expand(c, t)))
}

/// The ICD-10 code of a tumour, e.g. C50.4 for topography C50.4, morphology 8500, behaviour 3.
///
/// A few codes depend on sex (a germ cell tumour of unknown primary site: C62.9 for a man, C56
/// for a woman), and a histology of one sex (e.g. 8600/3 thecoma) has none in the other. For a
/// person of unknown sex the code is the one both sexes would get, or that of the sex the
/// histology belongs to.
///
/// Fails with [`CodeError::Unknown`] for an invalid topography or morphology, and with
/// [`CodeError::NoConversion`] for behaviours /6 and /9, a behaviour that ICD-10 does not code
/// at that site (e.g. an in situ tumour of bone), a histology of the other sex, or a code that
/// depends on an unknown sex.
pub fn from_icdo3(
    topography: Topography,
    morphology: Morphology,
    behaviour: Behaviour,
    sex: Sex,
) -> Result<String, CodeError> {
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
    let what = |why: &str| CodeError::NoConversion {
        target: "ICD-10",
        what: format!("{topography} {morphology}/{behaviour}{why}"),
    };
    let column = match behaviour {
        Behaviour::Malignant => Column::Malignant,
        Behaviour::InSitu => Column::InSitu,
        Behaviour::Benign => Column::Benign,
        Behaviour::Uncertain => Column::Uncertain,
        Behaviour::Metastatic | Behaviour::UncertainPrimary => {
            return Err(CodeError::NoConversion {
                target: "ICD-10 primary-tumour",
                what: format!("{topography} {morphology}/{behaviour} (behaviour /{behaviour} is not a primary tumour)"),
            });
        }
    };
    let outcome = |s| for_sex(topography, morphology, behaviour, column, s);
    let outcome = match sex {
        Sex::Male | Sex::Female => outcome(sex),
        Sex::Unknown => match (outcome(Sex::Male), outcome(Sex::Female)) {
            (male, female) if male == female => male,
            (Outcome::OtherSex, one) | (one, Outcome::OtherSex) => one,
            _ => return Err(what(" (the code depends on sex, which is unknown)")),
        },
    };
    match outcome {
        Outcome::Code(code) => Ok(code),
        Outcome::NoCode => Err(what("")),
        Outcome::OtherSex => Err(what(&format!(" (not a histology of a {})", sex.label()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(t: &str, mb: &str) -> Result<String, CodeError> {
        let (m, b) = Morphology::parse_with_behaviour(mb).unwrap();
        from_icdo3(Topography::parse(t).unwrap(), m, b, Sex::Unknown)
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
            ("C80.9", "8000/3", "C80"),   // primary site unknown (IARC keeps the pre-2010 category C80)
            ("C42.0", "8000/3", "C80"),   // non-haematological morphology on blood
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
            let c = from_icdo3(t, m, Behaviour::Malignant, Sex::Unknown);
            assert!(c.is_ok(), "{t}: {c:?}");
            let c = c.unwrap();
            assert!(c.starts_with('C') || c.starts_with('D'), "{t} -> {c}");
        }
    }

    /// The reference: CanReg5's conversion of every combination of its tables, written by
    /// `reference/icd10_canreg5.py` (pattern number per morphology, behaviour and sex; the codes
    /// of each pattern over CanReg5's topographies).
    struct Reference {
        topographies: Vec<Topography>,
        patterns: Vec<Vec<String>>,
        rows: Vec<(u16, u8, Sex, usize)>,
    }

    fn reference() -> Reference {
        use std::io::Read;
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/reference");
        let mut text = String::new();
        let gz = std::fs::File::open(format!("{dir}/icd10_canreg5_patterns.csv.gz")).unwrap();
        flate2::read::GzDecoder::new(gz).read_to_string(&mut text).unwrap();
        let mut lines = text.lines();
        let topographies = lines.next().unwrap().split(',').skip(1).map(|t| Topography::parse(t).unwrap()).collect();
        let patterns = lines.map(|l| l.split(',').skip(1).map(str::to_string).collect()).collect();
        let rows = std::fs::read_to_string(format!("{dir}/icd10_canreg5.csv"))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                let sex = match f[2] {
                    "1" => Sex::Male,
                    "2" => Sex::Female,
                    _ => Sex::Unknown,
                };
                (f[0].parse().unwrap(), f[1].parse().unwrap(), sex, f[3].parse().unwrap())
            })
            .collect();
        Reference { topographies, patterns, rows }
    }

    /// A documented difference from CanReg5 (`reference/icd10_canreg5_differences.csv`).
    struct Difference {
        when: TumourMatch,
        sex: String,
        canreg5: String,
        oncodata: String,
        used: std::cell::Cell<usize>,
    }

    fn differences() -> Vec<Difference> {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/reference/icd10_canreg5_differences.csv"))
                .unwrap();
        let header = ["morphology", "behaviour", "topography", "sex", "canreg5", "oncodata", "why"];
        rows("icd10_canreg5_differences.csv", text.leak(), &header)
            .into_iter()
            .map(|f| Difference {
                when: TumourMatch::from_cells("icd10_canreg5_differences.csv", f[0], f[2], f[1]),
                sex: f[3].to_string(),
                canreg5: f[4].to_string(),
                oncodata: f[5].to_string(),
                used: std::cell::Cell::new(0),
            })
            .collect()
    }

    /// Every combination of CanReg5's 330 topographies, 2,768 morphology/behaviour pairs (0-3)
    /// and both sexes converts as CanReg5 converts it, except the differences listed with their
    /// rule and source in `reference/icd10_canreg5_differences.csv`; every listed difference
    /// still occurs.
    #[test]
    fn equals_canreg5_on_every_combination() {
        let r = reference();
        let differences = differences();
        let mut unexplained = Vec::new();
        let mut compared = 0usize;
        for &(m, b, sex, pattern) in &r.rows {
            let (morphology, behaviour) = Morphology::parse_with_behaviour(&format!("{m}/{b}")).unwrap();
            let sexes = if sex == Sex::Unknown { vec![Sex::Male, Sex::Female] } else { vec![sex] };
            for (t, want) in r.topographies.iter().zip(&r.patterns[pattern]) {
                for &s in &sexes {
                    compared += 1;
                    let got = from_icdo3(*t, morphology, behaviour, s).unwrap_or_default();
                    if &got == want {
                        continue;
                    }
                    let site = || site_code(*t, column_of(behaviour)).map(|c| expand(c, *t)).unwrap_or_default();
                    let explained = differences.iter().find(|d| {
                        d.when.matches(*t, morphology, behaviour)
                            && (d.sex == "*" || d.sex == if s == Sex::Male { "M" } else { "F" })
                            && &d.canreg5 == want
                            && (d.oncodata == got
                                || (d.oncodata == "site" && got == site())
                                || expand(&d.oncodata, *t) == got)
                    });
                    match explained {
                        Some(d) => d.used.set(d.used.get() + 1),
                        None => {
                            unexplained.push(format!("{t} {m}/{b} {}: CanReg5 '{want}', oncodata '{got}'", s.label()))
                        }
                    }
                }
            }
        }
        assert!(compared > 1_800_000, "{compared} combinations");
        let n = unexplained.len();
        unexplained.truncate(60);
        assert!(
            n == 0,
            "{n} combinations differ from CanReg5 without a documented reason:\n{}",
            unexplained.join("\n")
        );
        for (i, d) in differences.iter().enumerate() {
            assert!(d.used.get() > 0, "difference {} of icd10_canreg5_differences.csv no longer occurs", i + 1);
        }
    }

    fn column_of(b: Behaviour) -> Column {
        match b {
            Behaviour::Malignant => Column::Malignant,
            Behaviour::InSitu => Column::InSitu,
            Behaviour::Benign => Column::Benign,
            _ => Column::Uncertain,
        }
    }
}
