//! ENCR-style registry CSV extracts: one row per tumour with the variables of the JRC-ENCR data
//! set (ENCR call for data; JRC-ENCR Quality Check Software user compendium 2.0):
//!
//! | column | meaning | required |
//! |---|---|---|
//! | `PAT` | patient number | yes |
//! | `MoB`, `YoB` | month (1–12, 99 unknown) and year of birth | year |
//! | `Age` | age at incidence, completed years | yes |
//! | `Sex` | 1 male, 2 female, 9 unknown | yes |
//! | `Geo_Code` | area of residence at diagnosis | no |
//! | `TUM` | tumour number within the patient | no (default `01`) |
//! | `MoI`, `YoI` | month (99 unknown) and year of incidence | yes |
//! | `BoD` | most valid basis of diagnosis (IARC 0–9) | no |
//! | `Topo` | ICD-O-3 topography, `C509` or `C50.9` | yes |
//! | `Morpho` | ICD-O-3 morphology, four digits | yes |
//! | `Beh` | ICD-O-3 behaviour | yes |
//! | `Grade` | grade 1–9 | no |
//! | `Vit_stat` | 1 alive, 2 dead, 9 unknown | no |
//! | `MoF`, `YoF` | month and year of last follow-up | no |
//! | `Surv_time` | days from incidence to last follow-up | no |
//! | `Stage` | stage group | no |
//!
//! Column names are matched without regard to case or order. The data set has no days: the
//! incidence date is set to the 15th of the month (1 July when the month is unknown), the usual
//! registry convention, and the last contact to incidence + `Surv_time` days when given.

use std::collections::HashMap;
use std::path::Path;

use chrono::{Duration, NaiveDate};
use oncodata_coding::{Behaviour, CodeError, Morphology, Topography, iccc, icd10, site_group};
use oncodata_model::date::completed_years;
use oncodata_model::{PartialDate, Patient, Provenance, Sex, Tumour, VitalStatus};

use crate::IngestError;
use crate::quarantine::{Counts, QuarantinedRecord};
use crate::rules::{Severity, Violation};

/// The `--source` kind of this reader.
pub const SOURCE_KIND: &str = "encr-csv";

const REQUIRED: [&str; 9] = ["PAT", "YoB", "Age", "Sex", "MoI", "YoI", "Topo", "Morpho", "Beh"];
const OPTIONAL: [&str; 10] = ["MoB", "Geo_Code", "TUM", "BoD", "Grade", "Vit_stat", "MoF", "YoF", "Surv_time", "Stage"];

/// What an ENCR extract yields.
#[derive(Debug, Default)]
pub struct EncrExtract {
    /// One patient per distinct `PAT` among accepted rows (the first row describes them).
    pub patients: Vec<Patient>,
    /// Accepted tumours.
    pub tumours: Vec<Tumour>,
    /// Rejected rows.
    pub quarantined: Vec<QuarantinedRecord>,
    /// Warnings on accepted rows.
    pub warnings: Vec<(Provenance, Violation)>,
    /// Read, accepted, quarantined.
    pub counts: Counts,
}

/// Reads and validates an ENCR-style CSV extract. `today` bounds dates (nothing in the future).
pub fn read_encr_csv(path: &Path, today: NaiveDate) -> Result<EncrExtract, IngestError> {
    let file = path.display().to_string();
    let io = |e: std::io::Error| IngestError::Io { file: file.clone(), source: e };
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(path).map_err(|e| io(e.into()))?;
    let header = reader.byte_headers().map_err(|e| io(e.into()))?.clone();
    let names: Vec<String> = header
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let mut columns = HashMap::new();
    for name in REQUIRED.iter().chain(OPTIONAL.iter()) {
        if let Some(i) = names.iter().position(|n| *n == name.to_ascii_lowercase()) {
            columns.insert(*name, i);
        }
    }
    let missing: Vec<&str> = REQUIRED.iter().copied().filter(|c| !columns.contains_key(c)).collect();
    if !missing.is_empty() {
        return Err(IngestError::Layout {
            file,
            message: format!("not an ENCR extract: missing column(s) {} in the header", missing.join(", ")),
        });
    }

    let mut out = EncrExtract::default();
    let mut patient_index: HashMap<String, usize> = HashMap::new();
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(io(e.into())),
        }
        out.counts.read += 1;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let provenance = Provenance { source: SOURCE_KIND.into(), file: file.clone(), record: line };
        let raw = record.iter().map(String::from_utf8_lossy).collect::<Vec<_>>().join(",");
        let quarantine = |violations: Vec<Violation>, record_id: Option<String>| QuarantinedRecord {
            provenance: provenance.clone(),
            record_id,
            violations,
            raw: raw.clone(),
        };
        if record.len() != header.len() {
            out.quarantined.push(quarantine(
                vec![Violation::error(
                    "record.shape",
                    format!("{} fields where the header has {}", record.len(), header.len()),
                )],
                None,
            ));
            continue;
        }
        let fields: Result<Vec<&str>, _> = record.iter().map(std::str::from_utf8).collect();
        let Ok(fields) = fields else {
            out.quarantined.push(quarantine(vec![Violation::error("record.encoding", "not valid UTF-8")], None));
            continue;
        };
        let row = Row { fields: &fields, columns: &columns };
        match validate(&row, &provenance, today) {
            Ok((patient, tumour, warnings)) => {
                out.counts.accepted += 1;
                out.counts.warnings += warnings.len() as u64;
                out.warnings.extend(warnings.into_iter().map(|w| (provenance.clone(), w)));
                if !patient_index.contains_key(&patient.patient_id) {
                    patient_index.insert(patient.patient_id.clone(), out.patients.len());
                    out.patients.push(patient);
                }
                out.tumours.push(tumour);
            }
            Err((violations, id)) => {
                out.counts.quarantined += 1;
                out.quarantined.push(quarantine(violations, id));
            }
        }
    }
    out.counts.quarantined = out.quarantined.len() as u64;
    out.counts.check(&file)?;
    Ok(out)
}

struct Row<'a> {
    fields: &'a [&'a str],
    columns: &'a HashMap<&'static str, usize>,
}

impl Row<'_> {
    /// The trimmed value of a column, `None` when absent or empty.
    fn get(&self, name: &str) -> Option<&str> {
        let v = self.fields[*self.columns.get(name)?].trim();
        (!v.is_empty()).then_some(v)
    }
}

/// Collects violations while reading a row.
struct Findings(Vec<Violation>);

impl Findings {
    fn required(&mut self, row: &Row, name: &str) -> Option<String> {
        let v = row.get(name).map(str::to_string);
        if v.is_none() {
            self.0.push(Violation::error("record.required", format!("{name} is missing")));
        }
        v
    }

    fn number<T: std::str::FromStr + PartialOrd + std::fmt::Display>(
        &mut self,
        name: &str,
        value: Option<&str>,
        range: std::ops::RangeInclusive<T>,
    ) -> Option<T> {
        let v = value?;
        match v.parse::<T>() {
            Ok(n) if range.contains(&n) => Some(n),
            _ => {
                self.0.push(Violation::error(
                    "record.format",
                    format!("{name} '{v}' is not a number from {} to {}", range.start(), range.end()),
                ));
                None
            }
        }
    }

    /// A code read with its classification: an unknown code breaks `unknown_rule`, a malformed
    /// one `record.format`.
    fn code<T>(&mut self, unknown_rule: &'static str, read: Result<T, CodeError>) -> Option<T> {
        match read {
            Ok(c) => Some(c),
            Err(e @ CodeError::Unknown { .. }) => {
                self.0.push(Violation::error(unknown_rule, e.to_string()));
                None
            }
            Err(e) => {
                self.0.push(Violation::error("record.format", e.to_string()));
                None
            }
        }
    }

    fn has_errors(&self) -> bool {
        self.0.iter().any(|v| v.severity == Severity::Error)
    }
}

/// A month 1–12, or `None` for 99 / absent (unknown).
fn month(f: &mut Findings, name: &str, value: Option<&str>) -> Option<u8> {
    match f.number::<u8>(name, value, 1..=99)? {
        99 => None,
        m @ 1..=12 => Some(m),
        m => {
            f.0.push(Violation::error("record.format", format!("{name} '{m}' is not a month (1-12, 99 unknown)")));
            None
        }
    }
}

type Accepted = (Patient, Tumour, Vec<Violation>);
type Rejected = (Vec<Violation>, Option<String>);

fn validate(row: &Row, provenance: &Provenance, today: NaiveDate) -> Result<Accepted, Rejected> {
    let mut f = Findings(Vec::new());
    let pat = f.required(row, "PAT");
    let tum = row.get("TUM").unwrap_or("01").to_string();
    let record_id = pat.as_ref().map(|p| format!("{p}-{tum}"));

    let sex_text = f.required(row, "Sex");
    let sex = sex_text.as_deref().and_then(|s| match s {
        "1" => Some(Sex::Male),
        "2" => Some(Sex::Female),
        "9" => Some(Sex::Unknown),
        _ => {
            f.0.push(Violation::error("record.format", format!("Sex '{s}' is not 1, 2 or 9")));
            None
        }
    });
    let yob = f.required(row, "YoB");
    let yob = f.number::<i32>("YoB", yob.as_deref(), 1850..=2200);
    let mob = month(&mut f, "MoB", row.get("MoB"));
    let age = f.required(row, "Age");
    let age = f.number::<u16>("Age", age.as_deref(), 0..=130);
    let moi = f.required(row, "MoI");
    let moi = month(&mut f, "MoI", moi.as_deref());
    let yoi = f.required(row, "YoI");
    let yoi = f.number::<i32>("YoI", yoi.as_deref(), 1850..=2200);

    let topo = f.required(row, "Topo");
    let topo = topo.and_then(|t| f.code("iarc.topography", Topography::parse_valid(&t)));
    let morpho = f.required(row, "Morpho");
    let morpho = morpho.and_then(|m| f.code("iarc.morphology", Morphology::parse_valid(&m)));
    let beh = f.required(row, "Beh").and_then(|b| match Behaviour::parse(&b) {
        Ok(b) if b.is_registrable() => Some(b),
        Ok(b) => {
            f.0.push(Violation::error(
                "iarc.behaviour",
                format!("behaviour /{b} is a metastatic or uncertain-primary code; registries record the primary tumour (0-3)"),
            ));
            None
        }
        Err(e) => {
            f.0.push(Violation::error("record.format", e.to_string()));
            None
        }
    });
    let grade = f.number::<u8>("Grade", row.get("Grade"), 1..=9);
    let basis = f.number::<u8>("BoD", row.get("BoD"), 0..=9);
    let vital = match row.get("Vit_stat") {
        None | Some("9") => VitalStatus::Unknown,
        Some("1") => VitalStatus::Alive,
        Some("2") => VitalStatus::Dead,
        Some(v) => {
            f.0.push(Violation::error("record.format", format!("Vit_stat '{v}' is not 1, 2 or 9")));
            VitalStatus::Unknown
        }
    };
    let surv = f.number::<i64>("Surv_time", row.get("Surv_time"), i64::MIN..=i64::MAX);
    let mof = month(&mut f, "MoF", row.get("MoF"));
    let yof = f.number::<i32>("YoF", row.get("YoF"), 1850..=2200);

    // IARC check 20, sex/topography.
    if let (Some(sex), Some(t)) = (sex, topo) {
        let s = t.site();
        if sex == Sex::Male && (51..=58).contains(&s) {
            f.0.push(Violation::error("iarc.sex-topography", format!("female genital site {t} in a man")));
        }
        if sex == Sex::Female && (60..=63).contains(&s) {
            f.0.push(Violation::error("iarc.sex-topography", format!("male genital site {t} in a woman")));
        }
    }

    // Dates.
    let birth = yob.map(|year| PartialDate { year, month: mob, day: None });
    let incidence = yoi.map(|year| PartialDate { year, month: moi, day: None });
    if let (Some(b), Some(i)) = (birth, incidence) {
        let (b_lo, b_hi) = b.bounds();
        let (i_lo, i_hi) = i.bounds();
        if b_lo > i_hi {
            f.0.push(Violation::error("date.birth-incidence", format!("birth {b} is after incidence {i}")));
        } else if let Some(age) = age {
            let youngest = completed_years(b_hi, i_lo).max(0);
            let oldest = completed_years(b_lo, i_hi);
            if !(youngest..=oldest).contains(&(age as i32)) {
                f.0.push(Violation::error(
                    "date.age-incidence",
                    format!("age {age} does not agree with birth {b} and incidence {i} (age {youngest} to {oldest})"),
                ));
            }
        }
    }
    for (what, d) in [("incidence", incidence), ("birth", birth)] {
        if let Some(d) = d
            && d.bounds().0 > today
        {
            f.0.push(Violation::error("date.future", format!("{what} {d} is after today {today}")));
        }
    }
    let incidence_date = incidence.map(|i| match i.month {
        Some(_) => i.midpoint(),
        None => NaiveDate::from_ymd_opt(i.year, 7, 1).expect("valid year"),
    });
    let last_contact = match (surv, incidence_date, mof, yof) {
        (Some(days), Some(inc), _, _) => {
            if days < 0 {
                f.0.push(Violation::error("date.last-contact", format!("Surv_time {days} is negative")));
                None
            } else {
                Some(inc + Duration::days(days))
            }
        }
        (None, Some(inc), m, Some(y)) => {
            let d = PartialDate { year: y, month: m, day: None };
            if d.bounds().1 < incidence.expect("incidence is known here").bounds().0 {
                f.0.push(Violation::error("date.last-contact", format!("last follow-up {d} is before incidence")));
                None
            } else {
                Some(d.midpoint().max(inc))
            }
        }
        _ => None,
    };
    if let Some(lc) = last_contact
        && lc > today
    {
        f.0.push(Violation::error("date.last-contact", format!("last follow-up {lc} is after today {today}")));
    }

    if f.has_errors() {
        return Err((f.0, record_id));
    }
    let (Some(pat), Some(sex), Some(birth), Some(age), Some(incidence_date), Some(topo), Some(morpho), Some(beh)) =
        (pat, sex, birth, age, incidence_date, topo, morpho, beh)
    else {
        unreachable!("every missing field raised an error");
    };

    let icd10 = match icd10::from_icdo3(topo, morpho, beh) {
        Ok(c) => Some(c),
        Err(e) => {
            f.0.push(Violation::warning("code.icd10", e.to_string()));
            None
        }
    };
    let patient = Patient {
        patient_id: pat.clone(),
        sex,
        birth_date: birth,
        departement: row.get("Geo_Code").map(str::to_string),
        commune: None,
        vital_status: vital,
        last_contact,
        death_date: (vital == VitalStatus::Dead).then_some(last_contact).flatten(),
        provenance: provenance.clone(),
    };
    let tumour = Tumour {
        tumour_id: format!("{pat}-{tum}"),
        patient_id: pat.clone(),
        topography: topo.to_string(),
        morphology: morpho.to_string(),
        behaviour: beh.code(),
        grade,
        laterality: None,
        basis_of_diagnosis: basis,
        incidence_date,
        age_at_diagnosis: age,
        tnm_t: None,
        tnm_n: None,
        tnm_m: None,
        stage: row.get("Stage").filter(|s| *s != "X").map(str::to_string),
        icd10,
        iccc: iccc::classify(topo, morpho, beh).map(|s| s.subgroup.to_string()),
        site_group: site_group::classify(topo, morpho, beh).map(|g| g.id.to_string()),
        source_ids: format!("PAT={pat};TUM={tum}"),
        provenance: provenance.clone(),
    };
    Ok((patient, tumour, f.0))
}

#[cfg(test)]
mod tests;
