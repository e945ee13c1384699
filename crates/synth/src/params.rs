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
    rows("incidence.csv", include_str!("../data/incidence.csv"), "site_group,sex,cases,peak_age,spread,net_survival_5y")
        .into_iter()
        .map(|f| SiteParams {
            site_group: f[0],
            sex: sex("incidence.csv", f[1]),
            cases: num("incidence.csv", f[2]),
            peak_age: num("incidence.csv", f[3]),
            spread: num("incidence.csv", f[4]),
            net_survival_5y: num("incidence.csv", f[5]),
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
            unspecified_keeps_group: {
                use oncodata_coding::{Behaviour, Morphology, Topography, site_group};
                let t = Topography::parse(f[2]).expect("data/site_coding.csv: topography");
                let group = |m: &str| {
                    let m = Morphology::parse(m).expect("data/site_coding.csv: morphology");
                    site_group::classify(t, m, Behaviour::Malignant).map(|g| g.id)
                };
                group("8000") == group(f[3])
            },
        })
        .collect()
});

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
