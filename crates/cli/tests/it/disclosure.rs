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

/// Parses CSV output into header-keyed rows.
fn csv_rows(text: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let h = r.headers().unwrap().clone();
    r.records()
        .map(|rec| h.iter().zip(rec.unwrap().iter()).map(|(a, b)| (a.to_string(), b.to_string())).collect())
        .collect()
}

/// `oncodata sql` for the public and projects: only aggregates with one count leave, protected
/// as `incidence` protects its tables (the grouping columns first, then the count); records and
/// counts-less aggregates are refused with the way out; the steward (the default on the
/// warehouse itself, from the policy's `[default]`) sees the raw rows; a policy making the public
/// the default applies without `--audience`.
#[test]
fn sql_for_the_public_publishes_protected_aggregates_only() {
    let tmp = tempfile::tempdir().unwrap();
    let wh = tmp.path().join("wh");
    run_demo(&wh);
    let w = wh.to_str().unwrap();
    let query = "SELECT sex, COUNT(DISTINCT t.patient_id) AS persons, site_group FROM tumours t JOIN patients p \
                 ON p.patient_id = t.patient_id GROUP BY site_group, sex";
    let run = |extra: &[&str], sql: &str| {
        let mut args = vec!["sql", "--warehouse", w, "--format", "csv"];
        args.extend_from_slice(extra);
        args.push(sql);
        oncodata(&args)
    };
    let public = run(&["--audience", "public"], query);
    assert!(public.status.success(), "{}", String::from_utf8_lossy(&public.stderr));
    let rows = csv_rows(&String::from_utf8(public.stdout).unwrap());
    let raw = run(&[], query);
    let raw_rows = csv_rows(&String::from_utf8(raw.stdout).unwrap());
    assert_eq!(rows.len(), raw_rows.len());
    assert!(!raw_rows[0].contains_key("suppressed"), "the steward's rows are raw");
    let (mut small, mut secondary) = (0, 0);
    for r in &rows {
        let truth = raw_rows.iter().find(|x| x["sex"] == r["sex"] && x["site_group"] == r["site_group"]).unwrap();
        let n: u64 = truth["persons"].parse().unwrap();
        match r["suppressed"].as_str() {
            "" => assert_eq!(r["persons"], truth["persons"]),
            "frequency" => {
                assert!((1..11).contains(&n), "{r:?}");
                small += 1;
            }
            rule => {
                assert_eq!(rule, "secondary");
                assert!(n == 0 || n >= 11);
                secondary += 1;
            }
        }
        if !r["suppressed"].is_empty() {
            assert_eq!(r["persons"], "");
        }
        assert!(!(1..11).contains(&r["persons"].parse::<u64>().unwrap_or(0)), "{r:?}");
    }
    assert!(small > 0 && secondary > 0, "{small} {secondary}");
    // The columns are reordered: groups, then the count.
    let header = String::from_utf8(run(&["--audience", "public"], query).stdout).unwrap();
    assert!(
        header.starts_with("site_group,sex,persons,suppressed")
            || header.starts_with("sex,site_group,persons,suppressed"),
        "{header}"
    );
    for (sql, says) in [
        ("SELECT * FROM tumours LIMIT 2", "aggregates only"),
        ("SELECT site_group, AVG(age_at_diagnosis) FROM tumours GROUP BY site_group", "one COUNT column"),
        ("SELECT site_group, COUNT(*) FROM tumours GROUP BY ROLLUP(site_group)", "ROLLUP"),
    ] {
        let out = run(&["--audience", "project"], sql);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(says), "{sql}: {err}");
    }
    // A steward makes the public the default for sql.
    let policy = wh.join("disclosure.toml");
    let text = std::fs::read_to_string(&policy).unwrap();
    std::fs::write(&policy, text.replacen("sql = \"steward\"", "sql = \"public\"", 1)).unwrap();
    let out = run(&[], "SELECT * FROM tumours LIMIT 2");
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("aggregates only"));
}

/// `oncodata quality` is a steward's tool (raw by default); for the public, no count of cases or
/// records of 1-10 is shown and a withheld row loses its percentages.
#[test]
fn quality_for_the_public_withholds_small_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let wh = tmp.path().join("wh");
    run_demo(&wh);
    let w = wh.to_str().unwrap();
    let raw = csv_rows(&crate::stdout_of(&["quality", "--warehouse", w, "--format", "csv"]));
    assert!(raw.iter().any(|r| (1..11).contains(&r["cases"].parse::<u64>().unwrap())), "the demo has small cells");
    let out = oncodata(&["quality", "--warehouse", w, "--format", "csv", "--audience", "public"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let public = csv_rows(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(public.len(), raw.len());
    for (p, r) in public.iter().zip(&raw) {
        let n: u64 = r["cases"].parse().unwrap();
        if (1..11).contains(&n) {
            assert_eq!((p["suppressed"].as_str(), p["cases"].as_str(), p["pct_mv"].as_str()), ("frequency", "", ""));
        } else if p["suppressed"].is_empty() {
            assert_eq!(p["cases"], r["cases"]);
            assert_eq!(p["pct_mv"], r["pct_mv"]);
        }
    }
}

/// `oncodata survival` for the public (the default): a group of fewer than 11 persons is
/// withheld whole; between two shown points no curve drops by 1-10 deaths; every shown value is
/// the steward's exact estimate at that time; the curve stops before fewer than 11 are at risk.
#[test]
fn survival_for_the_public_merges_steps_and_truncates() {
    let tmp = tempfile::tempdir().unwrap();
    let wh = tmp.path().join("wh");
    run_demo(&wh);
    let w = wh.to_str().unwrap();
    let args = |audience: &str| {
        vec![
            "survival",
            "--warehouse",
            w,
            "--by",
            "site_group",
            "--where",
            "site_group IN ('kaposi', 'lung', 'colorectum')",
            "--format",
            "csv",
            "--audience",
            audience,
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>()
    };
    let run = |audience: &str| {
        let a = args(audience);
        let out = oncodata(&a.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        (csv_rows(&String::from_utf8(out.stdout).unwrap()), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (public, note) = run("public");
    let (steward, _) = run("steward");
    assert!(steward.iter().any(|r| r["group"] == "kaposi") && !public.iter().any(|r| r["group"] == "kaposi"));
    assert!(note.contains("1 group(s) withheld whole (kaposi)"), "{note}");
    for group in ["lung", "colorectum"] {
        let shown: Vec<_> = public.iter().filter(|r| r["group"] == group).collect();
        let all: Vec<_> = steward.iter().filter(|r| r["group"] == group).collect();
        assert!(!shown.is_empty() && shown.len() < all.len(), "{group}: {} of {} steps", shown.len(), all.len());
        let mut previous_deaths = 0.0;
        let mut deaths = 0.0;
        let mut k = 0;
        for s in &shown {
            // The steward's rows up to this time.
            while k < all.len() && all[k]["time"].parse::<f64>().unwrap() <= s["time"].parse::<f64>().unwrap() {
                deaths += all[k]["n_event"].parse::<f64>().unwrap();
                k += 1;
            }
            let at = all[k - 1];
            assert_eq!(s["surv"], at["surv"], "{group} at {}", s["time"]);
            let dropped = deaths - previous_deaths;
            assert!(dropped == 0.0 || dropped >= 11.0, "{group}: {dropped} deaths before {}", s["time"]);
            assert_eq!(s["n_event"].parse::<f64>().unwrap(), dropped);
            assert!(at["n_risk"].parse::<f64>().unwrap() >= 11.0);
            previous_deaths = deaths;
        }
    }
}

/// `disclosure check --by`: the table with its margins — a small cell in a 2 × 2 table takes the
/// whole rectangle with it, each named with its rule.
#[test]
fn a_check_by_columns_names_the_secondary_cells() {
    let tmp = tempfile::tempdir().unwrap();
    let table = tmp.path().join("t.csv");
    std::fs::write(&table, "site,sex,cases\nlung,male,25\nlung,female,30\nkaposi,male,3\nkaposi,female,40\n").unwrap();
    let out = oncodata(&[
        "disclosure",
        "check",
        table.to_str().unwrap(),
        "--count",
        "cases",
        "--by",
        "site,sex",
        "--format",
        "csv",
    ]);
    assert!(!out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let rows = csv_rows(&text);
    let rules: Vec<&str> = rows.iter().map(|r| r["rule"].as_str()).collect();
    assert_eq!(rules, ["secondary", "secondary", "frequency", "secondary"], "{text}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("4 of 4 cells would be withheld"));
}

/// The differencing defence: two project releases whose cells nest and differ by 1-10 persons —
/// a table with and without one site group, an age limit moved by one year — are refused,
/// naming the earlier release; the same table asked twice, or cells differing by 11 or more,
/// pass; the release log names no one.
#[test]
fn a_release_isolating_a_few_persons_beside_an_earlier_one_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let wh = tmp.path().join("wh");
    run_demo(&wh);
    let w = wh.to_str().unwrap();
    let sql =
        |statement: &str| oncodata(&["sql", "--warehouse", w, "--audience", "project", "--format", "csv", statement]);
    let by_sex = "SELECT p.sex, COUNT(DISTINCT t.patient_id) AS persons FROM tumours t JOIN patients p \
                  ON p.patient_id = t.patient_id";
    let first = sql(&format!("{by_sex} WHERE t.site_group <> 'kaposi' GROUP BY p.sex"));
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(String::from_utf8_lossy(&first.stderr).contains("release 1 to the project audience logged"));
    let again = sql(&format!("{by_sex} WHERE t.site_group <> 'kaposi' GROUP BY p.sex"));
    assert!(again.status.success(), "the same table again isolates no one");
    let with_kaposi = sql(&format!("{by_sex} GROUP BY p.sex"));
    let err = String::from_utf8_lossy(&with_kaposi.stderr);
    assert!(!with_kaposi.status.success() && err.contains("release 1") && err.contains("differencing"), "{err}");
    assert!(with_kaposi.stdout.is_empty(), "nothing printed");
    // Ages: find a limit whose next year adds 1 to 10 persons, and one that adds 11 or more.
    let count = |limit: u32| -> u64 {
        let out = crate::stdout_of(&[
            "sql",
            "--warehouse",
            w,
            "--format",
            "csv",
            &format!("SELECT COUNT(DISTINCT patient_id) AS n FROM tumours WHERE age_at_diagnosis < {limit}"),
        ]);
        out.lines().nth(1).unwrap().parse().unwrap()
    };
    let young =
        (20..60).find(|&a| (1..11).contains(&(count(a + 1) - count(a))) && count(a) >= 11).expect("a small step");
    let ages = |limit: u32| {
        sql(&format!("SELECT COUNT(DISTINCT patient_id) AS n FROM tumours WHERE age_at_diagnosis < {limit}"))
    };
    assert!(ages(young).status.success());
    let next = ages(young + 1);
    assert!(!next.status.success() && String::from_utf8_lossy(&next.stderr).contains("differencing"));
    let far = (young + 2..100).find(|&a| count(a) - count(young) >= 11 && count(a) - count(young + 1) >= 11).unwrap();
    assert!(ages(far).status.success(), "{}", String::from_utf8_lossy(&ages(far).stderr));
    let log = std::fs::read_to_string(wh.join("disclosure/releases-project.jsonl")).unwrap();
    let ids =
        crate::stdout_of(&["sql", "--warehouse", w, "--format", "csv", "SELECT patient_id FROM patients LIMIT 5"]);
    // As a word of its own: a time or a digest may hold the same digits by chance.
    let words: std::collections::HashSet<&str> = log.split(|c: char| !c.is_ascii_alphanumeric()).collect();
    for id in ids.lines().skip(1) {
        assert!(!words.contains(id), "the log names {id}");
    }
}

/// The cell-key method, switched on in the policy for projects: every count shown is perturbed
/// by at most 2, never below 11, flagged; the same cell asked again — even phrased otherwise —
/// gets the same noise, so repeating and averaging gains nothing.
#[test]
fn the_cell_key_method_gives_the_same_cell_the_same_noise() {
    let (_tmp, wh) = demo_with_policy("[audience.project.cell_key]\nmax_noise = 2\nvariance = 1.0\n");
    let w = wh.to_str().unwrap();
    let query = |sql: &str, audience: &str| {
        let out = oncodata(&["sql", "--warehouse", w, "--audience", audience, "--format", "csv", sql]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        csv_rows(&String::from_utf8(out.stdout).unwrap())
    };
    let a = "SELECT site_group, COUNT(DISTINCT patient_id) AS n FROM tumours GROUP BY site_group ORDER BY site_group";
    let b = "SELECT site_group AS s, COUNT(DISTINCT patient_id) AS n FROM tumours WHERE 1 = 1 GROUP BY site_group ORDER BY s";
    let first = query(a, "project");
    let again = query(a, "project");
    let other = query(b, "project");
    let truth = query(a, "steward");
    assert_eq!(first, again);
    let mut moved = 0;
    for r in &first {
        let t = truth.iter().find(|x| x["site_group"] == r["site_group"]).unwrap();
        let o = other.iter().find(|x| x["s"] == r["site_group"]).unwrap();
        assert_eq!(o["n"], r["n"], "the same persons, the same noise");
        if r["suppressed"].is_empty() {
            let (shown, true_n): (i64, i64) = (r["n"].parse().unwrap(), t["n"].parse().unwrap());
            assert!((shown - true_n).abs() <= 2 && shown >= 11, "{shown} for {true_n}");
            assert_eq!(r["perturbed"], "cell-key");
            moved += usize::from(shown != true_n);
        } else {
            assert_eq!(r["n"], "");
        }
    }
    assert!(moved > 0, "some counts move");
}

/// Differential privacy for a project (OpenDP's discrete Laplace, in the policy): counts come
/// with noise of the stated scale, flagged; each release spends the project's budget and the one
/// beyond it is refused, saying what was spent; another project has its own budget; without
/// --project the release is refused.
#[test]
fn a_projects_private_releases_stop_at_its_budget() {
    let (_tmp, wh) = demo_with_policy(
        "[audience.project.privacy]\nmechanism = \"laplace\"\nscale = 2.0\nthreshold = 40\ncontributions = 1\n\
         budget_epsilon = 1.2\nbudget_delta = 1e-6\n",
    );
    let w = wh.to_str().unwrap();
    let q = "SELECT site_group, COUNT(DISTINCT patient_id) AS persons FROM tumours GROUP BY site_group";
    let run = |project: &str| {
        let mut args = vec!["sql", "--warehouse", w, "--audience", "project", "--format", "csv"];
        if !project.is_empty() {
            args.extend(["--project", project]);
        }
        args.push(q);
        oncodata(&args)
    };
    let truth = csv_rows(&crate::stdout_of(&["sql", "--warehouse", w, "--format", "csv", q]));
    for release in 0..2 {
        let out = run("p42");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let note = String::from_utf8_lossy(&out.stderr);
        let spent = if release == 0 { "spent ε = 0.5000 of 1.2" } else { "spent ε = 1.0000 of 1.2" };
        assert!(note.contains(spent), "{note}");
        let rows = csv_rows(&String::from_utf8(out.stdout).unwrap());
        assert!(!rows.is_empty());
        for r in &rows {
            let t: i64 = truth.iter().find(|x| x["site_group"] == r["site_group"]).unwrap()["persons"].parse().unwrap();
            let n: i64 = r["persons"].parse().unwrap();
            assert!(n >= 40 && (n - t).abs() < 40, "{n} for {t}");
            assert_eq!((r["noise_scale"].as_str(), r["perturbed"].as_str()), ("2.0", "laplace"));
        }
        // Groups under the threshold are not released at all (kaposi counts a handful).
        assert!(!rows.iter().any(|r| r["site_group"] == "kaposi"));
    }
    let third = run("p42");
    let err = String::from_utf8_lossy(&third.stderr);
    assert!(
        !third.status.success() && err.contains("privacy budget") && err.contains("2 releases spent ε = 1.0000"),
        "{err}"
    );
    assert!(run("p43").status.success(), "another project, another budget");
    let none = run("");
    assert!(!none.status.success() && String::from_utf8_lossy(&none.stderr).contains("--project ID"));
}

/// `disclosure round`: a table by site and sex rounded under control to base 5 — every count and
/// margin a multiple of 5 within 5 of the truth, the rows adding up to the margins printed.
#[test]
fn a_table_rounds_under_control_with_its_margins() {
    let tmp = tempfile::tempdir().unwrap();
    let table = tmp.path().join("t.csv");
    std::fs::write(&table, "site,sex,cases\nlung,male,23\nlung,female,17\nkaposi,male,3\nkaposi,female,41\ncolon,male,12\ncolon,female,8\n").unwrap();
    let out = crate::stdout_of(&[
        "disclosure",
        "round",
        table.to_str().unwrap(),
        "--count",
        "cases",
        "--by",
        "site,sex",
        "--base",
        "5",
    ]);
    let rows = csv_rows(&out);
    assert_eq!(rows.len(), 6 + 3 + 2 + 1, "rows, site margins, sex margins, total: {out}");
    let truth: std::collections::HashMap<(&str, &str), i64> = [
        (("lung", "male"), 23),
        (("lung", "female"), 17),
        (("kaposi", "male"), 3),
        (("kaposi", "female"), 41),
        (("colon", "male"), 12),
        (("colon", "female"), 8),
    ]
    .into_iter()
    .collect();
    let value = |site: &str, sex: &str| -> i64 {
        rows.iter().find(|r| r["site"] == site && r["sex"] == sex).unwrap()["cases"].parse().unwrap()
    };
    for ((site, sex), t) in &truth {
        let v = value(site, sex);
        assert!(v % 5 == 0 && (v - t).abs() < 5, "{site} {sex}: {v} for {t}");
    }
    for site in ["lung", "kaposi", "colon"] {
        assert_eq!(value(site, "male") + value(site, "female"), value(site, "all sex"));
    }
    for sex in ["male", "female"] {
        assert_eq!(["lung", "kaposi", "colon"].iter().map(|s| value(s, sex)).sum::<i64>(), value("all site", sex));
    }
    assert_eq!(value("all site", "male") + value("all site", "female"), value("all site", "all sex"));
    assert!(rows.iter().all(|r| r["rounded"] == "base 5"));
}

/// Sums over persons (SQL SUM) for the public: a row one person dominates is withheld by the
/// dominance rule whatever its count, and protected like a small one; other sums are shown.
#[test]
fn a_sum_one_person_dominates_is_withheld() {
    let tmp = tempfile::tempdir().unwrap();
    let wh = tmp.path().join("wh");
    run_demo(&wh);
    let w = wh.to_str().unwrap();
    // One patient of acute leukaemia weighs 100,000; everyone else their age.
    let sql = "SELECT t.site_group, COUNT(DISTINCT t.patient_id) AS n, SUM(CASE WHEN t.patient_id = (SELECT \
               MIN(patient_id) FROM tumours WHERE site_group = 'acute_leukaemia') THEN 100000 ELSE \
               t.age_at_diagnosis END) AS load FROM tumours t GROUP BY t.site_group ORDER BY 1";
    let out = oncodata(&["sql", "--warehouse", w, "--audience", "public", "--format", "csv", sql]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = csv_rows(&String::from_utf8(out.stdout).unwrap());
    let row = |site: &str| rows.iter().find(|r| r["site_group"] == site).unwrap();
    assert_eq!(
        (row("acute_leukaemia")["suppressed"].as_str(), row("acute_leukaemia")["load"].as_str()),
        ("dominance", "")
    );
    assert_eq!(row("breast")["suppressed"], "");
    assert!(row("breast")["load"].parse::<f64>().unwrap() > 0.0);
    assert!(String::from_utf8_lossy(&out.stderr).contains("withheld by the dominance or p % rule"));
}

/// A demo warehouse in a temporary folder whose policy gets `extra` appended.
fn demo_with_policy(extra: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let wh = tmp.path().join("wh");
    run_demo(&wh);
    let policy = wh.join("disclosure.toml");
    let text = std::fs::read_to_string(&policy).unwrap();
    std::fs::write(&policy, format!("{text}\n{extra}")).unwrap();
    (tmp, wh)
}

/// A real table nobody here wrote — the 929 patients of R's colon cancer trial data
/// (`survival::colon`) by treatment, sex and extent of spread, made by
/// `crates/disclosure/reference/real_table.R` — checked for the public: the same primary rows as
/// the independent Python reference (`secondary_reference.py --table`, its result beside the
/// table), no more secondary rows than it, and the attacker's programs on everything shown (the
/// rows, and the margins the tables by fewer columns show) narrow no withheld row or margin below
/// 11 persons.
#[test]
fn a_real_table_is_protected_as_the_reference_protects_it() {
    let reference = concat!(env!("CARGO_MANIFEST_DIR"), "/../disclosure/reference/");
    let table = format!("{reference}colon_rx_sex_extent.csv");
    let tmp = tempfile::tempdir().unwrap();
    let wh = tmp.path().join("wh");
    let out = oncodata(&[
        "disclosure",
        "check",
        &table,
        "--count",
        "persons",
        "--by",
        "rx,sex,extent",
        "--warehouse",
        wh.to_str().unwrap(),
        "--format",
        "csv",
    ]);
    assert!(!out.status.success(), "the table has counts of 1 to 10");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("margin(s) withheld"), "every margin stays published: {stderr}");
    let mut rows = csv::Reader::from_reader(out.stdout.as_slice());
    let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    let count = |rule: &str| rows.iter().filter(|r| &r[6] == rule).count();
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{reference}colon_rx_sex_extent.reference.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(count("frequency") as u64, expected["primary_rows"].as_u64().unwrap());
    assert!(count("secondary") as u64 <= expected["secondary_rows"].as_u64().unwrap(), "{}", count("secondary"));
    // The attacker knows every shown row, and every margin the tables by fewer columns show.
    use oncodata_disclosure::cube::{Cube, Hierarchy};
    let columns = ["rx", "sex", "extent"];
    let values = |d: usize| -> Vec<String> {
        let mut v: Vec<String> = rows.iter().map(|r| r[d + 1].to_string()).collect();
        v.sort();
        v.dedup();
        v
    };
    let dims: Vec<Hierarchy> = (0..3).map(|d| Hierarchy::flat("all", &values(d))).collect();
    let at = |r: &csv::StringRecord| -> Vec<usize> { (0..3).map(|d| dims[d].position(&r[d + 1]).unwrap()).collect() };
    let leaves: Vec<(Vec<usize>, u64)> = rows.iter().map(|r| (at(r), r[4].parse().unwrap())).collect();
    let cube = Cube::from_leaves(dims.clone(), leaves).unwrap();
    let mut unknown = vec![false; cube.len()];
    for r in rows.iter().filter(|r| &r[5] == "suppressed") {
        unknown[cube.cell(&at(r))] = true;
    }
    for keep in [vec![0], vec![1], vec![2], vec![0, 1], vec![0, 2], vec![1, 2]] {
        let mut sums: std::collections::BTreeMap<Vec<String>, u64> = Default::default();
        for r in &rows {
            *sums.entry(keep.iter().map(|&d| r[d + 1].to_string()).collect()).or_default() +=
                r[4].parse::<u64>().unwrap();
        }
        let by: Vec<&str> = keep.iter().map(|&d| columns[d]).collect();
        let path = tmp.path().join(format!("margin_{}.csv", by.join("_")));
        let mut text = format!("{},persons\n", by.join(","));
        for (k, n) in &sums {
            text.push_str(&format!("{},{n}\n", k.join(",")));
        }
        std::fs::write(&path, text).unwrap();
        let out = oncodata(&[
            "disclosure",
            "check",
            path.to_str().unwrap(),
            "--count",
            "persons",
            "--by",
            &by.join(","),
            "--warehouse",
            wh.to_str().unwrap(),
            "--format",
            "csv",
        ]);
        for m in csv::Reader::from_reader(out.stdout.as_slice()).records().map(Result::unwrap) {
            if &m[keep.len() + 2] == "suppressed" {
                let mut coords = vec![0; 3];
                for (i, &d) in keep.iter().enumerate() {
                    coords[d] = dims[d].position(&m[i + 1]).unwrap();
                }
                unknown[cube.cell(&coords)] = true;
            }
        }
    }
    let intervals = oncodata_disclosure::attack::intervals(&cube, &unknown).unwrap();
    for cell in (0..cube.len()).filter(|&c| unknown[c]) {
        let (lo, hi) = intervals[cell].unwrap();
        assert!(hi - lo >= 11.0 - 1e-6, "cell {:?} narrowed to [{lo}, {hi}]", cube.coords(cell));
    }
    assert!(unknown.iter().filter(|&&u| u).count() > count("frequency") + count("secondary"), "margins withheld too");
}
