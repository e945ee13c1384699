//! Patients.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{PartialDate, Provenance, Text};

/// Sex as registries code it (ENCR, CanReg5, NAACCR: 1 male, 2 female, 9 unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Sex {
    /// Code 1.
    Male,
    /// Code 2.
    Female,
    /// Code 9.
    Unknown,
}

impl Sex {
    /// Reads `1`/`2`/`9`, or `M`/`F`, `male`/`female` (any case).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "1" | "m" | "male" | "h" | "homme" => Some(Self::Male),
            "2" | "f" | "female" | "femme" => Some(Self::Female),
            "9" | "u" | "unknown" | "" => Some(Self::Unknown),
            _ => None,
        }
    }

    /// The registry code: 1, 2 or 9.
    pub fn code(&self) -> u8 {
        match self {
            Self::Male => 1,
            Self::Female => 2,
            Self::Unknown => 9,
        }
    }

    /// `male`, `female` or `unknown`, as written in the warehouse and in reports.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Male => "male",
            Self::Female => "female",
            Self::Unknown => "unknown",
        }
    }
}

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
