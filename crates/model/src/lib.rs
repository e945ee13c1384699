//! The oncodata data model: the records every source is read into and every analysis reads
//! from, as Rust types and as the Arrow schemas of the warehouse tables.
//!
//! - [`Patient`]: a person, under a pseudonymous id, with sex, birth date, residence at
//!   diagnosis and vital status;
//! - [`Tumour`]: a tumour as a source describes it, coded in ICD-O-3, with its derived ICD-10,
//!   ICCC-3 and site-group codes;
//! - [`CareEvent`]: a dated step of the care pathway (diagnosis, multidisciplinary meeting,
//!   treatments, screening, vaccination…);
//! - [`PopulationCount`] and [`LifeTableEntry`]: denominators and population mortality;
//! - [`PatientIdentity`]: a patient's pseudonymised identity, for linkage;
//! - [`Provenance`]: on every record, where it came from (source, file, record number);
//! - [`Violation`], [`Warning`], [`QuarantinedRecord`]: what the edit checks found, and
//!   [`Records`], a batch of all of these as a reader hands it to the warehouse.
//!
//! Codes are kept as the text a source gave once validated (ICD-O-3 `C50.9`, `8500`), so that
//! every table is readable as is from SQL, R or Python.

pub mod care_event;
pub mod date;
pub mod finding;
pub mod identity;
pub mod patient;
pub mod population;
pub mod provenance;
pub mod records;
pub mod schema;
pub mod tumour;

pub use care_event::{CareEvent, CareEventKind};
pub use date::PartialDate;
pub use finding::{QuarantinedRecord, Severity, Violation, Warning};
pub use identity::PatientIdentity;
pub use oncodata_coding::Sex;
pub use patient::{Patient, VitalStatus};
pub use population::{CauseOfDeathCount, Coverage, LifeTableEntry, PopulationCount};
pub use provenance::Provenance;
pub use records::Records;
pub use tumour::Tumour;

/// The text values of records (identifiers, codes, short labels): stored inline up to 24 bytes,
/// so that a validated record costs no heap allocation per field. Ingest builds and drops
/// hundreds of thousands of records a second; with a `String` per field, allocating and
/// freeing them took a quarter of its time.
pub type Text = compact_str::CompactString;
