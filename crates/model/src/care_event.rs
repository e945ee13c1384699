//! Steps of the care pathway.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{Provenance, Text};

/// The kind of a care event: the steps the national cancer strategy's pathway indicators are
/// computed from (delays from first contact to treatment), and the screening and vaccination
/// events of its prevention indicators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CareEventKind {
    /// First contact with the care system for the symptoms or the abnormal screening test.
    FirstContact,
    /// Diagnosis (biopsy, imaging…).
    Diagnosis,
    /// Multidisciplinary team meeting (réunion de concertation pluridisciplinaire).
    MultidisciplinaryMeeting,
    /// Treatment proposal given to the patient (programme personnalisé de soins).
    TreatmentProposal,
    /// A hospital stay for the cancer other than a treatment session (PMSI MCO).
    HospitalStay,
    /// Surgery.
    Surgery,
    /// Chemotherapy.
    Chemotherapy,
    /// Radiotherapy.
    Radiotherapy,
    /// Hormone therapy.
    HormoneTherapy,
    /// Targeted therapy or immunotherapy.
    TargetedTherapy,
    /// A metastasis found: a secondary cancer (FHIR SecondaryCancerCondition, ICD-10 C77–C79)
    /// of the tumour, its site in `code` (ICD-O-3 topography) when known.
    Metastasis,
    /// Invitation to organised screening.
    ScreeningInvitation,
    /// Screening test performed.
    ScreeningTest,
    /// Vaccination dose (e.g. HPV).
    Vaccination,
}

impl CareEventKind {
    /// Every kind, in pathway order.
    pub const ALL: [CareEventKind; 14] = [
        Self::FirstContact,
        Self::Diagnosis,
        Self::MultidisciplinaryMeeting,
        Self::TreatmentProposal,
        Self::HospitalStay,
        Self::Surgery,
        Self::Chemotherapy,
        Self::Radiotherapy,
        Self::HormoneTherapy,
        Self::TargetedTherapy,
        Self::Metastasis,
        Self::ScreeningInvitation,
        Self::ScreeningTest,
        Self::Vaccination,
    ];

    /// The name used in the warehouse and on the command line, in snake case.
    pub fn label(&self) -> &'static str {
        match self {
            Self::FirstContact => "first_contact",
            Self::Diagnosis => "diagnosis",
            Self::MultidisciplinaryMeeting => "multidisciplinary_meeting",
            Self::TreatmentProposal => "treatment_proposal",
            Self::HospitalStay => "hospital_stay",
            Self::Surgery => "surgery",
            Self::Chemotherapy => "chemotherapy",
            Self::Radiotherapy => "radiotherapy",
            Self::HormoneTherapy => "hormone_therapy",
            Self::TargetedTherapy => "targeted_therapy",
            Self::Metastasis => "metastasis",
            Self::ScreeningInvitation => "screening_invitation",
            Self::ScreeningTest => "screening_test",
            Self::Vaccination => "vaccination",
        }
    }

    /// Reads a label written by [`CareEventKind::label`].
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.label() == text.trim())
    }
}

/// A dated step of a patient's care.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CareEvent {
    /// The patient.
    pub patient_id: Text,
    /// The tumour the event is about, when the source says.
    pub tumour_id: Option<Text>,
    /// What happened.
    pub kind: CareEventKind,
    /// When.
    pub date: NaiveDate,
    /// The provider (hospital FINESS number, centre id), when given.
    pub provider: Option<Text>,
    /// The event's code in its source's system, when given: the cancer's ICD-10 code for a
    /// hospital stay (its principal diagnosis, or the related one of a chemotherapy or
    /// radiotherapy session coded Z51), the ATC code of a dispensation, the CCAM code of a
    /// procedure, the site's ICD-O-3 topography of a metastasis.
    pub code: Option<Text>,
    /// Where the record came from.
    pub provenance: Provenance,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip() {
        for k in CareEventKind::ALL {
            assert_eq!(CareEventKind::parse(k.label()), Some(k));
        }
        assert_eq!(CareEventKind::parse("tea"), None);
    }
}
