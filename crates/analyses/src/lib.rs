//! The analyses a registry publishes, on the warehouse, as a library that the command line and
//! the server share: typed requests and results, errors as values, no terminal types.
//!
//! - [`cohort`]: which cases incidence counts (consolidated primaries of the population a
//!   registry covers, or a registry's own records) and over which person-years, and the
//!   survival cohort;
//! - [`incidence`]: crude and age-standardised rates, cumulative risk, SIRs and rate ratios, from
//!   the warehouse or from a user's files;
//! - [`quality`]: each registry's data-quality indicators;
//! - [`survival`]: Kaplan–Meier, relative and net survival by group, from the warehouse's cohort
//!   or a user's file;
//! - [`extract`]: a project's extract of the linked warehouse under its own pseudonyms;
//! - [`scan`]: Kulldorff's spatial scan of a table of locations (SaTScan's rules);
//! - [`trend`]: joinpoint trends of rates by year (NCI's Joinpoint), from a file or the
//!   warehouse's age-standardised rates;
//! - [`columns`]: a user's CSV or Parquet file read by column, with errors naming the row.

pub mod cohort;
pub mod columns;
pub mod extract;
pub mod incidence;
pub mod quality;
pub mod scan;
pub mod survival;
pub mod trend;
pub mod workspace;

/// Why an analysis could not run.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// The warehouse could not answer.
    #[error(transparent)]
    Warehouse(#[from] oncodata_warehouse::WarehouseError),
    /// The request itself is wrong (an option out of its range, a malformed date, a bad file).
    #[error("{0}")]
    Request(String),
    /// The data do not fit the statistic.
    #[error(transparent)]
    Statistics(#[from] oncodata_stats::StatsError),
}

/// A [`AnalysisError::Request`] with this message.
pub(crate) fn request(message: impl std::fmt::Display) -> AnalysisError {
    AnalysisError::Request(message.to_string())
}
