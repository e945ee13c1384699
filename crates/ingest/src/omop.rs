//! OMOP CDM 5.4 exports: a folder of tables, or a zip archive of one (as OHDSI ships its Eunomia
//! sets); each table `<name>.csv`, `.tsv` or `.txt`, optionally gzipped, its name in any case
//! (`PERSON.csv`), comma- or tab-separated, or `<name>.parquet` (read as the CSV it holds, a row's
//! record number being its row + 1). Read: `person`, `condition_occurrence`, and when
//! present `death`, `measurement`, `episode`, `episode_event`, `drug_exposure`,
//! `procedure_occurrence`, `concept` and `concept_ancestor`, with the oncology extension's
//! conventions:
//!
//! - a tumour is a `condition_occurrence` whose `condition_source_value` is the ICD-O-3 code as
//!   the OMOP ICDO3 vocabulary writes it (`8140/3-C61.9`: morphology/behaviour-topography), or
//!   whose `condition_concept_id` is, through the `concept` table, an ICDO3 concept, a SNOMED CT
//!   cancer concept of `data/fhir/snomed_cancer.csv` or an ICD-10 cancer code (or whose source
//!   value is an ICD-10 cancer code); a concept that `concept_ancestor` puts under 443392
//!   (Malignant neoplastic disease) but none of these codes is quarantined, naming it; every
//!   other condition (a comorbidity) is skipped and counted;
//! - its stage is a `measurement` attached to it by `measurement_event_id` with
//!   `meas_event_field_concept_id` 1147127 (condition_occurrence.condition_occurrence_id), its
//!   value in `value_source_value` (`Stage II`);
//! - a disease `episode` (concept 32533, Disease First Occurrence) groups it through
//!   `episode_event` (its id is kept in the tumour's source ids);
//! - sex from `gender_concept_id` (8507 male, 8532 female), birth from `year_of_birth`,
//!   `month_of_birth`, `day_of_birth`, death from `death.death_date`;
//! - treatments: `drug_exposure` by ATC code in `drug_source_value`, or by the ATC class of its
//!   RxNorm `drug_concept_id` (`data/fhir/rxnorm_atc.csv`, the cancer drugs of Synthea's modules),
//!   `procedure_occurrence` by label or kind in `procedure_source_value`; a drug or procedure
//!   that is not a cancer treatment (or a drug coded otherwise) is skipped and counted.
//!
//! Every row of every table read is a record with its file and line: it is accepted (and used),
//! quarantined or skipped, and each file's counts add up. The patient id is
//! `person_source_value` when given (the centre's own number), else `person_id`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use oncodata_model::{CareEvent, PartialDate, Patient, Provenance, Sex, VitalStatus};

use crate::IngestError;
use crate::care::{is_atc, kind_of_atc, kind_of_label};
use crate::case::{Case, Findings, Labels, validate};
use crate::extract::{CountedFile, Extract};
use crate::rules::Violation;
use crate::table::Table;

/// The `--source` kind of this reader.
pub const SOURCE_KIND: &str = "omop";

/// `meas_event_field_concept_id` / `episode_event_field_concept_id` of a condition occurrence.
const CONDITION_FIELD: &str = "1147127";

static LABELS: Labels = Labels {
    patient_id: "person_id",
    sex: "gender_concept_id",
    birth: "year_of_birth",
    age: "age",
    incidence: "condition_start_date",
    topography: "condition_source_value (topography)",
    morphology: "condition_source_value (morphology)",
    behaviour: "condition_source_value (behaviour)",
    grade: "grade",
    basis: "basis",
    vital_status: "death",
};

/// A person row as read.
struct Person {
    patient_id: String,
    sex: &'static str,
    birth: PartialDate,
    death: Option<PartialDate>,
    line: u64,
}

fn open<'f>(
    path: Option<&PathBuf>,
    file: &'f str,
    out: &Extract,
) -> Result<Option<Table<'f, std::io::BufReader<CountedFile>>>, IngestError> {
    let Some(path) = path else { return Ok(None) };
    let delimiter = delimiter_of(path, file)?;
    Table::open(std::io::BufReader::with_capacity(1 << 20, out.open(path)?), file, delimiter).map(Some)
}

/// The file of an OMOP table in a folder: `<table>.csv`, `.tsv` or `.txt`, optionally `.gz`, or
/// `<table>.parquet`, the name in any case (`PERSON.csv`, as OHDSI's Eunomia sets write them).
pub fn find_table(dir: &Path, table: &str) -> Option<PathBuf> {
    let entries = std::fs::read_dir(dir).ok()?;
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
            let name = name.strip_suffix(".gz").unwrap_or(&name);
            ["csv", "tsv", "txt", "parquet"].iter().any(|ext| name == format!("{table}.{ext}")) && p.is_file()
        })
        .collect();
    found.sort();
    found.into_iter().next()
}

/// Writes a Parquet table as CSV with a header (dates as `2020-01-31`), for the CSV reader.
fn parquet_to_csv(from: &Path, to: &Path) -> Result<(), IngestError> {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let file = from.display().to_string();
    let layout = |message: String| IngestError::Layout { file: file.clone(), message };
    let f = std::fs::File::open(from).map_err(|e| IngestError::Io { file: file.clone(), source: e })?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(f)
        .and_then(|b| b.build())
        .map_err(|e| layout(format!("not a readable Parquet table: {e}")))?;
    let w = std::fs::File::create(to).map_err(|e| IngestError::Io { file: file.clone(), source: e })?;
    let mut csv = arrow_csv::WriterBuilder::new().with_header(true).build(std::io::BufWriter::new(w));
    // The header, even for a table without rows.
    let schema = arrow_array::RecordBatchReader::schema(&reader);
    csv.write(&arrow_array::RecordBatch::new_empty(schema)).map_err(|e| layout(format!("Parquet schema: {e}")))?;
    for batch in reader {
        let batch = batch.map_err(|e| layout(format!("Parquet data: {e}")))?;
        csv.write(&batch).map_err(|e| layout(format!("Parquet data: {e}")))?;
    }
    Ok(())
}

/// The delimiter of a table file: a tab for `.tsv`, else a tab when the header line has tabs
/// and no commas, else a comma.
fn delimiter_of(path: &Path, file: &str) -> Result<u8, IngestError> {
    use std::io::{BufRead, Read};
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    if name.trim_end_matches(".gz").ends_with(".tsv") {
        return Ok(b'\t');
    }
    let f = std::fs::File::open(path).map_err(|e| IngestError::Io { file: file.to_string(), source: e })?;
    let mut header = Vec::new();
    std::io::BufReader::new(crate::input::decompressed(f, file)?.take(64 * 1024))
        .read_until(b'\n', &mut header)
        .map_err(|e| IngestError::Io { file: file.to_string(), source: e })?;
    let (tabs, commas) =
        (header.iter().filter(|b| **b == b'\t').count(), header.iter().filter(|b| **b == b',').count());
    Ok(if tabs > 0 && commas == 0 { b'\t' } else { b',' })
}

/// Reads an OMOP CDM export into `out`: a folder of tables, or a zip archive of one (as OHDSI
/// ships its Eunomia sets), unpacked into a temporary folder first.
pub fn read_omop(path: &Path, today: NaiveDate, out: &mut Extract) -> Result<(), IngestError> {
    if path.is_dir() {
        return read_omop_dir(path, today, out);
    }
    let file = path.display().to_string();
    let unpacked = tempfile::tempdir().map_err(|e| IngestError::Io { file: file.clone(), source: e })?;
    unzip_tables(path, unpacked.path())?;
    read_tables(unpacked.path(), Some(&format!("{file}!")), today, out)
}

/// Unpacks the table files of a zip archive (at any depth; macOS resource forks left out) into
/// `to`, each under its own file name.
fn unzip_tables(archive: &Path, to: &Path) -> Result<(), IngestError> {
    let file = archive.display().to_string();
    let layout = |message: String| IngestError::Layout { file: file.clone(), message };
    let f = std::fs::File::open(archive).map_err(|e| IngestError::Io { file: file.clone(), source: e })?;
    let mut zip = zip::ZipArchive::new(f).map_err(|e| layout(format!("not a zip archive of OMOP tables: {e}")))?;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| layout(format!("entry {i}: {e}")))?;
        let name = entry.name().map_err(|e| layout(format!("entry {i}: {e}")))?.to_string();
        let base = name.rsplit('/').next().unwrap_or(&name).to_string();
        if entry.is_dir() || name.starts_with("__MACOSX") || base.starts_with("._") || base.is_empty() {
            continue;
        }
        let target = to.join(&base);
        let mut w = std::fs::File::create(&target).map_err(|e| IngestError::Io { file: file.clone(), source: e })?;
        std::io::copy(&mut entry, &mut w).map_err(|e| layout(format!("{name}: {e}")))?;
    }
    Ok(())
}

/// Reads a folder of OMOP CSV tables into `out`, one file after the other.
pub fn read_omop_dir(dir: &Path, today: NaiveDate, out: &mut Extract) -> Result<(), IngestError> {
    read_tables(dir, None, today, out)
}

/// Reads the tables of `dir`, each named in provenance and messages by its path, or as `shown`
/// followed by its file name (`export.zip!PERSON.csv` for an archive unpacked in `dir`).
fn read_tables(dir: &Path, shown: Option<&str>, today: NaiveDate, out: &mut Extract) -> Result<(), IngestError> {
    let tables: HashMap<&str, PathBuf> = [
        "person",
        "death",
        "episode_event",
        "episode",
        "measurement",
        "condition_occurrence",
        "drug_exposure",
        "procedure_occurrence",
        "concept",
        "concept_ancestor",
    ]
    .into_iter()
    .filter_map(|t| find_table(dir, t).map(|p| (t, p)))
    .collect();
    // Parquet tables are read as the CSV they hold (written into a temporary folder); they are
    // named by their own file, a row's record number being its row + 1 (the CSV's line).
    let shown_names: HashMap<&str, String> = tables
        .iter()
        .map(|(t, p)| (*t, p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()))
        .collect();
    let converted = tempfile::tempdir().map_err(|e| IngestError::Io { file: dir.display().to_string(), source: e })?;
    let tables: HashMap<&str, PathBuf> = tables
        .into_iter()
        .map(|(t, p)| {
            let is_parquet = p.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
            if !is_parquet {
                return Ok((t, p));
            }
            let csv = converted.path().join(format!("{t}.csv"));
            parquet_to_csv(&p, &csv)?;
            Ok((t, csv))
        })
        .collect::<Result<_, IngestError>>()?;
    for required in ["person", "condition_occurrence"] {
        if !tables.contains_key(required) {
            return Err(IngestError::Layout {
                file: dir.display().to_string(),
                message: format!(
                    "not an OMOP CDM folder: no {required} table ({required}.csv, .tsv or .txt, any case, optionally .gz, or .parquet)"
                ),
            });
        }
    }
    let file_of = |t: &str| {
        let name = shown_names.get(t).cloned().unwrap_or_else(|| format!("{t}.csv"));
        match shown {
            Some(prefix) => format!("{prefix}{name}"),
            None => dir.join(name).display().to_string(),
        }
    };
    let name = |t: &str| tables.get(t);
    let prov = |file: &str, line: u64| Provenance::new(SOURCE_KIND, file, line);

    // person
    let mut persons: HashMap<String, Person> = HashMap::new();
    let file = file_of("person");
    let table = open(name("person"), &file, out)?.expect("checked above");
    let h = &table.header;
    h.require(&file, "an OMOP person table", &["person_id", "gender_concept_id", "year_of_birth"])?;
    let [id, gender, yob, mob, dob, source] =
        ["person_id", "gender_concept_id", "year_of_birth", "month_of_birth", "day_of_birth", "person_source_value"]
            .map(|c| h.index(c));
    table.rows_into(&prov(&file, 0), out, &mut |out, p, row, raw| {
        let mut f = Findings::default();
        let person_id = row.at(id);
        if person_id.is_none() {
            f.missing("person_id");
        }
        let sex = match row.at(gender) {
            Some("8507") => "1",
            Some("8532") => "2",
            _ => "9",
        };
        if row.at(yob).is_none() {
            f.missing("year_of_birth");
        }
        let year = f.number::<i32>("year_of_birth", row.at(yob), 1850..=2200);
        let month = f.number::<u8>("month_of_birth", row.at(mob), 1..=12);
        let day = f.number::<u8>("day_of_birth", row.at(dob), 1..=31);
        let birth = year.map(|year| PartialDate { year, month, day: month.and(day) });
        if let Some(b) = birth
            && b.month.is_some()
            && b.day.is_some()
            && b.to_date().is_none()
        {
            f.format(format!("birth {}-{:?}-{:?} is not a date", b.year, b.month, b.day));
        }
        if let Some(b) = birth
            && b.bounds().0 > today
        {
            f.0.push(Violation::error("date.future", format!("birth {b} is after today {today}")));
        }
        let (Some(person_id), Some(birth), false) = (person_id, birth, f.has_errors()) else {
            out.quarantine(p, person_id.map(str::to_string), f.0, raw());
            return Ok(());
        };
        let patient_id = row.at(source).unwrap_or(person_id).to_string();
        persons.insert(person_id.to_string(), Person { patient_id, sex, birth, death: None, line: p.record });
        out.accepted(p, Some(person_id), f.0);
        Ok(())
    })?;
    out.finish_file(SOURCE_KIND, &file)?;

    // death
    let file = file_of("death");
    if let Some(table) = open(name("death"), &file, out)? {
        table.header.require(&file, "an OMOP death table", &["person_id", "death_date"])?;
        let [id, date] = ["person_id", "death_date"].map(|c| table.header.index(c));
        table.rows(&mut |line, row, raw| {
            out.read();
            let p = prov(&file, line);
            let mut f = Findings::default();
            let outcome = row.map_err(|v| vec![v]).and_then(|row| {
                let person = row.at(id).unwrap_or("");
                let death = f.date("death_date", row.at(date));
                match (persons.get_mut(person), death) {
                    (Some(p), Some(d)) if !f.has_errors() => {
                        p.death = Some(d);
                        Ok(person.to_string())
                    }
                    (None, _) => Err(vec![unknown_person(Some(person))]),
                    _ => {
                        if death.is_none() && !f.has_errors() {
                            f.missing("death_date");
                        }
                        Err(std::mem::take(&mut f.0))
                    }
                }
            });
            match outcome {
                Ok(person) => out.accepted(&p, Some(&person), vec![]),
                Err(v) => out.quarantine(&p, None, v, raw()),
            }
            Ok(())
        })?;
        out.finish_file(SOURCE_KIND, &file)?;
    }

    // episode_event and episode: the disease episode of each condition.
    let mut episode_of: HashMap<String, String> = HashMap::new();
    let file = file_of("episode_event");
    if let Some(table) = open(name("episode_event"), &file, out)? {
        let cols = ["episode_id", "event_id", "episode_event_field_concept_id"];
        table.header.require(&file, "an OMOP episode_event table", &cols)?;
        let [episode, event, field] = cols.map(|c| table.header.index(c));
        table.rows(&mut |line, row, raw| {
            out.read();
            let p = prov(&file, line);
            match row {
                Ok(r) => match (r.at(episode), r.at(event)) {
                    (Some(e), Some(c)) => {
                        if r.at(field) == Some(CONDITION_FIELD) {
                            episode_of.insert(c.to_string(), e.to_string());
                        }
                        out.accepted(&p, Some(e), vec![]);
                    }
                    _ => out.quarantine(
                        &p,
                        None,
                        vec![Violation::error("record.required", "episode_id and event_id are required")],
                        raw(),
                    ),
                },
                Err(v) => out.quarantine(&p, None, vec![v], raw()),
            }
            Ok(())
        })?;
        out.finish_file(SOURCE_KIND, &file)?;
    }
    let file = file_of("episode");
    if let Some(table) = open(name("episode"), &file, out)? {
        let cols = ["episode_id", "person_id", "episode_concept_id"];
        table.header.require(&file, "an OMOP episode table", &cols)?;
        let [episode, person] = ["episode_id", "person_id"].map(|c| table.header.index(c));
        table.rows(&mut |line, row, raw| {
            out.read();
            let p = prov(&file, line);
            match row {
                Ok(r) if r.at(episode).is_none() => {
                    let v = Violation::error("record.required", "episode_id is missing");
                    out.quarantine(&p, None, vec![v], raw())
                }
                Ok(r) if r.at(person).is_some_and(|p| persons.contains_key(p)) => {
                    out.accepted(&p, r.at(episode), vec![])
                }
                Ok(r) => {
                    out.quarantine(&p, r.at(episode).map(str::to_string), vec![unknown_person(r.at(person))], raw())
                }
                Err(v) => out.quarantine(&p, None, vec![v], raw()),
            }
            Ok(())
        })?;
        out.finish_file(SOURCE_KIND, &file)?;
    }

    // measurement: stage groups attached to conditions.
    let mut stage_of: HashMap<String, String> = HashMap::new();
    let file = file_of("measurement");
    if let Some(table) = open(name("measurement"), &file, out)? {
        let cols = ["measurement_id", "person_id"];
        table.header.require(&file, "an OMOP measurement table", &cols)?;
        let [mid, person, event, field, value, what] = [
            "measurement_id",
            "person_id",
            "measurement_event_id",
            "meas_event_field_concept_id",
            "value_source_value",
            "measurement_source_value",
        ]
        .map(|c| table.header.index(c));
        table.rows(&mut |line, row, raw| {
            out.read();
            let p = prov(&file, line);
            match row {
                Ok(r) if r.at(person).is_some_and(|p| persons.contains_key(p)) => {
                    let is_stage = r.at(what).is_some_and(|w| w.to_ascii_lowercase().contains("stage"));
                    if let (true, Some(cond), Some(CONDITION_FIELD), Some(v)) =
                        (is_stage, r.at(event), r.at(field), r.at(value))
                    {
                        let stage = v.strip_prefix("Stage ").unwrap_or(v);
                        stage_of.insert(cond.to_string(), stage.to_string());
                    }
                    out.accepted(&p, r.at(mid), vec![]);
                }
                Ok(r) => out.quarantine(&p, r.at(mid).map(str::to_string), vec![unknown_person(r.at(person))], raw()),
                Err(v) => out.quarantine(&p, None, vec![v], raw()),
            }
            Ok(())
        })?;
        out.finish_file(SOURCE_KIND, &file)?;
    }

    // The vocabulary of the conditions' and drugs' concepts, when the export ships it.
    let file = file_of("condition_occurrence");
    let mut wanted = column_values(name("condition_occurrence"), &file, "condition_concept_id")?;
    wanted.extend(column_values(name("drug_exposure"), &file_of("drug_exposure"), "drug_concept_id")?);
    let concepts = match name("concept") {
        Some(_) => concepts_of(name("concept"), &file_of("concept"), &wanted)?,
        None => HashMap::new(),
    };
    let malignant =
        descendants_of(name("concept_ancestor"), &file_of("concept_ancestor"), MALIGNANT_NEOPLASTIC_DISEASE)?;

    // condition_occurrence: the tumours; other conditions are skipped and counted.
    let table = open(name("condition_occurrence"), &file, out)?.expect("checked above");
    let cols = ["condition_occurrence_id", "person_id", "condition_start_date", "condition_source_value"];
    table.header.require(&file, "an OMOP condition_occurrence table", &cols[..3])?;
    let [cid, person, start, code] = cols.map(|c| table.header.index(c));
    let concept_col = table.header.index("condition_concept_id");
    table.rows_into(&prov(&file, 0), out, &mut |out, p, row, raw| {
        let found = condition_class(
            row.at(code),
            row.at(concept_col).and_then(|id| concepts.get(id)),
            row.at(concept_col),
            &malignant,
        );
        if matches!(found, Found::NotCancer) {
            out.skipped(p);
            return Ok(());
        }
        let Some(person) = row.at(person).and_then(|id| persons.get(id)) else {
            let v = unknown_person(row.at(person));
            out.quarantine(p, row.at(cid).map(str::to_string), vec![v], raw());
            return Ok(());
        };
        let mut f = Findings::default();
        let mut case = Case::new(&LABELS);
        case.patient_id = Some(&person.patient_id);
        case.tumour_number = row.at(cid);
        case.sex = Some(person.sex);
        case.birth = Some(person.birth);
        case.death = person.death;
        case.vital_status = Some(if person.death.is_some() { "2" } else { "9" });
        case.incidence = f.date("condition_start_date", row.at(start));
        let mut coded_stage = None;
        match &found {
            Found::Icdo3(m, b, t) => {
                case.morphology = Some(m);
                case.behaviour = Some(b);
                case.topography = Some(t);
            }
            Found::Codes(t) => {
                case.morphology = Some(&t.morphology);
                case.behaviour = Some(&t.behaviour);
                case.topography = Some(&t.topography);
                coded_stage = t.stage.clone();
            }
            Found::Malformed(v) => {
                f.format(format!("condition_source_value '{v}' is not an ICD-O-3 code MMMM/B-Cxx.x"))
            }
            Found::Unmapped(v) => f.0.push(v.clone()),
            Found::NotCancer => unreachable!("skipped above"),
        }
        let condition = row.at(cid).unwrap_or("");
        case.stage = stage_of.get(condition).map(|s| Cow::Borrowed(s.as_str())).or(coded_stage.map(Cow::Owned));
        let episode = episode_of.get(condition).map_or(String::new(), |e| format!(";episode_id={e}"));
        case.source_ids = compact_str::format_compact!(
            "person_id={};condition_occurrence_id={condition}{episode}",
            person.patient_id
        );
        out.tumour(validate(&case, f, p, today), p, raw);
        Ok(())
    })?;
    out.finish_file(SOURCE_KIND, &file)?;

    // Persons without a tumour are patients all the same.
    let mut rest: Vec<&Person> = persons.values().collect();
    rest.sort_by_key(|p| p.line);
    for person in rest {
        out.patient(Patient {
            patient_id: person.patient_id.as_str().into(),
            sex: Sex::parse(person.sex).unwrap_or(Sex::Unknown),
            birth_date: person.birth,
            departement: None,
            commune: None,
            vital_status: if person.death.is_some() { VitalStatus::Dead } else { VitalStatus::Unknown },
            last_contact: person.death.map(|d| d.midpoint()),
            death_date: person.death.map(|d| d.midpoint()),
            cause_of_death: None,
            provenance: prov(&file_of("person"), person.line),
        });
    }

    // Treatments.
    for (table_name, code_col, date_col) in [
        ("drug_exposure", "drug_source_value", "drug_exposure_start_date"),
        ("procedure_occurrence", "procedure_source_value", "procedure_date"),
    ] {
        let file = file_of(table_name);
        let Some(table) = open(name(table_name), &file, out)? else { continue };
        table.header.require(&file, &format!("an OMOP {table_name} table"), &["person_id", code_col, date_col])?;
        let [person, code, date] = ["person_id", code_col, date_col].map(|c| table.header.index(c));
        let drug_concept = table.header.index("drug_concept_id").filter(|_| table_name == "drug_exposure");
        table.rows_into(&prov(&file, 0), out, &mut |out, p, row, raw| {
            let mut f = Findings::default();
            let who = row.at(person).and_then(|id| persons.get(id));
            if who.is_none() {
                f.0.push(unknown_person(row.at(person)));
            }
            let when = f.date(date_col, row.at(date)).and_then(|d| d.to_date());
            let value = row.at(code).unwrap_or("");
            let kind = if table_name == "drug_exposure" {
                // A drug's cancer-treatment class is its ATC code's: the source value's when it is
                // one, else that of its RxNorm concept (data/fhir/rxnorm_atc.csv); any other drug
                // is skipped.
                let rxnorm = row
                    .at(drug_concept)
                    .and_then(|id| concepts.get(id))
                    .filter(|c| c.vocabulary.eq_ignore_ascii_case("RxNorm"))
                    .and_then(|c| crate::fhir_codes::atc_of_rxnorm(&c.code));
                let atc = if is_atc(value) { Some(value) } else { rxnorm };
                atc.and_then(kind_of_atc)
            } else {
                kind_of_label(value)
            };
            if when.is_none() && !f.0.iter().any(|v| v.message.starts_with(date_col)) {
                f.missing(date_col);
            }
            match (who, when, kind, f.has_errors()) {
                (Some(who), Some(when), Some(kind), false) => {
                    out.care_events.push(CareEvent {
                        patient_id: who.patient_id.as_str().into(),
                        tumour_id: None,
                        kind,
                        date: when,
                        provider: None,
                        code: None,
                        provenance: p.clone(),
                    });
                    out.accepted(p, None, f.0);
                }
                // A drug or procedure that is not a cancer treatment (or a drug coded otherwise
                // than in ATC, such as RxNorm): read, skipped and counted, out of the care pathway.
                (Some(_), Some(_), None, false) => out.skipped(p),
                _ => out.quarantine(p, None, f.0, raw()),
            }
            Ok(())
        })?;
        out.finish_file(SOURCE_KIND, &file)?;
    }
    Ok(())
}

/// The `record.reference` error of a row whose `person_id` is not an accepted row of person.csv.
fn unknown_person(id: Option<&str>) -> Violation {
    Violation::error(
        "record.reference",
        format!("person_id '{}' is not an accepted row of person.csv", id.unwrap_or("")),
    )
}

/// OMOP's standard concept 443392, *Malignant neoplastic disease*: every malignant condition
/// concept descends from it in `concept_ancestor`.
const MALIGNANT_NEOPLASTIC_DISEASE: &str = "443392";

/// What a condition occurrence is.
enum Found<'a> {
    /// ICD-O-3 morphology, behaviour and topography, from the source value or the concept code.
    Icdo3(&'a str, &'a str, &'a str),
    /// The codes its SNOMED CT or ICD-10 concept gives.
    Codes(crate::fhir_codes::Tumour),
    /// A source value shaped like ICD-O-3 that does not read as one.
    Malformed(&'a str),
    /// A cancer that cannot be coded (an unmapped concept).
    Unmapped(Violation),
    /// Not a cancer.
    NotCancer,
}

/// A concept's vocabulary, code and name.
struct Concept {
    vocabulary: String,
    code: String,
    name: String,
}

/// Classifies a condition occurrence: by `condition_source_value` in ICD-O-3 (`8140/3-C61.9`),
/// else by its concept — an ICDO3 concept's code, a SNOMED CT concept through
/// `data/fhir/snomed_cancer.csv`, an ICD-10 code (concept or source value) — and a concept that
/// `concept_ancestor` puts under *Malignant neoplastic disease* but that none of these codes is
/// an unmapped cancer; anything else is not a cancer.
fn condition_class<'a>(
    source: Option<&'a str>,
    concept: Option<&'a Concept>,
    concept_id: Option<&str>,
    malignant: &std::collections::HashSet<String>,
) -> Found<'a> {
    use crate::fhir_codes::{Class, icd10_class, snomed_class};
    if let Some(s) = source {
        if let Some((m, b, t)) = split_icdo3(s) {
            return Found::Icdo3(m, b, t);
        }
        if s.len() >= 4 && s.as_bytes()[..4].iter().all(u8::is_ascii_digit) && s.contains(['/', '-']) {
            return Found::Malformed(s);
        }
    }
    let of_class = |class: Option<Class>| match class {
        Some(Class::Primary(Some(t)) | Class::Staged(t)) => Some(Found::Codes(t)),
        Some(Class::Unmapped(v)) => Some(Found::Unmapped(v)),
        Some(Class::Primary(None)) => Some(Found::Unmapped(Violation::error(
            "omop.unmapped-concept",
            "an in situ or uncertain-behaviour neoplasm whose ICD-10 code gives no ICD-O-3 site".to_string(),
        ))),
        Some(Class::NotPrimary | Class::Secondary(_)) => Some(Found::NotCancer),
        None => None,
    };
    if let Some(c) = concept {
        let found = match c.vocabulary.as_str() {
            "ICDO3" => split_icdo3(&c.code).map(|(m, b, t)| Found::Icdo3(m, b, t)),
            "SNOMED" => of_class(snomed_class(&c.code, &c.name, None)),
            "ICD10" | "ICD10CM" => of_class(icd10_class(&c.code)),
            _ => None,
        };
        if let Some(found) = found {
            return found;
        }
    }
    if let Some(found) = source.and_then(|s| of_class(icd10_class(s))) {
        return found;
    }
    match (concept_id, concept) {
        (Some(id), c) if malignant.contains(id) => Found::Unmapped(Violation::error(
            "omop.unmapped-concept",
            format!(
                "condition concept {id}{} is a malignant neoplastic disease (concept_ancestor) that no ICD-O-3 mapping covers",
                c.map_or(String::new(), |c| format!(" ({} {}: {})", c.vocabulary, c.code, c.name))
            ),
        )),
        _ => Found::NotCancer,
    }
}

/// A (possibly gzipped) table opened apart from the records: read, not counted.
fn side_table<'f>(path: &Path, file: &'f str) -> Result<Table<'f, impl std::io::Read + use<'f>>, IngestError> {
    let f = std::fs::File::open(path).map_err(|e| IngestError::Io { file: file.to_string(), source: e })?;
    Table::open(crate::input::decompressed(f, file)?, file, delimiter_of(path, file)?)
}

/// The values of one column of a (possibly gzipped) table, read apart from the records.
fn column_values(
    path: Option<&PathBuf>,
    file: &str,
    column: &str,
) -> Result<std::collections::HashSet<String>, IngestError> {
    let mut values = std::collections::HashSet::new();
    let Some(path) = path else { return Ok(values) };
    let table = side_table(path, file)?;
    let Some(at) = table.header.index(column) else { return Ok(values) };
    table.rows(&mut |_, row, _| {
        if let Ok(row) = row
            && let Some(v) = row.at(Some(at))
        {
            values.insert(v.to_string());
        }
        Ok(())
    })?;
    Ok(values)
}

/// The rows of `concept` whose id is in `wanted`.
fn concepts_of(
    path: Option<&PathBuf>,
    file: &str,
    wanted: &std::collections::HashSet<String>,
) -> Result<HashMap<String, Concept>, IngestError> {
    let mut concepts = HashMap::new();
    let Some(path) = path else { return Ok(concepts) };
    let table = side_table(path, file)?;
    let cols = ["concept_id", "concept_name", "vocabulary_id", "concept_code"];
    table.header.require(file, "an OMOP concept table", &cols)?;
    let [id, name, vocabulary, code] = cols.map(|c| table.header.index(c));
    table.rows(&mut |_, row, _| {
        if let Ok(row) = row
            && let Some(i) = row.at(id).filter(|i| wanted.contains(*i))
        {
            let text = |c| row.at(c).unwrap_or("").to_string();
            concepts
                .insert(i.to_string(), Concept { vocabulary: text(vocabulary), code: text(code), name: text(name) });
        }
        Ok(())
    })?;
    Ok(concepts)
}

/// The descendants of `ancestor` in `concept_ancestor`, when the export ships it.
fn descendants_of(
    path: Option<&PathBuf>,
    file: &str,
    ancestor: &str,
) -> Result<std::collections::HashSet<String>, IngestError> {
    let mut set = std::collections::HashSet::new();
    let Some(path) = path else { return Ok(set) };
    let table = side_table(path, file)?;
    let [a, d] = ["ancestor_concept_id", "descendant_concept_id"].map(|c| table.header.index(c));
    table.rows(&mut |_, row, _| {
        if let Ok(row) = row
            && row.at(a) == Some(ancestor)
            && let Some(d) = row.at(d)
        {
            set.insert(d.to_string());
        }
        Ok(())
    })?;
    Ok(set)
}

/// Splits an OMOP ICDO3 concept code `8140/3-C61.9` into morphology, behaviour and topography.
fn split_icdo3(code: &str) -> Option<(&str, &str, &str)> {
    let (mb, topography) = code.split_once('-')?;
    let (morphology, behaviour) = mb.split_once('/')?;
    Some((morphology, behaviour, topography))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bad rows of each table are quarantined with the rule that names their fault, the rest
    /// accepted, and every file's counts add up.
    #[test]
    fn bad_rows_are_quarantined_with_their_reason() {
        let dir = tempfile::tempdir().unwrap();
        let write = |t: &str, text: &str| std::fs::write(dir.path().join(format!("{t}.csv")), text).unwrap();
        write(
            "person",
            "person_id,gender_concept_id,year_of_birth,month_of_birth,day_of_birth,person_source_value\n\
             1,8532,1950,6,15,C-1\n2,8507,19x0,,,C-2\n3,8507,1960,2,30,C-3\n4,8507,1960,1,1,C-4\n",
        );
        write(
            "condition_occurrence",
            "condition_occurrence_id,person_id,condition_start_date,condition_source_value\n\
             10,1,2021-03-04,8500/3-C50.4\n11,2,2021-03-04,8140/3-C61.9\n12,4,2021-03-04,C61.9\n\
             13,4,2021-13-01,8140/3-C61.9\n14,4,2021-03-01,8140/3-C50.7\n15,4\n16,1,2021-03-04,I10\n",
        );
        write("death", "person_id,death_date\n1,2022-01-01\n9,2022-01-01\n");
        write("episode", "episode_id,person_id,episode_concept_id\n,1,32533\n5,1,32533\n");
        write(
            "drug_exposure",
            "person_id,drug_source_value,drug_exposure_start_date\n1,L01BC02,2021-04-01\n1,XX,2021-04-01\n4,N02BE01,2021-04-01\n",
        );
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let mut out = Extract::default();
        read_omop_dir(dir.path(), today, &mut out).unwrap();
        let counts: Vec<(String, u64, u64, u64, u64)> = out
            .files
            .iter()
            .map(|f| {
                let name = f.file.rsplit('/').next().unwrap().to_string();
                (name, f.counts.read, f.counts.accepted, f.counts.quarantined, f.counts.skipped)
            })
            .collect();
        // The ICD-10 source value C61.9 is a prostate cancer; I10 (hypertension) is skipped; a
        // drug that is not an ATC-coded cancer treatment is skipped.
        let want = [
            ("person.csv", 4, 2, 2, 0),
            ("death.csv", 2, 1, 1, 0),
            ("episode.csv", 2, 1, 1, 0),
            ("condition_occurrence.csv", 7, 2, 4, 1),
            ("drug_exposure.csv", 3, 1, 0, 2),
        ];
        assert_eq!(counts, want.map(|(f, r, a, q, s)| (f.to_string(), r, a, q, s)).to_vec());
        let rules: Vec<(u64, String)> = out
            .quarantined
            .iter()
            .map(|q| (q.provenance.record, q.violations.iter().map(|v| v.rule).collect::<Vec<_>>().join(" ")))
            .collect();
        let want = [
            (3, "record.format"),    // year of birth 19x0
            (4, "record.format"),    // 30 February
            (3, "record.reference"), // death of an unknown person
            (2, "record.required"),  // episode without id
            (3, "record.reference"), // condition of a quarantined person
            (5, "record.format"),    // month 13
            (6, "iarc.topography"),  // C50.7
            (7, "record.shape"),     // two fields
        ];
        assert_eq!(rules, want.map(|(l, r)| (l, r.to_string())).to_vec());
        assert_eq!(out.tumours[0].stage, None);
        assert!(out.patients.iter().any(|p| p.patient_id == "C-1" && p.death_date.is_some()));
        // The analgesic and the drug coded XX are read, skipped and counted, out of the pathway.
        assert_eq!(out.care_events.len(), 1);
    }

    /// A drug of an OHDSI export, coded by its RxNorm concept (the source value is RxNorm's
    /// code, as OHDSI's Synthea conversions write it): a cancer drug is a care event by the ATC
    /// class of `data/fhir/rxnorm_atc.csv`; another RxNorm drug is skipped; without the concept
    /// table nothing is guessed.
    #[test]
    fn rxnorm_drugs_are_classed_through_their_concept() {
        let dir = tempfile::tempdir().unwrap();
        let write = |t: &str, text: &str| std::fs::write(dir.path().join(format!("{t}.csv")), text).unwrap();
        write("person", "person_id,gender_concept_id,year_of_birth\n1,8532,1950\n");
        write(
            "condition_occurrence",
            "condition_occurrence_id,person_id,condition_start_date,condition_source_value\n10,1,2021-03-04,8500/3-C50.4\n",
        );
        write(
            "drug_exposure",
            "person_id,drug_concept_id,drug_source_value,drug_exposure_start_date\n\
             1,1734919,1734919,2021-04-01\n1,1125315,313782,2021-04-02\n1,262485,262485,2021-05-01\n",
        );
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let mut out = Extract::default();
        read_omop_dir(dir.path(), today, &mut out).unwrap();
        assert!(out.care_events.is_empty(), "no concept table: RxNorm codes are not guessed");
        write(
            "concept",
            "concept_id,concept_name,domain_id,vocabulary_id,concept_class_id,standard_concept,concept_code\n\
             1734919,cyclophosphamide 1000 MG Injection,Drug,RxNorm,Clinical Drug,S,1734919\n\
             1125315,Acetaminophen 325 MG Oral Tablet,Drug,RxNorm,Clinical Drug,S,313782\n\
             262485,Arimidex,Drug,RxNorm,Brand Name,S,262485\n",
        );
        let mut out = Extract::default();
        read_omop_dir(dir.path(), today, &mut out).unwrap();
        let kinds: Vec<&str> = out.care_events.iter().map(|e| e.kind.label()).collect();
        assert_eq!(kinds, vec!["chemotherapy", "hormone_therapy"]);
        let drugs = out.files.iter().find(|f| f.file.ends_with("drug_exposure.csv")).unwrap();
        assert_eq!((drugs.counts.read, drugs.counts.accepted, drugs.counts.skipped), (3, 2, 1));
    }

    #[test]
    fn icdo3_concept_codes() {
        assert_eq!(split_icdo3("8140/3-C61.9"), Some(("8140", "3", "C61.9")));
        assert_eq!(split_icdo3("C61.9"), None);
    }

    /// A Parquet table that is not one stops its path with an error naming the file and why.
    #[test]
    fn a_broken_parquet_table_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("person.parquet"), "not parquet").unwrap();
        std::fs::write(dir.path().join("condition_occurrence.csv"), "condition_occurrence_id,person_id\n").unwrap();
        let mut out = Extract::default();
        let e = read_omop_dir(dir.path(), NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), &mut out).unwrap_err();
        let e = e.to_string();
        assert!(e.contains("person.parquet") && e.contains("not a readable Parquet table"), "{e}");
    }

    /// OHDSI's layout: upper-case file names, a tab-separated table, tumours found through the
    /// `concept` table (SNOMED CT, ICDO3) and `concept_ancestor`, other conditions skipped.
    #[test]
    fn tumours_are_found_through_the_concept_table() {
        let dir = tempfile::tempdir().unwrap();
        let write = |t: &str, text: &str| std::fs::write(dir.path().join(t), text).unwrap();
        write("PERSON.tsv", "person_id\tgender_concept_id\tyear_of_birth\n1\t8507\t1950\n");
        write(
            "CONDITION_OCCURRENCE.csv",
            "condition_occurrence_id,person_id,condition_concept_id,condition_start_date,condition_source_value\n\
             1,1,4112853,2021-03-04,254837009\n2,1,44499685,2021-03-04,\n3,1,9999,2021-03-04,\n\
             4,1,8888,2021-03-04,\n5,1,320128,2021-03-04,59621000\n",
        );
        write(
            "CONCEPT.csv",
            "concept_id,concept_name,domain_id,vocabulary_id,concept_class_id,standard_concept,concept_code\n\
             4112853,Malignant neoplasm of breast,Condition,SNOMED,Clinical Finding,S,254837009\n\
             44499685,Adenocarcinoma of prostate,Condition,ICDO3,ICDO Condition,S,8140/3-C61.9\n\
             9999,Malignant neoplasm of pineal gland,Condition,SNOMED,Clinical Finding,S,1234\n\
             8888,Odd finding,Condition,SNOMED,Clinical Finding,S,5678\n\
             320128,Essential hypertension,Condition,SNOMED,Clinical Finding,S,59621000\n",
        );
        write("CONCEPT_ANCESTOR.csv", "ancestor_concept_id,descendant_concept_id\n443392,8888\n443392,4112853\n");
        let mut out = Extract::default();
        read_omop_dir(dir.path(), NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), &mut out).unwrap();
        let conditions = out.files.iter().find(|f| f.file.ends_with("CONDITION_OCCURRENCE.csv")).unwrap().counts;
        assert_eq!((conditions.read, conditions.accepted, conditions.quarantined, conditions.skipped), (5, 2, 2, 1));
        let sites: Vec<(&str, &str)> =
            out.tumours.iter().map(|t| (t.topography.as_str(), t.morphology.as_str())).collect();
        assert_eq!(sites, [("C50.9", "8000"), ("C61.9", "8140")]);
        let messages: Vec<&str> = out.quarantined.iter().map(|q| q.violations[0].message.as_str()).collect();
        assert!(messages[0].contains("1234") && messages[0].contains("pineal"), "{messages:?}");
        assert!(messages[1].contains("8888") && messages[1].contains("concept_ancestor"), "{messages:?}");
    }
}
