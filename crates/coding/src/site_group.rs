//! The site groups of the French national cancer incidence estimates (Santé publique France,
//! INCa, Francim, Hospices civils de Lyon), from `data/site_groups.csv`: invasive tumours only,
//! haematological malignancies, mesotheliomas, Kaposi sarcomas and skin melanomas grouped by
//! morphology first, then solid tumours by site, and a final "other" group.

use std::sync::LazyLock;

use crate::rules::{RuleTable, TumourMatch};
use crate::table::rows;
use crate::{Behaviour, Morphology, Topography};

/// One site group of the national estimates.
#[derive(Debug)]
pub struct SiteGroup {
    /// Short identifier used in tables and on the command line, e.g. `colorectum`.
    pub id: &'static str,
    /// English title, e.g. "Colon and rectum".
    pub title: &'static str,
    /// French title as in the national reports, e.g. "Côlon-rectum".
    pub titre: &'static str,
    report_rank: u8,
}

static GROUPS: LazyLock<RuleTable<SiteGroup>> = LazyLock::new(|| {
    RuleTable::new(
        rows(
            "site_groups.csv",
            include_str!("../data/site_groups.csv"),
            &["group", "report_rank", "title", "titre", "morphology", "topography", "behaviour"],
        )
        .into_iter()
        .map(|f| {
            let when = TumourMatch::from_cells("site_groups.csv", f[4], f[5], f[6]);
            let rank = f[1].parse().expect("data/site_groups.csv: report_rank");
            (when, SiteGroup { id: f[0], report_rank: rank, title: f[2], titre: f[3] })
        }),
    )
});

/// The site group of an invasive tumour; `None` for in situ, benign and uncertain tumours,
/// which the national estimates do not count.
pub fn classify(topography: Topography, morphology: Morphology, behaviour: Behaviour) -> Option<&'static SiteGroup> {
    GROUPS.first(topography, morphology, behaviour)
}

/// All groups, in the order their rules are tried.
pub fn all() -> &'static [SiteGroup] {
    GROUPS.values()
}

/// All groups in the order of the national reports' tables: solid sites in ICD-10 order, then
/// the haematological malignancies, then "other".
pub fn in_report_order() -> impl Iterator<Item = &'static SiteGroup> {
    let mut v: Vec<&'static SiteGroup> = GROUPS.values().iter().collect();
    v.sort_by_key(|g| g.report_rank);
    v.into_iter()
}

/// The group with this identifier.
pub fn by_id(id: &str) -> Option<&'static SiteGroup> {
    GROUPS.values().iter().find(|g| g.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(t: &str, mb: &str) -> Option<&'static str> {
        let (m, b) = Morphology::parse_with_behaviour(mb).unwrap();
        classify(Topography::parse(t).unwrap(), m, b).map(|g| g.id)
    }

    #[test]
    fn groups_of_the_national_estimates() {
        let cases = [
            ("C61.9", "8140/3", "prostate"),
            ("C50.4", "8500/3", "breast"),
            ("C18.7", "8140/3", "colorectum"),
            ("C19.9", "8140/3", "colorectum"),
            ("C20.9", "8140/3", "colorectum"),
            ("C21.1", "8070/3", "anus"),
            ("C34.1", "8070/3", "lung"),
            ("C33.9", "8070/3", "lung"),
            ("C44.5", "8720/3", "melanoma"),
            ("C44.3", "8090/3", "other"), // basal cell carcinoma is not a melanoma
            ("C38.4", "9050/3", "mesothelioma"),
            ("C48.2", "9050/3", "other"), // peritoneal mesothelioma is not pleural
            ("C77.2", "9680/3", "nhl"),
            ("C34.1", "9680/3", "nhl"), // extranodal lymphoma goes by morphology
            ("C42.1", "9823/3", "nhl"), // CLL with the lymphoid neoplasms
            ("C77.1", "9663/3", "hodgkin"),
            ("C42.1", "9732/3", "myeloma"),
            ("C42.1", "9861/3", "acute_leukaemia"),
            ("C42.1", "9863/3", "other_haematological"),
            ("C67.9", "8120/3", "bladder"),
            ("C64.9", "8312/3", "kidney"),
            ("C66.9", "8120/3", "kidney"),
            ("C54.1", "8380/3", "corpus_uteri"),
            ("C53.9", "8070/3", "cervix"),
            ("C71.9", "9440/3", "cns"),
            ("C73.9", "8260/3", "thyroid"),
            ("C01.9", "8070/3", "lip_oral_pharynx"),
            ("C80.9", "8000/3", "other"),
        ];
        for (t, mb, want) in cases {
            assert_eq!(group(t, mb), Some(want), "{t} {mb}");
        }
    }

    #[test]
    fn non_invasive_tumours_have_no_group() {
        assert_eq!(group("C50.9", "8500/2"), None);
        assert_eq!(group("C67.9", "8120/2"), None);
        assert_eq!(group("C70.0", "9530/0"), None);
    }

    #[test]
    fn every_invasive_tumour_has_a_group() {
        let b = Behaviour::Malignant;
        for t in Topography::all() {
            for m in (8000..=9999).filter_map(|c| Morphology::parse_valid(&c.to_string()).ok()) {
                assert!(classify(t, m, b).is_some(), "{t} {m}");
            }
        }
        assert_eq!(by_id("lung").unwrap().titre, "Poumon");
        assert_eq!(all().last().unwrap().id, "other");
        let order: Vec<&str> = in_report_order().map(|g| g.id).collect();
        assert_eq!((order[0], order[order.len() - 1]), ("lip_oral_pharynx", "other"));
        assert_eq!(order.len(), all().len());
    }
}
