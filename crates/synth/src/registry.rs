//! A registry data set: the ENCR-style CSV extract of the registry's départements and years, its
//! population denominators, and the truth about its planted faults.
//!
//! The extract follows the variables of the JRC-ENCR data set (ENCR call for data; JRC-ENCR
//! Quality Check Software user compendium): `PAT, MoB, YoB, Age, Sex, Geo_Code, TUM, MoI, YoI,
//! BoD, Topo, Morpho, Beh, Grade, Vit_stat, MoF, YoF, Surv_time, Stage` — month and year only
//! for dates, survival time in days, topography as `C509`.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use oncodata_coding::AgeGroup;
use oncodata_model::Sex;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::SynthError;
use crate::cases::{Case, IncidenceModel, draw_cases};
use crate::faults::{FaultKind, FaultRates, corrupt_morphology, corrupt_topography, site_of_other_sex};
use crate::params::{Departement, departement};
use crate::population::{denominators, persons};

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

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryConfig {
    /// INSEE codes of the départements the registry covers.
    pub departements: Vec<String>,
    /// Incidence years, inclusive.
    pub first_year: i32,
    /// Last incidence year.
    pub last_year: i32,
    /// Date at which follow-up ends (vital status is known up to it).
    pub follow_up_end: NaiveDate,
    /// Random seed.
    pub seed: u64,
    /// Fault rates.
    pub faults: FaultRates,
    /// Population scale: 1.0 is the real population of the départements; 0.01 a hundredth.
    pub scale: f64,
}

impl RegistryConfig {
    /// The demo's registry: the Manche general cancer registry, incidence 2021–2022, followed
    /// up to the end of 2023, about 6,000 tumours.
    pub fn demo(seed: u64) -> Self {
        Self {
            departements: vec!["50".into()],
            first_year: 2021,
            last_year: 2022,
            follow_up_end: NaiveDate::from_ymd_opt(2023, 12, 31).expect("date"),
            seed,
            faults: FaultRates::default(),
            scale: 1.0,
        }
    }

    fn resolve(&self) -> Result<Vec<&'static Departement>, SynthError> {
        if !(self.scale > 0.0 && self.scale <= 10.0) {
            return Err(SynthError::Config(format!("scale {} must be in (0, 10]", self.scale)));
        }
        if self.first_year > self.last_year {
            return Err(SynthError::Config(format!("empty year range {}-{}", self.first_year, self.last_year)));
        }
        self.departements
            .iter()
            .map(|c| departement(c).ok_or_else(|| SynthError::Config(format!("unknown département '{c}'"))))
            .collect()
    }
}

/// The files a registry data set was written to, and its counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    /// The ENCR-style CSV extract.
    pub encr_csv: PathBuf,
    /// The same extract in NAACCR XML.
    pub naaccr_xml: PathBuf,
    /// The population denominators (`area,year,sex,age_group,persons`).
    pub population_csv: PathBuf,
    /// The planted faults (`line,PAT,TUM,fault`).
    pub faults_csv: PathBuf,
    /// The population life table the deaths were drawn from (`age,sex,year,hazard`, per
    /// person-year).
    pub life_table_csv: PathBuf,
    /// The true survival parameters (`truth/net_survival.csv`).
    pub net_survival_csv: PathBuf,
    /// Tumours written.
    pub tumours: u64,
    /// Records with a planted fault.
    pub faulty: u64,
}

fn sex_code(s: Sex) -> &'static str {
    match s {
        Sex::Male => "1",
        Sex::Female => "2",
        Sex::Unknown => "9",
    }
}

/// The ENCR fields of a case, before faults.
fn encr_fields(c: &Case) -> Vec<String> {
    let surv = c.last_contact.signed_duration_since(c.incidence_date).num_days();
    vec![
        format!("{:08}", c.number),
        c.birth_date.month().to_string(),
        c.birth_date.year().to_string(),
        c.age.to_string(),
        sex_code(c.sex).to_string(),
        c.departement.to_string(),
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

fn werr(p: &Path) -> impl Fn(csv::Error) -> SynthError + '_ {
    move |e| SynthError::io(p, e.into())
}

/// Generates the registry data set into `out`: `encr_<registry>.csv`, the same extract as
/// `naaccr_<registry>.xml`, `population.csv` and `life_table.csv`, and `truth/faults.csv` and
/// `truth/net_survival.csv`.
pub fn generate_registry(cfg: &RegistryConfig, out: &Path) -> Result<Generated, SynthError> {
    generate_registry_with_progress(cfg, out, &mut |_, _| {})
}

/// [`generate_registry`], calling `progress(done, total)` after each département-year, so that
/// long runs can show a progress bar. Rows are written as they are drawn: memory stays bounded
/// whatever the scale.
pub fn generate_registry_with_progress(
    cfg: &RegistryConfig,
    out: &Path,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Generated, SynthError> {
    let deps = cfg.resolve()?;
    let years: Vec<i32> = (cfg.first_year..=cfg.last_year).collect();
    let truth = out.join("truth");
    fs::create_dir_all(&truth).map_err(|e| SynthError::io(&truth, e))?;
    // The départements in the file name, or their number when there are many.
    let name = if deps.len() <= 4 {
        deps.iter().map(|d| d.code).collect::<Vec<_>>().join("-")
    } else {
        format!("{}-departements", deps.len())
    };
    let encr_csv = out.join(format!("encr_{name}_{}-{}.csv", cfg.first_year, cfg.last_year));
    let population_csv = out.join("population.csv");
    let naaccr_xml = out.join(format!("naaccr_{name}_{}-{}.xml", cfg.first_year, cfg.last_year));
    let mut xml = crate::naaccr::NaaccrWriter::create(&naaccr_xml, &format!("FR-{name}"))?;
    let faults_csv = truth.join("faults.csv");

    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let model = IncidenceModel::calibrate();
    let mut encr = csv::Writer::from_path(&encr_csv).map_err(|e| SynthError::io(&encr_csv, e.into()))?;
    let mut faults = csv::Writer::from_path(&faults_csv).map_err(|e| SynthError::io(&faults_csv, e.into()))?;
    encr.write_record(ENCR_HEADER).map_err(werr(&encr_csv))?;
    faults.write_record(["line", "PAT", "TUM", "fault"]).map_err(werr(&faults_csv))?;

    let mut number = 0u64;
    let mut faulty = 0u64;
    let total = (deps.len() * years.len()) as u64;
    let mut done = 0u64;
    for dep in &deps {
        for &year in &years {
            done += 1;
            for sex in [Sex::Male, Sex::Female] {
                for group in AgeGroup::all() {
                    let n = persons(dep, year, sex, group, cfg.scale);
                    for case in
                        draw_cases(&mut rng, &model, dep.code, year, sex, group, n, cfg.follow_up_end, &mut number)
                    {
                        let mut f = encr_fields(&case);
                        if let Some(kind) = cfg.faults.draw(&mut rng) {
                            match kind {
                                FaultKind::InvalidTopography => f[10] = corrupt_topography(case.topography),
                                FaultKind::InvalidMorphology => f[11] = corrupt_morphology(&mut rng).to_string(),
                                FaultKind::SexSiteConflict => f[10] = site_of_other_sex(case.sex).to_string(),
                                FaultKind::BirthAfterIncidence => f[2] = (case.incidence_date.year() + 1).to_string(),
                            }
                            faulty += 1;
                            // Line 1 is the header.
                            let line = (case.number + 1).to_string();
                            faults
                                .write_record([line.as_str(), &f[0], &f[6], kind.label()])
                                .map_err(werr(&faults_csv))?;
                        }
                        encr.write_record(&f).map_err(werr(&encr_csv))?;
                        xml.write(&case, &f)?;
                    }
                }
            }
            progress(done, total);
        }
    }
    encr.flush().map_err(|e| SynthError::io(&encr_csv, e))?;
    xml.finish()?;
    faults.flush().map_err(|e| SynthError::io(&faults_csv, e))?;

    let mut pop = csv::Writer::from_path(&population_csv).map_err(|e| SynthError::io(&population_csv, e.into()))?;
    pop.write_record(["area", "year", "sex", "age_group", "persons"]).map_err(werr(&population_csv))?;
    for r in denominators(&deps, &years, cfg.scale) {
        pop.write_record([
            r.area,
            r.year.to_string(),
            sex_code(r.sex).to_string(),
            r.age_group,
            format!("{}", r.persons),
        ])
        .map_err(werr(&population_csv))?;
    }
    pop.flush().map_err(|e| SynthError::io(&population_csv, e))?;

    let life_table_csv = out.join("life_table.csv");
    write_life_table(&life_table_csv, cfg.first_year, cfg.follow_up_end.year())?;
    let net_survival_csv = truth.join("net_survival.csv");
    write_net_survival_truth(&net_survival_csv)?;

    Ok(Generated {
        encr_csv,
        naaccr_xml,
        population_csv,
        faults_csv,
        life_table_csv,
        net_survival_csv,
        tumours: number,
        faulty,
    })
}

/// The life table of the generator's population mortality: for each whole year of age, the
/// Gompertz hazard averaged over that year, `e^{c+ba}(e^b − 1)/b`, so that the table's
/// cumulative hazard over each year of age equals the simulation's exactly. The same for every
/// calendar year (the generator has no mortality trend yet).
fn write_life_table(path: &Path, first_year: i32, last_year: i32) -> Result<(), SynthError> {
    let mut w = csv::Writer::from_path(path).map_err(|e| SynthError::io(path, e.into()))?;
    w.write_record(["age", "sex", "year", "hazard"]).map_err(werr(path))?;
    for year in first_year..=last_year {
        for sex in [Sex::Male, Sex::Female] {
            for age in 0..=110u32 {
                let h = crate::cases::mean_population_hazard(sex, age as f64, age as f64 + 1.0);
                w.write_record([age.to_string(), sex_code(sex).to_string(), year.to_string(), h.to_string()])
                    .map_err(werr(path))?;
            }
        }
    }
    w.flush().map_err(|e| SynthError::io(path, e))
}

/// The true excess hazards and net survival of every site group and sex.
fn write_net_survival_truth(path: &Path) -> Result<(), SynthError> {
    let mut w = csv::Writer::from_path(path).map_err(|e| SynthError::io(path, e.into()))?;
    w.write_record(["site_group", "sex", "excess_hazard_per_year", "net_survival_1y", "net_survival_5y"])
        .map_err(werr(path))?;
    for p in crate::params::SITES.iter() {
        let excess = crate::cases::excess_hazard(p);
        w.write_record([
            p.site_group.to_string(),
            sex_code(p.sex).to_string(),
            excess.to_string(),
            (-excess).exp().to_string(),
            (-5.0 * excess).exp().to_string(),
        ])
        .map_err(werr(path))?;
    }
    w.flush().map_err(|e| SynthError::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes_and_another_seed_differs() {
        let (a, b, c) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let ga = generate_registry(&RegistryConfig::demo(42), a.path()).unwrap();
        let gb = generate_registry(&RegistryConfig::demo(42), b.path()).unwrap();
        let gc = generate_registry(&RegistryConfig::demo(43), c.path()).unwrap();
        let read = |p: &PathBuf| fs::read(p).unwrap();
        assert_eq!(read(&ga.encr_csv), read(&gb.encr_csv));
        assert_eq!(read(&ga.faults_csv), read(&gb.faults_csv));
        assert_eq!(read(&ga.population_csv), read(&gb.population_csv));
        assert_ne!(read(&ga.encr_csv), read(&gc.encr_csv));
    }

    #[test]
    fn demo_has_a_few_thousand_tumours_near_the_expected_count() {
        let dir = tempfile::tempdir().unwrap();
        let g = generate_registry(&RegistryConfig::demo(1), dir.path()).unwrap();
        // Expected: Manche's share of the national 433,136 cases a year, for two years.
        let france: f64 = crate::params::DEPARTEMENTS.iter().map(|d| d.population).sum();
        let expected = 433_136.0 * 492_000.0 / france * (1.0 + crate::population::ANNUAL_GROWTH);
        let sd = expected.sqrt();
        assert!(((g.tumours as f64) - expected).abs() < 4.0 * sd, "{} vs {expected}", g.tumours);
        let lines = fs::read_to_string(&g.encr_csv).unwrap().lines().count() as u64;
        assert_eq!(lines, g.tumours + 1);
        let faults = fs::read_to_string(&g.faults_csv).unwrap().lines().count() as u64;
        assert_eq!(faults, g.faulty + 1);
    }

    #[test]
    fn unknown_departement_is_an_error() {
        let mut cfg = RegistryConfig::demo(1);
        cfg.departements = vec!["20".into()];
        let e = generate_registry(&cfg, tempfile::tempdir().unwrap().path()).unwrap_err();
        assert!(e.to_string().contains("unknown département '20'"));
    }
}

#[cfg(test)]
mod recovery_tests {
    //! The generator's parameters come back out of its output: counts by site group and sex,
    //! their age distribution, and the planted fault rates, each within four standard errors
    //! (Poisson or binomial) on a tenth of France for one year (≈ 43,000 tumours).

    use std::collections::HashMap;

    use super::*;
    use crate::cases::IncidenceModel;
    use crate::params::DEPARTEMENTS;

    fn national_tenth(seed: u64) -> (Generated, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let cfg = RegistryConfig {
            departements: DEPARTEMENTS.iter().map(|d| d.code.to_string()).collect(),
            first_year: 2021,
            last_year: 2021,
            follow_up_end: NaiveDate::from_ymd_opt(2022, 12, 31).unwrap(),
            seed,
            faults: FaultRates::default(),
            scale: 0.1,
        };
        (generate_registry(&cfg, dir.path()).unwrap(), dir)
    }

    fn within(observed: f64, expected: f64, sd: f64, what: &str) {
        assert!((observed - expected).abs() <= 4.0 * sd.max(1.0), "{what}: {observed} vs {expected} (sd {sd:.1})");
    }

    #[test]
    fn incidence_age_and_fault_rates_are_recovered() {
        let (g, _dir) = national_tenth(11);
        let text = fs::read_to_string(&g.encr_csv).unwrap();
        let faults: Vec<String> =
            fs::read_to_string(&g.faults_csv).unwrap().lines().skip(1).map(|l| l.to_string()).collect();
        let faulty_lines: std::collections::HashSet<usize> =
            faults.iter().map(|l| l.split(',').next().unwrap().parse().unwrap()).collect();
        // Observed counts by (site group from the clean record's coding, sex, broad age band).
        let mut observed: HashMap<(&str, u8, usize), f64> = HashMap::new();
        for (i, line) in text.lines().enumerate().skip(1) {
            if faulty_lines.contains(&(i + 1)) {
                continue; // a faulty record's codes no longer say its site
            }
            let f: Vec<&str> = line.split(',').collect();
            let t = oncodata_coding::Topography::parse(f[10]).unwrap();
            let m = oncodata_coding::Morphology::parse(f[11]).unwrap();
            let group = oncodata_coding::site_group::classify(t, m, oncodata_coding::Behaviour::Malignant).unwrap().id;
            let age: u32 = f[3].parse().unwrap();
            let band = if age < 50 {
                0
            } else if age < 70 {
                1
            } else {
                2
            };
            *observed.entry((group, f[4].parse().unwrap(), band)).or_default() += 1.0;
        }
        let clean_share = 1.0 - g.faulty as f64 / g.tumours as f64;
        // Expected from the calibrated rates and the same denominators.
        let model = IncidenceModel::calibrate();
        let deps: Vec<&Departement> = DEPARTEMENTS.iter().collect();
        for (params, rates) in &model.rates {
            let sex_code = if params.sex == Sex::Male { 1 } else { 2 };
            let mut expected = [0.0; 3];
            for group in AgeGroup::all() {
                let band = if group.lower_age() < 50 {
                    0
                } else if group.lower_age() < 70 {
                    1
                } else {
                    2
                };
                let persons: f64 = deps.iter().map(|d| persons(d, 2021, params.sex, group, 0.1)).sum();
                expected[band] += rates[group.index()] * persons * clean_share;
            }
            for (band, e) in expected.iter().enumerate() {
                let o = observed.get(&(params.site_group, sex_code, band)).copied().unwrap_or(0.0);
                within(o, *e, e.sqrt(), &format!("{} sex {sex_code} age band {band}", params.site_group));
            }
        }
        // Fault rates: each kind's share of records.
        let rates = FaultRates::default();
        let n = g.tumours as f64;
        for (kind, p) in [
            ("invalid_topography", rates.invalid_topography),
            ("invalid_morphology", rates.invalid_morphology),
            ("sex_site_conflict", rates.sex_site_conflict),
            ("birth_after_incidence", rates.birth_after_incidence),
        ] {
            let o = faults.iter().filter(|l| l.ends_with(kind)).count() as f64;
            within(o, n * p, (n * p * (1.0 - p)).sqrt(), kind);
        }
        assert!(g.tumours > 40_000 && g.tumours < 47_000, "{}", g.tumours);
    }
}
