//! The tamper-evident audit log: every access to the data and every governance decision is an
//! event, appended and made durable before the action it records is acknowledged; each event is
//! a leaf of an append-only Merkle tree (RFC 6962), and signed checkpoints (tree size, root hash,
//! time; Ed25519) commit to every event before them. `verify` names the first event changed,
//! removed, inserted or reordered; `prove` gives an inclusion proof an outside auditor checks
//! with a published checkpoint alone; an event's personal details can be erased while its leaf
//! hash keeps the tree intact.
//!
//! Sources: Laurie B., Langley A., Kasper E., *Certificate Transparency*, RFC 6962, 2013, §2.1;
//! Laurie B. et al., RFC 9162, 2021, §2.1.3 (verifying inclusion); Josefsson S., Liusvaara I.,
//! *Edwards-Curve Digital Signature Algorithm*, RFC 8032, 2017.

pub mod log;
pub mod merkle;

pub use log::{AuditLog, Checkpoint, Event, InclusionProof, Report, public_key};

/// What can go wrong with the audit log.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// A file of the log could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What the system said.
        source: std::io::Error,
    },
    /// The log was changed after it was written: what and where.
    #[error("the audit log was tampered with: {0}")]
    Tampered(String),
    /// A request the log cannot answer (an event it does not hold, no checkpoint yet…).
    #[error("{0}")]
    Request(String),
}

impl AuditError {
    fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        Self::Io { path: path.display().to_string(), source }
    }
}
