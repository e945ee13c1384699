//! What the edit checks find on a record: a rule's [`Violation`] with its [`Severity`], the
//! [`Warning`]s kept on accepted records and the [`QuarantinedRecord`]s kept whole with their
//! reasons. The rules themselves live with the readers (the ingest crate); the warehouse stores
//! their findings in the `warnings` and `quarantine` tables.

use std::fmt;

use crate::Provenance;

/// What a rule's failure does to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Severity {
    /// The record goes to quarantine.
    Error,
    /// The record is accepted and flagged.
    Warning,
}

/// One rule's finding on one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule's id, e.g. `iarc.topography`.
    pub rule: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, with the offending values.
    pub message: String,
}

impl Violation {
    /// A finding that sends the record to quarantine.
    pub fn error(rule: &'static str, message: impl Into<String>) -> Self {
        Self { rule, severity: Severity::Error, message: message.into() }
    }

    /// A finding that lets the record in, flagged.
    pub fn warning(rule: &'static str, message: impl Into<String>) -> Self {
        Self { rule, severity: Severity::Warning, message: message.into() }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.rule, self.message)
    }
}

/// A warning on an accepted record.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    /// File and record number.
    pub provenance: Provenance,
    /// The record's id (the tumour id for tumour records).
    pub record_id: Option<String>,
    /// The rule and message.
    pub violation: Violation,
}

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
