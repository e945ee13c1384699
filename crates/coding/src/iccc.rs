//! ICD-O-3 → ICCC-3, the International Classification of Childhood Cancer, third edition
//! (Steliarova-Foucher et al., Cancer 2005;103:1457-67): 12 main groups, 47 subgroups, from
//! `data/iccc3.csv` and `data/iccc3_groups.csv`.

use std::sync::LazyLock;

use crate::rules::{RuleTable, TumourMatch};
use crate::table::rows;
use crate::{Behaviour, Morphology, Topography};

/// An ICCC-3 subgroup, e.g. `IIIb` Astrocytomas in group `III`.
#[derive(Debug)]
pub struct IcccSubgroup {
    /// Subgroup code as printed in ICCC-3: the group's Roman numeral and a letter (`IIIb`);
    /// group V has a single subgroup, coded `V`.
    pub subgroup: &'static str,
    /// The main group's Roman numeral, `I`–`XII`.
    pub group: &'static str,
    /// The subgroup's title.
    pub title: &'static str,
}

static ROWS: LazyLock<RuleTable<IcccSubgroup>> = LazyLock::new(|| {
    RuleTable::new(
        rows(
            "iccc3.csv",
            include_str!("../data/iccc3.csv"),
            &["subgroup", "group", "title", "morphology", "topography", "behaviour"],
        )
        .into_iter()
        .map(|f| {
            let when = TumourMatch::from_cells("iccc3.csv", f[3], f[4], f[5]);
            (when, IcccSubgroup { subgroup: f[0], group: f[1], title: f[2] })
        }),
    )
});

static GROUP_TITLES: LazyLock<Vec<(&'static str, &'static str)>> = LazyLock::new(|| {
    rows("iccc3_groups.csv", include_str!("../data/iccc3_groups.csv"), &["group", "title"])
        .into_iter()
        .map(|f| (f[0], f[1]))
        .collect()
});

/// The ICCC-3 subgroup of a tumour; `None` when ICCC-3 does not classify it (non-malignant
/// tumours outside the central nervous system, or combinations ICCC-3 leaves out).
pub fn classify(topography: Topography, morphology: Morphology, behaviour: Behaviour) -> Option<&'static IcccSubgroup> {
    ROWS.first(topography, morphology, behaviour)
}

/// The title of a main group (`I`–`XII`).
pub fn group_title(group: &str) -> Option<&'static str> {
    GROUP_TITLES.iter().find(|(g, _)| *g == group).map(|(_, t)| *t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(t: &str, mb: &str) -> Option<&'static str> {
        let (m, b) = Morphology::parse_with_behaviour(mb).unwrap();
        classify(Topography::parse(t).unwrap(), m, b).map(|s| s.subgroup)
    }

    /// Examples from the ICCC-3 paper's table and its notes on site-dependent morphologies.
    #[test]
    fn published_examples() {
        let cases = [
            ("C42.1", "9836/3", "Ia"),   // precursor B-cell lymphoblastic leukaemia
            ("C42.1", "9861/3", "Ib"),   // acute myeloid leukaemia
            ("C42.1", "9863/3", "Ic"),   // chronic myeloid leukaemia
            ("C42.1", "9946/3", "Id"),   // juvenile myelomonocytic leukaemia
            ("C77.1", "9663/3", "IIa"),  // Hodgkin lymphoma
            ("C77.2", "9680/3", "IIb"),  // diffuse large B-cell lymphoma
            ("C18.0", "9687/3", "IIc"),  // Burkitt lymphoma
            ("C71.6", "9470/3", "IIIc"), // medulloblastoma
            ("C71.6", "9421/1", "IIIb"), // pilocytic astrocytoma (non-malignant CNS counted)
            ("C72.3", "9380/3", "IIIb"), // optic nerve glioma is an astrocytoma
            ("C71.9", "9380/3", "IIId"), // glioma NOS elsewhere in the brain
            ("C71.9", "8000/3", "IIIf"),
            ("C74.0", "9500/3", "IVa"),   // neuroblastoma of adrenal
            ("C69.2", "9510/3", "V"),     // retinoblastoma
            ("C64.9", "8960/3", "VIa"),   // nephroblastoma
            ("C64.9", "8963/3", "VIa"),   // rhabdoid tumour of kidney
            ("C64.9", "8312/3", "VIb"),   // renal cell carcinoma
            ("C22.0", "8970/3", "VIIa"),  // hepatoblastoma
            ("C22.0", "8170/3", "VIIb"),  // hepatocellular carcinoma
            ("C40.2", "9180/3", "VIIIa"), // osteosarcoma of femur
            ("C41.4", "9260/3", "VIIIc"), // Ewing sarcoma of pelvis
            ("C49.2", "9260/3", "IXd"),   // extraosseous Ewing sarcoma
            ("C49.0", "8910/3", "IXa"),   // embryonal rhabdomyosarcoma
            ("C49.5", "9140/3", "IXc"),   // Kaposi sarcoma
            ("C71.0", "9064/3", "Xa"),    // intracranial germinoma
            ("C38.1", "9071/3", "Xb"),    // mediastinal yolk sac tumour
            ("C62.9", "9071/3", "Xc"),    // testicular yolk sac tumour
            ("C56.9", "8441/3", "Xd"),    // serous cystadenocarcinoma of ovary
            ("C74.0", "8370/3", "XIa"),   // adrenocortical carcinoma
            ("C73.9", "8260/3", "XIb"),   // papillary thyroid carcinoma
            ("C11.9", "8070/3", "XIc"),   // nasopharyngeal carcinoma
            ("C44.5", "8720/3", "XId"),   // melanoma
            ("C44.3", "8090/3", "XIe"),   // basal cell carcinoma
            ("C18.7", "8140/3", "XIf"),   // colorectal adenocarcinoma
            ("C25.0", "8971/3", "XIIa"),  // pancreatoblastoma
            ("C80.9", "8000/3", "XIIb"),
        ];
        for (t, mb, want) in cases {
            assert_eq!(sub(t, mb), Some(want), "{t} {mb}");
        }
    }

    #[test]
    fn non_malignant_outside_cns_is_not_classified() {
        assert_eq!(sub("C49.0", "8910/0"), None);
        assert_eq!(sub("C50.9", "8500/2"), None);
        assert_eq!(sub("C71.0", "9530/0"), Some("IIIe")); // meningioma, intracranial
    }

    #[test]
    fn group_titles() {
        assert_eq!(group_title("V"), Some("Retinoblastoma"));
        assert_eq!(GROUP_TITLES.len(), 12);
        for s in ROWS.values() {
            assert!(group_title(s.group).is_some(), "{}", s.subgroup);
        }
    }
}
