//! Denominators and population mortality, in the layouts they are published in:
//!
//! - populations ([`read_population`]): the platform's plain CSV `area,year,sex,age_group,persons`
//!   (sex as 1/2 or male/female; age groups 0-4 … 85+), or INSEE's estimates of the population
//!   on 1 January by département, sex and 5-year age group ("Estimation de population par
//!   département, sexe et âge quinquennal", one row per year and département, columns
//!   `hommes_0_a_4_ans` … `femmes_95_ans_et_plus`, as the table's sheets are exported to CSV);
//! - life tables ([`read_life_table`]): the plain CSV `age,sex,year,hazard` (or `qx`, a
//!   probability of dying within the year, read as the hazard −ln(1 − qx)), or the Human
//!   Mortality Database's period death rates `Mx_1x1.txt` (`Year Age Female Male Total`).
//!
//! Reference data are loaded whole or not at all: a bad row fails the load with its file, line
//! and reason, because a denominator with a hole would bias every rate computed on it without
//! a sign.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use oncodata_coding::AgeGroup;
use oncodata_model::{PopulationCount, Sex};

use crate::IngestError;

/// Which layout a reference file was read in, and what the reader made of it, for the summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceSummary {
    /// The layout recognised (`plain CSV`, `INSEE population on 1 January by département`,
    /// `Human Mortality Database Mx_1x1`).
    pub layout: &'static str,
    /// Rows written.
    pub rows: usize,
    /// What the reader derived or left out, in words (person-years from 1 January counts,
    /// aggregate rows skipped, rates carried to ages without data).
    pub notes: Vec<String>,
}

/// Reads a population file in any of the layouts of the module documentation.
pub fn read_population(path: &Path) -> Result<(Vec<PopulationCount>, ReferenceSummary), IngestError> {
    let head = header_of(path)?;
    if head.split(',').any(|h| h.trim() == "hommes_0_a_4_ans") {
        read_insee_population(path)
    } else {
        let rows = read_population_csv(path)?;
        let summary = ReferenceSummary { layout: "plain CSV", rows: rows.len(), notes: vec![] };
        Ok((rows, summary))
    }
}

/// The first line of a (possibly gzipped) text file.
pub(crate) fn header_of(path: &Path) -> Result<String, IngestError> {
    let file = path.display().to_string();
    let f = std::fs::File::open(path).map_err(|e| IngestError::Io { file: file.clone(), source: e })?;
    let mut head = Vec::new();
    crate::input::decompressed(f, &file)?
        .take(4096)
        .read_to_end(&mut head)
        .map_err(|e| IngestError::Io { file: file.clone(), source: e })?;
    let text = String::from_utf8_lossy(&head);
    Ok(text.lines().next().unwrap_or("").trim_start_matches('\u{feff}').to_string())
}

/// A CSV reader over a (possibly gzipped) file.
pub(crate) fn csv_of(path: &Path) -> Result<csv::Reader<Box<dyn Read>>, IngestError> {
    let file = path.display().to_string();
    let f = std::fs::File::open(path).map_err(|e| IngestError::Io { file: file.clone(), source: e })?;
    let input: Box<dyn Read> = Box::new(crate::input::decompressed(f, &file)?);
    Ok(csv::Reader::from_reader(input))
}

/// The INSEE 5-year groups of a column suffix (`0_a_4_ans` … `95_ans_et_plus`) as the
/// platform's groups: 85-89, 90-94 and 95+ make 85+.
fn insee_group(suffix: &str) -> Option<&'static str> {
    const GROUPS: [(&str, &str); 20] = [
        ("0_a_4_ans", "0-4"),
        ("5_a_9_ans", "5-9"),
        ("10_a_14_ans", "10-14"),
        ("15_a_19_ans", "15-19"),
        ("20_a_24_ans", "20-24"),
        ("25_a_29_ans", "25-29"),
        ("30_a_34_ans", "30-34"),
        ("35_a_39_ans", "35-39"),
        ("40_a_44_ans", "40-44"),
        ("45_a_49_ans", "45-49"),
        ("50_a_54_ans", "50-54"),
        ("55_a_59_ans", "55-59"),
        ("60_a_64_ans", "60-64"),
        ("65_a_69_ans", "65-69"),
        ("70_a_74_ans", "70-74"),
        ("75_a_79_ans", "75-79"),
        ("80_a_84_ans", "80-84"),
        ("85_a_89_ans", "85+"),
        ("90_a_94_ans", "85+"),
        ("95_ans_et_plus", "85+"),
    ];
    GROUPS.iter().find(|(s, _)| *s == suffix).map(|(_, g)| *g)
}

/// Whether an INSEE row's code is a département (`01`…`95`, `2A`, `2B`, `971`…`976`), not an
/// aggregate (France métropolitaine, DOM).
fn is_departement(code: &str) -> bool {
    matches!(code.len(), 2 | 3) && (code.bytes().all(|b| b.is_ascii_digit()) || code == "2A" || code == "2B")
}

/// INSEE's population on 1 January by département, sex and 5-year age group. Person-years of
/// year `y` are the mean of the 1 January counts of `y` and `y + 1` (the usual approximation of
/// the mid-year population) where both are in the file, else the 1 January count of `y`; each
/// row's `*_total` must equal the sum of its groups.
fn read_insee_population(path: &Path) -> Result<(Vec<PopulationCount>, ReferenceSummary), IngestError> {
    let file = path.display().to_string();
    let mut reader = csv_of(path)?;
    let headers = reader.headers().map_err(|e| IngestError::Io { file: file.clone(), source: e.into() })?.clone();
    let column = |name: &str| {
        headers.iter().position(|h| h.trim() == name).ok_or_else(|| IngestError::Layout {
            file: file.clone(),
            message: format!("an INSEE population table without a '{name}' column"),
        })
    };
    let (year_at, code_at) = (column("year")?, column("dep_code")?);
    // (column, sex, group) of every 5-year column; the totals per sex.
    let mut groups = Vec::new();
    let mut totals = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        for (prefix, sex) in [("hommes_", Sex::Male), ("femmes_", Sex::Female)] {
            if let Some(suffix) = h.trim().strip_prefix(prefix) {
                match (suffix, insee_group(suffix)) {
                    ("total", _) => totals.push((i, sex)),
                    (_, Some(g)) => groups.push((i, sex, g)),
                    (other, None) => {
                        return Err(IngestError::Layout {
                            file: file.clone(),
                            message: format!("column '{prefix}{other}' is not an INSEE 5-year age group"),
                        });
                    }
                }
            }
        }
    }
    if groups.len() != 40 {
        return Err(IngestError::Layout {
            file,
            message: format!("an INSEE population table has 20 age groups per sex; this one has {}", groups.len()),
        });
    }
    // 1 January counts by (area, year, sex, group).
    let mut jan1: BTreeMap<(String, i32, Sex, &'static str), f64> = BTreeMap::new();
    let mut aggregates = 0;
    for rec in reader.records() {
        let rec = rec.map_err(|e| IngestError::Layout { file: file.clone(), message: e.to_string() })?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let bad = |message: String| IngestError::Row { file: file.clone(), line, message };
        let code = rec.get(code_at).unwrap_or("").trim();
        if !is_departement(code) {
            aggregates += 1;
            continue;
        }
        let year = rec.get(year_at).unwrap_or("").trim();
        let year = year.parse::<i32>().map_err(|_| bad(format!("year '{year}' is not a year")))?;
        let number = |i: usize| -> Result<f64, IngestError> {
            let v = rec.get(i).unwrap_or("").trim();
            v.parse::<f64>()
                .ok()
                .filter(|p| p.is_finite() && *p >= 0.0)
                .ok_or_else(|| bad(format!("{} '{v}' is not a non-negative number", &headers[i])))
        };
        let mut sums = [0.0, 0.0];
        for &(i, sex, group) in &groups {
            let n = number(i)?;
            *jan1.entry((code.to_string(), year, sex, group)).or_default() += n;
            sums[usize::from(sex == Sex::Female)] += n;
        }
        for &(i, sex) in &totals {
            let total = number(i)?;
            let sum = sums[usize::from(sex == Sex::Female)];
            if (total - sum).abs() > 0.5 {
                return Err(bad(format!("{} is {total}, but its age groups add up to {sum}", &headers[i])));
            }
        }
    }
    let mut rows = Vec::with_capacity(jan1.len());
    let (mut averaged, mut single) = (0, 0);
    for ((area, year, sex, group), n) in &jan1 {
        let persons = match jan1.get(&(area.clone(), year + 1, *sex, group)) {
            Some(next) => {
                averaged += 1;
                (n + next) / 2.0
            }
            None => {
                single += 1;
                *n
            }
        };
        rows.push(PopulationCount {
            area: area.clone(),
            year: *year,
            sex: *sex,
            age_group: group.to_string(),
            persons,
        });
    }
    let mut notes = vec![format!(
        "person-years: the mean of 1 January of the year and of the next for {averaged} rows, the 1 January count \
         for {single} (the last year of each area)"
    )];
    if aggregates > 0 {
        notes.push(format!("{aggregates} aggregate rows (not a département) left out"));
    }
    let summary = ReferenceSummary { layout: "INSEE population on 1 January by département", rows: rows.len(), notes };
    Ok((rows, summary))
}

/// Reads a population file.
pub fn read_population_csv(path: &Path) -> Result<Vec<PopulationCount>, IngestError> {
    let file = path.display().to_string();
    let mut reader = csv_of(path)?;
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

/// Reads a life table in any of the layouts of the module documentation.
pub fn read_life_table(path: &Path) -> Result<(Vec<oncodata_model::LifeTableEntry>, ReferenceSummary), IngestError> {
    let head = header_of(path)?;
    if head.contains("Death rates (period 1x1)") {
        return read_hmd_mx(path);
    }
    let rows = read_life_table_csv(path)?;
    Ok((rows.clone(), ReferenceSummary { layout: "plain CSV", rows: rows.len(), notes: vec![] }))
}

/// The Human Mortality Database's period death rates by single year of age and calendar year
/// (`Mx_1x1.txt`: a title line, a blank line, the header `Year Age Female Male Total`, then
/// whitespace-separated rows; `110+` is the open age group; `.` where the population had no
/// exposure). The central death rate mx is the hazard per person-year (HMD Methods Protocol
/// v6, section 6: mx estimates the force of mortality over the year of age). An age without a
/// rate (`.`) takes the rate of the age below it in the same year and sex.
fn read_hmd_mx(path: &Path) -> Result<(Vec<oncodata_model::LifeTableEntry>, ReferenceSummary), IngestError> {
    let file = path.display().to_string();
    let f = std::fs::File::open(path).map_err(|e| IngestError::Io { file: file.clone(), source: e })?;
    let mut text = String::new();
    crate::input::decompressed(f, &file)?
        .read_to_string(&mut text)
        .map_err(|e| IngestError::Io { file: file.clone(), source: e })?;
    let mut rows = Vec::new();
    let mut carried = 0;
    let mut header_seen = false;
    // The last rate of each sex in the current year, carried to ages without one.
    let mut last: [Option<(i32, f64)>; 2] = [None, None];
    for (k, line) in text.lines().enumerate() {
        let number = k as u64 + 1;
        let bad = |message: String| IngestError::Row { file: file.clone(), line: number, message };
        let fields: Vec<&str> = line.split_whitespace().collect();
        if !header_seen {
            header_seen = fields == ["Year", "Age", "Female", "Male", "Total"];
            continue;
        }
        if fields.is_empty() {
            continue;
        }
        let [year, age, female, male, _total] = fields[..] else {
            return Err(bad(format!("{} fields where Year Age Female Male Total are expected", fields.len())));
        };
        let year = year.parse::<i32>().map_err(|_| bad(format!("year '{year}' is not a year")))?;
        let age = age.trim_end_matches('+');
        let age = age.parse::<u16>().map_err(|_| bad(format!("age '{age}' is not a whole number")))?;
        for (s, (sex, value)) in [(Sex::Female, female), (Sex::Male, male)].into_iter().enumerate() {
            let hazard =
                if value == "." {
                    match last[s] {
                        Some((y, h)) if y == year && age > 0 => {
                            carried += 1;
                            h
                        }
                        _ => return Err(bad(format!("no {} death rate at age {age} in {year}", sex.label()))),
                    }
                } else {
                    value.parse::<f64>().ok().filter(|h| h.is_finite() && *h >= 0.0).ok_or_else(|| {
                        bad(format!("{} death rate '{value}' is not a non-negative number", sex.label()))
                    })?
                };
            last[s] = Some((year, hazard));
            rows.push(oncodata_model::LifeTableEntry { age, sex, year, hazard });
        }
    }
    if !header_seen {
        return Err(IngestError::Layout {
            file,
            message: "a Human Mortality Database Mx_1x1 file has the header 'Year Age Female Male Total'".into(),
        });
    }
    let mut notes = vec!["hazard: the central death rate mx".to_string()];
    if carried > 0 {
        notes.push(format!("{carried} ages without a rate ('.') take the rate of the age below"));
    }
    Ok((rows.clone(), ReferenceSummary { layout: "Human Mortality Database Mx_1x1", rows: rows.len(), notes }))
}

/// Reads a life table: columns `age,sex,year,hazard` or `age,sex,year,qx` (sex as 1/2 or
/// male/female; hazard per person-year; qx, the probability of dying within the year of age,
/// read as the constant hazard −ln(1 − qx)). Loaded whole or not at all, like the denominators.
pub fn read_life_table_csv(path: &Path) -> Result<Vec<oncodata_model::LifeTableEntry>, IngestError> {
    let file = path.display().to_string();
    let mut reader = csv_of(path)?;
    let headers = reader.headers().map_err(|e| IngestError::Io { file: file.clone(), source: e.into() })?.clone();
    let columns: Vec<&str> = headers.iter().map(str::trim).collect();
    let probability = match columns[..] {
        ["age", "sex", "year", "hazard"] => false,
        ["age", "sex", "year", "qx"] => true,
        _ => {
            return Err(IngestError::Layout {
                file,
                message: "a life table has the columns age,sex,year,hazard (or age,sex,year,qx)".into(),
            });
        }
    };
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
        let value = rec[3].trim().parse::<f64>().ok().filter(|h| h.is_finite() && *h >= 0.0);
        let hazard = match (probability, value) {
            (false, Some(h)) => h,
            (true, Some(q)) if q < 1.0 => -(1.0 - q).ln(),
            (true, _) => return Err(bad(format!("qx '{}' is not a probability below 1", &rec[3]))),
            (false, None) => return Err(bad(format!("hazard '{}' is not a non-negative number", &rec[3]))),
        };
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

    /// INSEE's table: aggregate rows left out, 95+ into 85+, person-years from consecutive
    /// 1 January counts, and a row whose total is not the sum of its groups named.
    #[test]
    fn insee_tables_become_person_years() {
        let groups = [
            "0_a_4_ans",
            "5_a_9_ans",
            "10_a_14_ans",
            "15_a_19_ans",
            "20_a_24_ans",
            "25_a_29_ans",
            "30_a_34_ans",
            "35_a_39_ans",
            "40_a_44_ans",
            "45_a_49_ans",
            "50_a_54_ans",
            "55_a_59_ans",
            "60_a_64_ans",
            "65_a_69_ans",
            "70_a_74_ans",
            "75_a_79_ans",
            "80_a_84_ans",
            "85_a_89_ans",
            "90_a_94_ans",
            "95_ans_et_plus",
        ];
        let mut header = vec!["year".to_string(), "dep_code".into(), "dep_name".into()];
        for sex in ["hommes", "femmes"] {
            header.extend(groups.iter().map(|g| format!("{sex}_{g}")));
            header.push(format!("{sex}_total"));
        }
        // Every group holds 10 men and 20 women, then 12 and 24 the next year.
        let row = |year: i32, code: &str, m: u32, f: u32, total_m: u32| {
            let mut r = vec![year.to_string(), code.to_string(), "X".to_string()];
            r.extend(std::iter::repeat_n(m.to_string(), 20));
            r.push(total_m.to_string());
            r.extend(std::iter::repeat_n(f.to_string(), 20));
            r.push((20 * f).to_string());
            r.join(",")
        };
        let text =
            [header.join(","), row(2022, "50", 10, 20, 200), row(2023, "50", 12, 24, 240), row(2022, "DOM", 1, 1, 20)]
                .join("\n");
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(f, "{text}").unwrap();
        let (rows, summary) = read_population(f.path()).unwrap();
        assert_eq!(rows.len(), 2 * 2 * 18, "two years, two sexes, 18 groups");
        let at = |year: i32, sex: Sex, group: &str| {
            rows.iter().find(|r| r.year == year && r.sex == sex && r.age_group == group).unwrap().persons
        };
        assert_eq!(at(2022, Sex::Male, "0-4"), 11.0, "mean of 10 and 12");
        assert_eq!(at(2022, Sex::Female, "85+"), 66.0, "three groups of 20 and 24");
        assert_eq!(at(2023, Sex::Male, "50-54"), 12.0, "the last year: its 1 January count");
        assert!(summary.notes.iter().any(|n| n.contains("1 aggregate rows")), "{summary:?}");

        let bad = [header.join(","), row(2022, "50", 10, 20, 201)].join("\n");
        let mut g = tempfile::NamedTempFile::new().unwrap();
        writeln!(g, "{bad}").unwrap();
        let e = read_population(g.path()).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("hommes_total is 201"), "{e}");
    }

    /// The HMD layout: `110+` is age 110, a '.' takes the rate of the age below, and a missing
    /// rate at age 0 is an error naming the line; qx becomes −ln(1 − qx).
    #[test]
    fn hmd_and_probability_life_tables() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        writeln!(f, "Utopia, Death rates (period 1x1), \tLast modified: 1 Jan 2020\n\n  Year  Age  Female  Male  Total\n  2016  0  0.003  0.004  0.0035\n  2016  1  .  0.0002  0.0002\n  2016  110+  0.7  0.8  0.75").unwrap();
        let (rows, summary) = read_life_table(f.path()).unwrap();
        let h = |age: u16, sex: Sex| rows.iter().find(|r| r.age == age && r.sex == sex).unwrap().hazard;
        assert_eq!((h(1, Sex::Female), h(1, Sex::Male), h(110, Sex::Male)), (0.003, 0.0002, 0.8));
        assert_eq!(summary.layout, "Human Mortality Database Mx_1x1");
        let mut g = tempfile::NamedTempFile::new().unwrap();
        writeln!(
            g,
            "Utopia, Death rates (period 1x1)\n\n  Year  Age  Female  Male  Total\n  2016  0  .  0.004  0.0035"
        )
        .unwrap();
        let e = read_life_table(g.path()).unwrap_err().to_string();
        assert!(e.contains("line 4") && e.contains("no female death rate at age 0"), "{e}");
        let mut q = tempfile::NamedTempFile::new().unwrap();
        writeln!(q, "age,sex,year,qx\n0,1,2021,0.5").unwrap();
        let (rows, _) = read_life_table(q.path()).unwrap();
        assert!((rows[0].hazard - std::f64::consts::LN_2).abs() < 1e-15);
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
