//! NAACCR fixed-width flat files of the version 18 layout (record types I incidence, C
//! confidential, M modified and A abstract: 4,048 to 24,194 characters a line), which many
//! registries still exchange. Version 18 is the last with a flat layout: from version 21 NAACCR
//! exchanges XML ([`crate::naaccr`]).
//!
//! Each line is one tumour with its patient's items. The items are read at their columns in the
//! version 18 layout (`startColumn` and `length` of the NAACCR dictionary 18, kept in
//! `data/naaccr/naaccr_items.csv`) and mapped exactly as the XML reader maps them
//! ([`crate::naaccr::case_of`]), so that a flat file and its XML counterpart give the same
//! tumours. Only the items the reader maps are cut out of a line (codes, dates, ids), so the
//! quarantine never holds a name or an address. The record number is the line number. A file
//! whose records declare another layout version (`naaccrRecordVersion`, columns 17–19) is
//! refused whole, naming the version.

use std::io::{BufReader, Read};
use std::path::Path;

use chrono::NaiveDate;
use oncodata_model::Provenance;

use crate::IngestError;
use crate::case::validate;
use crate::extract::Extract;
use crate::naaccr::{RAW_ITEMS, case_of, items};
use crate::rules::Violation;

/// The `--source` kind of this reader.
pub const SOURCE_KIND: &str = "naaccr-flat";

/// Lines longer than this are not a NAACCR record (the abstract record has 24,194 characters).
const MAX_LINE: usize = 32 * 1024;

/// The items read, with their element and their columns (0-based start, length) in the
/// version 18 layout.
fn columns() -> Vec<(&'static str, bool, usize, usize)> {
    let defs = items();
    RAW_ITEMS
        .iter()
        .filter_map(|id| {
            let d = defs.get(*id)?;
            let (start, len) = d.column_180?;
            Some((*id, d.parent == "Tumor", start - 1, len))
        })
        .collect()
}

/// Reads and validates a NAACCR flat file (gzipped or not) into `out`.
pub fn read_naaccr_flat(path: &Path, today: NaiveDate, out: &mut Extract) -> Result<(), IngestError> {
    let file = path.display().to_string();
    let f = out.open(path)?;
    read_flat(f, &file, today, out)
}

/// Reads a NAACCR flat file from any reader; `file` names it in provenance and errors.
pub fn read_flat<R: Read>(input: R, file: &str, today: NaiveDate, out: &mut Extract) -> Result<(), IngestError> {
    let mut input = BufReader::with_capacity(1 << 20, crate::input::decompressed(input, file)?);
    let columns = columns();
    let base = Provenance::new(SOURCE_KIND, file, 0);
    let mut line = Vec::new();
    let mut number = 0u64;
    let (mut last_patient, mut position) = (None::<String>, 0u32);
    while let Some(fits) = crate::input::next_line(&mut input, MAX_LINE, &mut line, file)? {
        number += 1;
        while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            line.pop();
        }
        if fits && line.iter().all(u8::is_ascii_whitespace) {
            continue; // a blank line (a trailing newline) is not a record
        }
        out.read();
        let provenance = base.at(number);
        if !fits {
            let v = Violation::error("record.format", format!("line longer than {MAX_LINE} characters"));
            out.quarantine(&provenance, None, vec![v], String::new());
            continue;
        }
        let field = |start: usize, len: usize| -> String {
            let bytes = line.get(start..(start + len).min(line.len())).unwrap_or_default();
            String::from_utf8_lossy(bytes).trim().to_string()
        };
        let version = field(16, 3);
        if version != "180" {
            return Err(IngestError::Row {
                file: file.to_string(),
                line: number,
                message: format!(
                    "naaccrRecordVersion (columns 17-19) is '{version}': only the version 18 flat layout (180) is \
                     read; later versions exchange NAACCR XML (--source naaccr-xml)"
                ),
            });
        }
        let (mut root, mut patient, mut tumour) = (Vec::new(), Vec::new(), Vec::new());
        for &(id, in_tumour, start, len) in &columns {
            let value = field(start, len);
            if value.is_empty() {
                continue;
            }
            let to = match (id, in_tumour) {
                ("registryId", _) => &mut root,
                (_, true) => &mut tumour,
                (_, false) => &mut patient,
            };
            to.push((id.to_string(), value));
        }
        let patient_id = patient.iter().find(|(k, _)| k == "patientIdNumber").map(|(_, v)| v.clone());
        position = if patient_id.is_some() && patient_id == last_patient { position + 1 } else { 1 };
        last_patient = patient_id;
        let at = format!("{position:02}");
        let (case, findings) = case_of(&root, &patient, &tumour, &at);
        let raw = || patient.iter().chain(&tumour).map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(";");
        out.tumour(validate(&case, findings, &provenance, today), &provenance, raw);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    /// A version 18 incidence line with the given items at their columns.
    fn line(items: &[(&str, &str)]) -> String {
        let mut l = vec![b' '; 4048];
        l[0] = b'I';
        l[16..19].copy_from_slice(b"180");
        for (id, value) in items {
            let (start, _) = crate::naaccr::items()[*id].column_180.unwrap();
            l[start - 1..start - 1 + value.len()].copy_from_slice(value.as_bytes());
        }
        String::from_utf8(l).unwrap()
    }

    const CASE: [(&str, &str); 8] = [
        ("patientIdNumber", "00000007"),
        ("sex", "2"),
        ("dateOfBirth", "19500615"),
        ("dateOfDiagnosis", "20220310"),
        ("primarySite", "C504"),
        ("histologicTypeIcdO3", "8500"),
        ("behaviorCodeIcdO3", "3"),
        ("laterality", "1"),
    ];

    #[test]
    fn lines_are_tumours_read_at_their_columns() {
        let mut bad = CASE.to_vec();
        bad[4] = ("primarySite", "X999");
        let text = format!("{}\n{}\r\n\n", line(&CASE), line(&bad));
        let mut out = Extract::default();
        read_flat(text.as_bytes(), "t.txt", today(), &mut out).unwrap();
        let c = out.finish_file(SOURCE_KIND, "t.txt").unwrap();
        assert_eq!((c.read, c.accepted, c.quarantined), (2, 1, 1));
        let t = &out.tumours[0];
        assert_eq!((t.tumour_id.as_str(), t.topography.as_str(), t.laterality), ("00000007-01", "C50.4", Some(1)));
        assert_eq!(out.quarantined[0].provenance.record, 2);
        assert!(out.quarantined[0].raw.contains("primarySite=X999"), "{}", out.quarantined[0].raw);
    }

    #[test]
    fn another_layout_version_is_refused_naming_it() {
        let text = line(&CASE).replacen("180", "160", 1);
        let mut out = Extract::default();
        let e = read_flat(text.as_bytes(), "t.txt", today(), &mut out).unwrap_err().to_string();
        assert!(e.starts_with("t.txt line 1") && e.contains("'160'"), "{e}");
    }
}
