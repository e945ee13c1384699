//! `oncodata scan` on SaTScan's New York leukaemia data (crates/stats/tests/data): the most
//! likely cluster SaTScan reports, the same output for the same seed, errors naming the file.
//! On synthetic warehouses: the communes of the clusters `oncodata synth` planted (its truth),
//! no more seeds significant under its null geography than a test at 5 % allows, and disclosure
//! control of small clusters.

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

/// Low and high rates together within a radius, and another criterion for secondary clusters,
/// through the command: the clusters of the independent brute-force implementation
/// (`crates/stats/reference/scan/scan_reference.py`), with Gumbel p-values when asked for.
#[test]
fn rates_radius_secondary_criteria_and_gumbel_through_the_command() {
    let reference: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../stats/tests/data/scan_reference/expected.json"
        ))
        .unwrap(),
    )
    .unwrap();
    for (case, args) in [
        (
            "latlong_both_radius_10km",
            &["--latitude", "satscan_x", "--longitude", "satscan_y", "--rates", "both", "--max-radius", "10"][..],
        ),
        (
            "high_no_pairs_of_centres",
            &["--x", "satscan_x", "--y", "satscan_y", "--secondary", "no-pairs-of-centres"][..],
        ),
    ] {
        let mut args = args.to_vec();
        args.push("--gumbel");
        let result = scan(&args);
        let want = reference["cases"][case]["clusters"].as_array().unwrap();
        let got = result["clusters"].as_array().unwrap();
        assert_eq!(got.len(), want.len(), "{case}");
        for (g, w) in got.iter().zip(want) {
            let members: Vec<String> =
                w["members"].as_array().unwrap().iter().map(|m| (m.as_u64().unwrap() + 1).to_string()).collect();
            let got_members: Vec<String> =
                g["members"].as_array().unwrap().iter().map(|m| m.as_str().unwrap().to_string()).collect();
            assert_eq!(got_members, members, "{case}");
            assert!((g["llr"].as_f64().unwrap() - w["llr"].as_f64().unwrap()).abs() < 1e-9, "{case}");
            let (p, gumbel) = (g["p_value"].as_f64().unwrap(), g["gumbel_p_value"].as_f64().unwrap());
            assert!(p > 0.0 && p <= 1.0 && gumbel > 0.0 && gumbel <= 1.0, "{case}: {g}");
        }
        assert!(result["settings"]["gumbel"].as_bool().unwrap());
    }
    // Low rates: the most likely cluster has fewer cases than expected.
    let low = scan(&["--x", "satscan_x", "--y", "satscan_y", "--rates", "low"]);
    assert!(low["clusters"][0]["relative_risk"].as_f64().unwrap() < 1.0);
    assert_eq!(low["settings"]["rates"], "low");
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

/// Settings that make no scan are refused naming the option.
#[test]
fn impossible_settings_are_refused_by_name() {
    for (extra, says) in [
        (&["--max-radius", "0"][..], "--max-radius 0"),
        (&["--max-radius=-3"][..], "--max-radius -3"),
        (&["--max-population", "0.7"][..], "--max-population 0.7"),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_oncodata"))
            .args(["scan", "--data", DATA, "--location", "location_id", "--cases", "cases"])
            .args(["--population", "population", "--x", "satscan_x", "--y", "satscan_y", "--replicates", "0"])
            .args(extra)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(says), "{extra:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
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

/// A synthetic warehouse of the Calvados and the Manche (two registry départements), its
/// truth directory and the clusters planted in it.
fn synthetic(dir: &std::path::Path, extra: &[&str]) -> (String, std::path::PathBuf) {
    let (data, wh) = (dir.join("synth"), dir.join("wh"));
    let mut args = vec!["synth", "--out", data.to_str().unwrap(), "--departements", "14,50", "--no-faults"];
    args.extend(extra);
    args.extend(["--warehouse", wh.to_str().unwrap()]);
    stdout_of(&args);
    (wh.to_str().unwrap().to_string(), data.join("truth"))
}

fn warehouse_scan(wh: &str, extra: &[&str]) -> Value {
    let mut args = vec!["scan", "--warehouse", wh, "--by-commune", "--format", "json"];
    if !extra.contains(&"--replicates") {
        args.extend(["--replicates", "99"]);
    }
    args.extend(extra);
    serde_json::from_str(&stdout_of(&args)).unwrap()
}

#[test]
fn the_planted_commune_clusters_are_found_on_a_synthetic_warehouse() {
    let dir = tempfile::tempdir().unwrap();
    let (wh, truth) = synthetic(dir.path(), &["--years", "2013-2022", "--scale", "1.0"]);
    let planted: Vec<csv::StringRecord> =
        csv::Reader::from_path(truth.join("clusters.csv")).unwrap().records().map(|r| r.unwrap()).collect();
    assert_eq!(planted.len(), 2, "one cluster per registry département simulated");
    let mut report = Vec::new();
    for c in &planted {
        let (site, communes, years) = (&c[1], &c[3], format!("{}-{}", &c[5], &c[6]));
        let communes: std::collections::BTreeSet<&str> = communes.split(' ').collect();
        let map = dir.path().join(format!("{}.svg", &c[0]));
        let result = warehouse_scan(
            &wh,
            &["--site-group", site, "--years", &years, "--audience", "steward", "--plot", map.to_str().unwrap()],
        );
        let first = &result["clusters"][0];
        // The map draws the two départements and every member of the most likely cluster.
        let svg = std::fs::read_to_string(&map).unwrap();
        assert_eq!(svg.matches("data-departement=").count(), 2);
        assert_eq!(svg.matches("data-cluster=\"1\"").count(), first["members"].as_array().unwrap().len());
        let found: std::collections::BTreeSet<&str> =
            first["members"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
        let hit = found.intersection(&communes).count();
        let sensitivity = hit as f64 / communes.len() as f64;
        let false_share = (found.len() - hit) as f64 / found.len() as f64;
        report.push(format!(
            "{} ({site}, {years}, RR {}): p {}, sensitivity {sensitivity:.2}, false-positive share {false_share:.2}",
            &c[0], &c[7], first["p_value"]
        ));
        assert!(first["p_value"].as_f64().unwrap() <= 0.01, "{}", report.last().unwrap());
        assert!(sensitivity >= 0.5 && false_share <= 0.5, "{}", report.last().unwrap());
    }
    // Space-time: over all ten years, the strongest planted cluster is the most likely cylinder,
    // its years exactly.
    let c = planted.iter().max_by(|a, b| a[7].parse::<f64>().unwrap().total_cmp(&b[7].parse().unwrap())).unwrap();
    let communes: std::collections::BTreeSet<&str> = c[3].split(' ').collect();
    let args = ["--site-group", &c[1], "--space-time", "--audience", "steward", "--replicates", "19"];
    let result = warehouse_scan(&wh, &args);
    let first = &result["clusters"][0];
    let found: std::collections::BTreeSet<&str> =
        first["members"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    let sensitivity = found.intersection(&communes).count() as f64 / communes.len() as f64;
    report.push(format!(
        "{} space-time: years {}, p {}, sensitivity {sensitivity:.2}, false-positive share {:.2}",
        &c[0],
        first["years"],
        first["p_value"],
        found.difference(&communes).count() as f64 / found.len() as f64
    ));
    assert_eq!(first["years"], format!("{}-{}", &c[5], &c[6]), "{}", report.join("\n"));
    assert!(first["p_value"].as_f64().unwrap() <= 0.05 && sensitivity >= 0.5, "{}", report.join("\n"));
    // Prospectively, only cylinders that reach the last year; the permutation model runs on the
    // case counts alone.
    let prospective =
        warehouse_scan(&wh, &["--site-group", &c[1], "--space-time", "--prospective", "--replicates", "0"]);
    assert!(
        prospective["clusters"].as_array().unwrap().iter().all(|k| k["years"].as_str().unwrap().ends_with("-2022"))
    );
    let permutation =
        warehouse_scan(&wh, &["--site-group", &c[1], "--space-time", "--model", "permutation", "--replicates", "0"]);
    assert!(permutation["settings"]["model"].as_str().unwrap().starts_with("space-time permutation"));
    eprintln!("{}", report.join("\n"));
}

#[test]
fn under_the_null_geography_the_scan_keeps_its_5_percent_type_one_error() {
    let mut significant = Vec::new();
    let seeds = 20;
    for seed in 1..=seeds {
        let dir = tempfile::tempdir().unwrap();
        let seed_text = seed.to_string();
        let (wh, truth) = synthetic(
            dir.path(),
            &["--years", "2018-2022", "--scale", "0.25", "--seed", &seed_text, "--null-geography"],
        );
        assert_eq!(std::fs::read_to_string(truth.join("clusters.csv")).unwrap().lines().count(), 1, "no cluster");
        let result =
            warehouse_scan(&wh, &["--site-group", "colorectum", "--seed", &seed_text, "--audience", "steward"]);
        let p = result["clusters"][0]["p_value"].as_f64().unwrap_or(1.0);
        if p < 0.05 {
            significant.push((seed, p));
        }
    }
    eprintln!("null geography: p < 0.05 in {} of {seeds} seeds {significant:?}", significant.len());
    // A scan at level 5 % is significant under the null in 1 seed of 20 on average; 4 or more
    // would happen with probability 1.6 % (binomial, n = 20, p = 0.05): a type I error above 5 %.
    assert!(significant.len() <= 3, "significant in {significant:?}");
}

#[test]
fn departements_and_small_clusters_follow_the_rules() {
    let dir = tempfile::tempdir().unwrap();
    let (wh, _) = synthetic(dir.path(), &["--years", "2021-2022", "--scale", "0.2"]);
    let by_dep: Value = serde_json::from_str(&stdout_of(&[
        "scan",
        "--warehouse",
        &wh,
        "--by-departement",
        "--site-group",
        "lung",
        "--replicates",
        "0",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(by_dep["settings"]["locations"], 2);
    // The expected cases by hand, from the age-specific cases and person-years `oncodata
    // incidence` publishes: the rates by sex and age over both départements times each
    // département's person-years; every lung case counted is scanned (the counts add up).
    let table = stdout_of(&[
        "incidence",
        "--warehouse",
        &wh,
        "--by",
        "site_group,area,sex",
        "--age-specific",
        "--audience",
        "steward",
        "--format",
        "csv",
    ]);
    let mut cells: Vec<(String, String, String, f64, f64)> = Vec::new();
    for r in csv::Reader::from_reader(table.as_bytes()).records() {
        let r = r.unwrap();
        if &r[0] == "lung" {
            cells.push((
                r[1].to_string(),
                r[2].to_string(),
                r[3].to_string(),
                r[4].parse().unwrap(),
                r[5].parse().unwrap(),
            ));
        }
    }
    let mut rate: std::collections::HashMap<(&str, &str), (f64, f64)> = Default::default();
    for (_, sex, age, cases, py) in &cells {
        let e = rate.entry((sex.as_str(), age.as_str())).or_default();
        e.0 += cases;
        e.1 += py;
    }
    let expected_of = |area: &str| -> f64 {
        cells
            .iter()
            .filter(|c| c.0 == area)
            .map(|c| c.4 * rate[&(c.1.as_str(), c.2.as_str())].0 / rate[&(c.1.as_str(), c.2.as_str())].1)
            .sum()
    };
    let observed_of = |area: &str| -> f64 { cells.iter().filter(|c| c.0 == area).map(|c| c.3).sum() };
    let steward_dep: Value = serde_json::from_str(&stdout_of(&[
        "scan",
        "--warehouse",
        &wh,
        "--by-departement",
        "--site-group",
        "lung",
        "--replicates",
        "0",
        "--audience",
        "steward",
        "--format",
        "json",
    ]))
    .unwrap();
    let total: f64 = cells.iter().map(|c| c.3).sum();
    assert_eq!(steward_dep["settings"]["total_cases"].as_f64().unwrap(), total);
    assert!(steward_dep["settings"]["left_out"].as_object().unwrap().is_empty(), "{}", steward_dep["settings"]);
    assert!(!steward_dep["clusters"].as_array().unwrap().is_empty());
    for c in steward_dep["clusters"].as_array().unwrap() {
        let members: Vec<&str> = c["members"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
        let e: f64 = members.iter().map(|m| expected_of(m)).sum();
        let o: f64 = members.iter().map(|m| observed_of(m)).sum();
        assert_eq!(c["observed"].as_f64().unwrap(), o, "{c}");
        assert!((c["expected"].as_f64().unwrap() - e).abs() < 1e-9 * e, "{c}: expected {e} by hand");
        let rr = (o / e) / ((total - o) / (total - e));
        assert!((c["relative_risk"].as_f64().unwrap() - rr).abs() < 1e-9 * rr, "{c}: RR {rr} by hand");
    }
    // Only the Manche's communes; the Calvados' cases are left out, and said so.
    let manche =
        warehouse_scan(&wh, &["--site-group", "lung", "--areas", "50", "--replicates", "0", "--audience", "steward"]);
    let communes = manche["settings"]["locations"].as_u64().unwrap();
    assert!((400..700).contains(&communes), "{communes} communes in the Manche");
    assert!(manche["settings"]["left_out"]["outside the areas scanned"].as_u64().unwrap() > 0);
    assert!(
        manche["clusters"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["members"].as_array().unwrap())
            .all(|m| m.as_str().unwrap().starts_with("50"))
    );
    // A steward sees every count; for the public, a cluster of 1 to 10 cases shows none.
    let steward = warehouse_scan(&wh, &["--site-group", "mesothelioma", "--audience", "steward"]);
    assert!(
        steward["clusters"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c.get("withheld").is_none() && c["observed"].is_number())
    );
    let public = warehouse_scan(&wh, &["--site-group", "mesothelioma"]);
    assert!(public["clusters"].as_array().unwrap().iter().any(|c| c.get("withheld").is_some()), "{public}");
    for c in public["clusters"].as_array().unwrap() {
        match c.get("withheld") {
            Some(_) => assert!(c["observed"].is_null() && c["llr"].is_null(), "{c}"),
            None => assert!(c["observed"].as_f64().unwrap() >= 11.0, "{c}"),
        }
    }
    let err = |args: &[&str]| String::from_utf8_lossy(&crate::oncodata(args).stderr).into_owned();
    assert!(err(&["scan", "--warehouse", &wh]).contains("--by-commune or --by-departement"));
    assert!(
        err(&["scan", "--warehouse", &wh, "--by-commune", "--areas", "75"])
            .contains("--areas 75: the warehouse has no population")
    );
    assert!(
        err(&["scan", "--warehouse", &wh, "--by-commune", "--site-group", "x'; DROP"]).contains("no such site group")
    );
}
