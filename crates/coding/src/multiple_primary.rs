//! The IARC/IACR rules for multiple primary cancers (ICD-O-3, 2004): which tumours of one person
//! are the same primary cancer, for international reporting.
//!
//! The rules (IARC Internal Report 2004/02):
//! - rule 1: recognising two or more primaries does not depend on time;
//! - rule 3: only one tumour is counted per organ, pair of organs or tissue, the topography
//!   groups of Table 1 counting as one organ ([`site_group_of`]);
//! - rule 4.1: systemic cancers — Kaposi sarcoma (histology group 15) and haematopoietic tumours
//!   (groups 8–14) — are counted once per person, whatever their sites;
//! - rule 4.2: tumours of different morphology (different groups of Table 2,
//!   [`histology_group`]) are different primaries even in the same site, except that an
//!   unspecified group (5, 14, 17) gives way to a specific one of its family.
//!
//! Of one primary's morphologies, the specific one is kept over an unspecified one, and within a
//! group the numerically highest code ([`best_morphology`]). Only malignant tumours (behaviour 3)
//! are counted, and in situ tumours of the bladder ([`is_reportable`]).
//!
//! The pairwise decision follows the reporting algorithm of imsweb/algorithms `IarcUtils`
//! ("IARC Multiple Primary Indicator"), whose test cases pin this module's tests; see
//! `../shared/reference/registry-and-epi-methods.md` §2.5. Tables: `data/iarc_histology_groups.csv`,
//! `data/iarc_topography_groups.csv`.

use std::fmt;
use std::sync::LazyLock;

use crate::rules::CodeSet;
use crate::table::rows;
use crate::{Behaviour, Morphology, Topography};

/// A histology group of the 2004 rules' Table 2 (1–17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HistologyGroup(u8);

/// Kaposi sarcoma.
const KAPOSI: u8 = 15;
/// Unspecified carcinomas.
const CARCINOMA_NOS: u8 = 5;
/// Unspecified haematopoietic types.
const HAEMATOPOIETIC_NOS: u8 = 14;
/// Unspecified types of cancer.
const CANCER_NOS: u8 = 17;

struct GroupRow {
    group: u8,
    unspecified: bool,
    title: &'static str,
    morphology: CodeSet,
}

static HISTOLOGY: LazyLock<(Vec<GroupRow>, Vec<u8>)> = LazyLock::new(|| {
    let table: Vec<GroupRow> = rows(
        "iarc_histology_groups.csv",
        include_str!("../data/iarc_histology_groups.csv"),
        &["group", "unspecified", "title", "morphology"],
    )
    .into_iter()
    .map(|f| GroupRow {
        group: f[0].parse().unwrap_or_else(|_| panic!("data/iarc_histology_groups.csv: bad group {}", f[0])),
        unspecified: f[1] == "yes",
        title: f[2],
        morphology: CodeSet::morphologies(f[3]).unwrap_or_else(|e| panic!("data/iarc_histology_groups.csv: {e}")),
    })
    .collect();
    // The group of every morphology 8000–9999 (0: none). Table 2 lists 9712 both as a B-cell
    // (9712) and a T-cell code (9700-9726); as in the table's order, the first group wins.
    let mut by_code = vec![0u8; 2000];
    for row in &table {
        for m in 8000..=9999u16 {
            let slot = &mut by_code[usize::from(m - 8000)];
            if *slot == 0 && row.morphology.contains(m) {
                *slot = row.group;
            }
        }
    }
    (table, by_code)
});

struct TopographyGroup {
    sites: CodeSet,
    label: String,
    code: Topography,
}

static TOPOGRAPHY: LazyLock<Vec<TopographyGroup>> = LazyLock::new(|| {
    rows("iarc_topography_groups.csv", include_str!("../data/iarc_topography_groups.csv"), &["sites", "code"])
        .into_iter()
        .map(|f| TopographyGroup {
            sites: CodeSet::topographies(f[0]).unwrap_or_else(|e| panic!("data/iarc_topography_groups.csv: {e}")),
            label: f[0].replace(' ', ", "),
            code: Topography::parse_valid(f[1]).unwrap_or_else(|e| panic!("data/iarc_topography_groups.csv: {e}")),
        })
        .collect()
});

/// The histology group of a morphology, or `None` for a code outside Table 2 (a code that
/// ICD-O-3.1 or 3.2 added, such as 8085): such a tumour is compared by its own code.
pub fn histology_group(morphology: Morphology) -> Option<HistologyGroup> {
    let g = HISTOLOGY.1.get(usize::from(morphology.code().checked_sub(8000)?)).copied()?;
    (g != 0).then_some(HistologyGroup(g))
}

impl HistologyGroup {
    /// The group's number, 1–17.
    pub fn number(&self) -> u8 {
        self.0
    }

    /// The group's title in Table 2.
    pub fn title(&self) -> &'static str {
        HISTOLOGY.0.iter().find(|r| r.group == self.0).map_or("", |r| r.title)
    }

    /// Whether the group is an unspecified one (5, 14, 17).
    pub fn is_unspecified(&self) -> bool {
        HISTOLOGY.0.iter().any(|r| r.group == self.0 && r.unspecified)
    }

    /// Haematopoietic and lymphoid tumours (groups 8–14).
    pub fn is_haematopoietic(&self) -> bool {
        (8..=HAEMATOPOIETIC_NOS).contains(&self.0)
    }

    /// Systemic cancers, counted once per person (rule 4.1): Kaposi sarcoma and haematopoietic.
    pub fn is_systemic(&self) -> bool {
        self.0 == KAPOSI || self.is_haematopoietic()
    }

    /// Whether this unspecified group gives way to `specific` (rule 4, last paragraph): 5 to the
    /// carcinomas 1–4, 14 to the haematopoietic groups 8–13, 17 to 1–7, 15 and 16.
    fn yields_to(&self, specific: HistologyGroup) -> bool {
        let s = specific.0;
        match self.0 {
            CARCINOMA_NOS => (1..=4).contains(&s),
            HAEMATOPOIETIC_NOS => (8..HAEMATOPOIETIC_NOS).contains(&s),
            CANCER_NOS => (1..=7).contains(&s) || s == KAPOSI || s == 16,
            _ => false,
        }
    }
}

impl fmt::Display for HistologyGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.0, self.title())
    }
}

/// The organ a topography counts as under rule 3: its Table 1 group (`C33-C34`) or its
/// three-character site (`C50`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SiteGroup {
    /// `C50`, or the Table 1 group's sites, `C00, C03-C06`.
    pub label: String,
    /// The topography to register when tumours of the group's different sites are one primary
    /// (Table 1); for a three-character site, its `.9` code.
    pub code_if_simultaneous: Option<Topography>,
}

/// The site group of a topography under rule 3.
pub fn site_group_of(topography: Topography) -> SiteGroup {
    match TOPOGRAPHY.iter().find(|g| g.sites.contains(topography.ordinal())) {
        Some(g) => SiteGroup { label: g.label.clone(), code_if_simultaneous: Some(g.code) },
        None => SiteGroup {
            label: format!("C{:02}", topography.site()),
            code_if_simultaneous: Topography::parse(&format!("C{:02}.9", topography.site())).ok(),
        },
    }
}

/// Whether a tumour counts in the international rules: malignant (behaviour 3), or an in situ
/// tumour of the bladder (C67), which registries count with the invasive ones.
pub fn is_reportable(topography: Topography, behaviour: Behaviour) -> bool {
    behaviour == Behaviour::Malignant || (behaviour == Behaviour::InSitu && topography.site() == 67)
}

/// Why two tumours are, or are not, one primary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// One primary, for the reason given.
    Same(Reason),
    /// Two primaries, for the reason given.
    Different(Reason),
}

impl Decision {
    /// Whether the tumours are one primary.
    pub fn is_same(&self) -> bool {
        matches!(self, Self::Same(_))
    }

    /// The reason, whichever the decision.
    pub fn reason(&self) -> &Reason {
        match self {
            Self::Same(r) | Self::Different(r) => r,
        }
    }
}

/// The rule that decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Both Kaposi sarcoma: counted once per person (rule 4.1).
    BothKaposi,
    /// Both haematopoietic, in one group or one of them unspecified: counted once (rule 4.1).
    SameHaematopoietic(HistologyGroup, HistologyGroup),
    /// Same organ, same histology group (rule 3).
    SameSiteSameGroup(String, HistologyGroup),
    /// Same organ, one morphology unspecified and the other specific of its family (rule 4).
    SameSiteUnspecified(String, HistologyGroup, HistologyGroup),
    /// Same organ, same morphology outside Table 2 (rule 3).
    SameSiteSameMorphology(String, Morphology),
    /// Different histology groups (rule 4.2).
    DifferentGroups(Option<HistologyGroup>, Option<HistologyGroup>),
    /// Different organs (rule 3).
    DifferentSites(String, String),
    /// Same organ, one histology impossible at its site (the IARC/IACR topography–morphology
    /// check, #18) and not verified: the tumour the other record describes.
    DoubtfulHistology(String),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let group = |g: &Option<HistologyGroup>| g.map_or("no group".to_string(), |g| format!("group {}", g.0));
        match self {
            Self::BothKaposi => write!(f, "both Kaposi sarcoma, counted once per person (rule 4.1)"),
            Self::SameHaematopoietic(a, b) if a == b => {
                write!(f, "both haematopoietic of group {}, counted once per person (rule 4.1)", a.0)
            }
            Self::SameHaematopoietic(a, b) => {
                write!(f, "haematopoietic groups {} and {}, one unspecified: counted once (rule 4.1)", a.0, b.0)
            }
            Self::SameSiteSameGroup(site, g) => write!(f, "same organ {site}, same histology group {} (rule 3)", g.0),
            Self::SameSiteUnspecified(site, a, b) => {
                write!(f, "same organ {site}, histology group {} unspecified beside group {} (rule 4)", a.0, b.0)
            }
            Self::SameSiteSameMorphology(site, m) => {
                write!(f, "same organ {site}, same morphology {m} outside the histology groups (rule 3)")
            }
            Self::DifferentGroups(a, b) => {
                write!(f, "different histology groups, {} and {} (rule 4.2)", group(a), group(b))
            }
            Self::DifferentSites(a, b) => write!(f, "different organs, {a} and {b} (rule 3)"),
            Self::DoubtfulHistology(site) => {
                write!(f, "same organ {site}, one histology impossible at its site and unverified (IARC check 18)")
            }
        }
    }
}

/// Whether two tumours of one person are the same primary cancer, and why.
pub fn decide(a: (Topography, Morphology), b: (Topography, Morphology)) -> Decision {
    let (ga, gb) = (histology_group(a.1), histology_group(b.1));
    if let (Some(x), Some(y)) = (ga, gb) {
        if x.0 == KAPOSI && y.0 == KAPOSI {
            return Decision::Same(Reason::BothKaposi);
        }
        if x.is_haematopoietic() && y.is_haematopoietic() {
            return if x == y || x.0 == HAEMATOPOIETIC_NOS || y.0 == HAEMATOPOIETIC_NOS {
                Decision::Same(Reason::SameHaematopoietic(x, y))
            } else {
                Decision::Different(Reason::DifferentGroups(ga, gb))
            };
        }
    }
    let (sa, sb) = (site_group_of(a.0), site_group_of(b.0));
    if sa != sb {
        return Decision::Different(Reason::DifferentSites(sa.label, sb.label));
    }
    match (ga, gb) {
        (Some(x), Some(y)) if x == y => Decision::Same(Reason::SameSiteSameGroup(sa.label, x)),
        (Some(x), Some(y)) if x.yields_to(y) => Decision::Same(Reason::SameSiteUnspecified(sa.label, x, y)),
        (Some(x), Some(y)) if y.yields_to(x) => Decision::Same(Reason::SameSiteUnspecified(sa.label, y, x)),
        (None, None) if a.1 == b.1 => Decision::Same(Reason::SameSiteSameMorphology(sa.label, a.1)),
        _ => Decision::Different(Reason::DifferentGroups(ga, gb)),
    }
}

/// The morphology one primary keeps of two of its tumours: the specific over the unspecified
/// (rule 4, a group 5, 14 or 17 is ignored in favour of a specific one), and within one group
/// the numerically highest code.
pub fn best_morphology(a: Morphology, b: Morphology) -> Morphology {
    match (histology_group(a), histology_group(b)) {
        (Some(x), Some(y)) if x.is_unspecified() && !y.is_unspecified() => b,
        (Some(x), Some(y)) if y.is_unspecified() && !x.is_unspecified() => a,
        _ => a.max(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(code: &str) -> Topography {
        Topography::parse_valid(code).unwrap()
    }

    /// Format only: the rules' examples use codes of every ICD-O-3 revision.
    fn m(code: &str) -> Morphology {
        Morphology::parse(code).unwrap()
    }

    #[test]
    fn every_valid_morphology_of_table_2_has_one_group() {
        // The table loads (no overlap), and its ranges hit the codes of the rules' examples.
        for (code, group) in [
            ("8070", 1),
            ("8120", 1),
            ("8090", 2),
            ("8140", 3),
            ("8500", 3),
            ("8030", 4),
            ("8170", 4),
            ("8010", 5),
            ("8050", 5),
            ("8800", 6),
            ("9050", 7),
            ("9861", 8),
            ("9597", 9),
            ("9712", 9), // listed in groups 9 and 10; the first wins
            ("9940", 9),
            ("9702", 10),
            ("9650", 11),
            ("9740", 12),
            ("9750", 13),
            ("9975", 14),
            ("9140", 15),
            ("8720", 16),
            ("8000", 17),
        ] {
            assert_eq!(histology_group(m(code)).map(|g| g.number()), Some(group), "{code}");
        }
        let valid_without_group = (8000..=9999u16)
            .filter_map(|c| Morphology::parse(&c.to_string()).ok())
            .filter(|m| m.is_valid() && histology_group(*m).is_none())
            .count();
        // Table 2 predates ICD-O-3.1's new codes; a few valid codes fall outside it.
        assert!(valid_without_group < 30, "{valid_without_group} valid morphologies outside Table 2");
    }

    #[test]
    fn table_1_groups_sites_and_names_the_code_to_use() {
        for (a, b) in
            [("C01.9", "C02.1"), ("C00.0", "C06.2"), ("C09.1", "C14.0"), ("C19.9", "C20.9"), ("C33.9", "C34.1")]
        {
            assert_eq!(site_group_of(t(a)), site_group_of(t(b)), "{a} {b}");
        }
        assert_ne!(site_group_of(t("C11.9")), site_group_of(t("C10.9")));
        assert_eq!(site_group_of(t("C34.1")).code_if_simultaneous, Some(t("C34.9")));
        assert_eq!(site_group_of(t("C66.9")).code_if_simultaneous, Some(t("C68.9")));
        assert_eq!(site_group_of(t("C18.2")).label, "C18");
        assert_eq!(site_group_of(t("C18.2")).code_if_simultaneous, Some(t("C18.9")));
    }

    #[test]
    fn the_pairwise_rules_decide_as_the_2004_rules_say() {
        let same = |a: (&str, &str), b: (&str, &str)| decide((t(a.0), m(a.1)), (t(b.0), m(b.1))).is_same();
        // Rule 4.1: Kaposi sarcoma and haematopoietic tumours once per person, any site.
        assert!(same(("C23.9", "9140"), ("C67.9", "9140")));
        assert!(same(("C09.0", "9597"), ("C33.9", "9940"))); // both group 9
        assert!(same(("C09.0", "9656"), ("C33.9", "9975"))); // 11 with unspecified 14
        assert!(!same(("C09.0", "9656"), ("C33.9", "9597"))); // 11 and 9
        // Rule 3: one organ (Table 1: C00, C03-C06), same group.
        assert!(same(("C00.0", "8030"), ("C06.2", "8671")));
        // Rule 4.2: different groups in one organ.
        assert!(!same(("C00.0", "8030"), ("C06.2", "8100")));
        // Rule 4: unspecified carcinoma with a specific carcinoma.
        assert!(same(("C00.0", "8050"), ("C06.2", "8100")));
        assert!(!same(("C00.0", "8050"), ("C06.2", "8800"))); // 5 does not yield to a sarcoma
        assert!(same(("C34.1", "8000"), ("C34.3", "8800"))); // 17 yields to a sarcoma
        assert!(!same(("C34.1", "8000"), ("C34.3", "9680"))); // 17 vs haematopoietic: not in the list
        // Different organs, same histology.
        assert!(!same(("C50.9", "8500"), ("C18.7", "8140")));
        assert!(!same(("C34.1", "8140"), ("C80.9", "8140")));
        // Colon subsites are one organ for international reporting.
        assert!(same(("C18.2", "8140"), ("C18.7", "8480")));
        // Paired organs: one primary (rule 3), as breast left and right of one group.
        assert!(same(("C50.4", "8500"), ("C50.9", "8520")));
    }

    #[test]
    fn a_decision_names_its_rule() {
        let d = decide((t("C34.1"), m("8070")), (t("C34.3"), m("8140")));
        assert_eq!(d.to_string_reason(), "different histology groups, group 1 and group 3 (rule 4.2)");
        let d = decide((t("C19.9"), m("8140")), (t("C20.9"), m("8010")));
        assert_eq!(d.to_string_reason(), "same organ C19-C20, histology group 5 unspecified beside group 3 (rule 4)");
    }

    impl Decision {
        fn to_string_reason(&self) -> String {
            self.reason().to_string()
        }
    }

    #[test]
    fn the_primary_keeps_the_specific_then_the_highest_morphology() {
        assert_eq!(best_morphology(m("9975"), m("9656")), m("9656"));
        assert_eq!(best_morphology(m("8010"), m("8140")), m("8140"));
        assert_eq!(best_morphology(m("8000"), m("8800")), m("8800"));
        assert_eq!(best_morphology(m("8500"), m("8520")), m("8520"));
        assert_eq!(best_morphology(m("8140"), m("8070")), m("8140"));
    }

    #[test]
    fn in_situ_tumours_count_only_in_the_bladder() {
        assert!(is_reportable(t("C50.9"), Behaviour::Malignant));
        assert!(!is_reportable(t("C50.9"), Behaviour::InSitu));
        assert!(is_reportable(t("C67.9"), Behaviour::InSitu));
        assert!(!is_reportable(t("C67.9"), Behaviour::Uncertain));
    }
}
