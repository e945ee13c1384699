//! The Arrow schemas of the warehouse tables, one per record type, field by field as the types'
//! documentation describes them. Dates are Arrow `Date32`; codes are UTF-8 strings; every table
//! ends with the four provenance columns (the dataset it was loaded as, the source kind, file and record number).

use std::sync::Arc;

use arrow_schema::{DataType, Field, Schema, SchemaRef};

fn provenance_fields() -> [Field; 4] {
    [
        Field::new("dataset", DataType::Utf8, false),
        Field::new("source", DataType::Utf8, false),
        Field::new("source_file", DataType::Utf8, false),
        Field::new("source_record", DataType::UInt64, false),
    ]
}

fn with_provenance(fields: Vec<Field>) -> SchemaRef {
    let mut all = fields;
    all.extend(provenance_fields());
    Arc::new(Schema::new(all))
}

/// `patients`: one row per [`crate::Patient`]. `birth_date` is the ISO text of a possibly
/// partial date (`1952-01`), with `birth_year` always present for age computations.
pub fn patients() -> SchemaRef {
    with_provenance(vec![
        Field::new("patient_id", DataType::Utf8, false),
        Field::new("sex", DataType::Utf8, false),
        Field::new("birth_date", DataType::Utf8, false),
        Field::new("birth_year", DataType::Int32, false),
        Field::new("departement", DataType::Utf8, true),
        Field::new("commune", DataType::Utf8, true),
        Field::new("vital_status", DataType::Utf8, false),
        Field::new("last_contact", DataType::Date32, true),
        Field::new("death_date", DataType::Date32, true),
        Field::new("cause_of_death", DataType::Utf8, true),
    ])
}

/// `identities`: one row per [`crate::PatientIdentity`]; pseudonyms and name encodings are
/// lower-case hex, `birth_date` ISO text of a possibly partial date.
pub fn identities() -> SchemaRef {
    with_provenance(vec![
        Field::new("patient_id", DataType::Utf8, false),
        Field::new("nir", DataType::Utf8, true),
        Field::new("claims_id", DataType::Utf8, true),
        Field::new("surname", DataType::Utf8, true),
        Field::new("first_name", DataType::Utf8, true),
        Field::new("birth_date", DataType::Utf8, true),
        Field::new("sex", DataType::Utf8, false),
        Field::new("departement", DataType::Utf8, true),
        Field::new("key_id", DataType::Utf8, false),
    ])
}

/// `tumours`: one row per [`crate::Tumour`], with `incidence_year` for partitioning and
/// grouping.
pub fn tumours() -> SchemaRef {
    with_provenance(vec![
        Field::new("tumour_id", DataType::Utf8, false),
        Field::new("patient_id", DataType::Utf8, false),
        Field::new("topography", DataType::Utf8, false),
        Field::new("morphology", DataType::Utf8, false),
        Field::new("behaviour", DataType::UInt8, false),
        Field::new("grade", DataType::UInt8, true),
        Field::new("laterality", DataType::UInt8, true),
        Field::new("basis_of_diagnosis", DataType::UInt8, true),
        Field::new("incidence_date", DataType::Date32, false),
        Field::new("incidence_year", DataType::Int32, false),
        Field::new("age_at_diagnosis", DataType::UInt16, false),
        Field::new("tnm_t", DataType::Utf8, true),
        Field::new("tnm_n", DataType::Utf8, true),
        Field::new("tnm_m", DataType::Utf8, true),
        Field::new("stage", DataType::Utf8, true),
        Field::new("icd10", DataType::Utf8, true),
        Field::new("iccc", DataType::Utf8, true),
        Field::new("site_group", DataType::Utf8, true),
        Field::new("source_ids", DataType::Utf8, false),
        Field::new("incidence_date_precision", DataType::Utf8, false),
        Field::new("grade_code", DataType::Utf8, true),
        Field::new("grade_scheme", DataType::Utf8, true),
        Field::new("sequence_number", DataType::Utf8, true),
        Field::new("tnm_basis", DataType::Utf8, true),
        Field::new("tnm_edition", DataType::Utf8, true),
        Field::new("summary_stage", DataType::Utf8, true),
        Field::new("summary_stage_scheme", DataType::Utf8, true),
    ])
}

/// `care_events`: one row per [`crate::CareEvent`].
pub fn care_events() -> SchemaRef {
    with_provenance(vec![
        Field::new("patient_id", DataType::Utf8, false),
        Field::new("tumour_id", DataType::Utf8, true),
        Field::new("kind", DataType::Utf8, false),
        Field::new("date", DataType::Date32, false),
        Field::new("provider", DataType::Utf8, true),
        Field::new("code", DataType::Utf8, true),
    ])
}

/// `warnings`: one row per warning on an accepted record (the record is in its table; the
/// warning says what a registrar may want to verify).
pub fn warnings() -> SchemaRef {
    with_provenance(vec![
        Field::new("record_id", DataType::Utf8, true),
        Field::new("rule_id", DataType::Utf8, false),
        Field::new("message", DataType::Utf8, false),
    ])
}

/// `population`: one row per [`crate::PopulationCount`].
pub fn population() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("area", DataType::Utf8, false),
        Field::new("year", DataType::Int32, false),
        Field::new("sex", DataType::Utf8, false),
        Field::new("age_group", DataType::Utf8, false),
        Field::new("persons", DataType::Float64, false),
    ]))
}

/// `life_table`: one row per [`crate::LifeTableEntry`].
pub fn life_table() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("age", DataType::UInt16, false),
        Field::new("sex", DataType::Utf8, false),
        Field::new("year", DataType::Int32, false),
        Field::new("hazard", DataType::Float64, false),
    ]))
}

/// `mortality`: one row per [`crate::CauseOfDeathCount`].
pub fn mortality() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("area", DataType::Utf8, false),
        Field::new("year", DataType::Int32, false),
        Field::new("sex", DataType::Utf8, false),
        Field::new("age_group", DataType::Utf8, false),
        Field::new("cause", DataType::Utf8, false),
        Field::new("site_group", DataType::Utf8, true),
        Field::new("deaths", DataType::UInt64, false),
    ]))
}

/// `quarantine`: one row per rejected source record, with the rules it broke.
pub fn quarantine() -> SchemaRef {
    with_provenance(vec![
        Field::new("record_id", DataType::Utf8, true),
        Field::new("rule_ids", DataType::Utf8, false),
        Field::new("messages", DataType::Utf8, false),
        Field::new("raw", DataType::Utf8, false),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_record_table_carries_provenance() {
        for s in [patients(), tumours(), care_events(), quarantine(), warnings()] {
            for name in ["dataset", "source", "source_file", "source_record"] {
                assert!(s.field_with_name(name).is_ok(), "{name} missing in {s:?}");
            }
        }
        assert_eq!(population().fields().len(), 5);
        assert_eq!(life_table().fields().len(), 4);
    }
}
