//! `oncodata scan` on SaTScan's New York leukaemia data (crates/stats/tests/data): the most
//! likely cluster SaTScan reports, the same output for the same seed, errors naming the file.

use serde_json::Value;

use crate::stdout_of;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../stats/tests/data/ny_leukemia.csv");

fn scan(extra: &[&str]) -> Value {
    let mut args = vec![
        "scan",
        "--data",
        DATA,
        "--location",
        "location_id",
        "--cases",
        "cases",
        "--population",
        "population",
        "--replicates",
        "199",
        "--seed",
        "7",
        "--format",
        "json",
    ];
    args.extend(extra);
    serde_json::from_str(&stdout_of(&args)).unwrap()
}

#[test]
fn the_command_finds_satscans_most_likely_cluster() {
    let result = scan(&["--x", "satscan_x", "--y", "satscan_y"]);
    let first = &result["clusters"][0];
    assert_eq!(first["centre"], "52");
    assert_eq!(first["members"].as_array().unwrap().len(), 28);
    assert_eq!(first["observed"], 100.0);
    assert!((first["llr"].as_f64().unwrap() - 14.0835106523).abs() < 1e-9, "{first}");
    assert!((first["expected"].as_f64().unwrap() - 58.2827093062).abs() < 1e-9);
    assert!(first["p_value"].as_f64().unwrap() <= 0.01);
    assert_eq!(result, scan(&["--x", "satscan_x", "--y", "satscan_y"]), "the same seed, the same output");
    let geo = scan(&["--latitude", "satscan_x", "--longitude", "satscan_y"]);
    assert_eq!(geo["clusters"][0]["members"].as_array().unwrap().len(), 31, "SaTScan's lat/long run: 31 tracts");
}

#[test]
fn bad_input_is_refused_naming_the_file_and_column() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_oncodata"))
        .args(["scan", "--data", DATA, "--location", "location_id", "--cases", "cases_fractional"])
        .args(["--population", "population", "--x", "satscan_x", "--y", "satscan_y"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("ny_leukemia.csv") && err.contains("cases_fractional") && err.contains("whole number"),
        "{err}"
    );
}

#[test]
fn tables_that_cannot_be_scanned_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text, says) in [
        ("empty.csv", "id,cases,population,x,y\n", "no"),
        ("nopop.csv", "id,cases,population,x,y\na,1,0,0,0\nb,2,0,1,1\n", "sums to 0"),
        ("nocases.csv", "id,cases,population,x,y\na,0,10,0,0\nb,0,20,1,1\n", "no cases"),
        ("badxy.csv", "id,cases,population,x,y\na,1,10,0,0\nb,2,20,inf,1\n", "not a coordinate"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_oncodata"))
            .args(["scan", "--data", path.to_str().unwrap(), "--location", "id", "--cases", "cases"])
            .args(["--population", "population", "--x", "x", "--y", "y", "--replicates", "9"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(name) && err.contains(says), "{name}: {err}");
        assert!(!err.contains("internal error"), "{name}: {err}");
    }
}
