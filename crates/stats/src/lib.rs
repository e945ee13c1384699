//! Descriptive cancer statistics, computed here rather than borrowed because exactness is the
//! point: every estimator cites its formula and is tested against published values.
//!
//! - [`distributions`]: gamma and Poisson quantiles to full double precision;
//! - [`incidence`]: crude and age-specific rates with exact Poisson intervals, directly
//!   age-standardised rates with Fay–Feuer, Tiwari and normal intervals, truncated and cumulative
//!   rates;
//! - [`survival`]: Kaplan–Meier, its intervals and quantiles, the log-rank test;
//! - [`relative`]: relative (Ederer II) and net (Pohar-Perme) survival against a life table.
//! - [`scan`]: Kulldorff's spatial scan statistic (SaTScan's discrete Poisson model);
//! - [`joinpoint`]: joinpoint regression of trends (NCI's Joinpoint: grid search, permutation
//!   tests, BIC and weighted BIC, APC and AAPC);
//! - [`random`]: SplitMix64, a generator other programs can reproduce draw for draw.

pub mod distributions;
pub mod incidence;
pub mod joinpoint;
pub mod parallel;
pub mod random;
pub mod relative;
pub mod scan;
pub mod survival;

/// Why a statistic cannot be computed from its inputs.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StatsError {
    /// Inputs that do not fit together (lengths, ranges).
    #[error("{0}")]
    Input(String),
}
