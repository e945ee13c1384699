//! Net survival recovers the synthetic generator's truth: the generator draws deaths from an
//! excess hazard (by site, stage and age, calibrated so that each site's case mix has its
//! published 5-year net survival) on top of its population mortality; Pohar-Perme on the
//! generated registry extract, with the generator's own life table, must find the published
//! value within its Monte Carlo error.

use std::collections::HashMap;

use chrono::NaiveDate;
use oncodata_ingest::encr::read_encr_csv;
use oncodata_stats::relative::{
    DAYS_PER_YEAR, Integration, RateTable, RateUnit, RelativeMethod, Subject, days_since_1960, relative_survival,
};
use oncodata_stats::survival::CiTransform;
use oncodata_synth::{SynthConfig, generate};

#[test]
fn pohar_perme_recovers_the_true_net_survival() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = SynthConfig {
        departements: ["44", "33", "34", "38", "67"].map(String::from).to_vec(),
        first_year: 2012,
        last_year: 2012,
        follow_up_end: NaiveDate::from_ymd_opt(2023, 12, 31).unwrap(),
        seed: 5,
        faults: oncodata_synth::faults::FaultRates::none(),
        scale: 1.0,
        registries_everywhere: false,
        null_geography: false,
    };
    let g = generate(&cfg, dir.path()).unwrap();
    let mut extract = oncodata_ingest::Extract::default();
    read_encr_csv(g.encr_csv.as_ref().unwrap(), NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), &mut extract).unwrap();
    assert!(extract.quarantined.is_empty());

    let mut lt = csv::Reader::from_path(&g.life_table_csv).unwrap();
    let rows: Vec<(u32, String, i32, f64)> = lt
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].parse().unwrap(), r[1].to_string(), r[2].parse().unwrap(), r[3].parse().unwrap())
        })
        .collect();
    let table = RateTable::from_rows(&rows, RateUnit::Year).unwrap();

    // The published 5-year net survival the generator was calibrated to (Lafay et al., INCa/SpF
    // 2021, in crates/synth/data/incidence.csv), not a number the generator computed.
    let truth: HashMap<(String, String), f64> = oncodata_synth::params::SITES
        .iter()
        .map(|p| ((p.site_group.to_string(), p.sex.code().to_string()), p.net_survival_5y))
        .collect();
    let patients: HashMap<&str, &oncodata_model::Patient> =
        extract.patients.iter().map(|p| (p.patient_id.as_str(), p)).collect();
    for (site, sex) in [("prostate", "1"), ("breast", "2"), ("colorectum", "1"), ("lung", "1")] {
        let subjects: Vec<Subject> = extract
            .tumours
            .iter()
            .filter(|t| t.site_group.as_deref() == Some(site))
            .filter_map(|t| {
                let p = patients[t.patient_id.as_str()];
                let code = p.sex.code().to_string();
                (code == sex).then(|| Subject {
                    time: (p.last_contact.unwrap() - t.incidence_date).num_days() as f64,
                    event: p.death_date.is_some(),
                    age_days: (t.incidence_date - p.birth_date.midpoint()).num_days() as f64,
                    sex: table.sex_index(&code).unwrap(),
                    date_days: days_since_1960(t.incidence_date),
                })
            })
            .collect();
        let r = relative_survival(
            &subjects,
            &table,
            RelativeMethod::PoharPerme,
            Integration::Daily,
            CiTransform::Log,
            0.95,
        )
        .unwrap();
        let five = 5.0 * DAYS_PER_YEAR;
        let k = r.partition_point(|x| x.row.time <= five);
        let at5 = r[k - 1].row;
        let want = truth[&(site.to_string(), sex.to_string())];
        let z = (at5.surv - want) / at5.std_err;
        assert!(
            z.abs() < 3.0,
            "{site}: net survival at 5 years {} ± {} vs truth {want} (z = {z:.2}, n = {})",
            at5.surv,
            at5.std_err,
            subjects.len()
        );
    }
}
