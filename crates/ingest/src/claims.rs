//! The national claims extract (SNDS-shaped; the synthetic data's `claims/` folder): four
//! tables keyed by the beneficiary's pseudonym (HMAC-SHA-256, 64 hexadecimal digits).
//!
//! | file | record | becomes |
//! |---|---|---|
//! | `beneficiaries.csv` (`BEN_NIR_PSA, BEN_SEX_COD, BEN_NAI_ANN, BEN_NAI_MOI, BEN_RES_DPT, BEN_DCD_DTE`) | a beneficiary | a patient |
//! | `pmsi_mco_stays.csv` (`NIR_ANO_17, ETA_NUM, RSA_NUM, EXE_SOI_DTD, EXE_SOI_DTF, DGN_PAL, DGN_REL, NBR_SEA`) | a hospital stay | a care event: Z51.1 chemotherapy, Z51.0 radiotherapy, otherwise a stay for the cancer |
//! | `pmsi_mco_procedures.csv` (`ETA_NUM, RSA_NUM, CDC_ACT, ENT_DAT_DEL`) | a CCAM act of a stay | surgery when the act is an excision (CCAM action letter F), dated stay start + `ENT_DAT_DEL` days |
//! | `dcir_dispensations.csv` (`BEN_NIR_PSA, EXE_SOI_DTD, PHA_ATC_C07, PHA_ACT_QSN`) | a dispensation | chemotherapy, targeted or hormone therapy by ATC code |
//!
//! Dispensations and acts that are not cancer treatments are accepted with the warning
//! `record.not-cancer-care` and kept out of the care pathway. Rows pointing to an unknown
//! beneficiary or stay are quarantined (`record.reference`).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{Duration, NaiveDate};
use oncodata_model::{CareEvent, CareEventKind, PartialDate, Patient, Provenance, Sex, VitalStatus};

use crate::IngestError;
use crate::care::{is_atc, kind_of_atc};
use crate::case::Findings;
use crate::extract::Extract;
use crate::identity::TypedIdentity;
use crate::rules::Violation;
use crate::table::Table;

/// The `--source` kind of this reader.
pub const SOURCE_KIND: &str = "claims";

const TABLES: [(&str, &[&str]); 4] = [
    ("beneficiaries", &["BEN_NIR_PSA", "BEN_SEX_COD", "BEN_NAI_ANN", "BEN_NAI_MOI", "BEN_RES_DPT", "BEN_DCD_DTE"]),
    (
        "pmsi_mco_stays",
        &["NIR_ANO_17", "ETA_NUM", "RSA_NUM", "EXE_SOI_DTD", "EXE_SOI_DTF", "DGN_PAL", "DGN_REL", "NBR_SEA"],
    ),
    ("pmsi_mco_procedures", &["ETA_NUM", "RSA_NUM", "CDC_ACT", "ENT_DAT_DEL"]),
    ("dcir_dispensations", &["BEN_NIR_PSA", "EXE_SOI_DTD", "PHA_ATC_C07", "PHA_ACT_QSN"]),
];

fn is_pseudonym(v: &str) -> bool {
    v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit())
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

/// Reads the claims folder into `out`, table after table.
pub fn read_claims_dir(dir: &Path, today: NaiveDate, out: &mut Extract) -> Result<(), IngestError> {
    for (t, _) in TABLES {
        if !dir.join(format!("{t}.csv")).is_file() {
            return Err(IngestError::Layout {
                file: dir.display().to_string(),
                message: format!("not a claims extract: {t}.csv is missing"),
            });
        }
    }
    let mut beneficiaries: HashSet<String> = HashSet::new();
    let mut stays: HashMap<(String, String), (String, NaiveDate)> = HashMap::new();
    for (t, columns) in TABLES {
        let path = dir.join(format!("{t}.csv"));
        let file = path.display().to_string();
        let f = out.open(&path)?;
        let table = Table::open(std::io::BufReader::with_capacity(1 << 20, f), &file, b',')?;
        table.header.require(&file, &format!("the claims table {t}"), columns)?;
        let ix: Vec<Option<usize>> = columns.iter().map(|c| table.header.index(c)).collect();
        let base = Provenance::new(SOURCE_KIND, &file, 0);
        table.rows_into(&base, out, &mut |out, p, row, raw| {
            let v: Vec<Option<&str>> = ix.iter().map(|i| row.at(*i)).collect();
            let mut f = Findings::default();
            let reference = |what: &str, id: &str| {
                Violation::error("record.reference", format!("{what} '{id}' is not an accepted row of the extract"))
            };
            match t {
                "beneficiaries" => {
                    let id = v[0].unwrap_or("");
                    if !is_pseudonym(id) {
                        f.format(format!("BEN_NIR_PSA '{id}' is not a 64-digit hexadecimal pseudonym"));
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
                    let death = f.date("BEN_DCD_DTE", v[5]).map(|d| d.midpoint());
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
                    match birth {
                        Some(birth) if !f.has_errors() => {
                            beneficiaries.insert(id.to_string());
                            out.patient(Patient {
                                patient_id: id.into(),
                                sex,
                                birth_date: birth,
                                departement: v[4].map(Into::into),
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
                                departement: v[4],
                            };
                            f.0.extend(out.identity(&typed, p));
                            out.accepted(p, Some(id), f.0);
                        }
                        _ => out.quarantine(p, Some(id.to_string()), f.0, raw()),
                    }
                }
                "pmsi_mco_stays" => {
                    let id = v[0].unwrap_or("");
                    if !beneficiaries.contains(id) {
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
                        f.0.push(Violation::error(
                            "date.future",
                            format!("stay start {} is after today", v[3].unwrap_or("")),
                        ));
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
                        return Ok(());
                    };
                    match start {
                        Some(start) if !f.has_errors() => {
                            let kind = match dgn {
                                "Z511" => CareEventKind::Chemotherapy,
                                "Z510" => CareEventKind::Radiotherapy,
                                _ => CareEventKind::HospitalStay,
                            };
                            stays.insert((eta.to_string(), rsa.to_string()), (id.to_string(), start));
                            out.care_events.push(CareEvent {
                                patient_id: id.into(),
                                tumour_id: None,
                                kind,
                                date: start,
                                provider: Some(eta.into()),
                                // A chemotherapy or radiotherapy session (Z51) names its cancer in DGN_REL.
                                code: Some(if dgn.starts_with("Z51") { v[6].unwrap_or(dgn) } else { dgn }.into()),
                                provenance: p.clone(),
                            });
                            out.accepted(p, Some(rsa), f.0);
                        }
                        _ => out.quarantine(p, Some(rsa.to_string()), f.0, raw()),
                    }
                }
                "pmsi_mco_procedures" => {
                    let key = (v[0].unwrap_or("").to_string(), v[1].unwrap_or("").to_string());
                    let act = v[2].unwrap_or("");
                    if !is_ccam(act) {
                        f.format(format!("CDC_ACT '{act}' is not a CCAM code"));
                    }
                    let delay = f.number::<i64>("ENT_DAT_DEL", v[3].or(Some("0")), 0..=3650);
                    let Some((patient, start)) = stays.get(&key).cloned() else {
                        f.0.push(reference("ETA_NUM/RSA_NUM", &format!("{}/{}", key.0, key.1)));
                        out.quarantine(p, None, f.0, raw());
                        return Ok(());
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
                                f.0.push(Violation::warning(
                                    "record.not-cancer-care",
                                    format!("CCAM act {act} is not an excision"),
                                ));
                            }
                            out.accepted(p, Some(&key.1), f.0);
                        }
                        _ => out.quarantine(p, Some(key.1), f.0, raw()),
                    }
                }
                _ => {
                    let id = v[0].unwrap_or("");
                    if !beneficiaries.contains(id) {
                        f.0.push(reference("BEN_NIR_PSA", id));
                    }
                    let date = f.date("EXE_SOI_DTD", v[1]).and_then(|d| d.to_date());
                    if v[1].is_none() {
                        f.missing("EXE_SOI_DTD");
                    }
                    let atc = v[2].unwrap_or("");
                    if !is_atc(atc) {
                        f.format(format!("PHA_ATC_C07 '{atc}' is not an ATC code"));
                    }
                    f.number::<i64>("PHA_ACT_QSN", v[3], -1000..=1000);
                    match date {
                        Some(date) if !f.has_errors() => {
                            match kind_of_atc(atc) {
                                Some(kind) => out.care_events.push(CareEvent {
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
                                    format!("{atc} is not an antineoplastic or endocrine therapy"),
                                )),
                            }
                            out.accepted(p, None, f.0);
                        }
                        _ => out.quarantine(p, None, f.0, raw()),
                    }
                }
            }
            Ok(())
        })?;
        out.finish_file(SOURCE_KIND, &file)?;
    }
    Ok(())
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
}
