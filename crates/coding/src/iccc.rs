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

    /// ICCC-3's extended classification codes (001-114, as SEER numbers them) of each main
    /// subgroup (Steliarova-Foucher et al. 2005, Table 1).
    const EXTENDED: [(&str, u16, u16); 48] = [
        ("Ia", 1, 4),
        ("Ib", 5, 5),
        ("Ic", 6, 6),
        ("Id", 7, 7),
        ("Ie", 8, 8),
        ("IIa", 9, 9),
        ("IIb", 10, 13),
        ("IIc", 14, 14),
        ("IId", 15, 15),
        ("IIe", 16, 16),
        ("IIIa", 17, 18),
        ("IIIb", 19, 19),
        ("IIIc", 20, 23),
        ("IIId", 24, 26),
        ("IIIe", 27, 31),
        ("IIIf", 32, 32),
        ("IVa", 33, 33),
        ("IVb", 34, 34),
        ("V", 35, 35),
        ("VIa", 36, 39),
        ("VIb", 40, 40),
        ("VIc", 41, 41),
        ("VIIa", 42, 42),
        ("VIIb", 43, 43),
        ("VIIc", 44, 44),
        ("VIIIa", 45, 45),
        ("VIIIb", 46, 46),
        ("VIIIc", 47, 48),
        ("VIIId", 49, 52),
        ("VIIIe", 53, 53),
        ("IXa", 54, 54),
        ("IXb", 55, 57),
        ("IXc", 58, 58),
        ("IXd", 59, 69),
        ("IXe", 70, 70),
        ("Xa", 71, 76),
        ("Xb", 77, 82),
        ("Xc", 83, 89),
        ("Xd", 90, 90),
        ("Xe", 91, 91),
        ("XIa", 92, 92),
        ("XIb", 93, 93),
        ("XIc", 94, 94),
        ("XId", 95, 95),
        ("XIe", 96, 96),
        ("XIf", 97, 107),
        ("XIIa", 108, 113),
        ("XIIb", 114, 114),
    ];

    /// A row of SEER's ICCC-3 recode definition (`reference/iccc3_seer.csv`): sites as four
    /// characters without the dot (`C000`-`C809`, compared as text as SEER writes them),
    /// histologies as numbers, and the extended code.
    struct SeerRow {
        sites: Vec<(String, String)>,
        histologies: Vec<(u16, u16)>,
        code: u16,
    }

    /// Reads SEER's table with its own rules, independently of `data/iccc3.csv`: a quoted CSV whose
    /// leaf rows hold `Sites IN`, `Hist IN` and a `Group code`.
    fn seer_rows() -> Vec<SeerRow> {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/reference/iccc3_seer.csv")).unwrap();
        let mut out = Vec::new();
        for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
            // Fields are quoted and may hold commas; empty fields are not quoted.
            let mut fields = Vec::new();
            let mut rest = line;
            while !rest.is_empty() || fields.len() < 9 {
                if let Some(r) = rest.strip_prefix('"') {
                    let end = r.find('"').unwrap();
                    fields.push(r[..end].to_string());
                    rest = r[end + 1..].strip_prefix(',').unwrap_or("");
                } else {
                    let end = rest.find(',').unwrap_or(rest.len());
                    fields.push(rest[..end].to_string());
                    rest = rest.get(end + 1..).unwrap_or("");
                }
                if rest.is_empty() && fields.len() >= 9 {
                    break;
                }
            }
            let (sites, hist, code) = (&fields[3], &fields[5], &fields[7]);
            if code.is_empty() {
                continue;
            }
            let pair = |r: &str| match r.split_once('-') {
                Some((a, b)) => (a.to_string(), b.to_string()),
                None => (r.to_string(), r.to_string()),
            };
            out.push(SeerRow {
                // One range in SEER's table is written "C000-069" (for C000-C069).
                sites: sites
                    .split(',')
                    .map(|r| {
                        let (a, b) = pair(r.trim());
                        (a, if b.starts_with('C') { b } else { format!("C{b}") })
                    })
                    .collect(),
                histologies: hist
                    .split(',')
                    .map(|r| {
                        let (a, b) = pair(r.trim());
                        (a.parse().unwrap(), b.parse().unwrap())
                    })
                    .collect(),
                code: code.parse().unwrap(),
            });
        }
        out
    }

    /// SEER's ICCC-3 recode (seer.cancer.gov/iccc/iccc3.html, as imsweb/algorithms parsed it) and
    /// oncodata's classification give the same subgroup, or both none, for every valid
    /// (topography, morphology) with behaviour /3: 282,810 combinations.
    #[test]
    fn agrees_with_seer_recode_on_every_malignant_combination() {
        let seer = seer_rows();
        assert_eq!(seer.len(), 130, "leaf rows of SEER's table");
        let subgroup = |code: u16| EXTENDED.iter().find(|(_, lo, hi)| (*lo..=*hi).contains(&code)).unwrap().0;
        let mut compared = 0usize;
        let mut differ = Vec::new();
        for t in Topography::all() {
            let site = t.compact();
            for m in (8000..=9999u16).filter_map(|m| Morphology::parse(&m.to_string()).ok()).filter(|m| m.is_valid()) {
                let rows: Vec<&SeerRow> = seer
                    .iter()
                    .filter(|r| r.sites.iter().any(|(a, b)| a.as_str() <= site.as_str() && site.as_str() <= b.as_str()))
                    .filter(|r| r.histologies.iter().any(|&(a, b)| (a..=b).contains(&m.code())))
                    .collect();
                assert!(rows.len() <= 1, "{t} {m}: {} rows of SEER's table match", rows.len());
                let want = rows.first().map(|r| subgroup(r.code));
                let got = classify(t, m, Behaviour::Malignant).map(|s| s.subgroup);
                compared += 1;
                if want != got {
                    differ.push(format!("{t} {m}/3: SEER {want:?}, oncodata {got:?}"));
                }
            }
        }
        let share = 1.0 - differ.len() as f64 / compared as f64;
        assert!(compared > 250_000, "{compared}");
        assert!(
            differ.is_empty(),
            "{} of {compared} combinations differ ({:.3} % agree):\n{}",
            differ.len(),
            100.0 * share,
            differ.join("\n")
        );
    }
}
