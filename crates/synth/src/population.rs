//! Population denominators: each département's 2021 population spread over sexes and age
//! groups with the national pyramid, growing by [`ANNUAL_GROWTH`] a year (INSEE: +0.3 % a year
//! over 2015–2021).

use oncodata_coding::AgeGroup;
use oncodata_model::{PopulationCount, Sex};

use crate::params::{AGE_PYRAMID, Departement, sex_index};

/// Yearly population growth factor.
pub const ANNUAL_GROWTH: f64 = 1.003;

/// Share of the national population in each sex and age group.
pub fn pyramid_shares() -> [[f64; AgeGroup::COUNT]; 2] {
    let total: f64 = AGE_PYRAMID.iter().flatten().sum();
    let mut s = *AGE_PYRAMID;
    s.iter_mut().flatten().for_each(|v| *v /= total);
    s
}

/// Mid-year persons of a département in one year, sex and age group (whole persons), for a
/// population scaled by `scale` (1.0 = the real population; 0.01 for quick runs).
pub fn persons(dep: &Departement, year: i32, sex: Sex, group: AgeGroup, scale: f64) -> f64 {
    let share = pyramid_shares()[sex_index(sex)][group.index()];
    (dep.population * scale * share * ANNUAL_GROWTH.powi(year - 2021)).round()
}

/// All denominator rows of some départements and years, in a fixed order (département, year,
/// sex, age group).
pub fn denominators(deps: &[&Departement], years: &[i32], scale: f64) -> Vec<PopulationCount> {
    let mut rows = Vec::new();
    for dep in deps {
        for &year in years {
            for sex in [Sex::Male, Sex::Female] {
                for group in AgeGroup::all() {
                    rows.push(PopulationCount {
                        area: dep.code.to_string(),
                        year,
                        sex,
                        age_group: group.label(),
                        persons: persons(dep, year, sex, group, scale),
                    });
                }
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::departement;

    #[test]
    fn a_departement_sums_to_its_population() {
        let manche = departement("50").unwrap();
        let rows = denominators(&[manche], &[2021], 1.0);
        assert_eq!(rows.len(), 36);
        let total: f64 = rows.iter().map(|r| r.persons).sum();
        assert!((total - 492_000.0).abs() < 36.0, "{total}");
        let next: f64 = denominators(&[manche], &[2022], 1.0).iter().map(|r| r.persons).sum();
        assert!((next / total - ANNUAL_GROWTH).abs() < 1e-4);
    }
}
