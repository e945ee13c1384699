//! Coding tables of cancer registration, table-driven from the data files in `data/`, each of
//! which names its published source:
//!
//! - [`topography`]: ICD-O-3 topography codes C00.0–C80.9 and their validity;
//! - [`morphology`]: ICD-O-3 morphology (histology) codes and behaviour codes;
//! - [`icd10`]: conversion of ICD-O-3 to ICD-10 (the IARC algorithm: by site, or by morphology);
//! - [`site_group`]: the site groups of the French national incidence estimates;
//! - [`multiple_primary`]: the IARC/IACR 2004 rules that decide which tumours are one primary;
//! - [`iccc`]: the International Classification of Childhood Cancer, third edition;
//! - [`sex`]: sex as registries code it (1 male, 2 female, 9 unknown);
//! - [`age_group`]: the 5-year age groups 0-4 … 85+ of population denominators;
//! - [`standard_population`]: World (Segi 1960), European 1976, European 2013 and WHO weights;
//! - [`icss`]: the International Cancer Survival Standard weights for age-standardised survival;
//! - [`commune`]: the communes of France (COG 2026), their populations and centroids.
//!
//! The crate has no dependencies on the rest of oncodata: every other crate builds on it.

pub mod age_group;
pub mod commune;
pub mod iccc;
pub mod icd10;
pub mod icss;
pub mod morphology;
pub mod multiple_primary;
mod rules;
pub mod sex;
pub mod site_group;
pub mod standard_population;
mod table;
pub mod topography;

pub use age_group::AgeGroup;
pub use morphology::{Behaviour, Morphology};
pub use rules::{CodeSet, MorphologyIndex};
pub use sex::Sex;
pub use table::rows as data_rows;
pub use topography::Topography;

/// Why a code could not be read or converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// The text is not of the code's format (e.g. a topography that is not `Cnn.n`).
    #[error("{kind} '{value}' is not well formed: {reason}")]
    Format { kind: &'static str, value: String, reason: &'static str },
    /// The code is well formed but does not exist in the classification.
    #[error("{kind} '{value}' does not exist in {classification}")]
    Unknown { kind: &'static str, value: String, classification: &'static str },
    /// The combination has no code in the target classification.
    #[error("no {target} code for {what}")]
    NoConversion { target: &'static str, what: String },
}
