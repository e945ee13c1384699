//! Patients.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{PartialDate, Provenance, Sex, Text};

/// Vital status at the date of last contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum VitalStatus {
    /// Alive at last contact.
    Alive,
    /// Dead.
    Dead,
    /// Not known.
    Unknown,
}

impl VitalStatus {
    /// `alive`, `dead` or `unknown`.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Alive => "alive",
            Self::Dead => "dead",
            Self::Unknown => "unknown",
        }
    }
}

/// A person with at least one tumour or care event, as one source describes them.
///
/// Direct identifiers never reach this type: `patient_id` is the pseudonym (or the source's own
/// opaque id until linkage), and residence is kept at commune level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Patient {
    /// Pseudonymous identifier, unique within the source.
    pub patient_id: Text,
    /// Sex.
    pub sex: Sex,
    /// Date of birth; some sources give only year and month.
    pub birth_date: PartialDate,
    /// Département of residence at diagnosis (INSEE code: `50`, `2A`, `974`).
    pub departement: Option<Text>,
    /// Commune of residence at diagnosis (5-character INSEE code), when the source gives it.
    pub commune: Option<Text>,
    /// Vital status at last contact.
    pub vital_status: VitalStatus,
    /// Date of last contact, or of death when dead.
    pub last_contact: Option<NaiveDate>,
    /// Date of death, when dead and known.
    pub death_date: Option<NaiveDate>,
    /// Underlying cause of death as the source codes it (ICD-10 `C509`, or ICD-9), when dead
    /// and given; the source's codes for "alive" (NAACCR `0000`) are not kept.
    pub cause_of_death: Option<Text>,
    /// Where the record came from.
    pub provenance: Provenance,
}
