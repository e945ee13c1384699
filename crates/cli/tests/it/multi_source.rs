//! Incidence on a multi-source warehouse, end to end: a synthetic country's registry extract,
//! its hospitals' OMOP and FHIR extracts and its claims, ingested with the registry's coverage
//! and linked, as the README shows. `oncodata incidence` counts consolidated primaries of the
//! covered residents, not source records — the cancers no source notified found in the claims'
//! hospital stays — compared with the generator's truth (persons resident in the registry
//! départements, tumours diagnosed in the covered years), read here from the truth files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use crate::oncodata;

fn run(args: &[&str]) -> String {
    let out = oncodata(args);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "oncodata {args:?}: {text}");
    text
}

/// Invasive cases by sex (`male`, `female`) of `incidence --by sex`, and its note on stderr.
fn cases_by_sex(w: &str) -> (BTreeMap<String, f64>, String) {
    let out = oncodata(&["incidence", "--audience", "steward", "--warehouse", w, "--by", "sex", "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let cases = rows.iter().map(|r| (r["sex"].as_str().unwrap().to_string(), r["cases"].as_f64().unwrap())).collect();
    (cases, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn csv_rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records().map(|rec| header.iter().cloned().zip(rec.unwrap().iter().map(String::from)).collect()).collect()
}

#[test]
fn incidence_counts_each_true_cancer_of_the_covered_population_once() {
    let tmp = tempfile::tempdir().unwrap();
    let at = |name: &str| tmp.path().join(name).to_str().unwrap().to_string();
    let (data, w, keys) = (at("synth-data"), at("wh"), at("keys.toml"));
    run(&["synth", "--out", &data, "--scale", "0.01", "--years", "2020-2022", "--seed", "7"]);
    run(&["keys", "init", "--keys", &keys]);
    let claims_key = format!("{data}/secrets/claims_pseudonym.key");
    run(&["keys", "import", "--keys", &keys, "--source", "claims", &claims_key]);
    let d = Path::new(&data);
    let registry = crate::registry_extract(d);
    let identity = registry.to_str().unwrap().replace("encr_", "identity_");

    // The registry's areas: the départements of its records' communes, as a registry declares them.
    let truth_persons = csv_rows(&d.join("truth/persons.csv"));
    let mut areas = BTreeSet::new();
    {
        let mut r = csv::Reader::from_path(&registry).unwrap();
        let geo = r.headers().unwrap().iter().position(|h| h == "Geo_Code").unwrap();
        for rec in r.records() {
            // Geo_Code is the commune of residence: its département is its first two characters
            // (three overseas).
            let code = rec.unwrap()[geo].to_string();
            let departement = match code.len() {
                5 if code.starts_with("97") => code[..3].to_string(),
                5 => code[..2].to_string(),
                _ => code,
            };
            if !departement.is_empty() {
                areas.insert(departement);
            }
        }
    }
    let coverage = format!("{}:2020-2022", areas.iter().cloned().collect::<Vec<_>>().join(","));
    // `synth` declares the same coverage beside the extract, for `ingest --coverage`.
    let declared = std::fs::read_to_string(registry.with_file_name("coverage.txt")).unwrap();
    let mut declared_areas: Vec<&str> = declared.trim().split(':').next().unwrap().split(',').collect();
    declared_areas.sort();
    assert_eq!(declared_areas, areas.iter().map(String::as_str).collect::<Vec<_>>(), "{declared}");
    assert!(declared.trim().ends_with(":2020-2022"), "{declared}");
    let mut hospitals: Vec<String> = Vec::new();
    for kind in ["omop", "fhir"] {
        for e in std::fs::read_dir(d.join("hospitals").join(kind)).unwrap() {
            hospitals.push(e.unwrap().path().to_str().unwrap().to_string());
        }
    }
    hospitals.sort();
    let mut args: Vec<String> =
        ["ingest", "--warehouse", &w, "--keys", &keys, "--coverage", &coverage].iter().map(|s| s.to_string()).collect();
    for (kind, path) in [
        ("encr-csv", registry.to_str().unwrap().to_string()),
        ("identity", identity),
        ("population", format!("{data}/population.csv")),
        ("claims", format!("{data}/claims")),
    ] {
        args.extend(["--source".to_string(), kind.to_string(), path]);
    }
    for h in &hospitals {
        let kind = if h.contains("/omop/") { "omop" } else { "fhir" };
        args.extend(["--source".to_string(), kind.to_string(), h.clone()]);
    }
    run(&args.iter().map(String::as_str).collect::<Vec<_>>());

    // Without a link: the registry's own records, hospital and claims records left out.
    let (registry_only, note) = cases_by_sex(&w);
    assert!(note.contains("registry records") && note.contains("not a registry record"), "{note}");

    run(&["link", "--warehouse", &w]);
    let (linked, linked_note) = cases_by_sex(&w);
    assert!(
        linked_note.contains("primaries") && linked_note.contains("resident outside the covered areas"),
        "{linked_note}"
    );

    // The truth: tumours of persons resident in the covered areas, diagnosed in 2020-2022.
    let sex_of: BTreeMap<String, (String, String)> = truth_persons
        .iter()
        .map(|p| {
            let sex = if p["sex"] == "1" { "male" } else { "female" };
            (p["person_id"].clone(), (sex.to_string(), p["departement"].clone()))
        })
        .collect();
    let mut truth: BTreeMap<String, f64> = BTreeMap::new();
    let mut truth_by_group: BTreeMap<(String, String), f64> = BTreeMap::new();
    for t in csv_rows(&d.join("truth/tumours.csv")) {
        let (sex, area) = &sex_of[&t["person_id"]];
        let year: i32 = t["incidence_date"][..4].parse().unwrap();
        if areas.contains(area) && (2020..=2022).contains(&year) {
            *truth.entry(sex.clone()).or_default() += 1.0;
            *truth_by_group.entry((t["site_group"].clone(), sex.clone())).or_default() += 1.0;
        }
    }
    let total = |m: &BTreeMap<String, f64>| m.values().sum::<f64>();

    // Quality is each registry's, on its own primaries: no hospital or claims dataset, and as
    // many cases as the registry's reportable invasive primaries.
    let quality = crate::stdout_of(&["quality", "--warehouse", &w, "--format", "csv"]);
    let registry_dataset = registry.file_stem().unwrap().to_str().unwrap().to_string();
    let mut quality_cases = 0.0;
    for line in quality.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f[0], registry_dataset, "{line}");
        assert!(f[8].is_empty(), "M:I without a mortality source: {line}");
        quality_cases += f[3].parse::<f64>().unwrap();
    }
    assert!(quality_cases > 0.0 && quality_cases <= total(&linked) + 0.5 * total(&truth), "{quality_cases}");

    // The survival cohort: one row per primary of the same population, the death-certificate-
    // only cases left out and counted.
    let out = oncodata(&["survival", "--audience", "steward", "--warehouse", &w, "--by", "sex", "--format", "csv"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let note = String::from_utf8_lossy(&out.stderr);
    let cohort: f64 = note.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(f64::NAN);
    assert!(note.starts_with("cohort: ") && note.contains(" primaries "), "{note}");
    // The registry's death-certificate-only records are traced back to the claims' hospital
    // stays before the death (ENCR): none of their primaries stays DCO.
    let count = |sql: &str| -> u64 {
        let out = crate::stdout_of(&["sql", "--warehouse", &w, "--format", "csv", sql]);
        out.lines().nth(1).unwrap().parse().unwrap()
    };
    assert!(count("SELECT count(*) FROM tumours WHERE basis_of_diagnosis = 0 AND source = 'encr-csv'") > 0);
    let still_dco = "SELECT count(*) FROM primaries WHERE basis_of_diagnosis = 0 AND primary_id IN \
                     (SELECT primary_id FROM primary_tumours WHERE kind = 'case-finding')";
    assert_eq!(count(still_dco), 0);
    assert!(
        cohort <= total(&linked) && cohort >= 0.99 * total(&linked),
        "{cohort} of {} primaries: {note}",
        total(&linked)
    );
    // The protocols' options: first primary per person, adults 15-99, a closing date.
    let out = oncodata(&[
        "survival",
        "--audience",
        "steward",
        "--warehouse",
        &w,
        "--first-primary",
        "--age-range",
        "15-99",
        "--closing-date",
        "2022-06-30",
        "--format",
        "csv",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let note = String::from_utf8_lossy(&out.stderr);
    let first: f64 = note.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(f64::NAN);
    assert!(first < cohort, "{note}");
    assert!(
        note.contains("age at diagnosis outside 15-99") && note.contains("diagnosed after the closing date"),
        "{note}"
    );
    eprintln!(
        "truth {truth:?} ({}); linked primaries {linked:?} ({}); registry records {registry_only:?} ({})",
        total(&truth),
        total(&linked),
        total(&registry_only)
    );
    // Each true cancer once: the registry's primaries, the hospitals' and the claims' cancers no
    // source notified (late registrations, records still in quarantine) found by case finding,
    // within 0.5 % of the truth by sex.
    assert!(linked_note.contains("known from claims diagnoses alone"), "{linked_note}");
    // By site group and sex: every cell within 0.5 %, or one case where the case is one the
    // sources cannot date or tell apart (a cancer known only from a hospital stay in the next
    // year; a registry's unlikely histology that a registrar has yet to verify).
    let out = oncodata(&[
        "incidence",
        "--audience",
        "steward",
        "--warehouse",
        &w,
        "--by",
        "site_group,sex",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let by_group: BTreeMap<(String, String), f64> = rows
        .iter()
        .map(|r| {
            let key = (r["site_group"].as_str().unwrap().to_string(), r["sex"].as_str().unwrap().to_string());
            (key, r["cases"].as_f64().unwrap())
        })
        .collect();
    let cells: BTreeSet<&(String, String)> = truth_by_group.keys().chain(by_group.keys()).collect();
    let mut differ = Vec::new();
    for cell in cells {
        let (t, l) = (truth_by_group.get(cell).copied().unwrap_or(0.0), by_group.get(cell).copied().unwrap_or(0.0));
        if l != t {
            differ.push(format!("{} {}: {l} for {t}", cell.0, cell.1));
        }
        assert!((l - t).abs() <= (0.005 * t).max(1.0), "{} {}: {l} primaries for {t} true cancers", cell.0, cell.1);
    }
    eprintln!("site group × sex cells that differ from the truth: {differ:?}");
    assert!(differ.len() <= 4, "{differ:?}");
    for sex in ["male", "female"] {
        let (t, l) = (truth[sex], linked[sex]);
        assert!((l - t).abs() <= 0.005 * t, "{sex}: {l} primaries for {t} true cancers");
        // The registry alone counts its duplicate records twice and lacks what it never received.
        assert!((0.97 * t..=1.02 * t).contains(&registry_only[sex]), "{sex}: {} registry records", registry_only[sex]);
    }
}
