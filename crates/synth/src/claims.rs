//! The national claims extract, shaped like France's national health data system (SNDS) as the
//! national cancer platform receives it: every person with a cancer, under the pseudonym the
//! claims system gives them, with their hospital stays (PMSI MCO), the procedures of those
//! stays and their community-pharmacy dispensations (DCIR).
//!
//! Tables and columns keep the SNDS names (documentation of the SNDS, *dictionnaire des
//! variables*, health-data-hub): `IR_BEN_R` beneficiaries (`BEN_NIR_PSA, BEN_SEX_COD,
//! BEN_NAI_ANN, BEN_NAI_MOI, BEN_RES_DPT, BEN_DCD_DTE`), PMSI MCO stays (`NIR_ANO_17, ETA_NUM,
//! RSA_NUM, EXE_SOI_DTD, EXE_SOI_DTF, DGN_PAL, DGN_REL, NBR_SEA`; chemotherapy sessions have
//! principal diagnosis Z51.1 and radiotherapy Z51.0 with the cancer as related diagnosis),
//! procedures (`ETA_NUM, RSA_NUM, CDC_ACT, ENT_DAT_DEL`) and dispensations (`BEN_NIR_PSA,
//! EXE_SOI_DTD, PHA_ATC_C07, PHA_ACT_QSN`). Dates are ISO. The pseudonym is
//! [`crate::identity::claims_pseudonym`].

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use chrono::{Datelike, Duration};
use rand::Rng;

use crate::SynthError;
use crate::cases::Case;
use crate::pathway::TreatmentKind;
use crate::registry::{csv_writer, sex_code};

/// The procedure code of a cancer operation by site group, in the shape of the French CCAM
/// (four letters and three digits). These are the generator's own codes for one operation per
/// site group, listed here so that readers of the extract can decode them; they are not taken
/// from the CCAM nomenclature.
pub const SURGERY_CODES: [(&str, &str); 12] = [
    ("breast", "QEFA001"),
    ("colorectum", "HHFA002"),
    ("lung", "GFFA003"),
    ("prostate", "JGFA004"),
    ("kidney", "JAFA005"),
    ("bladder", "JDFA006"),
    ("stomach", "HFFA007"),
    ("pancreas", "HNFA008"),
    ("thyroid", "KCFA009"),
    ("corpus_uteri", "JKFA010"),
    ("ovary", "JJFA011"),
    ("melanoma", "QZFA012"),
];

/// The procedure code of any other cancer operation.
pub const OTHER_SURGERY_CODE: &str = "ZZFA099";

/// The claims extract being written.
pub struct ClaimsWriter {
    /// The directory of the tables.
    pub dir: PathBuf,
    beneficiaries: csv::Writer<File>,
    stays: csv::Writer<File>,
    procedures: csv::Writer<File>,
    dispensations: csv::Writer<File>,
    next_stay: u64,
    /// Beneficiaries written.
    pub persons: u64,
}

fn w<T>(path: &Path, r: Result<T, csv::Error>) -> Result<T, SynthError> {
    r.map_err(|e| SynthError::io(path, e.into()))
}

/// File name of the beneficiaries table.
pub const BENEFICIARIES: &str = "beneficiaries.csv";

impl ClaimsWriter {
    /// Creates the four tables in `dir`.
    pub fn create(dir: &Path) -> Result<Self, SynthError> {
        fs::create_dir_all(dir).map_err(|e| SynthError::io(dir, e))?;
        let open = |name: &str, header: &[&str]| -> Result<csv::Writer<File>, SynthError> {
            let path = dir.join(name);
            let mut wr = csv_writer(&path)?;
            w(&path, wr.write_record(header))?;
            Ok(wr)
        };
        Ok(Self {
            dir: dir.to_path_buf(),
            beneficiaries: open(
                BENEFICIARIES,
                &["BEN_NIR_PSA", "BEN_SEX_COD", "BEN_NAI_ANN", "BEN_NAI_MOI", "BEN_RES_DPT", "BEN_DCD_DTE"],
            )?,
            stays: open(
                "pmsi_mco_stays.csv",
                &["NIR_ANO_17", "ETA_NUM", "RSA_NUM", "EXE_SOI_DTD", "EXE_SOI_DTF", "DGN_PAL", "DGN_REL", "NBR_SEA"],
            )?,
            procedures: open("pmsi_mco_procedures.csv", &["ETA_NUM", "RSA_NUM", "CDC_ACT", "ENT_DAT_DEL"])?,
            dispensations: open(
                "dcir_dispensations.csv",
                &["BEN_NIR_PSA", "EXE_SOI_DTD", "PHA_ATC_C07", "PHA_ACT_QSN"],
            )?,
            next_stay: 0,
            persons: 0,
        })
    }

    /// Writes a person and their cancer care: returns the person's line in the beneficiaries
    /// table. `key` is the claims pseudonym, `icd10` the cancer's ICD-10 code, `establishment`
    /// where they were treated.
    pub fn write(
        &mut self,
        rng: &mut impl Rng,
        case: &Case,
        key: &str,
        icd10: &str,
        establishment: &str,
    ) -> Result<u64, SynthError> {
        let death = if case.dead { case.death_date.to_string() } else { String::new() };
        let path = self.dir.join(BENEFICIARIES);
        w(
            &path,
            self.beneficiaries.write_record([
                key,
                sex_code(case.sex),
                &case.birth_date.year().to_string(),
                &case.birth_date.month().to_string(),
                case.departement,
                &death,
            ]),
        )?;
        self.persons += 1;
        let line = self.persons + 1;
        let end = case.last_contact;
        let p = &case.pathway;
        // A diagnostic stay when nothing else brings the patient to hospital soon.
        let surgery = p.treatments.iter().any(|t| t.kind == TreatmentKind::Surgery);
        if !surgery && (p.treatments.is_empty() || rng.random::<f64>() < 0.4) && p.diagnosis <= end {
            let stay_end = p.diagnosis + Duration::days(rng.random_range(0..4));
            self.stay(key, establishment, p.diagnosis, stay_end, icd10, "", 1)?;
        }
        for t in &p.treatments {
            match t.kind {
                TreatmentKind::Surgery => {
                    let stay_end = t.start + Duration::days(rng.random_range(1..12));
                    let rsa = self.stay(key, establishment, t.start, stay_end, icd10, "", 1)?;
                    let code = SURGERY_CODES
                        .iter()
                        .find(|(s, _)| *s == case.site_group)
                        .map_or(OTHER_SURGERY_CODE, |(_, c)| *c);
                    let path = self.dir.join("pmsi_mco_procedures.csv");
                    w(&path, self.procedures.write_record([establishment, &rsa, code, "0"]))?;
                }
                TreatmentKind::Chemotherapy => {
                    for d in t.session_dates(end) {
                        self.stay(key, establishment, d, d, "Z511", icd10, 1)?;
                    }
                }
                TreatmentKind::Radiotherapy => {
                    if let Some((first, last, n)) = t.span(end) {
                        self.stay(key, establishment, first, last, "Z510", icd10, n as u32)?;
                    }
                }
                TreatmentKind::HormoneTherapy => {
                    let path = self.dir.join("dcir_dispensations.csv");
                    for d in t.session_dates(end) {
                        w(&path, self.dispensations.write_record([key, &d.to_string(), t.atc.unwrap_or(""), "1"]))?;
                    }
                }
            }
        }
        Ok(line)
    }

    #[allow(clippy::too_many_arguments)]
    fn stay(
        &mut self,
        key: &str,
        establishment: &str,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
        principal: &str,
        related: &str,
        sessions: u32,
    ) -> Result<String, SynthError> {
        self.next_stay += 1;
        let rsa = format!("{:010}", self.next_stay);
        let path = self.dir.join("pmsi_mco_stays.csv");
        w(
            &path,
            self.stays.write_record([
                key,
                establishment,
                &rsa,
                &from.to_string(),
                &to.to_string(),
                principal,
                related,
                &sessions.to_string(),
            ]),
        )?;
        Ok(rsa)
    }

    /// Flushes the tables.
    pub fn finish(mut self) -> Result<(), SynthError> {
        for (name, wr) in [
            (BENEFICIARIES, &mut self.beneficiaries),
            ("pmsi_mco_stays.csv", &mut self.stays),
            ("pmsi_mco_procedures.csv", &mut self.procedures),
            ("dcir_dispensations.csv", &mut self.dispensations),
        ] {
            wr.flush().map_err(|e| SynthError::io(&self.dir.join(name), e))?;
        }
        Ok(())
    }
}

/// The ICD-10 code of a case's tumour, without the dot (`C509`), as the PMSI writes it.
pub fn icd10_of(case: &Case) -> String {
    use oncodata_coding::{Behaviour, Morphology, Topography};
    let t = Topography::parse_valid(case.topography).expect("generator topography");
    let m = Morphology::parse_valid(case.morphology).expect("generator morphology");
    oncodata_coding::icd10::from_icdo3(t, m, Behaviour::Malignant, case.sex)
        .map(|c| c.replace('.', ""))
        .unwrap_or_else(|_| "C809".to_string())
}
