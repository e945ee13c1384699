//! Rejected records and the bookkeeping that proves nothing was lost.

use oncodata_model::Provenance;

use crate::{IngestError, Violation};

/// A record that failed an error rule, kept whole with its reasons.
#[derive(Debug, Clone, PartialEq)]
pub struct QuarantinedRecord {
    /// File and record number.
    pub provenance: Provenance,
    /// The record's own id (e.g. `PAT-TUM`), when it could be read.
    pub record_id: Option<String>,
    /// Every rule it broke (errors, and the warnings found alongside).
    pub violations: Vec<Violation>,
    /// The record as read (fields re-joined with commas; invalid UTF-8 replaced).
    pub raw: String,
}

impl QuarantinedRecord {
    /// The rule ids, `;`-separated.
    pub fn rule_ids(&self) -> String {
        self.violations.iter().map(|v| v.rule).collect::<Vec<_>>().join(";")
    }

    /// The messages, `; `-separated.
    pub fn messages(&self) -> String {
        self.violations.iter().map(|v| v.message.as_str()).collect::<Vec<_>>().join("; ")
    }
}

/// The counts of one source file: records read, accepted and quarantined, and warnings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Records read (data lines; the header is not a record).
    pub read: u64,
    /// Records accepted (with or without warnings).
    pub accepted: u64,
    /// Records quarantined.
    pub quarantined: u64,
    /// Records skipped because they hold no cancer (a FHIR export's patients without one),
    /// counted so that read = accepted + quarantined + skipped.
    pub skipped: u64,
    /// Warnings on accepted records.
    pub warnings: u64,
}

impl Counts {
    /// Fails loudly when read ≠ accepted + quarantined + skipped: a record would have been lost.
    pub fn check(&self, file: &str) -> Result<(), IngestError> {
        if self.read == self.accepted + self.quarantined + self.skipped {
            Ok(())
        } else {
            Err(IngestError::Layout {
                file: file.to_string(),
                message: format!(
                    "records lost: read {} != accepted {} + quarantined {} + skipped {}",
                    self.read, self.accepted, self.quarantined, self.skipped
                ),
            })
        }
    }
}
