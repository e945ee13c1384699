//! FHIR R4: a Bulk Data export (a folder, or NDJSON files, with one resource per line:
//! Patient, Condition, Observation, Procedure, MedicationRequest…), NDJSON with one Bundle per
//! line, or a `.json` file holding one Bundle (transaction, collection or searchset). A record
//! is a patient with its resources: a bundle's entries (references resolved by `fullUrl`,
//! `urn:uuid:` and `Type/id`), or an export's resources that refer to the patient, whatever
//! their file. The patient's primary tumours are its Conditions that [`crate::fhir_codes`]
//! classifies as such (mCODE PrimaryCancerCondition; ICD-O-3, ICD-10 or SNOMED CT cancer
//! codes); comorbidities, suspected and secondary cancers are not records, and a patient with no
//! cancer is skipped and counted. A record is accepted whole or quarantined whole, with the
//! violations of each of its tumours.
//!
//! Read: `Patient.id`, `gender`, `birthDate`, `deceasedDateTime` / `deceasedBoolean`,
//! `address[0].district` (département); `Condition.id`, `onsetDateTime` (or `onsetPeriod.start`,
//! `recordedDate`), `bodySite` in ICD-O-3 topography or SNOMED CT (through
//! `data/fhir/snomed_structures.csv`), its mCODE laterality extension, and the mCODE extension
//! `mcode-histology-morphology-behavior` (`8140/3`, or a SNOMED CT morphology), else the codes the
//! condition's code gives; the TNM stage group and T, N, M Observations (mCODE profiles, LOINC
//! 21908-9 / 21902-2 …) that focus on a tumour, that its `stage.assessment` names, that are
//! members (`hasMember`) of such a stage group, or — when the patient has only one primary
//! tumour — that name no condition, with the AJCC edition their `method` names; else the stage of a
//! SNOMED CT "TNM stage N" disorder; Procedures and MedicationRequests, MedicationStatements and
//! MedicationAdministrations whose reason is a tumour (or with an mCODE profile) as care events:
//! a procedure by the treatment its name says, a medication by its ATC code (other code systems,
//! such as RxNorm drugs not in `data/fhir/rxnorm_atc.csv`, are a warning naming the system). The record number is the line (NDJSON) or 1 (a JSON file).
//! An export's resources are held in memory by patient until the path is read.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::io::{BufReader, Read};
use std::path::Path;

use chrono::NaiveDate;
use oncodata_model::{CareEvent, CareEventKind, Provenance, Sex, Text};
use serde_json::Value;

use crate::IngestError;
use crate::care::{is_atc, kind_of_atc, kind_of_label};
use crate::case::{Case, Findings, Labels, validate};
use crate::extract::Extract;
use crate::fhir_codes::{Structure, structure_code};
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

/// Reads a FHIR path into `out`: a folder (a Bulk Data export: every `*.ndjson` and `*.json`
/// file in it, gzipped or not, in name order), an NDJSON file, or a `.json` file holding one
/// Bundle. Resources outside bundles are grouped by the patient they belong to across all the
/// path's files, then read patient by patient.
pub fn read_fhir(path: &Path, today: NaiveDate, out: &mut Extract) -> Result<(), IngestError> {
    let mut pool = Pool::default();
    let files: Vec<std::path::PathBuf> = if path.is_dir() {
        let io = |e| IngestError::Io { file: path.display().to_string(), source: e };
        let mut files: Vec<_> = std::fs::read_dir(path)
            .map_err(io)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let name = p.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
                let name = name.trim_end_matches(".gz");
                name.ends_with(".ndjson") || name.ends_with(".json")
            })
            .collect();
        files.sort();
        files
    } else {
        vec![path.to_path_buf()]
    };
    for f in &files {
        let file = f.display().to_string();
        let input = out.open(f)?;
        let name = f.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        if name.trim_end_matches(".gz").ends_with(".json") {
            let mut text = Vec::new();
            input
                .take(MAX_BUNDLE as u64 + 1)
                .read_to_end(&mut text)
                .map_err(|e| IngestError::Io { file: file.clone(), source: e })?;
            line_of(&text, &Provenance::new(SOURCE_KIND, &file, 1), today, out, &mut pool);
        } else {
            ndjson_into(BufReader::with_capacity(1 << 20, input), &file, today, out, &mut pool)?;
        }
    }
    pool.finish(today, out);
    Ok(())
}

/// Reads NDJSON from any reader (one Bundle or one resource per line); `file` names it in
/// provenance and errors.
pub fn read_ndjson<R: Read>(input: R, file: &str, today: NaiveDate, out: &mut Extract) -> Result<(), IngestError> {
    let mut pool = Pool::default();
    ndjson_into(input, file, today, out, &mut pool)?;
    pool.finish(today, out);
    Ok(())
}

/// Reads NDJSON lines: bundles are read at once, other resources kept in `pool`.
fn ndjson_into<R: Read>(
    input: R,
    file: &str,
    today: NaiveDate,
    out: &mut Extract,
    pool: &mut Pool,
) -> Result<(), IngestError> {
    let mut input = BufReader::new(input);
    let mut line = Vec::new();
    let base = Provenance::new(SOURCE_KIND, file, 0);
    let mut number = 0u64;
    while let Some(fits) = crate::input::next_line(&mut input, MAX_BUNDLE, &mut line, file)? {
        number += 1;
        if !fits {
            out.read();
            let p = base.at(number);
            let v = Violation::error("record.format", format!("bundle longer than {MAX_BUNDLE} bytes"));
            out.quarantine(&p, None, vec![v], redacted(b"too long"));
            continue;
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        line_of(&line, &base.at(number), today, out, pool);
    }
    Ok(())
}

/// The resources of an export that are not in bundles, by the patient they belong to: a record
/// is a patient with every resource that refers to it (`subject`, `patient`), whatever the file.
#[derive(Default)]
struct Pool {
    /// Each patient's resources, the Patient's provenance (or the first resource's), in order
    /// of first appearance.
    patients: Vec<(Option<Provenance>, Vec<Value>)>,
    /// Position in `patients` by patient id.
    index: HashMap<String, usize>,
}

impl Pool {
    /// Keeps a resource under its patient; resources of no patient (Organization, Medication…)
    /// are not records and are let go.
    fn add(&mut self, resource: Value, p: &Provenance) {
        let is_patient = resource.get("resourceType").and_then(Value::as_str) == Some("Patient");
        let id = if is_patient {
            resource.get("id").and_then(Value::as_str).map(str::to_string)
        } else {
            ["subject", "patient"]
                .iter()
                .find_map(|k| resource.get(*k)?.get("reference")?.as_str())
                .map(|r| r.rsplit('/').next().unwrap_or(r).trim_start_matches("urn:uuid:").to_string())
        };
        let Some(id) = id else { return };
        let k = *self.index.entry(id).or_insert_with(|| {
            self.patients.push((None, Vec::new()));
            self.patients.len() - 1
        });
        let (provenance, resources) = &mut self.patients[k];
        if is_patient || provenance.is_none() {
            *provenance = Some(p.clone());
        }
        resources.push(resource);
    }

    /// Reads every patient kept, as one record each.
    fn finish(self, today: NaiveDate, out: &mut Extract) {
        for (provenance, resources) in self.patients {
            let p = provenance.expect("a patient has a first resource");
            out.read();
            let refs: Vec<&Value> = resources.iter().collect();
            let raw = || redacted(&serde_json::to_vec(&resources).unwrap_or_default());
            group(&refs, &[], &p, today, out, &raw);
        }
    }
}

/// A tumour's staging as its Observations give it: stage group and T, N, M categories, clinical
/// (`[0]`) and pathological (`[1]`).
#[derive(Default)]
struct Observed {
    group: [Option<String>; 2],
    tnm: [[Option<String>; 3]; 2],
    /// The AJCC edition the observations' `method` names (`8`).
    edition: [Option<String>; 2],
}

impl Observed {
    fn set(&mut self, basis: usize, what: char, value: String) {
        match what {
            'S' => self.group[basis] = Some(value),
            'T' => self.tnm[basis][0] = Some(value),
            'N' => self.tnm[basis][1] = Some(value),
            _ => self.tnm[basis][2] = Some(value),
        }
    }

    /// The pathological staging when its stage group is known, else the clinical one when its
    /// stage group is known, else whichever has a category (pathological first), as the AJCC's
    /// "best stage" and the NAACCR reader choose ([`crate::naaccr`]).
    fn best(&self) -> Option<(crate::naaccr::Staging, Option<String>)> {
        let basis = ["clinical", "pathological"];
        let any = |b: usize| self.tnm[b].iter().any(Option::is_some);
        let b =
            [1, 0].into_iter().find(|b| self.group[*b].is_some()).or_else(|| [1, 0].into_iter().find(|b| any(*b)))?;
        let staging =
            crate::naaccr::Staging { stage: self.group[b].clone(), tnm: self.tnm[b].clone(), basis: basis[b] };
        Some((staging, self.edition[b].clone()))
    }
}

/// The AJCC edition a staging Observation's `method` names: "AJCC Cancer Staging Manual 8th
/// Edition" (mCODE's NCI Thesaurus concept C146985) → `8`.
fn ajcc_edition(o: &Value) -> Option<String> {
    let codings = o.get("method")?.get("coding")?.as_array()?;
    codings.iter().find_map(|c| {
        let display = c.get("display").and_then(Value::as_str)?;
        if !display.contains("AJCC") {
            return None;
        }
        let word = display
            .split_whitespace()
            .find(|w| w.ends_with("th") || w.ends_with("st") || w.ends_with("nd") || w.ends_with("rd"))?;
        let number = word.trim_end_matches(char::is_alphabetic);
        (!number.is_empty() && number.chars().all(|ch| ch.is_ascii_digit())).then(|| number.to_string())
    })
}

/// What a staging Observation gives — `S` stage group, `T`, `N` or `M` — and whether it is
/// clinical (0) or pathological (1): by its LOINC code (21908-9 / 21902-2 stage group, 21905-5
/// / 21899-0 T, 21906-3 / 21900-6 N, 21907-1 / 21901-4 M, clinical / pathological) or its mCODE
/// profile (`tnm-clinical-stage-group`, `tnm-pathological-primary-tumor-category`…; the older
/// `mcode-tnm-stage-group` is clinical).
fn staging_item(o: &Value) -> Option<(char, usize)> {
    let codes = o.get("code").and_then(|c| c.get("coding")).and_then(Value::as_array);
    for coding in codes.into_iter().flatten() {
        let found = match coding.get("code").and_then(Value::as_str) {
            Some("21908-9") => Some(('S', 0)),
            Some("21902-2") => Some(('S', 1)),
            Some("21905-5") => Some(('T', 0)),
            Some("21899-0") => Some(('T', 1)),
            Some("21906-3") => Some(('N', 0)),
            Some("21900-6") => Some(('N', 1)),
            Some("21907-1") => Some(('M', 0)),
            Some("21901-4") => Some(('M', 1)),
            _ => None,
        };
        if found.is_some() {
            return found;
        }
    }
    let profiles = o.get("meta").and_then(|m| m.get("profile")).map(|p| p.to_string()).unwrap_or_default();
    let basis = usize::from(profiles.contains("pathological"));
    [("stage-group", 'S'), ("primary-tumor", 'T'), ("regional-nodes", 'N'), ("distant-metastases", 'M')]
        .into_iter()
        .find(|(p, _)| profiles.contains(p))
        .map(|(_, what)| (what, basis))
}

/// A staging Observation's value as a code (`IIIA`, `T2`, `N0`, `M1a`): an AJCC code
/// (`http://cancerstaging.org`: `3A`, `cT2`) through the NAACCR reader's normalisation, a SNOMED CT
/// qualifier's name ("American Joint Committee on Cancer stage IIIA (qualifier value)",
/// "T2 category (finding)"), or a text (`Stage II`).
fn staging_value(o: &Value, what: char) -> Option<String> {
    let value = o.get("valueCodeableConcept")?;
    let normal = |code: &str| match what {
        'S' => crate::naaccr::stage_group(code),
        c => crate::naaccr::tnm_category(code, c),
    };
    for coding in value.get("coding").and_then(Value::as_array).into_iter().flatten() {
        let system = coding.get("system").and_then(Value::as_str).unwrap_or("");
        let code = coding.get("code").and_then(Value::as_str).unwrap_or("");
        if system.contains("cancerstaging.org") && !code.is_empty() {
            return normal(code);
        }
        if let Some(display) = coding.get("display").and_then(Value::as_str)
            && system.contains("snomed")
        {
            let name = display.split(" (").next().unwrap_or(display);
            let token = match what {
                'S' => name.rsplit_once("stage ").map(|(_, t)| t.split_whitespace().next().unwrap_or(t)),
                c => name.split_whitespace().find(|w| w.trim_start_matches(['c', 'p', 'y']).starts_with(c)),
            };
            if let Some(t) = token {
                return normal(t);
            }
        }
    }
    let text = value
        .get("text")
        .and_then(Value::as_str)
        .or_else(|| value.get("coding")?.as_array()?.first()?.get("code")?.as_str())?;
    let text = text.trim();
    normal(text.strip_prefix("Stage ").unwrap_or(text))
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

/// One NDJSON line (or a `.json` file): a Bundle is a record, read at once; a resource goes to
/// the pool of its patient; what is not JSON is a record quarantined.
fn line_of(bytes: &[u8], p: &Provenance, today: NaiveDate, out: &mut Extract, pool: &mut Pool) {
    let raw = || redacted(bytes);
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            out.read();
            let rule = if std::str::from_utf8(bytes).is_err() { "record.encoding" } else { "record.format" };
            out.quarantine(p, None, vec![Violation::error(rule, format!("not a JSON resource: {e}"))], raw());
            return;
        }
    };
    match value.get("resourceType").and_then(Value::as_str) {
        Some("Bundle") => {
            out.read();
            let entries = value.get("entry").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
            let resources: Vec<&Value> = entries.iter().filter_map(|e| e.get("resource")).collect();
            let full_urls: Vec<Option<&str>> = entries
                .iter()
                .filter(|e| e.get("resource").is_some())
                .map(|e| e.get("fullUrl").and_then(Value::as_str))
                .collect();
            group(&resources, &full_urls, p, today, out, &raw);
        }
        Some(_) => pool.add(value, p),
        None => {
            out.read();
            let v = Violation::error("record.format", "not a FHIR resource (no resourceType)".to_string());
            out.quarantine(p, None, vec![v], raw());
        }
    }
}

/// Validates one patient's resources (a bundle, or an export's resources of one patient) and
/// keeps or quarantines them; a patient with no cancer is skipped and counted.
fn group(
    resources: &[&Value],
    full_urls: &[Option<&str>],
    p: &Provenance,
    today: NaiveDate,
    out: &mut Extract,
    raw: &dyn Fn() -> String,
) {
    let of_type = |t: &'static str| {
        resources.iter().copied().filter(move |r| r.get("resourceType").and_then(Value::as_str) == Some(t))
    };
    // References resolved by `Type/id`, by `fullUrl` (`urn:uuid:…`) and by an absolute URL's
    // last two segments: the position of the resource they name.
    let mut named: HashMap<String, usize> = HashMap::new();
    for (k, r) in resources.iter().enumerate() {
        if let (Some(t), Some(id)) =
            (r.get("resourceType").and_then(Value::as_str), r.get("id").and_then(Value::as_str))
        {
            named.insert(format!("{t}/{id}"), k);
        }
        if let Some(Some(url)) = full_urls.get(k) {
            named.insert(url.to_string(), k);
        }
    }
    let resolve = |reference: &str| -> Option<usize> {
        named.get(reference).copied().or_else(|| {
            let mut parts = reference.rsplit('/');
            let (id, t) = (parts.next()?, parts.next()?);
            named.get(&format!("{t}/{id}")).copied()
        })
    };
    let position = |r: &Value| resources.iter().position(|x| std::ptr::eq(*x, r));
    // A record without a cancer is skipped and counted, not quarantined.
    let is_cancer = |c: &Value| {
        !matches!(
            crate::fhir_codes::classify(c),
            crate::fhir_codes::Class::NotPrimary | crate::fhir_codes::Class::Secondary(_)
        )
    };
    if !of_type("Condition").any(is_cancer) {
        out.skipped(p);
        return;
    }
    let patients: Vec<&Value> = of_type("Patient").collect();
    let [patient] = patients[..] else {
        let v = Violation::error(
            "record.reference",
            format!("{} Patient resources in the record (one expected)", patients.len()),
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

    // Staging by the condition it is about (position of the condition): Observations that
    // focus on it, or that its `stage.assessment` names.
    let mut assessed: HashMap<usize, usize> = HashMap::new();
    for c in of_type("Condition") {
        let Some(at) = position(c) else { continue };
        for stage in c.get("stage").and_then(Value::as_array).into_iter().flatten() {
            for a in stage.get("assessment").and_then(Value::as_array).into_iter().flatten() {
                if let Some(o) = s(a, &["reference"]).and_then(|r| resolve(&r)) {
                    assessed.insert(o, at);
                }
            }
        }
    }
    // A stage group's members (`hasMember`: its T, N and M categories) are about its condition;
    // staging that names no condition is about the patient's primary tumour when there is only
    // one (mCODE's examples link the pathological stage to nothing).
    let linked = |o: &Value| {
        s(o, &["focus", "0", "reference"])
            .and_then(|r| resolve(&r))
            .or_else(|| position(o).and_then(|k| assessed.get(&k).copied()))
    };
    let mut members: HashMap<usize, usize> = HashMap::new();
    for o in of_type("Observation").filter(|o| staging_item(o).is_some()) {
        let Some(condition) = linked(o) else { continue };
        for m in o.get("hasMember").and_then(Value::as_array).into_iter().flatten() {
            if let Some(k) = s(m, &["reference"]).and_then(|r| resolve(&r)) {
                members.insert(k, condition);
            }
        }
    }
    let mut primary_conditions = of_type("Condition")
        .filter(|c| matches!(crate::fhir_codes::classify(c), crate::fhir_codes::Class::Primary(_)))
        .filter_map(position);
    let only_primary = match (primary_conditions.next(), primary_conditions.next()) {
        (Some(k), None) => Some(k),
        _ => None,
    };
    let mut staging_of: HashMap<usize, Observed> = HashMap::new();
    for o in of_type("Observation") {
        let Some((what, basis)) = staging_item(o) else { continue };
        let member_of = || position(o).and_then(|k| members.get(&k).copied());
        let Some(condition) = linked(o).or_else(member_of).or(only_primary) else { continue };
        if let Some(value) = staging_value(o, what) {
            let observed = staging_of.entry(condition).or_default();
            observed.set(basis, what, value);
            if let Some(edition) = ajcc_edition(o) {
                observed.edition[basis] = Some(edition);
            }
        }
    }

    // Which conditions are primary tumours: the rest (comorbidities, suspected cancers,
    // metastases) are not records of their own.
    let mut problems = Vec::new();
    let mut primaries: Vec<(&Value, Option<crate::fhir_codes::Tumour>)> = Vec::new();
    let mut staged: Vec<(&Value, crate::fhir_codes::Tumour)> = Vec::new();
    let mut secondaries: Vec<(&Value, Option<String>)> = Vec::new();
    for c in of_type("Condition") {
        match crate::fhir_codes::classify(c) {
            crate::fhir_codes::Class::Primary(t) => primaries.push((c, t)),
            crate::fhir_codes::Class::Staged(t) => staged.push((c, t)),
            crate::fhir_codes::Class::Unmapped(v) => problems.push(v),
            crate::fhir_codes::Class::Secondary(site) => secondaries.push((c, site)),
            crate::fhir_codes::Class::NotPrimary => {}
        }
    }
    // A "TNM stage N" concept gives its stage to the primary of the same topography and
    // morphology, and what refers to it (treatments) refers to that primary; without one it is
    // the primary.
    let mut same_tumour: Vec<(usize, usize)> = Vec::new();
    for (staged_condition, t) in staged {
        let same = primaries
            .iter_mut()
            .find(|(_, p)| p.as_ref().is_some_and(|p| p.topography == t.topography && p.morphology == t.morphology));
        match same {
            Some((c, Some(p))) => {
                if p.stage.is_none() {
                    p.stage = t.stage.clone();
                }
                if let (Some(from), Some(to)) = (position(staged_condition), position(c)) {
                    same_tumour.push((from, to));
                }
            }
            _ => primaries.push((staged_condition, Some(t))),
        }
    }
    if primaries.is_empty() && problems.is_empty() {
        out.skipped(p);
        return;
    }

    let mut outcomes = Vec::new();
    let mut tumour_of: HashMap<usize, String> = HashMap::new();
    for (c, coded) in &primaries {
        let c: &Value = c;
        let cid = s(c, &["id"]);
        let mut f = Findings::default();
        let mut code_of = |concept: Option<&Value>, kind| match concept.map(|c| structure_code(c, kind)) {
            Some(Ok(code)) => code,
            Some(Err(v)) => {
                f.0.push(v);
                None
            }
            None => None,
        };
        let body_site = c.get("bodySite").and_then(Value::as_array).and_then(|sites| sites.first());
        fn extension<'v>(of: Option<&'v Value>, name: &str) -> Option<&'v Value> {
            of?.get("extension")?
                .as_array()?
                .iter()
                .find(|e| e.get("url").and_then(Value::as_str).is_some_and(|u| u.contains(name)))?
                .get("valueCodeableConcept")
        }
        let topography =
            code_of(body_site, Structure::BodySite).or_else(|| coded.as_ref().map(|t| t.topography.clone()));
        let histology = code_of(extension(Some(c), "histology-morphology-behavior"), Structure::Morphology)
            .or_else(|| coded.as_ref().map(|t| format!("{}/{}", t.morphology, t.behaviour)));
        let laterality = code_of(extension(body_site, "laterality"), Structure::Laterality);
        let onset = s(c, &["onsetDateTime"])
            .or_else(|| s(c, &["onsetPeriod", "start"]))
            .or_else(|| s(c, &["recordedDate"]))
            .or_else(|| coded.as_ref().and_then(|t| t.onset.clone()));
        let mut edition_text: Option<String> = None;
        let mut case = Case::new(&LABELS);
        case.patient_id = patient_id.as_deref();
        case.tumour_number = cid.as_deref();
        case.sex = sex.as_deref();
        case.birth = f.date("Patient.birthDate", birth_text.as_deref());
        case.death = f.date("Patient.deceasedDateTime", death_text.as_deref());
        case.vital_status = Some(if deceased { "2" } else { "9" });
        case.incidence = f.date("Condition.onsetDateTime", onset.as_deref());
        case.topography = topography.as_deref();
        case.laterality = laterality.as_deref();
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
        let at = position(c);
        match at.and_then(|k| staging_of.get(&k)).and_then(Observed::best) {
            Some((crate::naaccr::Staging { stage, tnm, basis }, edition)) => {
                case.stage = stage.map(Cow::Owned);
                case.tnm = tnm.map(|c| c.map(Cow::Owned));
                case.tnm_basis = Some(basis);
                edition_text = edition;
            }
            None => case.stage = coded.as_ref().and_then(|t| t.stage.clone()).map(Cow::Owned),
        }
        case.tnm_edition = edition_text.as_deref();
        case.departement = departement.as_deref();
        case.source_ids = compact_str::format_compact!(
            "Patient.id={};Condition.id={}",
            patient_id.as_deref().unwrap_or(""),
            cid.as_deref().unwrap_or("")
        );
        if let (Some(id), Some(k)) = (case.tumour_id(), at) {
            tumour_of.insert(k, id.into());
        }
        outcomes.push(validate(&case, f, p, today));
    }
    for (from, to) in same_tumour {
        if let Some(id) = tumour_of.get(&to).cloned() {
            tumour_of.insert(from, id);
        }
    }

    // Treatments of the tumours: procedures and medications that give a tumour as their reason
    // (or carry an mCODE cancer-related profile).
    let mut events = Vec::new();
    // Medications of a code system not mapped to ATC, by system: (count, an example code).
    let mut unmapped: std::collections::BTreeMap<String, (usize, String)> = Default::default();
    let medications = ["MedicationRequest", "MedicationStatement", "MedicationAdministration"];
    for r in of_type("Procedure").chain(medications.into_iter().flat_map(|t| of_type(t))) {
        let reason = r
            .get("reasonReference")
            .and_then(Value::as_array)
            .and_then(|rs| rs.iter().find_map(|x| resolve(&s(x, &["reference"])?)))
            .filter(|k| tumour_of.contains_key(k));
        let cancer_profile =
            r.get("meta").and_then(|m| m.get("profile")).is_some_and(|p| p.to_string().contains("mcode"));
        if reason.is_none() && !cancer_profile {
            continue;
        }
        let is_drug = r.get("resourceType").and_then(Value::as_str).is_some_and(|t| t.starts_with("Medication"));
        let (kind, label, when) = if is_drug {
            let system = s(r, &["medicationCodeableConcept", "coding", "0", "system"]).unwrap_or_default();
            let code = s(r, &["medicationCodeableConcept", "coding", "0", "code"]).unwrap_or_default();
            let atc = if is_atc(&code) && (system.is_empty() || system.contains("atc")) {
                Some(code.as_str())
            } else if system.contains("rxnorm") {
                crate::fhir_codes::atc_of_rxnorm(&code)
            } else {
                None
            };
            let kind = match atc {
                Some(atc) => kind_of_atc(atc),
                None => {
                    unmapped.entry(system).or_insert((0, code.clone())).0 += 1;
                    None
                }
            };
            let code = atc.map(str::to_string).unwrap_or(code);
            let when = s(r, &["authoredOn"])
                .or_else(|| s(r, &["effectiveDateTime"]))
                .or_else(|| s(r, &["effectivePeriod", "start"]));
            (kind, code, when)
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
            // A treatment that names no tumour (an mCODE cancer-related medication without a
            // reason) is the patient's only primary's, as for stage observations.
            (Some(kind), Some(date)) => events.push((kind, date, reason.or(only_primary), None)),
            (Some(_), None) => {
                problems.push(Violation::error("record.required", format!("treatment '{label}' has no date")))
            }
            (None, _) => {}
        }
    }
    for (system, (n, example)) in unmapped {
        problems.push(Violation::warning(
            "fhir.code-system",
            format!("{n} medication resource(s) coded in '{system}' (e.g. {example}): the system is not mapped to ATC, so they are not kept as care events"),
        ));
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
    // Secondary cancers: a metastasis of the primary their mCODE extension names, else of the
    // patient's only primary tumour, at their site.
    for (c, site) in secondaries {
        let related = c
            .get("extension")
            .and_then(Value::as_array)
            .and_then(|ext| {
                ext.iter().find(|e| s(e, &["url"]).is_some_and(|u| u.contains("related-primary-cancer-condition")))
            })
            .and_then(|e| s(e, &["valueReference", "reference"]))
            .and_then(|r| resolve(&r))
            .or(only_primary)
            .filter(|k| tumour_of.contains_key(k));
        let when =
            s(c, &["onsetDateTime"]).or_else(|| s(c, &["onsetPeriod", "start"])).or_else(|| s(c, &["recordedDate"]));
        let mut f = Findings::default();
        match f.date("Condition.onsetDateTime", when.as_deref()).and_then(|d| d.to_date()) {
            Some(date) => events.push((CareEventKind::Metastasis, date, related, site)),
            None => problems.push(Violation::warning(
                "fhir.metastasis-date",
                format!("secondary cancer {} has no date: not kept", s(c, &["id"]).unwrap_or_default()),
            )),
        }
    }
    for (kind, date, reason, code) in events {
        out.care_events.push(CareEvent {
            patient_id: patient_id.as_str().into(),
            tumour_id: reason.and_then(|r| tumour_of.get(&r).map(|t| t.as_str().into())),
            kind,
            date,
            provider: None,
            code: code.map(|c| Text::new(&c)),
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
    let mut record_warnings = out.identity(&typed, p);
    record_warnings.extend(problems.into_iter().filter(|v| v.severity == crate::Severity::Warning));
    out.accepted(p, Some(&patient_id), record_warnings);
    for (id, w) in warnings {
        out.warnings_of(p, Some(&id), w);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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

    /// An mCODE bundle staged as the mCODE IG's examples stage it: the condition's
    /// `stage.assessment` names a clinical stage group (AJCC code `3C`), T, N and M category
    /// Observations focus on it (SNOMED CT and AJCC codes), references by `urn:uuid:`; a
    /// pathological stage group, when known, wins.
    #[test]
    fn tnm_observations_give_the_stage_with_its_basis() {
        let obs = |id: &str, loinc: &str, value: Value| {
            json!({"fullUrl": format!("urn:uuid:{id}"), "resource": {"resourceType": "Observation", "id": id,
                "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]}, "valueCodeableConcept": value,
                "focus": [{"reference": "urn:uuid:c1"}]}})
        };
        let ajcc = |code: &str| json!({"coding": [{"system": "http://cancerstaging.org", "code": code}]});
        let mut entries = vec![
            json!({"fullUrl": "urn:uuid:p1", "resource": {"resourceType": "Patient", "id": "p1", "gender": "male", "birthDate": "1951-01-20"}}),
            json!({"fullUrl": "urn:uuid:c1", "resource": {"resourceType": "Condition", "id": "c1",
                "meta": {"profile": ["http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-primary-cancer-condition"]},
                "code": {"coding": [{"system": "http://snomed.info/sct", "code": "254637007"}]},
                "subject": {"reference": "urn:uuid:p1"}, "onsetDateTime": "2019-04-01",
                "stage": [{"assessment": [{"reference": "urn:uuid:sg"}]}]}}),
            json!({"fullUrl": "urn:uuid:sg", "resource": {"resourceType": "Observation", "id": "sg",
                "meta": {"profile": ["http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-tnm-clinical-stage-group"]},
                "code": {"coding": [{"system": "http://snomed.info/sct", "code": "399537006"}]}, "valueCodeableConcept": ajcc("3C")}}),
            obs(
                "t",
                "21905-5",
                json!({"coding": [{"system": "http://snomed.info/sct", "code": "1228938002", "display": "American Joint Committee on Cancer cT3 (qualifier value)"}]}),
            ),
            obs("n", "21906-3", ajcc("cN3")),
            obs("m", "21907-1", ajcc("cM0")),
        ];
        let read = |entries: &Vec<Value>| {
            let line = format!("{}\n", json!({"resourceType": "Bundle", "type": "collection", "entry": entries}));
            let mut out = Extract::default();
            read_ndjson(line.as_bytes(), "b.ndjson", NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), &mut out).unwrap();
            assert_eq!(out.tumours.len(), 1, "{:?}", out.quarantined);
            let t = out.tumours.remove(0);
            (t.stage, [t.tnm_t, t.tnm_n, t.tnm_m], t.tnm_basis)
        };
        let (stage, tnm, basis) = read(&entries);
        assert_eq!(stage.as_deref(), Some("IIIC"));
        assert_eq!(tnm.each_ref().map(|c| c.as_deref()), [Some("T3"), Some("N3"), Some("M0")]);
        assert_eq!(basis.as_deref(), Some("clinical"));
        entries.push(obs(
            "psg",
            "21902-2",
            json!({"coding": [{"system": "http://snomed.info/sct", "code": "1222806003",
            "display": "American Joint Committee on Cancer stage IIIB (qualifier value)"}]}),
        ));
        let (stage, tnm, basis) = read(&entries);
        assert_eq!((stage.as_deref(), basis.as_deref()), (Some("IIIB"), Some("pathological")));
        assert_eq!(tnm, [None, None, None], "the pathological set has no category");
    }

    /// Medications by RxNorm: a cancer drug of `data/fhir/rxnorm_atc.csv` is a care event of the
    /// tumour it treats (of the only primary when it names none), by its ATC class; a drug
    /// outside the table is a warning naming the code system, never a guess.
    #[test]
    fn rxnorm_medications_become_care_events_through_their_atc_class() {
        let med = |id: &str, code: &str, reason: bool| {
            let mut r = json!({"resourceType": "MedicationRequest", "id": id, "authoredOn": "2019-05-01",
                "meta": {"profile": ["http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-cancer-related-medication-request"]},
                "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": code}]},
                "subject": {"reference": "urn:uuid:p1"}});
            if reason {
                r["reasonReference"] = json!([{"reference": "urn:uuid:c1"}]);
            }
            json!({"fullUrl": format!("urn:uuid:{id}"), "resource": r})
        };
        let entries = vec![
            json!({"fullUrl": "urn:uuid:p1", "resource": {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1951-01-20"}}),
            json!({"fullUrl": "urn:uuid:c1", "resource": {"resourceType": "Condition", "id": "c1",
                "code": {"coding": [{"system": "http://snomed.info/sct", "code": "254837009"}]},
                "subject": {"reference": "urn:uuid:p1"}, "onsetDateTime": "2019-04-01"}}),
            med("m1", "1734919", true),
            med("m2", "262485", false),
            med("m3", "313782", true),
        ];
        let line = format!("{}\n", json!({"resourceType": "Bundle", "type": "collection", "entry": entries}));
        let mut out = Extract::default();
        read_ndjson(line.as_bytes(), "b.ndjson", NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), &mut out).unwrap();
        let events: Vec<(&str, bool)> =
            out.care_events.iter().map(|e| (e.kind.label(), e.tumour_id.is_some())).collect();
        assert_eq!(events, vec![("chemotherapy", true), ("hormone_therapy", true)]);
        let warned: Vec<&str> = out.warnings.iter().map(|w| w.violation.message.as_str()).collect();
        assert!(warned.iter().any(|m| m.contains("rxnorm") && m.contains("313782")), "{warned:?}");
        assert_eq!(crate::fhir_codes::atc_of_rxnorm("349472"), Some("L01EB01"));
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
            "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "C50.4"}], "text": "Chalmers' tumour"},
            "onsetDateTime": "2099-03-04"});
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
            "2099-03-04",
        ] {
            assert!(q.raw.contains(kept), "{kept} kept: {}", q.raw);
        }
    }
}
