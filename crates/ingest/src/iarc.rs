//! The IARC consistency checks between variables of one tumour, beyond the validity of each
//! code: basis of diagnosis/histology (#10), grade/histology (#9), age/site, age/histology,
//! age/site/histology, sex/histology (#21–#24), site/histology (#18) and site/behaviour.
//!
//! Source: the IARC/IACR Check program (Ferlay, Burkhard, Whelan, Parkin, IARC Technical Report
//! No. 42, 2005) as ported in CanReg5 (IARC-CSU/CanReg5), summarised in
//! `shared/reference/registry-and-epi-methods.md` §2.2. The unlikely combinations are
//! declarative tables in `data/iarc_combinations.csv` and `data/iarc_site_histology.csv` (the
//! latter complete: the 70 morphological families of the program's tables, written by
//! `data/iarc_site_histology.py`); the basis and grade lists are short enough to read here. A
//! test compares every combination with CanReg5's checks (`reference/iarc_checks_canreg5.py`).

use std::sync::OnceLock;

use oncodata_coding::{Behaviour, CodeSet, Morphology, MorphologyIndex, Topography, data_rows};
use oncodata_model::Sex;

use crate::rules::Violation;

/// The coded facts of one tumour that the consistency checks read.
#[derive(Debug, Clone, Copy)]
pub struct CodedTumour {
    /// Sex of the patient.
    pub sex: Sex,
    /// Age at incidence, completed years.
    pub age: u16,
    /// ICD-O-3 topography.
    pub topography: Topography,
    /// ICD-O-3 morphology.
    pub morphology: Morphology,
    /// ICD-O-3 behaviour.
    pub behaviour: Behaviour,
    /// Grade (1–9), when given.
    pub grade: Option<u8>,
    /// Most valid basis of diagnosis (0–9), when given.
    pub basis: Option<u8>,
}

/// Runs every consistency check on a tumour whose codes are individually valid, appending what
/// it finds: `iarc.grade` as an error (IARC: *Invalid*), the others as warnings (*Rare* or
/// *Query*: the combination can be true and a registrar may confirm it).
pub fn check(t: &CodedTumour, out: &mut Vec<Violation>) {
    check_grade(t, out);
    check_basis(t, out);
    let m = t.morphology.code();
    let (rows, index) = combinations();
    for row in index.rows(m).map(|i| &rows[i]) {
        if row.matches(t) {
            out.push(Violation::warning(
                row.rule,
                format!("{}: {} {}/{} at age {}", row.note, t.topography, t.morphology, t.behaviour, t.age),
            ));
        }
    }
    let (rows, index) = site_histology();
    for row in index.rows(m).map(|i| &rows[i]) {
        if row.must != row.topography.contains(t.topography.ordinal()) {
            let verb = if row.must { "outside its usual sites" } else { "in an implausible site" };
            out.push(Violation::warning(
                "iarc.site-histology",
                format!("{} {verb}: {} {}", row.label, t.topography, t.morphology),
            ));
        }
    }
}

/// Morphologies that a registry may code without microscopic verification (IARC check #10).
fn accepted_without_microscopy(m: u16, t: Topography) -> bool {
    matches!(
        m,
        8000 | 8150..=8154 | 8170 | 8270..=8281 | 8800 | 8960 | 9050 | 9100 | 9140 | 9350 | 9380 | 9384
            | 9500 | 9510 | 9530..=9539 | 9590 | 9732 | 9761 | 9800
    ) || (m == 8720 && matches!(t.site(), 44 | 69))
}

/// Basis of diagnosis/histology (IARC check #10): a specific histology needs a microscopic
/// basis (5–8) except for the histologies that imaging, markers or clinical signs establish.
fn check_basis(t: &CodedTumour, out: &mut Vec<Violation>) {
    let Some(basis) = t.basis else { return };
    let m = t.morphology.code();
    if !(5..=8).contains(&basis) && basis != 9 && !accepted_without_microscopy(m, t.topography) {
        out.push(Violation::warning(
            "iarc.basis-histology",
            format!("specific histology {m} with a non-microscopic basis of diagnosis {basis}"),
        ));
    }
}

/// The grades (besides 9, unknown) that IARC check #9 allows for a malignant morphology, or
/// `None` when any grade 1–4 is allowed.
fn allowed_grades(m: u16) -> Option<&'static [u8]> {
    const T_CELL: &[u16] = &[9702, 9705, 9708, 9709, 9716, 9717, 9718, 9719, 9724, 9726, 9729, 9827, 9834, 9837];
    const B_CELL_SINGLE: &[u16] = &[9712, 9728, 9737, 9738, 9823, 9833, 9836];
    Some(match m {
        8331 | 9187 | 9511 => &[1],
        8249 | 8332 | 9083 | 9243 | 9372 => &[2],
        8631 | 8634 => &[3],
        8020 | 8021 | 8805 | 9062 | 9082 | 9392 | 9401 | 9451 | 9505 | 9512 => &[4],
        9714 => &[4, 5, 7],
        _ if T_CELL.contains(&m) => &[5],
        9700..=9719 => &[5, 8],
        9670..=9699 | 9811..=9818 => &[6],
        _ if B_CELL_SINGLE.contains(&m) => &[6],
        9948 => &[8],
        _ => return None,
    })
}

/// Grade/histology (IARC check #9): only malignant tumours are graded; some histologies imply
/// their grade; grades 5–8 (T, B, null and NK cell) belong to the haematological morphologies.
fn check_grade(t: &CodedTumour, out: &mut Vec<Violation>) {
    let Some(grade) = t.grade.filter(|&g| g != 9) else { return };
    let m = t.morphology.code();
    let problem = if t.behaviour != Behaviour::Malignant {
        Some(format!("grade {grade} on a non-malignant tumour (behaviour /{}): only grade 9 applies", t.behaviour))
    } else {
        match allowed_grades(m) {
            Some(allowed) if !allowed.contains(&grade) => {
                let list: Vec<String> = allowed.iter().map(u8::to_string).collect();
                Some(format!("morphology {m} implies grade {} (or 9), not {grade}", list.join(" or ")))
            }
            None if grade >= 5 && m < 9590 => {
                Some(format!("grade {grade} (a cell-lineage grade) on a non-haematological morphology {m}"))
            }
            _ => None,
        }
    };
    if let Some(message) = problem {
        out.push(Violation::error("iarc.grade", message));
    }
}

/// One row of `data/iarc_combinations.csv`.
struct Combination {
    rule: &'static str,
    sex: Option<Sex>,
    ages: std::ops::RangeInclusive<u16>,
    topography: CodeSet,
    morphology: CodeSet,
    behaviours: Vec<u8>,
    note: &'static str,
}

impl Combination {
    fn matches(&self, t: &CodedTumour) -> bool {
        self.sex.is_none_or(|s| s == t.sex)
            && self.ages.contains(&t.age)
            && self.behaviours.contains(&t.behaviour.code())
            && self.morphology.contains(t.morphology.code())
            && self.topography.contains(t.topography.ordinal())
    }
}

/// One row of `data/iarc_site_histology.csv`.
struct SiteHistology {
    morphology: CodeSet,
    must: bool,
    topography: CodeSet,
    label: &'static str,
}

/// A table of checks and its rows by morphology.
type Indexed<T> = (Vec<T>, MorphologyIndex);

fn combinations() -> &'static Indexed<Combination> {
    static TABLE: OnceLock<Indexed<Combination>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let file = "iarc_combinations.csv";
        let bad = |what: &str, e: String| -> ! { panic!("data/{file}: {what}: {e}") };
        let header = ["rule", "sex", "age_min", "age_max", "topography", "morphology", "behaviour", "note"];
        let rows: Vec<Combination> = data_rows(file, include_str!("../data/iarc_combinations.csv"), &header)
            .into_iter()
            .map(|f| Combination {
                rule: crate::rules::rule(f[0]).unwrap_or_else(|| bad("rule", f[0].into())).id,
                sex: match f[1] {
                    "*" => None,
                    s => Some(Sex::parse(s).unwrap_or_else(|| bad("sex", s.into()))),
                },
                ages: f[2].parse().unwrap_or_else(|_| bad("age", f[2].into()))
                    ..=f[3].parse().unwrap_or_else(|_| bad("age", f[3].into())),
                topography: CodeSet::topographies(f[4]).unwrap_or_else(|e| bad("topography", e)),
                morphology: CodeSet::morphologies(f[5]).unwrap_or_else(|e| bad("morphology", e)),
                behaviours: f[6].bytes().map(|b| b - b'0').collect(),
                note: f[7],
            })
            .collect();
        let index = MorphologyIndex::new(rows.iter().map(|r: &Combination| &r.morphology));
        (rows, index)
    })
}

fn site_histology() -> &'static Indexed<SiteHistology> {
    static TABLE: OnceLock<Indexed<SiteHistology>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let file = "iarc_site_histology.csv";
        let bad = |what: &str, e: String| -> ! { panic!("data/{file}: {what}: {e}") };
        let header = ["morphology", "kind", "topography", "label"];
        let rows: Vec<SiteHistology> = data_rows(file, include_str!("../data/iarc_site_histology.csv"), &header)
            .into_iter()
            .map(|f| SiteHistology {
                morphology: CodeSet::morphologies(f[0]).unwrap_or_else(|e| bad("morphology", e)),
                must: match f[1] {
                    "must" => true,
                    "must_not" => false,
                    k => bad("kind", k.into()),
                },
                topography: CodeSet::topographies(f[2]).unwrap_or_else(|e| bad("topography", e)),
                label: f[3],
            })
            .collect();
        let index = MorphologyIndex::new(rows.iter().map(|r: &SiteHistology| &r.morphology));
        (rows, index)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_load() {
        assert_eq!(combinations().0.len(), 15);
        assert_eq!(site_histology().0.len(), 70);
    }

    /// A row of `reference/iarc_checks_canreg5.csv` (or of its differences file): the
    /// combinations one of CanReg5's checks flags.
    struct Flagged {
        check: String,
        sex: Option<Sex>,
        ages: Option<(u16, u16)>,
        behaviour: Option<u8>,
        topography: CodeSet,
        morphology: CodeSet,
    }

    impl Flagged {
        fn parse(f: &[&str]) -> Self {
            Flagged {
                check: f[0].to_string(),
                sex: (f[1] != "*").then(|| Sex::parse(f[1]).unwrap()),
                ages: (f[2] != "*").then(|| {
                    let (a, b) = f[2].split_once('-').unwrap();
                    (a.parse().unwrap(), b.parse().unwrap())
                }),
                behaviour: (f[3] != "*").then(|| f[3].parse().unwrap()),
                topography: CodeSet::topographies(f[4]).unwrap(),
                morphology: CodeSet::morphologies(f[5]).unwrap(),
            }
        }

        fn contains(&self, check: &str, t: &CodedTumour) -> bool {
            self.check == check
                && self.sex.is_none_or(|s| s == t.sex)
                && self.ages.is_none_or(|(a, b)| (a..=b).contains(&t.age))
                && self.behaviour.is_none_or(|b| b == t.behaviour.code())
                && self.topography.contains(t.topography.ordinal())
                && self.morphology.contains(t.morphology.code())
        }
    }

    fn reference(name: &str) -> Vec<Vec<String>> {
        let path = format!("{}/reference/{name}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(path).unwrap();
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .skip(1)
            .map(|l| l.splitn(7, ',').map(str::to_string).collect())
            .collect()
    }

    /// Every combination of CanReg5's 330 topographies, the morphologies of its MorphFam table,
    /// behaviours 0-3 (where a check reads them), both sexes and the ages where a check changes
    /// (0 to 120): oncodata's IARC checks flag what CanReg5's flag, except the differences
    /// listed with their reason in `reference/iarc_checks_differences.csv`.
    #[test]
    fn equal_to_canreg5_on_every_combination() {
        let rows = reference("iarc_checks_canreg5.csv");
        let domain = CodeSet::morphologies(&rows[0][5]).unwrap();
        assert_eq!(rows[0][0], "domain");
        let flagged: Vec<Flagged> =
            rows[1..].iter().map(|r| Flagged::parse(&r.iter().map(String::as_str).collect::<Vec<_>>())).collect();
        let differences: Vec<(Flagged, String)> = reference("iarc_checks_differences.csv")
            .iter()
            .map(|r| (Flagged::parse(&r.iter().map(String::as_str).collect::<Vec<_>>()), r[6].clone()))
            .collect();
        let mut used = vec![0usize; differences.len()];
        // The ages where a row of either side begins or ends, and their neighbours.
        let mut ages: Vec<u16> = vec![0, 120];
        for (a, b) in flagged
            .iter()
            .filter_map(|f| f.ages)
            .chain(combinations().0.iter().map(|c| (*c.ages.start(), (*c.ages.end()).min(120))))
        {
            ages.extend([a, b, a.saturating_sub(1), (b + 1).min(120)]);
        }
        ages.sort_unstable();
        ages.dedup();
        let morphologies: Vec<Morphology> = (8000..=9999u16)
            .filter(|m| domain.contains(*m))
            .map(|m| Morphology::parse(&m.to_string()).unwrap())
            .collect();
        let checks = [
            ("topography-morphology", "iarc.site-histology"),
            ("sex-morphology", "iarc.sex-morphology"),
            ("age-topography", "iarc.age-topography"),
            ("age-morphology", "iarc.age-morphology"),
            ("age-topography-morphology", "iarc.age-topography-morphology"),
            ("topography-behaviour", "iarc.topography-behaviour"),
        ];
        // What oncodata's tables flag (as `check` applies them, without building the messages).
        let ours = |rule: &str, t: &CodedTumour| {
            let m = t.morphology.code();
            if rule == "iarc.site-histology" {
                let (rows, index) = site_histology();
                index.rows(m).any(|i| rows[i].must != rows[i].topography.contains(t.topography.ordinal()))
            } else {
                let (rows, index) = combinations();
                index.rows(m).any(|i| rows[i].rule == rule && rows[i].matches(t))
            }
        };
        // CanReg5's rows by check, indexed by morphology.
        let theirs_of: Vec<(Vec<&Flagged>, MorphologyIndex)> = checks
            .iter()
            .map(|(name, _)| {
                let rows: Vec<&Flagged> = flagged.iter().filter(|f| f.check == *name).collect();
                let index = MorphologyIndex::new(rows.iter().map(|f| &f.morphology));
                (rows, index)
            })
            .collect();
        let mut unexplained = Vec::new();
        let mut compared = 0usize;
        for t in Topography::all() {
            for &m in &morphologies {
                for b in [Behaviour::Benign, Behaviour::Uncertain, Behaviour::InSitu, Behaviour::Malignant] {
                    for sex in [Sex::Male, Sex::Female] {
                        // Only the age checks read the age: the others are compared at one age.
                        let at: &[u16] = if b == Behaviour::Malignant && sex == Sex::Female { &ages } else { &[50] };
                        for &age in at {
                            let tumour = CodedTumour {
                                sex,
                                age,
                                topography: t,
                                morphology: m,
                                behaviour: b,
                                grade: None,
                                basis: None,
                            };
                            for (k, (name, rule)) in checks.iter().enumerate() {
                                if age != 50 && !name.starts_with("age") {
                                    continue;
                                }
                                compared += 1;
                                let ours = ours(rule, &tumour);
                                let (rows, index) = &theirs_of[k];
                                let theirs = index.rows(m.code()).any(|i| rows[i].contains(name, &tumour));
                                if ours == theirs {
                                    continue;
                                }
                                match differences.iter().position(|(d, _)| d.contains(name, &tumour)) {
                                    Some(i) => used[i] += 1,
                                    None => unexplained.push(format!(
                                        "{name}: {t} {m}/{b} {} age {age}: CanReg5 {theirs}, oncodata {ours}",
                                        sex.label()
                                    )),
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(compared > 5_000_000, "{compared}");
        let n = unexplained.len();
        unexplained.truncate(40);
        assert!(
            n == 0,
            "{n} combinations differ from CanReg5 without a documented reason:\n{}",
            unexplained.join("\n")
        );
        for (i, (_, why)) in differences.iter().enumerate() {
            assert!(used[i] > 0, "documented difference no longer occurs: {why}");
        }
    }
}
