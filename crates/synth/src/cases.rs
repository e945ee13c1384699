//! Cancer cases: how many (Poisson counts from age-specific rates calibrated on the national
//! estimates), who (age, sex, birth date, residence), what (ICD-O-3 coding, grade, basis of
//! diagnosis, stage) and what became of them (death from an excess hazard on top of population
//! mortality, or censoring at the end of follow-up).

use chrono::{Datelike, Duration, NaiveDate};
use oncodata_coding::AgeGroup;
use oncodata_model::Sex;
use oncodata_model::date::completed_years;
use rand::Rng;
use rand_distr::{Distribution, Exp1, Poisson};

use crate::params::{CODING, DEPARTEMENTS, SITES, SiteParams, sex_index};
use crate::population::pyramid_shares;

/// Age-specific incidence rates (per person-year) of every site group and sex, calibrated so
/// that France's population yields the national number of cases:
/// `rate(g) = K · exp(−(age_g − peak)² / (2 spread²))`, `K = cases / Σ_g shape(g) · N_g`.
#[derive(Debug, Clone)]
pub struct IncidenceModel {
    /// `(site parameters, rate per age group)`.
    pub rates: Vec<(&'static SiteParams, [f64; AgeGroup::COUNT])>,
}

/// The age a group stands for in the rate curve: its middle (90 for 85+).
fn representative_age(g: AgeGroup) -> f64 {
    if g.index() == AgeGroup::COUNT - 1 { 90.0 } else { g.lower_age() as f64 + 2.5 }
}

impl IncidenceModel {
    /// Calibrates the rates on the national population.
    pub fn calibrate() -> Self {
        let france: f64 = DEPARTEMENTS.iter().map(|d| d.population).sum();
        let shares = pyramid_shares();
        let rates = SITES
            .iter()
            .map(|p| {
                let shape: Vec<f64> = AgeGroup::all()
                    .map(|g| {
                        let d = representative_age(g) - p.peak_age;
                        (-d * d / (2.0 * p.spread * p.spread)).exp()
                    })
                    .collect();
                let people = &shares[sex_index(p.sex)];
                let expected_per_k: f64 = shape.iter().zip(people).map(|(s, share)| s * share * france).sum();
                let k = p.cases / expected_per_k;
                let mut r = [0.0; AgeGroup::COUNT];
                for (i, s) in shape.iter().enumerate() {
                    r[i] = k * s;
                }
                (p, r)
            })
            .collect();
        Self { rates }
    }
}

/// Population mortality of the generator: a Gompertz hazard `exp(c + b·age)` per person-year,
/// fitted by eye to the French life tables of the 2010s (INSEE): about 0.8 % a year for men at
/// 60 and 4.6 % at 80; 0.4 % and 2.8 % for women.
pub fn population_hazard(sex: Sex, age_years: f64) -> f64 {
    let (c, b) = gompertz(sex);
    (c + b * age_years).exp()
}

/// The mean Gompertz hazard between two ages, `∫ e^{c+bx} dx / (to − from)`: the life-table
/// hazard of a year of age that reproduces the simulation's cumulative hazard.
pub fn mean_population_hazard(sex: Sex, from: f64, to: f64) -> f64 {
    let (c, b) = gompertz(sex);
    ((c + b * to).exp() - (c + b * from).exp()) / b / (to - from)
}

/// The constant excess hazard (per year) of a site group and sex: `−ln(S₅)/5`, so that its net
/// survival at 5 years is the target.
pub fn excess_hazard(params: &SiteParams) -> f64 {
    -params.net_survival_5y.ln() / 5.0
}

fn gompertz(sex: Sex) -> (f64, f64) {
    match sex {
        Sex::Female => (-11.4, 0.098),
        _ => (-10.6, 0.094),
    }
}

/// Time (years) to death from all causes for a person aged `age` with a constant excess hazard
/// `excess`, given a standard exponential draw `e`: solves `H(t) = e` with
/// `H(t) = excess·t + (exp(c + b(age+t)) − exp(c + b·age)) / b` by bisection.
pub fn time_to_death(sex: Sex, age: f64, excess: f64, e: f64) -> f64 {
    let (c, b) = gompertz(sex);
    let h = |t: f64| excess * t + ((c + b * (age + t)).exp() - (c + b * age).exp()) / b;
    let (mut lo, mut hi) = (0.0_f64, 150.0_f64);
    for _ in 0..80 {
        let mid = 0.5 * (lo + hi);
        if h(mid) < e { lo = mid } else { hi = mid }
    }
    0.5 * (lo + hi)
}

/// One synthetic cancer case, with everything a registry records about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// Sequential number in the data set, from 1.
    pub number: u64,
    /// Département of residence (INSEE code).
    pub departement: &'static str,
    /// Sex.
    pub sex: Sex,
    /// Date of birth.
    pub birth_date: NaiveDate,
    /// Date of incidence.
    pub incidence_date: NaiveDate,
    /// Age at incidence in completed years.
    pub age: u16,
    /// True site group.
    pub site_group: &'static str,
    /// ICD-O-3 topography, `C50.9`.
    pub topography: &'static str,
    /// ICD-O-3 morphology, `8500`.
    pub morphology: &'static str,
    /// Grade (9 = not determined).
    pub grade: u8,
    /// Most valid basis of diagnosis (IARC codes).
    pub basis: u8,
    /// Stage group (`I`–`IV`, `X` unknown; empty for haematological malignancies).
    pub stage: &'static str,
    /// Date of last contact, or of death.
    pub last_contact: NaiveDate,
    /// Whether the patient died by `last_contact`.
    pub dead: bool,
}

fn pick<'a, T>(rng: &mut impl Rng, items: &'a [(T, f64)]) -> &'a T {
    let total: f64 = items.iter().map(|(_, w)| w).sum();
    let mut u = rng.random::<f64>() * total;
    for (item, w) in items {
        if u < *w {
            return item;
        }
        u -= w;
    }
    &items.last().expect("non-empty choice").0
}

/// Draws the cases of one département, year, sex and age group for every site group, in the
/// order of the incidence table; `next_number` numbers them.
#[allow(clippy::too_many_arguments)]
pub fn draw_cases(
    rng: &mut impl Rng,
    model: &IncidenceModel,
    departement: &'static str,
    year: i32,
    sex: Sex,
    group: AgeGroup,
    persons: f64,
    follow_up_end: NaiveDate,
    next_number: &mut u64,
) -> Vec<Case> {
    let mut out = Vec::new();
    for (params, rates) in model.rates.iter().filter(|(p, _)| p.sex == sex) {
        let expected = rates[group.index()] * persons;
        if expected <= 0.0 {
            continue;
        }
        let n = Poisson::new(expected).expect("positive mean").sample(rng) as u64;
        for _ in 0..n {
            *next_number += 1;
            out.push(one_case(rng, params, departement, year, sex, group, follow_up_end, *next_number));
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn one_case(
    rng: &mut impl Rng,
    params: &'static SiteParams,
    departement: &'static str,
    year: i32,
    sex: Sex,
    group: AgeGroup,
    follow_up_end: NaiveDate,
    number: u64,
) -> Case {
    let age: u16 = if group.index() == AgeGroup::COUNT - 1 {
        let e: f64 = Exp1.sample(rng);
        (85.0 + 5.0 * e).min(104.0) as u16
    } else {
        group.lower_age() as u16 + rng.random_range(0..5)
    };
    let jan1 = NaiveDate::from_ymd_opt(year, 1, 1).expect("year");
    let days_in_year = NaiveDate::from_ymd_opt(year + 1, 1, 1).expect("year").signed_duration_since(jan1).num_days();
    let incidence_date = jan1 + Duration::days(rng.random_range(0..days_in_year));
    // A birth date whose completed age at incidence is `age`: the last birthday falls in the
    // year before incidence.
    let last_birthday = incidence_date - Duration::days(rng.random_range(0..365));
    let birth_year = last_birthday.year() - age as i32;
    // A 29 February birthday in a common year falls back to the 28th (one day earlier, so the
    // age at incidence is unchanged).
    let birth_date = NaiveDate::from_ymd_opt(birth_year, last_birthday.month(), last_birthday.day())
        .or_else(|| NaiveDate::from_ymd_opt(birth_year, 2, 28))
        .expect("valid date");
    debug_assert_eq!(completed_years(birth_date, incidence_date), age as i32);

    let options: Vec<(&crate::params::SiteCoding, f64)> = CODING
        .iter()
        .filter(|c| c.site_group == params.site_group && c.sex.is_none_or(|s| s == sex))
        .map(|c| (c, c.weight))
        .collect();
    let coding = *pick(rng, &options);
    let haematological = coding.morphology.starts_with("97")
        || coding.morphology.starts_with("98")
        || coding.morphology.starts_with("99")
        || coding.morphology.starts_with("96");
    let basis = *pick(rng, &[(7u8, 80.0), (6, 2.0), (5, 8.0), (4, 1.0), (2, 5.0), (1, 2.5), (0, 1.5)]);
    // Without microscopic verification a solid tumour's histology is unknown: 8000, unless the
    // histology is what defines its site group (a clinically diagnosed melanoma stays 8720).
    let morphology =
        if basis < 5 && !haematological && coding.unspecified_keeps_group { "8000" } else { coding.morphology };
    let grade =
        if haematological || morphology == "8000" || params.site_group == "melanoma" || params.site_group == "cns" {
            9
        } else {
            *pick(rng, &[(1u8, 25.0), (2, 40.0), (3, 25.0), (9, 10.0)])
        };
    let stage = if haematological {
        ""
    } else {
        let advanced = 0.1 + 0.5 * (1.0 - params.net_survival_5y);
        let early = (1.0 - advanced - 0.1) / 3.0;
        *pick(rng, &[("I", early * 1.4), ("II", early), ("III", early * 0.6), ("IV", advanced), ("X", 0.1)])
    };

    let excess = excess_hazard(params);
    let exact_age = incidence_date.signed_duration_since(birth_date).num_days() as f64 / 365.25;
    let t = time_to_death(sex, exact_age, excess, Exp1.sample(rng));
    let death = incidence_date + Duration::days((t * 365.25).floor() as i64);
    let (mut last_contact, dead) = if death <= follow_up_end { (death, true) } else { (follow_up_end, false) };
    // One case in a hundred is lost to follow-up before death or the end of follow-up.
    let lost = rng.random::<f64>() < 0.01;
    let dead = dead && !lost;
    if lost {
        let span = last_contact.signed_duration_since(incidence_date).num_days().max(1);
        last_contact = incidence_date + Duration::days(rng.random_range(0..span));
    }
    Case {
        number,
        departement,
        sex,
        birth_date,
        incidence_date,
        age,
        site_group: params.site_group,
        topography: coding.topography,
        morphology,
        grade,
        basis,
        stage,
        last_contact,
        dead,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_reproduces_the_national_count() {
        let m = IncidenceModel::calibrate();
        let france: f64 = DEPARTEMENTS.iter().map(|d| d.population).sum();
        let shares = pyramid_shares();
        for (p, r) in &m.rates {
            let n: f64 = (0..AgeGroup::COUNT).map(|g| r[g] * shares[sex_index(p.sex)][g] * france).sum();
            assert!((n / p.cases - 1.0).abs() < 1e-9, "{} {:?}", p.site_group, p.sex);
        }
    }

    #[test]
    fn survival_without_excess_follows_the_gompertz_law() {
        // With no excess hazard, S(t) = exp(-(e^{c+b(a+t)} - e^{c+ba})/b); invert for e = 1.
        let t = time_to_death(Sex::Male, 60.0, 0.0, 1.0);
        let (c, b) = (-10.6_f64, 0.094_f64);
        let expected = (((c + b * 60.0).exp() + b).ln() - c) / b - 60.0;
        assert!((t - expected).abs() < 1e-9, "{t} vs {expected}");
        // With only an excess hazard of 0.2/yr (young ages make population mortality small),
        // e = 1 gives about 5 years.
        let t = time_to_death(Sex::Female, 0.0, 0.2, 1.0);
        assert!((t - 5.0).abs() < 0.01, "{t}");
    }
}
