//! Incidence rates: crude, age-specific, directly age-standardised, truncated and cumulative.
//!
//! Formulas (SEER*Stat "Rate algorithms"; Fay & Feuer, Stat Med 1997;16:791-801; Tiwari, Clegg &
//! Zou, Stat Methods Med Res 2006;15:547-69; `registry-and-epi-methods.md` §4(c)), rates per
//! 100,000 person-years:
//!
//! - crude rate `R = c / P`, exact interval from the Poisson interval of `c`;
//! - age-standardised rate `ASR = Σ_i (c_i / P_i) w_i / Σ_j w_j` over the age groups used;
//!   `SE = sqrt(Σ_i c_i (w_i / (P_i Σ w))²)`;
//! - with `w̃_i = w_i / (P_i Σ w)`, `y = Σ w̃_i c_i`, `v = Σ w̃_i² c_i`: the gamma intervals
//!   have lower limit `G⁻¹(α/2; y²/v, v/y)` (0 when y = 0) and upper limit
//!   `G⁻¹(1−α/2; (y+w_M)²/(v+w_M²), (v+w_M²)/(y+w_M))` with `w_M = max w̃_i` (Fay–Feuer), or
//!   `G⁻¹(1−α/2; y*²/v*, v*/y*)` with `y* = y + mean w̃`, `v* = v + mean w̃²` (Tiwari et al.,
//!   SEER*Stat's default "Tiwari modification"; R `asht::wspoissonTest(wmtype = "tcz")`);
//! - SEER's conventions for empty strata: `c_i = P_i = 0` gives a zero rate; `P_i = 0 < c_i`
//!   sets `P_i := c_i`.

use crate::StatsError;
use crate::distributions::{gamma_quantile, normal_quantile, poisson_exact_interval};

/// Rates are per this many person-years.
pub const PER: f64 = 100_000.0;

/// A rate with its confidence interval, per 100,000 person-years. `NaN` when the denominator is
/// zero.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Point estimate.
    pub value: f64,
    /// Lower confidence limit.
    pub lower: f64,
    /// Upper confidence limit.
    pub upper: f64,
}

/// A crude rate with its exact Poisson interval.
pub fn crude_rate(cases: f64, person_years: f64, conf: f64) -> Rate {
    if person_years <= 0.0 {
        return Rate { value: f64::NAN, lower: f64::NAN, upper: f64::NAN };
    }
    let (lo, hi) = poisson_exact_interval(cases, conf);
    Rate { value: cases / person_years * PER, lower: lo / person_years * PER, upper: hi / person_years * PER }
}

/// The interval of an age-standardised rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsrInterval {
    /// Tiwari, Clegg & Zou (2006) modified gamma interval (SEER*Stat's default).
    Tiwari,
    /// Fay & Feuer (1997) gamma interval.
    FayFeuer,
    /// Normal approximation `ASR ± z·SE`.
    Normal,
}

/// A directly age-standardised rate, its standard error and interval, per 100,000.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StandardisedRate {
    /// The rate and its interval.
    pub rate: Rate,
    /// Standard error (Poisson).
    pub se: f64,
}

/// The directly age-standardised rate of `cases` and `person_years` by age group with the
/// standard `weights` (same length; only the groups given count, so pass a slice for a
/// truncated rate).
pub fn standardised_rate(
    cases: &[f64],
    person_years: &[f64],
    weights: &[f64],
    interval: AsrInterval,
    conf: f64,
) -> Result<StandardisedRate, StatsError> {
    if cases.len() != person_years.len() || cases.len() != weights.len() || cases.is_empty() {
        return Err(StatsError::Input(format!(
            "age groups differ: {} case counts, {} person-years, {} weights",
            cases.len(),
            person_years.len(),
            weights.len()
        )));
    }
    if let Some(bad) = cases.iter().chain(person_years).chain(weights).find(|x| !x.is_finite() || **x < 0.0) {
        return Err(StatsError::Input(format!("negative or non-finite input {bad}")));
    }
    let total_weight: f64 = weights.iter().sum();
    if total_weight <= 0.0 {
        return Err(StatsError::Input("the standard's weights sum to zero".into()));
    }
    if person_years.iter().all(|p| *p == 0.0) && cases.iter().all(|c| *c == 0.0) {
        return Err(StatsError::Input(
            "no person-years in any age group (a population without these ages, or an age range outside it)".into(),
        ));
    }
    // w̃_i for strata with a population (SEER: P_i := c_i when P_i = 0 < c_i; c_i = P_i = 0
    // contributes a zero rate and no weight to the interval).
    let strata: Vec<(f64, f64)> = cases
        .iter()
        .zip(person_years)
        .zip(weights)
        .filter_map(|((&c, &p), &w)| {
            let p = if p == 0.0 && c > 0.0 { c } else { p };
            (p > 0.0).then(|| (c, w / (p * total_weight)))
        })
        .collect();
    let y: f64 = strata.iter().map(|(c, wt)| wt * c).sum();
    let v: f64 = strata.iter().map(|(c, wt)| wt * wt * c).sum();
    let alpha = 1.0 - conf;
    let se = v.sqrt();
    let gamma_lower = || {
        if y > 0.0 { gamma_quantile(alpha / 2.0, y * y / v, v / y) } else { 0.0 }
    };
    let (lower, upper) = match interval {
        AsrInterval::Normal => {
            let z = normal_quantile(1.0 - alpha / 2.0);
            (y - z * se, y + z * se)
        }
        AsrInterval::FayFeuer => {
            let wm = strata.iter().map(|(_, wt)| *wt).fold(0.0, f64::max);
            let (ys, vs) = (y + wm, v + wm * wm);
            (gamma_lower(), gamma_quantile(1.0 - alpha / 2.0, ys * ys / vs, vs / ys))
        }
        AsrInterval::Tiwari => {
            let k = strata.len() as f64;
            let mean_w = strata.iter().map(|(_, wt)| wt).sum::<f64>() / k;
            let mean_w2 = strata.iter().map(|(_, wt)| wt * wt).sum::<f64>() / k;
            let (ys, vs) = (y + mean_w, v + mean_w2);
            (gamma_lower(), gamma_quantile(1.0 - alpha / 2.0, ys * ys / vs, vs / ys))
        }
    };
    Ok(StandardisedRate { rate: Rate { value: y * PER, lower: lower * PER, upper: upper * PER }, se: se * PER })
}

/// The cumulative rate over age groups of `width` years, `Σ width · c_i / P_i` (as a
/// proportion), and the cumulative risk `1 − exp(−cumulative rate)` (Day 1976; IARC, Cancer
/// Incidence in Five Continents; Rcan `csu_cumrisk`). Both as percentages.
pub fn cumulative_rate_and_risk(cases: &[f64], person_years: &[f64], width: f64) -> (f64, f64) {
    let cum: f64 = cases.iter().zip(person_years).filter(|(_, p)| **p > 0.0).map(|(c, p)| width * c / p).sum();
    (100.0 * cum, 100.0 * (1.0 - (-cum).exp()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs()
    }

    /// Down syndrome births, Michigan 1950–64, birth order 5+, standardised to all births
    /// (Fay & Feuer 1997, Table II; the example of R `asht::wspoissonTest` and the dsrTest
    /// vignette): DSR 75.52901 per 100,000, Fay–Feuer 95 % interval 67.70212–188.30017.
    #[test]
    fn fay_feuer_published_example() {
        let x = [0.0, 8.0, 63.0, 112.0, 262.0, 295.0];
        let n = [327.0, 30666.0, 123419.0, 149919.0, 104088.0, 34392.0];
        let std = [319933.0, 931318.0, 786511.0, 488235.0, 237863.0, 61313.0];
        let ff = standardised_rate(&x, &n, &std, AsrInterval::FayFeuer, 0.95).unwrap();
        assert!((ff.rate.value - 75.52901).abs() < 5e-6, "{}", ff.rate.value);
        assert!((ff.rate.lower - 67.70212).abs() < 5e-6, "{}", ff.rate.lower);
        assert!((ff.rate.upper - 188.30017).abs() < 5e-6, "{}", ff.rate.upper);
        // SEER's Poisson standard error, 4.10208 (registry-and-epi-methods.md §10.1).
        assert!((ff.se - 4.10208).abs() < 5e-6, "{}", ff.se);
        // Tiwari's upper limit 112.85843 (same source, from the asht definition).
        let t = standardised_rate(&x, &n, &std, AsrInterval::Tiwari, 0.95).unwrap();
        assert!((t.rate.lower - 67.70212).abs() < 5e-6 && (t.rate.upper - 112.85843).abs() < 5e-6, "{:?}", t.rate);
        // Normal interval 67.489–83.569.
        let z = standardised_rate(&x, &n, &std, AsrInterval::Normal, 0.95).unwrap();
        assert!((z.rate.lower - 67.489).abs() < 5e-4 && (z.rate.upper - 83.569).abs() < 5e-4, "{:?}", z.rate);
    }

    /// Hand calculation: two age groups of 10,000 person-years, weights 60/40, 1 and 5 cases.
    /// Rates 10 and 50 per 100,000; ASR = (10·60 + 50·40)/100 = 26;
    /// SE = sqrt(1·(0.6/10⁴)² + 5·(0.4/10⁴)²) per person-year.
    #[test]
    fn hand_calculation() {
        let r =
            standardised_rate(&[1.0, 5.0], &[10_000.0, 10_000.0], &[60.0, 40.0], AsrInterval::Normal, 0.95).unwrap();
        assert!(close(r.rate.value, 26.0, 1e-12));
        let se = (1.0 * (0.6f64 / 1e4).powi(2) + 5.0 * (0.4f64 / 1e4).powi(2)).sqrt() * PER;
        assert!(close(r.se, se, 1e-12), "{} {se}", r.se);
        let c = crude_rate(6.0, 20_000.0, 0.95);
        assert!(close(c.value, 30.0, 1e-12));
        // Exact interval of 6 events: R poisson.test(6) gives 2.2018942534908512–13.059474022518685
        // (reference/poisson_exact.csv).
        assert!(close(c.lower, 2.201_894_253_490_851 / 20_000.0 * PER, 1e-13), "{}", c.lower);
        assert!(close(c.upper, 13.059_474_022_518_685 / 20_000.0 * PER, 1e-13), "{}", c.upper);
    }

    #[test]
    fn seer_conventions_for_empty_strata() {
        // An empty stratum with no population adds a zero rate but its weight still counts.
        let r = standardised_rate(&[0.0, 4.0], &[0.0, 1000.0], &[50.0, 50.0], AsrInterval::Tiwari, 0.95).unwrap();
        assert!(close(r.rate.value, 200.0, 1e-12));
        // No cases at all: zero rate, zero lower limit, positive upper limit.
        let z = standardised_rate(&[0.0, 0.0], &[500.0, 1000.0], &[50.0, 50.0], AsrInterval::FayFeuer, 0.95).unwrap();
        assert_eq!((z.rate.value, z.rate.lower), (0.0, 0.0));
        assert!(z.rate.upper > 0.0);
        assert!(standardised_rate(&[1.0], &[1.0, 2.0], &[1.0], AsrInterval::Tiwari, 0.95).is_err());
        assert!(standardised_rate(&[-1.0], &[1.0], &[1.0], AsrInterval::Tiwari, 0.95).is_err());
        assert!(crude_rate(0.0, 0.0, 0.95).value.is_nan());
    }

    /// Cumulative risk: a constant rate of 100 per 100,000 over 0–74 (15 groups of 5 years)
    /// is a cumulative rate of 0.075 = 7.5 % and a risk of 1 − e^−0.075 = 7.2257 %.
    #[test]
    fn cumulative_risk_hand_calculation() {
        let (rate, risk) = cumulative_rate_and_risk(&[1.0; 15], &[1000.0; 15], 5.0);
        assert!(close(rate, 7.5, 1e-12));
        assert!(close(risk, 100.0 * (1.0 - (-0.075f64).exp()), 1e-12));
    }
}

/// The age-specific counts of one stratum (e.g. one site group and sex), ready to summarise.
#[derive(Debug, Clone, PartialEq)]
pub struct Stratum {
    /// The stratum's labels, in the order of the grouping columns.
    pub key: Vec<String>,
    /// Cases by age group.
    pub cases: Vec<f64>,
    /// Person-years by age group.
    pub person_years: Vec<f64>,
}

/// One row of an incidence table: counts, crude rate and age-standardised rate.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidenceRow {
    /// The stratum's labels.
    pub key: Vec<String>,
    /// Σ cases.
    pub cases: f64,
    /// Σ person-years.
    pub person_years: f64,
    /// Crude rate with exact interval.
    pub crude: Rate,
    /// Age-standardised rate with its interval and standard error.
    pub asr: StandardisedRate,
}

/// Summarises strata into incidence rows with the standard `weights` (one per age group).
pub fn incidence_table(
    strata: &[Stratum],
    weights: &[f64],
    interval: AsrInterval,
    conf: f64,
) -> Result<Vec<IncidenceRow>, StatsError> {
    strata
        .iter()
        .map(|s| {
            let cases: f64 = s.cases.iter().sum();
            let person_years: f64 = s.person_years.iter().sum();
            Ok(IncidenceRow {
                key: s.key.clone(),
                cases,
                person_years,
                crude: crude_rate(cases, person_years, conf),
                asr: standardised_rate(&s.cases, &s.person_years, weights, interval, conf)
                    .map_err(|e| StatsError::Input(format!("{}: {e}", s.key.join(", "))))?,
            })
        })
        .collect()
}

/// The standardised incidence ratio `O/E` of `observed` cases to the `expected` number from
/// reference rates, with the exact interval of a Poisson count divided by E:
/// `[χ²_{α/2}(2O)/2E, χ²_{1−α/2}(2O+2)/2E]` (Breslow & Day 1987; R `poisson.test(O, E)`;
/// SEER*Stat MP-SIR). NaN when nothing is expected.
pub fn standardised_incidence_ratio(observed: f64, expected: f64, conf: f64) -> Rate {
    if expected <= 0.0 {
        return Rate { value: f64::NAN, lower: f64::NAN, upper: f64::NAN };
    }
    let (lo, hi) = poisson_exact_interval(observed, conf);
    Rate { value: observed / expected, lower: lo / expected, upper: hi / expected }
}

/// The ratio of two age-standardised rates with the test-based interval of CanReg5 and IARC's
/// Rcan (`CalcSRR`): `SRR = ASR₁/ASR₂`, `χ = (ASR₁ − ASR₂)/√(SE₁² + SE₂²)`, interval
/// `SRR^(1 ± z/χ)` (Miettinen 1976). Undefined (NaN bounds) when the two rates are equal.
pub fn rate_ratio(numerator: &StandardisedRate, denominator: &StandardisedRate, conf: f64) -> Rate {
    let ratio = numerator.rate.value / denominator.rate.value;
    let chi = (numerator.rate.value - denominator.rate.value) / (numerator.se.powi(2) + denominator.se.powi(2)).sqrt();
    let z = normal_quantile(1.0 - (1.0 - conf) / 2.0);
    if !chi.is_finite() || chi == 0.0 || !ratio.is_finite() || ratio <= 0.0 {
        return Rate { value: ratio, lower: f64::NAN, upper: f64::NAN };
    }
    let (a, b) = (ratio.powf(1.0 - z / chi), ratio.powf(1.0 + z / chi));
    Rate { value: ratio, lower: a.min(b), upper: a.max(b) }
}

#[cfg(test)]
mod ratio_tests {
    use super::*;

    /// 30 observed for 20 expected: SIR 1.5, interval = R `poisson.test(30)` limits divided by 20
    /// (reference/poisson_exact.csv, made by reference/distributions.R).
    #[test]
    fn sir() {
        let row = include_str!("../reference/poisson_exact.csv").lines().find(|l| l.starts_with("30,")).unwrap();
        let limits: Vec<f64> = row.split(',').skip(1).map(|v| v.parse().unwrap()).collect();
        let r = standardised_incidence_ratio(30.0, 20.0, 0.95);
        assert_eq!(r.value, 1.5);
        assert!((r.lower - limits[0] / 20.0).abs() < 1e-13 && (r.upper - limits[1] / 20.0).abs() < 1e-13, "{r:?}");
        assert!(standardised_incidence_ratio(3.0, 0.0, 0.95).value.is_nan());
    }

    /// A stratum with no person-years at all (and so no cases) is an error naming the cause,
    /// never a panic in the interval's gamma quantiles.
    #[test]
    fn no_person_years_is_an_error() {
        for interval in [AsrInterval::Tiwari, AsrInterval::FayFeuer, AsrInterval::Normal] {
            let e = standardised_rate(&[0.0, 0.0], &[0.0, 0.0], &[0.5, 0.5], interval, 0.95).unwrap_err();
            assert!(e.to_string().contains("no person-years"), "{e}");
        }
    }

    /// Hand calculation of the test-based interval: ASRs 30 (SE 3) and 20 (SE 4): SRR 1.5,
    /// χ = 10/5 = 2, limits 1.5^(1 ∓ 1.959964/2) = 1.00828…, 2.23152….
    #[test]
    fn test_based_rate_ratio() {
        let a = StandardisedRate { rate: Rate { value: 30.0, lower: 0.0, upper: 0.0 }, se: 3.0 };
        let b = StandardisedRate { rate: Rate { value: 20.0, lower: 0.0, upper: 0.0 }, se: 4.0 };
        let r = rate_ratio(&a, &b, 0.95);
        let z = 1.959963984540054_f64;
        assert!((r.value - 1.5).abs() < 1e-15);
        assert!(
            (r.lower - 1.5f64.powf(1.0 - z / 2.0)).abs() < 1e-14
                && (r.upper - 1.5f64.powf(1.0 + z / 2.0)).abs() < 1e-14
        );
        assert!(rate_ratio(&a, &a, 0.95).lower.is_nan());
    }
}
