//! The command line's help, errors and small commands.

use crate::oncodata;

#[test]
fn help_lists_the_subcommands_and_each_has_an_example() {
    let out = oncodata(&["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for sub in ["demo", "sql", "codes", "survival", "incidence", "synth", "ingest", "quarantine", "verify", "quality"] {
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

/// `oncodata synth`: same seed and arguments give the same bytes; the scale scales the data;
/// `--warehouse` loads what it generated with counts that add up.
#[test]
fn synth_is_deterministic_scaled_and_loadable() {
    let (a, b, w) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let args = |out: &str| -> Vec<String> {
        ["synth", "--out", out, "--departements", "14,50", "--years", "2020-2021", "--scale", "0.1", "--seed", "3"]
            .map(String::from)
            .to_vec()
    };
    for d in [&a, &b] {
        let argv = args(d.path().to_str().unwrap());
        let out = oncodata(&argv.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    for f in [
        "registry/encr_14-50_2020-2021.csv",
        "registry/identity_14-50_2020-2021.csv",
        "registry/encr_paediatric_2020-2021.csv",
        "claims/beneficiaries.csv",
        "claims/pmsi_mco_stays.csv",
        "hospitals/omop/baclesse/person.csv",
        "population.csv",
        "life_table.csv",
        "truth/faults.csv",
        "truth/records.csv",
        "truth/net_survival.csv",
    ] {
        assert_eq!(std::fs::read(a.path().join(f)).unwrap(), std::fs::read(b.path().join(f)).unwrap(), "{f}");
    }
    // 10 % of Calvados and Manche (1,187,000 people) for two years: about 2 × 0.1 × 1.187e6 ×
    // 433,136 / 67.6e6 ≈ 1,520 tumours (fewer in 2020-2021 than in 2023 for falling sites, a
    // few more for duplicates).
    let lines =
        std::fs::read_to_string(a.path().join("registry/encr_14-50_2020-2021.csv")).unwrap().lines().count() - 1;
    assert!((1350..1700).contains(&lines), "{lines}");
    let mut argv = args(a.path().to_str().unwrap());
    argv.extend(["--warehouse".to_string(), w.path().to_str().unwrap().to_string()]);
    let out = oncodata(&argv.iter().map(String::as_str).collect::<Vec<_>>());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains(&format!("read {lines} = accepted")), "{err}");
}

/// Output piped into a reader that has gone (`oncodata … | head`) ends the program quietly,
/// not in a panic.
#[cfg(unix)]
#[test]
fn a_closed_pipe_is_not_a_panic() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_oncodata"))
        .args(["codes", "C44.5", "8720/3"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked") && !stderr.contains("error"), "{stderr}");
}
