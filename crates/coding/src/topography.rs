//! ICD-O-3 topography: the primary site of a tumour, `C00.0`–`C80.9`.
//!
//! Validity comes from `data/icdo3_topography.csv` (WHO ICD-O-3 and ICD-O-3.1): 330 codes in 70
//! three-character sites.

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

/// The sites by number (0–99), `None` where ICD-O-3 has no such site.
static SITES: LazyLock<Vec<Option<SiteEntry>>> = LazyLock::new(|| {
    let mut sites: Vec<Option<SiteEntry>> = (0..100).map(|_| None).collect();
    for (site, entry) in
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
    {
        sites[usize::from(site)] = Some(entry);
    }
    sites
});

/// The entry of a site number.
fn site_entry(site: u8) -> Option<&'static SiteEntry> {
    SITES.get(usize::from(site)).and_then(Option::as_ref)
}

impl Topography {
    /// Reads `C50.9`, `C509` or `c50.9` (surrounding spaces ignored). Checks the format only.
    pub fn parse(text: &str) -> Result<Self, CodeError> {
        let bad = |reason| CodeError::Format { kind: "ICD-O-3 topography", value: text.to_string(), reason };
        let t = text.trim();
        let rest = t.strip_prefix('C').or_else(|| t.strip_prefix('c')).ok_or_else(|| bad("must start with C"))?;
        let b = rest.as_bytes();
        let digits = match b.len() {
            3 => [b[0], b[1], b[2]],
            4 if b[2] == b'.' => [b[0], b[1], b[3]],
            _ => return Err(bad("expected C followed by 3 digits, as C50.9 or C509")),
        };
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(bad("expected C followed by 3 digits, as C50.9 or C509"));
        }
        let [a, b, c] = digits.map(|d| d - b'0');
        Ok(Self { site: a * 10 + b, subsite: c })
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
        site_entry(self.site).is_some_and(|s| s.subsites.contains(&self.subsite))
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
        site_entry(self.site).map(|s| s.title)
    }

    /// Every valid topography code, in order.
    pub fn all() -> Vec<Topography> {
        (0..100u8)
            .filter_map(|site| site_entry(site).map(|e| (site, e)))
            .flat_map(|(site, e)| e.subsites.iter().map(move |&subsite| Topography { site, subsite }))
            .collect()
    }
}

impl fmt::Display for Topography {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Written without the integer formatter: called for every tumour ingested.
        let (s, u) = (self.site, self.subsite);
        let code = [b'C', b'0' + s / 10 % 10, b'0' + s % 10, b'.', b'0' + u % 10];
        f.write_str(std::str::from_utf8(&code).map_err(|_| fmt::Error)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_the_330_icdo3_codes_in_70_sites() {
        assert_eq!(Topography::all().len(), 330);
        assert_eq!(SITES.iter().flatten().count(), 70);
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
