//! Disclosure control: what each audience may see of a table, one piece of code for every output
//! path (command line now; the HTTP API and federated nodes later).
//!
//! - [`policy`]: the audiences (`public`, `project`, `steward`) and their rules, read from one
//!   documented TOML file in the warehouse, written with the defaults on first use;
//! - [`frequency`]: the primary frequency rule — no count of 1 to `min_persons − 1` persons is
//!   shown, 0 is — cell by cell, with the rule and the reason of each withheld cell;
//! - [`magnitude`]: the dominance and p % rules for sums over persons;
//! - [`cube`]: a table as its reader sees it — dimensions with hierarchies, margins and
//!   subtotals, the equations that tie them, and linked tables as cells of one cube;
//! - [`hypercube`]: secondary suppression by the hypercube method, so that no withheld cell can
//!   be recomputed from what is published;
//! - [`attack`]: the attacker's linear programs that prove it;
//! - [`table`]: all of it on one printed table — its rows, margins and hierarchies;
//! - [`survival`]: the survival rule for curves and life tables;
//! - [`cell_key`]: the cell-key method, a deterministic perturbation of counts;
//! - [`privacy`]: differential privacy per project (OpenDP's mechanisms, a budget and its
//!   odometer);
//! - [`rounding`]: controlled rounding of a table with its margins to base 5 or 10;
//! - [`release`]: the differencing defence — a release log per audience, and the check that
//!   refuses a table isolating a few persons beside an earlier one.
//!
//! The rules, their defaults and their sources: `reference/rules.md`.

pub mod attack;
pub mod cell_key;
pub mod cube;
pub mod frequency;
pub mod hypercube;
pub mod magnitude;
pub mod policy;
pub mod privacy;
pub mod release;
pub mod rounding;
pub mod sql;
pub mod survival;
pub mod table;
#[cfg(test)]
mod testing;

pub use frequency::{CellCheck, Check, Verdict, check_counts};
pub use policy::{Audience, CellKeyRule, Policy, Rules};
pub use table::{Proof, Protected, protect_rows, protect_rows_with, withhold_rows};

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum DisclosureError {
    /// The policy file cannot be read or written.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// Why.
        source: std::io::Error,
    },
    /// The policy file is not a valid policy.
    #[error("{file}: {message}")]
    Policy {
        /// The file.
        file: String,
        /// What is wrong, in words.
        message: String,
    },
    /// A table that cannot be protected as given.
    #[error("disclosure control of the table: {message}")]
    Table {
        /// What is wrong.
        message: String,
    },
    /// A statement or table an audience may not be given as it is: why, and what to ask instead.
    #[error("{0}")]
    Refused(String),
    /// The warehouse could not answer.
    #[error(transparent)]
    Warehouse(#[from] oncodata_warehouse::WarehouseError),
    /// A count that is not a count of persons.
    #[error("row {row}: count {value}: {message}")]
    Count {
        /// The data row (1 = the first after the header).
        row: usize,
        /// The value as given.
        value: String,
        /// What is wrong.
        message: &'static str,
    },
}
