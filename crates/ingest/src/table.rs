//! Row-by-row reading of delimited text files with a header line, shared by the CSV readers:
//! columns found by name (any case, any order, a UTF-8 byte-order mark ignored), rows with the
//! wrong number of fields or invalid UTF-8 handed over as violations so the reader can
//! quarantine them, and a syntax error that stops the file named with its line.

use std::collections::HashMap;
use std::io::Read;

use crate::IngestError;
use crate::rules::Violation;

/// The columns of a file's header.
pub(crate) struct Header {
    names: Vec<String>,
}

impl Header {
    /// The position of a column, matched without regard to case.
    pub(crate) fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n.eq_ignore_ascii_case(name))
    }

    /// The positions of `names`, or a layout error listing those missing.
    pub(crate) fn require(&self, file: &str, what: &str, names: &[&'static str]) -> Result<(), IngestError> {
        let missing: Vec<&str> = names.iter().copied().filter(|n| self.index(n).is_none()).collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(IngestError::Layout {
                file: file.to_string(),
                message: format!("not {what}: missing column(s) {} in the header", missing.join(", ")),
            })
        }
    }

    /// A map from each of `names` present to its position.
    pub(crate) fn columns(&self, names: &[&'static str]) -> HashMap<&'static str, usize> {
        names.iter().filter_map(|n| Some((*n, self.index(n)?))).collect()
    }
}

/// One data row, its fields trimmed on access.
pub(crate) struct Row<'a> {
    pub(crate) fields: &'a [&'a str],
}

impl<'a> Row<'a> {
    /// The trimmed value at `index`, `None` when the column is absent or the value empty.
    pub(crate) fn at(&self, index: Option<usize>) -> Option<&'a str> {
        let v = self.fields.get(index?)?.trim();
        (!v.is_empty()).then_some(v)
    }
}

/// A row as read: its line, the row or why it cannot be split into fields, and its raw text.
pub(crate) type RowHandler<'h> =
    dyn FnMut(u64, Result<Row<'_>, Violation>, &dyn Fn() -> String) -> Result<(), IngestError> + 'h;

/// A delimited file being read: its header is read on opening.
pub(crate) struct Table<'f, R: Read> {
    reader: csv::Reader<R>,
    file: &'f str,
    width: usize,
    delimiter: u8,
    /// The header's columns.
    pub(crate) header: Header,
}

impl<'f, R: Read> Table<'f, R> {
    /// Reads the header line.
    pub(crate) fn open(input: R, file: &'f str, delimiter: u8) -> Result<Self, IngestError> {
        let mut reader = csv::ReaderBuilder::new().flexible(true).delimiter(delimiter).from_reader(input);
        let header = reader
            .byte_headers()
            .map_err(|e| IngestError::Layout { file: file.to_string(), message: format!("header: {e}") })?;
        let names = header
            .iter()
            .map(|h| String::from_utf8_lossy(h).trim().trim_start_matches('\u{feff}').to_string())
            .collect();
        let width = header.len();
        Ok(Self { reader, file, width, delimiter, header: Header { names } })
    }

    /// Hands every data row to `each`, with its line number and a way to get its raw text.
    pub(crate) fn rows(mut self, each: &mut RowHandler<'_>) -> Result<(), IngestError> {
        let mut record = csv::ByteRecord::new();
        loop {
            match self.reader.read_byte_record(&mut record) {
                Ok(false) => return Ok(()),
                Ok(true) => {}
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    return Err(IngestError::Row { file: self.file.to_string(), line, message: e.to_string() });
                }
            }
            let line = record.position().map_or(0, |p| p.line());
            let raw = || csv_line(&record, self.delimiter);
            if record.len() != self.width {
                let v = Violation::error(
                    "record.shape",
                    format!("{} fields where the header has {}", record.len(), self.width),
                );
                each(line, Err(v), &raw)?;
                continue;
            }
            let fields: Result<Vec<&str>, _> = record.iter().map(std::str::from_utf8).collect();
            match fields {
                Ok(fields) => each(line, Ok(Row { fields: &fields }), &raw)?,
                Err(_) => each(line, Err(Violation::error("record.encoding", "not valid UTF-8")), &raw)?,
            }
        }
    }
}

/// A record written back as one line of delimited text, quoted where needed (invalid UTF-8
/// replaced), so that a quarantined record can be exported under its file's header, corrected
/// and read again.
pub(crate) fn csv_line(record: &csv::ByteRecord, delimiter: u8) -> String {
    let mut w = csv::WriterBuilder::new().delimiter(delimiter).has_headers(false).from_writer(Vec::new());
    let fields: Vec<String> = record.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
    if w.write_record(&fields).is_err() {
        return fields.join(",");
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes).trim_end_matches(['\r', '\n']).to_string()
}
