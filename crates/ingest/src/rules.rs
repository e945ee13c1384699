//! Validation rules. Each rule has a stable id (used in quarantine, reports and by registrars to
//! mark verified cases) and a severity: an error sends the record to quarantine, a warning lets
//! it in with a flag.
//!
//! The IARC checks follow the IARC/IACR Check program (Ferlay et al., IARC Technical Report
//! No. 42, 2005) as ported in CanReg5 (`registry-and-epi-methods.md` §2.2).

pub use oncodata_model::{Severity, Violation};

/// A rule's id, severity and description, for `--help` texts and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleInfo {
    /// Id.
    pub id: &'static str,
    /// Severity.
    pub severity: Severity,
    /// What it checks.
    pub description: &'static str,
}

/// Every rule the readers apply.
pub const RULES: &[RuleInfo] = &[
    RuleInfo {
        id: "record.shape",
        severity: Severity::Error,
        description: "the record has as many fields as the header",
    },
    RuleInfo { id: "record.encoding", severity: Severity::Error, description: "the record is valid UTF-8" },
    RuleInfo { id: "record.required", severity: Severity::Error, description: "the mandatory variables are present" },
    RuleInfo {
        id: "record.format",
        severity: Severity::Error,
        description: "each variable has its format (numbers, months 1-12, codes)",
    },
    RuleInfo {
        id: "iarc.topography",
        severity: Severity::Error,
        description: "the topography exists in ICD-O-3 (IARC check 6)",
    },
    RuleInfo {
        id: "iarc.morphology",
        severity: Severity::Error,
        description: "the morphology exists in ICD-O-3 (IARC check 7)",
    },
    RuleInfo {
        id: "iarc.behaviour",
        severity: Severity::Error,
        description: "the behaviour is 0, 1, 2 or 3 (primary tumours)",
    },
    RuleInfo {
        id: "iarc.sex-topography",
        severity: Severity::Error,
        description: "no female genital site in a man, no male genital site in a woman (IARC check 20)",
    },
    RuleInfo { id: "date.birth-incidence", severity: Severity::Error, description: "birth is not after incidence" },
    RuleInfo {
        id: "date.age-incidence",
        severity: Severity::Error,
        description: "the stated age agrees with birth and incidence dates (tolerance 1 year when days are unknown)",
    },
    RuleInfo { id: "date.future", severity: Severity::Error, description: "no date after today" },
    RuleInfo {
        id: "date.last-contact",
        severity: Severity::Error,
        description: "last contact or death is not before incidence",
    },
    RuleInfo {
        id: "record.duplicate",
        severity: Severity::Error,
        description: "a tumour (patient and tumour number) is read once per run",
    },
    RuleInfo {
        id: "identity.nir",
        severity: Severity::Warning,
        description: "a national id (NIR) has 13 digits and a matching control key; an invalid one is not used",
    },
    RuleInfo {
        id: "identity.birth_date_nir",
        severity: Severity::Warning,
        description: "the birth date's month is the NIR's month of birth; a date whose day is that month is taken \
                      as swapped for the claims pseudonym",
    },
    RuleInfo {
        id: "record.reference",
        severity: Severity::Error,
        description: "the record's patient, stay or condition exists in the extract",
    },
    RuleInfo {
        id: "iarc.grade",
        severity: Severity::Error,
        description: "grade agrees with behaviour and histology (IARC check 9)",
    },
    RuleInfo {
        id: "iarc.basis-histology",
        severity: Severity::Warning,
        description: "a specific histology has a microscopic basis of diagnosis (IARC check 10)",
    },
    RuleInfo {
        id: "iarc.age-topography",
        severity: Severity::Warning,
        description: "the site is plausible at this age (IARC check 22)",
    },
    RuleInfo {
        id: "iarc.age-morphology",
        severity: Severity::Warning,
        description: "the histology is plausible at this age (IARC check 23)",
    },
    RuleInfo {
        id: "iarc.age-topography-morphology",
        severity: Severity::Warning,
        description: "site and histology are plausible together at this age (IARC check 24)",
    },
    RuleInfo {
        id: "iarc.sex-morphology",
        severity: Severity::Warning,
        description: "the histology is plausible for the sex (IARC check 21)",
    },
    RuleInfo {
        id: "iarc.site-histology",
        severity: Severity::Warning,
        description: "the histology is plausible in this site (IARC check 18)",
    },
    RuleInfo {
        id: "iarc.topography-behaviour",
        severity: Severity::Warning,
        description: "no in situ tumour in bone, marrow, nerves, soft tissue or the CNS",
    },
    RuleInfo {
        id: "record.not-cancer-care",
        severity: Severity::Warning,
        description: "a drug or act that is not a cancer treatment: read, kept out of the care pathway",
    },
    RuleInfo { id: "code.icd10", severity: Severity::Warning, description: "the ICD-O-3 codes convert to ICD-10" },
];

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_unique() {
        let mut ids: Vec<_> = RULES.iter().map(|r| r.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len());
        assert_eq!(rule("iarc.topography").unwrap().severity, Severity::Error);
    }
}
