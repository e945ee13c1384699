//! Tumours.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{Provenance, Text};

/// A tumour as a source describes it, coded in ICD-O-3, once validated.
///
/// The derived codes (`icd10`, `iccc`, `site_group`) are computed on ingest from the ICD-O-3
/// codes with the coding tables of `oncodata-coding`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tumour {
    /// The source's identifier for the tumour, unique within the source.
    pub tumour_id: Text,
    /// The patient it belongs to ([`crate::Patient::patient_id`]).
    pub patient_id: Text,
    /// ICD-O-3 topography, `C50.9`.
    pub topography: Text,
    /// ICD-O-3 morphology, four digits, `8500`.
    pub morphology: Text,
    /// ICD-O-3 behaviour: 0 benign, 1 uncertain, 2 in situ, 3 malignant.
    pub behaviour: u8,
    /// Grade or differentiation (ICD-O-3 sixth digit, 1–9), when given.
    pub grade: Option<u8>,
    /// The site-specific grade of the 2018 and later grading systems (NAACCR `gradeClinical`,
    /// `gradePathological`, `gradePostTherapy…`: `1`–`5`, `A`–`E`, `H`, `L`, `M`, `S`, `8`,
    /// `9`), when the source has one; [`Tumour::grade_scheme`] says which.
    pub grade_code: Option<Text>,
    /// Which grade [`Tumour::grade_code`] is: `pathological`, `clinical`, `post-therapy-path` or
    /// `post-therapy-clin`.
    pub grade_scheme: Option<Text>,
    /// Laterality (1 right, 2 left, 3 only one side unknown which, 4 bilateral, 9 unknown), when
    /// given.
    pub laterality: Option<u8>,
    /// Most valid basis of diagnosis (IARC: 0 death certificate only, 1 clinical,
    /// 2 clinical investigation, 4 specific tumour markers, 5 cytology, 6 histology of a
    /// metastasis, 7 histology of the primary, 9 unknown).
    pub basis_of_diagnosis: Option<u8>,
    /// Date of incidence (IARC/ENCR rules for its choice); a partial date is stored as its
    /// middle (15th of the month, or 1 July).
    pub incidence_date: NaiveDate,
    /// How much of the incidence date the source gave: `day`, `month` or `year`.
    pub incidence_date_precision: Text,
    /// The tumour's sequence number among the patient's reportable tumours, as the source codes
    /// it (NAACCR `sequenceNumberCentral`: `00` only one malignant primary, `01` first of two or
    /// more…), when given.
    pub sequence_number: Option<Text>,
    /// Age at diagnosis in completed years.
    pub age_at_diagnosis: u16,
    /// TNM T category (`T2`, `Tis`…), when given.
    pub tnm_t: Option<Text>,
    /// TNM N category, when given.
    pub tnm_n: Option<Text>,
    /// TNM M category, when given.
    pub tnm_m: Option<Text>,
    /// Stage group (`I`, `IIA`, `IV`…), when given.
    pub stage: Option<Text>,
    /// Whether the TNM categories and stage group are `clinical`, `pathological` or
    /// `post-therapy`, when the source says.
    pub tnm_basis: Option<Text>,
    /// The TNM/AJCC edition they follow (`08`), when the source says.
    pub tnm_edition: Option<Text>,
    /// Summary stage code (SEER Summary Stage: 0 in situ, 1 localised, 2–4 regional, 7 distant,
    /// 8 not applicable, 9 unknown), when given; [`Tumour::summary_stage_scheme`] says which.
    pub summary_stage: Option<Text>,
    /// The summary staging scheme: `SS2018` (Summary Stage 2018 as coded), `SS2018-derived`
    /// (derived from EOD 2018), `SS2000`, `SS2000-derived` (from Collaborative Stage), `SS1977`,
    /// `SS1977-derived`.
    pub summary_stage_scheme: Option<Text>,
    /// ICD-10 code converted from ICD-O-3 (`C50.9`), when a conversion exists.
    pub icd10: Option<Text>,
    /// ICCC-3 subgroup (`IIIb`), when ICCC-3 classifies the tumour.
    pub iccc: Option<Text>,
    /// Site group of the national estimates (`breast`), for invasive tumours.
    pub site_group: Option<Text>,
    /// Identifiers the tumour came with in its source (registry number, record ids), as
    /// `name=value` pairs separated by `;`.
    pub source_ids: Text,
    /// Where the record came from.
    pub provenance: Provenance,
}
