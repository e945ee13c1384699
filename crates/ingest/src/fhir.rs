//! FHIR R4 bundles with the mCODE profiles: NDJSON (one Bundle per line, the bulk-data export
//! layout) or a `.json` file holding one Bundle. A record is a bundle: its Patient
//! (CancerPatient), its PrimaryCancerConditions (one tumour each), the TNM stage group
//! Observations that focus on them, and the Procedures (surgery, radiotherapy) and
//! MedicationRequests (ATC-coded) that become care events. A bundle is accepted whole or
//! quarantined whole, with the violations of each of its conditions.
//!
//! Read: `Patient.id`, `gender`, `birthDate`, `deceasedDateTime` / `deceasedBoolean`,
//! `address[0].district` (département); `Condition.id`, `onsetDateTime` (or `recordedDate`),
//! `bodySite` coded in ICD-O-3 topography, the mCODE extension
//! `mcode-histology-morphology-behavior` (`8140/3`); `Observation.focus` and
//! `valueCodeableConcept` (`Stage II`); `Procedure.code.text` (or coding display) with
//! `performedDateTime` / `performedPeriod.start`; `MedicationRequest.medicationCodeableConcept`
//! ATC coding with `authoredOn`. The record number is the line (NDJSON) or 1 (a JSON file).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use chrono::NaiveDate;
use oncodata_model::{CareEvent, Provenance, Sex};
use serde_json::Value;

use crate::IngestError;
use crate::care::{is_atc, kind_of_atc, kind_of_label};
use crate::case::{Case, Findings, Labels, validate};
use crate::extract::Extract;
use crate::identity::TypedIdentity;
use crate::rules::Violation;

/// The `--source` kind of this reader.
pub const SOURCE_KIND: &str = "fhir";

/// A bundle longer than this is quarantined unread rather than held in memory.
pub const MAX_BUNDLE: usize = 64 << 20;

static LABELS: Labels = Labels {
    patient_id: "Patient.id",
    sex: "Patient.gender",
    birth: "Patient.birthDate",
    age: "age",
    incidence: "Condition.onsetDateTime",
    topography: "Condition.bodySite",
    morphology: "Condition histology-morphology-behavior",
    behaviour: "Condition histology-morphology-behavior (behaviour)",
    grade: "grade",
    basis: "basis",
    vital_status: "Patient.deceased",
};

/// Reads a FHIR file into `out` (gzipped or not): NDJSON unless the name ends in `.json` (or
/// `.json.gz`).
pub fn read_fhir(path: &Path, today: NaiveDate, out: &mut Extract) -> Result<(), IngestError> {
    let file = path.display().to_string();
    let f = out.open(path)?;
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    if name.trim_end_matches(".gz").ends_with(".json") {
        let mut text = Vec::new();
        f.take(MAX_BUNDLE as u64 + 1)
            .read_to_end(&mut text)
            .map_err(|e| IngestError::Io { file: file.clone(), source: e })?;
        out.read();
        bundle(&text, &Provenance::new(SOURCE_KIND, &file, 1), today, out);
        Ok(())
    } else {
        read_ndjson(BufReader::with_capacity(1 << 20, f), &file, today, out)
    }
}

/// Reads NDJSON bundles from any reader; `file` names it in provenance and errors.
pub fn read_ndjson<R: Read>(input: R, file: &str, today: NaiveDate, out: &mut Extract) -> Result<(), IngestError> {
    let mut input = BufReader::new(input);
    let mut line = Vec::new();
    let base = Provenance::new(SOURCE_KIND, file, 0);
    let mut number = 0u64;
    loop {
        line.clear();
        let n = (&mut input)
            .take(MAX_BUNDLE as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| IngestError::Io { file: file.to_string(), source: e })?;
        if n == 0 {
            return Ok(());
        }
        number += 1;
        if line.len() > MAX_BUNDLE {
            // Skip the rest of the oversized line, then quarantine it.
            let mut sink = Vec::new();
            while !line.ends_with(b"\n") {
                sink.clear();
                let m = (&mut input)
                    .take(1 << 20)
                    .read_until(b'\n', &mut sink)
                    .map_err(|e| IngestError::Io { file: file.to_string(), source: e })?;
                if m == 0 || sink.ends_with(b"\n") {
                    break;
                }
            }
            out.read();
            let p = base.at(number);
            let v = Violation::error("record.format", format!("bundle longer than {MAX_BUNDLE} bytes"));
            out.quarantine(&p, None, vec![v], redacted(b"too long"));
            continue;
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        out.read();
        bundle(&line, &base.at(number), today, out);
    }
}

/// The JSON members a quarantined resource keeps: structure (`resourceType`, `id`, references),
/// codes and their systems, dates, statuses, measured values and coded extensions. Every other
/// member is left out — names, identifiers, telecom, contacts, narratives (`text`), free-text
/// `display`s, notes, and extensions whose value is free text, an address or a number
/// (mother's maiden name, birthplace, home coordinates) — so that what the warehouse keeps of a
/// rejected record holds no identity, whatever the resource.
const KEPT_MEMBERS: &[&str] = &[
    "resourceType",
    "id",
    "type",
    "entry",
    "fullUrl",
    "resource",
    "request",
    "meta",
    "profile",
    "subject",
    "patient",
    "reference",
    "focus",
    "hasMember",
    "encounter",
    "partOf",
    "basedOn",
    "derivedFrom",
    "code",
    "coding",
    "system",
    "version",
    "category",
    "status",
    "clinicalStatus",
    "verificationStatus",
    "intent",
    "bodySite",
    "stage",
    "summary",
    "assessment",
    "evidence",
    "detail",
    "component",
    "method",
    "interpretation",
    "extension",
    "url",
    "valueCodeableConcept",
    "valueCoding",
    "valueCode",
    "valueBoolean",
    "valueDateTime",
    "valueDate",
    "valueInteger",
    "valueQuantity",
    "value",
    "unit",
    "comparator",
    "onsetDateTime",
    "onsetPeriod",
    "onsetAge",
    "abatementDateTime",
    "recordedDate",
    "effectiveDateTime",
    "effectivePeriod",
    "issued",
    "performedDateTime",
    "performedPeriod",
    "authoredOn",
    "occurrenceDateTime",
    "period",
    "start",
    "end",
    "medicationCodeableConcept",
    "medicationReference",
    "reasonCode",
    "reasonReference",
    "dosage",
    "route",
    "gender",
    "birthDate",
    "deceasedBoolean",
    "deceasedDateTime",
    "class",
    "address",
    "district",
    "state",
    "country",
];

/// What the quarantine keeps of a bundle or resource: only the members of [`KEPT_MEMBERS`]
/// (an address only its district, state and country), at every depth; a record that is not
/// JSON is withheld whole (the steward reads it in the source file, at the record number kept).
pub fn redacted(bytes: &[u8]) -> String {
    const WITHHELD: &str = "[withheld: not readable as JSON, it may hold identities; see the source file]";
    let Ok(mut value) = serde_json::from_slice::<Value>(bytes) else { return WITHHELD.to_string() };
    fn walk(v: &mut Value) {
        match v {
            Value::Object(map) => {
                map.retain(|k, _| KEPT_MEMBERS.contains(&k.as_str()));
                for (k, x) in map.iter_mut() {
                    if k == "address" {
                        let keep_area = |a: &mut Value| {
                            if let Value::Object(a) = a {
                                a.retain(|k, _| matches!(k.as_str(), "district" | "state" | "country"));
                            }
                        };
                        match x {
                            Value::Array(all) => all.iter_mut().for_each(keep_area),
                            other => keep_area(other),
                        }
                    } else {
                        walk(x);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut value);
    value.to_string()
}

/// Validates one bundle and keeps or quarantines it.
fn bundle(bytes: &[u8], p: &Provenance, today: NaiveDate, out: &mut Extract) {
    let raw = || redacted(bytes);
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            let rule = if std::str::from_utf8(bytes).is_err() { "record.encoding" } else { "record.format" };
            out.quarantine(p, None, vec![Violation::error(rule, format!("not a JSON resource: {e}"))], raw());
            return;
        }
    };
    if value.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
        let v = Violation::error("record.format", "not a FHIR Bundle (resourceType)".to_string());
        out.quarantine(p, None, vec![v], raw());
        return;
    }
    let resources: Vec<&Value> = value
        .get("entry")
        .and_then(Value::as_array)
        .map(|e| e.iter().filter_map(|e| e.get("resource")).collect())
        .unwrap_or_default();
    let of_type = |t: &'static str| {
        resources.iter().copied().filter(move |r| r.get("resourceType").and_then(Value::as_str) == Some(t))
    };
    let patients: Vec<&Value> = of_type("Patient").collect();
    let [patient] = patients[..] else {
        let v = Violation::error(
            "record.reference",
            format!("{} Patient resources in the bundle (one expected)", patients.len()),
        );
        out.quarantine(p, None, vec![v], raw());
        return;
    };
    let s = |v: &Value, path: &[&str]| -> Option<String> {
        let mut cur = v;
        for k in path {
            cur = match k.parse::<usize>() {
                Ok(i) => cur.get(i)?,
                Err(_) => cur.get(*k)?,
            };
        }
        match cur {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let patient_id = s(patient, &["id"]);
    let sex = s(patient, &["gender"]).map(|g| match g.as_str() {
        "male" => "1".to_string(),
        "female" => "2".to_string(),
        "other" | "unknown" => "9".to_string(),
        _ => g,
    });
    let birth_text = s(patient, &["birthDate"]);
    let death_text = s(patient, &["deceasedDateTime"]);
    let deceased = patient.get("deceasedBoolean").and_then(Value::as_bool) == Some(true) || death_text.is_some();
    let departement = s(patient, &["address", "0", "district"]);

    // Stage groups by the condition they focus on.
    let mut stage_of: HashMap<String, String> = HashMap::new();
    for o in of_type("Observation") {
        let is_stage =
            o.get("meta").and_then(|m| m.get("profile")).is_some_and(|p| p.to_string().contains("stage-group"))
                || s(o, &["code", "coding", "0", "code"]).is_some_and(|c| matches!(c.as_str(), "21908-9" | "21902-2"));
        if let (true, Some(focus)) = (is_stage, s(o, &["focus", "0", "reference"])) {
            let value = s(o, &["valueCodeableConcept", "text"])
                .or_else(|| s(o, &["valueCodeableConcept", "coding", "0", "code"]));
            if let Some(v) = value {
                stage_of.insert(focus, v.strip_prefix("Stage ").unwrap_or(&v).to_string());
            }
        }
    }

    let mut outcomes = Vec::new();
    let mut tumour_of: HashMap<String, String> = HashMap::new();
    for c in of_type("Condition") {
        let cid = s(c, &["id"]);
        let topography = c
            .get("bodySite")
            .and_then(Value::as_array)
            .and_then(|sites| sites.iter().find_map(|site| s(site, &["coding", "0", "code"])));
        let histology = c.get("extension").and_then(Value::as_array).and_then(|ext| {
            ext.iter()
                .find(|e| s(e, &["url"]).is_some_and(|u| u.contains("histology-morphology-behavior")))
                .and_then(|e| s(e, &["valueCodeableConcept", "coding", "0", "code"]))
        });
        let onset = s(c, &["onsetDateTime"]).or_else(|| s(c, &["recordedDate"]));
        let mut f = Findings::default();
        let mut case = Case::new(&LABELS);
        case.patient_id = patient_id.as_deref();
        case.tumour_number = cid.as_deref();
        case.sex = sex.as_deref();
        case.birth = f.date("Patient.birthDate", birth_text.as_deref());
        case.death = f.date("Patient.deceasedDateTime", death_text.as_deref());
        case.vital_status = Some(if deceased { "2" } else { "9" });
        case.incidence = f.date("Condition.onsetDateTime", onset.as_deref());
        case.topography = topography.as_deref();
        match histology.as_deref().map(|h| h.split_once('/')) {
            Some(Some((m, b))) => {
                case.morphology = Some(m);
                case.behaviour = Some(b);
            }
            Some(None) => {
                f.format(format!("{} '{}' is not MMMM/B", LABELS.morphology, histology.as_deref().unwrap_or("")))
            }
            None => {}
        }
        let reference = format!("Condition/{}", cid.as_deref().unwrap_or(""));
        case.stage = stage_of.get(&reference).map(|s| Cow::Borrowed(s.as_str()));
        case.departement = departement.as_deref();
        case.source_ids = compact_str::format_compact!(
            "Patient.id={};Condition.id={}",
            patient_id.as_deref().unwrap_or(""),
            cid.as_deref().unwrap_or("")
        );
        if let Some(id) = case.tumour_id() {
            tumour_of.insert(reference, id.into());
        }
        outcomes.push(validate(&case, f, p, today));
    }

    // Treatments.
    let mut events = Vec::new();
    let mut problems = Vec::new();
    for r in of_type("Procedure").chain(of_type("MedicationRequest")) {
        let is_drug = r.get("resourceType").and_then(Value::as_str) == Some("MedicationRequest");
        let (kind, label, when) = if is_drug {
            let code = s(r, &["medicationCodeableConcept", "coding", "0", "code"]).unwrap_or_default();
            if !is_atc(&code) {
                problems.push(Violation::error(
                    "record.format",
                    format!("MedicationRequest code '{code}' is not an ATC code"),
                ));
            }
            (kind_of_atc(&code), code, s(r, &["authoredOn"]))
        } else {
            let label =
                s(r, &["code", "text"]).or_else(|| s(r, &["code", "coding", "0", "display"])).unwrap_or_default();
            let when = s(r, &["performedDateTime"]).or_else(|| s(r, &["performedPeriod", "start"]));
            (kind_of_label(&label), label, when)
        };
        let mut f = Findings::default();
        let date = f.date("performed/authoredOn", when.as_deref()).and_then(|d| d.to_date());
        problems.extend(f.0);
        match (kind, date) {
            (Some(kind), Some(date)) => events.push((kind, date, s(r, &["reasonReference", "0", "reference"]))),
            (_, None) => problems.push(Violation::error("record.required", format!("treatment '{label}' has no date"))),
            (None, _) => {}
        }
    }

    if outcomes.is_empty() {
        problems.push(Violation::error("record.required", "no PrimaryCancerCondition in the bundle"));
    }
    let errors: Vec<Violation> = outcomes
        .iter()
        .filter_map(|o| o.as_ref().err())
        .flat_map(|(v, _)| v.iter().cloned())
        .chain(problems.iter().filter(|v| v.severity == crate::Severity::Error).cloned())
        .collect();
    if !errors.is_empty() || patient_id.is_none() {
        let mut all = errors;
        if patient_id.is_none() {
            all.insert(0, Violation::error("record.required", "Patient.id is missing"));
        }
        out.quarantine(p, patient_id.clone(), all, raw());
        return;
    }
    let patient_id = patient_id.expect("checked");
    // A condition already read (in an earlier bundle or twice in this one) sends the bundle to
    // quarantine, as an invalid condition does.
    let mut ids = HashSet::new();
    let duplicates: Vec<Violation> = outcomes
        .iter()
        .flatten()
        .filter_map(|(_, t, _)| {
            let id = t.tumour_id.as_str();
            out.duplicate_tumour(id).or_else(|| {
                (!ids.insert(id))
                    .then(|| Violation::error("record.duplicate", format!("tumour {id} appears twice in the bundle")))
            })
        })
        .collect();
    if !duplicates.is_empty() {
        out.quarantine(p, Some(patient_id), duplicates, raw());
        return;
    }
    let mut warnings = Vec::new();
    for (patient, tumour, w) in outcomes.into_iter().flatten() {
        warnings.push((tumour.tumour_id.clone(), w));
        out.patient(patient);
        out.push_tumour(tumour);
    }
    for (kind, date, reason) in events {
        out.care_events.push(CareEvent {
            patient_id: patient_id.as_str().into(),
            tumour_id: reason.and_then(|r| tumour_of.get(&r).map(|t| t.as_str().into())),
            kind,
            date,
            provider: None,
            code: None,
            provenance: p.clone(),
        });
    }
    // The identity: INS-NIR identifier (OID 1.2.250.1.213.1.4.8, or the test NIR 4.10), the
    // official name, birth date, sex and district (the département).
    let nir = patient.get("identifier").and_then(Value::as_array).and_then(|ids| {
        ids.iter()
            .find(|i| {
                s(i, &["system"])
                    .is_some_and(|sys| sys.ends_with("1.2.250.1.213.1.4.8") || sys.ends_with("1.2.250.1.213.1.4.10"))
            })
            .and_then(|i| s(i, &["value"]))
    });
    let name = patient.get("name").and_then(Value::as_array).and_then(|names| {
        names.iter().find(|n| s(n, &["use"]).as_deref() == Some("official")).or_else(|| names.first())
    });
    let (surname, first_name) = (name.and_then(|n| s(n, &["family"])), name.and_then(|n| s(n, &["given", "0"])));
    let typed = TypedIdentity {
        patient_id: &patient_id,
        nir: nir.as_deref(),
        claims_id: None,
        surname: surname.as_deref(),
        first_name: first_name.as_deref(),
        birth_date: birth_text.as_deref().and_then(crate::case::parse_date),
        sex: sex.as_deref().and_then(Sex::parse).unwrap_or(Sex::Unknown),
        departement: departement.as_deref(),
    };
    let identity_warnings = out.identity(&typed, p);
    out.accepted(p, Some(&patient_id), identity_warnings);
    for (id, w) in warnings {
        out.warnings_of(p, Some(&id), w);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every identity-bearing string of a FHIR resource: the leaves under `text`, `identifier`,
    /// `name`, `telecom` and `contact` (but their `use`, `system`, `code`… codes and the coarse
    /// areas), and an address's street, city and postal code.
    fn identity_strings(v: &Value, under_identity: bool, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                for (k, x) in map {
                    let identity =
                        under_identity || matches!(k.as_str(), "text" | "identifier" | "name" | "telecom" | "contact");
                    let code = matches!(
                        k.as_str(),
                        "use" | "system" | "code" | "url" | "valueCode" | "status" | "start"
                        // the coarse areas a record keeps (a département), by design
                        | "district" | "state" | "country"
                    );
                    if matches!(k.as_str(), "line" | "city" | "postalCode") {
                        identity_strings(x, true, out);
                    } else if !code {
                        identity_strings(x, identity, out);
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|x| identity_strings(x, under_identity, out)),
            Value::String(s) if under_identity && s.chars().count() >= 3 => out.push(s.clone()),
            _ => {}
        }
    }

    /// The FHIR specification's example Patient (a narrative, an MRN, names, telecom, a home
    /// address, a contact with her own identity) in a bundle that is quarantined: nothing of its
    /// identity reaches the quarantine, the warnings or the messages, and its codes and dates do.
    #[test]
    fn nothing_of_a_real_patient_reaches_the_quarantine() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/real/fhir/patient-example.json");
        let patient: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let mut identity = Vec::new();
        identity_strings(&patient, false, &mut identity);
        for must in [
            "Chalmers",
            "Peter",
            "(03) 5555 6473",
            "534 Erewhon St",
            "PleasantVille",
            "3999",
            "12345",
            "Bénédicte",
            "Marché",
            "+33 (237) 998327",
            "Acme Healthcare",
        ] {
            assert!(identity.iter().any(|s| s.contains(must)), "{must} is collected");
        }
        let condition = serde_json::json!({"resourceType": "Condition", "id": "c1",
            "subject": {"reference": "Patient/example", "display": "Peter James Chalmers"},
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "0000000", "display": "not a code"}], "text": "Chalmers' tumour"},
            "onsetDateTime": "2021-03-04"});
        let bundle = serde_json::json!({"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": "urn:uuid:1", "resource": patient}, {"resource": condition}]});
        let line = format!("{bundle}\n");
        let mut out = Extract::default();
        read_ndjson(line.as_bytes(), "p.ndjson", NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), &mut out).unwrap();
        let c = out.finish_file(SOURCE_KIND, "p.ndjson").unwrap();
        assert_eq!((c.read, c.quarantined), (1, 1), "{:?}", out.quarantined);
        let q = &out.quarantined[0];
        let mut said: Vec<String> = vec![q.raw.clone()];
        said.extend(q.violations.iter().map(|v| v.message.clone()));
        said.extend(out.warnings.iter().map(|w| w.violation.message.clone()));
        let said = said.join("\n");
        for s in &identity {
            assert!(!said.contains(s.as_str()), "'{s}' reached the quarantine: {said}");
        }
        assert!(!said.contains("Chalmers"), "{said}");
        for kept in [
            "\"birthDate\":\"1974-12-25\"",
            "\"gender\":\"male\"",
            "\"district\":\"Rainbow\"",
            "Patient/example",
            "2021-03-04",
        ] {
            assert!(q.raw.contains(kept), "{kept} kept: {}", q.raw);
        }
    }
}
