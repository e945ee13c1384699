//! Differential privacy, optional per project: counts of persons by group released with noise
//! from OpenDP (the discrete Laplace or the discrete Gaussian mechanism), groups released only
//! when their noisy count reaches a threshold (so that which groups exist is private too), each
//! person counted in at most `contributions` groups, and a privacy budget per project `(ε, δ)`
//! whose odometer refuses the release that would exceed it.
//!
//! - Mechanisms: `opendp::measurements::make_laplace_threshold` and `make_gaussian_threshold`
//!   over a map of counts under the `L0,1,∞` distance (a person changes at most `contributions`
//!   groups, each by 1); their privacy maps give each release's loss, `(ε, δ)` for Laplace and
//!   `(ρ, δ)` (zero-concentrated) for Gaussian. OpenDP: Gaboardi M., Hay M., Vadhan S., "A
//!   programming framework for OpenDP", 2020; the discrete Gaussian: Canonne C., Kamath G.,
//!   Steinke T., *NeurIPS* 2020.
//! - The odometer adds the losses (basic sequential composition, Dwork & Roth, *The Algorithmic
//!   Foundations of Differential Privacy*, 2014, Theorem 3.16); a Gaussian release's `ρ` counts
//!   as `ε = ρ + 2√(ρ ln(1/δ₀))` with `δ₀` = the budget's δ over 10 (Bun M., Steinke T.,
//!   "Concentrated differential privacy", *TCC* 2016, Proposition 1.3).
//! - The unit of privacy is the person (OpenDP's "privacy unit"): the counted value of
//!   `COUNT(DISTINCT …)`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use opendp::domains::{AtomDomain, MapDomain};
use opendp::measurements::{make_gaussian_threshold, make_laplace_threshold};
use opendp::measures::{Approximate, MaxDivergence, ZeroConcentratedDivergence};
use opendp::metrics::{AbsoluteDistance, L0PInfDistance};
use serde::{Deserialize, Serialize};

use crate::DisclosureError;

/// The noise of a private release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mechanism {
    /// The discrete Laplace mechanism: pure `ε`-DP per count.
    Laplace,
    /// The discrete Gaussian mechanism: `ρ`-zCDP per count.
    Gaussian,
}

/// A project's differential-privacy settings (`[audience.project.privacy]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacyRule {
    /// The noise.
    pub mechanism: Mechanism,
    /// The noise scale (Laplace: `b`; Gaussian: `σ`), in persons.
    pub scale: f64,
    /// A group is released only when its noisy count is at least this.
    pub threshold: i64,
    /// The most groups one person is counted in (the rest of a person's groups drop them).
    #[serde(default = "one")]
    pub contributions: u32,
    /// The project's total budget: `ε`.
    pub budget_epsilon: f64,
    /// The project's total budget: `δ`.
    pub budget_delta: f64,
}

fn one() -> u32 {
    1
}

/// A private release: the groups released with their noisy counts, and what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct PrivateCounts {
    /// Per group released (its values), the noisy count.
    pub counts: BTreeMap<Vec<String>, i64>,
    /// The release's privacy loss, `(ε, δ)`.
    pub loss: (f64, f64),
    /// Persons dropped from groups beyond their `contributions`.
    pub dropped: usize,
}

/// Counts in, noisy counts of the groups that pass the threshold out.
type Release = Box<dyn Fn(&HashMap<String, i64>) -> Result<HashMap<String, i64>, String>>;

/// The mechanism of `rule`, built once: the release, and its privacy loss as `(ε, δ)`.
fn mechanism(rule: &PrivacyRule) -> Result<(Release, (f64, f64)), String> {
    let k = rule.contributions;
    let domain = MapDomain::new(AtomDomain::<String>::default(), AtomDomain::<i64>::default());
    let e = |e: opendp::error::Error| format!("differential privacy: {e}");
    Ok(match rule.mechanism {
        Mechanism::Laplace => {
            // A person changes at most k counts by 1: L0 = k, L1 = k, L∞ = 1.
            let metric = L0PInfDistance::<1, _>(AbsoluteDistance::<i64>::default());
            let m = make_laplace_threshold::<_, _, Approximate<MaxDivergence>>(
                domain,
                metric,
                rule.scale,
                rule.threshold,
                None,
            )
            .map_err(e)?;
            let loss = m.map(&(k, k as i64, 1)).map_err(e)?;
            (Box::new(move |c| m.invoke(c).map_err(e)), loss)
        }
        Mechanism::Gaussian => {
            // L2 = √k, rounded up to a whole count.
            let metric = L0PInfDistance::<2, _>(AbsoluteDistance::<i64>::default());
            let m = make_gaussian_threshold::<_, _, Approximate<ZeroConcentratedDivergence>>(
                domain,
                metric,
                rule.scale,
                rule.threshold,
                None,
            )
            .map_err(e)?;
            let (rho, delta) = m.map(&(k, (k as f64).sqrt().ceil() as i64, 1)).map_err(e)?;
            let delta0 = rule.budget_delta / 10.0;
            let loss = (rho + 2.0 * (rho * (1.0 / delta0).ln()).sqrt(), delta + delta0);
            (Box::new(move |c| m.invoke(c).map_err(e)), loss)
        }
    })
}

/// The loss of one release under `rule`, as `(ε, δ)`.
fn loss_of(rule: &PrivacyRule) -> Result<(f64, f64), String> {
    Ok(mechanism(rule)?.1)
}

/// Counts the persons of each group (`members`: group values and person), each person in at
/// most `rule.contributions` groups (the first in group order), and releases them with noise.
/// The odometer must have allowed the loss first ([`Odometer::spend`]).
pub fn private_counts(members: &[(Vec<String>, String)], rule: &PrivacyRule) -> Result<PrivateCounts, String> {
    // Contribution bounding: a person's groups in order, the first `contributions` kept.
    let mut groups_of: HashMap<&str, Vec<&Vec<String>>> = HashMap::new();
    for (group, person) in members {
        groups_of.entry(person.as_str()).or_default().push(group);
    }
    let mut counts: HashMap<String, i64> = HashMap::new();
    let mut keys: HashMap<String, Vec<String>> = HashMap::new();
    let mut dropped = 0;
    for groups in groups_of.values_mut() {
        groups.sort();
        groups.dedup();
        dropped += groups.len().saturating_sub(rule.contributions as usize);
        for g in groups.iter().take(rule.contributions as usize) {
            let k = g.join("\u{1f}");
            *counts.entry(k.clone()).or_default() += 1;
            keys.entry(k).or_insert_with(|| (*g).clone());
        }
    }
    let (release, loss) = mechanism(rule)?;
    let released = release(&counts)?;
    let counts = released.into_iter().map(|(k, v)| (keys.remove(&k).expect("a released key was counted"), v)).collect();
    Ok(PrivateCounts { counts, loss, dropped })
}

/// One release's cost in a project's odometer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spend {
    /// When (seconds since 1970, UTC).
    pub at: u64,
    /// What was released.
    pub what: String,
    /// Its `ε`.
    pub epsilon: f64,
    /// Its `δ`.
    pub delta: f64,
}

/// A project's privacy odometer: every release's loss, in the warehouse
/// (`disclosure/odometer-PROJECT.jsonl`).
#[derive(Debug)]
pub struct Odometer {
    path: PathBuf,
    spends: Vec<Spend>,
}

impl Odometer {
    /// The odometer of `project` in the warehouse at `dir`.
    pub fn open(dir: &Path, project: &str) -> Result<Self, DisclosureError> {
        if project.is_empty() || !project.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(DisclosureError::Table {
                message: format!("project {project:?}: letters, digits, - and _ only"),
            });
        }
        let folder = dir.join("disclosure");
        std::fs::create_dir_all(&folder)
            .map_err(|e| DisclosureError::Io { file: folder.display().to_string(), source: e })?;
        let path = folder.join(format!("odometer-{project}.jsonl"));
        let mut spends = Vec::new();
        if path.exists() {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| DisclosureError::Io { file: path.display().to_string(), source: e })?;
            for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
                spends.push(serde_json::from_str(line).map_err(|e| DisclosureError::Policy {
                    file: path.display().to_string(),
                    message: format!("line {}: {e}", n + 1),
                })?);
            }
        }
        Ok(Self { path, spends })
    }

    /// The total spent so far, `(ε, δ)`.
    pub fn spent(&self) -> (f64, f64) {
        self.spends.iter().fold((0.0, 0.0), |(e, d), s| (e + s.epsilon, d + s.delta))
    }

    /// Spends the loss of a release under `rule` for `what`, or refuses it — saying what is left
    /// — when the project's budget would be exceeded. Returns the loss.
    pub fn spend(&mut self, rule: &PrivacyRule, what: &str) -> Result<(f64, f64), DisclosureError> {
        let (epsilon, delta) = loss_of(rule).map_err(|message| DisclosureError::Table { message })?;
        let (e, d) = self.spent();
        if e + epsilon > rule.budget_epsilon + 1e-12 || d + delta > rule.budget_delta + 1e-18 {
            return Err(DisclosureError::Table {
                message: format!(
                    "the project's privacy budget (ε = {}, δ = {}) would be exceeded: {} releases spent ε = {e:.4}, \
                     δ = {d:.3e}; this one costs ε = {epsilon:.4}, δ = {delta:.3e}",
                    rule.budget_epsilon,
                    rule.budget_delta,
                    self.spends.len()
                ),
            });
        }
        let at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let spend = Spend { at, what: what.to_string(), epsilon, delta };
        let line = serde_json::to_string(&spend)
            .map_err(|e| DisclosureError::Policy { file: self.path.display().to_string(), message: e.to_string() })?;
        use std::io::Write;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .and_then(|mut f| writeln!(f, "{line}"))
            .map_err(|e| DisclosureError::Io { file: self.path.display().to_string(), source: e })?;
        self.spends.push(spend);
        Ok((epsilon, delta))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(mechanism: Mechanism, scale: f64) -> PrivacyRule {
        PrivacyRule { mechanism, scale, threshold: 0, contributions: 1, budget_epsilon: 1.0, budget_delta: 1e-6 }
    }

    /// The noise over many draws follows the stated distribution: the discrete Laplace
    /// `P(x) ∝ exp(−|x|/b)` and the discrete Gaussian `P(x) ∝ exp(−x²/2σ²)`, by a chi-square test
    /// on the values within 3 scales (0.1% critical values), and their variances match.
    #[test]
    fn the_noise_follows_the_stated_distribution() {
        for (mechanism, scale) in [(Mechanism::Laplace, 2.0), (Mechanism::Gaussian, 3.0)] {
            let r = PrivacyRule { threshold: 1, ..rule(mechanism, scale) };
            let true_count = 1000i64;
            let counts = HashMap::from([("g".to_string(), true_count)]);
            let (release, _) = super::mechanism(&r).unwrap();
            let draws = 20_000;
            let mut seen: BTreeMap<i64, usize> = BTreeMap::new();
            let mut sum_sq = 0.0;
            for _ in 0..draws {
                let x = release(&counts).unwrap()["g"] - true_count;
                *seen.entry(x).or_default() += 1;
                sum_sq += (x * x) as f64;
            }
            let weight = |x: i64| match mechanism {
                Mechanism::Laplace => (-(x.abs() as f64) / scale).exp(),
                Mechanism::Gaussian => (-((x * x) as f64) / (2.0 * scale * scale)).exp(),
            };
            let z: f64 = (-200..=200).map(weight).sum();
            let reach = (3.0 * scale) as i64;
            let (mut chi, mut cells) = (0.0, 0);
            for x in -reach..=reach {
                let expected = weight(x) / z * draws as f64;
                let observed = *seen.get(&x).unwrap_or(&0) as f64;
                chi += (observed - expected).powi(2) / expected;
                cells += 1;
            }
            // Chi-square 0.1% critical values: 13 cells (12 df) 32.91; 19 cells (18 df) 42.31.
            let critical = if cells == 13 { 32.91 } else { 42.31 };
            assert!(chi < critical, "{mechanism:?}: chi-square {chi} on {cells} cells");
            let variance: f64 = (-200..=200).map(|x| (x * x) as f64 * weight(x) / z).sum();
            let empirical = sum_sq / draws as f64;
            assert!((empirical / variance - 1.0).abs() < 0.05, "{mechanism:?}: variance {empirical} vs {variance}");
        }
    }

    /// The loss OpenDP's privacy maps give, against the textbook values: Laplace `ε = Δ/b`;
    /// Gaussian `ρ = Δ²/2σ²` converted at `δ₀`.
    #[test]
    fn the_loss_is_the_mechanisms_own() {
        let (e, d) = loss_of(&PrivacyRule { threshold: 50, ..rule(Mechanism::Laplace, 2.0) }).unwrap();
        assert!((e - 0.5).abs() < 1e-12 && d > 0.0 && d < 1e-9, "{e} {d}");
        let (e, _) = loss_of(&PrivacyRule { threshold: 60, ..rule(Mechanism::Gaussian, 3.0) }).unwrap();
        let rho = 1.0 / 18.0;
        let want = rho + 2.0 * (rho * (1.0f64 / 1e-7).ln()).sqrt();
        assert!((e - want).abs() < 1e-9, "{e} vs {want}");
    }

    /// The odometer spends each release's loss and refuses the one that would exceed the
    /// budget, saying what was spent; it is read back from the warehouse.
    #[test]
    fn the_odometer_refuses_the_release_beyond_the_budget() {
        let dir = tempfile::tempdir().unwrap();
        let r = PrivacyRule { threshold: 40, budget_epsilon: 1.2, ..rule(Mechanism::Laplace, 2.0) };
        let mut o = Odometer::open(dir.path(), "p42").unwrap();
        assert!(o.spend(&r, "first").is_ok());
        assert!(o.spend(&r, "second").is_ok());
        let err = o.spend(&r, "third").unwrap_err().to_string();
        assert!(err.contains("privacy budget") && err.contains("2 releases spent ε = 1.0000"), "{err}");
        let again = Odometer::open(dir.path(), "p42").unwrap();
        assert!((again.spent().0 - 1.0).abs() < 1e-12);
        assert!(Odometer::open(dir.path(), "../x").is_err());
    }

    /// Contributions are bounded: a person in two groups counts in the first only.
    #[test]
    fn a_person_counts_in_at_most_the_allowed_groups() {
        let mut members: Vec<(Vec<String>, String)> = (0..500).map(|i| (vec!["a".into()], format!("p{i}"))).collect();
        members.extend((0..300).map(|i| (vec!["b".into()], format!("p{i}"))));
        let r = PrivacyRule { threshold: 1, ..rule(Mechanism::Laplace, 0.5) };
        let c = private_counts(&members, &r).unwrap();
        assert_eq!(c.dropped, 300);
        assert!((c.counts[&vec!["a".to_string()]] - 500).abs() < 20);
        assert!(!c.counts.contains_key(&vec!["b".to_string()]) || c.counts[&vec!["b".to_string()]].abs() < 20);
    }
}
