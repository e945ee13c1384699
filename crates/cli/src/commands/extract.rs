//! `oncodata extract`: a project's extract of the linked warehouse, under the project's own
//! pseudonyms. Each approved project receives its persons under pseudonyms keyed by a project
//! key derived from the master key (HMAC-SHA-256, `oncodata_pseudonym::ProjectKey`), so that two
//! projects' extracts cannot be joined on their ids; source ids, source files and record
//! provenance stay behind, and birth dates are cut to the month.
//!
//! The extract is a warehouse of its own (`OUT/tables/*.parquet`), which `oncodata sql
//! --warehouse OUT`, R (arrow) and Python (pandas, polars) read.

use std::collections::HashMap;
use std::path::PathBuf;

use oncodata_warehouse::{Value, Warehouse};

use super::CliResult;
use super::keys::KeysArg;
use crate::WarehouseArg;
use crate::progress::Step;

/// Arguments of `oncodata extract`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    warehouse: WarehouseArg,
    #[command(flatten)]
    keys: KeysArg,
    /// The project's identifier, as the committee registered it: its pseudonyms derive from it.
    #[arg(long, value_name = "ID")]
    project: String,
    /// The folder of the extract (created; must not exist or be empty).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

/// Hex digits kept of a project pseudonym: 96 bits, so that a country's persons do not collide.
const PSEUDONYM_DIGITS: usize = 24;

/// Runs the command.
pub fn run(args: Args) -> CliResult {
    let dir = &args.warehouse.warehouse;
    let project = args.project.trim();
    if project.is_empty() {
        return Err("--project: give the project's identifier".into());
    }
    if args.out.exists() {
        let mut entries = std::fs::read_dir(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
        if entries.next().is_some() {
            return Err(format!("{}: the extract's folder exists and is not empty", args.out.display()).into());
        }
    }
    let out_abs = std::path::absolute(&args.out)?;
    if out_abs.starts_with(std::path::absolute(dir)?) {
        return Err(format!("{}: the extract must be outside the warehouse", args.out.display()).into());
    }
    let keys = args.keys.load(Some(dir))?;
    let w = args.warehouse.open()?;
    let tables = w.tables()?;
    for t in ["persons", "person_records", "primaries", "primary_tumours"] {
        if !tables.iter().any(|x| x == t) {
            return Err(format!("{}: no {t} table; run `oncodata link` first", dir.display()).into());
        }
    }
    // Tumours loaded since the last linkage are in no primary yet.
    let (tumours, consolidated) = (
        count(&w, "SELECT count(*) FROM tumours")?,
        count(&w, "SELECT count(*) FROM primary_tumours WHERE kind = 'notification'")?,
    );
    if tumours != consolidated {
        return Err(stale(dir, tumours.abs_diff(consolidated), tumours, "tumour records").into());
    }
    let step = Step::start("extracting");
    let key = keys.project(project);
    // A person's pseudonym is keyed on its first source record (dataset:patient_id), which stays
    // the same when `oncodata link` runs again on the same records, unlike the person number.
    let anchors = w
        .query("SELECT person_id, min(dataset || ':' || patient_id) AS anchor FROM person_records GROUP BY person_id")?
        .rows()?;
    let pseudonym: HashMap<String, String> = anchors
        .iter()
        .map(|r| (r[0].as_text(), key.pseudonym(&r[1].as_text())[..PSEUDONYM_DIGITS].to_string()))
        .collect();
    let of = |v: &Value| -> Result<Value, String> {
        pseudonym
            .get(&v.as_text())
            .map(|p| Value::Text(p.clone()))
            .ok_or_else(|| format!("person {} has no record in person_records; run `oncodata link` again", v.as_text()))
    };
    let target = Warehouse::open(&args.out)?;
    target.begin(&format!("extract of project {project}"))?;

    step.set("persons");
    let persons = w
        .query(
            "SELECT p.person_id, p.sex, substr(p.birth_date, 1, 7) AS birth_month, p.first_diagnosis, p.site,
                    p.records, p.datasets, d.death_date
             FROM persons p
             LEFT JOIN (SELECT r.person_id, max(x.death_date) AS death_date
                        FROM person_records r JOIN patients x ON x.dataset = r.dataset AND x.patient_id = r.patient_id
                        GROUP BY r.person_id) d ON d.person_id = p.person_id",
        )?
        .rows()?;
    let persons = replace_person(persons, 0, &of)?;
    target.write_rows(
        "persons",
        &["person_id", "sex", "birth_month", "first_diagnosis", "site", "records", "datasets", "death_date"],
        &persons,
    )?;

    step.set("primaries");
    // The primaries' columns but their warehouse id and the records their values came from.
    let columns: Vec<&str> = oncodata_link::on_warehouse::primaries::PRIMARY_COLUMNS
        .into_iter()
        .filter(|c| *c != "primary_id" && !c.ends_with("_source"))
        .collect();
    let primaries = w.query(&format!("SELECT {} FROM primaries", columns.join(", ")))?.rows()?;
    let primaries = replace_person(primaries, 0, &of)?;
    target.write_rows("primaries", &columns, &primaries)?;

    step.set("care events");
    let care = w
        .query(
            "SELECT r.person_id, c.date, c.kind, c.code, c.dataset
             FROM care_events c JOIN person_records r ON r.dataset = c.dataset AND r.patient_id = c.patient_id",
        )?
        .rows()?;
    // Every care event must reach the extract: one of a patient the last linkage did not see
    // (loaded since) would otherwise be dropped without a word.
    let total = count(&w, "SELECT count(*) FROM care_events")?;
    if total != care.len() {
        return Err(stale(dir, total - care.len(), total, "care events").into());
    }
    let care = replace_person(care, 0, &of)?;
    target.write_rows("care_events", &["person_id", "date", "kind", "code", "dataset"], &care)?;
    target.commit()?;
    step.done(&format!(
        "extract of project {project}: {} persons, {} primaries, {} care events under the project's pseudonyms in {} \
         (query it with: oncodata sql --warehouse {})",
        persons.len(),
        primaries.len(),
        care.len(),
        args.out.display(),
        args.out.display()
    ));
    Ok(())
}

/// The one number a `SELECT count(*)` returns.
fn count(w: &Warehouse, sql: &str) -> Result<usize, Box<dyn std::error::Error>> {
    let rows = w.query(sql)?.rows()?;
    Ok(rows.first().and_then(|r| r[0].as_f64()).unwrap_or(0.0) as usize)
}

/// The error of a warehouse loaded since its last linkage.
fn stale(dir: &std::path::Path, missing: usize, total: usize, what: &str) -> String {
    format!(
        "{}: {missing} of {total} {what} are not in the last linkage (loaded since?); run `oncodata link` again",
        dir.display()
    )
}

/// The rows with column `at` (a warehouse person id) replaced by the project's pseudonym, and
/// sorted by it (then by the next column): in the warehouse's order, two projects' extracts
/// could be joined row by row.
fn replace_person(
    mut rows: Vec<Vec<Value>>,
    at: usize,
    of: &dyn Fn(&Value) -> Result<Value, String>,
) -> Result<Vec<Vec<Value>>, String> {
    for r in &mut rows {
        r[at] = of(&r[at])?;
    }
    let key = |r: &Vec<Value>| (r[at].as_text(), r.get(at + 1).map(Value::as_text).unwrap_or_default());
    rows.sort_by_cached_key(key);
    Ok(rows)
}
