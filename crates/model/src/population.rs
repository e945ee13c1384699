//! Population denominators and life tables.

use serde::{Deserialize, Serialize};

use crate::Sex;

/// Persons (or person-years) of one area, year, sex and 5-year age group: the denominators of
/// incidence rates (`population.csv`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PopulationCount {
    /// Area code (département, `50`; or any area level the file uses).
    pub area: String,
    /// Calendar year.
    pub year: i32,
    /// Sex.
    pub sex: Sex,
    /// 5-year age group label, `0-4` … `85+`.
    pub age_group: String,
    /// Mid-year persons, i.e. person-years for that year.
    pub persons: f64,
}

/// Population mortality: the hazard of death from all causes at one age, sex and calendar year,
/// used for expected survival (relative and net survival).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LifeTableEntry {
    /// Age in completed years.
    pub age: u16,
    /// Sex.
    pub sex: Sex,
    /// Calendar year from which the row applies.
    pub year: i32,
    /// Hazard (force of mortality) per person-year.
    pub hazard: f64,
}
