//! Synthetic cancer-registry data with a known truth: a population calibrated on France
//! (INSEE départements and age pyramid), cancers drawn from the national incidence estimates by
//! site, sex and age, survival from an excess hazard on top of population mortality, and
//! registry extracts written in their real-world format with faults planted at known rates.
//!
//! Same seed and configuration give the same bytes. The parameters live in `data/`, each file
//! naming its source.
//!
//! - [`params`]: the calibration tables;
//! - [`population`]: denominators by département, year, sex and age group;
//! - [`cases`]: tumours, patients and their follow-up;
//! - [`faults`]: the faults planted in the extracts;
//! - [`registry`]: the ENCR-style registry CSV extract, and [`generate_registry`] which writes a
//!   whole registry data set;
//! - [`naaccr`]: the same extract in NAACCR XML.

pub mod cases;
pub mod faults;
pub mod naaccr;
pub mod params;
pub mod population;
pub mod registry;

pub use registry::{Generated, RegistryConfig, generate_registry};

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
