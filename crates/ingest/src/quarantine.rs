//! Rejected records and the bookkeeping that proves nothing was lost.

pub use oncodata_model::QuarantinedRecord;

use crate::IngestError;

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
