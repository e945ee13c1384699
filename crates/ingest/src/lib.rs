//! Reading source files into the data model. Every record either enters (possibly with
//! warnings) or goes to quarantine with its file, record number, rule ids and messages: nothing
//! is dropped, and every file's counts satisfy read = accepted + quarantined.
//!
//! - readers, one per source format: [`encr`] (ENCR-style registry CSV), [`naaccr`] (NAACCR
//!   XML), [`naaccr_flat`] (NAACCR version 18 fixed-width files), [`omop`] (OMOP CDM 5.4 CSV tables with the oncology extension), [`fhir`] (FHIR R4
//!   mCODE bundles), [`claims`] (the national claims extract), [`mapping`] (any CSV described by
//!   a TOML mapping), [`population`] (denominators and life tables);
//! - [`case`]: the tumour record every reader produces and its validation;
//! - [`iarc`]: the IARC consistency checks between variables;
//! - [`rules`]: the validation rules, each with an id and a severity;
//! - [`extract`], [`quarantine`]: what a run keeps and rejects, and its counts;
//! - [`verified`]: the cases a registrar has confirmed, whose warnings are not raised again.

pub mod care;
pub mod case;
pub mod claims;
pub mod encr;
pub mod extract;
pub mod fhir;
pub mod fhir_codes;
pub mod iarc;
pub mod identity;
pub mod input;
pub mod load;
pub mod mapping;
pub mod mortality;
pub mod naaccr;
pub mod naaccr_flat;
pub mod omop;
pub mod population;
pub mod quarantine;
pub mod rules;
mod table;
pub mod verified;

use std::path::Path;

use chrono::NaiveDate;

pub use extract::{Extract, FileCounts, Progress, Records, Recycler, Totals, Warning};
pub use quarantine::{Counts, QuarantinedRecord};
pub use rules::{Severity, Violation};
pub use verified::Verified;

/// A failure that stops reading a whole file (as opposed to a bad record, which is
/// quarantined): the file cannot be opened, its header lacks a required column, or its syntax
/// breaks off (truncated XML, a CSV quote never closed).
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
    /// A row or element is unreadable and the file cannot be read past it.
    #[error("{file} line {line}: {message}")]
    Row { file: String, line: u64, message: String },
    /// The records read could not be handed over (the warehouse writer failed).
    #[error("{message}")]
    Sink { message: String },
}

/// The source formats `oncodata ingest --source KIND` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// ENCR-style registry CSV.
    EncrCsv,
    /// NAACCR XML.
    NaaccrXml,
    /// NAACCR fixed-width flat file, version 18 layout.
    NaaccrFlat,
    /// A folder of OMOP CDM 5.4 CSV tables.
    Omop,
    /// FHIR R4 bundles (NDJSON, or one JSON bundle per file).
    Fhir,
    /// The claims extract (a folder with the SNDS-shaped tables).
    Claims,
    /// A CSV file described by a TOML mapping.
    Csv,
    /// A registry's identity file, pseudonymised as it is read.
    Identity,
    /// Population denominators (reference data, [`population::read_population`]).
    Population,
    /// A life table (reference data, [`population::read_life_table`]).
    LifeTable,
    /// Cancer deaths by cause (reference data, [`mortality::read_mortality`]).
    Mortality,
}

impl SourceKind {
    /// Every kind.
    pub const ALL: [SourceKind; 11] = [
        Self::EncrCsv,
        Self::NaaccrXml,
        Self::NaaccrFlat,
        Self::Omop,
        Self::Fhir,
        Self::Claims,
        Self::Csv,
        Self::Identity,
        Self::Population,
        Self::LifeTable,
        Self::Mortality,
    ];

    /// The name used on the command line and in provenance.
    pub fn name(&self) -> &'static str {
        match self {
            Self::EncrCsv => encr::SOURCE_KIND,
            Self::NaaccrXml => naaccr::SOURCE_KIND,
            Self::NaaccrFlat => naaccr_flat::SOURCE_KIND,
            Self::Omop => omop::SOURCE_KIND,
            Self::Fhir => fhir::SOURCE_KIND,
            Self::Claims => claims::SOURCE_KIND,
            Self::Csv => mapping::SOURCE_KIND,
            Self::Identity => identity::SOURCE_KIND,
            Self::Population => "population",
            Self::LifeTable => "life-table",
            Self::Mortality => "mortality",
        }
    }

    /// Whether the kind is reference data (denominators, life tables) rather than records.
    pub fn is_reference(&self) -> bool {
        matches!(self, Self::Population | Self::LifeTable | Self::Mortality)
    }

    /// The kind with this name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// The date of an extract, which the date checks take for "today" (nothing may happen after
/// it), and where it came from: the date the file declares it was written (NAACCR XML
/// `timeGenerated`), else the date the file (or, for a folder, its newest file) was last
/// modified. Never the clock's date, so that validating the same file again on another day
/// gives the same result. `oncodata ingest --extract-date` overrides it.
pub fn extract_date(kind: SourceKind, path: &Path) -> Result<(NaiveDate, &'static str), IngestError> {
    if kind == SourceKind::NaaccrXml
        && let Some(d) = naaccr::declared_date(path)
    {
        return Ok((d, "the file's timeGenerated"));
    }
    let io = |e| IngestError::Io { file: path.display().to_string(), source: e };
    let meta = std::fs::metadata(path).map_err(io)?;
    let mut modified = meta.modified().map_err(io)?;
    if meta.is_dir() {
        for entry in std::fs::read_dir(path).map_err(io)?.flatten() {
            if let Ok(t) = entry.metadata().and_then(|m| m.modified()) {
                modified = modified.max(t);
            }
        }
    }
    let date = chrono::DateTime::<chrono::Local>::from(modified).date_naive();
    Ok((date, "the file's modification date"))
}

/// Reads one source path of a kind into `out`. `mapping` is the TOML mapping of `csv` sources.
pub fn read_source(
    kind: SourceKind,
    path: &Path,
    mapping: Option<&mapping::Mapping>,
    today: NaiveDate,
    out: &mut Extract,
) -> Result<(), IngestError> {
    let file = path.display().to_string();
    match kind {
        SourceKind::EncrCsv => {
            encr::read_encr_csv(path, today, out)?;
            out.finish_file(kind.name(), &file).map(|_| ())
        }
        SourceKind::NaaccrXml => {
            naaccr::read_naaccr_xml(path, today, out)?;
            out.finish_file(kind.name(), &file).map(|_| ())
        }
        SourceKind::NaaccrFlat => {
            naaccr_flat::read_naaccr_flat(path, today, out)?;
            out.finish_file(kind.name(), &file).map(|_| ())
        }
        SourceKind::Fhir => {
            fhir::read_fhir(path, today, out)?;
            out.finish_file(kind.name(), &file).map(|_| ())
        }
        SourceKind::Identity => {
            identity::read_identity_csv(path, out)?;
            out.finish_file(kind.name(), &file).map(|_| ())
        }
        SourceKind::Population | SourceKind::LifeTable | SourceKind::Mortality => Err(IngestError::Layout {
            file,
            message: format!(
                "{} is reference data: read it with population::read_population/read_life_table or mortality::read_mortality",
                kind.name()
            ),
        }),
        SourceKind::Omop => omop::read_omop(path, today, out),
        SourceKind::Claims => claims::read_claims_dir(path, today, out),
        SourceKind::Csv => {
            let mapping = mapping.ok_or_else(|| IngestError::Layout {
                file: file.clone(),
                message: "a csv source needs --mapping FILE (a TOML file naming each column's meaning)".into(),
            })?;
            mapping::read_mapped_csv(path, mapping, today, out)?;
            out.finish_file(kind.name(), &file).map(|_| ())
        }
    }
}
