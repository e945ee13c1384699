//! The platform's person linkage on the warehouse, as `oncodata link` runs it: the source
//! patients read from the warehouse ([`read_patients`]), linked into persons
//! ([`crate::persons::link_persons`], with the reviewers' decisions, [`read_decisions`]), written
//! as `persons`, `person_records` and `link_review`, and their tumour records — with the claims'
//! case finding — consolidated into `primaries` and `primary_tumours` ([`primaries`]); the result
//! scored against a synthetic truth ([`read_truth`]). The caller groups the writes in one
//! snapshot (`Warehouse::begin` / `commit`).

pub mod primaries;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use oncodata_warehouse::{Value, Warehouse};

use crate::persons::{Decision, FIELDS, LinkMethod, Options, PersonLinkage, SourcePatient, field, link_persons};

/// Why the warehouse's records could not be linked: the warehouse could not answer, the
/// linkage failed, or the data (a table, the decisions, the truth) is wrong, as the message
/// says naming the file, table or record.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The warehouse could not answer or store.
    #[error(transparent)]
    Warehouse(#[from] oncodata_warehouse::WarehouseError),
    /// The linkage itself failed.
    #[error(transparent)]
    Link(#[from] crate::LinkError),
    /// The data cannot be used.
    #[error("{0}")]
    Data(String),
}

impl From<String> for Error {
    fn from(message: String) -> Self {
        Self::Data(message)
    }
}

impl From<&str> for Error {
    fn from(message: &str) -> Self {
        Self::Data(message.to_string())
    }
}

/// The reviewers' decisions, applied by every later run: `DIR/linkage/decisions.csv`.
pub fn decisions_path(warehouse: &Path) -> PathBuf {
    warehouse.join("linkage").join("decisions.csv")
}

/// The columns of the decisions file.
pub const DECISIONS_HEADER: [&str; 7] =
    ["a_dataset", "a_patient_id", "b_dataset", "b_patient_id", "decision", "by", "at"];

/// The reviewers' decisions of `path` (none when it does not exist).
pub fn read_decisions(path: &Path) -> Result<Vec<Decision>, Error> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let mut reader = csv::Reader::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| format!("{}: {e}", path.display()))?;
        let same = match row.get(4) {
            Some("same") => true,
            Some("different") => false,
            other => {
                return Err(format!(
                    "{} line {}: decision '{}' is not same or different",
                    path.display(),
                    i + 2,
                    other.unwrap_or("")
                )
                .into());
            }
        };
        let cell = |k: usize| row.get(k).unwrap_or("").to_string();
        out.push(Decision { a: (cell(0), cell(1)), b: (cell(2), cell(3)), same });
    }
    Ok(out)
}

/// The source kinds whose datasets hold one record per person.
const UNIQUE_SOURCES: [&str; 3] = ["claims", "omop", "fhir"];

/// The records to link, one per source patient, and their provenance (file, patient id).
pub fn read_patients(w: &Warehouse) -> Result<(Vec<SourcePatient>, Vec<String>), Error> {
    let tables = w.tables()?;
    for t in ["patients", "identities", "tumours", "care_events"] {
        if !tables.iter().any(|x| x == t) {
            return Err(format!(
                "{}: no {t} table; ingest the sources (with --keys for their identities) first",
                w.root().display()
            )
            .into());
        }
    }
    if w.query("SELECT code FROM care_events LIMIT 0").is_err() {
        return Err(format!(
            "{}: the care events were loaded by an older version (no code column); ingest the sources again",
            w.root().display()
        )
        .into());
    }
    let key_ids = w.query("SELECT DISTINCT key_id FROM identities")?.rows()?;
    if key_ids.len() > 1 {
        return Err("the identities were pseudonymised under different keys: run `oncodata keys rekey` first".into());
    }
    let sql = "
        WITH first_tumour AS (
            SELECT dataset, patient_id, min(incidence_date) AS diagnosis,
                   first_value(icd10 ORDER BY incidence_date) AS icd10
            FROM tumours GROUP BY dataset, patient_id),
        first_care AS (
            SELECT dataset, patient_id, min(date) AS first_care FROM care_events GROUP BY dataset, patient_id),
        first_treatment AS (
            SELECT dataset, patient_id, min(date) AS first_treatment FROM care_events
            WHERE kind IN ('surgery', 'chemotherapy', 'radiotherapy', 'hormone_therapy', 'targeted_therapy')
            GROUP BY dataset, patient_id),
        cancer_stay AS (
            SELECT dataset, patient_id, first_value(code ORDER BY date) AS code FROM care_events
            WHERE kind IN ('hospital_stay', 'chemotherapy', 'radiotherapy') AND code LIKE 'C%'
            GROUP BY dataset, patient_id)
        SELECT p.dataset, p.patient_id, p.source, p.source_file, p.sex, p.birth_date, p.departement,
               p.death_date,
               i.nir, i.claims_id, i.surname, i.first_name, i.birth_date AS identity_birth,
               i.departement AS identity_departement,
               t.diagnosis, t.icd10, c.first_care, s.code AS stay_code, f.first_treatment
        FROM patients p
        LEFT JOIN identities i ON i.dataset = p.dataset AND i.patient_id = p.patient_id
        LEFT JOIN first_tumour t ON t.dataset = p.dataset AND t.patient_id = p.patient_id
        LEFT JOIN first_care c ON c.dataset = p.dataset AND c.patient_id = p.patient_id
        LEFT JOIN cancer_stay s ON s.dataset = p.dataset AND s.patient_id = p.patient_id
        LEFT JOIN first_treatment f ON f.dataset = p.dataset AND f.patient_id = p.patient_id
        ORDER BY p.dataset, p.patient_id";
    let rows = w.query(sql)?.rows()?;
    let mut records = Vec::with_capacity(rows.len());
    let mut files = Vec::with_capacity(rows.len());
    for r in rows {
        let t = |i: usize| r[i].as_text();
        let birth = if t(12).is_empty() { t(5) } else { t(12) };
        let sex = match t(4).as_str() {
            "male" => "1",
            "female" => "2",
            _ => "",
        };
        let departement = if t(13).is_empty() { t(6) } else { t(13) };
        let code = if t(15).is_empty() { t(17) } else { t(15) };
        let site: String = code.chars().filter(|c| *c != '.').take(3).collect();
        let diagnosis = if t(14).is_empty() { t(16) } else { t(14) };
        let source = t(2);
        let mut values: [String; FIELDS.len()] = Default::default();
        values[field::NIR] = t(8);
        values[field::CLAIMS] = t(9);
        values[field::SURNAME] = t(10);
        values[field::FIRST_NAME] = t(11);
        values[field::BIRTH_MONTH] = birth.get(..7).unwrap_or("").to_string();
        values[field::BIRTH_DAY] = birth.get(8..10).unwrap_or("").to_string();
        values[field::SEX] = sex.to_string();
        values[field::DEPARTEMENT] = departement;
        values[field::SITE] = if site.len() == 3 { site } else { String::new() };
        values[field::DIAGNOSIS] = diagnosis;
        values[field::DEATH] = t(7);
        values[field::TREATMENT] = t(18);
        records.push(SourcePatient {
            dataset: t(0),
            patient_id: t(1),
            unique: UNIQUE_SOURCES.contains(&source.as_str()),
            backbone: source == "claims",
            values,
        });
        files.push(t(3));
    }
    Ok((records, files))
}

/// A record's true person and tumour in a synthetic truth.
pub type TrueIds = (u64, u64);

/// The true person and tumour of each record from a synthetic truth folder's `records.csv` (file,
/// record, record_id, person_id, tumour_id): matched by the record's file (the truth's path is a
/// suffix of the loaded one, or of its folder for a folder source) and its patient id.
pub fn read_truth(dir: &Path, records: &[SourcePatient], files: &[String]) -> Result<Vec<Option<TrueIds>>, Error> {
    let path = dir.join("records.csv");
    let mut reader = csv::Reader::from_path(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut truth: HashMap<(String, String), (u64, u64)> = HashMap::new();
    let mut truth_files: Vec<String> = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| format!("{}: {e}", path.display()))?;
        let (Some(file), Some(id), Some(person), Some(tumour)) = (row.get(0), row.get(2), row.get(3), row.get(4))
        else {
            return Err(format!(
                "{} line {}: expected file,record,record_id,person_id,tumour_id",
                path.display(),
                i + 2
            )
            .into());
        };
        let number = |what: &str, v: &str| -> Result<u64, String> {
            v.parse().map_err(|_| format!("{} line {}: {what} '{v}'", path.display(), i + 2))
        };
        let (person, tumour) = (number("person_id", person)?, number("tumour_id", tumour)?);
        if !truth_files.iter().any(|f| f == file) {
            truth_files.push(file.to_string());
        }
        truth.insert((file.to_string(), id.to_string()), (person, tumour));
    }
    let mut file_of: HashMap<&str, Option<&str>> = HashMap::new();
    Ok(records
        .iter()
        .zip(files)
        .map(|(r, f)| {
            let t = *file_of.entry(f.as_str()).or_insert_with(|| {
                // The same file, else a file of the same folder (the tables of an OMOP extract).
                let loaded = Path::new(f.as_str());
                let folder = |p: &Path| p.parent().filter(|d| !d.as_os_str().is_empty()).map(Path::to_path_buf);
                truth_files
                    .iter()
                    .find(|t| loaded.ends_with(Path::new(t.as_str())))
                    .or_else(|| {
                        let here = folder(loaded)?;
                        truth_files.iter().find(|t| folder(Path::new(t.as_str())).is_some_and(|d| here.ends_with(d)))
                    })
                    .map(String::as_str)
            });
            t.and_then(|t| truth.get(&(t.to_string(), r.patient_id.clone())).copied())
        })
        .collect())
}

/// `persons`' id of a person: `P00000012`.
pub fn person_id(p: u32) -> String {
    format!("P{:08}", p + 1)
}

/// What [`link_warehouse`] did.
pub struct WarehouseLinkage {
    /// The source patients linked, and the file each came from.
    pub records: Vec<SourcePatient>,
    /// Their files.
    pub files: Vec<String>,
    /// The persons.
    pub linkage: PersonLinkage,
    /// The primaries.
    pub tumours: primaries::Consolidation,
}

/// Links the warehouse's source patients into persons and writes `persons`, `person_records`,
/// `link_review`, `primaries` and `primary_tumours` (module documentation); `progress` is told
/// each stage. Fails when there is no patient to link.
pub fn link_warehouse(
    w: &Warehouse,
    options: &Options,
    decisions: &[Decision],
    progress: &dyn Fn(&str),
) -> Result<WarehouseLinkage, Error> {
    let (records, files) = read_patients(w)?;
    if records.is_empty() {
        return Err(format!("{}: no patients to link; ingest sources first", w.root().display()).into());
    }
    let linkage = link_persons(&records, options, decisions, progress)?;
    // persons: best information over the person's records.
    let person_id = |p: u32| format!("P{:08}", p + 1);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); linkage.persons];
    for (i, p) in linkage.person_of.iter().enumerate() {
        members[*p as usize].push(i);
    }
    let most_common = |values: Vec<&str>| -> Value {
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for v in values.into_iter().filter(|v| !v.is_empty()) {
            match counts.iter_mut().find(|(x, _)| *x == v) {
                Some(c) => c.1 += 1,
                None => counts.push((v, 1)),
            }
        }
        counts.iter().max_by_key(|(_, n)| *n).map_or(Value::Null, |(v, _)| Value::Text(v.to_string()))
    };
    let persons: Vec<Vec<Value>> = members
        .iter()
        .enumerate()
        .map(|(p, m)| {
            let v = |f: usize| m.iter().map(|&i| records[i].values[f].as_str()).collect::<Vec<_>>();
            let mut datasets: Vec<&str> = m.iter().map(|&i| records[i].dataset.as_str()).collect();
            datasets.sort();
            datasets.dedup();
            // The most complete birth date: a full date typed most often, else the month.
            let days = v(field::BIRTH_DAY);
            let months = v(field::BIRTH_MONTH);
            let full: Vec<String> = m
                .iter()
                .zip(days.iter().zip(&months))
                .filter(|(_, (d, mo))| !d.is_empty() && !mo.is_empty())
                .map(|(_, (d, mo))| format!("{mo}-{d}"))
                .collect();
            let birth = match most_common(full.iter().map(String::as_str).collect()) {
                Value::Null => most_common(months),
                b => b,
            };
            let first_diagnosis = v(field::DIAGNOSIS)
                .into_iter()
                .filter(|d| !d.is_empty())
                .min()
                .map_or(Value::Null, |d| Value::Text(d.into()));
            vec![
                Value::Text(person_id(p as u32)),
                Value::Int(m.len() as i64),
                Value::Text(datasets.join(";")),
                most_common(v(field::SEX)),
                birth,
                first_diagnosis,
                most_common(v(field::SITE)),
            ]
        })
        .collect();
    w.write_rows(
        "persons",
        &["person_id", "records", "datasets", "sex", "birth_date", "first_diagnosis", "site"],
        &persons,
    )?;
    let person_records: Vec<Vec<Value>> = records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            vec![
                Value::Text(person_id(linkage.person_of[i])),
                Value::Text(r.dataset.clone()),
                Value::Text(r.patient_id.clone()),
                Value::Text(linkage.method[i].label().into()),
                if linkage.method[i] == LinkMethod::Single {
                    Value::Null
                } else {
                    Value::Float(linkage.probability[i])
                },
            ]
        })
        .collect();
    w.write_rows(
        "person_records",
        &["person_id", "dataset", "patient_id", "link", "match_probability"],
        &person_records,
    )?;
    let mut columns = vec![
        "pair",
        "a_dataset",
        "a_patient_id",
        "b_dataset",
        "b_patient_id",
        "match_probability",
        "match_weight",
        "reason",
    ];
    columns.extend(FIELDS.iter().map(|(name, _)| *name));
    let review_rows: Vec<Vec<Value>> = linkage
        .review
        .iter()
        .enumerate()
        .map(|(n, p)| {
            let mut row = vec![
                Value::Int(n as i64 + 1),
                Value::Text(records[p.a].dataset.clone()),
                Value::Text(records[p.a].patient_id.clone()),
                Value::Text(records[p.b].dataset.clone()),
                Value::Text(records[p.b].patient_id.clone()),
                Value::Float(p.probability),
                Value::Float(p.weight),
                Value::Text(p.reason.into()),
            ];
            row.extend(p.levels.iter().map(|l| Value::Text(l.to_string())));
            row
        })
        .collect();
    w.write_rows("link_review", &columns, &review_rows)?;
    let tumours = primaries::consolidate_tumours(w, &records, &linkage.person_of, &person_id)?;
    Ok(WarehouseLinkage { records, files, linkage, tumours })
}
