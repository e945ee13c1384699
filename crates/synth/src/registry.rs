//! Registry extracts: the ENCR-style CSV of the general registries' départements (or of the
//! national paediatric registries), the same records in NAACCR XML, and the registry's identity
//! file — kept apart from the medical data, as French registries keep them — with each
//! record's registration faults.
//!
//! The extract follows the variables of the JRC-ENCR data set (ENCR call for data; JRC-ENCR
//! Quality Check Software user compendium): `PAT, MoB, YoB, Age, Sex, Geo_Code, TUM, MoI, YoI,
//! BoD, Topo, Morpho, Beh, Grade, Vit_stat, MoF, YoF, Surv_time, Stage` — month and year only
//! for dates, survival time in days, topography as `C509`.

use std::fs::File;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use oncodata_model::Sex;
use rand::Rng;

use crate::SynthError;
use crate::cases::Case;
use crate::faults::{
    FaultKind, FaultRates, UNLIKELY_MORPHOLOGY, corrupt_morphology, corrupt_topography, site_of_other_sex,
};
use crate::identity::{Identity, IdentityFault, apply_identity_fault};
use crate::naaccr::NaaccrWriter;

/// The ENCR-style header, in order.
pub const ENCR_HEADER: [&str; 19] = [
    "PAT",
    "MoB",
    "YoB",
    "Age",
    "Sex",
    "Geo_Code",
    "TUM",
    "MoI",
    "YoI",
    "BoD",
    "Topo",
    "Morpho",
    "Beh",
    "Grade",
    "Vit_stat",
    "MoF",
    "YoF",
    "Surv_time",
    "Stage",
];

/// The header of the registry identity file; its line `n` is the identity of the extract's
/// line `n`.
pub const IDENTITY_HEADER: [&str; 7] = ["PAT", "nir", "surname", "first_name", "birth_date", "sex", "departement"];

pub(crate) fn sex_code(s: Sex) -> &'static str {
    match s {
        Sex::Male => "1",
        Sex::Female => "2",
        Sex::Unknown => "9",
    }
}

/// The ENCR fields of a case under patient number `pat`, before faults.
fn encr_fields(c: &Case, pat: &str) -> Vec<String> {
    let surv = c.last_contact.signed_duration_since(c.incidence_date).num_days();
    vec![
        pat.to_string(),
        c.birth_date.month().to_string(),
        c.birth_date.year().to_string(),
        c.age.to_string(),
        sex_code(c.sex).to_string(),
        // Geo_Code: the commune of residence, as a registry codes it (its département follows).
        if c.commune.is_empty() { c.departement } else { c.commune }.to_string(),
        "01".to_string(),
        c.incidence_date.month().to_string(),
        c.incidence_date.year().to_string(),
        c.basis.to_string(),
        c.topography.replace('.', ""),
        c.morphology.to_string(),
        "3".to_string(),
        c.grade.to_string(),
        if c.dead { "2" } else { "1" }.to_string(),
        c.last_contact.month().to_string(),
        c.last_contact.year().to_string(),
        surv.to_string(),
        c.stage.to_string(),
    ]
}

pub(crate) fn werr(p: &Path) -> impl Fn(csv::Error) -> SynthError + '_ {
    move |e| SynthError::io(p, e.into())
}

pub(crate) fn csv_writer(path: &Path) -> Result<csv::Writer<File>, SynthError> {
    csv::Writer::from_path(path).map_err(|e| SynthError::io(path, e.into()))
}

/// One registry extract being written: ENCR CSV, NAACCR XML and identity file, line for line.
pub struct RegistryExtract {
    /// The ENCR-style CSV.
    pub encr_csv: PathBuf,
    /// The NAACCR XML.
    pub naaccr_xml: PathBuf,
    /// The identity file.
    pub identity_csv: PathBuf,
    encr: csv::Writer<File>,
    identity: csv::Writer<File>,
    xml: NaaccrWriter,
    /// Records written.
    pub records: u64,
}

/// A case as one registry recorded it: its ENCR fields and identity, after faults.
#[derive(Debug, Clone)]
pub struct Registration {
    /// The case as registered (a death-certificate-only case has its incidence moved to death).
    pub case: Case,
    /// ENCR fields.
    pub fields: Vec<String>,
    /// The identity as typed.
    pub identity: Identity,
    /// The registration fault, if any, and the ENCR field it touched.
    pub fault: Option<(FaultKind, &'static str)>,
    /// The identity fault, if any, and the identity field it touched.
    pub identity_fault: Option<(IdentityFault, &'static str)>,
}

/// What a registry makes of a case: no record when it registered it too late (the fault is
/// kept for the truth), otherwise its registration and, for a duplicate, a second
/// registration of the same tumour.
pub struct Registered {
    /// The record(s), in the order written.
    pub records: Vec<Registration>,
    /// A fault that left no record (late registration).
    pub missing: Option<FaultKind>,
}

fn typed_identity(
    rng: &mut impl Rng,
    faults: &FaultRates,
    id: &Identity,
) -> (Identity, Option<(IdentityFault, &'static str)>) {
    let mut typed = id.clone();
    let fault =
        faults.draw_identity(rng).and_then(|f| apply_identity_fault(rng, &mut typed, f).map(|field| (f, field)));
    (typed, fault)
}

/// Registers a case: draws its registration fault and identity fault. `pat` numbers the record;
/// `duplicate_pat` is the number a duplicate gets; `last_year` is the extract's last incidence
/// year (late registrations concern the last two, DCO cases must die within the years).
pub fn register(
    rng: &mut impl Rng,
    faults: &FaultRates,
    case: &Case,
    pat: &str,
    duplicate_pat: &mut dyn FnMut() -> String,
    last_year: i32,
) -> Registered {
    let kind = faults.draw(rng);
    let mut view = case.clone();
    let mut fault_field: Option<(FaultKind, &'static str)> = None;
    match kind {
        Some(FaultKind::LateRegistration) if case.incidence_date.year() >= last_year - 1 => {
            return Registered { records: Vec::new(), missing: Some(FaultKind::LateRegistration) };
        }
        Some(FaultKind::DeathCertificateOnly) if case.dead && case.death_date.year() <= last_year => {
            view.incidence_date = case.death_date;
            view.age = oncodata_model::date::completed_years(case.birth_date, case.death_date) as u16;
            view.basis = 0;
            view.morphology = if case.morphology >= "9590" { case.morphology } else { "8000" };
            view.grade = 9;
            view.stage = if case.stage.is_empty() { "" } else { "X" };
            view.last_contact = case.death_date;
            fault_field = Some((FaultKind::DeathCertificateOnly, "BoD"));
        }
        _ => {}
    }
    let mut fields = encr_fields(&view, pat);
    match kind {
        Some(FaultKind::InvalidTopography) => {
            fields[10] = corrupt_topography(view.topography);
            fault_field = Some((FaultKind::InvalidTopography, "Topo"));
        }
        Some(FaultKind::InvalidMorphology) => {
            fields[11] = corrupt_morphology(rng).to_string();
            fault_field = Some((FaultKind::InvalidMorphology, "Morpho"));
        }
        Some(FaultKind::SexSiteConflict) => {
            fields[10] = site_of_other_sex(view.sex).to_string();
            fault_field = Some((FaultKind::SexSiteConflict, "Topo"));
        }
        Some(FaultKind::BirthAfterIncidence) => {
            fields[2] = (view.incidence_date.year() + 1).to_string();
            fault_field = Some((FaultKind::BirthAfterIncidence, "YoB"));
        }
        Some(FaultKind::MissingValue) => {
            fields[10].clear();
            fault_field = Some((FaultKind::MissingValue, "Topo"));
        }
        Some(FaultKind::UnlikelyCode) if !view.topography.starts_with("C64") => {
            fields[11] = UNLIKELY_MORPHOLOGY.to_string();
            fields[13] = "9".to_string();
            fault_field = Some((FaultKind::UnlikelyCode, "Morpho"));
        }
        _ => {}
    }
    let (identity, identity_fault) = typed_identity(rng, faults, &case.person);
    let mut records =
        vec![Registration { case: view.clone(), fields: fields.clone(), identity, identity_fault, fault: fault_field }];
    if kind == Some(FaultKind::Duplicate) {
        // The same tumour again, from another notification, under a new patient number and
        // with its identity retyped with a typo.
        let fields2 = encr_fields(&view, &duplicate_pat());
        let mut identity2 = case.person.clone();
        let field = apply_identity_fault(rng, &mut identity2, IdentityFault::Typo);
        records.push(Registration {
            case: view,
            fields: fields2,
            identity: identity2,
            identity_fault: field.map(|f| (IdentityFault::Typo, f)),
            fault: Some((FaultKind::Duplicate, "PAT")),
        });
    }
    Registered { records, missing: None }
}

impl RegistryExtract {
    /// Creates the three files `encr_<stem>.csv`, `naaccr_<stem>.xml`, `identity_<stem>.csv`
    /// in `dir`.
    pub fn create(dir: &Path, stem: &str, registry_id: &str) -> Result<Self, SynthError> {
        let encr_csv = dir.join(format!("encr_{stem}.csv"));
        let naaccr_xml = dir.join(format!("naaccr_{stem}.xml"));
        let identity_csv = dir.join(format!("identity_{stem}.csv"));
        let mut encr = csv_writer(&encr_csv)?;
        encr.write_record(ENCR_HEADER).map_err(werr(&encr_csv))?;
        let mut identity = csv_writer(&identity_csv)?;
        identity.write_record(IDENTITY_HEADER).map_err(werr(&identity_csv))?;
        let xml = NaaccrWriter::create(&naaccr_xml, registry_id)?;
        Ok(Self { encr_csv, naaccr_xml, identity_csv, encr, identity, xml, records: 0 })
    }

    /// Writes one registration; returns its line number in the CSV files (the header is line 1)
    /// and its patient number.
    pub fn write(&mut self, r: &Registration) -> Result<u64, SynthError> {
        self.encr.write_record(&r.fields).map_err(werr(&self.encr_csv))?;
        self.xml.write(&r.case, &r.fields)?;
        let id = &r.identity;
        self.identity
            .write_record([
                r.fields[0].as_str(),
                &id.nir,
                &id.surname,
                &id.first_name,
                &id.birth_date.to_string(),
                sex_code(id.sex),
                id.departement,
            ])
            .map_err(werr(&self.identity_csv))?;
        self.records += 1;
        Ok(self.records + 1)
    }

    /// Flushes the files.
    pub fn finish(mut self) -> Result<(), SynthError> {
        self.encr.flush().map_err(|e| SynthError::io(&self.encr_csv, e))?;
        self.identity.flush().map_err(|e| SynthError::io(&self.identity_csv, e))?;
        self.xml.finish()
    }
}

/// The follow-up end of a registry's extract by default: 31 December of the year after the
/// last incidence year.
pub fn default_follow_up_end(last_year: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(last_year + 1, 12, 31)
}
