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

use crate::area::AreaRisk;
use crate::identity::{Identity, draw_identity};
use crate::params::{CHILDHOOD, CODING, ChildhoodType, SITES, SiteCoding, SiteParams, sex_index};
use crate::pathway::{Pathway, PathwayInput, draw_pathway};
use crate::population::national_persons;

/// The year of the national estimates the rates are calibrated on.
pub const CALIBRATION_YEAR: i32 = 2023;

/// Age groups (0-4 … 15-19) whose cancers are drawn from the childhood model by ICCC-3 type
/// rather than from the adult site groups.
pub const CHILD_AGE_GROUPS: usize = 4;

/// Excess-hazard multipliers by stage group: generator parameters giving the usual spread of
/// net survival by stage (stage I near the population's, stage IV a few times the site's mean
/// excess mortality); `X` is unknown stage, empty is no TNM stage (haematological malignancies).
pub const STAGE_HAZARD: [(&str, f64); 6] = [("I", 0.3), ("II", 0.7), ("III", 1.4), ("IV", 3.0), ("X", 1.5), ("", 1.0)];

/// Age bands of the excess hazard and their multipliers: excess mortality rises with age at
/// diagnosis (the reason for age-standardising survival with the ICSS weights).
pub const AGE_BANDS: [(&str, u16, f64); 4] =
    [("0-44", 0, 0.6), ("45-64", 45, 0.85), ("65-74", 65, 1.1), ("75+", 75, 1.5)];

/// Index of an age in [`AGE_BANDS`].
pub fn age_band(age: u16) -> usize {
    AGE_BANDS.iter().rposition(|(_, from, _)| age >= *from).unwrap_or(0)
}

/// The stage distribution of a solid tumour: more advanced stages where survival is poor.
/// `advanced = 0.1 + 0.5 (1 − S₅)`, stage unknown 10 %, the rest spread over I–III.
pub fn stage_weights(net_survival_5y: f64) -> [(&'static str, f64); 5] {
    let advanced = 0.1 + 0.5 * (1.0 - net_survival_5y);
    let early = (1.0 - advanced - 0.1) / 3.0;
    [("I", early * 1.4), ("II", early), ("III", early * 0.6), ("IV", advanced), ("X", 0.1)]
}

fn stage_hazard(stage: &str) -> f64 {
    STAGE_HAZARD.iter().find(|(s, _)| *s == stage).map_or(1.0, |(_, m)| *m)
}

/// The generator's incidence and survival model: age-specific rates (per person-year, in 2023)
/// of every adult site group and sex, calibrated so that France's population yields the
/// national number of cases — `rate(g) = K · exp(−(age_g − peak)² / (2 spread²))` for ages 20
/// and over, `K = cases / Σ_g shape(g) · N_g` — with a trend `(1 + apc/100)^(year − 2023)`; the
/// base excess hazard of each site; and the childhood rates by ICCC-3 type.
#[derive(Debug, Clone)]
pub struct IncidenceModel {
    /// `(site parameters, rate per age group in 2023)`.
    pub rates: Vec<(&'static SiteParams, [f64; AgeGroup::COUNT])>,
    /// Base excess hazard (per year) of each site, in the order of `rates`: the excess hazard of
    /// a case is `base × stage multiplier × age multiplier`, the base chosen so that the case
    /// mix's 5-year net survival is the site's target.
    pub excess_base: Vec<f64>,
    /// `(type, rate per person-year by [male, female][age group 0-4 … 15-19])`.
    pub childhood: Vec<(&'static ChildhoodType, [[f64; CHILD_AGE_GROUPS]; 2])>,
    /// The coding options of each site of `rates` and their weights (`data/site_coding.csv`).
    pub coding: Vec<Vec<(&'static SiteCoding, f64)>>,
}

/// The age a group stands for in the rate curve: its middle (90 for 85+).
fn representative_age(g: AgeGroup) -> f64 {
    if g.index() == AgeGroup::COUNT - 1 { 90.0 } else { g.lower_age() as f64 + 2.5 }
}

/// The band of [`AGE_BANDS`] an age group falls in.
fn group_band(g: AgeGroup) -> usize {
    age_band(g.lower_age() as u16)
}

impl IncidenceModel {
    /// Calibrates the rates on the national population, and the excess hazards on the case mix.
    pub fn calibrate() -> Self {
        // The rates are calibrated on the national population of 2023, the estimates' year.
        let people_2023 = national_persons(CALIBRATION_YEAR);
        let mut rates = Vec::new();
        let mut excess_base = Vec::new();
        for p in SITES.iter() {
            let shape: Vec<f64> = AgeGroup::all()
                .map(|g| {
                    if g.index() < CHILD_AGE_GROUPS {
                        return 0.0;
                    }
                    let d = representative_age(g) - p.peak_age;
                    (-d * d / (2.0 * p.spread * p.spread)).exp()
                })
                .collect();
            let people = &people_2023[sex_index(p.sex)];
            let expected_per_k: f64 = shape.iter().zip(people).map(|(s, n)| s * n).sum();
            let k = p.cases / expected_per_k;
            let mut r = [0.0; AgeGroup::COUNT];
            for (i, s) in shape.iter().enumerate() {
                r[i] = k * s;
            }
            // Case mix by age band, then the base hazard that gives the target at 5 years.
            let mut band_weight = [0.0; AGE_BANDS.len()];
            for g in AgeGroup::all() {
                band_weight[group_band(g)] += r[g.index()] * people[g.index()];
            }
            let total: f64 = band_weight.iter().sum();
            band_weight.iter_mut().for_each(|w| *w /= total);
            excess_base.push(calibrate_excess(p, &band_weight));
            rates.push((p, r));
        }
        let childhood = CHILDHOOD
            .iter()
            .map(|c| {
                let mut r = [[0.0; CHILD_AGE_GROUPS]; 2];
                for (sex, share) in [(0, c.male_share), (1, 1.0 - c.male_share)] {
                    for g in 0..CHILD_AGE_GROUPS {
                        r[sex][g] = c.cases[g] * share / people_2023[sex][g];
                    }
                }
                (c, r)
            })
            .collect();
        let coding = rates
            .iter()
            .map(|(p, _)| {
                CODING
                    .iter()
                    .filter(|c| c.site_group == p.site_group && c.sex.is_none_or(|s| s == p.sex))
                    .map(|c| (c, c.weight))
                    .collect()
            })
            .collect();
        Self { rates, excess_base, childhood, coding }
    }

    /// Cases expected in a cell: site `i`'s 2023 rate for the age group, its trend to `year`,
    /// times `factor` (area effect and cluster) and the persons.
    pub fn expected(&self, i: usize, group: AgeGroup, year: i32, factor: f64, persons: f64) -> f64 {
        let (p, r) = &self.rates[i];
        r[group.index()] * trend(p, year) * factor * persons
    }

    /// The excess hazard (per year) of a case of site `i` at this stage and age.
    pub fn excess_hazard(&self, i: usize, stage: &str, age: u16) -> f64 {
        self.excess_base[i] * stage_hazard(stage) * AGE_BANDS[age_band(age)].2
    }
}

/// The rate multiplier of a year: `(1 + apc/100)^(year − 2023)`.
pub fn trend(p: &SiteParams, year: i32) -> f64 {
    (1.0 + p.apc / 100.0).powi(year - 2023)
}

/// Whether a site group's cases get a TNM stage: not for haematological malignancies.
fn staged(p: &SiteParams) -> bool {
    !matches!(p.site_group, "nhl" | "hodgkin" | "acute_leukaemia" | "myeloma" | "other_haematological")
}

/// The 5-year net survival of a site's case mix for a base excess hazard.
fn mix_survival(p: &SiteParams, band_weight: &[f64; AGE_BANDS.len()], base: f64, years: f64) -> f64 {
    let stages: Vec<(&str, f64)> = if staged(p) { stage_weights(p.net_survival_5y).to_vec() } else { vec![("", 1.0)] };
    let mut s = 0.0;
    for (stage, ws) in &stages {
        for (b, wa) in band_weight.iter().enumerate() {
            s += ws * wa * (-years * base * stage_hazard(stage) * AGE_BANDS[b].2).exp();
        }
    }
    s
}

/// Bisection for the base hazard whose case-mix 5-year net survival is the site's target.
fn calibrate_excess(p: &SiteParams, band_weight: &[f64; AGE_BANDS.len()]) -> f64 {
    let (mut lo, mut hi) = (0.0_f64, 20.0_f64);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if mix_survival(p, band_weight, mid, 5.0) > p.net_survival_5y { lo = mid } else { hi = mid }
    }
    0.5 * (lo + hi)
}

/// The true net survival at `years` of a site's case mix (`band_weight`: its cases' shares in
/// [`AGE_BANDS`]), for the truth files.
pub fn mix_net_survival(model: &IncidenceModel, i: usize, band_weight: &[f64; AGE_BANDS.len()], years: f64) -> f64 {
    mix_survival(model.rates[i].0, band_weight, model.excess_base[i], years)
}

/// The national case mix of site `i` by age band in 2023.
pub fn national_band_weights(model: &IncidenceModel, i: usize) -> [f64; AGE_BANDS.len()] {
    let (p, r) = &model.rates[i];
    let people = &national_persons(CALIBRATION_YEAR)[sex_index(p.sex)];
    let mut w = [0.0; AGE_BANDS.len()];
    for g in AgeGroup::all() {
        w[group_band(g)] += r[g.index()] * people[g.index()];
    }
    let total: f64 = w.iter().sum();
    w.map(|x| x / total)
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

/// One synthetic cancer case: the person, the tumour as the registry would record it, what
/// became of the patient and the care pathway. One tumour per person.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// Sequential number in the data set, from 1: the true person and tumour id.
    pub number: u64,
    /// The person's true identity.
    pub person: Identity,
    /// Département of residence (INSEE code).
    pub departement: &'static str,
    /// Commune of residence (INSEE code), placed by [`AreaRisk::place`] (empty until then).
    pub commune: &'static str,
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
    /// The childhood cancer type (`data/childhood.csv`), for cases under 20.
    pub childhood_type: Option<&'static str>,
    /// ICD-O-3 topography, `C50.9`.
    pub topography: &'static str,
    /// ICD-O-3 morphology, `8500`.
    pub morphology: &'static str,
    /// Grade (9 = not determined).
    pub grade: u8,
    /// Most valid basis of diagnosis (IARC codes).
    pub basis: u8,
    /// Stage group (`I`–`IV`, `X` unknown; empty for haematological and childhood cancers).
    pub stage: &'static str,
    /// The case's excess hazard (per year).
    pub excess_hazard: f64,
    /// Date of death, whether or not it falls within follow-up.
    pub death_date: NaiveDate,
    /// Date of last contact, or of death.
    pub last_contact: NaiveDate,
    /// Whether the patient died by `last_contact`.
    pub dead: bool,
    /// The care pathway.
    pub pathway: Pathway,
    /// The planted cluster this case was drawn in, if any (its rate was raised there).
    pub in_cluster: bool,
}

/// One item drawn with probability proportional to its weight.
pub(crate) fn pick<'a, T>(rng: &mut impl Rng, items: &'a [(T, f64)]) -> &'a T {
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

/// Where and when cases are drawn: one département, year, sex and age group.
#[derive(Debug, Clone, Copy)]
pub struct Cell {
    /// Département.
    pub departement: &'static str,
    /// Incidence year.
    pub year: i32,
    /// Sex.
    pub sex: Sex,
    /// Age group.
    pub group: AgeGroup,
    /// Persons (mid-year).
    pub persons: f64,
}

/// Draws the cases of one cell: from the childhood model by ICCC-3 type under 20, from the
/// adult site groups otherwise (in the order of the incidence table, each rate times the area
/// effect, the trend and any cluster); `next_number` numbers them.
pub fn draw_cases(
    rng: &mut impl Rng,
    model: &IncidenceModel,
    area: &AreaRisk,
    cell: &Cell,
    follow_up_end: NaiveDate,
    next_number: &mut u64,
) -> Vec<Case> {
    let mut out = Vec::new();
    let g = cell.group.index();
    if g < CHILD_AGE_GROUPS {
        for (c, rates) in &model.childhood {
            if c.sex.is_some_and(|s| s != cell.sex) {
                continue;
            }
            let expected = rates[sex_index(cell.sex)][g] * cell.persons;
            for _ in 0..poisson(rng, expected) {
                *next_number += 1;
                let draw = TumourDraw {
                    site_group: childhood_site_group(c),
                    childhood_type: Some(c.label),
                    topography: c.topography,
                    morphology: c.morphology,
                    keeps_group_unspecified: crate::params::unspecified_keeps_group(
                        "childhood.csv",
                        c.topography,
                        c.morphology,
                    ),
                    staged: false,
                    stage_weights: None,
                    poor_prognosis: c.survival_5y < 0.33,
                    in_cluster: false,
                };
                out.push(one_case(rng, &draw, cell, follow_up_end, *next_number, &|_, _| -c.survival_5y.ln() / 5.0));
            }
        }
        return out;
    }
    let effect = area.effect(cell.departement);
    for (i, (params, _)) in model.rates.iter().enumerate().filter(|(_, (p, _))| p.sex == cell.sex) {
        let factor = effect * area.cluster_factor(cell.departement, params.site_group, cell.year);
        let expected = model.expected(i, cell.group, cell.year, factor, cell.persons);
        for _ in 0..poisson(rng, expected) {
            *next_number += 1;
            let coding = *pick(rng, &model.coding[i]);
            let draw = TumourDraw {
                site_group: params.site_group,
                childhood_type: None,
                topography: coding.topography,
                morphology: coding.morphology,
                keeps_group_unspecified: coding.unspecified_keeps_group,
                staged: staged(params),
                stage_weights: Some(stage_weights(params.net_survival_5y)),
                poor_prognosis: params.poor_prognosis(),
                // Whether it falls in the cluster's communes is decided where it is placed.
                in_cluster: false,
            };
            out.push(one_case(rng, &draw, cell, follow_up_end, *next_number, &|stage, age| {
                model.excess_hazard(i, stage, age)
            }));
        }
    }
    out
}

fn poisson(rng: &mut impl Rng, mean: f64) -> u64 {
    if mean <= 0.0 { 0 } else { Poisson::new(mean).expect("positive mean").sample(rng) as u64 }
}

/// The site group of a childhood type (the national groups classify its coding).
fn childhood_site_group(c: &ChildhoodType) -> &'static str {
    use oncodata_coding::{Behaviour, Morphology, Topography, site_group};
    let t = Topography::parse_valid(c.topography).expect("data/childhood.csv: topography");
    let m = Morphology::parse_valid(c.morphology).expect("data/childhood.csv: morphology");
    site_group::classify(t, m, Behaviour::Malignant).map_or("other", |g| g.id)
}

/// What is known of a tumour before it is drawn.
struct TumourDraw {
    site_group: &'static str,
    childhood_type: Option<&'static str>,
    topography: &'static str,
    morphology: &'static str,
    keeps_group_unspecified: bool,
    staged: bool,
    stage_weights: Option<[(&'static str, f64); 5]>,
    poor_prognosis: bool,
    in_cluster: bool,
}

fn one_case(
    rng: &mut impl Rng,
    draw: &TumourDraw,
    cell: &Cell,
    follow_up_end: NaiveDate,
    number: u64,
    excess_of: &dyn Fn(&str, u16) -> f64,
) -> Case {
    let group = cell.group;
    let age: u16 = if group.index() == AgeGroup::COUNT - 1 {
        let e: f64 = Exp1.sample(rng);
        (85.0 + 5.0 * e).min(104.0) as u16
    } else {
        group.lower_age() as u16 + rng.random_range(0..5)
    };
    let jan1 = NaiveDate::from_ymd_opt(cell.year, 1, 1).expect("year");
    let days_in_year =
        NaiveDate::from_ymd_opt(cell.year + 1, 1, 1).expect("year").signed_duration_since(jan1).num_days();
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

    let haematological = draw.morphology >= "9590";
    let basis = if draw.childhood_type.is_some() {
        *pick(rng, &[(7u8, 95.0), (5, 3.0), (2, 2.0)])
    } else {
        // Death-certificate-only cases (basis 0) are planted as faults, not drawn here.
        *pick(rng, &[(7u8, 80.0), (6, 2.0), (5, 8.0), (4, 1.0), (2, 5.0), (1, 2.5)])
    };
    // Without microscopic verification a solid tumour's histology is unknown: 8000, unless the
    // histology is what defines its site group (a clinically diagnosed melanoma stays 8720).
    let morphology =
        if basis < 5 && !haematological && draw.keeps_group_unspecified { "8000" } else { draw.morphology };
    let grade = if haematological
        || morphology == "8000"
        || draw.childhood_type.is_some()
        || draw.site_group == "melanoma"
        || draw.site_group == "cns"
    {
        9
    } else {
        *pick(rng, &[(1u8, 25.0), (2, 40.0), (3, 25.0), (9, 10.0)])
    };
    // Undifferentiated and anaplastic carcinomas are grade 4 by definition (ICD-O-3; IARC
    // check #9), whatever the draw.
    let grade = if matches!(morphology, "8020" | "8021") && grade != 9 { 4 } else { grade };
    let stage = match (&draw.stage_weights, draw.staged) {
        (Some(w), true) => *pick(rng, w),
        _ => "",
    };

    let excess = excess_of(stage, age);
    let exact_age = incidence_date.signed_duration_since(birth_date).num_days() as f64 / 365.25;
    let t = time_to_death(cell.sex, exact_age, excess, Exp1.sample(rng));
    let death_date = incidence_date + Duration::days((t * 365.25).floor() as i64);
    let (mut last_contact, dead) =
        if death_date <= follow_up_end { (death_date, true) } else { (follow_up_end, false) };
    // One case in a hundred is lost to follow-up before death or the end of follow-up.
    let lost = rng.random::<f64>() < 0.01;
    let dead = dead && !lost;
    if lost {
        let span = last_contact.signed_duration_since(incidence_date).num_days().max(1);
        last_contact = incidence_date + Duration::days(rng.random_range(0..span));
    }
    let person = draw_identity(rng, cell.sex, birth_date, cell.departement);
    let pathway = draw_pathway(
        rng,
        &PathwayInput {
            site_group: draw.site_group,
            stage,
            haematological,
            age,
            poor_prognosis: draw.poor_prognosis,
            diagnosis: incidence_date,
            end: death_date.min(follow_up_end),
        },
    );
    Case {
        number,
        person,
        departement: cell.departement,
        commune: "",
        sex: cell.sex,
        birth_date,
        incidence_date,
        age,
        site_group: draw.site_group,
        childhood_type: draw.childhood_type,
        topography: draw.topography,
        morphology,
        grade,
        basis,
        stage,
        excess_hazard: excess,
        death_date,
        last_contact,
        dead,
        pathway,
        in_cluster: draw.in_cluster,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_reproduces_the_national_count() {
        let m = IncidenceModel::calibrate();
        let people = national_persons(CALIBRATION_YEAR);
        for (p, r) in &m.rates {
            let n: f64 = (0..AgeGroup::COUNT).map(|g| r[g] * people[sex_index(p.sex)][g]).sum();
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
