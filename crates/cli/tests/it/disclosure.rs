//! `oncodata disclosure check` end to end: a table with a count of 3 is refused, one whose
//! counts are all 11 or more passes, under the warehouse's policy file (written with the
//! defaults on first use, then tightened by a steward).

use crate::{oncodata, run_demo};

#[test]
fn a_small_count_is_refused_and_a_safe_table_passes() {
    let tmp = tempfile::tempdir().unwrap();
    let wh = tmp.path().join("wh");
    run_demo(&wh);
    let w = wh.to_str().unwrap();
    let unsafe_table = tmp.path().join("unsafe.csv");
    std::fs::write(
        &unsafe_table,
        "site_group,sex,cases\nlung,male,25\nkaposi,female,3\nbreast,female,0\nthyroid,male,\n",
    )
    .unwrap();
    let safe_table = tmp.path().join("safe.csv");
    std::fs::write(&safe_table, "site_group,cases\nlung,11\nbreast,40\n").unwrap();
    let check = |file: &std::path::Path, extra: &[&str]| {
        let mut args = vec!["disclosure", "check", file.to_str().unwrap(), "--warehouse", w, "--format", "csv"];
        args.extend_from_slice(extra);
        oncodata(&args)
    };

    let out = check(&unsafe_table, &["--count", "cases", "--by", "site_group,sex"]);
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("2,kaposi,female,3,suppressed,frequency,\"3 persons, fewer than 11\""), "{stdout}");
    assert!(stdout.contains("3,breast,female,0,safe"), "zeros are shown: {stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not safe to publish: 1 of 4 cells would be withheld"), "{stderr}");
    assert!(wh.join("disclosure.toml").is_file(), "the default policy is written in the warehouse");

    let out = check(&safe_table, &["--count", "cases"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The steward sees raw figures.
    assert!(check(&unsafe_table, &["--count", "cases", "--audience", "steward"]).status.success());

    // A steward raises the public threshold to 50: 40 is now withheld.
    let policy = std::fs::read_to_string(wh.join("disclosure.toml")).unwrap();
    std::fs::write(wh.join("disclosure.toml"), policy.replacen("min_persons = 11", "min_persons = 50", 1)).unwrap();
    let out = check(&safe_table, &["--count", "cases"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("40,suppressed,frequency"));

    // Bad input names the file, the row and the column.
    let bad = tmp.path().join("bad.csv");
    std::fs::write(&bad, "g,n\na,x\n").unwrap();
    let out = check(&bad, &["--count", "n"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("bad.csv: row 1: count x") && stderr.contains("(column n)"),
        "{stderr}"
    );
    let out = check(&safe_table, &["--count", "persons"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no column 'persons'"));
}
