//! Cancer deaths by underlying cause (`oncodata ingest --source mortality FILE`), in the layouts
//! they are published in:
//!
//! - the **WHO Mortality Database** raw files (`Morticd10_part1` … `part6`, as WHO ships them
//!   in its zips; CépiDc reports France's deaths there): columns `Country, Admin1, SubDiv, Year,
//!   List, Cause, Sex, Frmat, IM_Frmat, Deaths1 … Deaths26, IM_Deaths1 … 4`. `Deaths1` is all
//!   ages, `Deaths2` … `Deaths25` the age groups of the row's age format `Frmat` (WHO
//!   Mortality Database documentation, Annex Table 1: format 00 gives 0, 1, 2, 3, 4, 5-9, …,
//!   90-94, 95+; 01 stops at 85+; 02 groups 1-4; 03 and 04 stop at 75+; 05 at 70+; 06 at 65+;
//!   07 and 08 use 10-year groups 5-14, 15-24, … up to 75+ and 65+; 09 gives all ages only),
//!   `Deaths26` deaths at an unspecified age. Rows of the detailed ICD-10 lists (`103`, three
//!   characters; `104`, four) are read; other lists (the condensed list `101`, ICD-9 and
//!   earlier) are skipped and counted. The area is the WHO country code (`4080`, France), with
//!   `Admin1` and `SubDiv` appended when the row is for a part of the country;
//! - a **plain CSV** `area,year,sex,age_group,cause,deaths` (sex 1/2 or male/female; age groups
//!   `0-4` … `85+`, a wider `a-b` or `a+`, or `unknown`; cause in ICD-10, with or without its dot).
//!
//! Only neoplasms are kept (ICD-10 chapter II: C00–C97, D00–D48); other causes are skipped and
//! counted, so that the rows read add up. Ages are put in the platform's 5-year groups where the
//! source's group fits in one (0, 1-4 → `0-4`; 85-89, 90-94, 95+ → `85+`), else kept as the
//! source's group. Each cause gets its site group through the ICD-10 → ICD-O-3 conversion
//! ([`oncodata_coding::icd10::to_icdo3`]), so that deaths meet the incident cases of the same
//! group. Like the denominators, the file is loaded whole or not at all: a bad row (a count
//! that is not a number, an age group the format does not have, age groups that do not add up
//! to `Deaths1`) fails the load with its file, line and reason.

use std::collections::BTreeMap;
use std::path::Path;

use oncodata_coding::icd10::is_neoplasm;
use oncodata_coding::{icd10, site_group};
use oncodata_model::{CauseOfDeathCount, Sex};

use crate::IngestError;
use crate::population::{ReferenceSummary, csv_of, header_of};

/// Reads a mortality file in either layout of the module documentation.
pub fn read_mortality(path: &Path) -> Result<(Vec<CauseOfDeathCount>, ReferenceSummary), IngestError> {
    let head = header_of(path)?;
    let first: Vec<String> = head.split(',').take(8).map(|h| h.trim().to_ascii_lowercase()).collect();
    if first == ["country", "admin1", "subdiv", "year", "list", "cause", "sex", "frmat"] {
        read_who(path)
    } else {
        read_plain(path)
    }
}

/// The site group of an underlying cause, through its ICD-O-3 equivalent.
pub fn site_group_of_cause(cause: &str) -> Option<&'static str> {
    let (t, m, b) = icd10::to_icdo3(cause)?;
    site_group::classify(t, m, b).map(|g| g.id)
}

/// The label of an age interval `from`–`to` (inclusive; `None`: open-ended): the platform's
/// 5-year group when the interval fits in one, else the interval itself.
fn age_label(from: u32, to: Option<u32>) -> String {
    let group = oncodata_coding::AgeGroup::from_age(from);
    match to {
        _ if from >= 85 => group.label(),
        Some(to) if to / 5 == from / 5 => group.label(),
        Some(to) => format!("{from}-{to}"),
        None => format!("{from}+"),
    }
}

/// The most deaths one row's cell may count: more than a year's deaths of the whole world is
/// not a count but a typing error (and a sum of such cells could overflow).
const MAX_DEATHS: u64 = 100_000_000;

/// The first age of the groups `Deaths2` … `Deaths25`.
const COLUMN_START: [u32; 24] =
    [0, 1, 2, 3, 4, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95];

/// The columns (`Deaths` numbers 2 … 25) a WHO age format fills, in order; the last one is
/// open-ended (WHO Mortality Database documentation, Annex Table 1).
fn format_columns(frmat: &str) -> Option<Vec<usize>> {
    let range = |a: usize, b: usize| (a..=b).collect::<Vec<_>>();
    let with = |head: &[usize], tail: Vec<usize>| head.iter().copied().chain(tail).collect::<Vec<_>>();
    let ten_year = |last: usize| with(&[2, 3], (7..=last).step_by(2).collect());
    Some(match frmat {
        "00" => range(2, 25),
        "01" => range(2, 23),
        "02" => with(&[2, 3], range(7, 23)),
        "03" => range(2, 21),
        "04" => with(&[2, 3], range(7, 21)),
        "05" => with(&[2, 3], range(7, 20)),
        "06" => with(&[2, 3], range(7, 19)),
        "07" => ten_year(21),
        "08" => ten_year(19),
        "09" => vec![],
        _ => return None,
    })
}

/// Adds deaths to the count of their cell.
type Cells = BTreeMap<(String, i32, u8, String, String), u64>;

fn add(cells: &mut Cells, area: &str, year: i32, sex: Sex, age_group: String, cause: &str, deaths: u64) {
    if deaths > 0 {
        let cell = cells.entry((area.to_string(), year, sex.code(), age_group, cause.to_string())).or_default();
        *cell = cell.saturating_add(deaths);
    }
}

fn rows_of(cells: Cells) -> Vec<CauseOfDeathCount> {
    cells
        .into_iter()
        .map(|((area, year, sex, age_group, cause), deaths)| CauseOfDeathCount {
            site_group: site_group_of_cause(&cause).map(str::to_string),
            sex: if sex == Sex::Male.code() { Sex::Male } else { Sex::Female },
            area,
            year,
            age_group,
            cause,
            deaths,
        })
        .collect()
}

/// Normalises a cause: upper case, no dot, no spaces.
fn cause_code(text: &str) -> String {
    text.trim().to_ascii_uppercase().replace(['.', ' '], "")
}

/// Reads a WHO Mortality Database raw file.
fn read_who(path: &Path) -> Result<(Vec<CauseOfDeathCount>, ReferenceSummary), IngestError> {
    let file = path.display().to_string();
    let mut reader = csv_of(path)?;
    let headers = reader.headers().map_err(|e| IngestError::Io { file: file.clone(), source: e.into() })?.clone();
    let column = |name: &str| -> Result<usize, IngestError> {
        headers.iter().position(|h| h.trim().eq_ignore_ascii_case(name)).ok_or_else(|| IngestError::Layout {
            file: file.clone(),
            message: format!("a WHO Mortality Database file without a '{name}' column"),
        })
    };
    let [country, admin1, subdiv, year_col, list_col, cause_col, sex_col, frmat_col] =
        ["Country", "Admin1", "SubDiv", "Year", "List", "Cause", "Sex", "Frmat"].map(column);
    let (country, admin1, subdiv, year_col) = (country?, admin1?, subdiv?, year_col?);
    let (list_col, cause_col, sex_col, frmat_col) = (list_col?, cause_col?, sex_col?, frmat_col?);
    let deaths_col: Vec<usize> = (1..=26).map(|k| column(&format!("Deaths{k}"))).collect::<Result<_, _>>()?;

    let mut cells = Cells::new();
    let (mut read, mut kept, mut other_causes) = (0u64, 0u64, 0u64);
    let mut other_lists: BTreeMap<String, u64> = BTreeMap::new();
    let mut unspecified_sex = 0u64;
    let mut formats: BTreeMap<String, u64> = BTreeMap::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| IngestError::Layout { file: file.clone(), message: e.to_string() })?;
        read += 1;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let bad = |message: String| IngestError::Row { file: file.clone(), line, message };
        let get = |i: usize| rec.get(i).unwrap_or("").trim();
        let list = get(list_col);
        if list != "103" && list != "104" {
            *other_lists.entry(list.to_string()).or_default() += 1;
            continue;
        }
        let cause = cause_code(get(cause_col));
        if !is_neoplasm(&cause) {
            other_causes += 1;
            continue;
        }
        let year = get(year_col).parse::<i32>().map_err(|_| bad(format!("Year '{}' is not a year", get(year_col))))?;
        let count = |k: usize| -> Result<Option<u64>, IngestError> {
            let text = get(deaths_col[k - 1]);
            if text.is_empty() {
                return Ok(None);
            }
            text.parse::<u64>()
                .ok()
                .filter(|&n| n <= MAX_DEATHS)
                .map(Some)
                .ok_or_else(|| bad(format!("Deaths{k} '{text}' is not a count of deaths")))
        };
        let total = count(1)?.ok_or_else(|| bad("Deaths1 (all ages) is empty".into()))?;
        let sex = match get(sex_col) {
            "1" => Sex::Male,
            "2" => Sex::Female,
            "9" => {
                unspecified_sex += total;
                kept += 1;
                continue;
            }
            other => return Err(bad(format!("Sex '{other}' is not 1, 2 or 9"))),
        };
        let frmat = get(frmat_col);
        let used = format_columns(frmat)
            .ok_or_else(|| bad(format!("Frmat '{frmat}' is not an age format of the WHO documentation (00–09)")))?;
        let area: Vec<&str> = [get(country), get(admin1), get(subdiv)].into_iter().filter(|s| !s.is_empty()).collect();
        let area = area.join("-");
        let mut sum = 0u64;
        for k in 2..=25 {
            let Some(n) = count(k)? else { continue };
            let Some(at) = used.iter().position(|&c| c == k) else {
                if n > 0 {
                    return Err(bad(format!(
                        "Deaths{k} holds {n} deaths but age format {frmat} has no such age group"
                    )));
                }
                continue;
            };
            let from = COLUMN_START[k - 2];
            let to = used.get(at + 1).map(|&next| COLUMN_START[next - 2] - 1);
            add(&mut cells, &area, year, sex, age_label(from, to), &cause, n);
            sum += n;
        }
        let unknown = if used.is_empty() { total } else { count(26)?.unwrap_or(0) };
        add(&mut cells, &area, year, sex, "unknown".into(), &cause, unknown);
        sum += unknown;
        if sum != total {
            return Err(bad(format!("the age groups add up to {sum} deaths, Deaths1 (all ages) says {total}")));
        }
        *formats.entry(frmat.to_string()).or_default() += 1;
        kept += 1;
    }
    let rows = rows_of(cells);
    let mut notes = vec![format!(
        "{read} rows read: {kept} of neoplasms (C00–D48) kept, {other_causes} of other causes skipped{}",
        other_lists
            .iter()
            .map(|(l, n)| format!(", {n} of list {l} skipped (not a detailed ICD-10 list)"))
            .collect::<String>()
    )];
    let formats: Vec<String> = formats.iter().map(|(f, n)| format!("{f} ({n} rows)")).collect();
    if !formats.is_empty() {
        notes.push(format!("age formats: {}", formats.join(", ")));
    }
    if unspecified_sex > 0 {
        notes.push(format!("{unspecified_sex} deaths of unspecified sex (Sex 9) left out"));
    }
    Ok((rows.clone(), ReferenceSummary { layout: "WHO Mortality Database", rows: rows.len(), notes }))
}

/// Reads the plain CSV `area,year,sex,age_group,cause,deaths`.
fn read_plain(path: &Path) -> Result<(Vec<CauseOfDeathCount>, ReferenceSummary), IngestError> {
    let file = path.display().to_string();
    let mut reader = csv_of(path)?;
    let headers = reader.headers().map_err(|e| IngestError::Io { file: file.clone(), source: e.into() })?.clone();
    let want = ["area", "year", "sex", "age_group", "cause", "deaths"];
    let idx: Vec<usize> = want
        .iter()
        .map(|w| {
            headers.iter().position(|h| h.trim().eq_ignore_ascii_case(w)).ok_or_else(|| IngestError::Layout {
                file: file.clone(),
                message: format!(
                    "mortality file without a '{w}' column (expected {}, or the WHO Mortality Database layout)",
                    want.join(",")
                ),
            })
        })
        .collect::<Result<_, _>>()?;
    let mut cells = Cells::new();
    let (mut read, mut other_causes) = (0u64, 0u64);
    for rec in reader.records() {
        let rec = rec.map_err(|e| IngestError::Layout { file: file.clone(), message: e.to_string() })?;
        read += 1;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let bad = |message: String| IngestError::Row { file: file.clone(), line, message };
        let get = |i: usize| rec.get(idx[i]).unwrap_or("").trim();
        let cause = cause_code(get(4));
        if !is_neoplasm(&cause) {
            other_causes += 1;
            continue;
        }
        let year = get(1).parse::<i32>().map_err(|_| bad(format!("year '{}' is not a year", get(1))))?;
        let sex = match Sex::parse(get(2)) {
            Some(s @ (Sex::Male | Sex::Female)) => s,
            _ => return Err(bad(format!("sex '{}' is not 1/2/male/female", get(2)))),
        };
        let age_group = plain_age_group(get(3)).ok_or_else(|| {
            bad(format!("age group '{}' is not 0-4 … 85+, a group 'a-b' or 'a+', or 'unknown'", get(3)))
        })?;
        let deaths = get(5)
            .parse::<u64>()
            .ok()
            .filter(|&n| n <= MAX_DEATHS)
            .ok_or_else(|| bad(format!("deaths '{}' is not a count of deaths", get(5))))?;
        if get(0).is_empty() {
            return Err(bad("the area is empty".into()));
        }
        add(&mut cells, get(0), year, sex, age_group, &cause, deaths);
    }
    let rows = rows_of(cells);
    let notes = vec![format!(
        "{read} rows read: {} of neoplasms (C00–D48) kept, {other_causes} of other causes skipped",
        read - other_causes
    )];
    Ok((rows.clone(), ReferenceSummary { layout: "plain CSV", rows: rows.len(), notes }))
}

/// An age group of the plain layout in the platform's form (`0-4`, `85+`, `75+`, `5-14`,
/// `unknown`).
fn plain_age_group(text: &str) -> Option<String> {
    if text.eq_ignore_ascii_case("unknown") {
        return Some("unknown".into());
    }
    if let Some(from) = text.strip_suffix('+') {
        return Some(age_label(from.trim().parse().ok()?, None));
    }
    let (a, b) = text.split_once('-')?;
    let (from, to): (u32, u32) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
    (from <= to).then(|| age_label(from, Some(to)))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    const WHO_HEADER: &str = "Country,Admin1,SubDiv,Year,List,Cause,Sex,Frmat,IM_Frmat,Deaths1,Deaths2,Deaths3,Deaths4,Deaths5,Deaths6,Deaths7,Deaths8,Deaths9,Deaths10,Deaths11,Deaths12,Deaths13,Deaths14,Deaths15,Deaths16,Deaths17,Deaths18,Deaths19,Deaths20,Deaths21,Deaths22,Deaths23,Deaths24,Deaths25,Deaths26,IM_Deaths1,IM_Deaths2,IM_Deaths3,IM_Deaths4";

    /// A WHO row: `deaths[k]` is `Deaths{k+1}`, blank where `None`.
    fn who_row(cause: &str, sex: &str, frmat: &str, deaths: [Option<u64>; 26]) -> String {
        let cells: Vec<String> = deaths.iter().map(|d| d.map(|n| n.to_string()).unwrap_or_default()).collect();
        format!("4080,,,2021,104,{cause},{sex},{frmat},01,{},,,,", cells.join(","))
    }

    fn get<'r>(rows: &'r [CauseOfDeathCount], cause: &str, age: &str) -> Option<&'r CauseOfDeathCount> {
        rows.iter().find(|r| r.cause == cause && r.age_group == age)
    }

    #[test]
    fn who_age_formats_become_platform_groups() {
        // Format 02: 0 and 1-4 make 0-4; 85+ in Deaths23.
        let mut d = [None; 26];
        d[0] = Some(10);
        d[1] = Some(1);
        d[2] = Some(2);
        for k in 7..=23 {
            d[k - 1] = Some(0);
        }
        d[16] = Some(3); // Deaths17, 55-59
        d[22] = Some(4); // Deaths23, 85+
        d[25] = Some(0);
        // Format 07: 10-year groups, 75+ open.
        let mut e = [None; 26];
        e[0] = Some(6);
        e[1] = Some(0);
        e[2] = Some(0);
        for k in [7, 9, 11, 13, 15, 17, 19, 21] {
            e[k - 1] = Some(0);
        }
        e[6] = Some(1); // Deaths7, 5-14
        e[20] = Some(4); // Deaths21, 75+
        e[25] = Some(1); // unknown age
        // Format 09: all ages only.
        let mut n = [None; 26];
        n[0] = Some(7);
        let text = [
            WHO_HEADER.to_string(),
            who_row("C349", "1", "02", d),
            who_row("C50", "2", "07", e),
            who_row("C61", "1", "09", n),
            who_row("I219", "1", "09", n),
            who_row("1026", "1", "09", n).replace(",104,", ",101,"),
        ]
        .join("\n");
        let f = file(&text);
        let (rows, summary) = read_mortality(f.path()).unwrap();
        assert_eq!(summary.layout, "WHO Mortality Database");
        assert_eq!(get(&rows, "C349", "0-4").unwrap().deaths, 3);
        assert_eq!(get(&rows, "C349", "55-59").unwrap().deaths, 3);
        assert_eq!(get(&rows, "C349", "85+").unwrap().deaths, 4);
        assert_eq!(get(&rows, "C349", "0-4").unwrap().site_group.as_deref(), Some("lung"));
        assert_eq!(get(&rows, "C50", "5-14").unwrap().deaths, 1);
        assert_eq!(get(&rows, "C50", "75+").unwrap().deaths, 4);
        assert_eq!(get(&rows, "C50", "unknown").unwrap().deaths, 1);
        assert_eq!(get(&rows, "C61", "unknown").unwrap().deaths, 7);
        assert!(rows.iter().all(|r| r.cause != "I219" && r.area == "4080"));
        let total: u64 = rows.iter().map(|r| r.deaths).sum();
        assert_eq!(total, 10 + 6 + 7);
        assert!(summary.notes[0].starts_with("5 rows read: 3 of neoplasms"), "{:?}", summary.notes);
        assert!(summary.notes[0].contains("1 of list 101 skipped"), "{:?}", summary.notes);
    }

    #[test]
    fn who_rows_that_do_not_add_up_or_misuse_a_format_fail_with_their_line() {
        let mut d = [None; 26];
        d[0] = Some(5);
        d[1] = Some(1);
        for k in 3..=25 {
            d[k - 1] = Some(0);
        }
        let f = file(&format!("{WHO_HEADER}\n{}\n", who_row("C349", "1", "00", d)));
        let err = read_mortality(f.path()).unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("add up to 1 deaths, Deaths1 (all ages) says 5"), "{err}");
        d[0] = Some(1);
        d[24] = Some(0);
        let mut misuse = d;
        misuse[0] = Some(3);
        misuse[24] = Some(2); // Deaths25 (95+) in format 01
        let f = file(&format!("{WHO_HEADER}\n{}\n", who_row("C349", "1", "01", misuse)));
        let err = read_mortality(f.path()).unwrap_err().to_string();
        assert!(err.contains("Deaths25 holds 2 deaths but age format 01 has no such age group"), "{err}");
        let f = file(&format!("{WHO_HEADER}\n{}\n", who_row("C349", "1", "0X", d)));
        assert!(read_mortality(f.path()).unwrap_err().to_string().contains("Frmat '0X'"));
        let f = file(&format!("{WHO_HEADER}\n{}\n", who_row("C349", "3", "00", d)));
        assert!(read_mortality(f.path()).unwrap_err().to_string().contains("Sex '3'"));
    }

    #[test]
    fn plain_csv_is_read_checked_and_merged() {
        let f = file(
            "area,year,sex,age_group,cause,deaths\n50,2021,1,60-64,C34.9,2\n50,2021,male,60-64,C349,1\n\
             50,2021,2,85+,C18,1\n50,2021,2,85+,J18,4\n14,2021,2,unknown,D05,1\n",
        );
        let (rows, summary) = read_mortality(f.path()).unwrap();
        assert_eq!(summary.layout, "plain CSV");
        assert_eq!(get(&rows, "C349", "60-64").unwrap().deaths, 3);
        assert_eq!(get(&rows, "C18", "85+").unwrap().site_group.as_deref(), Some("colorectum"));
        assert_eq!(get(&rows, "D05", "unknown").unwrap().site_group, None);
        assert_eq!(summary.notes, ["5 rows read: 4 of neoplasms (C00–D48) kept, 1 of other causes skipped"]);
        for (bad, reason) in [
            ("50,2021,1,60-64,C349,-1", "deaths '-1'"),
            ("50,2021,1,60-64,C349,18446744073709551615", "deaths '18446744073709551615'"),
            ("50,2021,3,60-64,C349,1", "sex '3'"),
            ("50,2021,1,64-60,C349,1", "age group '64-60'"),
            ("50,20x1,1,60-64,C349,1", "year '20x1'"),
        ] {
            let f = file(&format!("area,year,sex,age_group,cause,deaths\n{bad}\n"));
            let err = read_mortality(f.path()).unwrap_err().to_string();
            assert!(err.contains("line 2") && err.contains(reason), "{bad}: {err}");
        }
    }
}
