//! The `primaries` and `primary_tumours` tables: the tumour records of the linked persons,
//! consolidated into primary cancers under the IARC/IACR 2004 multiple-primary rules, each value
//! with the record it came from ([`oncodata_link::primaries`]).

use std::collections::HashMap;

use crate::persons::{SourcePatient, field};
use crate::primaries::{Primary, RecordKind, Sourced, TumourRecord, consolidate};
use oncodata_coding::{Behaviour, Morphology, Sex, Topography, iccc, icd10, site_group};
use oncodata_warehouse::{Value, Warehouse};

/// What the consolidation found.
pub struct Consolidation {
    /// The tumour records consolidated.
    pub records: Vec<TumourRecord>,
    /// The source patient of each record (an index of the linkage's records).
    pub patient_of: Vec<usize>,
    /// The primaries.
    pub primaries: Vec<Primary>,
}

/// Reads the warehouse's tumours, consolidates them person by person and writes the tables.
/// `person_of` gives each source patient's person; `person_id` names a person.
pub fn consolidate_tumours(
    w: &Warehouse,
    patients: &[SourcePatient],
    person_of: &[u32],
    person_id: &dyn Fn(u32) -> String,
) -> Result<Consolidation, super::Error> {
    let index: HashMap<(&str, &str), usize> =
        patients.iter().enumerate().map(|(i, p)| ((p.dataset.as_str(), p.patient_id.as_str()), i)).collect();
    let rows = w
        .query(
            "SELECT dataset, tumour_id, patient_id, topography, morphology, behaviour, grade, laterality,
                    basis_of_diagnosis, incidence_date, age_at_diagnosis, stage, tnm_t, tnm_n, tnm_m
             FROM tumours ORDER BY dataset, tumour_id",
        )?
        .rows()?;
    // Records whose morphology the IARC site–histology check calls impossible at their site (a
    // registrar's verification removes the warning at ingest).
    let doubtful: std::collections::HashSet<(String, String)> = if w.tables()?.iter().any(|t| t == "warnings") {
        w.query("SELECT DISTINCT dataset, record_id FROM warnings WHERE rule_id = 'iarc.site-histology'")?
            .rows()?
            .into_iter()
            .map(|r| (r[0].as_text(), r[1].as_text()))
            .collect()
    } else {
        Default::default()
    };
    let mut records = Vec::with_capacity(rows.len());
    let mut patient_of = Vec::with_capacity(rows.len());
    for r in &rows {
        let t = |i: usize| r[i].as_text();
        let small = |i: usize| r[i].as_f64().map(|v| v as u8);
        let what = || format!("tumour {} of data set {}", t(1), t(0));
        let patient = *index.get(&(t(0).as_str(), t(2).as_str())).ok_or_else(|| {
            format!("{}: its patient {} is not among the linked patients; run `oncodata link` again", what(), t(2))
        })?;
        let text = |i: usize| Some(t(i)).filter(|s| !s.is_empty());
        let bad = |e: &dyn std::fmt::Display| format!("{}: {e}", what());
        records.push(TumourRecord {
            person: person_of[patient],
            dataset: t(0),
            tumour_id: t(1),
            topography: Topography::parse(&t(3)).map_err(|e| bad(&e))?,
            morphology: Morphology::parse(&t(4)).map_err(|e| bad(&e))?,
            behaviour: Behaviour::parse(&t(5)).map_err(|e| bad(&e))?,
            grade: small(6),
            laterality: small(7),
            basis: small(8),
            incidence_date: t(9).parse().map_err(|e| bad(&e))?,
            age: r[10].as_f64().unwrap_or(0.0) as u16,
            stage: text(11),
            tnm: [text(12), text(13), text(14)],
            kind: RecordKind::Notification,
            morphology_doubtful: doubtful.contains(&(t(0), t(1))),
        });
        patient_of.push(patient);
    }
    for (record, patient) in claims_diagnoses(w, patients, &index, person_of)? {
        records.push(record);
        patient_of.push(patient);
    }
    let primaries = consolidate(&records);
    write_tables(w, &records, patients, &patient_of, &primaries, person_id)?;
    Ok(Consolidation { records, patient_of, primaries })
}

/// The case-finding records of the claims ([`RecordKind::CaseFinding`]): for each beneficiary
/// and ICD-10 category of a primary malignant neoplasm (with the chronic myeloid neoplasms
/// D45–D47 that ICD-O-3 counts as malignant), the first hospital stay (or
/// chemotherapy or radiotherapy session) with that cancer as its diagnosis, its code turned into
/// ICD-O-3 by [`icd10::to_icdo3`]; the tumour id is `patient-category` (`…-C50`). Secondary
/// neoplasms, in situ and non-cancer codes are not cancers to find.
fn claims_diagnoses(
    w: &Warehouse,
    patients: &[SourcePatient],
    index: &HashMap<(&str, &str), usize>,
    person_of: &[u32],
) -> Result<Vec<(TumourRecord, usize)>, super::Error> {
    let rows = w
        .query(
            "SELECT c.dataset, c.patient_id, c.code, CAST(c.date AS VARCHAR) AS date, p.birth_date \
             FROM care_events c JOIN patients p ON p.dataset = c.dataset AND p.patient_id = c.patient_id \
             WHERE c.source = 'claims' AND (c.code LIKE 'C%' OR c.code LIKE 'D4%') ORDER BY c.dataset, c.patient_id, date, c.code",
        )?
        .rows()?;
    // (patient, category) → the first diagnosis: date, its ICD-O-3 codes, the birth date.
    type Found = (chrono::NaiveDate, (Topography, Morphology, Behaviour), String);
    let mut first: std::collections::BTreeMap<(usize, String), Found> = Default::default();
    for r in &rows {
        let (dataset, patient_id, code) = (r[0].as_text(), r[1].as_text(), r[2].as_text());
        let Some(codes) = icd10::to_icdo3(&code) else { continue };
        let patient = *index.get(&(dataset.as_str(), patient_id.as_str())).ok_or_else(|| {
            format!("care event of patient {patient_id} of data set {dataset}: the patient is not among the linked patients; run `oncodata link` again")
        })?;
        let date: chrono::NaiveDate =
            r[3].as_text().parse().map_err(|e| format!("care event of data set {dataset}: date: {e}"))?;
        // The category: the code's letter and two digits, however the source wrote it.
        let category: String = code.trim().to_ascii_uppercase().replace('.', "").chars().take(3).collect();
        first.entry((patient, category)).or_insert((date, codes, r[4].as_text()));
    }
    let mut out = Vec::with_capacity(first.len());
    for ((patient, category), (date, (topography, morphology, behaviour), birth)) in first {
        let p = &patients[patient];
        out.push((
            TumourRecord {
                person: person_of[patient],
                dataset: p.dataset.clone(),
                tumour_id: format!("{}-{category}", p.patient_id),
                topography,
                morphology,
                behaviour,
                grade: None,
                laterality: None,
                basis: None,
                incidence_date: date,
                age: age_at(&birth, date),
                stage: None,
                tnm: [None, None, None],
                kind: RecordKind::CaseFinding,
                morphology_doubtful: false,
            },
            patient,
        ));
    }
    Ok(out)
}

/// Age in completed years on `date` of a person born on `birth` (ISO text of a possibly partial
/// date, as `patients.birth_date` holds it: `1954-05-12`, `1954-05`, `1954`); an unknown day is
/// taken as the 15th and an unknown month as 1 July, the middle (as `PartialDate` stores a partial
/// incidence date); 0 when the birth year is unknown.
fn age_at(birth: &str, date: chrono::NaiveDate) -> u16 {
    use chrono::Datelike;
    let Some(year) = birth.get(..4).and_then(|y| y.parse::<i32>().ok()) else { return 0 };
    let (month, day) = match birth.get(5..7).and_then(|m| m.parse::<u32>().ok()) {
        Some(m) => (m, birth.get(8..10).and_then(|d| d.parse::<u32>().ok()).unwrap_or(15)),
        None => (7, 1),
    };
    let years = date.year() - year - i32::from((date.month(), date.day()) < (month, day));
    years.clamp(0, 150) as u16
}

impl Consolidation {
    /// The primary of each record (an index of the primaries).
    pub fn primary_of(&self) -> Vec<u32> {
        let mut of = vec![0u32; self.records.len()];
        for (n, p) in self.primaries.iter().enumerate() {
            for m in &p.members {
                of[m.record] = n as u32;
            }
        }
        of
    }

    /// One line for the terminal: records, primaries, how many are reportable and multi-source.
    pub fn summary(&self) -> String {
        let reportable: Vec<&Primary> = self.primaries.iter().filter(|p| p.reportable).collect();
        let notified =
            |p: &Primary| p.members.iter().filter(|m| self.records[m.record].kind == RecordKind::Notification).count();
        let several = reportable.iter().filter(|p| notified(p) > 1).count();
        let claims_only = reportable.iter().filter(|p| notified(p) == 0).count();
        let mut per_person: HashMap<u32, usize> = HashMap::new();
        for p in &reportable {
            *per_person.entry(p.person).or_default() += 1;
        }
        let multiple = per_person.values().filter(|&&n| n > 1).count();
        let found = self.records.iter().filter(|r| r.kind == RecordKind::CaseFinding).count();
        let claims = match found {
            0 => String::new(),
            n => format!(" and {n} claims diagnoses"),
        };
        let claims_only = match claims_only {
            0 => String::new(),
            n => format!(", {n} known from claims diagnoses alone"),
        };
        format!(
            "primaries: {} tumour records{claims} → {} primaries under the IARC/IACR 2004 rules ({} reportable, {} of \
             them from several tumour records{claims_only}; {} persons with more than one reportable primary; {} not \
             reportable: in situ or not malignant) (tables primaries, primary_tumours)",
            self.records.len() - found,
            self.primaries.len(),
            reportable.len(),
            several,
            multiple,
            self.primaries.len() - reportable.len()
        )
    }
}

/// The sex of a primary's person: the one its records agree on, else unknown.
fn person_sex(p: &Primary, patients: &[SourcePatient], patient_of: &[usize]) -> Sex {
    let mut known =
        p.members.iter().filter_map(|m| match Sex::parse(&patients[patient_of[m.record]].values[field::SEX]) {
            Some(Sex::Unknown) | None => None,
            sex => sex,
        });
    match known.next() {
        Some(first) if known.all(|s| s == first) => first,
        _ => Sex::Unknown,
    }
}

/// `primary_id` of a primary: its person's id and its sequence, `P00000012-2`.
fn primary_id(p: &Primary, person_id: &dyn Fn(u32) -> String) -> String {
    format!("{}-{}", person_id(p.person), p.sequence)
}

fn write_tables(
    w: &Warehouse,
    records: &[TumourRecord],
    patients: &[SourcePatient],
    patient_of: &[usize],
    primaries: &[Primary],
    person_id: &dyn Fn(u32) -> String,
) -> Result<(), super::Error> {
    let source = |from: Option<usize>| match from {
        Some(i) => Value::Text(format!("{}:{}", records[i].dataset, records[i].tumour_id)),
        None => Value::Text("IARC Table 1".into()),
    };
    let int = |v: Option<u8>| v.map_or(Value::Null, |v| Value::Int(i64::from(v)));
    let text = |v: &Option<String>| v.as_ref().map_or(Value::Null, |s| Value::Text(s.clone()));
    let sourced = |v: &Option<Sourced<u8>>| match v {
        Some(s) => (Value::Int(i64::from(s.value)), source(s.from)),
        None => (Value::Null, Value::Null),
    };
    let mut rows = Vec::with_capacity(primaries.len());
    let mut members = Vec::with_capacity(records.len());
    for p in primaries {
        let id = primary_id(p, person_id);
        let (topography, morphology) = (p.topography.value, p.morphology.value);
        let mut datasets: Vec<&str> = p.members.iter().map(|m| records[m.record].dataset.as_str()).collect();
        datasets.sort();
        datasets.dedup();
        let (grade, grade_from) = sourced(&p.grade);
        let (laterality, laterality_from) = sourced(&p.laterality);
        let (basis, basis_from) = sourced(&p.basis);
        let (stage, tnm, stage_from) = match &p.stage {
            Some(s) => (text(&s.value.stage), s.value.tnm.clone(), source(s.from)),
            None => (Value::Null, [None, None, None], Value::Null),
        };
        let (b, beh) = (p.behaviour, int(Some(p.behaviour.code())));
        let derived = |v: Option<String>| v.map_or(Value::Null, Value::Text);
        let sex = person_sex(p, patients, patient_of);
        rows.push(vec![
            Value::Text(id.clone()),
            Value::Text(person_id(p.person)),
            Value::Int(i64::from(p.sequence)),
            Value::Bool(p.reportable),
            Value::Int(p.members.len() as i64),
            Value::Text(datasets.join(";")),
            Value::Text(topography.to_string()),
            source(p.topography.from),
            Value::Text(morphology.to_string()),
            source(p.morphology.from),
            beh,
            grade,
            grade_from,
            laterality,
            laterality_from,
            basis,
            basis_from,
            Value::Text(p.incidence_date.value.to_string()),
            Value::Int(i64::from(chrono::Datelike::year(&p.incidence_date.value))),
            source(p.incidence_date.from),
            Value::Int(i64::from(p.age)),
            stage,
            text(&tnm[0]),
            text(&tnm[1]),
            text(&tnm[2]),
            stage_from,
            derived(icd10::from_icdo3(topography, morphology, b, sex).ok()),
            derived(iccc::classify(topography, morphology, b).map(|s| s.subgroup.to_string())),
            derived(site_group::classify(topography, morphology, b).map(|g| g.id.to_string())),
        ]);
        for m in &p.members {
            let r = &records[m.record];
            members.push(vec![
                Value::Text(id.clone()),
                Value::Text(person_id(p.person)),
                Value::Text(r.dataset.clone()),
                Value::Text(r.tumour_id.clone()),
                Value::Text(patients[patient_of[m.record]].patient_id.clone()),
                Value::Bool(m.reason.is_none()),
                m.reason.as_ref().map_or(Value::Null, |reason| Value::Text(reason.to_string())),
                Value::Text(
                    match r.kind {
                        RecordKind::Notification => "notification",
                        RecordKind::CaseFinding => "case-finding",
                    }
                    .into(),
                ),
            ]);
        }
    }
    w.write_rows("primaries", &PRIMARY_COLUMNS, &rows)?;
    w.write_rows(
        "primary_tumours",
        &["primary_id", "person_id", "dataset", "tumour_id", "patient_id", "founder", "rule", "kind"],
        &members,
    )?;
    Ok(())
}

/// The columns of `primaries`; `*_source` names the record a value came from
/// (`dataset:tumour_id`, or `IARC Table 1` for the code of one group's different sites).
pub const PRIMARY_COLUMNS: [&str; 29] = [
    "primary_id",
    "person_id",
    "sequence",
    "reportable",
    "records",
    "datasets",
    "topography",
    "topography_source",
    "morphology",
    "morphology_source",
    "behaviour",
    "grade",
    "grade_source",
    "laterality",
    "laterality_source",
    "basis_of_diagnosis",
    "basis_source",
    "incidence_date",
    "incidence_year",
    "incidence_source",
    "age_at_diagnosis",
    "stage",
    "tnm_t",
    "tnm_n",
    "tnm_m",
    "stage_source",
    "icd10",
    "iccc",
    "site_group",
];

#[cfg(test)]
mod tests {
    use super::age_at;

    /// Ages by hand: a birthday not yet reached, reached, a month-only and a year-only birth.
    #[test]
    fn ages_from_partial_birth_dates() {
        let on = |d: &str| d.parse::<chrono::NaiveDate>().unwrap();
        assert_eq!(age_at("1954-05-12", on("2021-05-11")), 66);
        assert_eq!(age_at("1954-05-12", on("2021-05-12")), 67);
        assert_eq!(age_at("1954-05", on("2021-05-14")), 66, "the 15th of an unknown day");
        assert_eq!(age_at("1954-05", on("2021-05-15")), 67);
        assert_eq!(age_at("1954", on("2021-06-30")), 66, "1 July of an unknown month");
        assert_eq!(age_at("1954", on("2021-07-01")), 67);
        assert_eq!(age_at("", on("2021-07-01")), 0);
    }
}
