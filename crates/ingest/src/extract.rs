//! What reading one source yields, collected record by record: accepted patients, tumours and
//! care events, quarantined records, warnings, and per file the counts that prove nothing was
//! lost (read = accepted + quarantined, checked when a file is finished).

use std::collections::HashMap;

use oncodata_model::{CareEvent, Patient, Provenance, Tumour};

use crate::IngestError;
use crate::case::{Accepted, Rejected};
use crate::quarantine::{Counts, QuarantinedRecord};
use crate::rules::Violation;
use crate::verified::Verified;

/// A warning on an accepted record.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    /// File and record number.
    pub provenance: Provenance,
    /// The record's id (the tumour id for tumour records).
    pub record_id: Option<String>,
    /// The rule and message.
    pub violation: Violation,
}

/// The counts of one file of a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCounts {
    /// The source kind (`encr-csv`, `omop`…).
    pub source: String,
    /// The file.
    pub file: String,
    /// Read, accepted, quarantined, warnings.
    pub counts: Counts,
}

/// Everything read from one or more files.
#[derive(Debug, Default)]
pub struct Extract {
    /// One patient per distinct id among accepted records (the first record describes them).
    pub patients: Vec<Patient>,
    /// Accepted tumours.
    pub tumours: Vec<Tumour>,
    /// Accepted care events (treatments, stays, dispensations).
    pub care_events: Vec<CareEvent>,
    /// Rejected records.
    pub quarantined: Vec<QuarantinedRecord>,
    /// Warnings on accepted records, except those a registrar verified.
    pub warnings: Vec<Warning>,
    /// Per file, in reading order.
    pub files: Vec<FileCounts>,
    /// Warnings not raised because a registrar had verified the case.
    pub verified_warnings: u64,
    /// Records read so far over all files, for a progress display in another thread.
    pub progress: std::sync::Arc<std::sync::atomic::AtomicU64>,
    verified: Verified,
    patient_index: HashMap<String, usize>,
    current: Counts,
}

impl Extract {
    /// An empty extract whose warnings skip the cases in `verified`.
    pub fn new(verified: Verified) -> Self {
        Self { verified, ..Self::default() }
    }

    /// Counts one record read from the current file.
    pub fn read(&mut self) {
        self.current.read += 1;
        self.progress.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Keeps a validated tumour record, or quarantines it. `raw` gives the record's text, only
    /// asked for when the record is quarantined.
    pub fn tumour(
        &mut self,
        outcome: Result<Accepted, Rejected>,
        provenance: &Provenance,
        raw: impl FnOnce() -> String,
    ) {
        match outcome {
            Ok((patient, tumour, warnings)) => {
                self.warnings_of(provenance, Some(&tumour.tumour_id), warnings);
                self.patient(patient);
                self.tumours.push(tumour);
                self.current.accepted += 1;
            }
            Err((violations, record_id)) => self.quarantine(provenance, record_id, violations, raw()),
        }
    }

    /// Adds a patient unless one with the same id is already in.
    pub fn patient(&mut self, patient: Patient) {
        if !self.patient_index.contains_key(&patient.patient_id) {
            self.patient_index.insert(patient.patient_id.clone(), self.patients.len());
            self.patients.push(patient);
        }
    }

    /// Counts a record accepted that yields no tumour (a patient row, care events).
    pub fn accepted(&mut self, provenance: &Provenance, record_id: Option<&str>, warnings: Vec<Violation>) {
        self.warnings_of(provenance, record_id, warnings);
        self.current.accepted += 1;
    }

    /// Records warnings of an accepted record, skipping verified ones.
    pub fn warnings_of(&mut self, provenance: &Provenance, record_id: Option<&str>, warnings: Vec<Violation>) {
        for w in warnings {
            if record_id.is_some_and(|id| self.verified.contains(id, w.rule)) {
                self.verified_warnings += 1;
                continue;
            }
            self.current.warnings += 1;
            self.warnings.push(Warning {
                provenance: provenance.clone(),
                record_id: record_id.map(str::to_string),
                violation: w,
            });
        }
    }

    /// Quarantines a record.
    pub fn quarantine(
        &mut self,
        provenance: &Provenance,
        record_id: Option<String>,
        violations: Vec<Violation>,
        raw: String,
    ) {
        self.current.quarantined += 1;
        self.quarantined.push(QuarantinedRecord { provenance: provenance.clone(), record_id, violations, raw });
    }

    /// Ends the current file: checks read = accepted + quarantined and keeps its counts.
    pub fn finish_file(&mut self, source: &str, file: &str) -> Result<Counts, IngestError> {
        let counts = std::mem::take(&mut self.current);
        counts.check(file)?;
        self.files.push(FileCounts { source: source.to_string(), file: file.to_string(), counts });
        Ok(counts)
    }

    /// The counts summed over every file.
    pub fn counts(&self) -> Counts {
        self.files.iter().fold(Counts::default(), |mut t, f| {
            t.read += f.counts.read;
            t.accepted += f.counts.accepted;
            t.quarantined += f.counts.quarantined;
            t.warnings += f.counts.warnings;
            t
        })
    }
}
