//! Reading source files into the data model. Every record either enters (possibly with
//! warnings) or goes to quarantine with its file, record number, rule ids and messages: nothing
//! is dropped, and every reader's counts satisfy read = accepted + quarantined.
//!
//! - [`encr`]: ENCR-style registry CSV extracts (the JRC-ENCR data set's variables);
//! - [`population`]: population denominators (`area,year,sex,age_group,persons`);
//! - [`rules`]: the validation rules, each with an id and a severity;
//! - [`quarantine`]: rejected records and the counts of a run.

pub mod encr;
pub mod population;
pub mod quarantine;
pub mod rules;

pub use quarantine::{Counts, QuarantinedRecord};
pub use rules::{Severity, Violation};

/// A failure that stops reading a whole file (as opposed to a bad record, which is
/// quarantined): the file cannot be opened, or its header lacks a required column.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The file could not be read.
    #[error("{file}: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// The file is not of the expected layout.
    #[error("{file}: {message}")]
    Layout { file: String, message: String },
    /// A reference-data row is wrong (population files are loaded whole or not at all).
    #[error("{file} line {line}: {message}")]
    Row { file: String, line: u64, message: String },
}
