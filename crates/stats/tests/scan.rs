//! The scan statistic against SaTScan's own reports on the New York leukaemia data (Waller et
//! al. 1994; 281 census tracts, 552 cases), as exported from the R package smerc's tests
//! (`tests/data/README.md`): the same most likely and secondary clusters — centres, members in
//! SaTScan's order, populations, observed — and the same expected counts and LLRs to SaTScan's
//! stored precision; with SaTScan's 999 simulated LLRs, the same p-values; with our own
//! replicates, p-values within Monte Carlo error.

use oncodata_stats::scan::{
    Distance, Location, Overlap, Settings, Windows, clusters, gumbel_p_value, rank_p_value, simulate,
};
use rand::{Rng, SeedableRng};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/");

fn locations() -> Vec<Location> {
    let mut reader = csv::Reader::from_path(format!("{DATA}ny_leukemia.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (cases, population, x, y) = (col("cases"), col("population"), col("satscan_x"), col("satscan_y"));
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let f = |i: usize| r[i].parse::<f64>().unwrap();
            Location { cases: f(cases), population: f(population), x: f(x), y: f(y) }
        })
        .collect()
}

fn reports() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{DATA}ny_leukemia_satscan.json")).unwrap()).unwrap()
}

fn check(run: &str, settings: Settings) -> Vec<oncodata_stats::scan::Window> {
    let locations = locations();
    let reports = reports();
    let expected = reports["runs"][run]["clusters"].as_array().unwrap();
    let found = clusters(&locations, &settings);
    assert!(found.len() >= expected.len(), "{run}: {} clusters, SaTScan {}", found.len(), expected.len());
    for (k, want) in expected.iter().enumerate() {
        let got = &found[k];
        let ids: Vec<u64> = got.members.iter().map(|&i| i as u64 + 1).collect();
        let want_ids: Vec<u64> =
            want["location_ids_in_satscan_order"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
        assert_eq!(ids, want_ids, "{run} cluster {}: members in SaTScan's order", k + 1);
        assert_eq!(got.centre as u64 + 1, want["centre_location_id"].as_u64().unwrap(), "{run} cluster {}", k + 1);
        assert_eq!(got.observed, want["observed"].as_f64().unwrap(), "{run} cluster {}", k + 1);
        if let Some(p) = want["population"].as_f64() {
            assert_eq!(got.population, p, "{run} cluster {}", k + 1);
        }
        match want.get("dbf") {
            Some(dbf) => {
                // SaTScan's stored values, 10 decimals.
                assert!((got.llr - dbf["llr"].as_f64().unwrap()).abs() < 1e-9, "{run} {}: LLR {}", k + 1, got.llr);
                assert!((got.expected - dbf["expected"].as_f64().unwrap()).abs() < 1e-9, "{run} {}: E", k + 1);
                let rr = got.relative_risk(552.0);
                assert!((rr - dbf["rel_risk"].as_f64().unwrap()).abs() < 1e-9, "{run} {}: RR {rr}", k + 1);
            }
            None => {
                // The printed values: 6 decimals for the LLR, 2 for E.
                assert!(
                    (got.llr - want["llr_6dp"].as_f64().unwrap()).abs() <= 5e-7,
                    "{run} {}: LLR {}",
                    k + 1,
                    got.llr
                );
                assert!((got.expected - want["expected_2dp"].as_f64().unwrap()).abs() <= 0.005, "{run} {}: E", k + 1);
            }
        }
    }
    found
}

#[test]
fn cartesian_half_the_population_gives_satscans_clusters_and_p_values() {
    let found = check("cartesian_50pct", Settings::default());
    // With SaTScan's own 999 simulated maximum LLRs, its rank p-values.
    let simulated: Vec<f64> = csv::Reader::from_path(format!("{DATA}ny_leukemia_satscan_simulated_llr.csv"))
        .unwrap()
        .records()
        .map(|r| r.unwrap()[1].parse().unwrap())
        .collect();
    assert_eq!(simulated.len(), 999);
    let reports = reports();
    for (k, want) in reports["runs"]["cartesian_50pct"]["clusters"].as_array().unwrap().iter().enumerate().skip(1) {
        let p = rank_p_value(found[k].llr, &simulated);
        assert!((p - want["p_value"].as_f64().unwrap()).abs() < 1e-12, "cluster {}: p {p}", k + 1);
    }
    // Nothing simulated beats the most likely cluster: rank 1 of 1000. SaTScan reports its
    // Gumbel approximation instead, stored as 0.00014773594879558.
    assert_eq!(rank_p_value(found[0].llr, &simulated), 0.001);
    let gumbel = gumbel_p_value(found[0].llr, &simulated).unwrap();
    let want = reports["runs"]["cartesian_50pct"]["clusters"][0]["dbf"]["p_value"].as_f64().unwrap();
    assert!((gumbel / want - 1.0).abs() < 1e-9, "Gumbel p {gumbel:e}, SaTScan {want:e}");

    // Our own replicates: the p-values within three Monte Carlo standard errors of SaTScan's.
    let locations = locations();
    let windows = Windows::new(&locations, &Settings::default());
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20261207);
    let ours = simulate(&windows, 552, 999, || rng.random::<f64>());
    for (k, want) in reports["runs"]["cartesian_50pct"]["clusters"].as_array().unwrap().iter().enumerate().skip(1) {
        let (p, theirs) = (rank_p_value(found[k].llr, &ours), want["p_value"].as_f64().unwrap());
        let se = (theirs * (1.0 - theirs) / 999.0).sqrt();
        assert!((p - theirs).abs() <= 3.0 * se + 1e-3, "cluster {}: p {p}, SaTScan {theirs}", k + 1);
    }
    assert!(rank_p_value(found[0].llr, &ours) <= 0.005);
}

#[test]
fn cartesian_a_tenth_of_the_population_gives_satscans_clusters() {
    check("cartesian_10pct", Settings { max_population_share: 0.1, ..Settings::default() });
}

#[test]
fn latitude_longitude_gives_satscans_clusters_and_radius() {
    let found = check("latlong_50pct", Settings { distance: Distance::GreatCircle, ..Settings::default() });
    assert!((found[0].radius - 7.70).abs() < 0.005, "radius {} km (SaTScan: 7.70 km)", found[0].radius);
}

/// With one period, the space-time scan is the purely spatial scan: the same most likely
/// window on SaTScan's New York data, with the same LLR.
#[test]
fn a_space_time_scan_over_one_period_is_the_purely_spatial_scan() {
    use oncodata_stats::scan::{SpaceTimeData, TimeWindows, space_time_clusters};
    let locations = locations();
    let settings = Settings::default();
    let spatial = clusters(&locations, &settings);
    let data = SpaceTimeData {
        periods: 1,
        cases: locations.iter().map(|l| l.cases).collect(),
        expected: locations.iter().map(|l| l.population).collect(),
    };
    let windows = Windows::new(&locations, &settings);
    let cylinders = space_time_clusters(
        &windows,
        &data,
        &TimeWindows { max_periods: 1, prospective: false },
        Overlap::NoGeographicalOverlap,
    );
    assert_eq!(cylinders[0].window.members, spatial[0].members);
    assert!((cylinders[0].window.llr - spatial[0].llr).abs() < 1e-9);
    assert!((cylinders[0].window.expected - spatial[0].expected).abs() < 1e-9);
    assert_eq!((cylinders[0].first, cylinders[0].last), (0, 0));
}

/// Three places on a line over two periods, by hand: the excess of place 0 in period 1 (8 cases
/// where 20/6 are expected) is the most likely cylinder, with LLR
/// `8 ln(8/(20/6)) + 12 ln(12/(20 − 20/6))`; prospectively too, as it ends in the last period.
#[test]
fn the_most_likely_cylinder_of_a_small_example_by_hand() {
    use oncodata_stats::scan::{SpaceTimeData, SpaceTimeModel, TimeWindows, simulate_space_time, space_time_clusters};
    let at = |x: f64| Location { cases: 0.0, population: 2.0, x, y: 0.0 };
    let locations = [at(0.0), at(1.0), at(10.0)];
    let settings = Settings::default();
    let windows = Windows::new(&locations, &settings);
    let data = SpaceTimeData { periods: 2, cases: vec![0.0, 8.0, 1.0, 1.0, 5.0, 5.0], expected: vec![1.0; 6] };
    let e: f64 = 20.0 / 6.0;
    let llr = 8.0 * (8.0 / e).ln() + 12.0 * (12.0 / (20.0 - e)).ln();
    for prospective in [false, true] {
        let found = space_time_clusters(
            &windows,
            &data,
            &TimeWindows { max_periods: 1, prospective },
            Overlap::NoGeographicalOverlap,
        );
        let top = &found[0];
        assert_eq!((top.window.members.clone(), top.first, top.last), (vec![0], 1, 1));
        assert!((top.window.llr - llr).abs() < 1e-12, "{} vs {llr}", top.window.llr);
        assert!((top.window.expected - e).abs() < 1e-12);
    }
    // Replicates under both null models give finite maxima; the permutation keeps 20 cases.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let time = TimeWindows { max_periods: 1, prospective: false };
    for model in [SpaceTimeModel::Poisson, SpaceTimeModel::Permutation] {
        let maxima = simulate_space_time(&windows, &data, &time, model, 50, || rng.random::<f64>());
        assert_eq!(maxima.len(), 50);
        assert!(maxima.iter().all(|m| m.is_finite() && *m >= 0.0));
    }
}

/// Low rates, both rates, a maximum radius, latitude/longitude, and each of SaTScan's criteria
/// for secondary clusters, against an independent brute-force implementation
/// (`reference/scan/scan_reference.py`, numpy: every window of every centre evaluated, exact
/// distances) on the New York data: the same clusters in the same order, with the same members,
/// observed counts, expected counts and LLRs (1e-9).
#[test]
fn rates_radius_and_secondary_criteria_equal_the_reference_implementation() {
    use oncodata_stats::scan::Rates;
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{DATA}scan_reference/expected.json")).unwrap()).unwrap();
    let locations = locations();
    let cases = reference["cases"].as_object().unwrap();
    assert_eq!(cases.len(), 10);
    for (name, case) in cases {
        let s = &case["settings"];
        let settings = Settings {
            max_population_share: s["max_population"].as_f64().unwrap(),
            max_radius: s["max_radius"].as_f64(),
            distance: if s["coordinates"] == "cartesian" { Distance::Cartesian } else { Distance::GreatCircle },
            rates: match s["rates"].as_str().unwrap() {
                "high" => Rates::High,
                "low" => Rates::Low,
                _ => Rates::Both,
            },
            overlap: match s["secondary"].as_str().unwrap() {
                "no_overlap" => Overlap::NoGeographicalOverlap,
                "no_centres_in_others" => Overlap::NoCentresInOtherClusters,
                "no_centres_in_more_likely" => Overlap::NoCentresInMoreLikely,
                "no_centres_in_less_likely" => Overlap::NoCentresInLessLikely,
                "no_pairs_of_centres" => Overlap::NoPairsOfCentres,
                _ => Overlap::NoRestrictions,
            },
            ..Settings::default()
        };
        let found = clusters(&locations, &settings);
        let want = case["clusters"].as_array().unwrap();
        assert_eq!(found.len(), want.len(), "{name}: number of clusters");
        for (k, (got, want)) in found.iter().zip(want).enumerate() {
            let members: Vec<usize> =
                want["members"].as_array().unwrap().iter().map(|m| m.as_u64().unwrap() as usize).collect();
            assert_eq!(got.centre, want["centre"].as_u64().unwrap() as usize, "{name} {k}: centre");
            assert_eq!(got.members, members, "{name} {k}: members");
            assert_eq!(got.observed, want["observed"].as_f64().unwrap(), "{name} {k}");
            assert!((got.expected - want["expected"].as_f64().unwrap()).abs() < 1e-9, "{name} {k}: E");
            assert!((got.llr - want["llr"].as_f64().unwrap()).abs() < 1e-9, "{name} {k}: LLR {}", got.llr);
            assert!((got.radius - want["radius"].as_f64().unwrap()).abs() < 1e-9, "{name} {k}: radius");
        }
    }
}
