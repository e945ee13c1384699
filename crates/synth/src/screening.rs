//! The screening and vaccination programmes behind the strategy's indicators, as the
//! programmes report them: by département, year, sex and age group, not person by person (at the
//! national scale that would be some twenty million invitations a year).
//!
//! - Organised colorectal screening: everyone aged 50–74 is invited every two years (half of
//!   them each year); participation over the two-year campaign is about 34 % nationally
//!   (Santé publique France, 2023), varying between départements.
//! - HPV vaccination: the share of each birth cohort fully vaccinated at 16 — 48 % of girls and
//!   15.8 % of boys in 2024, up 6.5 points in two years for girls and 8.7 points since 2023 for
//!   boys (vaccination of boys recommended since 2021), under 10 % for boys overseas (INCa
//!   activity report 2024, seeds digest §3.1).

use std::path::Path;

use oncodata_coding::AgeGroup;
use oncodata_model::Sex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution, Normal};

use crate::SynthError;
use crate::params::Departement;
use crate::population::persons;
use crate::registry::{csv_writer, sex_code, werr};

/// National participation in organised colorectal screening over a two-year campaign.
pub const COLORECTAL_PARTICIPATION: f64 = 0.34;

/// Share of a birth cohort fully vaccinated against HPV at 16, nationally, by sex and year.
pub fn hpv_coverage(sex: Sex, year: i32) -> f64 {
    match sex {
        // 48 % in 2024, +6.5 points in two years.
        Sex::Female => (0.48 + 0.0325 * (year - 2024) as f64).clamp(0.10, 0.95),
        // Recommended from 2021: 7.1 % in 2023, 15.8 % in 2024.
        _ => match year {
            ..=2020 => 0.0,
            2021 => 0.01,
            2022 => 0.03,
            2023 => 0.071,
            y => (0.158 + 0.087 * (y - 2024) as f64).min(0.95),
        },
    }
}

/// Writes `colorectal_screening.csv` (`area,year,sex,age_group,eligible,invited,screened`) and
/// `hpv_vaccination.csv` (`area,year,sex,cohort_at_16,fully_vaccinated`) into `dir`, and the
/// true participation rate of each département into `truth_csv`.
pub fn write_programmes(
    seed: u64,
    deps: &[&'static Departement],
    years: &[i32],
    scale: f64,
    dir: &Path,
    truth_csv: &Path,
) -> Result<(), SynthError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5c4e_e41a);
    let normal = Normal::new(0.0, 0.15).expect("sd");
    let raw: Vec<f64> = deps.iter().map(|_| f64::exp(normal.sample(&mut rng))).collect();
    // Normalised so that the population-weighted mean is the national rate.
    let pop: f64 = deps.iter().map(|d| d.population).sum();
    let mean = deps.iter().zip(&raw).map(|(d, r)| d.population * r).sum::<f64>() / pop;
    let effects: Vec<f64> = raw.iter().map(|r| r / mean).collect();
    let crc_path = dir.join("colorectal_screening.csv");
    let hpv_path = dir.join("hpv_vaccination.csv");
    let mut crc = csv_writer(&crc_path)?;
    let mut hpv = csv_writer(&hpv_path)?;
    let mut truth = csv_writer(truth_csv)?;
    crc.write_record(["area", "year", "sex", "age_group", "eligible", "invited", "screened"])
        .map_err(werr(&crc_path))?;
    hpv.write_record(["area", "year", "sex", "cohort_at_16", "fully_vaccinated"]).map_err(werr(&hpv_path))?;
    truth
        .write_record(["area", "year", "sex", "colorectal_participation", "hpv_coverage_at_16"])
        .map_err(werr(truth_csv))?;
    for (dep, effect) in deps.iter().zip(&effects) {
        let overseas = dep.code.len() == 3;
        for &year in years {
            for sex in [Sex::Male, Sex::Female] {
                let participation = (COLORECTAL_PARTICIPATION * effect).min(0.9);
                for group in AgeGroup::all().filter(|g| (50..75).contains(&g.lower_age())) {
                    let eligible = persons(dep, year, sex, group, scale) as u64;
                    let invited = binomial(&mut rng, eligible, 0.5);
                    let screened = binomial(&mut rng, invited, participation);
                    crc.write_record([
                        dep.code,
                        &year.to_string(),
                        sex_code(sex),
                        &group.label(),
                        &eligible.to_string(),
                        &invited.to_string(),
                        &screened.to_string(),
                    ])
                    .map_err(werr(&crc_path))?;
                }
                let group_15_19 = AgeGroup::from_age(16);
                let cohort = (persons(dep, year, sex, group_15_19, scale) / 5.0).round() as u64;
                let mut coverage = (hpv_coverage(sex, year) * effect).min(0.95);
                if overseas && sex == Sex::Male {
                    coverage *= 0.5;
                }
                let vaccinated = binomial(&mut rng, cohort, coverage);
                hpv.write_record([
                    dep.code,
                    &year.to_string(),
                    sex_code(sex),
                    &cohort.to_string(),
                    &vaccinated.to_string(),
                ])
                .map_err(werr(&hpv_path))?;
                truth
                    .write_record([
                        dep.code,
                        &year.to_string(),
                        sex_code(sex),
                        &participation.to_string(),
                        &coverage.to_string(),
                    ])
                    .map_err(werr(truth_csv))?;
            }
        }
    }
    crc.flush().map_err(|x| SynthError::io(&crc_path, x))?;
    hpv.flush().map_err(|x| SynthError::io(&hpv_path, x))?;
    truth.flush().map_err(|x| SynthError::io(truth_csv, x))
}

fn binomial(rng: &mut impl Rng, n: u64, p: f64) -> u64 {
    if n == 0 || p <= 0.0 { 0 } else { Binomial::new(n, p.min(1.0)).expect("valid binomial").sample(rng) }
}
