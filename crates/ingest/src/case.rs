//! One tumour record as every reader hands it to validation, whatever its format, and the
//! validation itself: required variables, formats, code validity, the IARC consistency checks
//! ([`crate::iarc`]) and the date checks, then conversion to ICD-10, ICCC-3 and the site groups.
//!
//! Readers map their own codes to the IARC/ENCR ones (sex 1/2/9, vital status 1/2/9) and their
//! own date layouts to [`PartialDate`] before calling [`validate`]; what they cannot map they
//! pass through as text, so the message names the value found.

use std::borrow::Cow;

use chrono::{Duration, NaiveDate};
use compact_str::ToCompactString;
use oncodata_coding::{Behaviour, CodeError, Morphology, Topography, iccc, icd10, site_group};
use oncodata_model::date::completed_years;
use oncodata_model::{PartialDate, Patient, Provenance, Sex, Text, Tumour, VitalStatus};

use crate::iarc::{self, CodedTumour};
use crate::rules::{Severity, Violation};

/// The source's names of the variables, for messages ("Topo is missing", "primarySite …").
#[derive(Debug, Clone, Copy)]
pub struct Labels {
    /// Patient identifier.
    pub patient_id: &'static str,
    /// Sex.
    pub sex: &'static str,
    /// Birth date.
    pub birth: &'static str,
    /// Age at incidence.
    pub age: &'static str,
    /// Incidence date.
    pub incidence: &'static str,
    /// Topography.
    pub topography: &'static str,
    /// Morphology.
    pub morphology: &'static str,
    /// Behaviour.
    pub behaviour: &'static str,
    /// Grade.
    pub grade: &'static str,
    /// Basis of diagnosis.
    pub basis: &'static str,
    /// Vital status.
    pub vital_status: &'static str,
}

impl Labels {
    /// Generic names, for sources without variable names of their own.
    pub const GENERIC: Labels = Labels {
        patient_id: "patient_id",
        sex: "sex",
        birth: "birth_date",
        age: "age",
        incidence: "incidence_date",
        topography: "topography",
        morphology: "morphology",
        behaviour: "behaviour",
        grade: "grade",
        basis: "basis_of_diagnosis",
        vital_status: "vital_status",
    };
}

/// A tumour record in the IARC/ENCR codes, borrowed from the reader's buffers.
#[derive(Debug, Clone)]
pub struct Case<'a> {
    /// The source's names of the variables.
    pub labels: &'static Labels,
    /// Patient identifier within the source.
    pub patient_id: Option<&'a str>,
    /// Tumour number within the patient (`01` when absent).
    pub tumour_number: Option<&'a str>,
    /// Sex: 1 male, 2 female, 9 unknown.
    pub sex: Option<&'a str>,
    /// Birth date, possibly partial.
    pub birth: Option<PartialDate>,
    /// Age at incidence in completed years; computed from the dates when absent.
    pub age: Option<&'a str>,
    /// Incidence date, possibly partial.
    pub incidence: Option<PartialDate>,
    /// ICD-O-3 topography (`C50.9` or `C509`).
    pub topography: Option<&'a str>,
    /// ICD-O-3 morphology, four digits.
    pub morphology: Option<&'a str>,
    /// ICD-O-3 behaviour digit.
    pub behaviour: Option<&'a str>,
    /// Grade 1–9 (ICD-O-3 sixth digit).
    pub grade: Option<&'a str>,
    /// A 2018+ site-specific grade code and which grade it is ([`Tumour::grade_code`]).
    pub grade_code: Option<(&'a str, &'static str)>,
    /// Sequence number of the tumour among the patient's tumours, as the source codes it.
    pub sequence_number: Option<&'a str>,
    /// Basis of diagnosis 0–9.
    pub basis: Option<&'a str>,
    /// Laterality 0–9.
    pub laterality: Option<&'a str>,
    /// Vital status: 1 alive, 2 dead, 9 unknown.
    pub vital_status: Option<&'a str>,
    /// Date of last contact (or of death when dead).
    pub last_contact: Option<PartialDate>,
    /// Days from incidence to last contact (ENCR `Surv_time`), used when no date is given.
    pub survival_days: Option<&'a str>,
    /// Date of death, when the source has one apart from the last contact.
    pub death: Option<PartialDate>,
    /// Stage group (a reader may normalise the source's code, hence owned or borrowed).
    pub stage: Option<Cow<'a, str>>,
    /// TNM T, N and M categories.
    pub tnm: [Option<Cow<'a, str>>; 3],
    /// Whether stage and TNM are `clinical`, `pathological` or `post-therapy`.
    pub tnm_basis: Option<&'static str>,
    /// TNM edition.
    pub tnm_edition: Option<&'a str>,
    /// Summary stage code and its scheme ([`Tumour::summary_stage_scheme`]).
    pub summary_stage: Option<(&'a str, &'static str)>,
    /// Underlying cause of death code.
    pub cause_of_death: Option<&'a str>,
    /// Residence: a département (or other area code), or an INSEE commune code, whose
    /// département is then taken from it.
    pub departement: Option<&'a str>,
    /// The source's identifiers, `name=value;…`.
    pub source_ids: Text,
}

impl<'a> Case<'a> {
    /// An empty case with these labels.
    pub fn new(labels: &'static Labels) -> Self {
        Self {
            labels,
            patient_id: None,
            tumour_number: None,
            sex: None,
            birth: None,
            age: None,
            incidence: None,
            topography: None,
            morphology: None,
            behaviour: None,
            grade: None,
            grade_code: None,
            sequence_number: None,
            basis: None,
            laterality: None,
            vital_status: None,
            last_contact: None,
            survival_days: None,
            death: None,
            stage: None,
            tnm: [None, None, None],
            tnm_basis: None,
            tnm_edition: None,
            summary_stage: None,
            cause_of_death: None,
            departement: None,
            source_ids: Text::default(),
        }
    }

    /// The tumour's id within its dataset, `PATIENT-TUMOUR`, when the patient is known.
    pub fn tumour_id(&self) -> Option<Text> {
        self.patient_id.map(|p| [p, "-", self.tumour_number.unwrap_or("01")].into_iter().collect())
    }
}

/// What validation found on a record, collected while reading it.
#[derive(Debug, Default)]
pub struct Findings(pub Vec<Violation>);

impl Findings {
    /// Notes a missing mandatory variable.
    pub fn missing(&mut self, name: &str) {
        self.0.push(Violation::error("record.required", format!("{name} is missing")));
    }

    /// Notes a value that is not of its variable's format.
    pub fn format(&mut self, message: String) {
        self.0.push(Violation::error("record.format", message));
    }

    /// A number within `range`, or a `record.format` error.
    pub fn number<T: std::str::FromStr + PartialOrd + std::fmt::Display>(
        &mut self,
        name: &str,
        value: Option<&str>,
        range: std::ops::RangeInclusive<T>,
    ) -> Option<T> {
        let v = value?;
        match v.parse::<T>() {
            Ok(n) if range.contains(&n) => Some(n),
            _ => {
                self.format(format!("{name} '{v}' is not a number from {} to {}", range.start(), range.end()));
                None
            }
        }
    }

    /// A month 1–12, or `None` for 99 / absent (unknown).
    pub fn month(&mut self, name: &str, value: Option<&str>) -> Option<u8> {
        match self.number::<u8>(name, value, 1..=99)? {
            99 => None,
            m @ 1..=12 => Some(m),
            m => {
                self.format(format!("{name} '{m}' is not a month (1-12, 99 unknown)"));
                None
            }
        }
    }

    /// A date `YYYY-MM-DD`, `YYYY-MM` or `YYYY` (ISO 8601 as FHIR and OMOP write it; a time
    /// after `T` is ignored), or `YYYYMMDD` with `99`/blank for unknown parts (NAACCR).
    pub fn date(&mut self, name: &str, value: Option<&str>) -> Option<PartialDate> {
        let v = value?.trim();
        let parsed = parse_date(v);
        if parsed.is_none() {
            self.format(format!("{name} '{v}' is not a date (YYYY-MM-DD or YYYYMMDD)"));
        }
        parsed
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
                self.format(e.to_string());
                None
            }
        }
    }

    /// Whether a finding already concerns the source variable of `label` (its name before any
    /// ` (…)` qualifier), so that a value the reader could not read is not also called missing.
    fn reported(&self, label: &str) -> bool {
        let name = label.split(" (").next().unwrap_or(label);
        self.0.iter().any(|v| v.message.starts_with(name))
    }

    fn required<'v>(&mut self, name: &str, value: Option<&'v str>) -> Option<&'v str> {
        if value.is_none() && !self.reported(name) {
            self.missing(name);
        }
        value
    }

    /// Whether an error was found.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|v| v.severity == Severity::Error)
    }
}

/// Reads an ISO date (`2021-03-04`, `2021-03`, `2021`, with an optional time) or a NAACCR date
/// (`20210304`, `202103`, `2021`, with `99` or blanks for unknown month or day).
pub fn parse_date(v: &str) -> Option<PartialDate> {
    let v = v.split('T').next().unwrap_or(v).trim_end();
    let (y, m, d) = if v.contains('-') {
        let mut parts = v.split('-');
        (parts.next()?, parts.next(), parts.next())
    } else if v.len() >= 4 && v.is_ascii() {
        let (y, rest) = v.split_at(4);
        let (m, d) = if rest.len() >= 2 { (Some(&rest[..2]), Some(&rest[2..])) } else { (Some(rest), None) };
        (y, m.filter(|s| !s.is_empty()), d.filter(|s| !s.is_empty()))
    } else {
        return None;
    };
    if y.len() != 4 {
        return None;
    }
    let year: i32 = y.parse().ok()?;
    let part = |p: Option<&str>, max: u8| -> Result<Option<u8>, ()> {
        match p.map(str::trim) {
            None | Some("") | Some("99") => Ok(None),
            Some(s) if s.len() == 2 => s.parse::<u8>().ok().filter(|n| (1..=max).contains(n)).map(Some).ok_or(()),
            Some(_) => Err(()),
        }
    };
    let month = part(m, 12).ok()?;
    let day = if month.is_some() { part(d, 31).ok()? } else { None };
    let date = PartialDate { year, month, day };
    if day.is_some() && date.to_date().is_none() {
        return None;
    }
    Some(date)
}

/// The codes derived from a tumour's ICD-O-3 codes: ICD-10 (or why there is none), the ICCC-3
/// subgroup and the site group.
#[derive(Clone)]
struct Derived {
    icd10: Result<Text, String>,
    iccc: Option<Text>,
    site_group: Option<Text>,
}

/// [`Derived`] for a combination of codes, memoised per thread: the tumours of a registry share
/// a few thousand combinations, so the conversion tables are searched once per combination
/// rather than once per tumour.
fn derived_codes(topo: Topography, morpho: Morphology, beh: Behaviour, sex: Sex) -> Derived {
    type Memo =
        std::collections::HashMap<(Topography, Morphology, Behaviour, Sex), Derived, foldhash::fast::FixedState>;
    thread_local! {
        static MEMO: std::cell::RefCell<Memo> = std::cell::RefCell::default();
    }
    MEMO.with_borrow_mut(|memo| {
        memo.entry((topo, morpho, beh, sex))
            .or_insert_with(|| Derived {
                icd10: icd10::from_icdo3(topo, morpho, beh, sex).map(|c| Text::new(&c)).map_err(|e| e.to_string()),
                iccc: iccc::classify(topo, morpho, beh).map(|s| Text::const_new(s.subgroup)),
                site_group: site_group::classify(topo, morpho, beh).map(|g| Text::const_new(g.id)),
            })
            .clone()
    })
}

/// A validated record: the patient, the tumour and the warnings raised on it.
pub type Accepted = (Patient, Tumour, Vec<Violation>);
/// A rejected record: every violation found, and the tumour id when it could be read.
pub type Rejected = (Vec<Violation>, Option<String>);

/// Validates a case. `findings` carries what the reader already found (format errors of its
/// own layout); `today` bounds dates. Every missing or malformed mandatory variable, invalid
/// code and inconsistent date is an error; the IARC combination checks add warnings (and the
/// grade check an error).
pub fn validate(case: &Case, mut f: Findings, provenance: &Provenance, today: NaiveDate) -> Result<Accepted, Rejected> {
    let l = case.labels;
    let record_id = case.tumour_id();
    let pat = f.required(l.patient_id, case.patient_id);
    let sex = f.required(l.sex, case.sex).and_then(|s| match s {
        "1" => Some(Sex::Male),
        "2" => Some(Sex::Female),
        "9" => Some(Sex::Unknown),
        _ => {
            f.format(format!("{} '{s}' is not 1, 2 or 9", l.sex));
            None
        }
    });
    // A date the reader could not read is already reported under its name.
    for (label, date) in [(l.birth, case.birth), (l.incidence, case.incidence)] {
        if date.is_none() && !f.reported(label) {
            f.missing(label);
        }
    }
    let age = f.number::<u16>(l.age, case.age, 0..=130);
    let topo = f.required(l.topography, case.topography);
    let topo = topo.and_then(|t| f.code("iarc.topography", Topography::parse_valid(t)));
    let morpho = f.required(l.morphology, case.morphology);
    let morpho = morpho.and_then(|m| f.code("iarc.morphology", Morphology::parse_valid(m)));
    let beh = f.required(l.behaviour, case.behaviour).and_then(|b| match Behaviour::parse(b) {
        Ok(b) if b.is_registrable() => Some(b),
        Ok(b) => {
            f.0.push(Violation::error(
                "iarc.behaviour",
                format!("behaviour /{b} is a metastatic or uncertain-primary code; registries record the primary tumour (0-3)"),
            ));
            None
        }
        Err(e) => {
            f.format(e.to_string());
            None
        }
    });
    let grade = f.number::<u8>(l.grade, case.grade, 1..=9);
    // The 2018+ grade codes (NAACCR Grade Clinical/Pathological/Post Therapy, items 3843-3845
    // and 1068) and the SEER Summary Stage codes (items 764, 759, 760, 762, 3020, 762).
    if let Some((code, scheme)) = case.grade_code
        && !matches!(
            code,
            "1" | "2" | "3" | "4" | "5" | "8" | "9" | "A" | "B" | "C" | "D" | "E" | "H" | "L" | "M" | "S"
        )
    {
        f.format(format!("{scheme} grade '{code}' is not a grade code (1-5, 8, 9, A-E, H, L, M, S)"));
    }
    if let Some((code, scheme)) = case.summary_stage
        && !matches!(code, "0" | "1" | "2" | "3" | "4" | "5" | "7" | "8" | "9")
    {
        f.format(format!("summary stage ({scheme}) '{code}' is not a summary stage code (0-5, 7, 8, 9)"));
    }
    let basis = f.number::<u8>(l.basis, case.basis, 0..=9);
    let laterality = f.number::<u8>("laterality", case.laterality, 0..=9);
    let vital = match case.vital_status {
        None | Some("9") => VitalStatus::Unknown,
        Some("1") => VitalStatus::Alive,
        Some("2") => VitalStatus::Dead,
        Some(v) => {
            f.format(format!("{} '{v}' is not 1, 2 or 9", l.vital_status));
            VitalStatus::Unknown
        }
    };
    let surv = f.number::<i64>("Surv_time", case.survival_days, i64::MIN..=i64::MAX);

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

    // Dates (IARC age/incidence/birth and last-contact checks).
    let (birth, incidence) = (case.birth, case.incidence);
    let mut age_years = age;
    if let (Some(b), Some(i)) = (birth, incidence) {
        let (b_lo, b_hi) = b.bounds();
        let (i_lo, i_hi) = i.bounds();
        let youngest = completed_years(b_hi, i_lo).max(0);
        let oldest = completed_years(b_lo, i_hi);
        if b_lo > i_hi {
            f.0.push(Violation::error("date.birth-incidence", format!("birth {b} is after incidence {i}")));
        } else if let Some(age) = age {
            if !(youngest..=oldest).contains(&(age as i32)) {
                f.0.push(Violation::error(
                    "date.age-incidence",
                    format!("age {age} does not agree with birth {b} and incidence {i} (age {youngest} to {oldest})"),
                ));
            }
        } else {
            age_years = u16::try_from(completed_years(b.midpoint(), i.midpoint()).clamp(youngest, oldest)).ok();
        }
    }
    for (what, d) in [("incidence", incidence), ("birth", birth), ("death", case.death)] {
        if let Some(d) = d
            && d.bounds().0 > today
        {
            f.0.push(Violation::error("date.future", format!("{what} {d} is after today {today}")));
        }
    }
    let incidence_date = incidence.map(|i| i.midpoint());
    let last_contact = match (surv, incidence_date, case.last_contact) {
        (Some(days), Some(inc), _) => {
            if days < 0 {
                f.0.push(Violation::error("date.last-contact", format!("Surv_time {days} is negative")));
                None
            } else {
                Some(inc + Duration::days(days))
            }
        }
        (None, Some(inc), Some(d)) => {
            if d.bounds().1 < incidence.expect("incidence is known here").bounds().0 {
                f.0.push(Violation::error("date.last-contact", format!("last contact {d} is before incidence")));
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
        f.0.push(Violation::error("date.last-contact", format!("last contact {lc} is after today {today}")));
    }
    let death_date = match case.death {
        Some(d) => Some(d.midpoint().max(incidence_date.unwrap_or(NaiveDate::MIN))),
        None => (vital == VitalStatus::Dead).then_some(last_contact).flatten(),
    };
    let vital = if case.death.is_some() { VitalStatus::Dead } else { vital };

    // The combination checks read the age: only when it agrees with the dates.
    let age_trusted = !f.0.iter().any(|v| matches!(v.rule, "date.birth-incidence" | "date.age-incidence"));
    if let (true, Some(sex), Some(age), Some(topography), Some(morphology), Some(behaviour)) =
        (age_trusted, sex, age_years, topo, morpho, beh)
    {
        iarc::check(&CodedTumour { sex, age, topography, morphology, behaviour, grade, basis }, &mut f.0);
    }

    if f.has_errors() {
        return Err((f.0, record_id.map(String::from)));
    }
    let (Some(pat), Some(sex), Some(birth), Some(incidence_date), Some(topo), Some(morpho), Some(beh)) =
        (pat, sex, birth, incidence_date, topo, morpho, beh)
    else {
        unreachable!("every missing field raised an error");
    };
    let Some(age) = age_years else { unreachable!("age is given or computed from the dates") };

    let derived = derived_codes(topo, morpho, beh, sex);
    let icd10 = match derived.icd10 {
        Ok(c) => Some(c),
        Err(e) => {
            f.0.push(Violation::warning("code.icd10", e));
            None
        }
    };
    let tumour_id = record_id.expect("the patient id is known");
    let text = |v: Option<&str>| v.filter(|s| !s.is_empty()).map(Text::new);
    let patient_id = Text::new(pat);
    // A residence coded to the commune (`50502`) gives its département too.
    let (departement, commune) = match case.departement.map(oncodata_coding::commune::split_residence) {
        Some((d, c)) => (Some(d), c),
        None => (None, None),
    };
    let patient = Patient {
        patient_id: patient_id.clone(),
        sex,
        birth_date: birth,
        departement: text(departement),
        commune: text(commune),
        vital_status: vital,
        last_contact,
        death_date,
        cause_of_death: text(case.cause_of_death),
        provenance: provenance.clone(),
    };
    let tumour = Tumour {
        tumour_id,
        patient_id,
        topography: topo.to_compact_string(),
        morphology: morpho.to_compact_string(),
        behaviour: beh.code(),
        grade,
        grade_code: case.grade_code.map(|(c, _)| Text::new(c)),
        grade_scheme: case.grade_code.map(|(_, s)| Text::const_new(s)),
        laterality,
        basis_of_diagnosis: basis,
        incidence_date,
        incidence_date_precision: Text::const_new(incidence.map_or("day", |i| i.precision())),
        sequence_number: text(case.sequence_number),
        age_at_diagnosis: age,
        tnm_t: text(case.tnm[0].as_deref()),
        tnm_n: text(case.tnm[1].as_deref()),
        tnm_m: text(case.tnm[2].as_deref()),
        stage: text(case.stage.as_deref()).filter(|s| s != "X"),
        tnm_basis: case.tnm_basis.map(Text::const_new),
        tnm_edition: text(case.tnm_edition),
        summary_stage: case.summary_stage.map(|(c, _)| Text::new(c)),
        summary_stage_scheme: case.summary_stage.map(|(_, s)| Text::const_new(s)),
        icd10,
        iccc: derived.iccc,
        site_group: derived.site_group,
        source_ids: case.source_ids.clone(),
        provenance: provenance.clone(),
    };
    Ok((patient, tumour, f.0))
}

#[cfg(test)]
mod tests;
