//! Fuzz target: arbitrary bytes as the tables of an OMOP CDM folder (parts separated by 0x1E:
//! person, condition_occurrence, death, episode, episode_event, measurement, drug_exposure,
//! procedure_occurrence) end in an error naming a file or in counts that add up, never in a
//! panic.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use oncodata_ingest::Extract;

const TABLES: [(&str, &str); 8] = [
    ("person", "person_id,gender_concept_id,year_of_birth,month_of_birth,day_of_birth,person_source_value"),
    ("condition_occurrence", "condition_occurrence_id,person_id,condition_start_date,condition_source_value"),
    ("death", "person_id,death_date"),
    ("episode", "episode_id,person_id,episode_concept_id,episode_start_date,episode_source_value"),
    ("episode_event", "episode_id,event_id,episode_event_field_concept_id"),
    ("measurement", "measurement_id,person_id,measurement_source_value,value_source_value,measurement_event_id,meas_event_field_concept_id"),
    ("drug_exposure", "drug_exposure_id,person_id,drug_exposure_start_date,drug_source_value"),
    ("procedure_occurrence", "procedure_occurrence_id,person_id,procedure_date,procedure_source_value"),
];

fuzz_target!(|data: &[u8]| {
    let dir = common::folder(data, &TABLES);
    let mut out = Extract::default();
    let result = oncodata_ingest::omop::read_omop_dir(dir.path(), common::today(), &mut out);
    common::check_folder(result, out, dir.path());
});
