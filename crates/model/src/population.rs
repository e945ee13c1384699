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

/// Deaths from one underlying cause (a neoplasm of ICD-10 chapter II) in one area, year, sex
/// and age group: the population's cancer mortality (CépiDc, the WHO Mortality Database),
/// which the mortality:incidence ratio and mortality rates use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CauseOfDeathCount {
    /// Area code as the source gives it (a département `50`; a WHO country code `4080`).
    pub area: String,
    /// Calendar year of death.
    pub year: i32,
    /// Sex.
    pub sex: Sex,
    /// Age group at death: the platform's 5-year groups (`0-4` … `85+`) where the source's
    /// groups fit in one, the source's wider group otherwise (`5-14`, `75+`), `unknown` when
    /// the age is not given.
    pub age_group: String,
    /// The underlying cause, ICD-10 without its dot (`C349`, `C34`).
    pub cause: String,
    /// The site group of the cause (the national estimates' groups, as for tumours), `None`
    /// for causes no group holds (in situ, benign and uncertain neoplasms, secondary sites).
    pub site_group: Option<String>,
    /// Deaths.
    pub deaths: u64,
}

/// What a registry dataset covers: the areas whose residents it registers and the years of
/// diagnosis it is complete for, as its registry declares them. Incidence counts a registry's
/// cases only inside its coverage, and takes the denominators of the same areas and years.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    /// The dataset (`encr_50_2021-2022`).
    pub dataset: String,
    /// Area codes of the population table (départements `14`, `50`…).
    pub areas: Vec<String>,
    /// First year of diagnosis covered.
    pub first_year: i32,
    /// Last year of diagnosis covered.
    pub last_year: i32,
}

impl Coverage {
    /// Reads `AREAS:FIRST-LAST` (`14,50,61:2010-2022`, or a single year `50:2021`) for `dataset`.
    pub fn parse(dataset: &str, text: &str) -> Result<Self, String> {
        let (areas, years) =
            text.split_once(':').ok_or_else(|| format!("coverage '{text}': AREAS:FIRST-LAST, as 14,50:2010-2022"))?;
        let areas: Vec<String> = areas.split(',').map(|a| a.trim().to_string()).filter(|a| !a.is_empty()).collect();
        let year = |y: &str| y.trim().parse::<i32>().map_err(|_| format!("coverage '{text}': '{y}' is not a year"));
        let (first_year, last_year) = match years.split_once('-') {
            Some((a, b)) => (year(a)?, year(b)?),
            None => (year(years)?, year(years)?),
        };
        if areas.is_empty() || first_year > last_year {
            return Err(format!("coverage '{text}': give at least one area and a first year not after the last"));
        }
        Ok(Self { dataset: dataset.to_string(), areas, first_year, last_year })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_is_read_and_checked() {
        let c = Coverage::parse("encr_x", "14, 50,61:2010-2022").unwrap();
        assert_eq!((c.areas, c.first_year, c.last_year), (vec!["14".into(), "50".into(), "61".into()], 2010, 2022));
        assert_eq!(Coverage::parse("d", "50:2021").unwrap().last_year, 2021);
        for bad in ["50", ":2010-2012", "50:2012-2010", "50:20x0"] {
            assert!(Coverage::parse("d", bad).is_err(), "{bad}");
        }
    }
}
