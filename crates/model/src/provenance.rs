//! Where a record came from.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// The origin of a record: kept on every row of the warehouse so that any figure can be traced
/// back to the source lines it was computed from. The names are shared (`Arc`) by every record
/// of a file, so that keeping them costs no allocation per record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The kind of source, as given to `oncodata ingest --source`: `encr-csv`, `naaccr-xml`…
    pub source: Arc<str>,
    /// The file the record was read from, as given on the command line.
    pub file: Arc<str>,
    /// The record's number in the file: the line for text files (1 = first line, the header),
    /// the element's position for XML and JSON.
    pub record: u64,
}

impl Provenance {
    /// Record `record` of `file`, read as a `source` source.
    pub fn new(source: &str, file: &str, record: u64) -> Self {
        Self { source: source.into(), file: file.into(), record }
    }

    /// Another record of the same file, sharing its names.
    pub fn at(&self, record: u64) -> Self {
        Self { source: Arc::clone(&self.source), file: Arc::clone(&self.file), record }
    }
}
