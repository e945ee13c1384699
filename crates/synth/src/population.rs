//! Population denominators: each département's population spread over sexes and age groups
//! with the national pyramid, which ages year by year from its 2021 state (INSEE) by a
//! cohort-component projection — a fifth of each five-year group moves up a group each year,
//! deaths follow the generator's population mortality (the life table's), births keep the 2021
//! level — while the total grows by [`ANNUAL_GROWTH`] a year (INSEE: +0.3 % a year over
//! 2015–2021; net migration makes up the difference). Years before 2021 carry the projection's
//! ageing back linearly.

use std::sync::LazyLock;

use oncodata_coding::AgeGroup;
use oncodata_model::{PopulationCount, Sex};

use crate::params::{AGE_PYRAMID, Departement, sex_index};

/// Yearly population growth factor.
pub const ANNUAL_GROWTH: f64 = 1.003;

/// The year of the INSEE pyramid the projection starts from.
pub const BASE_YEAR: i32 = 2021;

/// First and last years the projection covers.
const YEARS: (i32, i32) = (2000, 2080);

type Pyramid = [[f64; AgeGroup::COUNT]; 2];

/// Share of the national population in each sex and age group in 2021.
pub fn pyramid_shares() -> Pyramid {
    shares_in(BASE_YEAR)
}

/// Probability of dying within a year at the ages of a group (the generator's mortality over
/// the group's middle year of age; 85+ at 90).
fn death_probability(sex: Sex, g: usize) -> f64 {
    let mid = if g == AgeGroup::COUNT - 1 { 90.0 } else { 5.0 * g as f64 + 2.5 };
    1.0 - (-crate::cases::mean_population_hazard(sex, mid - 0.5, mid + 0.5)).exp()
}

/// One year forward: survivors stay in their group (4/5) or move up (1/5; the open 85+ group
/// keeps all its survivors), and `births` enter the first group.
fn forward(p: &[f64; AgeGroup::COUNT], sex: Sex, births: f64) -> [f64; AgeGroup::COUNT] {
    let last = AgeGroup::COUNT - 1;
    let surv: Vec<f64> = (0..AgeGroup::COUNT).map(|g| p[g] * (1.0 - death_probability(sex, g))).collect();
    let mut n = [0.0; AgeGroup::COUNT];
    for g in 0..AgeGroup::COUNT {
        let stay = if g == last { surv[g] } else { 0.8 * surv[g] };
        let from_below = if g == 0 { births } else { 0.2 * surv[g - 1] };
        n[g] = stay + from_below;
    }
    n
}

/// The national pyramid (persons by sex and group, total 1 in 2021) of every projected year.
static PROJECTION: LazyLock<Vec<Pyramid>> = LazyLock::new(|| {
    let total: f64 = AGE_PYRAMID.iter().flatten().sum();
    let mut base = *AGE_PYRAMID;
    base.iter_mut().flatten().for_each(|v| *v /= total);
    // Births a year: a fifth of the 2021 0-4 group.
    let births: [f64; 2] = [0, 1].map(|s| base[s][0] / 5.0);
    let sexes = [Sex::Male, Sex::Female];
    let n = (YEARS.1 - YEARS.0 + 1) as usize;
    let mut years = vec![[[0.0; AgeGroup::COUNT]; 2]; n];
    let at = |y: i32| (y - YEARS.0) as usize;
    years[at(BASE_YEAR)] = base;
    for y in BASE_YEAR + 1..=YEARS.1 {
        let prev = years[at(y - 1)];
        years[at(y)] = [0, 1].map(|s| forward(&prev[s], sexes[s], births[s]));
    }
    // Before 2021 the cohort recursion cannot be run backwards stably (five-year groups): the
    // ageing of the first five projected years is carried back linearly instead.
    let step = [0, 1].map(|s| {
        let (a, b) = (years[at(BASE_YEAR)][s], years[at(BASE_YEAR + 5)][s]);
        let mut d = [0.0; AgeGroup::COUNT];
        for g in 0..AgeGroup::COUNT {
            d[g] = (b[g] - a[g]) / 5.0;
        }
        d
    });
    for y in YEARS.0..BASE_YEAR {
        let k = (BASE_YEAR - y) as f64;
        years[at(y)] = [0, 1].map(|s| {
            let mut p = base[s];
            for g in 0..AgeGroup::COUNT {
                p[g] = (p[g] - k * step[s][g]).max(0.05 * base[s][g]);
            }
            p
        });
    }
    years
});

/// Share of the national population in each sex and age group in `year` (clamped to the
/// projected years).
pub fn shares_in(year: i32) -> Pyramid {
    let p = PROJECTION[(year.clamp(YEARS.0, YEARS.1) - YEARS.0) as usize];
    let total: f64 = p.iter().flatten().sum();
    p.map(|s| s.map(|v| v / total))
}

/// The national population (persons) by sex and age group in `year`: the 101 départements'
/// 2021 total grown to `year`, spread with that year's pyramid.
pub fn national_persons(year: i32) -> Pyramid {
    let france: f64 = crate::params::DEPARTEMENTS.iter().map(|d| d.population).sum();
    let total = france * ANNUAL_GROWTH.powi(year - BASE_YEAR);
    shares_in(year).map(|s| s.map(|v| v * total))
}

/// Mid-year persons of a département in one year, sex and age group (whole persons), for a
/// population scaled by `scale` (1.0 = the real population; 0.01 for quick runs).
pub fn persons(dep: &Departement, year: i32, sex: Sex, group: AgeGroup, scale: f64) -> f64 {
    let share = SHARES[(year.clamp(YEARS.0, YEARS.1) - YEARS.0) as usize][sex_index(sex)][group.index()];
    (dep.population * scale * share * ANNUAL_GROWTH.powi(year - BASE_YEAR)).round()
}

/// [`shares_in`] of every projected year, computed once.
static SHARES: LazyLock<Vec<Pyramid>> = LazyLock::new(|| (YEARS.0..=YEARS.1).map(shares_in).collect());

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

    #[test]
    fn the_population_ages_year_by_year() {
        let mean_age = |y: i32| -> f64 {
            let s = shares_in(y);
            (0..AgeGroup::COUNT).map(|g| (5.0 * g as f64 + 2.5) * (s[0][g] + s[1][g])).sum()
        };
        // Ageing: the mean age rises (France: about +0.25 year a year in the 2010s).
        let (a2010, a2021, a2024) = (mean_age(2010), mean_age(2021), mean_age(2024));
        assert!(a2010 < a2021 && a2021 < a2024, "{a2010} {a2021} {a2024}");
        assert!((0.1..0.5).contains(&((a2024 - a2010) / 14.0)), "{a2010} -> {a2024}");
        // The 70-74 group of 2026 are the survivors of the 65-69 of 2021, give or take a fifth.
        assert!(shares_in(2026)[1][14] > 0.7 * shares_in(2021)[1][13]);
        // Before 2021, ageing continues backwards: 2016 is younger than 2021 by about what 2026
        // is older.
        let (a2016, a2026) = (mean_age(2016), mean_age(2026));
        assert!(((a2021 - a2016) - (a2026 - a2021)).abs() < 0.05, "{a2016} {a2021} {a2026}");
    }
}
