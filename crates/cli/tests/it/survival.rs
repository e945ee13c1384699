//! `oncodata survival` on the reference data sets, against R's output files in
//! crates/stats/reference/survival/.

use crate::oncodata;

const REF: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../stats/reference/survival");

/// `oncodata survival` Pohar-Perme on relsurv's rdata with slopop, plus `extra` arguments.
fn net_survival(extra: &[&str]) -> std::process::Output {
    let (data, rates) = (format!("{REF}/rdata.csv"), format!("{REF}/slopop.csv"));
    let mut args = vec![
        "survival",
        "--audience",
        "steward",
        "--data",
        &data,
        "--time",
        "time",
        "--event",
        "status",
        "--method",
        "pohar-perme",
        "--ratetable",
        &rates,
        "--age",
        "age",
        "--sex",
        "sex",
        "--year",
        "date",
    ];
    args.extend(extra);
    oncodata(&args)
}

/// `oncodata survival` Kaplan–Meier by sex on R's lung data, for `audience`, in `format`, plus
/// `extra` arguments.
fn lung_by_sex(audience: &str, format: &str, extra: &[&str]) -> std::process::Output {
    let data = format!("{REF}/lung.csv");
    let mut args =
        vec!["survival", "--audience", audience, "--data", &data, "--time", "time", "--event", "status", "--by", "sex"];
    args.extend(["--format", format]);
    args.extend(extra);
    oncodata(&args)
}

fn table(csv_text: &str) -> Vec<Vec<String>> {
    csv_text.lines().skip(1).map(|l| l.split(',').map(str::to_string).collect()).collect()
}

fn close(ours: &str, r: &str, what: &str) {
    if r == "NA" {
        assert!(ours == "NA", "{what}: {ours} vs NA");
        return;
    }
    let (a, b): (f64, f64) = (ours.parse().unwrap(), r.parse().unwrap());
    assert!((a - b).abs() <= 1e-9 * b.abs().max(1e-300), "{what}: {a} vs R {b}");
}

#[test]
fn kaplan_meier_csv_equals_r_survfit() {
    let out = lung_by_sex("steward", "csv", &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let ours = table(&String::from_utf8(out.stdout).unwrap());
    let r = table(&std::fs::read_to_string(format!("{REF}/km_lung_sex_log.csv")).unwrap());
    assert_eq!(ours.len(), r.len());
    for (o, w) in ours.iter().zip(&r) {
        assert_eq!(o[0], w[0]);
        for c in 1..9 {
            close(&o[c], &w[c], &format!("group {} time {} column {c}", w[0], w[1]));
        }
    }
}

#[test]
fn net_survival_csv_equals_relsurv_and_json_has_the_log_rank_test() {
    let out = net_survival(&["--format", "csv"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let ours = table(&String::from_utf8(out.stdout).unwrap());
    let r = table(&std::fs::read_to_string(format!("{REF}/rs_pohar-perme_all_log.csv")).unwrap());
    assert_eq!(ours.len(), r.len());
    for (o, w) in ours.iter().zip(&r) {
        close(&o[5], &w[5], &format!("time {} surv", w[1]));
        close(&o[7], &w[7], &format!("time {} lower", w[1]));
    }

    let json = oncodata(&[
        "survival",
        "--audience",
        "steward",
        "--data",
        &format!("{REF}/lung.csv"),
        "--time",
        "time",
        "--event",
        "status",
        "--by",
        "sex",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!((v["log_rank"]["chisq"].as_f64().unwrap() - 10.326741954885632).abs() < 1e-9);
    assert_eq!(v["summary"][0]["median"], 270.0);
}

#[test]
fn plot_is_written_and_bad_input_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("km.svg");
    let out = oncodata(&[
        "survival",
        "--audience",
        "steward",
        "--data",
        &format!("{REF}/lung.csv"),
        "--time",
        "time",
        "--event",
        "status",
        "--by",
        "sex",
        "--plot",
        svg.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg") && text.contains("sex = 2") && text.contains("<polyline"), "{}", &text[..200]);

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "t,e\n5,1\n7,maybe\n").unwrap();
    let out = oncodata(&[
        "survival",
        "--audience",
        "steward",
        "--data",
        bad.to_str().unwrap(),
        "--time",
        "t",
        "--event",
        "e",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("bad.csv row 2: column 'e' is 'maybe'"), "{err}");
    let out = oncodata(&[
        "survival",
        "--audience",
        "steward",
        "--data",
        bad.to_str().unwrap(),
        "--time",
        "nope",
        "--event",
        "e",
    ]);
    assert!(String::from_utf8(out.stderr).unwrap().contains("no column 'nope' (columns: t, e)"));
}

/// `--standardise icss1`: the estimate at 5 years is Σ w_j S_j over the five ICSS age groups,
/// each S_j the Pohar-Perme estimate of that group alone (computed here with the library).
#[test]
fn icss_standardised_net_survival_is_the_weighted_sum_of_age_groups() {
    use oncodata_stats::relative::{
        DAYS_PER_YEAR, Integration, RateTable, RateUnit, RelativeMethod, Subject, days_since_1960, relative_survival,
    };
    use oncodata_stats::survival::CiTransform;
    let out = net_survival(&["--at", "1826.205", "--standardise", "icss1", "--format", "csv"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let ours: f64 = table(&String::from_utf8(out.stdout).unwrap())[0][5].parse().unwrap();

    let rt: Vec<(u32, String, i32, f64)> = table(&std::fs::read_to_string(format!("{REF}/slopop.csv")).unwrap())
        .iter()
        .map(|r| (r[0].parse().unwrap(), r[1].clone(), r[2].parse().unwrap(), r[3].parse().unwrap()))
        .collect();
    let rt = RateTable::from_rows(&rt, RateUnit::Day).unwrap();
    let data = table(&std::fs::read_to_string(format!("{REF}/rdata.csv")).unwrap());
    let weights = [0.07, 0.12, 0.23, 0.29, 0.29];
    let bounds = [(15.0, 45.0), (45.0, 55.0), (55.0, 65.0), (65.0, 75.0), (75.0, 200.0)];
    let mut want = 0.0;
    for (w, (lo, hi)) in weights.iter().zip(bounds) {
        let subs: Vec<Subject> = data
            .iter()
            .filter(|r| (lo..hi).contains(&r[2].parse::<f64>().unwrap()))
            .map(|r| Subject {
                time: r[0].parse().unwrap(),
                event: r[1] == "1",
                age_days: r[2].parse::<f64>().unwrap() * DAYS_PER_YEAR,
                sex: rt.sex_index(&r[3]).unwrap(),
                date_days: days_since_1960(chrono::NaiveDate::parse_from_str(&r[4], "%Y-%m-%d").unwrap()),
            })
            .collect();
        let r = relative_survival(&subs, &rt, RelativeMethod::PoharPerme, Integration::Daily, CiTransform::Log, 0.95)
            .unwrap();
        let k = r.partition_point(|x| x.row.time <= 1826.205);
        want += w * r[k - 1].row.surv;
    }
    assert!((ours - want).abs() < 1e-12, "{ours} vs {want}");
}

/// `--year` as a decimal calendar year gives the same net survival as the ISO date it stands
/// for (date = 1 January + fraction × days in the year).
#[test]
fn decimal_years_equal_dates() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(format!("{REF}/rdata.csv")).unwrap();
    let mut out = String::from("time,status,age,sex,year\n");
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let d = chrono::NaiveDate::parse_from_str(f[4], "%Y-%m-%d").unwrap();
        let jan1 = chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&d), 1, 1).unwrap();
        let days_in_year =
            if chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&d), 2, 29).is_some() { 366.0 } else { 365.0 };
        let y = chrono::Datelike::year(&d) as f64 + (d - jan1).num_days() as f64 / days_in_year;
        out.push_str(&format!("{},{},{},{},{y}\n", f[0], f[1], f[2], f[3]));
    }
    let path = dir.path().join("decimal.csv");
    std::fs::write(&path, out).unwrap();
    let run = |data: &str, year: &str| {
        let o = oncodata(&[
            "survival",
            "--audience",
            "steward",
            "--data",
            data,
            "--time",
            "time",
            "--event",
            "status",
            "--method",
            "pohar-perme",
            "--ratetable",
            &format!("{REF}/slopop.csv"),
            "--age",
            "age",
            "--sex",
            "sex",
            "--year",
            year,
            "--at",
            "1826",
            "--format",
            "csv",
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        table(&String::from_utf8(o.stdout).unwrap())[0][5].parse::<f64>().unwrap()
    };
    let (a, b) = (run(path.to_str().unwrap(), "year"), run(&format!("{REF}/rdata.csv"), "date"));
    assert!((a - b).abs() < 1e-9, "{a} vs {b}");
}

/// The CSV curves, printed group by group as they are made, are the rows the JSON output holds
/// (made whole, then checked): the same disclosure rule applies to both, here the public's, under
/// which R's lung data by sex loses steps, and a plot is drawn alongside.
#[test]
fn streamed_csv_curves_equal_the_json_table_under_the_disclosure_rule() {
    let dir = tempfile::tempdir().unwrap();
    let plot = dir.path().join("km.svg");
    let run = |format: &str| {
        let out = lung_by_sex("public", format, &["--plot", plot.to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
    };
    let (csv_text, csv_note) = run("csv");
    let (json_text, json_note) = run("json");
    assert!(csv_note.contains("steps merged") && csv_note == json_note, "{csv_note}\n{json_note}");
    assert!(std::fs::read_to_string(&plot).unwrap().contains("<svg"));
    let json: serde_json::Value = serde_json::from_str(&json_text).unwrap();
    let from_json: Vec<Vec<String>> = json["table"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            ["group", "time", "n_risk", "n_event", "n_censor", "surv", "std_err", "lower", "upper"]
                .iter()
                .map(|k| match &r[*k] {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Null => "NA".to_string(),
                    v => v.as_f64().unwrap().to_string(),
                })
                .collect()
        })
        .collect();
    let from_csv: Vec<Vec<String>> = table(&csv_text)
        .into_iter()
        .map(|r| {
            r.into_iter()
                .enumerate()
                .map(|(i, v)| if i == 0 { v } else { v.parse::<f64>().map_or(v, |x| x.to_string()) })
                .collect()
        })
        .collect();
    assert!(!from_csv.is_empty());
    assert_eq!(from_csv.len(), from_json.len());
    // (serde_json reads numbers to within an ulp or so, not always to the nearest.)
    for (c, j) in from_csv.iter().zip(&from_json) {
        assert_eq!(c[0], j[0]);
        for (a, b) in c[1..].iter().zip(&j[1..]) {
            match (a.parse::<f64>(), b.parse::<f64>()) {
                (Ok(x), Ok(y)) => assert!((x - y).abs() <= 1e-15 * x.abs(), "{c:?}\n{j:?}"),
                _ => assert_eq!(a, b),
            }
        }
    }
}

/// A bad time in a later group is an error naming its row before any curve is printed: the
/// CSV curves are printed group by group, and a partial file would look complete.
#[test]
fn a_bad_time_in_a_later_group_stops_the_command_before_any_curve() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("km.csv");
    std::fs::write(&data, "time,status,grp\n1,1,a\n2,0,a\n3,1,b\n-4,1,b\n").unwrap();
    let out = oncodata(&[
        "survival",
        "--audience",
        "steward",
        "--data",
        data.to_str().unwrap(),
        "--time",
        "time",
        "--event",
        "status",
        "--by",
        "grp",
        "--format",
        "csv",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(err.contains("row 4") && err.contains("'time'") && err.contains("-4"), "{err}");
}
