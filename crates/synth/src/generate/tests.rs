//! The generator against its own parameters: same seed, same bytes; and on a tenth of France
//! for one year (≈ 43,000 tumours), the parameters come back out of the output — incidence by
//! site, sex and age, childhood types, clusters, fault rates, screening and vaccination rates —
//! each within four standard errors, and every source record is accounted for in the truth.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::LazyLock;

use super::*;
use crate::cases::CHILD_AGE_GROUPS;
use crate::faults::FaultKind;
use crate::params::DEPARTEMENTS;

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(rel(dir, &p), fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn same_seed_same_bytes_and_another_seed_differs() {
    let (a, b, c) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut cfg = SynthConfig::demo(42);
    cfg.departements = vec!["50".into(), "69".into()];
    cfg.scale = 0.2;
    generate(&cfg, a.path()).unwrap();
    generate(&cfg, b.path()).unwrap();
    cfg.seed = 43;
    generate(&cfg, c.path()).unwrap();
    let (fa, fb, fc) = (files(a.path()), files(b.path()), files(c.path()));
    assert!(fa.len() > 20, "{:?}", fa.keys());
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (name, bytes) in &fa {
        assert!(bytes == &fb[name], "{name} differs between two runs with the same seed");
    }
    assert_ne!(fa["truth/persons.csv"], fc["truth/persons.csv"]);
}

#[test]
fn unknown_departement_and_bad_ranges_are_errors() {
    let mut cfg = SynthConfig::demo(1);
    cfg.departements = vec!["20".into()];
    let e = generate(&cfg, tempfile::tempdir().unwrap().path()).unwrap_err();
    assert!(e.to_string().contains("unknown département '20'"), "{e}");
    let mut cfg = SynthConfig::demo(1);
    cfg.follow_up_end = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    assert!(generate(&cfg, tempfile::tempdir().unwrap().path()).is_err());
}

#[cfg(unix)]
#[test]
fn the_claims_key_is_private_and_appears_in_no_other_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let g = generate(&SynthConfig::demo(3), dir.path()).unwrap();
    let key_path = dir.path().join("secrets/claims_pseudonym.key");
    assert_eq!(fs::metadata(&key_path).unwrap().permissions().mode() & 0o777, 0o600);
    let key = fs::read_to_string(&key_path).unwrap();
    for (name, bytes) in files(dir.path()) {
        if name != "secrets/claims_pseudonym.key" {
            assert!(!String::from_utf8_lossy(&bytes).contains(&key), "{name} holds the key");
        }
    }
    assert!(g.tumours > 5000);
}

/// A tenth of France, 2021, followed to the end of 2022.
struct Tenth {
    _dir: tempfile::TempDir,
    out: PathBuf,
    g: Generated,
    cfg: SynthConfig,
}

static TENTH: LazyLock<Tenth> = LazyLock::new(|| {
    let dir = tempfile::tempdir().unwrap();
    let cfg = SynthConfig {
        departements: DEPARTEMENTS.iter().map(|d| d.code.to_string()).collect(),
        first_year: 2021,
        last_year: 2021,
        follow_up_end: NaiveDate::from_ymd_opt(2022, 12, 31).unwrap(),
        seed: 11,
        faults: FaultRates::default(),
        scale: 0.1,
        registries_everywhere: false,
        null_geography: false,
    };
    let g = generate(&cfg, dir.path()).unwrap();
    Tenth { out: dir.path().to_path_buf(), _dir: dir, g, cfg }
});

type Row = HashMap<String, String>;

fn read(path: &Path) -> Vec<Row> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    r.records()
        .map(|rec| h.iter().zip(rec.unwrap().iter()).map(|(k, v)| (k.to_string(), v.to_string())).collect())
        .collect()
}

fn within(observed: f64, expected: f64, sd: f64, what: &str) {
    assert!((observed - expected).abs() <= 4.0 * sd.max(1.0), "{what}: {observed} vs {expected} (sd {sd:.1})");
}

fn band(age: u32) -> usize {
    match age {
        0..50 => 0,
        50..70 => 1,
        _ => 2,
    }
}

#[test]
fn incidence_by_site_sex_and_age_and_the_clusters_are_recovered() {
    let t = &*TENTH;
    let tumours = read(&t.out.join("truth/tumours.csv"));
    assert_eq!(tumours.len() as u64, t.g.tumours);
    assert!(t.g.tumours > 40_000 && t.g.tumours < 47_000, "{}", t.g.tumours);
    let people = read(&t.out.join("truth/persons.csv"));
    let mut observed: HashMap<(String, String, usize), f64> = HashMap::new();
    for (tu, p) in tumours.iter().zip(&people) {
        let age: u32 = tu["age"].parse().unwrap();
        if age >= 20 {
            *observed.entry((tu["site_group"].clone(), p["sex"].clone(), band(age))).or_default() += 1.0;
        }
    }
    let model = IncidenceModel::calibrate();
    let deps: Vec<&'static Departement> = DEPARTEMENTS.iter().collect();
    let area = AreaRisk::draw(t.cfg.seed, &deps, 2021, 2021, CLUSTERS, false);
    for (i, (p, _)) in model.rates.iter().enumerate() {
        let mut expected = [0.0; 3];
        for d in &deps {
            for g in AgeGroup::all().skip(CHILD_AGE_GROUPS) {
                let n = persons(d, 2021, p.sex, g, 0.1);
                expected[band(g.lower_age())] += model.expected(i, g, 2021, area.factor(d.code, p.site_group, 2021), n);
            }
        }
        for (b, e) in expected.iter().enumerate() {
            let key = (p.site_group.to_string(), sex_code(p.sex).to_string(), b);
            within(observed.get(&key).copied().unwrap_or(0.0), *e, e.sqrt(), &format!("{key:?}"));
        }
    }
    // Clusters: the cases drawn in each are Poisson around the model's count for the cluster's
    // cells times its risk (recomputed here, and equal to what the truth file says).
    for c in read(&t.out.join("truth/clusters.csv")) {
        let d = crate::params::departement(&c["departement"]).unwrap();
        let without: f64 = model
            .rates
            .iter()
            .enumerate()
            .filter(|(_, (p, _))| p.site_group == c["site_group"])
            .flat_map(|(i, (p, _))| AgeGroup::all().map(move |g| (i, p.sex, g)))
            .map(|(i, sex, g)| model.expected(i, g, 2021, area.effect(d.code), persons(d, 2021, sex, g, 0.1)))
            .sum::<f64>()
            * c["share"].parse::<f64>().unwrap();
        let written: f64 = c["expected_without_cluster"].parse().unwrap();
        assert!((written - without).abs() < 1e-3, "{written} vs {without}");
        let e = without * c["relative_risk"].parse::<f64>().unwrap();
        within(c["observed"].parse().unwrap(), e, e.sqrt(), &c["cluster_id"]);
        let flagged = tumours
            .iter()
            .zip(&people)
            .filter(|(tu, p)| {
                tu["in_cluster"] == "1"
                    && c["communes"].split(' ').any(|k| k == p["commune"])
                    && tu["site_group"] == c["site_group"]
            })
            .count();
        assert_eq!(flagged.to_string(), c["observed"]);
    }
}

#[test]
fn childhood_cancers_follow_the_iccc_types_and_all_reach_the_paediatric_registry() {
    let t = &*TENTH;
    let tumours = read(&t.out.join("truth/tumours.csv"));
    let model = IncidenceModel::calibrate();
    let mut observed: HashMap<&str, f64> = HashMap::new();
    for tu in tumours.iter().filter(|tu| tu["age"].parse::<u32>().unwrap() < 20) {
        assert!(!tu["iccc_subgroup"].is_empty(), "{tu:?}");
        *observed
            .entry(model.childhood.iter().find(|(c, _)| c.label == tu["childhood_type"]).unwrap().0.label)
            .or_default() += 1.0;
    }
    let deps: Vec<&Departement> = DEPARTEMENTS.iter().collect();
    let mut total = 0.0;
    for (c, rates) in &model.childhood {
        let mut e = 0.0;
        for d in &deps {
            for (s, sex) in [Sex::Male, Sex::Female].into_iter().enumerate() {
                for g in AgeGroup::all().take(CHILD_AGE_GROUPS) {
                    e += rates[s][g.index()] * persons(d, 2021, sex, g, 0.1);
                }
            }
        }
        total += e;
        within(observed.get(c.label).copied().unwrap_or(0.0), e, e.sqrt(), c.label);
    }
    // ≈ 2,200 a year under 18 nationally: a tenth of France has about 220 (0-17) of ≈ 260 (0-19).
    assert!((230.0..300.0).contains(&total), "{total}");
    // Leukaemias (ICCC I) are the first group under 15.
    let under15: Vec<&Row> = tumours.iter().filter(|tu| tu["age"].parse::<u32>().unwrap() < 15).collect();
    let share_i = under15
        .iter()
        .filter(|tu| {
            tu["iccc_subgroup"].starts_with("I")
                && !tu["iccc_subgroup"].starts_with("II")
                && !tu["iccc_subgroup"].starts_with("IV")
                && !tu["iccc_subgroup"].starts_with("IX")
        })
        .count() as f64
        / under15.len() as f64;
    assert!((0.2..0.4).contains(&share_i), "{share_i}");
    // Every cancer under 18 is in the paediatric extract, but for late registrations.
    let records = read(&t.out.join("truth/records.csv"));
    let paediatric = rel(&t.out, &t.g.paediatric_csv);
    let registered: HashSet<&str> =
        records.iter().filter(|r| r["file"] == paediatric).map(|r| r["person_id"].as_str()).collect();
    let late: HashSet<&str> = read(&t.out.join("truth/faults.csv"))
        .iter()
        .filter(|f| f["file"] == paediatric && f["fault"] == "late_registration")
        .map(|f| f["person_id"].clone())
        .collect::<Vec<_>>()
        .leak()
        .iter()
        .map(|s| s.as_str())
        .collect();
    for tu in &tumours {
        let child = tu["age"].parse::<u16>().unwrap() < PAEDIATRIC_AGE_LIMIT;
        let id = tu["tumour_id"].as_str();
        assert_eq!(registered.contains(id) || late.contains(id), child, "{tu:?}");
    }
}

#[test]
fn fault_rates_are_recovered_and_every_record_is_in_the_truth() {
    let t = &*TENTH;
    let records = read(&t.out.join("truth/records.csv"));
    let faults = read(&t.out.join("truth/faults.csv"));
    let general = rel(&t.out, t.g.encr_csv.as_ref().unwrap());
    // Cases the general registries took: registered once (or twice, duplicates) or late.
    let taken: HashSet<&str> = records
        .iter()
        .filter(|r| r["file"] == general)
        .map(|r| r["person_id"].as_str())
        .chain(
            faults
                .iter()
                .filter(|f| f["file"] == general && f["fault"] == "late_registration")
                .map(|f| f["person_id"].as_str()),
        )
        .collect();
    let n = taken.len() as f64;
    let rates = FaultRates::default();
    for kind in [
        FaultKind::InvalidTopography,
        FaultKind::InvalidMorphology,
        FaultKind::SexSiteConflict,
        FaultKind::BirthAfterIncidence,
        FaultKind::MissingValue,
        FaultKind::Duplicate,
        FaultKind::LateRegistration,
    ] {
        let p = rates.rate(kind);
        let o = faults.iter().filter(|f| f["file"] == general && f["fault"] == kind.label()).count() as f64;
        within(o, n * p, (n * p * (1.0 - p)).sqrt(), kind.label());
    }
    for kind in ["death_certificate_only", "unlikely_code", "identity_typo", "identity_missing", "birth_day_month_swap"]
    {
        assert!(faults.iter().any(|f| f["fault"] == kind), "no {kind}");
    }
    // Line counts: every row of every source has its truth record, and nothing else does.
    let mut per_file: HashMap<&str, u64> = HashMap::new();
    for r in &records {
        *per_file.entry(r["file"].as_str()).or_default() += 1;
    }
    for (file, n) in &per_file {
        let text = fs::read_to_string(t.out.join(file)).unwrap();
        let rows = text.lines().count() as u64 - u64::from(!file.ends_with(".ndjson"));
        assert_eq!(rows, *n, "{file}");
    }
    assert_eq!(per_file[rel(&t.out, &t.g.claims_dir.join("beneficiaries.csv")).as_str()], t.g.tumours);
    assert!(t.g.omop_dirs.len() >= 3 && t.g.fhir_files.len() >= 2, "{:?} {:?}", t.g.omop_dirs, t.g.fhir_files);
    // Registry identities carry valid NIRs unless a fault touched them.
    let identity = read(t.g.identity_csv.as_ref().unwrap());
    let nir_faults: HashSet<String> =
        faults.iter().filter(|f| f["field"] == "nir").map(|f| f["record"].clone()).collect();
    for (k, id) in identity.iter().enumerate() {
        let line = (k + 2).to_string();
        if !nir_faults.contains(&line) {
            assert!(crate::identity::nir_is_valid(&id["nir"]), "line {line}: {id:?}");
        }
    }
}

#[test]
fn fhir_bundles_and_omop_tables_are_well_formed() {
    let t = &*TENTH;
    for f in &t.g.fhir_files {
        for line in fs::read_to_string(f).unwrap().lines() {
            let b: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(b["resourceType"], "Bundle");
            let entries = b["entry"].as_array().unwrap();
            assert_eq!(entries[0]["resource"]["resourceType"], "Patient");
            assert_eq!(entries[1]["resource"]["resourceType"], "Condition");
        }
    }
    for d in &t.g.omop_dirs {
        for (table, header) in crate::omop::TABLES {
            let mut r = csv::Reader::from_path(d.join(format!("{table}.csv"))).unwrap();
            assert_eq!(r.headers().unwrap().iter().collect::<Vec<_>>(), header.to_vec());
            for rec in r.records() {
                assert_eq!(rec.unwrap().len(), header.len());
            }
        }
        let persons = read(&d.join("person.csv")).len();
        assert_eq!(read(&d.join("episode.csv")).len(), persons);
    }
}

#[test]
fn screening_and_vaccination_match_the_published_rates() {
    let t = &*TENTH;
    let crc = read(&t.g.screening_dir.join("colorectal_screening.csv"));
    let sum = |k: &str| crc.iter().map(|r| r[k].parse::<f64>().unwrap()).sum::<f64>();
    let (eligible, invited, screened) = (sum("eligible"), sum("invited"), sum("screened"));
    within(invited, eligible / 2.0, (eligible / 4.0).sqrt() * 10.0, "invited");
    // Participation over a campaign is about 34 % (département effects average out).
    let participation = screened / invited;
    assert!((participation - 0.34).abs() < 0.01, "{participation}");
    let hpv = read(&t.g.screening_dir.join("hpv_vaccination.csv"));
    for (sex, expected) in [("2", 0.48 - 3.0 * 0.0325), ("1", 0.01)] {
        let rows: Vec<&Row> = hpv.iter().filter(|r| r["sex"] == sex).collect();
        let n: f64 = rows.iter().map(|r| r["cohort_at_16"].parse::<f64>().unwrap()).sum();
        let v: f64 = rows.iter().map(|r| r["fully_vaccinated"].parse::<f64>().unwrap()).sum();
        assert!((v / n - expected).abs() < 0.02, "sex {sex}: {} vs {expected}", v / n);
    }
}

#[test]
fn care_pathways_are_ordered_and_poor_prognosis_sites_are_marked() {
    let t = &*TENTH;
    let tumours = read(&t.out.join("truth/tumours.csv"));
    let model = IncidenceModel::calibrate();
    let poor: HashSet<&str> =
        model.rates.iter().filter(|(p, _)| p.poor_prognosis()).map(|(p, _)| p.site_group).collect();
    assert!(poor.contains("pancreas") && poor.contains("lung") && !poor.contains("breast"));
    let mut delays = Vec::new();
    for tu in tumours.iter().filter(|tu| tu["age"].parse::<u32>().unwrap() >= 20) {
        assert_eq!(tu["poor_prognosis"] == "1", poor.contains(tu["site_group"].as_str()), "{tu:?}");
        let d = |k: &str| NaiveDate::parse_from_str(&tu[k], "%Y-%m-%d").ok();
        let diagnosis = d("incidence_date").unwrap();
        assert!(d("first_contact").unwrap() <= diagnosis);
        if let (Some(mdt), Some(first)) = (d("mdt"), d("first_treatment")) {
            assert!(diagnosis <= mdt && mdt <= first);
            delays.push((first - diagnosis).num_days());
        }
    }
    delays.sort();
    let median = delays[delays.len() / 2];
    assert!((25..60).contains(&median), "{median}");
}
