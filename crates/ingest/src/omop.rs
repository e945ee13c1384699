//! A folder of OMOP CDM 5.4 tables as CSV files (`person.csv`, `condition_occurrence.csv`, and
//! when present `death.csv`, `measurement.csv`, `episode.csv`, `episode_event.csv`,
//! `drug_exposure.csv`, `procedure_occurrence.csv`), with the oncology extension's conventions:
//!
//! - a tumour is a `condition_occurrence` whose `condition_source_value` is the ICD-O-3 code as
//!   the OMOP ICDO3 vocabulary writes it, `8140/3-C61.9` (morphology/behaviour-topography);
//! - its stage is a `measurement` attached to it by `measurement_event_id` with
//!   `meas_event_field_concept_id` 1147127 (condition_occurrence.condition_occurrence_id), its
//!   value in `value_source_value` (`Stage II`);
//! - a disease `episode` (concept 32533, Disease First Occurrence) groups it through
//!   `episode_event` (its id is kept in the tumour's source ids);
//! - sex from `gender_concept_id` (8507 male, 8532 female), birth from `year_of_birth`,
//!   `month_of_birth`, `day_of_birth`, death from `death.death_date`;
//! - treatments: `drug_exposure` by ATC code in `drug_source_value`, `procedure_occurrence` by
//!   label or kind in `procedure_source_value`.
//!
//! Every row of every table read is a record with its file and line: it is accepted (and used)
//! or quarantined, and each file's counts add up. The patient id is `person_source_value` when
//! given (the centre's own number), else `person_id`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

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
    path: &Path,
    file: &'f str,
    out: &Extract,
) -> Result<Option<Table<'f, std::io::BufReader<CountedFile>>>, IngestError> {
    if !path.exists() {
        return Ok(None);
    }
    Table::open(std::io::BufReader::with_capacity(1 << 20, out.open(path)?), file, b',').map(Some)
}

/// Reads a folder of OMOP CSV tables into `out`, one file after the other.
pub fn read_omop_dir(dir: &Path, today: NaiveDate, out: &mut Extract) -> Result<(), IngestError> {
    let name = |t: &str| dir.join(format!("{t}.csv"));
    for required in ["person", "condition_occurrence"] {
        if !name(required).is_file() {
            return Err(IngestError::Layout {
                file: dir.display().to_string(),
                message: format!("not an OMOP CDM folder: {required}.csv is missing"),
            });
        }
    }
    let file_of = |t: &str| name(t).display().to_string();
    let prov = |file: &str, line: u64| Provenance::new(SOURCE_KIND, file, line);

    // person
    let mut persons: HashMap<String, Person> = HashMap::new();
    let file = file_of("person");
    let table = open(&name("person"), &file, out)?.expect("checked above");
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
    if let Some(table) = open(&name("death"), &file, out)? {
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
    if let Some(table) = open(&name("episode_event"), &file, out)? {
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
    if let Some(table) = open(&name("episode"), &file, out)? {
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
    if let Some(table) = open(&name("measurement"), &file, out)? {
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

    // condition_occurrence: the tumours.
    let file = file_of("condition_occurrence");
    let table = open(&name("condition_occurrence"), &file, out)?.expect("checked above");
    let cols = ["condition_occurrence_id", "person_id", "condition_start_date", "condition_source_value"];
    table.header.require(&file, "an OMOP condition_occurrence table", &cols)?;
    let [cid, person, start, code] = cols.map(|c| table.header.index(c));
    table.rows_into(&prov(&file, 0), out, &mut |out, p, row, raw| {
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
        match row.at(code).map(split_icdo3) {
            Some(Some((m, b, t))) => {
                case.morphology = Some(m);
                case.behaviour = Some(b);
                case.topography = Some(t);
            }
            Some(None) => f.format(format!(
                "condition_source_value '{}' is not an ICD-O-3 code MMMM/B-Cxx.x",
                row.at(code).unwrap_or("")
            )),
            None => f.missing("condition_source_value"),
        }
        let condition = row.at(cid).unwrap_or("");
        case.stage = stage_of.get(condition).map(|s| Cow::Borrowed(s.as_str()));
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
        let Some(table) = open(&name(table_name), &file, out)? else { continue };
        table.header.require(&file, &format!("an OMOP {table_name} table"), &["person_id", code_col, date_col])?;
        let [person, code, date] = ["person_id", code_col, date_col].map(|c| table.header.index(c));
        table.rows_into(&prov(&file, 0), out, &mut |out, p, row, raw| {
            let mut f = Findings::default();
            let who = row.at(person).and_then(|id| persons.get(id));
            if who.is_none() {
                f.0.push(unknown_person(row.at(person)));
            }
            let when = f.date(date_col, row.at(date)).and_then(|d| d.to_date());
            let value = row.at(code).unwrap_or("");
            let kind = if table_name == "drug_exposure" {
                if !is_atc(value) {
                    f.format(format!("{code_col} '{value}' is not an ATC code"));
                }
                kind_of_atc(value)
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
                (Some(_), Some(_), None, false) => {
                    // A drug or procedure that is not a cancer treatment: read, kept out of the
                    // care pathway, with a warning that says so.
                    let w = Violation::warning(
                        "record.not-cancer-care",
                        format!("{code_col} '{value}' is not a cancer treatment"),
                    );
                    out.accepted(p, None, vec![w]);
                }
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
             13,4,2021-13-01,8140/3-C61.9\n14,4,2021-03-01,8140/3-C50.7\n15,4\n",
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
        let counts: Vec<(String, u64, u64, u64)> = out
            .files
            .iter()
            .map(|f| {
                let name = f.file.rsplit('/').next().unwrap().to_string();
                (name, f.counts.read, f.counts.accepted, f.counts.quarantined)
            })
            .collect();
        let want = [
            ("person.csv", 4, 2, 2),
            ("death.csv", 2, 1, 1),
            ("episode.csv", 2, 1, 1),
            ("condition_occurrence.csv", 6, 1, 5),
            ("drug_exposure.csv", 3, 2, 1),
        ];
        assert_eq!(counts, want.map(|(f, r, a, q)| (f.to_string(), r, a, q)).to_vec());
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
            (4, "record.format"),    // not an ICD-O-3 concept code
            (5, "record.format"),    // month 13
            (6, "iarc.topography"),  // C50.7
            (7, "record.shape"),     // two fields
            (3, "record.format"),    // not an ATC code
        ];
        assert_eq!(rules, want.map(|(l, r)| (l, r.to_string())).to_vec());
        assert_eq!(out.tumours[0].stage, None);
        assert!(out.patients.iter().any(|p| p.patient_id == "C-1" && p.death_date.is_some()));
        // The analgesic is read, kept out of the pathway, with a warning.
        assert_eq!(out.care_events.len(), 1);
        assert!(out.warnings.iter().any(|w| w.violation.rule == "record.not-cancer-care"));
    }

    #[test]
    fn icdo3_concept_codes() {
        assert_eq!(split_icdo3("8140/3-C61.9"), Some(("8140", "3", "C61.9")));
        assert_eq!(split_icdo3("C61.9"), None);
    }
}
