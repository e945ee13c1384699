//! [`Records`]: a batch of what reading a source yields, as the warehouse stores it.

use crate::{CareEvent, Patient, PatientIdentity, QuarantinedRecord, Tumour, Warning};

/// A batch of records read from a source: what a reader hands to the warehouse.
#[derive(Debug, Default)]
pub struct Records {
    /// Patients first seen in this batch.
    pub patients: Vec<Patient>,
    /// Accepted tumours.
    pub tumours: Vec<Tumour>,
    /// Accepted care events.
    pub care_events: Vec<CareEvent>,
    /// Rejected records.
    pub quarantined: Vec<QuarantinedRecord>,
    /// Warnings on accepted records.
    pub warnings: Vec<Warning>,
    /// Pseudonymised identities of patients.
    pub identities: Vec<PatientIdentity>,
}

impl Records {
    /// Empties every list, keeping the memory.
    pub fn clear(&mut self) {
        self.patients.clear();
        self.tumours.clear();
        self.care_events.clear();
        self.quarantined.clear();
        self.warnings.clear();
        self.identities.clear();
    }
}
