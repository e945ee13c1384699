//! A cancer centre's extract as FHIR R4 bundles with the mCODE profiles (HL7 minimal Common
//! Oncology Data Elements, STU 3): one `collection` Bundle per patient, one bundle per line
//! (NDJSON), holding
//! - `Patient` (mcode-cancer-patient): identifier INS-NIR (system
//!   `urn:oid:1.2.250.1.213.1.4.8`, the French national health identifier), name, gender,
//!   birthDate, address (district = département), deceasedDateTime;
//! - `Condition` (mcode-primary-cancer-condition): ICD-10 code, ICD-O-3 topography as bodySite,
//!   the ICD-O-3 morphology in the `histology-morphology-behavior` extension, onset date;
//! - `Observation` (mcode-tnm-stage-group): LOINC 21908-9, the stage group as text;
//! - `Procedure` (mcode-cancer-related-surgical-procedure, mcode-radiotherapy-course-summary);
//! - `MedicationRequest` (mcode-cancer-related-medication-request) with the WHO ATC code.
//!
//! Identities are typed by the centre's admission desk, faults included.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::SynthError;
use crate::cases::Case;
use crate::identity::Identity;
use crate::pathway::TreatmentKind;

const MCODE: &str = "http://hl7.org/fhir/us/mcode/StructureDefinition/";
/// System of the French national health identifier (INS-NIR).
pub const INS_NIR_SYSTEM: &str = "urn:oid:1.2.250.1.213.1.4.8";

/// One centre's NDJSON file being written.
pub struct FhirWriter {
    /// The file.
    pub path: PathBuf,
    out: BufWriter<File>,
    centre: &'static str,
    /// Bundles written.
    pub bundles: u64,
}

fn entry(resource: Value) -> Value {
    let id = format!("{}/{}", resource["resourceType"].as_str().unwrap_or(""), resource["id"].as_str().unwrap_or(""));
    json!({ "fullUrl": id, "resource": resource })
}

impl FhirWriter {
    /// Creates the centre's file.
    pub fn create(path: &Path, centre: &'static str) -> Result<Self, SynthError> {
        let file = File::create(path).map_err(|e| SynthError::io(path, e))?;
        Ok(Self { path: path.to_path_buf(), out: BufWriter::new(file), centre, bundles: 0 })
    }

    /// Writes one patient's bundle, with the identity as the centre typed it. Returns the
    /// bundle's line number.
    pub fn write(&mut self, case: &Case, identity: &Identity, icd10: &str) -> Result<u64, SynthError> {
        self.bundles += 1;
        let pid = format!("{}-{}", self.centre, self.bundles);
        let patient_ref = format!("Patient/{pid}");
        let mut patient = json!({
            "resourceType": "Patient",
            "id": pid,
            "meta": { "profile": [format!("{MCODE}mcode-cancer-patient")] },
            "gender": match case.sex { oncodata_model::Sex::Female => "female", oncodata_model::Sex::Male => "male", _ => "unknown" },
            "birthDate": identity.birth_date.to_string(),
            "address": [{ "district": identity.departement, "country": "FR" }],
        });
        if !identity.nir.is_empty() {
            patient["identifier"] = json!([{ "system": INS_NIR_SYSTEM, "value": identity.nir }]);
        }
        let mut name = json!({ "use": "official", "family": identity.surname });
        if !identity.first_name.is_empty() {
            name["given"] = json!([identity.first_name]);
        }
        patient["name"] = json!([name]);
        if case.dead {
            patient["deceasedDateTime"] = json!(case.death_date.to_string());
        }
        let cond_id = format!("{pid}-c1");
        let mut entries = vec![
            entry(patient),
            entry(json!({
                "resourceType": "Condition",
                "id": cond_id,
                "meta": { "profile": [format!("{MCODE}mcode-primary-cancer-condition")] },
                "extension": [{
                    "url": format!("{MCODE}mcode-histology-morphology-behavior"),
                    "valueCodeableConcept": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/icd-o-3", "code": format!("{}/3", case.morphology) }] }
                }],
                "clinicalStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active" }] },
                "verificationStatus": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed" }] },
                "category": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/condition-category", "code": "problem-list-item" }] }],
                "code": { "coding": [{ "system": "http://hl7.org/fhir/sid/icd-10", "code": icd10 }] },
                "bodySite": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/icd-o-3", "code": case.topography }] }],
                "subject": { "reference": patient_ref },
                "onsetDateTime": case.incidence_date.to_string(),
            })),
        ];
        if !case.stage.is_empty() && case.stage != "X" {
            entries.push(entry(json!({
                "resourceType": "Observation",
                "id": format!("{pid}-stage"),
                "meta": { "profile": [format!("{MCODE}mcode-tnm-stage-group")] },
                "status": "final",
                "category": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "survey" }] }],
                "code": { "coding": [{ "system": "http://loinc.org", "code": "21908-9", "display": "Stage group.clinical Cancer" }] },
                "subject": { "reference": patient_ref },
                "effectiveDateTime": case.incidence_date.to_string(),
                "valueCodeableConcept": { "text": format!("Stage {}", case.stage) },
                "focus": [{ "reference": format!("Condition/{cond_id}") }],
            })));
        }
        for (k, t) in case.pathway.treatments.iter().enumerate() {
            let Some((first, last, n)) = t.span(case.last_contact) else { continue };
            let id = format!("{pid}-t{}", k + 1);
            let reason = json!([{ "reference": format!("Condition/{cond_id}") }]);
            let resource = match t.kind {
                TreatmentKind::Surgery | TreatmentKind::Radiotherapy => json!({
                    "resourceType": "Procedure",
                    "id": id,
                    "meta": { "profile": [format!("{MCODE}{}", if t.kind == TreatmentKind::Surgery { "mcode-cancer-related-surgical-procedure" } else { "mcode-radiotherapy-course-summary" })] },
                    "status": "completed",
                    "code": { "text": t.kind.label() },
                    "subject": { "reference": patient_ref },
                    "performedPeriod": { "start": first.to_string(), "end": last.to_string() },
                    "reasonReference": reason,
                }),
                TreatmentKind::Chemotherapy | TreatmentKind::HormoneTherapy => json!({
                    "resourceType": "MedicationRequest",
                    "id": id,
                    "meta": { "profile": [format!("{MCODE}mcode-cancer-related-medication-request")] },
                    "status": "completed",
                    "intent": "order",
                    "medicationCodeableConcept": { "coding": [{ "system": "http://www.whocc.no/atc", "code": t.atc.unwrap_or("") }] },
                    "subject": { "reference": patient_ref },
                    "authoredOn": first.to_string(),
                    "dispenseRequest": { "validityPeriod": { "start": first.to_string(), "end": last.to_string() }, "numberOfRepeatsAllowed": n },
                    "reasonReference": reason,
                }),
            };
            entries.push(entry(resource));
        }
        let bundle =
            json!({ "resourceType": "Bundle", "id": format!("{pid}-bundle"), "type": "collection", "entry": entries });
        let mut line = serde_json::to_vec(&bundle).expect("JSON of our own values");
        line.push(b'\n');
        self.out.write_all(&line).map_err(|e| SynthError::io(&self.path, e))?;
        Ok(self.bundles)
    }

    /// Flushes the file.
    pub fn finish(mut self) -> Result<(), SynthError> {
        self.out.flush().map_err(|e| SynthError::io(&self.path, e))
    }
}
