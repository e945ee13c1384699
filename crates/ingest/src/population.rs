//! Population denominators: CSV files with columns `area,year,sex,age_group,persons` (sex as
//! 1/2 or male/female; age groups 0-4 … 85+). Reference data are loaded whole or not at all: a
//! bad row fails the load with its file, line and reason.

use std::path::Path;

use oncodata_coding::AgeGroup;
use oncodata_model::{PopulationCount, Sex};

use crate::IngestError;

/// Reads a population file.
pub fn read_population_csv(path: &Path) -> Result<Vec<PopulationCount>, IngestError> {
    let file = path.display().to_string();
    let mut reader =
        csv::Reader::from_path(path).map_err(|e| IngestError::Io { file: file.clone(), source: e.into() })?;
    let headers = reader.headers().map_err(|e| IngestError::Io { file: file.clone(), source: e.into() })?.clone();
    let want = ["area", "year", "sex", "age_group", "persons"];
    let idx: Vec<usize> = want
        .iter()
        .map(|w| {
            headers.iter().position(|h| h.trim().eq_ignore_ascii_case(w)).ok_or_else(|| IngestError::Layout {
                file: file.clone(),
                message: format!("population file without a '{w}' column (expected {})", want.join(",")),
            })
        })
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| IngestError::Layout { file: file.clone(), message: e.to_string() })?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let bad = |message: String| IngestError::Row { file: file.clone(), line, message };
        let get = |i: usize| rec.get(idx[i]).unwrap_or("").trim();
        let year = get(1).parse::<i32>().map_err(|_| bad(format!("year '{}' is not a year", get(1))))?;
        let sex = match Sex::parse(get(2)) {
            Some(s @ (Sex::Male | Sex::Female)) => s,
            _ => return Err(bad(format!("sex '{}' is not 1/2/male/female", get(2)))),
        };
        let age_group = AgeGroup::parse(get(3)).map_err(|e| bad(e.to_string()))?;
        let persons = get(4)
            .parse::<f64>()
            .ok()
            .filter(|p| p.is_finite() && *p >= 0.0)
            .ok_or_else(|| bad(format!("persons '{}' is not a non-negative number", get(4))))?;
        out.push(PopulationCount { area: get(0).to_string(), year, sex, age_group: age_group.label(), persons });
    }
    Ok(out)
}

/// Reads a life table: columns `age,sex,year,hazard` (sex as 1/2 or male/female; hazard per
/// person-year). Loaded whole or not at all, like the denominators.
pub fn read_life_table_csv(path: &Path) -> Result<Vec<oncodata_model::LifeTableEntry>, IngestError> {
    let file = path.display().to_string();
    let mut reader =
        csv::Reader::from_path(path).map_err(|e| IngestError::Io { file: file.clone(), source: e.into() })?;
    let headers = reader.headers().map_err(|e| IngestError::Io { file: file.clone(), source: e.into() })?.clone();
    let want = ["age", "sex", "year", "hazard"];
    if headers.iter().map(str::trim).collect::<Vec<_>>() != want {
        return Err(IngestError::Layout { file, message: format!("a life table has the columns {}", want.join(",")) });
    }
    let mut out = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| IngestError::Layout { file: file.clone(), message: e.to_string() })?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let bad = |message: String| IngestError::Row { file: file.clone(), line, message };
        let age = rec[0].trim().parse::<u16>().map_err(|_| bad(format!("age '{}' is not a whole number", &rec[0])))?;
        let sex = match Sex::parse(&rec[1]) {
            Some(s @ (Sex::Male | Sex::Female)) => s,
            _ => return Err(bad(format!("sex '{}' is not 1/2/male/female", &rec[1]))),
        };
        let year = rec[2].trim().parse::<i32>().map_err(|_| bad(format!("year '{}' is not a year", &rec[2])))?;
        let hazard = rec[3]
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|h| h.is_finite() && *h >= 0.0)
            .ok_or_else(|| bad(format!("hazard '{}' is not a non-negative number", &rec[3])))?;
        out.push(oncodata_model::LifeTableEntry { age, sex, year, hazard });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn reads_rows_and_names_the_bad_line() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(f, "area,year,sex,age_group,persons\n50,2021,1,0-4,1000\n50,2021,female,85+,2000.5").unwrap();
        let rows = read_population_csv(f.path()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[1].sex, rows[1].age_group.as_str(), rows[1].persons), (Sex::Female, "85+", 2000.5));

        let mut g = tempfile::NamedTempFile::new().unwrap();
        writeln!(g, "area,year,sex,age_group,persons\n50,2021,1,0-4,1000\n50,2021,1,0-5,-3").unwrap();
        let e = read_population_csv(g.path()).unwrap_err().to_string();
        assert!(e.contains("line 3") && e.contains("0-5"), "{e}");
    }

    #[test]
    fn life_table_rows_and_errors() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(f, "age,sex,year,hazard\n0,1,2021,0.0035\n1,female,2021,0.0002").unwrap();
        let rows = read_life_table_csv(f.path()).unwrap();
        assert_eq!((rows[1].age, rows[1].sex, rows[1].hazard), (1, Sex::Female, 0.0002));
        let mut g = tempfile::NamedTempFile::new().unwrap();
        writeln!(g, "age,sex,year,hazard\n0,1,2021,-1").unwrap();
        let e = read_life_table_csv(g.path()).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("hazard '-1'"), "{e}");
    }
}
