//! The command line's help, errors and small commands.

use crate::oncodata;

#[test]
fn help_lists_the_subcommands_and_each_has_an_example() {
    let out = oncodata(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for sub in ["demo", "sql", "codes", "survival", "incidence"] {
        assert!(help.contains(sub), "{sub} missing from --help:\n{help}");
        let sub_help = String::from_utf8(oncodata(&[sub, "--help"]).stdout).unwrap();
        assert!(sub_help.contains("Example"), "{sub} --help has no example:\n{sub_help}");
    }
    let demo_help = String::from_utf8(oncodata(&["demo", "--help"]).stdout).unwrap();
    assert!(demo_help.contains("--warehouse <DIR>") && demo_help.contains("oncodata-data"), "{demo_help}");
}

#[test]
fn codes_converts_and_explains() {
    let out = oncodata(&["codes", "C44.5", "8720/3"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("C43.5") && text.contains("melanoma") && text.contains("XId"), "{text}");
    let json = oncodata(&["codes", "--format", "json", "C64.9", "8960/3"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["icd10"], "C64");
    assert_eq!(v["iccc3"], "VIa");
    assert_eq!(v["site_group"], "kidney");
}

#[test]
fn bad_codes_and_missing_warehouse_are_clear_errors() {
    let out = oncodata(&["codes", "C50.7", "8500/3"]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("C50.7") && err.contains("does not exist"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nothing");
    let out = oncodata(&["sql", "--warehouse", missing.to_str().unwrap(), "SELECT 1"]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("no warehouse here"), "{err}");
}
