//! What every fuzz target asserts of a reader's run: an error that names the input, or counts
//! that add up (read = accepted + quarantined, every quarantined record kept).

use oncodata_ingest::{Extract, IngestError};

/// The date validation treats as today.
pub fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

/// Checks the outcome of reading the input named `fuzz` into `out`.
pub fn check(result: Result<(), IngestError>, mut out: Extract) {
    match result {
        Ok(()) => {
            let c = out.finish_file("fuzz", "fuzz").expect("read = accepted + quarantined");
            assert_eq!(c.quarantined as usize, out.quarantined.len());
        }
        Err(e) => assert!(e.to_string().starts_with("fuzz"), "{e}"),
    }
}
