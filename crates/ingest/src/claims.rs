//! The national claims extract, in either of two layouts (`--source claims DIR`):
//!
//! **The SNDS's own tables**, as an extraction from the Système national des données de santé
//! delivers them (table and column names of the SNDS schema, `indsante/schema-snds`; CSV with
//! `,` or `;`, optionally gzipped; dates as ISO, `DDMONYYYY:HH:MM:SS` or `DDMONYYYY` as SAS
//! writes them, or `DD/MM/YYYY`; the SNDS's empty date `1600-01-01` read as no date):
//!
//! | table | record | becomes |
//! |---|---|---|
//! | `IR_BEN_R` (`BEN_NIR_PSA, BEN_SEX_COD, BEN_NAI_ANN, BEN_NAI_MOI, BEN_RES_DPT, BEN_DCD_DTE`) | a beneficiary | a patient |
//! | `T_MCOaaC` (`NIR_ANO_17, ETA_NUM, RSA_NUM, EXE_SOI_DTD, EXE_SOI_DTF`) | who a hospital stay (RSA) is, and when | joins its stay |
//! | `T_MCOaaD` (`ETA_NUM, RSA_NUM, ASS_DGN`) | an associated diagnosis of a stay | joins its stay |
//! | `T_MCOaaB` (`ETA_NUM, RSA_NUM, DGN_PAL, DGN_REL`) | a hospital stay (RSA) | a care event, as below |
//! | `T_MCOaaA` (`ETA_NUM, RSA_NUM, CDC_ACT, ENT_DAT_DEL`) | a CCAM act of a stay | as below |
//! | `ER_PRS_F` (`BEN_NIR_PSA, EXE_SOI_DTD` and the nine DCIR join keys) | a reimbursed service | joins its dispensation |
//! | `ER_PHA_F` (the nine join keys, `PHA_PRS_C13, PHA_ACT_QSN`) | a dispensation (CIP13) | as below, its ATC class from `IR_PHA_R` when the extract has it |
//!
//! `aa` is the year (`T_MCO21B`) or, as in the SNDS's documentation, the letters `aa`; the MCO
//! tables of several years may sit side by side. The DCIR join keys are `DCT_ORD_NUM,
//! FLX_DIS_DTD, FLX_EMT_NUM, FLX_EMT_ORD, FLX_EMT_TYP, FLX_TRT_DTD, ORG_CLE_NUM, PRS_ORD_NUM,
//! REM_TYP_AFF` (SNDS documentation, "Jointure entre les tables du DCIR").
//!
//! **The platform's SNDS-shaped extract** (the synthetic data's `claims/` folder), the same
//! columns already joined:
//!
//! | file | record | becomes |
//! |---|---|---|
//! | `beneficiaries.csv` (`BEN_NIR_PSA, BEN_SEX_COD, BEN_NAI_ANN, BEN_NAI_MOI, BEN_RES_DPT, BEN_DCD_DTE`) | a beneficiary | a patient |
//! | `pmsi_mco_stays.csv` (`NIR_ANO_17, ETA_NUM, RSA_NUM, EXE_SOI_DTD, EXE_SOI_DTF, DGN_PAL, DGN_REL, NBR_SEA`) | a hospital stay | a care event |
//! | `pmsi_mco_procedures.csv` (`ETA_NUM, RSA_NUM, CDC_ACT, ENT_DAT_DEL`) | a CCAM act of a stay | as below |
//! | `dcir_dispensations.csv` (`BEN_NIR_PSA, EXE_SOI_DTD, PHA_ATC_C07, PHA_ACT_QSN`) | a dispensation | as below |
//!
//! In both: a stay is a care event — Z51.1 chemotherapy, Z51.0 radiotherapy (the cancer in
//! `DGN_REL` or an associated diagnosis), otherwise a stay for its cancer; a stay with no
//! neoplasm (C00–D48) among its diagnoses is not cancer care, skipped and counted. An act is
//! surgery when it is an excision (CCAM action letter F), dated stay start + `ENT_DAT_DEL` days.
//! A dispensation is chemotherapy, targeted or hormone therapy by its ATC code. Acts and
//! dispensations that are not cancer treatments are accepted with the warning
//! `record.not-cancer-care` and kept out of the care pathway. Beneficiary pseudonyms are the
//! SNDS's 17 characters or the platform's 64 hexadecimal digits. Rows pointing to an unknown
//! beneficiary, stay or service are quarantined (`record.reference`).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{Duration, NaiveDate};
use oncodata_coding::icd10::is_neoplasm;
use oncodata_model::{CareEvent, CareEventKind, PartialDate, Patient, Provenance, Sex, VitalStatus};

use crate::IngestError;
use crate::care::{is_atc, kind_of_atc};
use crate::case::{Findings, parse_date};
use crate::extract::Extract;
use crate::identity::TypedIdentity;
use crate::rules::Violation;
use crate::table::{Row, Table};

/// The `--source` kind of this reader.
pub const SOURCE_KIND: &str = "claims";

/// The columns of a beneficiary, a stay, an act and a dispensation, in the shaped layout (and
/// the order every row is handed to its handler in).
const BENEFICIARY: [&str; 6] =
    ["BEN_NIR_PSA", "BEN_SEX_COD", "BEN_NAI_ANN", "BEN_NAI_MOI", "BEN_RES_DPT", "BEN_DCD_DTE"];
const STAY: [&str; 8] =
    ["NIR_ANO_17", "ETA_NUM", "RSA_NUM", "EXE_SOI_DTD", "EXE_SOI_DTF", "DGN_PAL", "DGN_REL", "NBR_SEA"];
const ACT: [&str; 4] = ["ETA_NUM", "RSA_NUM", "CDC_ACT", "ENT_DAT_DEL"];
const DISPENSATION: [&str; 4] = ["BEN_NIR_PSA", "EXE_SOI_DTD", "PHA_ATC_C07", "PHA_ACT_QSN"];

const SHAPED: [(&str, &[&str]); 4] = [
    ("beneficiaries", &BENEFICIARY),
    ("pmsi_mco_stays", &STAY),
    ("pmsi_mco_procedures", &ACT),
    ("dcir_dispensations", &DISPENSATION),
];

/// The nine columns that join a DCIR service (`ER_PRS_F`) to its detail tables.
const DCIR_KEYS: [&str; 9] = [
    "DCT_ORD_NUM",
    "FLX_DIS_DTD",
    "FLX_EMT_NUM",
    "FLX_EMT_ORD",
    "FLX_EMT_TYP",
    "FLX_TRT_DTD",
    "ORG_CLE_NUM",
    "PRS_ORD_NUM",
    "REM_TYP_AFF",
];

/// A beneficiary pseudonym: the SNDS's 17 characters (`BEN_NIR_PSA`, `NIR_ANO_17`) or the
/// platform's keyed pseudonym, 64 hexadecimal digits.
fn is_pseudonym(v: &str) -> bool {
    (v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        || (v.len() == 17 && v.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// An ICD-10 code as the PMSI writes it, `C509`, `Z511` (letter, two digits, up to two more).
fn is_icd10(v: &str) -> bool {
    let b = v.as_bytes();
    (3..=5).contains(&b.len()) && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit)
}

/// A CCAM act code: four letters and three digits.
fn is_ccam(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() == 7 && b[..4].iter().all(u8::is_ascii_uppercase) && b[4..].iter().all(u8::is_ascii_digit)
}

/// A date as an SNDS extraction writes it, as ISO text: ISO already (the time dropped),
/// `02JAN2007:22:12:17` or `02JAN2007` (SAS), `02/01/2007`; the SNDS's empty date `1600-01-01`
/// is no date. Text that is none of these is returned as it is, for the date check to name.
fn snds_date(v: Option<&str>) -> Option<String> {
    let v = v?.trim();
    if v.is_empty() || v.starts_with("1600-01-01") || v.eq_ignore_ascii_case("01JAN1600") {
        return None;
    }
    if parse_date(v).is_some() {
        return Some(v.to_string());
    }
    let day = v.split(':').next().unwrap_or(v);
    ["%d%b%Y", "%d/%m/%Y"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(day, f).ok())
        .map(|d| d.to_string())
        .or_else(|| Some(v.to_string()))
}

/// A département code as the SNDS writes it (`075`, `02A`, `971`) in the platform's form
/// (`75`, `2A`, `971`).
fn departement(v: Option<&str>) -> Option<&str> {
    v.map(|d| if d.len() == 3 && d.starts_with('0') { &d[1..] } else { d })
}

/// A stay's key: (ETA_NUM, RSA_NUM).
type StayKey = (String, String);

/// Who a stay is and when (`T_MCOaaC`): beneficiary, start and end as ISO text.
type StayWho = (String, Option<String>, Option<String>);

/// What a table's row handler gets: the extract, the row's provenance, the values of the
/// columns asked for (in that order) and the row's raw text.
type RowValues<'h> =
    dyn FnMut(&mut Extract, &Provenance, &[Option<&str>], &dyn Fn() -> String) -> Result<(), IngestError> + 'h;

/// What the tables read so far hold, for the rows that refer to them.
#[derive(Default)]
struct Joins {
    /// Accepted beneficiaries.
    beneficiaries: HashSet<String>,
    /// Accepted stays: (ETA_NUM, RSA_NUM) → (beneficiary, start).
    stays: HashMap<(String, String), (String, NaiveDate)>,
    /// SNDS: who and when of each stay (`T_MCOaaC`): (ETA_NUM, RSA_NUM) → (NIR_ANO_17, start, end).
    stay_ids: HashMap<StayKey, StayWho>,
    /// SNDS: associated diagnoses of each stay (`T_MCOaaD`).
    associated: HashMap<(String, String), Vec<String>>,
    /// SNDS: reimbursed services (`ER_PRS_F`): the nine join keys → (beneficiary, date).
    services: HashMap<String, (String, Option<String>)>,
    /// SNDS: the ATC class of each CIP13 code (`IR_PHA_R`).
    atc: HashMap<String, String>,
}

/// Reads the claims folder into `out`, table after table, in whichever layout it holds.
pub fn read_claims_dir(dir: &Path, today: NaiveDate, out: &mut Extract) -> Result<(), IngestError> {
    let shaped: Vec<bool> = SHAPED.iter().map(|(t, _)| dir.join(format!("{t}.csv")).is_file()).collect();
    if shaped.iter().all(|&s| s) {
        return read_shaped(dir, today, out);
    }
    match SndsTables::find(dir)? {
        Some(tables) => tables.read(today, out),
        None => {
            let missing: Vec<String> =
                SHAPED.iter().zip(&shaped).filter(|(_, s)| !**s).map(|((t, _), _)| format!("{t}.csv")).collect();
            Err(IngestError::Layout {
                file: dir.display().to_string(),
                message: format!(
                    "not a claims extract: neither the SNDS's tables (IR_BEN_R, T_MCOaaB and T_MCOaaC at least) \
                     nor the shaped extract ({} missing)",
                    missing.join(", ")
                ),
            })
        }
    }
}

/// The delimiter of a delimited text whose first line is `first`: `;` when it has more of them
/// than of `,` (SAS exports), else `,`.
fn delimiter_of(first: &[u8]) -> u8 {
    let count = |c: u8| first.iter().filter(|&&b| b == c).count();
    if count(b';') > count(b',') { b';' } else { b',' }
}

/// Opens a table, its delimiter found from its header line.
fn open_table<'f>(
    out: &Extract,
    path: &Path,
    file: &'f str,
) -> Result<Table<'f, std::io::BufReader<crate::extract::CountedFile>>, IngestError> {
    use std::io::BufRead;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, out.open(path)?);
    let head = reader.fill_buf().map_err(|e| IngestError::Io { file: file.to_string(), source: e })?;
    let delimiter = delimiter_of(head.split(|&b| b == b'\n').next().unwrap_or(head));
    Table::open(reader, file, delimiter)
}

/// Reads one table: its columns required, every row handed to `each` with the values of
/// `columns` (in that order) and counted into the file's summary.
fn read_table(
    out: &mut Extract,
    path: &Path,
    what: &str,
    columns: &[&'static str],
    each: &mut RowValues<'_>,
) -> Result<(), IngestError> {
    let file = path.display().to_string();
    let table = open_table(out, path, &file)?;
    table.header.require(&file, what, columns)?;
    let ix = table.header.positions(columns);
    let base = Provenance::new(SOURCE_KIND, &file, 0);
    table.rows_into(&base, out, &mut |out, p, row: Row<'_>, raw| {
        let v: Vec<Option<&str>> = ix.iter().map(|i| row.at(*i)).collect();
        each(out, p, &v, raw)
    })?;
    out.finish_file(SOURCE_KIND, &file)?;
    Ok(())
}

fn reference(what: &str, id: &str) -> Violation {
    Violation::error("record.reference", format!("{what} '{id}' is not an accepted row of the extract"))
}

/// The shaped extract: the four tables in order.
fn read_shaped(dir: &Path, today: NaiveDate, out: &mut Extract) -> Result<(), IngestError> {
    let mut joins = Joins::default();
    let path = |t: &str| dir.join(format!("{t}.csv"));
    read_table(out, &path("beneficiaries"), "the claims table beneficiaries", &BENEFICIARY, &mut |out, p, v, raw| {
        beneficiary(out, p, v, raw, today, &mut joins);
        Ok(())
    })?;
    read_table(out, &path("pmsi_mco_stays"), "the claims table pmsi_mco_stays", &STAY, &mut |out, p, v, raw| {
        stay(out, p, v, &[], raw, today, &mut joins);
        Ok(())
    })?;
    read_table(
        out,
        &path("pmsi_mco_procedures"),
        "the claims table pmsi_mco_procedures",
        &ACT,
        &mut |out, p, v, raw| {
            act(out, p, v, raw, &joins);
            Ok(())
        },
    )?;
    let what = "the claims table dcir_dispensations";
    read_table(out, &path("dcir_dispensations"), what, &DISPENSATION, &mut |out, p, v, raw| {
        dispensation(out, p, v, raw, &joins, "PHA_ATC_C07");
        Ok(())
    })
}

/// A beneficiary row (columns [`BENEFICIARY`]).
fn beneficiary(
    out: &mut Extract,
    p: &Provenance,
    v: &[Option<&str>],
    raw: &dyn Fn() -> String,
    today: NaiveDate,
    joins: &mut Joins,
) {
    let mut f = Findings::default();
    let id = v[0].unwrap_or("");
    if !is_pseudonym(id) {
        f.format(format!("BEN_NIR_PSA '{id}' is not a beneficiary pseudonym (17 characters or 64 hexadecimal digits)"));
    }
    let sex = match v[1] {
        Some("1") => Sex::Male,
        Some("2") => Sex::Female,
        other => {
            f.format(format!("BEN_SEX_COD '{}' is not 1 or 2", other.unwrap_or("")));
            Sex::Unknown
        }
    };
    if v[2].is_none() {
        f.missing("BEN_NAI_ANN");
    }
    let year = f.number::<i32>("BEN_NAI_ANN", v[2], 1850..=2200);
    let month = f.month("BEN_NAI_MOI", v[3]);
    let death_text = snds_date(v[5]);
    let death = f.date("BEN_DCD_DTE", death_text.as_deref()).map(|d| d.midpoint());
    let birth = year.map(|year| PartialDate { year, month, day: None });
    if let (Some(b), Some(d)) = (birth, death)
        && d < b.bounds().0
    {
        f.0.push(Violation::error("date.birth-incidence", format!("death {d} is before birth {b}")));
    }
    for (what, d) in [("birth", birth.map(|b| b.bounds().0)), ("death", death)] {
        if let Some(d) = d
            && d > today
        {
            f.0.push(Violation::error("date.future", format!("{what} {d} is after today {today}")));
        }
    }
    let departement = departement(v[4]);
    match birth {
        Some(birth) if !f.has_errors() => {
            joins.beneficiaries.insert(id.to_string());
            out.patient(Patient {
                patient_id: id.into(),
                sex,
                birth_date: birth,
                departement: departement.map(Into::into),
                commune: None,
                vital_status: if death.is_some() { VitalStatus::Dead } else { VitalStatus::Unknown },
                last_contact: death,
                death_date: death,
                cause_of_death: None,
                provenance: p.clone(),
            });
            let typed = TypedIdentity {
                patient_id: id,
                nir: None,
                claims_id: Some(id),
                surname: None,
                first_name: None,
                birth_date: Some(birth),
                sex,
                departement,
            };
            f.0.extend(out.identity(&typed, p));
            out.accepted(p, Some(id), f.0);
        }
        _ => out.quarantine(p, Some(id.to_string()), f.0, raw()),
    }
}

/// A stay (columns [`STAY`]) with its associated diagnoses.
fn stay(
    out: &mut Extract,
    p: &Provenance,
    v: &[Option<&str>],
    associated: &[String],
    raw: &dyn Fn() -> String,
    today: NaiveDate,
    joins: &mut Joins,
) {
    let mut f = Findings::default();
    let id = v[0].unwrap_or("");
    if !joins.beneficiaries.contains(id) {
        f.0.push(reference("NIR_ANO_17", id));
    }
    let start = f.date("EXE_SOI_DTD", v[3]).and_then(|d| d.to_date());
    let end = f.date("EXE_SOI_DTF", v[4]).and_then(|d| d.to_date());
    if start.is_none() && v[3].is_none() {
        f.missing("EXE_SOI_DTD");
    }
    if let (Some(s), Some(e)) = (start, end)
        && e < s
    {
        f.0.push(Violation::error("date.last-contact", format!("stay ends {e} before it starts {s}")));
    }
    if start.is_some_and(|s| s > today) {
        f.0.push(Violation::error("date.future", format!("stay start {} is after today", v[3].unwrap_or(""))));
    }
    let dgn = v[5].unwrap_or("");
    if !is_icd10(dgn) {
        f.format(format!("DGN_PAL '{dgn}' is not an ICD-10 code"));
    }
    if let Some(rel) = v[6].filter(|r| !is_icd10(r)) {
        f.format(format!("DGN_REL '{rel}' is not an ICD-10 code"));
    }
    let (Some(eta), Some(rsa)) = (v[1], v[2]) else {
        f.missing("ETA_NUM/RSA_NUM");
        out.quarantine(p, None, f.0, raw());
        return;
    };
    // The cancer the stay is for: its main diagnosis, else (a chemotherapy or radiotherapy
    // session, Z51) its related diagnosis, else an associated one.
    let cancer =
        [Some(dgn), v[6]].into_iter().flatten().chain(associated.iter().map(String::as_str)).find(|c| is_neoplasm(c));
    match start {
        Some(start) if !f.has_errors() => {
            let Some(cancer) = cancer else {
                // Not cancer care: counted, not kept.
                out.skipped(p);
                return;
            };
            let kind = match dgn {
                "Z511" => CareEventKind::Chemotherapy,
                "Z510" => CareEventKind::Radiotherapy,
                _ => CareEventKind::HospitalStay,
            };
            joins.stays.insert((eta.to_string(), rsa.to_string()), (id.to_string(), start));
            out.care_events.push(CareEvent {
                patient_id: id.into(),
                tumour_id: None,
                kind,
                date: start,
                provider: Some(eta.into()),
                code: Some(if dgn.starts_with("Z51") || !is_neoplasm(dgn) { cancer } else { dgn }.into()),
                provenance: p.clone(),
            });
            out.accepted(p, Some(rsa), f.0);
        }
        _ => out.quarantine(p, Some(rsa.to_string()), f.0, raw()),
    }
}

/// An act of a stay (columns [`ACT`]).
fn act(out: &mut Extract, p: &Provenance, v: &[Option<&str>], raw: &dyn Fn() -> String, joins: &Joins) {
    let mut f = Findings::default();
    let key = (v[0].unwrap_or("").to_string(), v[1].unwrap_or("").to_string());
    let act = v[2].unwrap_or("");
    if !is_ccam(act) {
        f.format(format!("CDC_ACT '{act}' is not a CCAM code"));
    }
    let delay = f.number::<i64>("ENT_DAT_DEL", v[3].or(Some("0")), 0..=3650);
    let Some((patient, start)) = joins.stays.get(&key).cloned() else {
        f.0.push(reference("ETA_NUM/RSA_NUM", &format!("{}/{}", key.0, key.1)));
        out.quarantine(p, None, f.0, raw());
        return;
    };
    match delay {
        Some(days) if !f.has_errors() => {
            if act.as_bytes()[2] == b'F' {
                out.care_events.push(CareEvent {
                    patient_id: patient.into(),
                    tumour_id: None,
                    kind: CareEventKind::Surgery,
                    date: start + Duration::days(days),
                    provider: Some(key.0.as_str().into()),
                    code: Some(act.into()),
                    provenance: p.clone(),
                });
            } else {
                f.0.push(Violation::warning("record.not-cancer-care", format!("CCAM act {act} is not an excision")));
            }
            out.accepted(p, Some(&key.1), f.0);
        }
        _ => out.quarantine(p, Some(key.1), f.0, raw()),
    }
}

/// A dispensation (columns [`DISPENSATION`]; the ATC code, named `atc_from` in messages, may be
/// missing when the extract has no ATC class for the drug).
fn dispensation(
    out: &mut Extract,
    p: &Provenance,
    v: &[Option<&str>],
    raw: &dyn Fn() -> String,
    joins: &Joins,
    atc_from: &str,
) {
    let mut f = Findings::default();
    let id = v[0].unwrap_or("");
    if !joins.beneficiaries.contains(id) {
        f.0.push(reference("BEN_NIR_PSA", id));
    }
    let date = f.date("EXE_SOI_DTD", v[1]).and_then(|d| d.to_date());
    if v[1].is_none() {
        f.missing("EXE_SOI_DTD");
    }
    let atc = v[2];
    if let Some(atc) = atc.filter(|a| !is_atc(a)) {
        f.format(format!("{atc_from} '{atc}' is not an ATC code"));
    }
    f.number::<i64>("PHA_ACT_QSN", v[3], -1000..=1000);
    match date {
        Some(date) if !f.has_errors() => {
            match atc.and_then(|a| kind_of_atc(a).map(|k| (a, k))) {
                Some((atc, kind)) => out.care_events.push(CareEvent {
                    patient_id: id.into(),
                    tumour_id: None,
                    kind,
                    date,
                    provider: None,
                    code: Some(atc.into()),
                    provenance: p.clone(),
                }),
                None => f.0.push(Violation::warning(
                    "record.not-cancer-care",
                    match atc {
                        Some(atc) => format!("{atc} is not an antineoplastic or endocrine therapy"),
                        None => format!("{atc_from}: the drug has no ATC class in the extract (IR_PHA_R)"),
                    },
                )),
            }
            out.accepted(p, None, f.0);
        }
        _ => out.quarantine(p, None, f.0, raw()),
    }
}

/// The SNDS tables of an extraction folder.
struct SndsTables {
    beneficiaries: PathBuf,
    /// Per year token (`21`, `aa`): the B, C, and optional A and D tables.
    mco: Vec<(String, [Option<PathBuf>; 4])>,
    services: Option<PathBuf>,
    pharmacy: Option<PathBuf>,
    drugs: Option<PathBuf>,
}

impl SndsTables {
    /// The SNDS tables of `dir` (file names in any case, `.csv` or `.csv.gz`), `None` when it
    /// has not at least `IR_BEN_R` and one year's `T_MCOaaB` and `T_MCOaaC`.
    fn find(dir: &Path) -> Result<Option<Self>, IngestError> {
        let io = |e| IngestError::Io { file: dir.display().to_string(), source: e };
        let mut by_name: HashMap<String, PathBuf> = HashMap::new();
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_ascii_uppercase();
            if let Some(stem) = name.strip_suffix(".CSV.GZ").or_else(|| name.strip_suffix(".CSV")) {
                by_name.insert(stem.to_string(), path);
            }
        }
        let Some(beneficiaries) = by_name.get("IR_BEN_R").cloned() else { return Ok(None) };
        let mut years: Vec<String> = by_name
            .keys()
            .filter_map(|n| {
                n.strip_prefix("T_MCO").filter(|r| r.len() == 3 && r.ends_with('B')).map(|r| r[..2].to_string())
            })
            .collect();
        years.sort();
        let mco: Vec<(String, [Option<PathBuf>; 4])> = years
            .into_iter()
            .map(|y| {
                let t = |s: &str| by_name.get(&format!("T_MCO{y}{s}")).cloned();
                let tables = [t("B"), t("C"), t("A"), t("D")];
                (y, tables)
            })
            .filter(|(_, t)| t[1].is_some())
            .collect();
        if mco.is_empty() {
            return Ok(None);
        }
        let services = by_name.get("ER_PRS_F").cloned();
        let pharmacy = by_name.get("ER_PHA_F").cloned();
        let drugs = by_name.get("IR_PHA_R").cloned();
        Ok(Some(Self { beneficiaries, mco, services, pharmacy, drugs }))
    }

    /// Reads the tables in the order their joins need: beneficiaries, then each year's C, D,
    /// B and A tables, then the services and their dispensations.
    fn read(self, today: NaiveDate, out: &mut Extract) -> Result<(), IngestError> {
        let mut joins = Joins::default();
        read_table(out, &self.beneficiaries, "the SNDS table IR_BEN_R", &BENEFICIARY, &mut |out, p, v, raw| {
            beneficiary(out, p, v, raw, today, &mut joins);
            Ok(())
        })?;
        for (year, [b, c, a, d]) in &self.mco {
            let c = c.as_ref().expect("found with its C table");
            let what = format!("the SNDS table T_MCO{year}C");
            let columns = ["NIR_ANO_17", "ETA_NUM", "RSA_NUM", "EXE_SOI_DTD", "EXE_SOI_DTF"];
            read_table(out, c, &what, &columns, &mut |out, p, v, raw| {
                let mut f = Findings::default();
                let id = v[0].unwrap_or("");
                if !joins.beneficiaries.contains(id) {
                    f.0.push(reference("NIR_ANO_17", id));
                }
                let (start, end) = (snds_date(v[3]), snds_date(v[4]));
                f.date("EXE_SOI_DTD", start.as_deref());
                f.date("EXE_SOI_DTF", end.as_deref());
                match (v[1], v[2]) {
                    (Some(eta), Some(rsa)) if !f.has_errors() => {
                        joins.stay_ids.insert((eta.into(), rsa.into()), (id.into(), start, end));
                        out.accepted(p, Some(rsa), f.0);
                    }
                    (eta, rsa) => {
                        if eta.is_none() || rsa.is_none() {
                            f.missing("ETA_NUM/RSA_NUM");
                        }
                        out.quarantine(p, rsa.map(str::to_string), f.0, raw());
                    }
                }
                Ok(())
            })?;
            if let Some(d) = d {
                let what = format!("the SNDS table T_MCO{year}D");
                read_table(out, d, &what, &["ETA_NUM", "RSA_NUM", "ASS_DGN"], &mut |out, p, v, raw| {
                    let mut f = Findings::default();
                    let key = (v[0].unwrap_or("").to_string(), v[1].unwrap_or("").to_string());
                    if !joins.stay_ids.contains_key(&key) {
                        f.0.push(reference("ETA_NUM/RSA_NUM", &format!("{}/{}", key.0, key.1)));
                    }
                    let code = v[2].unwrap_or("");
                    if !is_icd10(code) {
                        f.format(format!("ASS_DGN '{code}' is not an ICD-10 code"));
                    }
                    if f.has_errors() {
                        out.quarantine(p, Some(key.1), f.0, raw());
                    } else {
                        joins.associated.entry(key.clone()).or_default().push(code.to_string());
                        out.accepted(p, Some(&key.1), f.0);
                    }
                    Ok(())
                })?;
            }
            if let Some(b) = b {
                let what = format!("the SNDS table T_MCO{year}B");
                let columns = ["ETA_NUM", "RSA_NUM", "DGN_PAL", "DGN_REL"];
                read_table(out, b, &what, &columns, &mut |out, p, v, raw| {
                    let key = (v[0].unwrap_or("").to_string(), v[1].unwrap_or("").to_string());
                    let Some((id, start, end)) = joins.stay_ids.get(&key).cloned() else {
                        let v = vec![reference("ETA_NUM/RSA_NUM", &format!("{}/{}", key.0, key.1))];
                        out.quarantine(p, Some(key.1), v, raw());
                        return Ok(());
                    };
                    let associated = joins.associated.get(&key).cloned().unwrap_or_default();
                    let row = [Some(id.as_str()), v[0], v[1], start.as_deref(), end.as_deref(), v[2], v[3], None];
                    stay(out, p, &row, &associated, raw, today, &mut joins);
                    Ok(())
                })?;
            }
            if let Some(a) = a {
                let what = format!("the SNDS table T_MCO{year}A");
                read_table(out, a, &what, &ACT, &mut |out, p, v, raw| {
                    act(out, p, v, raw, &joins);
                    Ok(())
                })?;
            }
        }
        if let Some(drugs) = &self.drugs {
            joins.atc = read_atc_classes(drugs)?;
        }
        if let (Some(services), Some(pharmacy)) = (&self.services, &self.pharmacy) {
            let mut columns = vec!["BEN_NIR_PSA", "EXE_SOI_DTD"];
            columns.extend(DCIR_KEYS);
            read_table(out, services, "the SNDS table ER_PRS_F", &columns, &mut |out, p, v, raw| {
                let mut f = Findings::default();
                let id = v[0].unwrap_or("");
                if !joins.beneficiaries.contains(id) {
                    f.0.push(reference("BEN_NIR_PSA", id));
                }
                let date = snds_date(v[1]);
                if f.date("EXE_SOI_DTD", date.as_deref()).is_none() && date.is_none() {
                    f.missing("EXE_SOI_DTD");
                }
                if f.has_errors() {
                    out.quarantine(p, None, f.0, raw());
                } else {
                    joins.services.insert(dcir_key(&v[2..]), (id.to_string(), date));
                    out.accepted(p, None, f.0);
                }
                Ok(())
            })?;
            let mut columns: Vec<&'static str> = DCIR_KEYS.to_vec();
            columns.extend(["PHA_PRS_C13", "PHA_ACT_QSN"]);
            read_table(out, pharmacy, "the SNDS table ER_PHA_F", &columns, &mut |out, p, v, raw| {
                let key = dcir_key(&v[..9]);
                let Some((id, date)) = joins.services.get(&key).cloned() else {
                    out.quarantine(p, None, vec![reference("DCIR service (the nine join keys)", &key)], raw());
                    return Ok(());
                };
                let atc = v[9].and_then(|cip| joins.atc.get(cip)).cloned();
                let row = [Some(id.as_str()), date.as_deref(), atc.as_deref(), v[10]];
                dispensation(out, p, &row, raw, &joins, "the ATC class of PHA_PRS_C13");
                Ok(())
            })?;
        }
        Ok(())
    }
}

/// The nine DCIR join keys of a row, as one text.
fn dcir_key(values: &[Option<&str>]) -> String {
    values.iter().map(|v| v.unwrap_or("")).collect::<Vec<_>>().join("|")
}

/// The ATC class of each CIP13 code of the drug nomenclature `IR_PHA_R` (`PHA_CIP_C13`,
/// `PHA_ATC_C07`): reference data, not records.
fn read_atc_classes(path: &Path) -> Result<HashMap<String, String>, IngestError> {
    let file = path.display().to_string();
    let f = std::fs::File::open(path).map_err(|e| IngestError::Io { file: file.clone(), source: e })?;
    let mut input = std::io::BufReader::new(crate::input::decompressed(f, &file)?);
    let head = std::io::BufRead::fill_buf(&mut input).map_err(|e| IngestError::Io { file: file.clone(), source: e })?;
    let delimiter = delimiter_of(head.split(|&b| b == b'\n').next().unwrap_or(head));
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).from_reader(input);
    let headers = reader.headers().map_err(|e| IngestError::Layout { file: file.clone(), message: e.to_string() })?;
    let column = |name: &str| {
        headers.iter().position(|h| h.trim().eq_ignore_ascii_case(name)).ok_or_else(|| IngestError::Layout {
            file: file.clone(),
            message: format!("the drug nomenclature IR_PHA_R without a '{name}' column"),
        })
    };
    let (cip, atc) = (column("PHA_CIP_C13")?, column("PHA_ATC_C07")?);
    let mut out = HashMap::new();
    for r in reader.records() {
        let r = r.map_err(|e| IngestError::Layout { file: file.clone(), message: e.to_string() })?;
        if let (Some(c), Some(a)) = (r.get(cip), r.get(atc)) {
            out.insert(c.trim().to_string(), a.trim().to_string());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows that point to an unknown beneficiary or stay, or carry malformed codes, are
    /// quarantined; the others become patients and care events; counts add up per file.
    #[test]
    fn claims_rows_are_checked_against_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let write = |t: &str, text: String| std::fs::write(dir.path().join(format!("{t}.csv")), text).unwrap();
        let (a, b) = ("a".repeat(64), "b".repeat(64));
        write(
            "beneficiaries",
            format!(
                "BEN_NIR_PSA,BEN_SEX_COD,BEN_NAI_ANN,BEN_NAI_MOI,BEN_RES_DPT,BEN_DCD_DTE\n{a},2,1950,6,50,\nshort,1,1950,6,50,\n"
            ),
        );
        write(
            "pmsi_mco_stays",
            format!(
                "NIR_ANO_17,ETA_NUM,RSA_NUM,EXE_SOI_DTD,EXE_SOI_DTF,DGN_PAL,DGN_REL,NBR_SEA\n\
                 {a},1,1,2021-03-01,2021-03-05,C504,,1\n{a},1,2,2021-04-01,2021-04-01,Z511,C504,1\n\
                 {b},1,3,2021-04-01,2021-04-01,Z511,C504,1\n{a},1,4,2021-05-02,2021-05-01,C504,,1\n"
            ),
        );
        write(
            "pmsi_mco_procedures",
            "ETA_NUM,RSA_NUM,CDC_ACT,ENT_DAT_DEL\n1,1,QEFA001,1\n1,1,ZCQK002,0\n1,9,QEFA001,0\n".into(),
        );
        write(
            "dcir_dispensations",
            format!(
                "BEN_NIR_PSA,EXE_SOI_DTD,PHA_ATC_C07,PHA_ACT_QSN\n{a},2021-06-01,L02BG03,1\n{a},2021-06-01,l02,1\n"
            ),
        );
        let mut out = Extract::default();
        read_claims_dir(dir.path(), NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(), &mut out).unwrap();
        let counts: Vec<(u64, u64, u64)> =
            out.files.iter().map(|f| (f.counts.read, f.counts.accepted, f.counts.quarantined)).collect();
        assert_eq!(counts, vec![(2, 1, 1), (4, 2, 2), (3, 2, 1), (2, 1, 1)]);
        let rules: Vec<&str> = out.quarantined.iter().map(|q| q.violations[0].rule).collect();
        assert_eq!(
            rules,
            vec!["record.format", "record.reference", "date.last-contact", "record.reference", "record.format"]
        );
        let kinds: Vec<&str> = out.care_events.iter().map(|e| e.kind.label()).collect();
        assert_eq!(kinds, vec!["hospital_stay", "chemotherapy", "surgery", "hormone_therapy"]);
        assert_eq!(out.care_events[2].date, NaiveDate::from_ymd_opt(2021, 3, 2).unwrap());
    }

    /// The SNDS's own tables: a beneficiary (SNDS pseudonym, `075` département, the empty death
    /// date 1600-01-01), stays joined through `T_MCOaaC` (SAS dates, `;`-separated), an
    /// associated diagnosis naming the cancer of a chemotherapy session, a stay for no cancer
    /// skipped, an act, and a dispensation joined to its service by the nine DCIR keys with its
    /// ATC class from `IR_PHA_R`.
    #[test]
    fn the_snds_tables_join_as_the_snds_documents_them() {
        let dir = tempfile::tempdir().unwrap();
        let write = |t: &str, text: &str| std::fs::write(dir.path().join(t), text).unwrap();
        let (a, b) = ("AbCdEfGhIjKlMnOpQ", "ZyXwVuTsRqPoNmLkJ");
        write(
            "IR_BEN_R.csv",
            &format!(
                "BEN_NIR_PSA,BEN_RNG_GEM,BEN_SEX_COD,BEN_NAI_ANN,BEN_NAI_MOI,BEN_RES_DPT,BEN_DCD_DTE\n\
                 {a},1,2,1950,06,075,1600-01-01\n{b},1,3,1950,06,075,\n"
            ),
        );
        write(
            "T_MCO21C.csv",
            &format!(
                "ETA_NUM;RSA_NUM;NIR_ANO_17;EXE_SOI_DTD;EXE_SOI_DTF\n\
                 750000001;0000000001;{a};01MAR2021:00:00:00;05MAR2021:00:00:00\n\
                 750000001;0000000002;{a};01APR2021:00:00:00;01APR2021:00:00:00\n\
                 750000001;0000000003;{a};01MAY2021:00:00:00;02MAY2021:00:00:00\n\
                 750000001;0000000004;{b};01MAY2021:00:00:00;02MAY2021:00:00:00\n"
            ),
        );
        write("T_MCO21D.csv", "ETA_NUM;RSA_NUM;ASS_DGN\n750000001;0000000002;C504\n750000001;0000000009;C504\n");
        write(
            "T_MCO21B.csv",
            "ETA_NUM;RSA_NUM;DGN_PAL;DGN_REL;SEJ_NBJ\n750000001;0000000001;C504;;4\n750000001;0000000002;Z511;;0\n\
             750000001;0000000003;J189;;1\n750000001;0000000007;C504;;1\n",
        );
        write("T_MCO21A.csv", "ETA_NUM;RSA_NUM;CDC_ACT;ENT_DAT_DEL\n750000001;0000000001;QEFA001;1\n");
        let keys = "DCT_ORD_NUM,FLX_DIS_DTD,FLX_EMT_NUM,FLX_EMT_ORD,FLX_EMT_TYP,FLX_TRT_DTD,ORG_CLE_NUM,PRS_ORD_NUM,REM_TYP_AFF";
        let key = "1,2021-07-01,2,3,1,2021-07-02,01C000001,5,1";
        write("ER_PRS_F.csv", &format!("BEN_NIR_PSA,EXE_SOI_DTD,{keys}\n{a},2021-06-01,{key}\n"));
        write(
            "ER_PHA_F.csv",
            &format!("{keys},PHA_PRS_C13,PHA_ACT_QSN\n{key},3400930000001,1\n{key},3400930000002,1\n9,{key},3400930000001,1\n")
                .replace("9,1,2021-07-01", "9,2021-07-01"),
        );
        write("IR_PHA_R.csv", "PHA_CIP_C13,PHA_ATC_C07\n3400930000001,L02BG03\n3400930000002,N02BE01\n");
        let mut out = Extract::default();
        read_claims_dir(dir.path(), NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(), &mut out).unwrap();
        let counts: Vec<(String, (u64, u64, u64, u64))> = out
            .files
            .iter()
            .map(|f| {
                let name = Path::new(&f.file).file_name().unwrap().to_str().unwrap().to_string();
                (name, (f.counts.read, f.counts.accepted, f.counts.quarantined, f.counts.skipped))
            })
            .collect();
        let expect = |n: &str, c: (u64, u64, u64, u64)| (n.to_string(), c);
        assert_eq!(
            counts,
            vec![
                expect("IR_BEN_R.csv", (2, 1, 1, 0)),
                expect("T_MCO21C.csv", (4, 3, 1, 0)),
                expect("T_MCO21D.csv", (2, 1, 1, 0)),
                expect("T_MCO21B.csv", (4, 2, 1, 1)),
                expect("T_MCO21A.csv", (1, 1, 0, 0)),
                expect("ER_PRS_F.csv", (1, 1, 0, 0)),
                expect("ER_PHA_F.csv", (3, 2, 1, 0)),
            ]
        );
        let p = &out.patients[0];
        assert_eq!((p.departement.as_deref(), p.death_date), (Some("75"), None));
        let events: Vec<(&str, String, Option<&str>)> =
            out.care_events.iter().map(|e| (e.kind.label(), e.date.to_string(), e.code.as_deref())).collect();
        assert_eq!(
            events,
            vec![
                ("hospital_stay", "2021-03-01".into(), Some("C504")),
                ("chemotherapy", "2021-04-01".into(), Some("C504")),
                ("surgery", "2021-03-02".into(), Some("QEFA001")),
                ("hormone_therapy", "2021-06-01".into(), Some("L02BG03")),
            ]
        );
        // The paracetamol is not cancer care: accepted with a warning.
        assert!(out.warnings.iter().any(|w| w.violation.rule == "record.not-cancer-care"));
    }

    #[test]
    fn snds_dates_are_read_as_the_snds_writes_them() {
        assert_eq!(snds_date(Some("02Jan2007:22:12:17")).as_deref(), Some("2007-01-02"));
        assert_eq!(snds_date(Some("02JAN2007")).as_deref(), Some("2007-01-02"));
        assert_eq!(snds_date(Some("02/01/2007")).as_deref(), Some("2007-01-02"));
        assert_eq!(snds_date(Some("2007-01-02")).as_deref(), Some("2007-01-02"));
        assert_eq!(snds_date(Some("1600-01-01")), None);
        assert_eq!(snds_date(Some("31FEB2007")).as_deref(), Some("31FEB2007"), "left for the check to name");
        assert_eq!(departement(Some("02A")), Some("2A"));
        assert_eq!(departement(Some("971")), Some("971"));
    }
}
