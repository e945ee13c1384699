//! ICD-O-3 morphology (histology, four digits) and behaviour (fifth digit).
//!
//! Validity comes from `data/icdo3_morphology.csv` (WHO ICD-O-3 and ICD-O-3.1): 857 codes in the
//! ICD-O-3 morphology blocks.

use std::fmt;
use std::sync::LazyLock;

use crate::CodeError;
use crate::rules::{CodeSet, MorphologyIndex};
use crate::table::rows;

/// A four-digit ICD-O-3 morphology code such as 8140 (adenocarcinoma, NOS).
///
/// [`Morphology::parse`] checks the format (four digits, 8000–9999); [`Morphology::is_valid`]
/// whether the code exists in ICD-O-3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Morphology(u16);

/// The morphology blocks (their codes and title), indexed by code.
static BLOCKS: LazyLock<(Vec<(CodeSet, &'static str)>, MorphologyIndex)> = LazyLock::new(|| {
    let blocks: Vec<(CodeSet, &'static str)> =
        rows("icdo3_morphology.csv", include_str!("../data/icdo3_morphology.csv"), &["codes", "block"])
            .into_iter()
            .map(|f| {
                let set = CodeSet::morphologies(f[0]).unwrap_or_else(|e| panic!("data/icdo3_morphology.csv: {e}"));
                (set, f[1])
            })
            .collect();
    let index = MorphologyIndex::new(blocks.iter().map(|(set, _)| set));
    (blocks, index)
});

impl Morphology {
    /// Reads a four-digit code (`8140`); a behaviour suffix is not accepted here, see
    /// [`Morphology::parse_with_behaviour`]. Checks the format only.
    pub fn parse(text: &str) -> Result<Self, CodeError> {
        let t = text.trim();
        if t.len() != 4 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CodeError::Format {
                kind: "ICD-O-3 morphology",
                value: text.to_string(),
                reason: "expected four digits, as 8140",
            });
        }
        let n: u16 = t.parse().expect("four digits");
        if n < 8000 {
            return Err(CodeError::Format {
                kind: "ICD-O-3 morphology",
                value: text.to_string(),
                reason: "ICD-O-3 morphology codes run from 8000 to 9999",
            });
        }
        Ok(Self(n))
    }

    /// Reads a code and checks that it exists in ICD-O-3.
    pub fn parse_valid(text: &str) -> Result<Self, CodeError> {
        let m = Self::parse(text)?;
        if m.is_valid() {
            Ok(m)
        } else {
            Err(CodeError::Unknown {
                kind: "ICD-O-3 morphology",
                value: text.trim().to_string(),
                classification: "ICD-O-3.1",
            })
        }
    }

    /// Reads the combined form `8140/3` into morphology and behaviour (format only).
    pub fn parse_with_behaviour(text: &str) -> Result<(Self, Behaviour), CodeError> {
        let (m, b) = text.trim().split_once('/').ok_or_else(|| CodeError::Format {
            kind: "ICD-O-3 morphology/behaviour",
            value: text.to_string(),
            reason: "expected morphology/behaviour, as 8140/3",
        })?;
        Ok((Self::parse(m)?, Behaviour::parse(b)?))
    }

    /// The number, e.g. 8140.
    pub fn code(&self) -> u16 {
        self.0
    }

    /// Whether the code is one of the ICD-O-3.1 morphology codes.
    pub fn is_valid(&self) -> bool {
        self.block_title().is_some()
    }

    /// The title of the ICD-O-3 morphology block the code belongs to, if it exists
    /// ("Adenomas and adenocarcinomas" for 8140).
    pub fn block_title(&self) -> Option<&'static str> {
        let (blocks, index) = &*BLOCKS;
        index.rows(self.0).next().map(|i| blocks[i].1)
    }

    /// Whether ICD-O-3 lists the morphology among the haematopoietic and lymphoid neoplasms
    /// (9590–9993), which are coded by morphology whatever the site.
    pub fn is_haematological(&self) -> bool {
        (9590..=9993).contains(&self.0)
    }

    /// Whether the behaviour is a usual one for this morphology. ICD-O-3 allows any behaviour
    /// with any morphology when the pathologist says so (its "behaviour code matrix"), so this
    /// is a plausibility test for warnings, not validity: in situ (/2) is usual only for
    /// epithelial (8010–8589) and melanocytic (8720–8799) tumours and intratubular germ cell
    /// neoplasia (9064); haematological morphologies are malignant except the few ICD-O-3 lists
    /// as /1 (mastocytoma, Langerhans-cell histiocytosis, monoclonal gammopathies,
    /// lymphoproliferative disorders).
    pub fn behaviour_is_usual(&self, behaviour: Behaviour) -> bool {
        let m = self.0;
        match behaviour {
            Behaviour::InSitu => (8010..=8589).contains(&m) || (8720..=8799).contains(&m) || m == 9064,
            Behaviour::Benign | Behaviour::Uncertain if self.is_haematological() => {
                behaviour == Behaviour::Uncertain && matches!(m, 9740 | 9751..=9753 | 9765..=9769 | 9970 | 9971)
            }
            _ => true,
        }
    }
}

impl fmt::Display for Morphology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Four digits (8000–9999), written without the integer formatter: called for every
        // tumour ingested.
        let n = self.0;
        let digits = [n / 1000, n / 100 % 10, n / 10 % 10, n % 10].map(|d| b'0' + d as u8);
        f.write_str(std::str::from_utf8(&digits).map_err(|_| fmt::Error)?)
    }
}

/// The ICD-O-3 behaviour code, the fifth digit of the morphology.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Behaviour {
    /// /0 benign.
    Benign,
    /// /1 uncertain whether benign or malignant (borderline, low malignant potential).
    Uncertain,
    /// /2 carcinoma in situ (intraepithelial, non-infiltrating, non-invasive).
    InSitu,
    /// /3 malignant, primary site.
    Malignant,
    /// /6 malignant, metastatic site: not used by cancer registries.
    Metastatic,
    /// /9 malignant, uncertain whether primary or metastatic: not used by cancer registries.
    UncertainPrimary,
}

impl Behaviour {
    /// Reads the digit 0, 1, 2, 3, 6 or 9.
    pub fn parse(text: &str) -> Result<Self, CodeError> {
        Ok(match text.trim() {
            "0" => Self::Benign,
            "1" => Self::Uncertain,
            "2" => Self::InSitu,
            "3" => Self::Malignant,
            "6" => Self::Metastatic,
            "9" => Self::UncertainPrimary,
            _ => {
                return Err(CodeError::Format {
                    kind: "ICD-O-3 behaviour",
                    value: text.to_string(),
                    reason: "expected one of 0, 1, 2, 3, 6, 9",
                });
            }
        })
    }

    /// The digit.
    pub fn code(&self) -> u8 {
        match self {
            Self::Benign => 0,
            Self::Uncertain => 1,
            Self::InSitu => 2,
            Self::Malignant => 3,
            Self::Metastatic => 6,
            Self::UncertainPrimary => 9,
        }
    }

    /// Whether a registry records tumours of this behaviour (0–3): registries code the primary
    /// tumour, so /6 and /9 are coding errors in registry data (IARC check "behaviour").
    pub fn is_registrable(&self) -> bool {
        self.code() <= 3
    }
}

impl fmt::Display for Behaviour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count_valid() -> usize {
        (8000..=9999).filter(|&n| Morphology(n).is_valid()).count()
    }

    #[test]
    fn table_has_the_857_icdo3_1_codes() {
        assert_eq!(count_valid(), 857);
    }

    #[test]
    fn valid_codes_from_icdo3() {
        // Adenocarcinoma NOS, squamous cell carcinoma NOS, infiltrating duct carcinoma,
        // malignant melanoma NOS, DLBCL, AML NOS, multiple myeloma, neuroblastoma, Wilms tumour,
        // and codes added by the later revisions (8023, 9993).
        for c in ["8000", "8140", "8070", "8500", "8720", "9680", "9861", "9732", "9500", "8960", "8023", "9993"] {
            assert!(Morphology::parse_valid(c).is_ok(), "{c}");
        }
    }

    #[test]
    fn non_existent_codes_are_unknown() {
        for c in ["8006", "8016", "8511", "8859", "9999", "9600", "9730", "9810", "9990"] {
            let e = Morphology::parse_valid(c).unwrap_err();
            assert!(matches!(e, CodeError::Unknown { .. }), "{c}: {e}");
        }
    }

    #[test]
    fn malformed_codes_are_format_errors() {
        for c in ["814", "81400", "7999", "abcd", "", "8140/3"] {
            let e = Morphology::parse(c).unwrap_err();
            assert!(matches!(e, CodeError::Format { .. }), "{c}: {e}");
        }
    }

    #[test]
    fn combined_form_and_behaviour() {
        let (m, b) = Morphology::parse_with_behaviour("8140/3").unwrap();
        assert_eq!((m.code(), b), (8140, Behaviour::Malignant));
        assert!(Behaviour::parse("5").is_err());
        assert!(!Behaviour::parse("6").unwrap().is_registrable());
        assert!(!Behaviour::parse("9").unwrap().is_registrable());
        assert!(Behaviour::parse("2").unwrap().is_registrable());
    }

    #[test]
    fn blocks() {
        assert_eq!(Morphology::parse("8140").unwrap().block_title(), Some("Adenomas and adenocarcinomas"));
        assert_eq!(Morphology::parse("9861").unwrap().block_title(), Some("Leukaemias"));
    }

    #[test]
    fn usual_behaviours() {
        let m = |c| Morphology::parse(c).unwrap();
        assert!(m("8500").behaviour_is_usual(Behaviour::InSitu)); // DCIS
        assert!(m("8720").behaviour_is_usual(Behaviour::InSitu)); // melanoma in situ
        assert!(!m("9861").behaviour_is_usual(Behaviour::InSitu)); // AML in situ
        assert!(!m("8800").behaviour_is_usual(Behaviour::InSitu)); // sarcoma in situ
        assert!(!m("9680").behaviour_is_usual(Behaviour::Benign));
        assert!(m("9765").behaviour_is_usual(Behaviour::Uncertain)); // MGUS
    }
}
