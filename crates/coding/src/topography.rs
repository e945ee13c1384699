//! ICD-O-3 topography: the primary site of a tumour, `C00.0`–`C80.9`.
//!
//! Validity comes from `data/icdo3_topography.csv` (WHO ICD-O-3 and ICD-O-3.1): 330 codes in 70
//! three-character sites.

use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

use crate::CodeError;
use crate::table::rows;

/// A topography code, kept as its three-character site (0–99) and fourth character (0–9).
///
/// [`Topography::parse`] checks only the format; [`Topography::is_valid`] whether the code
/// exists in ICD-O-3. Displayed as `C50.9`; [`Topography::compact`] gives `C509`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Topography {
    site: u8,
    subsite: u8,
}

struct SiteEntry {
    subsites: Vec<u8>,
    title: &'static str,
}

static SITES: LazyLock<HashMap<u8, SiteEntry>> = LazyLock::new(|| {
    rows("icdo3_topography.csv", include_str!("../data/icdo3_topography.csv"), &["site", "subsites", "title"])
        .into_iter()
        .map(|f| {
            let site = f[0]
                .strip_prefix('C')
                .and_then(|s| s.parse::<u8>().ok())
                .unwrap_or_else(|| panic!("data/icdo3_topography.csv: bad site {}", f[0]));
            let subsites = f[1].chars().map(|c| c.to_digit(10).expect("subsite digit") as u8).collect();
            (site, SiteEntry { subsites, title: f[2] })
        })
        .collect()
});

impl Topography {
    /// Reads `C50.9`, `C509` or `c50.9` (surrounding spaces ignored). Checks the format only.
    pub fn parse(text: &str) -> Result<Self, CodeError> {
        let bad = |reason| CodeError::Format { kind: "ICD-O-3 topography", value: text.to_string(), reason };
        let t = text.trim();
        let rest = t.strip_prefix('C').or_else(|| t.strip_prefix('c')).ok_or_else(|| bad("must start with C"))?;
        let digits: String = match rest.len() {
            3 => rest.to_string(),
            4 if rest.as_bytes()[2] == b'.' => format!("{}{}", &rest[..2], &rest[3..]),
            _ => return Err(bad("expected C followed by 3 digits, as C50.9 or C509")),
        };
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("expected C followed by 3 digits, as C50.9 or C509"));
        }
        let n: u16 = digits.parse().map_err(|_| bad("not a number"))?;
        Ok(Self { site: (n / 10) as u8, subsite: (n % 10) as u8 })
    }

    /// Reads a code and checks that it exists in ICD-O-3.
    pub fn parse_valid(text: &str) -> Result<Self, CodeError> {
        let t = Self::parse(text)?;
        if t.is_valid() {
            Ok(t)
        } else {
            Err(CodeError::Unknown {
                kind: "ICD-O-3 topography",
                value: text.trim().to_string(),
                classification: "ICD-O-3 (C00.0-C80.9)",
            })
        }
    }

    /// Whether this code is one of the 330 ICD-O-3 topography codes.
    pub fn is_valid(&self) -> bool {
        SITES.get(&self.site).is_some_and(|s| s.subsites.contains(&self.subsite))
    }

    /// The three-character site number: 50 for C50.9.
    pub fn site(&self) -> u8 {
        self.site
    }

    /// The fourth character: 9 for C50.9.
    pub fn subsite(&self) -> u8 {
        self.subsite
    }

    /// The code as a number, site × 10 + subsite (509 for C50.9), for range tests.
    pub fn ordinal(&self) -> u16 {
        self.site as u16 * 10 + self.subsite as u16
    }

    /// The code without its dot, as registries often store it: `C509`.
    pub fn compact(&self) -> String {
        format!("C{:02}{}", self.site, self.subsite)
    }

    /// The title of the three-character site ("Breast" for C50.9), if the site exists.
    pub fn site_title(&self) -> Option<&'static str> {
        SITES.get(&self.site).map(|s| s.title)
    }

    /// Every valid topography code, in order.
    pub fn all() -> Vec<Topography> {
        let mut v: Vec<Topography> = SITES
            .iter()
            .flat_map(|(&site, e)| e.subsites.iter().map(move |&subsite| Topography { site, subsite }))
            .collect();
        v.sort();
        v
    }
}

impl fmt::Display for Topography {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "C{:02}.{}", self.site, self.subsite)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_the_330_icdo3_codes_in_70_sites() {
        assert_eq!(Topography::all().len(), 330);
        assert_eq!(SITES.len(), 70);
    }

    #[test]
    fn valid_codes_from_icdo3() {
        for c in [
            "C00.0", "C01.9", "C18.7", "C34.1", "C42.1", "C44.5", "C50.9", "C61.9", "C67.9", "C71.9", "C77.2", "C80.9",
            "C509", "c34.1", " C16.0 ",
        ] {
            assert!(Topography::parse_valid(c).is_ok(), "{c} should be valid");
        }
    }

    #[test]
    fn invalid_codes_are_unknown() {
        // C00.7 and C01.0 do not exist; C43, C45, C46, C78, C79 are ICD-10-only categories;
        // C81+ are ICD-10 haematological codes, not ICD-O-3 topographies.
        for c in ["C00.7", "C01.0", "C43.5", "C45.0", "C46.1", "C78.0", "C79.9", "C81.9", "C50.7", "C61.0"] {
            let e = Topography::parse_valid(c).unwrap_err();
            assert!(matches!(e, CodeError::Unknown { .. }), "{c}: {e}");
        }
    }

    #[test]
    fn malformed_codes_are_format_errors() {
        for c in ["", "50.9", "C5.9", "C50.", "C50.99", "C5O9", "D05.1", "C50-9"] {
            let e = Topography::parse(c).unwrap_err();
            assert!(matches!(e, CodeError::Format { .. }), "{c}: {e}");
        }
    }

    #[test]
    fn display_compact_and_title() {
        let t = Topography::parse("C509").unwrap();
        assert_eq!(t.to_string(), "C50.9");
        assert_eq!(t.compact(), "C509");
        assert_eq!(t.site_title(), Some("Breast"));
        assert_eq!(t.ordinal(), 509);
    }
}
