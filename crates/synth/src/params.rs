//! The calibration tables in `data/`, loaded once: départements, the national age pyramid, the
//! incidence and survival targets by site group and sex, and the coding mix of each site group.

use std::sync::LazyLock;

use oncodata_coding::AgeGroup;
use oncodata_model::Sex;

/// A département: INSEE code, name, population on 1 January 2021, registry coverage.
#[derive(Debug, Clone)]
pub struct Departement {
    /// INSEE code (`50`, `2A`, `974`).
    pub code: &'static str,
    /// Name.
    pub name: &'static str,
    /// Legal population 2021.
    pub population: f64,
    /// Whether a general cancer registry covers it.
    pub registry: bool,
}

/// Incidence and survival parameters of one site group and sex.
#[derive(Debug, Clone)]
pub struct SiteParams {
    /// Site group id (oncodata-coding's `site_groups.csv`).
    pub site_group: &'static str,
    /// Sex.
    pub sex: Sex,
    /// New cases a year in France.
    pub cases: f64,
    /// Age of the peak of the log-rate curve.
    pub peak_age: f64,
    /// Spread (years) of the log-rate curve.
    pub spread: f64,
    /// 5-year net survival.
    pub net_survival_5y: f64,
    /// Annual percent change of the rate around 2023.
    pub apc: f64,
}

impl SiteParams {
    /// Whether the site counts among the poor-prognosis cancers of the ten-year strategy:
    /// 5-year survival under 33 % (INCa, *cancers de mauvais pronostic*).
    pub fn poor_prognosis(&self) -> bool {
        self.net_survival_5y < 0.33
    }
}

/// One childhood and adolescent cancer type (`data/childhood.csv`).
#[derive(Debug, Clone)]
pub struct ChildhoodType {
    /// Label, e.g. `neuroblastoma`.
    pub label: &'static str,
    /// ICD-O-3 morphology.
    pub morphology: &'static str,
    /// ICD-O-3 topography, `C74.9`.
    pub topography: &'static str,
    /// The sex it occurs in, or `None` for both.
    pub sex: Option<Sex>,
    /// Cases a year in France in the age groups 0-4, 5-9, 10-14 and 15-19 (both sexes).
    pub cases: [f64; 4],
    /// Share of boys.
    pub male_share: f64,
    /// 5-year survival.
    pub survival_5y: f64,
}

/// A cancer centre sending clinical-warehouse extracts (`data/cancer_centres.csv`).
#[derive(Debug, Clone)]
pub struct CancerCentre {
    /// Short id, used in file names.
    pub id: &'static str,
    /// Name.
    pub name: &'static str,
    /// City.
    pub city: &'static str,
    /// Establishment number used in the claims (synthetic).
    pub establishment: &'static str,
    /// Extract format.
    pub format: WarehouseFormat,
    /// `(département, share of its cancer patients treated here)`.
    pub catchment: Vec<(&'static str, f64)>,
}

/// The format of a cancer centre's extract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarehouseFormat {
    /// OMOP CDM 5.4 CSV tables.
    Omop,
    /// FHIR R4 mCODE bundles.
    Fhir,
}

/// One coding option of a site group.
#[derive(Debug, Clone)]
pub struct SiteCoding {
    /// Site group id.
    pub site_group: &'static str,
    /// The sex it applies to, or `None` for both.
    pub sex: Option<Sex>,
    /// ICD-O-3 topography, `C50.9`.
    pub topography: &'static str,
    /// ICD-O-3 morphology, `8500`.
    pub morphology: &'static str,
    /// Relative weight within the site group.
    pub weight: f64,
    /// Whether the tumour stays in its site group when its histology is unspecified (8000):
    /// false where the histology defines the group (melanoma, mesothelioma, Kaposi sarcoma).
    pub unspecified_keeps_group: bool,
}

fn rows(name: &str, text: &'static str, header: &str) -> Vec<Vec<&'static str>> {
    let mut lines = text.lines().filter(|l| !l.starts_with('#') && !l.is_empty());
    assert_eq!(lines.next(), Some(header), "data/{name}: header");
    lines.map(|l| l.split(',').collect()).collect()
}

fn num(name: &str, s: &str) -> f64 {
    s.parse().unwrap_or_else(|_| panic!("data/{name}: bad number {s}"))
}

fn sex(name: &str, s: &str) -> Sex {
    match s {
        "male" => Sex::Male,
        "female" => Sex::Female,
        _ => panic!("data/{name}: bad sex {s}"),
    }
}

/// All départements.
pub static DEPARTEMENTS: LazyLock<Vec<Departement>> = LazyLock::new(|| {
    rows("departements.csv", include_str!("../data/departements.csv"), "code,name,population,registry")
        .into_iter()
        .map(|f| Departement {
            code: f[0],
            name: f[1],
            population: num("departements.csv", f[2]),
            registry: f[3] == "yes",
        })
        .collect()
});

/// National population by sex and age group (thousands): `[male, female][age group]`.
pub static AGE_PYRAMID: LazyLock<[[f64; AgeGroup::COUNT]; 2]> = LazyLock::new(|| {
    let mut p = [[0.0; AgeGroup::COUNT]; 2];
    for f in rows("age_pyramid.csv", include_str!("../data/age_pyramid.csv"), "age_group,male,female") {
        let g = AgeGroup::parse(f[0]).expect("data/age_pyramid.csv: age group");
        p[0][g.index()] = num("age_pyramid.csv", f[1]);
        p[1][g.index()] = num("age_pyramid.csv", f[2]);
    }
    p
});

/// Incidence and survival parameters.
pub static SITES: LazyLock<Vec<SiteParams>> = LazyLock::new(|| {
    rows(
        "incidence.csv",
        include_str!("../data/incidence.csv"),
        "site_group,sex,cases,peak_age,spread,net_survival_5y,apc",
    )
    .into_iter()
    .map(|f| SiteParams {
        site_group: f[0],
        sex: sex("incidence.csv", f[1]),
        cases: num("incidence.csv", f[2]),
        peak_age: num("incidence.csv", f[3]),
        spread: num("incidence.csv", f[4]),
        net_survival_5y: num("incidence.csv", f[5]),
        apc: num("incidence.csv", f[6]),
    })
    .collect()
});

/// Childhood and adolescent cancer types.
pub static CHILDHOOD: LazyLock<Vec<ChildhoodType>> = LazyLock::new(|| {
    const NAME: &str = "childhood.csv";
    rows(
        NAME,
        include_str!("../data/childhood.csv"),
        "label,morphology,topography,sex,age_0_4,age_5_9,age_10_14,age_15_19,male_share,survival_5y",
    )
    .into_iter()
    .map(|f| ChildhoodType {
        label: f[0],
        morphology: f[1],
        topography: f[2],
        sex: match f[3] {
            "both" => None,
            s => Some(sex(NAME, s)),
        },
        cases: [num(NAME, f[4]), num(NAME, f[5]), num(NAME, f[6]), num(NAME, f[7])],
        male_share: num(NAME, f[8]),
        survival_5y: num(NAME, f[9]),
    })
    .collect()
});

/// The cancer centres.
pub static CENTRES: LazyLock<Vec<CancerCentre>> = LazyLock::new(|| {
    const NAME: &str = "cancer_centres.csv";
    rows(NAME, include_str!("../data/cancer_centres.csv"), "id,name,city,establishment,format,catchment")
        .into_iter()
        .map(|f| CancerCentre {
            id: f[0],
            name: f[1],
            city: f[2],
            establishment: f[3],
            format: match f[4] {
                "omop" => WarehouseFormat::Omop,
                "fhir" => WarehouseFormat::Fhir,
                other => panic!("data/{NAME}: unknown format {other}"),
            },
            catchment: f[5]
                .split(' ')
                .map(|p| {
                    let (d, s) = p.split_once(':').unwrap_or_else(|| panic!("data/{NAME}: catchment {p}"));
                    (d, num(NAME, s))
                })
                .collect(),
        })
        .collect()
});

/// Coding options of every site group.
pub static CODING: LazyLock<Vec<SiteCoding>> = LazyLock::new(|| {
    rows("site_coding.csv", include_str!("../data/site_coding.csv"), "site_group,sex,topography,morphology,weight")
        .into_iter()
        .map(|f| SiteCoding {
            site_group: f[0],
            sex: match f[1] {
                "both" => None,
                s => Some(sex("site_coding.csv", s)),
            },
            topography: f[2],
            morphology: f[3],
            weight: num("site_coding.csv", f[4]),
            unspecified_keeps_group: unspecified_keeps_group("site_coding.csv", f[2], f[3]),
        })
        .collect()
});

/// Whether a tumour of `topography` and `morphology` stays in its site group when its
/// histology is unknown (8000): false where the histology defines the group (melanoma,
/// mesothelioma, Kaposi sarcoma), so that a tumour without microscopic verification keeps the
/// histology that makes it what it is. `table` names the data file, for its error message.
pub(crate) fn unspecified_keeps_group(table: &str, topography: &str, morphology: &str) -> bool {
    use oncodata_coding::{Behaviour, Morphology, Topography, site_group};
    let t = Topography::parse(topography).unwrap_or_else(|_| panic!("data/{table}: topography {topography}"));
    let group = |m: &str| {
        let m = Morphology::parse(m).unwrap_or_else(|_| panic!("data/{table}: morphology {m}"));
        site_group::classify(t, m, Behaviour::Malignant).map(|g| g.id)
    };
    group("8000") == group(morphology)
}

/// Index of a sex in the `[male, female]` arrays.
pub fn sex_index(sex: Sex) -> usize {
    match sex {
        Sex::Female => 1,
        _ => 0,
    }
}

/// The département with this INSEE code.
pub fn departement(code: &str) -> Option<&'static Departement> {
    DEPARTEMENTS.iter().find(|d| d.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use oncodata_coding::{Morphology, Topography, site_group};

    #[test]
    fn france_has_101_departements_and_about_68_million_inhabitants() {
        assert_eq!(DEPARTEMENTS.len(), 101);
        let total: f64 = DEPARTEMENTS.iter().map(|d| d.population).sum();
        assert!((66.0e6..69.0e6).contains(&total), "{total}");
        // Registries cover about 22% of the population (INCa activity report 2024).
        let covered: f64 = DEPARTEMENTS.iter().filter(|d| d.registry).map(|d| d.population).sum();
        let share = covered / total;
        assert!((0.20..0.25).contains(&share), "{share}");
    }

    #[test]
    fn national_totals_match_the_2023_estimates() {
        let by_sex = |s| SITES.iter().filter(|p| p.sex == s).map(|p| p.cases).sum::<f64>();
        assert_eq!(by_sex(Sex::Male), 245_610.0);
        assert_eq!(by_sex(Sex::Female), 187_526.0);
    }

    #[test]
    fn every_coding_row_falls_in_its_site_group() {
        for c in CODING.iter() {
            let t = Topography::parse_valid(c.topography).unwrap();
            let m = Morphology::parse_valid(c.morphology).unwrap();
            let g = site_group::classify(t, m, oncodata_coding::Behaviour::Malignant).unwrap();
            assert_eq!(g.id, c.site_group, "{} {}", c.topography, c.morphology);
        }
        for c in CHILDHOOD.iter() {
            let t = Topography::parse_valid(c.topography).unwrap();
            let m = Morphology::parse_valid(c.morphology).unwrap();
            assert!(
                oncodata_coding::iccc::classify(t, m, oncodata_coding::Behaviour::Malignant).is_some(),
                "{}: no ICCC-3 group",
                c.label
            );
        }
        for centre in CENTRES.iter() {
            for (d, share) in &centre.catchment {
                assert!(departement(d).is_some() && *share > 0.0 && *share < 1.0, "{}: {d}", centre.id);
            }
        }
        for s in SITES.iter() {
            assert!(
                CODING.iter().any(|c| c.site_group == s.site_group && c.sex.is_none_or(|x| x == s.sex)),
                "{} has no coding for {:?}",
                s.site_group,
                s.sex
            );
        }
    }
}
