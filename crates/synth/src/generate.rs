//! The whole synthetic data set: cases drawn département by département and year by year, each
//! written at once into every source that would know it, with the truth beside them.
//!
//! ```text
//! DIR/population.csv, life_table.csv        denominators and population mortality
//! DIR/mortality.csv                         cancer deaths by cause (area, year, sex, age group)
//! DIR/registry/encr_<area>_<years>.csv      general registries (registry départements only)
//!             naaccr_<area>_<years>.xml     the same records in NAACCR XML
//!             identity_<area>_<years>.csv   their identities, line for line
//!             encr_paediatric_<years>.csv   national paediatric registries (all départements,
//!             (+ naaccr_, identity_)        ages 0-17), the same three files
//! DIR/claims/                               SNDS-shaped claims of every cancer patient
//! DIR/hospitals/omop/<centre>/*.csv         OMOP CDM 5.4 extracts of some cancer centres
//! DIR/hospitals/fhir/<centre>.ndjson        FHIR R4 mCODE bundles of others
//! DIR/screening/                            colorectal screening and HPV vaccination
//! DIR/secrets/claims_pseudonym.key          the claims authority's pseudonymisation key (0600)
//! DIR/truth/                                persons, tumours, records, faults, net survival,
//!                                           clusters, area effects, programme rates
//! ```
//!
//! Memory stays bounded: nothing is kept across département-years but counters.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use oncodata_coding::AgeGroup;
use oncodata_model::Sex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sha2::{Digest, Sha256};

use crate::SynthError;
use crate::area::AreaRisk;
use crate::cases::{
    AGE_BANDS, Case, Cell, IncidenceModel, STAGE_HAZARD, draw_cases, mix_net_survival, national_band_weights,
};
use crate::claims::{ClaimsWriter, icd10_of};
use crate::faults::FaultRates;
use crate::fhir::FhirWriter;
use crate::identity::claims_pseudonym;
use crate::omop::OmopWriter;
use crate::params::{CENTRES, Departement, WarehouseFormat, departement};
use crate::population::{denominators, persons};
use crate::registry::{RegistryExtract, csv_writer, register, sex_code};

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthConfig {
    /// INSEE codes of the départements simulated (the country, or part of it).
    pub departements: Vec<String>,
    /// First incidence year.
    pub first_year: i32,
    /// Last incidence year (inclusive).
    pub last_year: i32,
    /// Date at which follow-up ends (vital status is known up to it).
    pub follow_up_end: NaiveDate,
    /// Random seed.
    pub seed: u64,
    /// Fault rates.
    pub faults: FaultRates,
    /// Population scale: 1.0 is the real population of the départements; 0.01 a hundredth.
    pub scale: f64,
    /// Write the general registries' extract for every simulated département, as if the whole
    /// country were covered (national-scale benchmarks), instead of only those with a registry.
    pub registries_everywhere: bool,
    /// The null geography: no area effects and no planted clusters (risk is the same in every
    /// commune), to test that cluster detection finds nothing where there is nothing.
    pub null_geography: bool,
}

/// Age under which the national paediatric registries record a cancer (RNHE and RNTSE: 0-17).
pub const PAEDIATRIC_AGE_LIMIT: u16 = 18;

/// Planted clusters per data set.
pub const CLUSTERS: usize = 3;

impl SynthConfig {
    /// The demo's data: the Manche département (general cancer registry of the Manche),
    /// incidence 2021–2022, followed up to the end of 2023, about 6,000 tumours.
    pub fn demo(seed: u64) -> Self {
        Self {
            departements: vec!["50".into()],
            first_year: 2021,
            last_year: 2022,
            follow_up_end: NaiveDate::from_ymd_opt(2023, 12, 31).expect("date"),
            seed,
            faults: FaultRates::default(),
            scale: 1.0,
            registries_everywhere: false,
            null_geography: false,
        }
    }

    fn resolve(&self) -> Result<Vec<&'static Departement>, SynthError> {
        if !(self.scale > 0.0 && self.scale <= 10.0) {
            return Err(SynthError::Config(format!("scale {} must be in (0, 10]", self.scale)));
        }
        if self.first_year > self.last_year {
            return Err(SynthError::Config(format!("empty year range {}-{}", self.first_year, self.last_year)));
        }
        if self.follow_up_end.year() < self.last_year {
            return Err(SynthError::Config(format!(
                "follow-up end {} is before the last incidence year {}",
                self.follow_up_end, self.last_year
            )));
        }
        self.departements
            .iter()
            .map(|c| departement(c).ok_or_else(|| SynthError::Config(format!("unknown département '{c}'"))))
            .collect()
    }
}

/// The files written and their counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    /// The départements the general registries' extract covers (its coverage, over the
    /// configuration's years).
    pub registry_areas: Vec<String>,
    /// The first and last years of diagnosis generated.
    pub registry_years: (i32, i32),
    /// The general registries' ENCR-style CSV (`None` when no simulated département has one).
    pub encr_csv: Option<PathBuf>,
    /// Its NAACCR XML twin.
    pub naaccr_xml: Option<PathBuf>,
    /// Its identity file.
    pub identity_csv: Option<PathBuf>,
    /// The paediatric registries' ENCR-style CSV.
    pub paediatric_csv: PathBuf,
    /// The claims tables' directory.
    pub claims_dir: PathBuf,
    /// The OMOP extracts' directories.
    pub omop_dirs: Vec<PathBuf>,
    /// The FHIR NDJSON files.
    pub fhir_files: Vec<PathBuf>,
    /// The screening and vaccination tables' directory.
    pub screening_dir: PathBuf,
    /// Population denominators (`area,year,sex,age_group,persons`).
    pub population_csv: PathBuf,
    /// The population life table the deaths were drawn from (`age,sex,year,hazard`).
    pub life_table_csv: PathBuf,
    /// Cancer deaths by underlying cause (`area,year,sex,age_group,cause,deaths`), see
    /// [`CancerDeaths`].
    pub mortality_csv: PathBuf,
    /// The truth directory.
    pub truth_dir: PathBuf,
    /// `truth/faults.csv`.
    pub faults_csv: PathBuf,
    /// `truth/net_survival.csv`.
    pub net_survival_csv: PathBuf,
    /// Tumours (= persons) generated.
    pub tumours: u64,
    /// Records in the general registries' extract.
    pub registry_records: u64,
    /// Records in the paediatric extract.
    pub paediatric_records: u64,
    /// Records in any extract carrying a planted fault (registration or identity).
    pub faulty: u64,
    /// Records written across all sources (registry rows, claims rows of persons, hospital
    /// patients).
    pub source_records: u64,
}

/// The claims authority's key, derived from the seed so that output is reproducible; written
/// to `secrets/claims_pseudonym.key` and never printed.
fn claims_key(seed: u64) -> [u8; 32] {
    Sha256::digest(format!("oncodata synthetic claims pseudonymisation key {seed}").as_bytes()).into()
}

fn write_secret(path: &Path, key: &[u8]) -> Result<(), SynthError> {
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| SynthError::io(path, e))?;
        f.write_all(hex.as_bytes()).map_err(|e| SynthError::io(path, e))
    }
    #[cfg(not(unix))]
    fs::write(path, hex).map_err(|e| SynthError::io(path, e))
}

struct Truth {
    dir: PathBuf,
    persons: csv::Writer<fs::File>,
    tumours: csv::Writer<fs::File>,
    records: csv::Writer<fs::File>,
    faults: csv::Writer<fs::File>,
}

fn flag(b: bool) -> &'static String {
    static ONE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| "1".to_string());
    static ZERO: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| "0".to_string());
    if b { &ONE } else { &ZERO }
}

fn opt(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

impl Truth {
    fn create(dir: &Path) -> Result<Self, SynthError> {
        let open = |name: &str, header: &[&str]| -> Result<csv::Writer<fs::File>, SynthError> {
            let p = dir.join(name);
            let mut w = csv_writer(&p)?;
            w.write_record(header).map_err(|e| SynthError::io(&p, e.into()))?;
            Ok(w)
        };
        Ok(Self {
            dir: dir.to_path_buf(),
            persons: open(
                "persons.csv",
                &[
                    "person_id",
                    "nir",
                    "surname",
                    "first_name",
                    "birth_date",
                    "sex",
                    "departement",
                    "commune",
                    "death_date",
                    "claims_person_key",
                ],
            )?,
            tumours: open(
                "tumours.csv",
                &[
                    "tumour_id",
                    "person_id",
                    "incidence_date",
                    "age",
                    "site_group",
                    "childhood_type",
                    "iccc_subgroup",
                    "topography",
                    "morphology",
                    "stage",
                    "basis",
                    "excess_hazard",
                    "in_cluster",
                    "poor_prognosis",
                    "first_contact",
                    "mdt",
                    "treatment_proposal",
                    "first_treatment",
                    "treatments",
                    "dead",
                    "last_contact",
                ],
            )?,
            records: open("records.csv", &["file", "record", "record_id", "person_id", "tumour_id"])?,
            faults: open("faults.csv", &["file", "record", "record_id", "person_id", "fault", "field"])?,
        })
    }

    fn err(&self, name: &str) -> impl Fn(csv::Error) -> SynthError + '_ {
        let p = self.dir.join(name);
        move |e| SynthError::io(&p, e.into())
    }

    fn case(&mut self, c: &Case, key: &str) -> Result<(), SynthError> {
        let id = c.number.to_string();
        let death = if c.dead { c.death_date.to_string() } else { String::new() };
        let p = &c.person;
        self.persons
            .write_record([
                &id,
                &p.nir,
                &p.surname,
                &p.first_name,
                &p.birth_date.to_string(),
                sex_code(c.sex),
                c.departement,
                c.commune,
                &death,
                key,
            ])
            .map_err(self.err("persons.csv"))?;
        let iccc = {
            use oncodata_coding::{Behaviour, Morphology, Topography};
            match (Topography::parse_valid(c.topography), Morphology::parse_valid(c.morphology)) {
                (Ok(t), Ok(m)) => {
                    oncodata_coding::iccc::classify(t, m, Behaviour::Malignant).map_or("", |s| s.subgroup)
                }
                _ => "",
            }
        };
        let pw = &c.pathway;
        let treatments: Vec<&str> = pw.treatments.iter().map(|t| t.kind.label()).collect();
        self.tumours
            .write_record([
                &id,
                &id,
                &c.incidence_date.to_string(),
                &c.age.to_string(),
                c.site_group,
                c.childhood_type.unwrap_or(""),
                iccc,
                c.topography,
                c.morphology,
                c.stage,
                &c.basis.to_string(),
                &c.excess_hazard.to_string(),
                flag(c.in_cluster),
                flag(pw.poor_prognosis),
                &pw.first_contact.to_string(),
                &opt(pw.mdt),
                &opt(pw.proposal),
                &opt(pw.first_treatment()),
                &treatments.join(";"),
                flag(c.dead),
                &c.last_contact.to_string(),
            ])
            .map_err(self.err("tumours.csv"))?;
        Ok(())
    }

    fn record(&mut self, file: &str, record: u64, record_id: &str, c: &Case) -> Result<(), SynthError> {
        let id = c.number.to_string();
        self.records.write_record([file, &record.to_string(), record_id, &id, &id]).map_err(self.err("records.csv"))
    }

    fn fault(
        &mut self,
        file: &str,
        record: Option<u64>,
        record_id: &str,
        c: &Case,
        fault: &str,
        field: &str,
    ) -> Result<(), SynthError> {
        self.faults
            .write_record([
                file,
                &record.map(|r| r.to_string()).unwrap_or_default(),
                record_id,
                &c.number.to_string(),
                fault,
                field,
            ])
            .map_err(self.err("faults.csv"))
    }

    fn finish(mut self) -> Result<(), SynthError> {
        for (name, w) in [
            ("persons.csv", &mut self.persons),
            ("tumours.csv", &mut self.tumours),
            ("records.csv", &mut self.records),
            ("faults.csv", &mut self.faults),
        ] {
            w.flush().map_err(|e| SynthError::io(&self.dir.join(name), e))?;
        }
        Ok(())
    }
}

/// The synthetic population's cancer deaths, as a death-registration system would count them:
/// a case that dies within the generated years dies of its cancer with probability
/// `excess / (excess + population hazard at the age of death)` — the share of the cancer in
/// the competing hazards at that instant — and is then counted under its ICD-10 code (three
/// characters) by département, year and sex, and age group at death. Only the cases
/// diagnosed within the generated years exist, so the first years' deaths lack those of
/// patients diagnosed before: their M:I ratios are lower than a real registry's. The draws
/// come from a stream of their own, so the other outputs do not change with it.
struct CancerDeaths {
    rng: ChaCha8Rng,
    cells: std::collections::BTreeMap<(&'static str, i32, &'static str, AgeGroup, String), u64>,
}

impl CancerDeaths {
    fn new(seed: u64) -> Self {
        Self { rng: ChaCha8Rng::seed_from_u64(seed ^ 0x6d6f_7274_616c_6974), cells: Default::default() }
    }

    fn record(&mut self, case: &Case, years: &[i32]) {
        let u: f64 = self.rng.random();
        let year = case.death_date.year();
        if !years.contains(&year) {
            return;
        }
        let age_days = (case.death_date - case.birth_date).num_days().max(0) as f64;
        let age = age_days / 365.25;
        let background = crate::cases::population_hazard(case.sex, age);
        if u >= case.excess_hazard / (case.excess_hazard + background) {
            return;
        }
        let cause: String = icd10_of(case).chars().take(3).collect();
        let key = (case.departement, year, sex_code(case.sex), AgeGroup::from_age(age as u32), cause);
        *self.cells.entry(key).or_default() += 1;
    }

    fn write(&self, path: &Path) -> Result<(), SynthError> {
        let mut w = csv_writer(path)?;
        let err = |e: csv::Error| SynthError::io(path, e.into());
        w.write_record(["area", "year", "sex", "age_group", "cause", "deaths"]).map_err(err)?;
        for ((area, year, sex, group, cause), n) in &self.cells {
            let row =
                [area.to_string(), year.to_string(), sex.to_string(), group.label(), cause.clone(), n.to_string()];
            w.write_record(&row).map_err(err)?;
        }
        w.flush().map_err(|e| SynthError::io(path, e))
    }
}

/// A path relative to the output directory, with `/`, for the truth files.
fn rel(out: &Path, p: &Path) -> String {
    p.strip_prefix(out).unwrap_or(p).to_string_lossy().replace('\\', "/")
}

struct Registry {
    extract: RegistryExtract,
    file: String,
}

impl Registry {
    /// Registers a case in this registry and writes the records and their truth.
    #[allow(clippy::too_many_arguments)]
    fn take(
        &mut self,
        rng: &mut ChaCha8Rng,
        faults: &FaultRates,
        case: &Case,
        last_year: i32,
        duplicates: &mut u64,
        truth: &mut Truth,
        faulty: &mut u64,
    ) -> Result<(), SynthError> {
        let pat = format!("{:08}", case.number);
        let mut dup = || {
            *duplicates += 1;
            format!("9{:07}", *duplicates)
        };
        let registered = register(rng, faults, case, &pat, &mut dup, last_year);
        if let Some(kind) = registered.missing {
            truth.fault(&self.file, None, &pat, case, kind.label(), "")?;
        }
        for r in &registered.records {
            let line = self.extract.write(r)?;
            truth.record(&self.file, line, &r.fields[0], case)?;
            if let Some((kind, field)) = r.fault {
                truth.fault(&self.file, Some(line), &r.fields[0], case, kind.label(), field)?;
            }
            if let Some((kind, field)) = r.identity_fault {
                truth.fault(&self.file, Some(line), &r.fields[0], case, kind.label(), field)?;
            }
            if r.fault.is_some() || r.identity_fault.is_some() {
                *faulty += 1;
            }
        }
        Ok(())
    }
}

/// Generates the data set into `out`; see the module documentation for the layout.
pub fn generate(cfg: &SynthConfig, out: &Path) -> Result<Generated, SynthError> {
    generate_with_progress(cfg, out, &mut |_, _| {})
}

/// [`generate`], calling `progress(done, total)` after each département-year.
pub fn generate_with_progress(
    cfg: &SynthConfig,
    out: &Path,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Generated, SynthError> {
    let deps = cfg.resolve()?;
    let years: Vec<i32> = (cfg.first_year..=cfg.last_year).collect();
    let span = format!("{}-{}", cfg.first_year, cfg.last_year);
    let dirs = ["registry", "claims", "hospitals", "screening", "truth", "secrets"].map(|d| out.join(d));
    for d in &dirs {
        fs::create_dir_all(d).map_err(|e| SynthError::io(d, e))?;
    }
    let [registry_dir, claims_dir, hospitals_dir, screening_dir, truth_dir, secrets_dir] = dirs;
    let key = claims_key(cfg.seed);
    write_secret(&secrets_dir.join("claims_pseudonym.key"), &key)?;

    // The general registries' extract covers the simulated départements that have one.
    let covered = |d: &Departement| d.registry || cfg.registries_everywhere;
    let registry_deps: Vec<&Departement> = deps.iter().copied().filter(|d| covered(d)).collect();
    let area_name = if registry_deps.len() <= 4 {
        registry_deps.iter().map(|d| d.code).collect::<Vec<_>>().join("-")
    } else {
        format!("{}-departements", registry_deps.len())
    };
    let mut general = if registry_deps.is_empty() {
        None
    } else {
        let extract =
            RegistryExtract::create(&registry_dir, &format!("{area_name}_{span}"), &format!("FR-{area_name}"))?;
        let file = rel(out, &extract.encr_csv);
        Some(Registry { extract, file })
    };
    let paediatric_extract = RegistryExtract::create(&registry_dir, &format!("paediatric_{span}"), "FR-RNCE")?;
    let mut paediatric = Registry { file: rel(out, &paediatric_extract.encr_csv), extract: paediatric_extract };
    let mut claims = ClaimsWriter::create(&claims_dir)?;
    let claims_file = rel(out, &claims_dir.join(crate::claims::BENEFICIARIES));

    // Cancer centres whose catchment meets the simulated area.
    enum Centre {
        Omop(OmopWriter, String),
        Fhir(FhirWriter, String),
    }
    let mut centres: Vec<(&crate::params::CancerCentre, Centre)> = Vec::new();
    for c in CENTRES.iter().filter(|c| c.catchment.iter().any(|(d, _)| deps.iter().any(|x| x.code == *d))) {
        let writer = match c.format {
            WarehouseFormat::Omop => {
                let dir = hospitals_dir.join("omop").join(c.id);
                let file = rel(out, &dir.join("person.csv"));
                Centre::Omop(OmopWriter::create(&dir, c.id)?, file)
            }
            WarehouseFormat::Fhir => {
                let dir = hospitals_dir.join("fhir");
                fs::create_dir_all(&dir).map_err(|e| SynthError::io(&dir, e))?;
                let path = dir.join(format!("{}.ndjson", c.id));
                let file = rel(out, &path);
                Centre::Fhir(FhirWriter::create(&path, c.id)?, file)
            }
        };
        centres.push((c, writer));
    }

    let mut truth = Truth::create(&truth_dir)?;
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let model = IncidenceModel::calibrate();
    let area = AreaRisk::draw(cfg.seed, &deps, cfg.first_year, cfg.last_year, CLUSTERS, cfg.null_geography);
    // Places cases in communes from a stream of its own.
    let mut placement = ChaCha8Rng::seed_from_u64(cfg.seed ^ 0xc0_11e5);
    let mut cluster_counts = vec![(0.0_f64, 0u64); area.clusters.len()];

    let mut deaths = CancerDeaths::new(cfg.seed);
    let mut number = 0u64;
    let mut faulty = 0u64;
    let mut duplicates = 0u64;
    let mut source_records = 0u64;
    let total = (deps.len() * years.len()) as u64;
    let mut done = 0u64;
    for dep in &deps {
        for &year in &years {
            done += 1;
            for sex in [Sex::Male, Sex::Female] {
                for group in AgeGroup::all() {
                    let cell = Cell {
                        departement: dep.code,
                        year,
                        sex,
                        group,
                        persons: persons(dep, year, sex, group, cfg.scale),
                    };
                    // Expected counts of the clusters' cells without their excess.
                    for (k, c) in area.clusters.iter().enumerate() {
                        if c.departement == dep.code && (c.first_year..=c.last_year).contains(&year) {
                            for (i, (p, _)) in model.rates.iter().enumerate() {
                                if p.site_group == c.site_group && p.sex == sex {
                                    cluster_counts[k].0 +=
                                        c.share * model.expected(i, group, year, area.effect(dep.code), cell.persons);
                                }
                            }
                        }
                    }
                    for mut case in draw_cases(&mut rng, &model, &area, &cell, cfg.follow_up_end, &mut number) {
                        // Childhood cancers follow their own rates, without clusters.
                        let site = if case.childhood_type.is_some() { "" } else { case.site_group };
                        (case.commune, case.in_cluster) = area.place(&mut placement, dep.code, site, year);
                        if case.in_cluster
                            && let Some(k) = area.clusters.iter().position(|c| c.communes.contains(&case.commune))
                        {
                            cluster_counts[k].1 += 1;
                        }
                        let pseudonym = claims_pseudonym(&key, &case.person.nir, case.birth_date, case.sex);
                        truth.case(&case, &pseudonym)?;
                        deaths.record(&case, &years);
                        let registries = [
                            general.as_mut().filter(|_| covered(dep)),
                            Some(&mut paediatric).filter(|_| case.age < PAEDIATRIC_AGE_LIMIT),
                        ];
                        for r in registries.into_iter().flatten() {
                            r.take(
                                &mut rng,
                                &cfg.faults,
                                &case,
                                cfg.last_year,
                                &mut duplicates,
                                &mut truth,
                                &mut faulty,
                            )?;
                        }
                        // At most one cancer centre treats the patient.
                        let mut treated_at = None;
                        let u: f64 = rng.random();
                        let mut acc = 0.0;
                        for (k, (c, _)) in centres.iter().enumerate() {
                            if let Some((_, share)) = c.catchment.iter().find(|(d, _)| *d == case.departement) {
                                acc += share;
                                if u < acc {
                                    treated_at = Some(k);
                                    break;
                                }
                            }
                        }
                        let icd10 = icd10_of(&case);
                        let establishment = match treated_at {
                            Some(k) => centres[k].0.establishment.to_string(),
                            None => format!("{:0>3}000001", case.departement),
                        };
                        let line = claims.write(&mut rng, &case, &pseudonym, &icd10, &establishment)?;
                        truth.record(&claims_file, line, &pseudonym, &case)?;
                        source_records += 1;
                        if let Some(k) = treated_at {
                            let centre_id = centres[k].0.id;
                            match &mut centres[k].1 {
                                Centre::Omop(w, file) => {
                                    let (id, source_id) = w.write(&case)?;
                                    truth.record(file, id.parse().expect("numeric id"), &source_id, &case)?;
                                }
                                Centre::Fhir(w, file) => {
                                    let mut identity = case.person.clone();
                                    let fault = cfg.faults.draw_identity(&mut rng).and_then(|f| {
                                        crate::identity::apply_identity_fault(&mut rng, &mut identity, f)
                                            .map(|x| (f, x))
                                    });
                                    let line = w.write(&case, &identity, &icd10)?;
                                    let id = format!("{centre_id}-{line}");
                                    truth.record(file, line, &id, &case)?;
                                    if let Some((f, field)) = fault {
                                        truth.fault(file, Some(line), &id, &case, f.label(), field)?;
                                        faulty += 1;
                                    }
                                }
                            }
                            source_records += 1;
                        }
                    }
                }
            }
            progress(done, total);
        }
    }
    let registry_areas: Vec<String> = registry_deps.iter().map(|d| d.code.to_string()).collect();
    let (encr_csv, naaccr_xml, identity_csv, registry_records) = match general {
        Some(r) => {
            let paths = (r.extract.encr_csv.clone(), r.extract.naaccr_xml.clone(), r.extract.identity_csv.clone());
            let n = r.extract.records;
            r.extract.finish()?;
            (Some(paths.0), Some(paths.1), Some(paths.2), n)
        }
        None => (None, None, None, 0),
    };
    let paediatric_csv = paediatric.extract.encr_csv.clone();
    let paediatric_records = paediatric.extract.records;
    paediatric.extract.finish()?;
    source_records += registry_records + paediatric_records;
    claims.finish()?;
    let mut omop_dirs = Vec::new();
    let mut fhir_files = Vec::new();
    for (_, c) in centres {
        match c {
            Centre::Omop(w, _) => {
                omop_dirs.push(w.dir.clone());
                w.finish()?;
            }
            Centre::Fhir(w, _) => {
                fhir_files.push(w.path.clone());
                w.finish()?;
            }
        }
    }
    truth.finish()?;

    let population_csv = out.join("population.csv");
    let mut pop = csv_writer(&population_csv)?;
    let perr = |e: csv::Error| SynthError::io(&population_csv, e.into());
    pop.write_record(["area", "year", "sex", "age_group", "persons"]).map_err(perr)?;
    for r in denominators(&deps, &years, cfg.scale) {
        pop.write_record([
            r.area,
            r.year.to_string(),
            sex_code(r.sex).to_string(),
            r.age_group,
            format!("{}", r.persons),
        ])
        .map_err(perr)?;
    }
    pop.flush().map_err(|e| SynthError::io(&population_csv, e))?;
    let life_table_csv = out.join("life_table.csv");
    write_life_table(&life_table_csv, cfg.first_year, cfg.follow_up_end.year())?;
    let mortality_csv = out.join("mortality.csv");
    deaths.write(&mortality_csv)?;
    let net_survival_csv = truth_dir.join("net_survival.csv");
    write_net_survival_truth(&net_survival_csv, &model)?;
    write_area_truth(&truth_dir, &area, &cluster_counts)?;
    crate::screening::write_programmes(
        cfg.seed,
        &deps,
        &years,
        cfg.scale,
        &screening_dir,
        &truth_dir.join("screening.csv"),
    )?;

    Ok(Generated {
        registry_areas,
        registry_years: (cfg.first_year, cfg.last_year),
        encr_csv,
        naaccr_xml,
        identity_csv,
        paediatric_csv,
        claims_dir,
        omop_dirs,
        fhir_files,
        screening_dir,
        population_csv,
        life_table_csv,
        mortality_csv,
        faults_csv: truth_dir.join("faults.csv"),
        truth_dir,
        net_survival_csv,
        tumours: number,
        registry_records,
        paediatric_records,
        faulty,
        source_records,
    })
}

/// The life table of the generator's population mortality: for each whole year of age, the
/// Gompertz hazard averaged over that year, `e^{c+ba}(e^b − 1)/b`, so that the table's
/// cumulative hazard over each year of age equals the simulation's exactly. The same for every
/// calendar year (the generator has no mortality trend).
fn write_life_table(path: &Path, first_year: i32, last_year: i32) -> Result<(), SynthError> {
    let mut w = csv_writer(path)?;
    let e = |x: csv::Error| SynthError::io(path, x.into());
    w.write_record(["age", "sex", "year", "hazard"]).map_err(e)?;
    for year in first_year..=last_year {
        for sex in [Sex::Male, Sex::Female] {
            for age in 0..=110u32 {
                let h = crate::cases::mean_population_hazard(sex, age as f64, age as f64 + 1.0);
                w.write_record([age.to_string(), sex_code(sex).to_string(), year.to_string(), h.to_string()])
                    .map_err(e)?;
            }
        }
    }
    w.flush().map_err(|x| SynthError::io(path, x))
}

/// The true excess hazards and net survival: for each site group and sex, by stage and age
/// band (`excess_hazard_per_year` is the constant hazard of those cases) and for the national
/// case mix (`stage` and `age_band` = `all`); and for each childhood type (sex `both`).
fn write_net_survival_truth(path: &Path, model: &IncidenceModel) -> Result<(), SynthError> {
    let mut w = csv_writer(path)?;
    let e = |x: csv::Error| SynthError::io(path, x.into());
    w.write_record([
        "site_group",
        "sex",
        "stage",
        "age_band",
        "excess_hazard_per_year",
        "net_survival_1y",
        "net_survival_5y",
    ])
    .map_err(e)?;
    for (i, (p, _)) in model.rates.iter().enumerate() {
        let sex = sex_code(p.sex);
        let weights = national_band_weights(model, i);
        w.write_record([
            p.site_group,
            sex,
            "all",
            "all",
            "",
            &mix_net_survival(model, i, &weights, 1.0).to_string(),
            &mix_net_survival(model, i, &weights, 5.0).to_string(),
        ])
        .map_err(e)?;
        for (stage, _) in STAGE_HAZARD {
            for (band, from, _) in AGE_BANDS {
                let h = model.excess_hazard(i, stage, from);
                w.write_record([
                    p.site_group,
                    sex,
                    stage,
                    band,
                    &h.to_string(),
                    &(-h).exp().to_string(),
                    &(-5.0 * h).exp().to_string(),
                ])
                .map_err(e)?;
            }
        }
    }
    for (c, _) in &model.childhood {
        let h = -c.survival_5y.ln() / 5.0;
        w.write_record([
            c.label,
            "both",
            "",
            "0-19",
            &h.to_string(),
            &(-h).exp().to_string(),
            &(-5.0 * h).exp().to_string(),
        ])
        .map_err(e)?;
    }
    w.flush().map_err(|x| SynthError::io(path, x))
}

/// `truth/clusters.csv` (with the cases expected without the cluster and those drawn) and
/// `truth/area_effects.csv`.
fn write_area_truth(dir: &Path, area: &AreaRisk, counts: &[(f64, u64)]) -> Result<(), SynthError> {
    let path = dir.join("clusters.csv");
    let mut w = csv_writer(&path)?;
    let e = |x: csv::Error| SynthError::io(&path, x.into());
    w.write_record([
        "cluster_id",
        "site_group",
        "departement",
        "communes",
        "share",
        "first_year",
        "last_year",
        "relative_risk",
        "expected_without_cluster",
        "observed",
    ])
    .map_err(e)?;
    for (c, (expected, observed)) in area.clusters.iter().zip(counts) {
        w.write_record([
            c.id.as_str(),
            c.site_group,
            c.departement,
            &c.communes.join(" "),
            &c.share.to_string(),
            &c.first_year.to_string(),
            &c.last_year.to_string(),
            &c.relative_risk.to_string(),
            &format!("{expected:.3}"),
            &observed.to_string(),
        ])
        .map_err(e)?;
    }
    w.flush().map_err(|x| SynthError::io(&path, x))?;
    let path = dir.join("area_effects.csv");
    let mut w = csv_writer(&path)?;
    let e = |x: csv::Error| SynthError::io(&path, x.into());
    w.write_record(["area", "relative_risk"]).map_err(e)?;
    for (d, r) in area.effects() {
        w.write_record([*d, &r.to_string()]).map_err(e)?;
    }
    w.flush().map_err(|x| SynthError::io(&path, x))
}

#[cfg(test)]
mod tests;
