//! One module per subcommand.

pub mod audit;
pub mod cluster;
pub mod codes;
pub mod demo;
pub mod disclosure;
pub mod extract;
pub mod incidence;
pub mod ingest;
pub mod keys;
pub mod link;
pub mod link_files;
pub mod quality;
pub mod quarantine;
pub mod scan;
pub mod serve;
pub mod snapshots;
pub mod sql;
pub mod survival;
pub mod synth;
pub mod trend;
pub mod users;

/// Output formats shared by the commands that print tables.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A table for the terminal.
    Table,
    /// CSV with a header.
    Csv,
    /// JSON.
    Json,
}

/// Errors of the command line: a message for the user (file, record and reason are part of it).
pub type CliResult = Result<(), Box<dyn std::error::Error>>;
