//! Cancer deaths: the WHO Mortality Database's raw file (an excerpt of `Morticd10_part6`:
//! France 2021–2022 as CépiDc reports it, and rows of five other age formats;
//! `crates/ingest/fixtures/real/mortality/SOURCE.md`) ingested as published and compared row by
//! row with what an independent Python reader computes from it; then the quality report's
//! mortality:incidence ratio against a hand count.

use std::path::{Path, PathBuf};

use crate::{ingest_json, oncodata, stdout_of};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ingest/fixtures/real/mortality")
}

#[test]
fn the_who_mortality_database_file_loads_as_published() {
    let tmp = tempfile::tempdir().unwrap();
    let wh = tmp.path().join("wh");
    let w = wh.to_str().unwrap();
    let file = fixtures().join("who-morticd10-part6-excerpt.csv.gz");
    let summary = ingest_json(&wh, &["--source", "mortality", file.to_str().unwrap()]);
    let reference = &summary["reference"][0];
    assert_eq!(reference["layout"], "WHO Mortality Database");
    // Rows read add up: neoplasms kept, other causes and the condensed list skipped.
    let notes = reference["notes"].to_string();
    assert!(
        notes.contains(
            "9196 rows read: 1707 of neoplasms (C00–D48) kept, 7469 of other causes skipped, 20 of list 101 skipped"
        ),
        "{notes}"
    );

    let got = stdout_of(&[
        "sql",
        "--warehouse",
        w,
        "--format",
        "csv",
        "SELECT area, year, sex, age_group, cause, deaths FROM mortality ORDER BY area, year, sex, age_group, cause",
    ]);
    let want = std::fs::read_to_string(fixtures().join("expected-mortality.csv")).unwrap();
    assert_eq!(got.lines().count(), want.lines().count(), "rows");
    for (g, e) in got.lines().zip(want.lines()) {
        assert_eq!(g, e);
    }
    // France's cancer deaths (C00–C97) of 2021 and 2022, and their site groups.
    let france = stdout_of(&[
        "sql",
        "--warehouse",
        w,
        "--format",
        "csv",
        "SELECT sum(deaths) AS deaths, sum(CASE WHEN site_group = 'lung' THEN deaths ELSE 0 END) AS lung, \
         sum(CASE WHEN cause LIKE 'C34%' THEN deaths ELSE 0 END) AS c34, \
         sum(CASE WHEN site_group IS NULL AND cause LIKE 'C%' THEN deaths ELSE 0 END) AS c_without_group \
         FROM mortality WHERE area = '4080' AND cause LIKE 'C%'",
    ]);
    let row: Vec<&str> = france.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(row[0], "319942", "{france}");
    // The lung group holds C33 (trachea) and C34: at least every C34 death.
    let (lung, c34): (u64, u64) = (row[1].parse().unwrap(), row[2].parse().unwrap());
    assert!(lung >= c34 && c34 > 50_000, "{france}");
    // Only secondary sites (C77–C79) and C97 have no group.
    let without = stdout_of(&[
        "sql",
        "--warehouse",
        w,
        "--format",
        "csv",
        "SELECT DISTINCT substr(cause, 1, 3) AS c FROM mortality WHERE site_group IS NULL AND cause LIKE 'C%' ORDER BY c",
    ]);
    for c in without.lines().skip(1) {
        assert!(["C77", "C78", "C79", "C97"].contains(&c), "{c} has no site group");
    }
}

#[test]
fn a_bad_mortality_row_fails_the_load_with_its_line_and_publishes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("deaths.csv");
    std::fs::write(&file, "area,year,sex,age_group,cause,deaths\n50,2021,1,60-64,C349,2\n50,2021,1,60-64,C61,two\n")
        .unwrap();
    let wh = tmp.path().join("wh");
    let out =
        oncodata(&["ingest", "--warehouse", wh.to_str().unwrap(), "--source", "mortality", file.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("deaths.csv line 3") && err.contains("deaths 'two' is not a count of deaths"), "{err}");
    assert!(!wh.join("tables").join("mortality").exists());
}

/// M:I = the covered areas' deaths from the site group's cancers in the year / the registry's
/// cases: computed by hand from a mortality file written here.
#[test]
fn quality_gives_the_mortality_incidence_ratio_of_the_covered_areas() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let d = data.to_str().unwrap();
    stdout_of(&[
        "synth",
        "--out",
        d,
        "--departements",
        "14,50",
        "--years",
        "2021-2022",
        "--scale",
        "0.05",
        "--seed",
        "3",
    ]);
    let encr = crate::registry_extract(&data);
    let wh = tmp.path().join("wh");
    let w = wh.to_str().unwrap();
    ingest_json(&wh, &["--coverage", "14,50:2021-2022", "--source", "encr-csv", encr.to_str().unwrap()]);
    let quality = |w: &str| stdout_of(&["quality", "--warehouse", w, "--format", "csv"]);
    let cell = |csv: &str, group: &str, year: &str| -> Vec<String> {
        csv.lines()
            .map(|l| l.split(',').map(String::from).collect::<Vec<_>>())
            .find(|f| f[1] == group && f[2] == year)
            .unwrap_or_else(|| panic!("no {group} {year} in {csv}"))
    };
    // No mortality source: M:I is empty and the report says why.
    let table = stdout_of(&["quality", "--warehouse", w]);
    assert!(table.contains("M:I not computable: no mortality source"), "{table}");
    assert_eq!(cell(&quality(w), "lung", "2021")[8], "");

    // 2021: both covered départements have deaths (lung: 3 + 2, and 7 in Orne, which the
    // registry does not cover; a breast death; a C34 death of 2022 in Calvados only).
    let deaths = tmp.path().join("deaths.csv");
    std::fs::write(
        &deaths,
        "area,year,sex,age_group,cause,deaths\n\
         14,2021,1,65-69,C34.1,3\n50,2021,2,70-74,C349,2\n61,2021,1,60-64,C34,7\n\
         50,2021,2,55-59,C50,1\n14,2022,1,65-69,C34,4\n14,2021,1,50-54,I21,9\n",
    )
    .unwrap();
    ingest_json(&wh, &["--source", "mortality", deaths.to_str().unwrap()]);
    let q = quality(w);
    let lung = cell(&q, "lung", "2021");
    let cases: f64 = lung[3].parse().unwrap();
    let mi: f64 = lung[8].parse().unwrap();
    assert!((mi - (5.0 / cases * 1000.0).round() / 1000.0).abs() < 1e-9, "{lung:?}");
    // A group without deaths in a complete year: 0; 2022 lacks Manche: not computable.
    let prostate = cell(&q, "prostate", "2021");
    assert_eq!(prostate[8], "0.0", "{prostate:?}");
    assert_eq!(cell(&q, "lung", "2022")[8], "", "Manche has no deaths in 2022");
}
