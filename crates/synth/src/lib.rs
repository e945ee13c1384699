//! Synthetic France: a population calibrated on the country (INSEE départements and age
//! pyramid), its cancers (national incidence by site, sex and age with trends, area effects and
//! planted clusters; childhood cancers by ICCC-3 type), their survival (an excess hazard by
//! site, stage and age on top of population mortality), their care pathways, and the sources a
//! national platform receives — registry extracts (ENCR CSV, NAACCR XML), SNDS-shaped claims,
//! OMOP and FHIR hospital extracts, screening and vaccination tables — with faults planted at
//! known rates and the whole truth beside them.
//!
//! Same seed and configuration give the same bytes. The parameters live in `data/`, each file
//! naming its source.
//!
//! - [`params`]: the calibration tables;
//! - [`population`]: denominators by département, year, sex and age group;
//! - [`area`]: area effects and planted clusters;
//! - [`cases`]: the incidence and survival model, and the cases it draws;
//! - [`identity`]: names, national ids, their typing faults and the claims pseudonym;
//! - [`pathway`]: care pathways;
//! - [`faults`]: the faults planted in registry records;
//! - [`registry`], [`naaccr`]: registry extracts; [`claims`]: the claims extract; [`omop`],
//!   [`fhir`]: hospital extracts; [`screening`]: the programmes' tables;
//! - [`generate`](mod@generate): all of it into a directory, with the truth.

pub mod area;
pub mod cases;
pub mod claims;
pub mod faults;
pub mod fhir;
pub mod generate;
pub mod identity;
pub mod naaccr;
pub mod omop;
pub mod params;
pub mod pathway;
pub mod population;
pub mod registry;
pub mod screening;

pub use generate::{Generated, SynthConfig, generate, generate_with_progress};

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// A file could not be written.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The configuration asks for something the parameters do not have.
    #[error("{0}")]
    Config(String),
}

impl SynthError {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        Self::Io { path: path.display().to_string(), source }
    }
}
