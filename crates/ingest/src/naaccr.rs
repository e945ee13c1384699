//! NAACCR XML (specification 1.x: `NaaccrData` / `Patient` / `Tumor` / `Item naaccrId`), read
//! as a stream of events so that files of any size pass in bounded memory: one patient (its
//! items and its tumours' items) is held at a time.
//!
//! The file may be gzipped (`.xml.gz`, as the NAACCR sample files are published) and in any
//! encoding its prolog declares (UTF-8 with or without a byte-order mark, UTF-16,
//! windows-1252 — Java's `Cp1252` — or ISO-8859-1): see [`crate::input`].
//!
//! Items are known by the `naaccrId`s of the NAACCR base dictionaries 18 to 26
//! ([`items`], from `data/naaccr/naaccr_items.csv`). What is read, and how it maps to the
//! platform's variables, is in [`case_of`]: one [`Case`] per `Tumor`, its patient's items beside
//! it. An item that no base dictionary defines, or an item given twice in one element, is a
//! warning naming it (the first value is kept), never a silent choice.
//!
//! A record is a `Tumor`; its number is the tumour's position in the file (1 = first `Tumor`
//! element). A tumour without `tumorRecordNumber` is numbered by its position within its
//! patient (`01`, `02`…). A patient whose elements are broken (an end tag that does not match,
//! a `Patient` not closed before the next, an `Item` without `naaccrId`) is quarantined whole
//! under `naaccr.structure`, one record per tumour (or one for a patient with none), and the
//! rest of the file is read; XML that cannot be parsed at all (bad syntax, truncation) stops
//! the file with the byte offset and the last patient's `patientIdNumber`.
//!
//! Quarantined records keep only the items of [`RAW_ITEMS`] (codes, dates, the record's ids):
//! names, addresses, social security and telephone numbers never reach the quarantine.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;
use std::sync::LazyLock;

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

/// More tumours than this in one patient is not a patient: its tumours are quarantined as they
/// come instead of being held.
const MAX_TUMOURS: usize = 1_000;

/// The items a quarantined record keeps: every item the reader maps, and the record's ids.
/// Anything else (names, addresses, SSN, telephone, free text) is left out.
pub const RAW_ITEMS: &[&str] = &[
    "registryId",
    "patientIdNumber",
    "tumorRecordNumber",
    "sex",
    "dateOfBirth",
    "vitalStatus",
    "dateOfLastContact",
    "causeOfDeath",
    "dateOfDiagnosis",
    "ageAtDiagnosis",
    "primarySite",
    "histologicTypeIcdO3",
    "behaviorCodeIcdO3",
    "grade",
    "gradeClinical",
    "gradePathological",
    "gradePostTherapy",
    "gradePostTherapyClin",
    "laterality",
    "diagnosticConfirmation",
    "typeOfReportingSource",
    "sequenceNumberCentral",
    "sequenceNumberHospital",
    "countyAtDx",
    "summaryStage2018",
    "derivedSummaryStage2018",
    "seerSummaryStage2000",
    "derivedSs2000",
    "seerSummaryStage1977",
    "derivedSs1977",
    "tnmEditionNumber",
    "tnmClinT",
    "tnmClinN",
    "tnmClinM",
    "tnmClinStageGroup",
    "tnmPathT",
    "tnmPathN",
    "tnmPathM",
    "tnmPathStageGroup",
    "ajccTnmClinT",
    "ajccTnmClinN",
    "ajccTnmClinM",
    "ajccTnmClinStageGroup",
    "ajccTnmPathT",
    "ajccTnmPathN",
    "ajccTnmPathM",
    "ajccTnmPathStageGroup",
];

/// The attributes of `NaaccrData` kept with the dataset.
const ROOT_ATTRIBUTES: [&str; 5] =
    ["baseDictionaryUri", "userDictionaryUri", "recordType", "timeGenerated", "specificationVersion"];

/// A data item of the NAACCR base dictionaries.
#[derive(Debug, Clone)]
pub struct ItemDef {
    /// The item number (`naaccrNum`).
    pub number: u32,
    /// The element it belongs in: `NaaccrData`, `Patient` or `Tumor`.
    pub parent: String,
    /// Its first column (1-based) in the version 18 fixed-width layout, and its width there.
    pub column_180: Option<(usize, usize)>,
}

/// The items of the NAACCR base dictionaries 18 to 26 by `naaccrId` (made from the
/// dictionaries by `data/naaccr/naaccr_items.py`, which names their source).
pub fn items() -> &'static HashMap<String, ItemDef> {
    static ITEMS: LazyLock<HashMap<String, ItemDef>> = LazyLock::new(|| {
        let text = include_str!("../data/naaccr/naaccr_items.csv");
        let mut rows = csv::Reader::from_reader(text.as_bytes());
        rows.records()
            .map(|r| {
                let r = r.expect("naaccr_items.csv is valid CSV");
                let column = match (r[5].parse::<usize>(), r[6].parse::<usize>()) {
                    (Ok(start), Ok(len)) => Some((start, len)),
                    _ => None,
                };
                let number = r[1].parse().expect("naaccr_items.csv: item numbers are numbers");
                (r[0].to_string(), ItemDef { number, parent: r[2].to_string(), column_180: column })
            })
            .collect()
    });
    &ITEMS
}

/// Reads and validates a NAACCR XML file (gzipped or not) into `out`.
pub fn read_naaccr_xml(path: &Path, today: NaiveDate, out: &mut Extract) -> Result<(), IngestError> {
    let file = path.display().to_string();
    let f = out.open(path)?;
    read_naaccr(f, &file, today, out)
}

/// The date a NAACCR XML file declares it was written (`timeGenerated` of its `NaaccrData`
/// element, ISO 8601), read from the file's first 64 KiB, when it has one.
pub fn declared_date(path: &Path) -> Option<NaiveDate> {
    use std::io::Read;
    let file = std::fs::File::open(path).ok()?;
    let mut head = Vec::new();
    crate::input::decompressed(file, "").ok()?.take(64 * 1024).read_to_end(&mut head).ok()?;
    let text = String::from_utf8_lossy(&head);
    let at = text.find("timeGenerated")?;
    let value = text[at..].split(['"', '\'']).nth(1)?;
    NaiveDate::parse_from_str(value.get(..10)?, "%Y-%m-%d").ok()
}

/// The items of one element, in file order.
type Items = Vec<(String, String)>;

/// One patient as read: its items, its tumours' items, and what broke it.
#[derive(Default)]
struct PatientBlock {
    items: Items,
    tumours: Vec<Items>,
    /// Per tumour: items longer than [`MAX_ITEM`].
    oversized: Vec<Vec<String>>,
    /// Why the patient's elements cannot be trusted, when they cannot.
    broken: Option<String>,
    /// Byte offset of the `<Patient>` start tag.
    offset: u64,
}

/// Reads NAACCR XML from any reader (gzipped or not, in its declared encoding); `file` names it
/// in provenance and errors.
pub fn read_naaccr<R: std::io::Read>(
    input: R,
    file: &str,
    today: NaiveDate,
    out: &mut Extract,
) -> Result<(), IngestError> {
    let input = crate::input::decoded_xml(crate::input::decompressed(input, file)?, file)?;
    let mut reader = quick_xml::Reader::from_reader(input);
    // End tags are matched here, so that a broken patient is quarantined and the rest read.
    reader.config_mut().check_end_names = false;
    let mut buf = Vec::new();
    let mut stack: Vec<Vec<u8>> = Vec::new();
    let mut seen_root = false;
    let mut root_items: Items = Vec::new();
    let mut patient: Option<PatientBlock> = None;
    let mut item: Option<String> = None;
    let mut text = String::new();
    let mut state = Counter { tumours: 0, last_patient: None };
    let layout = |message: String| IngestError::Layout { file: file.to_string(), message };
    loop {
        buf.clear();
        let offset = reader.buffer_position();
        let event = reader.read_event_into(&mut buf).map_err(|e| IngestError::Layout {
            file: file.to_string(),
            message: format!("XML error at byte {}{}: {e}", reader.error_position(), state.after()),
        })?;
        match event {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_vec();
                match (name.as_slice(), stack.len(), patient.is_some()) {
                    (b"NaaccrData", 0, _) => {
                        seen_root = true;
                        for a in e.attributes().flatten() {
                            let key = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
                            if let (true, Ok(v)) = (ROOT_ATTRIBUTES.contains(&key.as_str()), a.unescape_value()) {
                                out.declared.push((file.to_string(), key, v.into_owned()));
                            }
                        }
                    }
                    (b"Patient", _, _) if seen_root => {
                        if let Some(mut open) = patient.take() {
                            open.broken.get_or_insert_with(|| "its Patient element is not closed".into());
                            state.patient(open, &root_items, file, today, out);
                        }
                        stack.truncate(1);
                        patient = Some(PatientBlock { offset, ..Default::default() });
                    }
                    (b"Tumor", 2, true) => {
                        let p = patient.as_mut().expect("inside a patient");
                        if p.tumours.len() >= MAX_TUMOURS {
                            p.broken.get_or_insert_with(|| format!("more than {MAX_TUMOURS} tumours"));
                        }
                        p.tumours.push(Vec::new());
                        p.oversized.push(Vec::new());
                    }
                    (b"Item", _, _) if seen_root => {
                        let id = e
                            .try_get_attribute("naaccrId")
                            .ok()
                            .flatten()
                            .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()));
                        match id {
                            Some(id) => item = Some(id),
                            None => fault(patient.as_mut(), "an Item without naaccrId".into(), || {
                                layout(format!("an Item without naaccrId at byte {offset}"))
                            })?,
                        }
                        text.clear();
                    }
                    (b"Tumor", ..) | (b"NaaccrData", ..) => {
                        let what = String::from_utf8_lossy(&name).into_owned();
                        fault(patient.as_mut(), format!("<{what}> out of place"), || {
                            layout(format!(
                                "<{what}> out of place at byte {offset}{} (NaaccrData/Patient/Tumor expected)",
                                state.after()
                            ))
                        })?;
                    }
                    (_, 0, _) => {
                        return Err(layout(format!(
                            "not NAACCR XML: the root element is <{}>, not <NaaccrData>",
                            String::from_utf8_lossy(&name)
                        )));
                    }
                    _ => {} // an extension element: read past it
                }
                stack.push(name);
            }
            Event::Empty(e) => {
                if e.local_name().as_ref() == b"Tumor"
                    && let Some(p) = patient.as_mut()
                {
                    p.tumours.push(Vec::new());
                    p.oversized.push(Vec::new());
                }
            }
            Event::Text(t) if item.is_some() => {
                let v = t.decode().map_err(|e| layout(format!("undecodable text at byte {offset}: {e}")))?;
                push_text(&mut text, &v, item.as_deref(), patient.as_mut());
            }
            Event::GeneralRef(r) if item.is_some() => {
                let name = r.decode().map_err(|e| layout(format!("bad reference at byte {offset}: {e}")))?;
                let resolved = quick_xml::escape::resolve_predefined_entity(&name)
                    .map(str::to_string)
                    .or_else(|| r.resolve_char_ref().ok().flatten().map(String::from));
                match resolved {
                    Some(v) => push_text(&mut text, &v, item.as_deref(), patient.as_mut()),
                    None => fault(patient.as_mut(), format!("unknown entity &{name};"), || {
                        layout(format!("unknown entity &{name}; at byte {offset}"))
                    })?,
                }
            }
            Event::CData(t) if item.is_some() => {
                push_text(&mut text, &String::from_utf8_lossy(&t), item.as_deref(), patient.as_mut())
            }
            Event::End(e) => {
                let name = e.local_name().as_ref().to_vec();
                if stack.last() != Some(&name) {
                    // A mismatched end tag: the patient it is in cannot be trusted. Recover at
                    // the element it closes, if one is open.
                    let what = String::from_utf8_lossy(&name).into_owned();
                    fault(patient.as_mut(), format!("the end tag </{what}> does not match"), || {
                        layout(format!(
                            "the end tag </{what}> at byte {offset}{} does not match an open element",
                            state.after()
                        ))
                    })?;
                    match stack.iter().rposition(|n| *n == name) {
                        Some(at) => stack.truncate(at + 1),
                        None => continue,
                    }
                }
                stack.pop();
                match name.as_slice() {
                    b"Item" => {
                        if let Some(id) = item.take() {
                            let value = std::mem::take(&mut text);
                            match patient.as_mut() {
                                None => root_items.push((id, value)),
                                Some(p) => match (stack.len(), p.tumours.last_mut()) {
                                    (3, Some(t)) => t.push((id, value)),
                                    _ => p.items.push((id, value)),
                                },
                            }
                        }
                    }
                    b"Patient" if stack.len() == 1 => {
                        if let Some(p) = patient.take() {
                            state.patient(p, &root_items, file, today, out);
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => {
                for (id, value) in &root_items {
                    if RAW_ITEMS.contains(&id.as_str()) || id.starts_with("registry") || id.starts_with("naaccr") {
                        out.declared.push((file.to_string(), id.clone(), value.trim().to_string()));
                    }
                }
                if !seen_root {
                    return Err(layout("not NAACCR XML: no NaaccrData element".into()));
                }
                if !stack.is_empty() {
                    return Err(IngestError::Layout {
                        file: file.to_string(),
                        message: format!(
                            "the file ends inside <{}>{} (truncated?)",
                            String::from_utf8_lossy(stack.last().expect("not empty")),
                            state.after()
                        ),
                    });
                }
                break;
            }
            _ => {}
        }
    }
    Ok(())
}

/// A structural fault: inside a patient, the patient is broken (its tumours are quarantined,
/// with the first fault as reason); outside one, the file cannot be read past it.
fn fault(
    patient: Option<&mut PatientBlock>,
    why: String,
    file_error: impl FnOnce() -> IngestError,
) -> Result<(), IngestError> {
    match patient {
        Some(p) => {
            p.broken.get_or_insert(why);
            Ok(())
        }
        None => Err(file_error()),
    }
}

/// Appends an item's text, unless the item grows past [`MAX_ITEM`].
fn push_text(text: &mut String, v: &str, item: Option<&str>, patient: Option<&mut PatientBlock>) {
    if text.len() + v.len() <= MAX_ITEM {
        text.push_str(v);
        return;
    }
    if let Some(p) = patient {
        let name = item.unwrap_or_default().to_string();
        match p.oversized.last_mut() {
            Some(o) if !o.contains(&name) => o.push(name),
            Some(_) => {}
            None => {
                p.broken.get_or_insert_with(|| format!("item {name} longer than {MAX_ITEM} bytes"));
            }
        }
    }
}

/// The file's running position, for records and messages.
struct Counter {
    /// `Tumor` elements read so far.
    tumours: u64,
    /// The last patient's `patientIdNumber`.
    last_patient: Option<String>,
}

impl Counter {
    /// ` (after patient N, tumour K)` for error messages.
    fn after(&self) -> String {
        match &self.last_patient {
            Some(p) => format!(" (after patientIdNumber {p}, tumour {})", self.tumours),
            None => format!(" (after tumour {})", self.tumours),
        }
    }

    /// Validates a patient's tumours, or quarantines them all when the patient is broken.
    fn patient(&mut self, p: PatientBlock, root: &Items, file: &str, today: NaiveDate, out: &mut Extract) {
        let base = Provenance::new(SOURCE_KIND, file, 0);
        self.last_patient = first(&p.items, "patientIdNumber").map(str::to_string);
        if let Some(why) = &p.broken {
            let message = format!("patient at byte {}: {why}; its tumours are quarantined", p.offset);
            let tumours = if p.tumours.is_empty() { vec![Vec::new()] } else { p.tumours };
            for t in &tumours {
                self.tumours += 1;
                out.read();
                let v = Violation::error("naaccr.structure", message.clone());
                let id = self.last_patient.clone();
                out.quarantine(&base.at(self.tumours), id, vec![v], raw_record(&p.items, t));
            }
            return;
        }
        let patient_warnings = item_warnings(&p.items, "Patient");
        for (k, (t, oversized)) in p.tumours.iter().zip(&p.oversized).enumerate() {
            self.tumours += 1;
            out.read();
            let provenance = base.at(self.tumours);
            let raw = || raw_record(&p.items, t);
            if !oversized.is_empty() {
                let v = Violation::error(
                    "record.format",
                    format!("item(s) {} longer than {MAX_ITEM} bytes", oversized.join(", ")),
                );
                out.quarantine(&provenance, None, vec![v], raw());
                continue;
            }
            let position = format!("{:02}", k + 1);
            let (case, mut findings) = case_of(root, &p.items, t, &position);
            findings.0.extend(patient_warnings.iter().cloned());
            findings.0.extend(item_warnings(t, "Tumor"));
            out.tumour(validate(&case, findings, &provenance, today), &provenance, raw);
        }
    }
}

/// Warnings on an element's items: an item no base dictionary defines, or one given twice.
fn item_warnings(items: &Items, element: &str) -> Vec<Violation> {
    let known = self::items();
    let mut warnings = Vec::new();
    for (k, (id, _)) in items.iter().enumerate() {
        let earlier = items[..k].iter().filter(|(i, _)| i == id).count();
        if earlier == 1 {
            let n = items.iter().filter(|(i, _)| i == id).count();
            warnings.push(Violation::warning(
                "naaccr.duplicate-item",
                format!("item {id} is given {n} times in one {element}; the first is kept"),
            ));
        }
        if earlier == 0 && !known.contains_key(id) {
            warnings.push(Violation::warning(
                "naaccr.unknown-item",
                format!("item {id} is not in the NAACCR base dictionaries 18-26; it is not read"),
            ));
        }
    }
    warnings
}

/// The record as `naaccrId=value` pairs of the items in [`RAW_ITEMS`], patient items first,
/// for the quarantine.
fn raw_record(patient: &Items, tumour: &Items) -> String {
    patient
        .iter()
        .chain(tumour)
        .filter(|(k, _)| RAW_ITEMS.contains(&k.as_str()))
        .map(|(k, v)| format!("{k}={}", v.trim()))
        .collect::<Vec<_>>()
        .join(";")
}

/// The first value of an item, trimmed, when not blank.
fn first<'a>(items: &'a Items, id: &str) -> Option<&'a str> {
    items.iter().find(|(k, _)| k == id).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
}

/// The first of `candidates` (item, label) whose code is not an unknown code, or else the first
/// given: the value and the label of the item it came from.
fn first_known<'a>(
    items: &'a Items,
    candidates: &[(&str, &'static str)],
    unknown: &[&str],
) -> Option<(&'a str, &'static str)> {
    let given = || candidates.iter().filter_map(|(id, label)| first(items, id).map(|v| (v, *label)));
    given().find(|(v, _)| !unknown.contains(v)).or_else(|| given().next())
}

/// A TNM category as the AJCC writes it: NAACCR `p4`, `c1A`, `pIS`, `yp2`, `cX` (item 880 and
/// the like: a `c`/`p`/`yc`/`yp` prefix, then the category's value) become `T4`, `T1a`, `Tis`,
/// `T2`, `TX` for category `T`; `88` (not applicable), `99` (unknown) and blanks are no value.
pub fn tnm_category(code: &str, category: char) -> Option<String> {
    let code = code.trim();
    if code.is_empty() || code == "88" || code == "99" {
        return None;
    }
    let rest = code.trim_start_matches(['c', 'p', 'y', 'r', 'a', 'C', 'P', 'Y']);
    let rest = rest.strip_prefix([category, category.to_ascii_lowercase()]).unwrap_or(rest);
    if rest.is_empty() {
        return None;
    }
    let value = if rest.eq_ignore_ascii_case("x") { "X".to_string() } else { rest.to_lowercase() };
    Some(format!("{category}{value}"))
}

/// An AJCC stage group as written in reports: NAACCR `2B`, `4`, `0IS`, `1A1` (item 910 and the
/// like) become `IIB`, `IV`, `0is`, `IA1`; `88`, `99` and blanks are no value; a code that does
/// not start with a stage number (`OC` occult) is kept as given.
pub fn stage_group(code: &str) -> Option<String> {
    let code = code.trim();
    if code.is_empty() || code == "88" || code == "99" {
        return None;
    }
    let roman = match code.as_bytes()[0] {
        b'0' => "0",
        b'1' => "I",
        b'2' => "II",
        b'3' => "III",
        b'4' => "IV",
        _ => return Some(code.to_string()),
    };
    let rest = &code[1..];
    let rest = if rest.eq_ignore_ascii_case("is") { "is".to_string() } else { rest.to_uppercase() };
    Some(format!("{roman}{rest}"))
}

/// The stage group and T, N, M categories of a tumour, and whether they are `pathological` or
/// `clinical`. The pathological set is taken when its stage group is known, else the clinical
/// one when its stage group is known, else whichever has a known category (pathological
/// first), as the AJCC's "best stage" prefers the pathological classification. NAACCR items:
/// `tnmPath*`/`tnmClin*` (AJCC 8th edition, 2018–) or `ajccTnmPath*`/`ajccTnmClin*` (2021–).
/// Post-therapy (yp, yc) stages are not the stage at diagnosis and are not read.
fn staging(t: &Items) -> Option<Staging> {
    let set = |prefixes: [&str; 2]| -> (Option<String>, [Option<String>; 3]) {
        let item = |suffix: &str| prefixes.iter().find_map(|p| first(t, &format!("{p}{suffix}")));
        (
            item("StageGroup").and_then(stage_group),
            [
                item("T").and_then(|c| tnm_category(c, 'T')),
                item("N").and_then(|c| tnm_category(c, 'N')),
                item("M").and_then(|c| tnm_category(c, 'M')),
            ],
        )
    };
    let path = set(["tnmPath", "ajccTnmPath"]);
    let clin = set(["tnmClin", "ajccTnmClin"]);
    let any = |s: &(Option<String>, [Option<String>; 3])| s.1.iter().any(Option::is_some);
    let chosen = if path.0.is_some() {
        (path, "pathological")
    } else if clin.0.is_some() {
        (clin, "clinical")
    } else if any(&path) {
        (path, "pathological")
    } else if any(&clin) {
        (clin, "clinical")
    } else {
        return None;
    };
    Some(Staging { stage: chosen.0.0, tnm: chosen.0.1, basis: chosen.1 })
}

/// A tumour's AJCC stage group and T, N, M categories, and their basis (`pathological`,
/// `clinical`).
pub(crate) struct Staging {
    pub(crate) stage: Option<String>,
    pub(crate) tnm: [Option<String>; 3],
    pub(crate) basis: &'static str,
}

/// A tumour's items as a [`Case`]. The mapping:
///
/// - patient: `patientIdNumber`; `sex` (1, 2; 3–6 other → 9 unknown); `dateOfBirth`;
///   `vitalStatus` (0 dead → 2, 1 alive → 1); `dateOfLastContact`; `causeOfDeath` (except
///   `0000`, alive);
/// - tumour: `tumorRecordNumber` (else `position`, the tumour's place in its patient);
///   `dateOfDiagnosis` with its precision (`YYYYMMDD`, unknown parts blank or `99`);
///   `ageAtDiagnosis` (999 unknown); `primarySite`; `histologicTypeIcdO3`;
///   `behaviorCodeIcdO3`; `grade` (the ICD-O-3 sixth digit of cases before 2018);
///   `gradePathological`, `gradeClinical`, `gradePostTherapy`, `gradePostTherapyClin` (2018–:
///   the first whose code is not 9, in that order, else the first given); `laterality`;
///   `diagnosticConfirmation` (IARC basis of diagnosis: 1, 3 histology → 7; 2, 4 cytology → 5;
///   5 markers → 4; 6, 7 imaging or visualisation → 2; 8 clinical → 1) with
///   `typeOfReportingSource` 7 (death certificate only) → basis 0;
///   `sequenceNumberCentral` (else `sequenceNumberHospital`); `countyAtDx` (area);
/// - summary stage: the first whose code is not 9 of `summaryStage2018`,
///   `derivedSummaryStage2018`, `seerSummaryStage2000`, `derivedSs2000`,
///   `seerSummaryStage1977`, `derivedSs1977`, else the first given, with its scheme;
/// - AJCC TNM: see [`staging`]; `tnmEditionNumber` when a TNM set is kept.
pub fn case_of<'a>(root: &'a Items, patient: &'a Items, tumour: &'a Items, position: &'a str) -> (Case<'a>, Findings) {
    let mut f = Findings::default();
    let mut case = Case::new(&LABELS);
    case.patient_id = first(patient, "patientIdNumber");
    case.tumour_number = first(tumour, "tumorRecordNumber").or(Some(position));
    case.sex = first(patient, "sex").map(|s| match s {
        "3" | "4" | "5" | "6" => "9",
        s => s,
    });
    case.birth = f.date("dateOfBirth", first(patient, "dateOfBirth"));
    case.age = first(tumour, "ageAtDiagnosis").filter(|a| *a != "999").map(|a| {
        let t = a.trim_start_matches('0');
        if t.is_empty() { "0" } else { t }
    });
    case.incidence = f.date("dateOfDiagnosis", first(tumour, "dateOfDiagnosis"));
    case.topography = first(tumour, "primarySite");
    case.morphology = first(tumour, "histologicTypeIcdO3");
    case.behaviour = first(tumour, "behaviorCodeIcdO3");
    case.grade = first(tumour, "grade");
    case.grade_code = first_known(
        tumour,
        &[
            ("gradePathological", "pathological"),
            ("gradeClinical", "clinical"),
            ("gradePostTherapy", "post-therapy-path"),
            ("gradePostTherapyClin", "post-therapy-clin"),
        ],
        &["9"],
    );
    case.laterality = first(tumour, "laterality");
    case.basis = if first(tumour, "typeOfReportingSource") == Some("7") {
        Some("0")
    } else {
        first(tumour, "diagnosticConfirmation").map(|c| match c {
            "1" | "3" => "7",
            "2" | "4" => "5",
            "5" => "4",
            "6" | "7" => "2",
            "8" => "1",
            "9" => "9",
            other => other,
        })
    };
    case.sequence_number = first(tumour, "sequenceNumberCentral").or_else(|| first(tumour, "sequenceNumberHospital"));
    case.vital_status = first(patient, "vitalStatus").map(|v| match v {
        "0" => "2",
        "1" => "1",
        "9" => "9",
        other => other,
    });
    case.last_contact = f.date("dateOfLastContact", first(patient, "dateOfLastContact"));
    case.cause_of_death = first(patient, "causeOfDeath").filter(|c| *c != "0000");
    case.summary_stage = first_known(
        tumour,
        &[
            ("summaryStage2018", "SS2018"),
            ("derivedSummaryStage2018", "SS2018-derived"),
            ("seerSummaryStage2000", "SS2000"),
            ("derivedSs2000", "SS2000-derived"),
            ("seerSummaryStage1977", "SS1977"),
            ("derivedSs1977", "SS1977-derived"),
        ],
        &["9"],
    );
    if let Some(Staging { stage, tnm, basis }) = staging(tumour) {
        case.stage = stage.map(Cow::Owned);
        case.tnm = tnm.map(|c| c.map(Cow::Owned));
        case.tnm_basis = Some(basis);
        case.tnm_edition = first(tumour, "tnmEditionNumber");
    }
    case.departement = first(tumour, "countyAtDx");
    let registry = first(root, "registryId").unwrap_or("");
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
