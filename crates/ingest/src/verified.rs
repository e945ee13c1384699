//! Cases a registrar has verified: an unusual but true combination (a breast cancer in a man of
//! 19, a retinoblastoma at 7) is confirmed once, and the warning it raises is not raised again
//! on later ingests — CanReg5's "checked/verified" flag on a record.
//!
//! Kept as a CSV file, `record_id,rule,verified_by,verified_on,reason`, one line per warning
//! silenced, in the warehouse directory (`DIR/registrar/verified.csv`).

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

use crate::IngestError;
use crate::rules::{Severity, rule};

/// The header of the verified-cases file.
pub const HEADER: &str = "record_id,rule,verified_by,verified_on,reason";

/// The set of (record id, rule id) pairs a registrar has verified.
#[derive(Debug, Clone, Default)]
pub struct Verified(HashSet<(String, String)>);

impl Verified {
    /// Reads the file; a missing file is an empty set.
    pub fn load(path: &Path) -> Result<Self, IngestError> {
        let file = path.display().to_string();
        if !path.exists() {
            return Ok(Self::default());
        }
        let mut reader = csv::Reader::from_path(path)
            .map_err(|e| IngestError::Layout { file: file.clone(), message: e.to_string() })?;
        let mut set = HashSet::new();
        for (i, row) in reader.records().enumerate() {
            let row =
                row.map_err(|e| IngestError::Row { file: file.clone(), line: i as u64 + 2, message: e.to_string() })?;
            let (Some(id), Some(r)) = (row.get(0), row.get(1)) else {
                return Err(IngestError::Row { file, line: i as u64 + 2, message: "expected record_id,rule".into() });
            };
            set.insert((id.to_string(), r.to_string()));
        }
        Ok(Self(set))
    }

    /// Whether the warning `rule` on `record_id` was verified.
    pub fn contains(&self, record_id: &str, rule: &str) -> bool {
        !self.0.is_empty() && self.0.contains(&(record_id.to_string(), rule.to_string()))
    }

    /// Appends a verification to the file (creating it with its header). Only warnings can be
    /// verified: an error means the record cannot be true as coded and must be corrected.
    pub fn record(
        path: &Path,
        record_id: &str,
        rule_id: &str,
        by: &str,
        on: chrono::NaiveDate,
        reason: &str,
    ) -> Result<(), String> {
        let info = rule(rule_id).ok_or_else(|| format!("unknown rule '{rule_id}'"))?;
        if info.severity == Severity::Error {
            return Err(format!(
                "{rule_id} is an error rule ({}): the record must be corrected and re-ingested, not verified",
                info.description
            ));
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let new = !path.exists();
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
        w.write_record([record_id, rule_id, by, &on.to_string(), reason]).map_err(|e| e.to_string())?;
        let line = w.into_inner().map_err(|e| e.to_string())?;
        if new {
            writeln!(f, "{HEADER}").map_err(|e| format!("{}: {e}", path.display()))?;
        }
        f.write_all(&line).map_err(|e| format!("{}: {e}", path.display()))
    }
}
