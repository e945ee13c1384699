//! A cancer centre's clinical data warehouse extract in the OMOP Common Data Model 5.4 (OHDSI,
//! CDM v5.4 specification), with the oncology extension's episodes and measurement modifiers:
//! tables `person`, `condition_occurrence`, `measurement`, `drug_exposure`,
//! `procedure_occurrence`, `death`, `episode`, `episode_event`, as CSV with the CDM's column
//! names.
//!
//! Concept ids: only standard ids that do not need the vocabulary tables are filled — gender
//! 8507 (male) and 8532 (female), type 32817 (EHR), episode 32533 (Disease First Occurrence),
//! field 1147127 (`condition_occurrence.condition_occurrence_id`) for the stage measurement's
//! and the episode's link to the tumour. Every other concept id is 0 ("no matching concept", as
//! a centre without the Athena vocabularies loaded would write) and the codes are in the source
//! values: the tumour as the ICDO3 vocabulary writes it (`8140/3-C18.7`), drugs as WHO ATC
//! codes, stage groups as `Stage III`.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use chrono::Datelike;

use crate::SynthError;
use crate::cases::Case;
use crate::pathway::TreatmentKind;
use crate::registry::csv_writer;

/// OMOP gender concept of a sex.
fn gender_concept(sex: oncodata_model::Sex) -> &'static str {
    match sex {
        oncodata_model::Sex::Female => "8532",
        _ => "8507",
    }
}

const EHR: &str = "32817";
const DISEASE_FIRST_OCCURRENCE: &str = "32533";
const CONDITION_OCCURRENCE_ID_FIELD: &str = "1147127";

/// The tables of one centre's extract being written.
pub struct OmopWriter {
    /// The centre's directory.
    pub dir: PathBuf,
    centre: &'static str,
    tables: Vec<(&'static str, csv::Writer<File>)>,
    next_id: u64,
    /// Persons written.
    pub persons: u64,
}

/// The tables, in the order of [`OmopWriter`]'s writers, with their CDM 5.4 columns.
pub const TABLES: [(&str, &[&str]); 8] = [
    (
        "person",
        &[
            "person_id",
            "gender_concept_id",
            "year_of_birth",
            "month_of_birth",
            "day_of_birth",
            "birth_datetime",
            "race_concept_id",
            "ethnicity_concept_id",
            "location_id",
            "provider_id",
            "care_site_id",
            "person_source_value",
            "gender_source_value",
            "gender_source_concept_id",
            "race_source_value",
            "race_source_concept_id",
            "ethnicity_source_value",
            "ethnicity_source_concept_id",
        ],
    ),
    (
        "condition_occurrence",
        &[
            "condition_occurrence_id",
            "person_id",
            "condition_concept_id",
            "condition_start_date",
            "condition_start_datetime",
            "condition_end_date",
            "condition_end_datetime",
            "condition_type_concept_id",
            "condition_status_concept_id",
            "stop_reason",
            "provider_id",
            "visit_occurrence_id",
            "visit_detail_id",
            "condition_source_value",
            "condition_source_concept_id",
            "condition_status_source_value",
        ],
    ),
    (
        "measurement",
        &[
            "measurement_id",
            "person_id",
            "measurement_concept_id",
            "measurement_date",
            "measurement_datetime",
            "measurement_time",
            "measurement_type_concept_id",
            "operator_concept_id",
            "value_as_number",
            "value_as_concept_id",
            "unit_concept_id",
            "range_low",
            "range_high",
            "provider_id",
            "visit_occurrence_id",
            "visit_detail_id",
            "measurement_source_value",
            "measurement_source_concept_id",
            "unit_source_value",
            "unit_source_concept_id",
            "value_source_value",
            "measurement_event_id",
            "meas_event_field_concept_id",
        ],
    ),
    (
        "drug_exposure",
        &[
            "drug_exposure_id",
            "person_id",
            "drug_concept_id",
            "drug_exposure_start_date",
            "drug_exposure_start_datetime",
            "drug_exposure_end_date",
            "drug_exposure_end_datetime",
            "verbatim_end_date",
            "drug_type_concept_id",
            "stop_reason",
            "refills",
            "quantity",
            "days_supply",
            "sig",
            "route_concept_id",
            "lot_number",
            "provider_id",
            "visit_occurrence_id",
            "visit_detail_id",
            "drug_source_value",
            "drug_source_concept_id",
            "route_source_value",
            "dose_unit_source_value",
        ],
    ),
    (
        "procedure_occurrence",
        &[
            "procedure_occurrence_id",
            "person_id",
            "procedure_concept_id",
            "procedure_date",
            "procedure_datetime",
            "procedure_end_date",
            "procedure_end_datetime",
            "procedure_type_concept_id",
            "modifier_concept_id",
            "quantity",
            "provider_id",
            "visit_occurrence_id",
            "visit_detail_id",
            "procedure_source_value",
            "procedure_source_concept_id",
            "modifier_source_value",
        ],
    ),
    (
        "death",
        &[
            "person_id",
            "death_date",
            "death_datetime",
            "death_type_concept_id",
            "cause_concept_id",
            "cause_source_value",
            "cause_source_concept_id",
        ],
    ),
    (
        "episode",
        &[
            "episode_id",
            "person_id",
            "episode_concept_id",
            "episode_start_date",
            "episode_start_datetime",
            "episode_end_date",
            "episode_end_datetime",
            "episode_parent_id",
            "episode_number",
            "episode_object_concept_id",
            "episode_type_concept_id",
            "episode_source_value",
            "episode_source_concept_id",
        ],
    ),
    ("episode_event", &["episode_id", "event_id", "episode_event_field_concept_id"]),
];

const PERSON: usize = 0;
const CONDITION: usize = 1;
const MEASUREMENT: usize = 2;
const DRUG: usize = 3;
const PROCEDURE: usize = 4;
const DEATH: usize = 5;
const EPISODE: usize = 6;
const EPISODE_EVENT: usize = 7;

/// The ICDO3 vocabulary's code of a tumour: `histology/behaviour-topography`.
pub fn icdo3_code(morphology: &str, topography: &str) -> String {
    format!("{morphology}/3-{topography}")
}

impl OmopWriter {
    /// Creates the centre's tables in `dir`.
    pub fn create(dir: &Path, centre: &'static str) -> Result<Self, SynthError> {
        fs::create_dir_all(dir).map_err(|e| SynthError::io(dir, e))?;
        let mut tables = Vec::new();
        for (name, header) in TABLES {
            let path = dir.join(format!("{name}.csv"));
            let mut wr = csv_writer(&path)?;
            wr.write_record(header).map_err(|e| SynthError::io(&path, e.into()))?;
            tables.push((name, wr));
        }
        Ok(Self { dir: dir.to_path_buf(), centre, tables, next_id: 0, persons: 0 })
    }

    fn row(&mut self, table: usize, values: &[&str]) -> Result<(), SynthError> {
        let (name, wr) = &mut self.tables[table];
        debug_assert_eq!(values.len(), TABLES[table].1.len(), "{name}");
        wr.write_record(values).map_err(|e| SynthError::io(&self.dir.join(format!("{name}.csv")), e.into()))
    }

    fn id(&mut self) -> String {
        self.next_id += 1;
        self.next_id.to_string()
    }

    /// Writes a patient's record: person, tumour, stage, treatments, death and the disease
    /// episode. Returns the `person_id` and the `person_source_value` (the hospital's own
    /// patient id, which the warehouse keeps).
    pub fn write(&mut self, case: &Case) -> Result<(String, String), SynthError> {
        self.persons += 1;
        let person_id = self.persons.to_string();
        let b = case.birth_date;
        let source_id = format!("{}-{:07}", self.centre.to_uppercase(), self.persons);
        let sex = oncodata_model::Sex::code(&case.sex).to_string();
        self.row(
            PERSON,
            &[
                &person_id,
                gender_concept(case.sex),
                &b.year().to_string(),
                &b.month().to_string(),
                &b.day().to_string(),
                &format!("{b}T00:00:00"),
                "0",
                "0",
                "",
                "",
                "",
                &source_id,
                &sex,
                "0",
                "",
                "0",
                "",
                "0",
            ],
        )?;
        let end = case.last_contact;
        let condition_id = self.id();
        let diagnosis = case.incidence_date.to_string();
        let code = icdo3_code(case.morphology, case.topography);
        self.row(
            CONDITION,
            &[&condition_id, &person_id, "0", &diagnosis, "", "", "", EHR, "0", "", "", "", "", &code, "0", ""],
        )?;
        if !case.stage.is_empty() && case.stage != "X" {
            let m = self.id();
            let stage = format!("Stage {}", case.stage);
            self.row(
                MEASUREMENT,
                &[
                    &m,
                    &person_id,
                    "0",
                    &diagnosis,
                    "",
                    "",
                    EHR,
                    "",
                    "",
                    "0",
                    "0",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "TNM stage group",
                    "0",
                    "",
                    "0",
                    &stage,
                    &condition_id,
                    CONDITION_OCCURRENCE_ID_FIELD,
                ],
            )?;
        }
        for t in &case.pathway.treatments {
            match t.kind {
                TreatmentKind::Chemotherapy | TreatmentKind::HormoneTherapy => {
                    let Some((first, last, n)) = t.span(end) else { continue };
                    let id = self.id();
                    self.row(
                        DRUG,
                        &[
                            &id,
                            &person_id,
                            "0",
                            &first.to_string(),
                            "",
                            &last.to_string(),
                            "",
                            "",
                            EHR,
                            "",
                            "",
                            &n.to_string(),
                            "",
                            "",
                            "0",
                            "",
                            "",
                            "",
                            "",
                            t.atc.unwrap_or(""),
                            "0",
                            "",
                            "",
                        ],
                    )?;
                }
                TreatmentKind::Surgery | TreatmentKind::Radiotherapy => {
                    let Some((first, last, n)) = t.span(end) else { continue };
                    let id = self.id();
                    self.row(
                        PROCEDURE,
                        &[
                            &id,
                            &person_id,
                            "0",
                            &first.to_string(),
                            "",
                            &last.to_string(),
                            "",
                            EHR,
                            "0",
                            &n.to_string(),
                            "",
                            "",
                            "",
                            t.kind.label(),
                            "0",
                            "",
                        ],
                    )?;
                }
            }
        }
        if case.dead {
            self.row(DEATH, &[&person_id, &case.death_date.to_string(), "", EHR, "0", "", "0"])?;
        }
        let episode = self.id();
        let episode_end = if case.dead { case.death_date.to_string() } else { String::new() };
        self.row(
            EPISODE,
            &[
                &episode,
                &person_id,
                DISEASE_FIRST_OCCURRENCE,
                &diagnosis,
                "",
                &episode_end,
                "",
                "",
                "1",
                "0",
                EHR,
                &code,
                "0",
            ],
        )?;
        self.row(EPISODE_EVENT, &[&episode, &condition_id, CONDITION_OCCURRENCE_ID_FIELD])?;
        Ok((person_id, source_id))
    }

    /// Flushes the tables.
    pub fn finish(mut self) -> Result<(), SynthError> {
        for (name, wr) in &mut self.tables {
            wr.flush().map_err(|e| SynthError::io(&self.dir.join(format!("{name}.csv")), e))?;
        }
        Ok(())
    }
}
