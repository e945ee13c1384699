//! Where a record came from.

use serde::{Deserialize, Serialize};

/// The origin of a record: kept on every row of the warehouse so that any figure can be traced
/// back to the source lines it was computed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The kind of source, as given to `oncodata ingest --source`: `encr-csv`, `naaccr-xml`…
    pub source: String,
    /// The file the record was read from, as given on the command line.
    pub file: String,
    /// The record's number in the file: the line for text files (1 = first line, the header),
    /// the element's position for XML and JSON.
    pub record: u64,
}
