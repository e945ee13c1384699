//! `oncodata incidence` on files, against R (`tests/reference/incidence_reference.R`:
//! poisson.test, epitools::ageadjust.direct, the Tiwari formula with qgamma), and on the
//! warehouse, against the demo's own table.

use std::collections::HashMap;

use crate::{oncodata, run_demo};

const REF: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference");

type Rows = HashMap<(String, String), HashMap<String, String>>;

fn rows(text: &str) -> Rows {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let h = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (
                (rec[0].to_string(), rec[1].to_string()),
                h.iter().zip(rec.iter()).map(|(a, b)| (a.to_string(), b.to_string())).collect(),
            )
        })
        .collect()
}

/// `oncodata incidence` on the R reference files by site group and sex, plus `extra`.
fn on_reference_files(extra: &[&str]) -> std::process::Output {
    let (cases, population) = (format!("{REF}/incidence_cases.csv"), format!("{REF}/incidence_population.csv"));
    // Compared with R: the raw figures, as a steward sees them.
    let mut args = vec![
        "incidence",
        "--audience",
        "steward",
        "--cases",
        &cases,
        "--population",
        &population,
        "--by",
        "site_group,sex",
    ];
    args.extend(extra);
    oncodata(&args)
}

fn run_files(ci: &str) -> Rows {
    let out = on_reference_files(&["--ci", ci, "--format", "csv"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    rows(&String::from_utf8(out.stdout).unwrap())
}

fn close(a: &str, b: &str, what: &str) {
    let (x, y): (f64, f64) = (a.parse().unwrap(), b.parse().unwrap());
    assert!((x - y).abs() <= 1e-9 * y.abs(), "{what}: {x} vs R {y}");
}

#[test]
fn file_rates_match_r() {
    let reference = rows(&std::fs::read_to_string(format!("{REF}/incidence_reference.csv")).unwrap());
    let ff = run_files("fay-feuer");
    let tiwari = run_files("tiwari");
    assert_eq!(ff.len(), reference.len());
    for (key, want) in &reference {
        let got = &ff[key];
        for col in [
            "cases",
            "person_years",
            "crude_rate",
            "crude_lower",
            "crude_upper",
            "asr",
            "asr_lower",
            "asr_se",
            "cum_rate_0_74",
            "cum_risk_0_74",
        ] {
            close(&got[col], &want[col], &format!("{key:?} {col}"));
        }
        close(&got["asr_upper"], &want["ff_upper"], &format!("{key:?} Fay-Feuer upper"));
        close(&tiwari[key]["asr_upper"], &want["tiwari_upper"], &format!("{key:?} Tiwari upper"));
        close(&tiwari[key]["asr_lower"], &want["asr_lower"], &format!("{key:?} Tiwari lower"));
    }
}

#[test]
fn warehouse_rates_equal_the_demo_table_and_truncation_works() {
    let dir = tempfile::tempdir().unwrap();
    run_demo(dir.path());
    let w = dir.path().to_str().unwrap();
    // Both public: the command withholds what the demo's report withholds, and shows the same.
    let out = oncodata(&["incidence", "--warehouse", w, "--by", "site_group,sex", "--format", "csv"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let ours = rows(&String::from_utf8(out.stdout).unwrap());
    let demo = rows(&std::fs::read_to_string(dir.path().join("reports/incidence_by_site_sex.csv")).unwrap());
    for (key, d) in demo.iter().filter(|(k, _)| k.0 != "all") {
        assert_eq!(ours[key]["suppressed"], d["suppressed"], "{key:?}");
        if !d["suppressed"].is_empty() {
            continue;
        }
        for col in ["cases", "crude_rate", "asr", "asr_lower", "asr_upper"] {
            close(&ours[key][col], &d[col], &format!("{key:?} {col}"));
        }
    }
    // Truncated 0-74 rate: the same computation over the first 15 groups (weights renormalised).
    let t = oncodata(&[
        "incidence",
        "--audience",
        "steward",
        "--warehouse",
        w,
        "--by",
        "sex",
        "--age-range",
        "0-74",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&t.stdout).unwrap();
    assert!(v[0]["asr"].as_f64().unwrap() > 0.0 && v[0]["cum_risk_0_74"].is_null());
    let bad = oncodata(&["incidence", "--warehouse", w, "--by", "colour"]);
    assert!(String::from_utf8(bad.stderr).unwrap().contains("--by colour: on the warehouse, group by site_group, sex"));
}

/// `--sir-reference` and `--ratio-to` against R (poisson.test(O, T = E); the test-based
/// interval of CanReg5/Rcan written out in R).
#[test]
fn sir_and_rate_ratios_match_r() {
    let out = on_reference_files(&[
        "--sir-reference",
        &format!("{REF}/incidence_reference_rates.csv"),
        "--ratio-to",
        "sex=female",
        "--format",
        "csv",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let ours = rows(&String::from_utf8(out.stdout).unwrap());
    let sir = rows(&std::fs::read_to_string(format!("{REF}/incidence_sir_reference.csv")).unwrap());
    for (key, want) in &sir {
        for col in ["expected", "sir", "sir_lower", "sir_upper"] {
            close(&ours[key][col], &want[col], &format!("{key:?} {col}"));
        }
    }
    let rr = rows(&std::fs::read_to_string(format!("{REF}/incidence_rr_reference.csv")).unwrap());
    for (key, want) in &rr {
        for col in ["rate_ratio", "rr_lower", "rr_upper"] {
            close(&ours[key][col], &want[col], &format!("{key:?} {col}"));
        }
    }
    assert_eq!(ours[&("lung".into(), "female".into())]["rate_ratio"], "1");
}

/// `--age-specific`: one row per group and age group; counts add up to the totals and each rate
/// is cases / person-years per 100,000.
#[test]
fn age_specific_rates_add_up() {
    let out = oncodata(&[
        "incidence",
        "--audience",
        "steward",
        "--cases",
        &format!("{REF}/incidence_cases.csv"),
        "--population",
        &format!("{REF}/incidence_population.csv"),
        "--by",
        "sex",
        "--age-specific",
        "--format",
        "csv",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(rows.len(), 36);
    let total: f64 = rows.iter().map(|x| x[2].parse::<f64>().unwrap()).sum();
    assert_eq!(total, 990.0);
    for x in &rows {
        let (c, p, rate): (f64, f64, f64) = (x[2].parse().unwrap(), x[3].parse().unwrap(), x[4].parse().unwrap());
        assert!((rate - c / p * 1e5).abs() <= 1e-12 * rate.max(1.0));
    }
}

/// Cases given as aggregated rows with a `count` column and an `age_group` column give the same
/// table as one row per case with ages.
#[test]
fn aggregated_cases_equal_individual_cases() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(format!("{REF}/incidence_cases.csv")).unwrap();
    let mut counts: std::collections::BTreeMap<(String, String, String), u32> = Default::default();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let age: u32 = f[2].parse().unwrap();
        let group = if age >= 85 { "85+".to_string() } else { format!("{}-{}", age / 5 * 5, age / 5 * 5 + 4) };
        *counts.entry((f[0].to_string(), f[1].to_string(), group)).or_default() += 1;
    }
    let mut agg = String::from("site_group,sex,age_group,count\n");
    for ((s, x, g), n) in &counts {
        agg.push_str(&format!("{s},{x},{g},{n}\n"));
    }
    let path = dir.path().join("aggregated.csv");
    std::fs::write(&path, agg).unwrap();
    let run = |cases: &str| {
        let out = oncodata(&[
            "incidence",
            "--audience",
            "steward",
            "--cases",
            cases,
            "--population",
            &format!("{REF}/incidence_population.csv"),
            "--by",
            "site_group,sex",
            "--format",
            "csv",
        ]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(run(path.to_str().unwrap()), run(&format!("{REF}/incidence_cases.csv")));
}

/// Cases need person-years: an age group with cases but no population row (or a zero one) is
/// an error naming the stratum and the age group, and an age range with no person-years at all
/// is an error too, never a rate over zero or a panic.
#[test]
fn missing_person_years_are_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let at = |n: &str| tmp.path().join(n).to_str().unwrap().to_string();
    std::fs::write(at("cases.csv"), "sex,age,count\nmale,62,3\nmale,67,2\nfemale,40,1\n").unwrap();
    std::fs::write(at("pop.csv"), "sex,age_group,person_years\nmale,60-64,1000\nfemale,40-44,500\n").unwrap();
    let (cases, pop) = (at("cases.csv"), at("pop.csv"));
    let run = |extra: &[&str]| {
        let mut args =
            vec!["incidence", "--audience", "steward", "--cases", &cases, "--population", &pop, "--by", "sex"];
        args.extend_from_slice(extra);
        let out = oncodata(&args);
        (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (ok, err) = run(&[]);
    assert!(!ok && err.contains("age group 65-69 of sex=male") && err.contains("no person-years"), "{err}");
    let (ok, err) = run(&["--age-range", "0-14"]);
    assert!(!ok && err.contains("no person-years") && !err.contains("internal error"), "{err}");
}

/// For the public (the default audience), no count of 1-10 persons is printed: such a row is
/// empty from its count on, with the rule named; the steward's table shows every count, and
/// the rows withheld are exactly its rows of 1-10 cases.
#[test]
fn the_public_table_withholds_counts_of_1_to_10_and_what_reveals_them() {
    let tmp = tempfile::tempdir().unwrap();
    let wh = tmp.path().join("wh");
    crate::run_demo(&wh);
    let w = wh.to_str().unwrap();
    let table = |by: &str, audience: &[&str]| {
        let mut args = vec!["incidence", "--warehouse", w, "--by", by, "--format", "csv"];
        args.extend_from_slice(audience);
        let out = oncodata(&args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        (rows(&String::from_utf8(out.stdout).unwrap()), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (public, note) = table("site_group,sex", &[]);
    let (steward, _) = table("site_group,sex", &["--audience", "steward"]);
    assert_eq!(public.len(), steward.len());
    let small = |r: &HashMap<String, String>| r["cases"].parse::<f64>().is_ok_and(|c| c > 0.0 && c < 11.0);
    let primary = steward.values().filter(|r| small(r)).count();
    assert!(primary > 0, "the demo has small cells");
    let mut secondary = 0;
    for (key, r) in &public {
        if small(&steward[key]) {
            assert_eq!(r["suppressed"], "frequency", "{r:?}");
        } else if r["suppressed"] == "secondary" {
            secondary += 1;
        } else {
            assert_eq!(r["suppressed"], "", "{r:?}");
            assert_eq!(r["cases"], steward[key]["cases"]);
            continue;
        }
        for c in ["cases", "person_years", "crude_rate", "asr", "asr_upper", "cum_risk_0_74"] {
            assert_eq!(r[c], "", "{c} of a withheld row: {r:?}");
        }
    }
    assert!(secondary > 0, "a small cell alone in its line would be its margin minus the rest");
    assert!(
        note.contains(&format!("{primary} withheld by the frequency rule"))
            && note.contains(&format!("{secondary} by secondary suppression"))
            && note.contains("none recoverable on the"),
        "{note}"
    );
    // What the public can also ask for: the tables by site group and by sex. In no line of the
    // table (a site's sexes, a sex's sites) with its margin is one cell withheld alone.
    let (by_site, _) = table("site_group", &[]);
    let (by_sex, _) = table("sex", &[]);
    let hidden = |r: &HashMap<String, String>| !r["suppressed"].is_empty();
    for (column, margins) in [("site_group", &by_site), ("sex", &by_sex)] {
        for (key, m) in margins {
            let line: Vec<&HashMap<String, String>> = public.values().filter(|r| r[column] == key.0).collect();
            let withheld = line.iter().filter(|r| hidden(r)).count() + usize::from(hidden(m));
            assert_ne!(withheld, 1, "{column} = {}: one withheld cell in its line, {line:?} {m:?}", key.0);
        }
    }
}

/// A table printed as CSV, keyed by its first `groups` columns.
fn keyed(text: &str, groups: usize) -> HashMap<Vec<String>, HashMap<String, String>> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let h = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            let key = rec.iter().take(groups).map(String::from).collect();
            (key, h.iter().zip(rec.iter()).map(|(a, b)| (a.to_string(), b.to_string())).collect())
        })
        .collect()
}

/// `--years`: the cases diagnosed in those years over those years' population. Each year's
/// table is that year's rows of the table by year, and the demo's whole period (2021-2022) is
/// the table without the option.
#[test]
fn a_period_of_years_is_the_years_rows_of_the_table_by_year() {
    let dir = tempfile::tempdir().unwrap();
    run_demo(dir.path());
    let w = dir.path().to_str().unwrap();
    let table = |by: &str, extra: &[&str]| {
        let mut args = vec!["incidence", "--audience", "steward", "--warehouse", w, "--by", by, "--format", "csv"];
        args.extend_from_slice(extra);
        let out = oncodata(&args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        keyed(&String::from_utf8(out.stdout).unwrap(), by.split(',').count())
    };
    let by_year = table("year,sex", &[]);
    for year in ["2021", "2022"] {
        let one = table("sex", &["--years", year]);
        assert_eq!(one.len(), 2, "{one:?}");
        for (key, row) in &one {
            let whole = &by_year[&vec![year.to_string(), key[0].clone()]];
            for col in ["cases", "person_years", "asr", "asr_lower", "asr_upper"] {
                close(&row[col], &whole[col], &format!("{year} {key:?} {col}"));
            }
        }
    }
    let all = table("sex", &[]);
    let period = table("sex", &["--years", "2021-2022"]);
    for (key, row) in &all {
        for col in ["cases", "person_years", "asr"] {
            close(&period[key][col], &row[col], &format!("2021-2022 {key:?} {col}"));
        }
    }
    let bad = oncodata(&["incidence", "--warehouse", w, "--by", "sex", "--years", "2022-2021"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--years 2022-2021: expected a period of years"));
}
