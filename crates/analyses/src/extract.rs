//! A project's extract of the linked warehouse, under the project's own pseudonyms. Each
//! approved project receives its persons under pseudonyms keyed by a project key derived from
//! the master key (the caller's `pseudonym` function: `oncodata_pseudonym::ProjectKey`), so that
//! two projects' extracts cannot be joined on their ids; source ids, source files and record
//! provenance stay behind, and birth dates are cut to the month. Rows are sorted by pseudonym:
//! in the warehouse's order, two projects' extracts could be joined row by row.
//!
//! The extract is a warehouse of its own (`persons`, `primaries`, `care_events`), which `oncodata
//! sql --warehouse OUT`, R (arrow) and Python (pandas, polars) read.

use std::collections::HashMap;

use oncodata_warehouse::{Value, Warehouse};

use crate::AnalysisError;

/// Hex digits kept of a project pseudonym: 96 bits, so that a country's persons do not collide.
pub const PSEUDONYM_DIGITS: usize = 24;

/// The columns of an extract's `persons`.
pub const PERSON_COLUMNS: [&str; 9] =
    ["person_id", "sex", "birth_month", "departement", "first_diagnosis", "site", "records", "datasets", "death_date"];
/// The columns of an extract's `care_events`.
pub const CARE_COLUMNS: [&str; 5] = ["person_id", "date", "kind", "code", "dataset"];

/// The columns of an extract's `primaries`: the warehouse's, but their id and the records their
/// values came from.
async fn primary_columns(w: &Warehouse) -> Result<Vec<String>, AnalysisError> {
    let all = w.query_async("SELECT * FROM primaries LIMIT 0").await?.columns();
    Ok(all.into_iter().filter(|c| c != "primary_id" && !c.ends_with("_source")).collect())
}

/// The columns that name sources (datasets: a registry, a hospital, a claims extraction), which a
/// workspace holds only when its permit says so.
pub const SOURCE_COLUMNS: [&str; 3] = ["persons.datasets", "primaries.datasets", "care_events.dataset"];

/// Every column a project's extract of `w` holds, as `table.column`: what an application for
/// access may request. `w` must be linked.
pub async fn catalog(w: &Warehouse) -> Result<Vec<String>, AnalysisError> {
    if !w.tables()?.iter().any(|t| t == "primaries") {
        return Err(AnalysisError::Request(format!(
            "{}: no primaries table; run `oncodata link` first",
            w.root().display()
        )));
    }
    let persons = PERSON_COLUMNS.iter().map(|c| format!("persons.{c}"));
    let primaries = primary_columns(w).await?.into_iter().map(|c| format!("primaries.{c}"));
    let care = CARE_COLUMNS.iter().map(|c| format!("care_events.{c}"));
    Ok(persons.chain(primaries).chain(care).collect())
}

/// What an extract holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtractReport {
    /// Persons.
    pub persons: usize,
    /// Primaries.
    pub primaries: usize,
    /// Care events.
    pub care_events: usize,
}

async fn count(w: &Warehouse, sql: &str) -> Result<usize, AnalysisError> {
    let rows = w.query_async(sql).await?.rows()?;
    Ok(rows.first().and_then(|r| r[0].as_f64()).unwrap_or(0.0) as usize)
}

/// The error of a warehouse loaded since its last linkage.
fn stale(w: &Warehouse, missing: usize, total: usize, what: &str) -> AnalysisError {
    AnalysisError::Request(format!(
        "{}: {missing} of {total} {what} are not in the last linkage (loaded since?); run `oncodata link` again",
        w.root().display()
    ))
}

/// The rows with column `at` (a warehouse person id) replaced by the project's pseudonym, sorted
/// by it (then by the next column).
fn replace_person(
    mut rows: Vec<Vec<Value>>,
    at: usize,
    of: &dyn Fn(&Value) -> Result<Value, AnalysisError>,
) -> Result<Vec<Vec<Value>>, AnalysisError> {
    for r in &mut rows {
        r[at] = of(&r[at])?;
    }
    let key = |r: &Vec<Value>| (r[at].as_text(), r.get(at + 1).map(Value::as_text).unwrap_or_default());
    rows.sort_by_cached_key(key);
    Ok(rows)
}

/// A table of a project's extract before it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Its columns.
    pub columns: Vec<String>,
    /// Its rows, sorted by pseudonym.
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    fn new(columns: &[&str], rows: Vec<Vec<Value>>) -> Self {
        Self { columns: columns.iter().map(|c| c.to_string()).collect(), rows }
    }
}

/// A project's tables, by name (`persons`, `primaries`, `care_events`), in that order.
pub type Tables = Vec<(String, Table)>;

/// Project `pseudonym`'s tables of the linked warehouse `w`: every person under the project's
/// pseudonym (`pseudonym` is given a person's source records, `dataset:patient_id`, sorted),
/// birth dates cut to the month, no warehouse id, source id or source file. Fails on a
/// warehouse not linked, or loaded since its last linkage (a record would otherwise be left out
/// without a word).
pub async fn project_tables(
    w: &Warehouse,
    pseudonym: &mut (dyn FnMut(&[String]) -> String + Send),
    progress: &(dyn Fn(&str) + Sync),
) -> Result<Tables, AnalysisError> {
    let tables = w.tables()?;
    for t in ["persons", "person_records", "primaries", "primary_tumours"] {
        if !tables.iter().any(|x| x == t) {
            return Err(AnalysisError::Request(format!(
                "{}: no {t} table; run `oncodata link` first",
                w.root().display()
            )));
        }
    }
    // Tumours loaded since the last linkage are in no primary yet.
    let tumours = count(w, "SELECT count(*) FROM tumours").await?;
    let consolidated = count(w, "SELECT count(*) FROM primary_tumours WHERE kind = 'notification'").await?;
    if tumours != consolidated {
        return Err(stale(w, tumours.abs_diff(consolidated), tumours, "tumour records"));
    }
    let records = w
        .query_async(
            "SELECT person_id, dataset || ':' || patient_id AS source FROM person_records ORDER BY person_id, source",
        )
        .await?
        .rows()?;
    let mut pseudonyms: HashMap<String, String> = HashMap::new();
    for person in records.chunk_by(|a, b| a[0] == b[0]) {
        let sources: Vec<String> = person.iter().map(|r| r[1].as_text()).collect();
        pseudonyms.insert(person[0][0].as_text(), pseudonym(&sources)[..PSEUDONYM_DIGITS].to_string());
    }
    let of = |v: &Value| -> Result<Value, AnalysisError> {
        pseudonyms.get(&v.as_text()).map(|p| Value::Text(p.clone())).ok_or_else(|| {
            AnalysisError::Request(format!(
                "person {} has no record in person_records; run `oncodata link` again",
                v.as_text()
            ))
        })
    };

    progress("persons");
    // The département of residence is the source records' (the latest when they differ).
    let persons = w
        .query_async(
            "SELECT p.person_id, p.sex, substr(p.birth_date, 1, 7) AS birth_month, d.departement, p.first_diagnosis,
                    p.site, p.records, p.datasets, d.death_date
             FROM persons p
             LEFT JOIN (SELECT r.person_id, max(x.death_date) AS death_date, max(x.departement) AS departement
                        FROM person_records r JOIN patients x ON x.dataset = r.dataset AND x.patient_id = r.patient_id
                        GROUP BY r.person_id) d ON d.person_id = p.person_id",
        )
        .await?
        .rows()?;
    let persons = replace_person(persons, 0, &of)?;

    progress("primaries");
    let columns = primary_columns(w).await?;
    let primaries = w.query_async(&format!("SELECT {} FROM primaries", columns.join(", "))).await?.rows()?;
    let primaries = replace_person(primaries, 0, &of)?;

    progress("care events");
    let care = w
        .query_async(
            "SELECT r.person_id, c.date, c.kind, c.code, c.dataset
             FROM care_events c JOIN person_records r ON r.dataset = c.dataset AND r.patient_id = c.patient_id",
        )
        .await?
        .rows()?;
    let total = count(w, "SELECT count(*) FROM care_events").await?;
    if total != care.len() {
        return Err(stale(w, total - care.len(), total, "care events"));
    }
    let care = replace_person(care, 0, &of)?;
    let primaries = Table { columns, rows: primaries };
    Ok(vec![
        ("persons".into(), Table::new(&PERSON_COLUMNS, persons)),
        ("primaries".into(), primaries),
        ("care_events".into(), Table::new(&CARE_COLUMNS, care)),
    ])
}

/// Writes `tables` as a warehouse in the folder `target`, in one snapshot named `message`;
/// counts what each holds (a table left out counts 0).
pub fn write_tables(tables: &Tables, target: &std::path::Path, message: &str) -> Result<ExtractReport, AnalysisError> {
    let target = Warehouse::open(target)?;
    target.begin(message)?;
    for (name, table) in tables {
        let columns: Vec<&str> = table.columns.iter().map(String::as_str).collect();
        target.write_rows(name, &columns, &table.rows)?;
    }
    target.commit()?;
    let rows = |name: &str| tables.iter().find(|(n, _)| n == name).map_or(0, |(_, t)| t.rows.len());
    Ok(ExtractReport { persons: rows("persons"), primaries: rows("primaries"), care_events: rows("care_events") })
}

/// Writes project `project`'s extract of the linked warehouse `w` as a warehouse in the folder
/// `target`, in one snapshot: [`project_tables`], whole.
pub async fn project_extract(
    w: &Warehouse,
    project: &str,
    pseudonym: &mut (dyn FnMut(&[String]) -> String + Send),
    target: &std::path::Path,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<ExtractReport, AnalysisError> {
    let tables = project_tables(w, pseudonym, progress).await?;
    write_tables(&tables, target, &format!("extract of project {project}"))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use oncodata_warehouse::Value::{Int, Null, Text};

    fn t(s: &str) -> Value {
        Text(s.into())
    }

    /// A linked warehouse of two persons in `dir`: P1 (man, born 1950-06, Manche, colon
    /// cancer in 2021, one surgery) and P2 (woman, Calvados, breast cancer in 2022, died 2023).
    pub(crate) fn linked(dir: &std::path::Path) -> Warehouse {
        let w = Warehouse::open(dir).unwrap();
        w.begin("test").unwrap();
        let rows = |v: Vec<Vec<Value>>| v;
        w.write_rows(
            "persons",
            &["person_id", "records", "datasets", "sex", "birth_date", "first_diagnosis", "site"],
            &rows(vec![
                vec![t("P1"), Int(1), t("reg"), t("1"), t("1950-06-12"), t("2021-03-01"), t("C18")],
                vec![t("P2"), Int(1), t("reg"), t("2"), t("1960-01-02"), t("2022-01-01"), t("C50")],
            ]),
        )
        .unwrap();
        w.write_rows(
            "person_records",
            &["person_id", "dataset", "patient_id"],
            &rows(vec![vec![t("P1"), t("reg"), t("a")], vec![t("P2"), t("reg"), t("b")]]),
        )
        .unwrap();
        w.write_rows(
            "patients",
            &["dataset", "patient_id", "death_date", "departement"],
            &rows(vec![vec![t("reg"), t("a"), Null, t("50")], vec![t("reg"), t("b"), t("2023-05-01"), t("14")]]),
        )
        .unwrap();
        w.write_rows(
            "primaries",
            &[
                "primary_id",
                "person_id",
                "datasets",
                "topography",
                "topography_source",
                "incidence_date",
                "incidence_year",
                "site_group",
            ],
            &rows(vec![
                vec![
                    t("P1-1"),
                    t("P1"),
                    t("reg"),
                    t("C18.7"),
                    t("reg:a-01"),
                    t("2021-03-01"),
                    Int(2021),
                    t("colorectal"),
                ],
                vec![t("P2-1"), t("P2"), t("reg"), t("C50.4"), t("reg:b-01"), t("2022-01-01"), Int(2022), t("breast")],
            ]),
        )
        .unwrap();
        w.write_rows(
            "primary_tumours",
            &["primary_id", "kind"],
            &rows(vec![vec![t("P1-1"), t("notification")], vec![t("P2-1"), t("notification")]]),
        )
        .unwrap();
        w.write_rows("tumours", &["tumour_id"], &rows(vec![vec![t("a-01")], vec![t("b-01")]])).unwrap();
        w.write_rows(
            "care_events",
            &["dataset", "patient_id", "date", "kind", "code"],
            &rows(vec![vec![t("reg"), t("a"), t("2021-04-01"), t("surgery"), Null]]),
        )
        .unwrap();
        w.commit().unwrap();
        w
    }

    /// A made-up pseudonym from a person's first source record.
    pub(crate) fn pseudonym(sources: &[String]) -> String {
        format!("{:0<64}", sources[0].bytes().map(u64::from).sum::<u64>())
    }

    /// Two persons under a project's pseudonyms: no warehouse id or source column leaves, rows
    /// come sorted by pseudonym, and a tumour loaded after the linkage stops the extract.
    #[test]
    fn an_extract_holds_the_persons_under_the_projects_pseudonyms() {
        let dir = tempfile::tempdir().unwrap();
        let w = linked(&dir.path().join("wh"));
        let mut pseudonym = pseudonym;
        let out = dir.path().join("extract");
        let report = w.block_on(project_extract(&w, "P-1", &mut pseudonym, &out, &|_| {})).unwrap();
        assert_eq!(report, ExtractReport { persons: 2, primaries: 2, care_events: 1 });
        let e = Warehouse::open(&out).unwrap();
        let q = |sql: &str| e.query(sql).unwrap();
        assert_eq!(
            q("SELECT * FROM primaries").columns(),
            ["person_id", "datasets", "topography", "incidence_date", "incidence_year", "site_group"]
        );
        let persons = q("SELECT person_id, birth_month, death_date FROM persons").rows().unwrap();
        assert!(persons.iter().all(|r| r[0].as_text().len() == PSEUDONYM_DIGITS && !r[0].as_text().starts_with('P')));
        assert_ne!(persons[0][0], persons[1][0], "one pseudonym per person");
        assert!(persons.iter().any(|r| r[1].as_text() == "1950-06" && r[2] == Null));

        // A tumour loaded since the linkage: refused, naming the count.
        w.begin("later").unwrap();
        w.write_rows("tumours", &["tumour_id"], &[vec![t("a-01")], vec![t("b-01")], vec![t("c-01")]]).unwrap();
        w.commit().unwrap();
        let e = w.block_on(project_extract(&w, "P-1", &mut pseudonym, &dir.path().join("x"), &|_| {})).unwrap_err();
        assert!(e.to_string().contains("1 of 3 tumour records are not in the last linkage"), "{e}");
    }
}
