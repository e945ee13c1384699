//! NAACCR XML (specification 1.x: `NaaccrData` / `Patient` / `Tumor` / `Item naaccrId`), read
//! as a stream of events so that files of any size pass in bounded memory: one patient's items
//! and one tumour's items are held at a time.
//!
//! Items read (NAACCR data dictionary names): patientIdNumber, sex (1, 2; 3–6 other → 9
//! unknown), dateOfBirth, vitalStatus (0 dead, 1 alive), dateOfLastContact; per tumour
//! tumorRecordNumber, dateOfDiagnosis, ageAtDiagnosis (999 unknown), primarySite,
//! histologicTypeIcdO3, behaviorCodeIcdO3, grade, diagnosticConfirmation (converted to the IARC
//! basis of diagnosis: 1, 3 histology → 7; 2, 4 cytology → 5; 5 markers → 4; 6, 7 imaging or
//! visualisation → 2; 8 clinical → 1), typeOfReportingSource (7 death certificate only → basis
//! 0), countyAtDx (the area of residence), derivedSeerSummaryStage2018 or the TNM items when
//! present. Dates are `YYYYMMDD` with unknown parts blank or `99`. A record is a `Tumor`; its
//! number is the tumour's position in the file (1 = first `Tumor` element).

use std::io::{BufReader, Read};
use std::path::Path;

use chrono::NaiveDate;
use oncodata_model::Provenance;
use quick_xml::events::Event;

use crate::IngestError;
use crate::case::{Case, Findings, Labels, validate};
use crate::extract::Extract;
use crate::rules::Violation;

/// The `--source` kind of this reader.
pub const SOURCE_KIND: &str = "naaccr-xml";

static LABELS: Labels = Labels {
    patient_id: "patientIdNumber",
    sex: "sex",
    birth: "dateOfBirth",
    age: "ageAtDiagnosis",
    incidence: "dateOfDiagnosis",
    topography: "primarySite",
    morphology: "histologicTypeIcdO3",
    behaviour: "behaviorCodeIcdO3",
    grade: "grade",
    basis: "diagnosticConfirmation",
    vital_status: "vitalStatus",
};

/// Items longer than this are not a NAACCR value (the longest text items hold 4,000
/// characters): the record is quarantined instead of being held in memory.
const MAX_ITEM: usize = 64 * 1024;

/// Reads and validates a NAACCR XML file into `out`.
pub fn read_naaccr_xml(path: &Path, today: NaiveDate, out: &mut Extract) -> Result<(), IngestError> {
    let file = path.display().to_string();
    let f = out.open(path)?;
    read_naaccr(BufReader::with_capacity(1 << 20, f), &file, today, out)
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Level {
    Root,
    Patient,
    Tumor,
}

/// Reads NAACCR XML from any reader; `file` names it in provenance and errors.
pub fn read_naaccr<R: Read>(input: R, file: &str, today: NaiveDate, out: &mut Extract) -> Result<(), IngestError> {
    let mut reader = quick_xml::Reader::from_reader(BufReader::new(input));
    reader.config_mut().trim_text(true);
    let mut buf = Vec::new();
    let mut level = Level::Root;
    let mut seen_root = false;
    let mut root_items: Vec<(String, String)> = Vec::new();
    let mut patient: Vec<(String, String)> = Vec::new();
    let mut tumour: Vec<(String, String)> = Vec::new();
    let mut item: Option<String> = None;
    let mut text = String::new();
    let mut oversized: Vec<String> = Vec::new();
    let base = Provenance::new(SOURCE_KIND, file, 0);
    let mut tumours = 0u64;
    let layout = |message: String| IngestError::Layout { file: file.to_string(), message };
    loop {
        buf.clear();
        let event = reader.read_event_into(&mut buf).map_err(|e| IngestError::Row {
            file: file.to_string(),
            line: tumours + 1,
            message: format!("XML error at byte {} (in or after tumour {tumours}): {e}", reader.error_position()),
        })?;
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                b"NaaccrData" => seen_root = true,
                b"Patient" if level == Level::Root && seen_root => {
                    level = Level::Patient;
                    patient.clear();
                }
                b"Tumor" if level == Level::Patient => {
                    level = Level::Tumor;
                    tumour.clear();
                    oversized.clear();
                }
                b"Item" => {
                    let id = e
                        .try_get_attribute("naaccrId")
                        .ok()
                        .flatten()
                        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()));
                    item = Some(id.ok_or_else(|| layout(format!("an Item without naaccrId after tumour {tumours}")))?);
                    text.clear();
                }
                b"Patient" | b"Tumor" => {
                    return Err(layout(format!(
                        "<{}> out of place after tumour {tumours} (NaaccrData/Patient/Tumor expected)",
                        String::from_utf8_lossy(e.local_name().as_ref())
                    )));
                }
                _ => {}
            },
            Event::Text(t) if item.is_some() => {
                let v = t.decode().map_err(|e| layout(format!("undecodable text after tumour {tumours}: {e}")))?;
                let v = quick_xml::escape::unescape(&v)
                    .map_err(|e| layout(format!("bad character reference after tumour {tumours}: {e}")))?;
                if text.len() + v.len() > MAX_ITEM {
                    oversized.push(item.clone().unwrap_or_default());
                } else {
                    text.push_str(&v);
                }
            }
            Event::GeneralRef(r) if item.is_some() => {
                let name = r.decode().map_err(|e| layout(format!("bad reference after tumour {tumours}: {e}")))?;
                let resolved = quick_xml::escape::resolve_predefined_entity(&name)
                    .map(str::to_string)
                    .or_else(|| r.resolve_char_ref().ok().flatten().map(String::from));
                text.push_str(
                    &resolved.ok_or_else(|| layout(format!("unknown entity &{name}; after tumour {tumours}")))?,
                );
            }
            Event::CData(t) if item.is_some() => text.push_str(&String::from_utf8_lossy(&t)),
            Event::End(e) => match e.local_name().as_ref() {
                b"Item" => {
                    if let Some(id) = item.take() {
                        let value = std::mem::take(&mut text);
                        match level {
                            Level::Root => root_items.push((id, value)),
                            Level::Patient => patient.push((id, value)),
                            Level::Tumor => tumour.push((id, value)),
                        }
                    }
                }
                b"Tumor" if level == Level::Tumor => {
                    tumours += 1;
                    level = Level::Patient;
                    out.read();
                    let provenance = base.at(tumours);
                    let raw = || raw_record(&patient, &tumour);
                    if !oversized.is_empty() {
                        let v = Violation::error(
                            "record.format",
                            format!("item(s) {} longer than {MAX_ITEM} bytes", oversized.join(", ")),
                        );
                        out.quarantine(&provenance, None, vec![v], raw());
                        continue;
                    }
                    let (case, findings) = case_of(&root_items, &patient, &tumour);
                    out.tumour(validate(&case, findings, &provenance, today), &provenance, raw);
                }
                b"Patient" if level == Level::Patient => level = Level::Root,
                _ => {}
            },
            Event::Eof => {
                if level != Level::Root || item.is_some() {
                    return Err(IngestError::Row {
                        file: file.to_string(),
                        line: tumours + 1,
                        message: format!(
                            "the file ends inside a Patient or Tumor element after tumour {tumours} (truncated?)"
                        ),
                    });
                }
                if !seen_root {
                    return Err(layout("not NAACCR XML: no NaaccrData element".into()));
                }
                break;
            }
            _ => {}
        }
    }
    Ok(())
}

/// The record as `naaccrId=value` pairs, patient items first, for the quarantine.
fn raw_record(patient: &[(String, String)], tumour: &[(String, String)]) -> String {
    patient.iter().chain(tumour).map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(";")
}

fn get<'a>(items: &'a [(String, String)], id: &str) -> Option<&'a str> {
    items.iter().find(|(k, _)| k == id).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
}

fn case_of<'a>(
    root: &'a [(String, String)],
    patient: &'a [(String, String)],
    tumour: &'a [(String, String)],
) -> (Case<'a>, Findings) {
    let mut f = Findings::default();
    let mut case = Case::new(&LABELS);
    case.patient_id = get(patient, "patientIdNumber");
    case.tumour_number = get(tumour, "tumorRecordNumber");
    case.sex = get(patient, "sex").map(|s| match s {
        "3" | "4" | "5" | "6" => "9",
        s => s,
    });
    case.birth = f.date("dateOfBirth", get(patient, "dateOfBirth"));
    case.age = get(tumour, "ageAtDiagnosis").filter(|a| *a != "999").map(|a| {
        let t = a.trim_start_matches('0');
        if t.is_empty() { "0" } else { t }
    });
    case.incidence = f.date("dateOfDiagnosis", get(tumour, "dateOfDiagnosis"));
    case.topography = get(tumour, "primarySite");
    case.morphology = get(tumour, "histologicTypeIcdO3");
    case.behaviour = get(tumour, "behaviorCodeIcdO3");
    case.grade = get(tumour, "grade");
    case.basis = if get(tumour, "typeOfReportingSource") == Some("7") {
        Some("0")
    } else {
        get(tumour, "diagnosticConfirmation").map(|c| match c {
            "1" | "3" => "7",
            "2" | "4" => "5",
            "5" => "4",
            "6" | "7" => "2",
            "8" => "1",
            "9" => "9",
            other => other,
        })
    };
    case.vital_status = get(patient, "vitalStatus").map(|v| match v {
        "0" => "2",
        "1" => "1",
        "9" => "9",
        other => other,
    });
    case.last_contact = f.date("dateOfLastContact", get(patient, "dateOfLastContact"));
    case.stage = get(tumour, "derivedSeerSummaryStage2018");
    case.tnm = [get(tumour, "tnmClinT"), get(tumour, "tnmClinN"), get(tumour, "tnmClinM")];
    case.departement = get(tumour, "countyAtDx");
    let registry = get(root, "registryId").unwrap_or("");
    if let Some(pat) = case.patient_id {
        case.source_ids = compact_str::format_compact!(
            "registryId={registry};patientIdNumber={pat};tumorRecordNumber={}",
            case.tumour_number.unwrap_or("01")
        );
    }
    (case, f)
}

#[cfg(test)]
mod tests;
