//! A project's workspace: its extract ([`crate::extract::project_tables`]) cut to what its
//! permit names — the columns (the others are absent; a table with none is absent), the
//! populations (site groups and years of diagnosis of its primaries; sex and département of
//! its persons), dates no more precise than the permit allows, and the sources' names only
//! when the permit shows them. The European Health Data Space's secure processing environment:
//! a permit's users reach the data the permit names and nothing else.

use std::collections::HashSet;

use oncodata_warehouse::{Value, Warehouse};

use crate::AnalysisError;
use crate::extract::{ExtractReport, SOURCE_COLUMNS, Tables, project_tables, write_tables};

/// How precise a workspace's dates are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// Full dates.
    Day,
    /// `YYYY-MM`.
    Month,
    /// `YYYY`.
    Year,
}

/// What a permit lets a workspace hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Restriction {
    /// The columns, as `table.column`.
    pub columns: Vec<String>,
    /// Site groups of the primaries (empty: all).
    pub site_groups: Vec<String>,
    /// Years of diagnosis of the primaries, first and last.
    pub years: Option<(i32, i32)>,
    /// Départements of residence of the persons (empty: all).
    pub areas: Vec<String>,
    /// Sexes of the persons (`1`, `2`; empty: both).
    pub sexes: Vec<String>,
    /// How precise dates are.
    pub precision: Precision,
    /// Whether the sources' names (datasets) may be seen.
    pub show_sources: bool,
}

/// Whether column `name` holds dates (or months).
fn is_date(name: &str) -> bool {
    name.ends_with("date") || name == "first_diagnosis" || name == "birth_month"
}

/// A date cut to `precision`.
fn coarsen(value: Value, precision: Precision) -> Value {
    let keep = match precision {
        Precision::Day => return value,
        Precision::Month => 7,
        Precision::Year => 4,
    };
    match value {
        Value::Text(t) if t.len() > keep => Value::Text(t[..keep].to_string()),
        other => other,
    }
}

/// Index of column `name` in `columns`.
fn at(columns: &[String], name: &str) -> Option<usize> {
    columns.iter().position(|c| c == name)
}

impl Restriction {
    /// Whether a primary row passes the populations.
    fn primary(&self, columns: &[String], row: &[Value]) -> bool {
        let site_ok = self.site_groups.is_empty()
            || at(columns, "site_group").is_some_and(|i| self.site_groups.contains(&row[i].as_text()));
        let year_ok = self.years.is_none_or(|(first, last)| {
            at(columns, "incidence_year")
                .and_then(|i| row[i].as_f64().or_else(|| row[i].as_text().parse().ok()))
                .is_some_and(|y| (first as f64..=last as f64).contains(&y))
        });
        site_ok && year_ok
    }

    /// Whether a person row passes the populations.
    fn person(&self, columns: &[String], row: &[Value]) -> bool {
        let sex_ok =
            self.sexes.is_empty() || at(columns, "sex").is_some_and(|i| self.sexes.contains(&row[i].as_text()));
        let area_ok =
            self.areas.is_empty() || at(columns, "departement").is_some_and(|i| self.areas.contains(&row[i].as_text()));
        sex_ok && area_ok
    }

    /// Cuts a project's tables to the permit.
    pub fn apply(&self, tables: Tables) -> Tables {
        let find = |name: &str| tables.iter().find(|(n, _)| n == name).map(|(_, t)| t);
        // The persons of the populations: by their own columns, and, when the permit names
        // primaries' populations, with at least one such primary.
        let by_primaries = !self.site_groups.is_empty() || self.years.is_some();
        let with_primary: HashSet<String> = find("primaries")
            .map(|t| t.rows.iter().filter(|r| self.primary(&t.columns, r)).map(|r| r[0].as_text()).collect())
            .unwrap_or_default();
        let persons: HashSet<String> = find("persons")
            .map(|t| {
                t.rows
                    .iter()
                    .filter(|r| self.person(&t.columns, r) && (!by_primaries || with_primary.contains(&r[0].as_text())))
                    .map(|r| r[0].as_text())
                    .collect()
            })
            .unwrap_or_default();
        let mut kept = Vec::new();
        for (name, mut table) in tables {
            table.rows.retain(|r| persons.contains(&r[0].as_text()));
            if name == "primaries" {
                let columns = table.columns.clone();
                table.rows.retain(|r| self.primary(&columns, r));
            }
            let named: Vec<usize> = (0..table.columns.len())
                .filter(|&i| {
                    let full = format!("{name}.{}", table.columns[i]);
                    self.columns.contains(&full) && (self.show_sources || !SOURCE_COLUMNS.contains(&full.as_str()))
                })
                .collect();
            if named.is_empty() {
                continue;
            }
            let dates: Vec<bool> = named.iter().map(|&i| is_date(&table.columns[i])).collect();
            table.rows = table
                .rows
                .into_iter()
                .map(|row| {
                    let mut row: Vec<Option<Value>> = row.into_iter().map(Some).collect();
                    named
                        .iter()
                        .zip(&dates)
                        .map(|(&i, &date)| {
                            let v = row[i].take().expect("each column once");
                            if date { coarsen(v, self.precision) } else { v }
                        })
                        .collect()
                })
                .collect();
            table.columns = named.iter().map(|&i| table.columns[i].clone()).collect();
            kept.push((name, table));
        }
        kept
    }
}

/// Builds project `project`'s workspace of the linked warehouse `w` in the folder `target` (a
/// warehouse of its own, in one snapshot): its extract under the project's pseudonyms
/// (`pseudonym`, as [`crate::extract::project_extract`]), cut to `restriction`.
pub async fn build_workspace(
    w: &Warehouse,
    project: &str,
    pseudonym: &mut (dyn FnMut(&[String]) -> String + Send),
    restriction: &Restriction,
    target: &std::path::Path,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<ExtractReport, AnalysisError> {
    let tables = restriction.apply(project_tables(w, pseudonym, progress).await?);
    progress("writing");
    write_tables(&tables, target, &format!("workspace of project {project}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::tests::{linked, pseudonym};

    fn restriction(columns: &[&str]) -> Restriction {
        Restriction {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            site_groups: Vec::new(),
            years: None,
            areas: Vec::new(),
            sexes: Vec::new(),
            precision: Precision::Month,
            show_sources: false,
        }
    }

    fn build(w: &Warehouse, r: &Restriction, out: &std::path::Path) -> (ExtractReport, Warehouse) {
        let mut p = pseudonym;
        let report = w.block_on(build_workspace(w, "P-1", &mut p, r, out, &|_| {})).unwrap();
        (report, Warehouse::open(out).unwrap())
    }

    #[test]
    fn a_workspace_holds_the_named_columns_of_the_named_populations_only() {
        let dir = tempfile::tempdir().unwrap();
        let w = linked(&dir.path().join("wh"));
        let mut r = restriction(&[
            "persons.person_id",
            "persons.sex",
            "persons.first_diagnosis",
            "persons.datasets",
            "primaries.person_id",
            "primaries.site_group",
            "primaries.incidence_date",
        ]);
        r.site_groups = vec!["breast".into()];
        r.precision = Precision::Year;
        let (report, ws) = build(&w, &r, &dir.path().join("a"));
        assert_eq!(report, ExtractReport { persons: 1, primaries: 1, care_events: 0 });
        assert_eq!(ws.tables().unwrap(), ["persons", "primaries"], "no care_events column named: no table");
        let persons = ws.query("SELECT * FROM persons").unwrap();
        assert_eq!(persons.columns(), ["person_id", "sex", "first_diagnosis"], "datasets hidden without show_sources");
        let rows = persons.rows().unwrap();
        assert_eq!((rows[0][1].as_text(), rows[0][2].as_text()), ("2".to_string(), "2022".to_string()));
        let primaries = ws.query("SELECT site_group, incidence_date FROM primaries").unwrap().rows().unwrap();
        assert_eq!(primaries, [vec![Value::Text("breast".into()), Value::Text("2022".into())]]);

        // By sex and département, with the sources shown and months kept.
        let mut r =
            restriction(&["persons.person_id", "persons.datasets", "care_events.person_id", "care_events.date"]);
        r.sexes = vec!["1".into()];
        r.areas = vec!["50".into()];
        r.show_sources = true;
        let (report, ws) = build(&w, &r, &dir.path().join("b"));
        assert_eq!(report, ExtractReport { persons: 1, primaries: 0, care_events: 1 });
        let care = ws.query("SELECT date FROM care_events").unwrap().rows().unwrap();
        assert_eq!(care, [vec![Value::Text("2021-04".into())]]);
        assert_eq!(
            ws.query("SELECT datasets FROM persons").unwrap().rows().unwrap(),
            [vec![Value::Text("reg".into())]]
        );

        // Years outside the data: nobody.
        let mut r = restriction(&["persons.sex"]);
        r.years = Some((2010, 2015));
        assert_eq!(build(&w, &r, &dir.path().join("c")).0.persons, 0);
    }
}
