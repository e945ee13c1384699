//! `oncodata trend` end to end: on the English incidence series that NCI's Joinpoint fitted
//! (crates/stats/tests/data/joinpoint), Joinpoint's own models and APCs; with permutation tests
//! and resamples, the independent Python reference's numbers; on a synthetic warehouse, the
//! trends of exactly the age-standardised rates and standard errors `oncodata incidence`
//! publishes, disclosure control included; errors naming the file, row and column.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::{oncodata, stdout_of};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../stats/tests/data/joinpoint/");

fn json(args: &[&str]) -> Value {
    serde_json::from_str(&stdout_of(args)).unwrap()
}

#[test]
fn the_english_series_give_joinpoint_s_published_models() {
    let data = format!("{DATA}england_incidence_rolling.csv");
    let out = json(&["trend", "--data", &data, "--rate", "asr_rolling", "--by", "cancer_site,sex", "--format", "json"]);
    let series = out["series"].as_array().unwrap();
    assert_eq!(series.len(), 12);
    let mut published = csv::Reader::from_path(format!("{DATA}england_joinpoint_results.csv")).unwrap();
    for row in published.records() {
        let row = row.unwrap();
        let s = series.iter().find(|s| s["key"][0] == row[0] && s["key"][1] == row[1]).unwrap();
        assert_eq!(s["selected"].to_string(), &row[2], "{row:?}");
        let years: Vec<String> =
            s["joinpoints"].as_array().unwrap().iter().map(|j| format!("{:.0}", j.as_f64().unwrap())).collect();
        assert_eq!(years.join(" "), &row[3], "{row:?}");
        let apcs: Vec<String> =
            s["segments"].as_array().unwrap().iter().map(|g| format!("{:.4}", g["apc"].as_f64().unwrap())).collect();
        assert_eq!(apcs.join(" "), &row[4], "{row:?}");
    }
    assert_eq!(out["settings"]["selection"], "weighted BIC");
}

#[test]
fn permutation_tests_and_resamples_equal_the_python_reference() {
    let expected: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(format!("{DATA}expected.json")).unwrap()).unwrap();
    let case = expected.iter().find(|c| c["name"] == "synthetic poisson, permutation tests").unwrap();
    let want = &case["expected"];
    let data = format!("{DATA}synthetic_poisson.csv");
    let text = stdout_of(&[
        "trend",
        "--data",
        &data,
        "--rate",
        "rate",
        "--count",
        "count",
        "--weights",
        "poisson",
        "--selection",
        "permutation",
        "--permutations",
        "299",
        "--seed",
        "7",
        "--max-joinpoints",
        "3",
        "--resamples",
        "300",
        "--aapc",
        "2011-2020",
        "--aapc",
        "2013-2020",
        "--format",
        "csv",
    ]);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let (apcs, aapcs): (Vec<_>, Vec<_>) = rows.iter().partition(|r| &r[1] == "apc");
    let close = |got: &str, want: &Value| {
        let (g, w) = (got.parse::<f64>().unwrap(), want.as_f64().unwrap());
        assert!((g - w).abs() <= 1e-6 * w.abs().max(1.0), "{g} against the reference's {w}");
    };
    assert_eq!(rows[0][0].to_string(), want["selected"].to_string());
    for (r, w) in apcs.iter().zip(want["segments"].as_array().unwrap()) {
        for (col, key) in [(4, "apc"), (5, "lower"), (6, "upper"), (7, "p_value"), (8, "eq_lower"), (9, "eq_upper")] {
            close(&r[col], &w[key]);
        }
    }
    assert_eq!(aapcs.len(), 3);
    for (r, w) in aapcs.iter().zip(want["aapc"].as_array().unwrap()) {
        for (col, key) in
            [(2, "from"), (3, "to"), (4, "aapc"), (5, "lower"), (6, "upper"), (8, "eq_lower"), (9, "eq_upper")]
        {
            close(&r[col], &w[key]);
        }
    }
}

#[test]
fn on_the_warehouse_trends_fit_the_published_rates() {
    let dir = tempfile::tempdir().unwrap();
    let (data, wh) = (dir.path().join("synth"), dir.path().join("wh"));
    let (data, wh) = (data.to_str().unwrap(), wh.to_str().unwrap());
    stdout_of(&[
        "synth",
        "--out",
        data,
        "--departements",
        "50",
        "--years",
        "2008-2022",
        "--scale",
        "0.5",
        "--warehouse",
        wh,
    ]);
    let plot = dir.path().join("trends.svg");
    let steward = json(&[
        "trend",
        "--warehouse",
        wh,
        "--by",
        "site_group,sex",
        "--audience",
        "steward",
        "--aapc",
        "2018-2022",
        "--format",
        "json",
        "--plot",
        plot.to_str().unwrap(),
    ]);
    assert!(std::fs::read_to_string(&plot).unwrap().contains("<svg"));
    assert_eq!(steward["settings"]["weights"], "standard error");
    // The same rates as `oncodata incidence` publishes, fitted again from its CSV.
    let incidence = stdout_of(&[
        "incidence",
        "--warehouse",
        wh,
        "--by",
        "site_group,sex,year",
        "--audience",
        "steward",
        "--format",
        "csv",
    ]);
    let fitted = steward["series"].as_array().unwrap();
    let keys: Vec<String> = fitted
        .iter()
        .map(|s| format!("{},{},", s["key"][0].as_str().unwrap(), s["key"][1].as_str().unwrap()))
        .collect();
    let mut lines = incidence.lines();
    let mut kept = format!("{}\n", lines.next().unwrap());
    for line in lines.filter(|l| keys.iter().any(|k| l.starts_with(k.as_str()))) {
        kept += &format!("{line}\n");
    }
    let table = dir.path().join("incidence.csv");
    std::fs::write(&table, &kept).unwrap();
    let again = json(&[
        "trend",
        "--data",
        table.to_str().unwrap(),
        "--x",
        "year",
        "--rate",
        "asr",
        "--se",
        "asr_se",
        "--weights",
        "se",
        "--by",
        "site_group,sex",
        "--aapc",
        "2018-2022",
        "--format",
        "json",
    ]);
    assert!(fitted.len() >= 20, "{} series", fitted.len());
    for s in fitted {
        let twin = again["series"].as_array().unwrap().iter().find(|t| t["key"] == s["key"]).unwrap();
        for key in ["x", "rate", "selected", "joinpoints", "segments", "aapc", "fitted"] {
            assert_eq!(s[key], twin[key], "{}: {key}", s["key"]);
        }
    }
    // For the public, a series with a withheld year is not fitted, and says why.
    let public = json(&["trend", "--warehouse", wh, "--by", "site_group,sex", "--format", "json"]);
    let public_table = stdout_of(&["incidence", "--warehouse", wh, "--by", "site_group,sex,year", "--format", "csv"]);
    let mut shown: BTreeMap<(String, String), usize> = BTreeMap::new();
    for r in csv::Reader::from_reader(public_table.as_bytes()).records() {
        let r = r.unwrap();
        if !r[3].is_empty() {
            *shown.entry((r[0].to_string(), r[1].to_string())).or_default() += 1;
        }
    }
    for s in public["series"].as_array().unwrap() {
        let key = (s["key"][0].as_str().unwrap().to_string(), s["key"][1].as_str().unwrap().to_string());
        assert_eq!(shown.get(&key), Some(&15), "{key:?}: fitted on 15 published years");
    }
    let not_fitted = public["not_fitted"].as_array().unwrap();
    assert!(!not_fitted.is_empty());
    for n in not_fitted {
        let key = (n[0][0].as_str().unwrap().to_string(), n[0][1].as_str().unwrap().to_string());
        assert!(shown.get(&key).copied().unwrap_or(0) < 15, "{key:?} is published in full yet not fitted");
        assert!(n[1].as_str().unwrap().contains("withheld by disclosure control"), "{n}");
    }
}

#[test]
fn bad_input_is_refused_naming_the_file_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rates.csv");
    std::fs::write(&file, "year,rate\n2001,10\n2002,11\n2003,0\n2004,12\n").unwrap();
    let out = oncodata(&["trend", "--data", file.to_str().unwrap(), "--rate", "rate"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("rates.csv row 3") && err.contains("'rate'") && err.contains("above 0"), "{err}");
    std::fs::write(&file, "year,rate\n2001,10\n2001,11\n2003,12\n").unwrap();
    let err = String::from_utf8_lossy(&oncodata(&["trend", "--data", file.to_str().unwrap(), "--rate", "rate"]).stderr)
        .into_owned();
    assert!(err.contains("two rows for 2001"), "{err}");
    let err = String::from_utf8_lossy(
        &oncodata(&["trend", "--data", file.to_str().unwrap(), "--rate", "rate", "--aapc", "2001-"]).stderr,
    )
    .into_owned();
    assert!(err.contains("--aapc 2001-"), "{err}");
    let err =
        String::from_utf8_lossy(&oncodata(&["trend", "--warehouse", dir.path().to_str().unwrap()]).stderr).into_owned();
    assert!(err.contains("no warehouse here"), "{err}");
}
