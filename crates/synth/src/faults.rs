//! Faults planted in registry extracts at configurable rates, each recorded in the truth so that
//! validation can be scored: the kinds of error the IARC checks exist to catch.

use oncodata_coding::Topography;
use oncodata_model::Sex;
use rand::Rng;

use crate::identity::IdentityFault;

/// The kinds of fault planted in a registry record, at most one per record so that each has
/// one known cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// A topography code that does not exist in ICD-O-3 (e.g. C50.7).
    InvalidTopography,
    /// A morphology code that does not exist in ICD-O-3 (e.g. 8511).
    InvalidMorphology,
    /// A sex-specific site in the other sex (a prostate cancer in a woman).
    SexSiteConflict,
    /// A birth year after the incidence year.
    BirthAfterIncidence,
    /// A required value left empty (the topography).
    MissingValue,
    /// Valid codes in an unlikely combination: a nephroblastoma (8960) outside the kidney, which
    /// the IARC site/histology check flags for review.
    UnlikelyCode,
    /// The same tumour registered twice, under a second patient number, its identity retyped
    /// (with a typo).
    Duplicate,
    /// A death-certificate-only case: the registry learnt of the cancer from the death
    /// certificate alone (basis of diagnosis 0, incidence date = date of death).
    DeathCertificateOnly,
    /// Registered after the extract was made: missing from the registry extract although the
    /// cancer is in the other sources.
    LateRegistration,
}

impl FaultKind {
    /// Every kind, in the order their rates are drawn.
    pub const ALL: [FaultKind; 9] = [
        Self::InvalidTopography,
        Self::InvalidMorphology,
        Self::SexSiteConflict,
        Self::BirthAfterIncidence,
        Self::MissingValue,
        Self::UnlikelyCode,
        Self::Duplicate,
        Self::DeathCertificateOnly,
        Self::LateRegistration,
    ];

    /// Name written in `truth/faults.csv`.
    pub fn label(&self) -> &'static str {
        match self {
            Self::InvalidTopography => "invalid_topography",
            Self::InvalidMorphology => "invalid_morphology",
            Self::SexSiteConflict => "sex_site_conflict",
            Self::BirthAfterIncidence => "birth_after_incidence",
            Self::MissingValue => "missing_value",
            Self::UnlikelyCode => "unlikely_code",
            Self::Duplicate => "duplicate",
            Self::DeathCertificateOnly => "death_certificate_only",
            Self::LateRegistration => "late_registration",
        }
    }
}

/// Probability that a record receives each kind of fault.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaultRates {
    /// Per-record probability of [`FaultKind::InvalidTopography`].
    pub invalid_topography: f64,
    /// Per-record probability of [`FaultKind::InvalidMorphology`].
    pub invalid_morphology: f64,
    /// Per-record probability of [`FaultKind::SexSiteConflict`].
    pub sex_site_conflict: f64,
    /// Per-record probability of [`FaultKind::BirthAfterIncidence`].
    pub birth_after_incidence: f64,
    /// Per-record probability of [`FaultKind::MissingValue`].
    pub missing_value: f64,
    /// Per-record probability of [`FaultKind::UnlikelyCode`].
    pub unlikely_code: f64,
    /// Per-record probability of [`FaultKind::Duplicate`].
    pub duplicate: f64,
    /// Per-record probability of [`FaultKind::DeathCertificateOnly`] (applied to cases whose
    /// death falls within the extract's years).
    pub death_certificate_only: f64,
    /// Per-record probability of [`FaultKind::LateRegistration`] (applied to the last two
    /// incidence years).
    pub late_registration: f64,
    /// Per-record probability of each identity fault, in the order of
    /// [`IdentityFault::ALL`]: typo, transposition, missing value, day/month swap.
    pub identity: [f64; 4],
}

impl Default for FaultRates {
    /// About one registry record in fifty with a coding, date or registration fault, in the
    /// range registries report for raw submissions (DCO around 1 %: IARC CI5 data-quality
    /// indicators for French registries), and one identity in twenty typed with an error.
    fn default() -> Self {
        Self {
            invalid_topography: 0.003,
            invalid_morphology: 0.003,
            sex_site_conflict: 0.002,
            birth_after_incidence: 0.002,
            missing_value: 0.002,
            unlikely_code: 0.002,
            duplicate: 0.005,
            death_certificate_only: 0.01,
            late_registration: 0.01,
            identity: [0.02, 0.01, 0.01, 0.01],
        }
    }
}

impl FaultRates {
    /// No faults.
    pub fn none() -> Self {
        Self {
            invalid_topography: 0.0,
            invalid_morphology: 0.0,
            sex_site_conflict: 0.0,
            birth_after_incidence: 0.0,
            missing_value: 0.0,
            unlikely_code: 0.0,
            duplicate: 0.0,
            death_certificate_only: 0.0,
            late_registration: 0.0,
            identity: [0.0; 4],
        }
    }

    /// The rate of one kind.
    pub fn rate(&self, kind: FaultKind) -> f64 {
        match kind {
            FaultKind::InvalidTopography => self.invalid_topography,
            FaultKind::InvalidMorphology => self.invalid_morphology,
            FaultKind::SexSiteConflict => self.sex_site_conflict,
            FaultKind::BirthAfterIncidence => self.birth_after_incidence,
            FaultKind::MissingValue => self.missing_value,
            FaultKind::UnlikelyCode => self.unlikely_code,
            FaultKind::Duplicate => self.duplicate,
            FaultKind::DeathCertificateOnly => self.death_certificate_only,
            FaultKind::LateRegistration => self.late_registration,
        }
    }

    /// Draws the single fault (if any) of one record; faults are exclusive so that each
    /// faulty record has one known cause.
    pub fn draw(&self, rng: &mut impl Rng) -> Option<FaultKind> {
        let mut u: f64 = rng.random();
        for kind in FaultKind::ALL {
            let r = self.rate(kind);
            if u < r {
                return Some(kind);
            }
            u -= r;
        }
        None
    }

    /// Draws the identity fault (if any) of one identity as a source typed it.
    pub fn draw_identity(&self, rng: &mut impl Rng) -> Option<IdentityFault> {
        let mut u: f64 = rng.random();
        for (kind, r) in IdentityFault::ALL.into_iter().zip(self.identity) {
            if u < r {
                return Some(kind);
            }
            u -= r;
        }
        None
    }
}

/// A topography that does not exist but looks like `valid`: the same site with a fourth
/// character ICD-O-3 does not have, or C45.9 for the sites that use all ten.
pub fn corrupt_topography(valid: &str) -> String {
    let t = Topography::parse(valid).expect("generator topography");
    (0..10)
        .map(|d| format!("C{:02}{d}", t.site()))
        .find(|c| !Topography::parse(c).expect("format").is_valid())
        .unwrap_or_else(|| "C459".to_string())
}

/// A morphology that does not exist in ICD-O-3.
pub fn corrupt_morphology(rng: &mut impl Rng) -> &'static str {
    const NON_EXISTENT: [&str; 5] = ["8006", "8511", "8859", "9730", "9810"];
    NON_EXISTENT[rng.random_range(0..NON_EXISTENT.len())]
}

/// The morphology of [`FaultKind::UnlikelyCode`]: nephroblastoma, which belongs in the kidney.
pub const UNLIKELY_MORPHOLOGY: &str = "8960";

/// A sex-specific topography of the other sex: prostate for a woman, cervix for a man.
pub fn site_of_other_sex(sex: Sex) -> &'static str {
    match sex {
        Sex::Female => "C619",
        _ => "C539",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oncodata_coding::Morphology;

    #[test]
    fn corrupted_codes_are_invalid() {
        for t in ["C50.9", "C18.7", "C61.9", "C44.5"] {
            let c = corrupt_topography(t);
            assert!(!Topography::parse(&c).unwrap().is_valid(), "{t} -> {c}");
        }
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        for _ in 0..20 {
            assert!(!Morphology::parse(corrupt_morphology(&mut rng)).unwrap().is_valid());
        }
    }

    use rand::SeedableRng;

    #[test]
    fn fault_frequencies_follow_the_rates() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let rates = FaultRates {
            invalid_topography: 0.1,
            invalid_morphology: 0.05,
            birth_after_incidence: 0.02,
            ..FaultRates::none()
        };
        let n = 100_000;
        let mut counts = std::collections::HashMap::new();
        for _ in 0..n {
            if let Some(k) = rates.draw(&mut rng) {
                *counts.entry(k).or_insert(0) += 1;
            }
        }
        let share = |k| *counts.get(&k).unwrap_or(&0) as f64 / n as f64;
        // Within 4 binomial standard errors.
        for (k, p) in [
            (FaultKind::InvalidTopography, 0.1),
            (FaultKind::InvalidMorphology, 0.05),
            (FaultKind::BirthAfterIncidence, 0.02),
        ] {
            let se = (p * (1.0 - p) / n as f64).sqrt();
            assert!((share(k) - p).abs() < 4.0 * se, "{k:?}: {}", share(k));
        }
        assert_eq!(share(FaultKind::SexSiteConflict), 0.0);
    }
}
