//! The Fellegi-Sunter model (Fellegi & Sunter, "A theory for record linkage", JASA 1969) and
//! the estimation of its parameters, as Splink does it (Linacre et al., Splink documentation,
//! "The Fellegi-Sunter model"; `platform-anchors.md` §Splink):
//!
//! - for each compared field and level, `m` = P(level | match) and `u` = P(level | non-match);
//!   a pair's match weight is `log2(λ/(1-λ)) + Σ log2(m/u)` over its non-null levels, its match
//!   probability `2^w / (1 + 2^w)`, with `λ` the probability that two random records match;
//! - `u` is counted on random pairs of records (nearly all non-matches);
//! - `m` is estimated by expectation-maximisation on the candidate pairs of each blocking rule,
//!   leaving out the fields of the rule (every pair agrees on them by construction), and
//!   averaged over the rules that estimate it (Splink's training sessions);
//! - `λ` comes from the expected number of matches among all candidate pairs (an EM on `λ`
//!   alone with `m` and `u` fixed) divided by the number of possible pairs;
//! - with term-frequency adjustment, an exact agreement on value `v` weighs `log2(m / tf(v))`
//!   instead of `log2(m / u)`, `tf(v)` being the share of records holding `v` (Winkler 1989):
//!   agreeing on a rare surname says more than agreeing on a common one.
//!
//! Comparison levels of a pair are packed four bits per field into a [`Pattern`], so that the
//! EM runs on the distinct patterns and their counts rather than on every pair.

use serde::Serialize;

use crate::comparison::{Comparator, Level};

/// At most this many compared fields (four bits each in a [`Pattern`]).
pub const MAX_FIELDS: usize = 16;

/// The comparison levels of a pair, four bits per field (15 = null).
pub type Pattern = u64;

/// The level of field `f` in a pattern.
pub fn level_of(pattern: Pattern, f: usize) -> Level {
    match (pattern >> (4 * f)) & 0xF {
        0xF => Level::NULL,
        l => Level(l as u8),
    }
}

/// A pattern with field `f` set to `level`.
pub fn with_level(pattern: Pattern, f: usize, level: Level) -> Pattern {
    let nibble = if level.is_null() { 0xF } else { u64::from(level.0) };
    (pattern & !(0xF << (4 * f))) | (nibble << (4 * f))
}

/// The parameters of one compared field.
#[derive(Debug, Clone, Serialize)]
pub struct FieldParameters {
    /// The field's name.
    pub name: String,
    /// Its comparator.
    pub comparator: Comparator,
    /// The names of its levels, closest first.
    pub levels: Vec<&'static str>,
    /// P(level | match), per level.
    pub m: Vec<f64>,
    /// P(level | non-match), per level.
    pub u: Vec<f64>,
    /// Whether exact agreement weighs by the value's frequency.
    pub term_frequency: bool,
}

/// A fitted model.
#[derive(Debug, Clone, Serialize)]
pub struct Model {
    /// The fields, in comparison order.
    pub fields: Vec<FieldParameters>,
    /// The probability that two random records match.
    pub lambda: f64,
}

/// The smallest probability a level keeps, so that a level never seen among matches (or
/// non-matches) weighs a lot but not infinitely.
const FLOOR: f64 = 1e-6;

impl Model {
    /// The prior weight, `log2(λ / (1 - λ))`.
    pub fn prior_weight(&self) -> f64 {
        (self.lambda / (1.0 - self.lambda)).log2()
    }

    /// `log2(m/u)` per field and level.
    pub fn level_weights(&self) -> Vec<Vec<f64>> {
        self.fields.iter().map(|f| f.m.iter().zip(&f.u).map(|(m, u)| (m / u).log2()).collect()).collect()
    }

    /// The match weight of a pattern (without term-frequency adjustment).
    pub fn weight(&self, pattern: Pattern) -> f64 {
        let w = self.level_weights();
        self.prior_weight()
            + (0..self.fields.len())
                .filter_map(|f| {
                    let l = level_of(pattern, f);
                    (!l.is_null()).then(|| w[f][l.0 as usize])
                })
                .sum::<f64>()
    }
}

/// The match probability of a weight.
pub fn probability(weight: f64) -> f64 {
    let odds = weight.exp2();
    if odds.is_infinite() { 1.0 } else { odds / (1.0 + odds) }
}

/// Level shares among the counted patterns, per field: the `u` of random pairs.
pub fn level_shares(patterns: &[(Pattern, f64)], levels: &[usize]) -> Vec<Vec<f64>> {
    levels
        .iter()
        .enumerate()
        .map(|(f, &n)| {
            let mut counts = vec![0.0; n];
            for &(p, c) in patterns {
                let l = level_of(p, f);
                if !l.is_null() {
                    counts[l.0 as usize] += c;
                }
            }
            let total: f64 = counts.iter().sum();
            counts.iter().map(|c| if total > 0.0 { (c / total).max(FLOOR) } else { 1.0 / n as f64 }).collect()
        })
        .collect()
}

/// The starting `m` of a field with `n` levels: most matches agree exactly.
pub fn initial_m(n: usize) -> Vec<f64> {
    (0..n).map(|l| if l == 0 { 0.9 } else { 0.1 / (n - 1) as f64 }).collect()
}

/// EM for the `m` of the fields in `free` and for `λ` over counted patterns, `u` fixed
/// (Dempster, Laird & Rubin 1977; for record linkage, Winkler 1988). Fields not free are left
/// out of the likelihood. Returns the estimated `m` (unchanged for fields not free) and `λ`.
pub fn expectation_maximisation(
    patterns: &[(Pattern, f64)],
    free: &[bool],
    mut m: Vec<Vec<f64>>,
    u: &[Vec<f64>],
    mut lambda: f64,
) -> (Vec<Vec<f64>>, f64) {
    let total: f64 = patterns.iter().map(|(_, c)| c).sum();
    if total == 0.0 {
        return (m, lambda);
    }
    for _ in 0..200 {
        let mut sums: Vec<Vec<f64>> = m.iter().map(|levels| vec![0.0; levels.len()]).collect();
        let mut matched = 0.0;
        for &(p, count) in patterns {
            let (mut pm, mut pu) = (lambda, 1.0 - lambda);
            for f in (0..m.len()).filter(|&f| free[f]) {
                let l = level_of(p, f);
                if !l.is_null() {
                    pm *= m[f][l.0 as usize];
                    pu *= u[f][l.0 as usize];
                }
            }
            let posterior = pm / (pm + pu);
            matched += posterior * count;
            for f in (0..m.len()).filter(|&f| free[f]) {
                let l = level_of(p, f);
                if !l.is_null() {
                    sums[f][l.0 as usize] += posterior * count;
                }
            }
        }
        let mut change: f64 = (matched / total - lambda).abs();
        lambda = (matched / total).clamp(FLOOR, 1.0 - FLOOR);
        for f in (0..m.len()).filter(|&f| free[f]) {
            let s: f64 = sums[f].iter().sum();
            if s > 0.0 {
                for (l, v) in sums[f].iter().enumerate() {
                    let new = (v / s).max(FLOOR);
                    change = change.max((new - m[f][l]).abs());
                    m[f][l] = new;
                }
            }
        }
        if change < 1e-7 {
            break;
        }
    }
    (m, lambda)
}

/// EM for `λ` alone, `m` and `u` fixed: the share of matches among the counted patterns.
pub fn match_share(patterns: &[(Pattern, f64)], m: &[Vec<f64>], u: &[Vec<f64>]) -> f64 {
    let weights: Vec<(f64, f64)> = patterns
        .iter()
        .map(|&(p, c)| {
            let ratio: f64 = (0..m.len())
                .map(|f| level_of(p, f))
                .enumerate()
                .filter(|(_, l)| !l.is_null())
                .map(|(f, l)| m[f][l.0 as usize] / u[f][l.0 as usize])
                .product();
            (ratio, c)
        })
        .collect();
    let total: f64 = weights.iter().map(|(_, c)| c).sum();
    let mut lambda = 0.5;
    for _ in 0..500 {
        let matched: f64 = weights.iter().map(|&(r, c)| c * lambda * r / (lambda * r + 1.0 - lambda)).sum();
        let next = (matched / total).clamp(FLOOR, 1.0 - FLOOR);
        let done = (next - lambda).abs() < 1e-10;
        lambda = next;
        if done {
            break;
        }
    }
    lambda
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(levels: &[u8]) -> Pattern {
        levels.iter().enumerate().fold(0, |p, (f, &l)| with_level(p, f, if l == 9 { Level::NULL } else { Level(l) }))
    }

    #[test]
    fn patterns_pack_levels() {
        let p = pattern(&[0, 3, 9, 6]);
        assert_eq!([0, 1, 2, 3].map(|f| level_of(p, f)), [Level(0), Level(3), Level::NULL, Level(6)]);
    }

    /// Pairs drawn from a known model: EM recovers its m and λ (u given), within sampling error.
    #[test]
    fn em_recovers_the_parameters_of_a_mixture() {
        // Three fields with two levels (agree, disagree).
        let m_true = [0.95, 0.9, 0.8];
        let u_true = [0.01, 0.05, 0.2];
        let lambda_true = 0.3;
        // Expected counts of each pattern in a large sample: exact mixture, no sampling noise.
        let mut patterns = Vec::new();
        for bits in 0..8u8 {
            let agree = [bits & 1 != 0, bits & 2 != 0, bits & 4 != 0];
            let pm: f64 = (0..3).map(|f| if agree[f] { m_true[f] } else { 1.0 - m_true[f] }).product();
            let pu: f64 = (0..3).map(|f| if agree[f] { u_true[f] } else { 1.0 - u_true[f] }).product();
            let count = 1e6 * (lambda_true * pm + (1.0 - lambda_true) * pu);
            patterns.push((pattern(&agree.map(|a| if a { 0 } else { 1 })), count));
        }
        let u: Vec<Vec<f64>> = u_true.iter().map(|&u| vec![u, 1.0 - u]).collect();
        let (m, lambda) = expectation_maximisation(&patterns, &[true; 3], vec![initial_m(2); 3], &u, 0.1);
        assert!((lambda - lambda_true).abs() < 1e-4, "{lambda}");
        for f in 0..3 {
            assert!((m[f][0] - m_true[f]).abs() < 1e-4, "{f}: {:?}", m[f]);
        }
        assert!((match_share(&patterns, &m, &u) - lambda_true).abs() < 1e-4);
    }

    /// Hand calculation: λ = 0.001, one field with m = 0.9, u = 0.01 on agreement:
    /// w = log2(0.001/0.999) + log2(90) = -9.96434 + 6.49185 = -3.47249, p = 0.0826446.
    #[test]
    fn weight_and_probability_by_hand() {
        let model = Model {
            fields: vec![FieldParameters {
                name: "surname".into(),
                comparator: Comparator::Exact,
                levels: vec!["equal", "different"],
                m: vec![0.9, 0.1],
                u: vec![0.01, 0.99],
                term_frequency: false,
            }],
            lambda: 0.001,
        };
        let w = model.weight(pattern(&[0]));
        assert!((w - (-3.472_488)).abs() < 1e-6, "{w}");
        assert!((probability(w) - 0.082_644_6).abs() < 1e-7);
        assert!((model.weight(pattern(&[9])) - model.prior_weight()).abs() < 1e-12);
    }
}
