//! Kaplan–Meier and log-rank against R's survival package on `lung` and `colon`
//! (`reference/survival/km_reference.R` and the CSV files it wrote): every time, count,
//! estimate, standard error and bound, every median and interval, every χ² and p.

use std::collections::BTreeMap;

use super::*;

/// Data of a reference set: label of the grouping column → (times, events).
type Groups = BTreeMap<String, (Vec<f64>, Vec<bool>)>;

fn csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(str::to_string).collect();
    (header, lines.map(|l| l.split(',').map(str::to_string).collect()).collect())
}

/// Reads a data set, grouped by `by` (or all together); `status_event` is the status value that
/// means an event (2 in `lung`, 1 in `colon`).
fn data(text: &str, by: Option<&str>, status_event: &str) -> Groups {
    let (h, rows) = csv(text);
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (t, s) = (col("time"), col("status"));
    let mut groups = Groups::new();
    for r in rows {
        let g = by.map_or("all".to_string(), |b| r[col(b)].clone());
        let e = groups.entry(g).or_default();
        e.0.push(r[t].parse().unwrap());
        e.1.push(r[s] == status_event);
    }
    groups
}

fn num(s: &str) -> f64 {
    if s == "NA" { f64::NAN } else { s.parse().unwrap() }
}

fn same(ours: f64, r: f64, what: &str) {
    if r.is_nan() {
        assert!(!ours.is_finite(), "{what}: R has NA, we have {ours}");
    } else {
        let tol = 1e-12 * r.abs().max(1e-300);
        assert!((ours - r).abs() <= tol, "{what}: {ours} vs R {r} (diff {:e})", ours - r);
    }
}

fn compare(groups: &Groups, reference: &str, transform: CiTransform, conf: f64, name: &str) {
    let (_, rows) = csv(reference);
    let mut by_group: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
    for r in rows {
        by_group.entry(r[0].clone()).or_default().push(r);
    }
    assert_eq!(by_group.len(), groups.len(), "{name}");
    for (g, (t, e)) in groups {
        let km = kaplan_meier(t, e, transform, conf).unwrap();
        let want = &by_group[g];
        assert_eq!(km.rows.len(), want.len(), "{name} {g}: number of rows");
        for (ours, r) in km.rows.iter().zip(want) {
            let what = format!("{name} group {g} time {}", r[1]);
            same(ours.time, num(&r[1]), &format!("{what} time"));
            same(ours.n_risk, num(&r[2]), &format!("{what} n_risk"));
            same(ours.n_event, num(&r[3]), &format!("{what} n_event"));
            same(ours.n_censor, num(&r[4]), &format!("{what} n_censor"));
            same(ours.surv, num(&r[5]), &format!("{what} surv"));
            same(ours.std_err, num(&r[6]), &format!("{what} std_err"));
            same(ours.lower, num(&r[7]), &format!("{what} lower"));
            same(ours.upper, num(&r[8]), &format!("{what} upper"));
        }
    }
}

fn compare_medians(groups: &Groups, reference: &str, transform: CiTransform, conf: f64, name: &str) {
    let (_, rows) = csv(reference);
    for r in rows {
        let (t, e) = &groups[&r[0]];
        let m = kaplan_meier(t, e, transform, conf).unwrap().median();
        let opt = |v: Option<f64>| v.unwrap_or(f64::NAN);
        same(opt(m.value), num(&r[1]), &format!("{name} {} median", r[0]));
        same(opt(m.lower), num(&r[2]), &format!("{name} {} median lower", r[0]));
        same(opt(m.upper), num(&r[3]), &format!("{name} {} median upper", r[0]));
    }
}

const LUNG: &str = include_str!("../../reference/survival/lung.csv");
const COLON: &str = include_str!("../../reference/survival/colon.csv");

macro_rules! reference_case {
    ($test:ident, $data:expr, $by:expr, $event:expr, $transform:expr, $conf:expr, $km:literal, $median:literal) => {
        #[test]
        fn $test() {
            let groups = data($data, $by, $event);
            let km = include_str!(concat!("../../reference/survival/", $km));
            compare(&groups, km, $transform, $conf, $km);
            let med = include_str!(concat!("../../reference/survival/", $median));
            compare_medians(&groups, med, $transform, $conf, $median);
        }
    };
}

reference_case!(
    lung_all_log,
    LUNG,
    None,
    "2",
    CiTransform::Log,
    0.95,
    "km_lung_all_log.csv",
    "median_lung_all_log.csv"
);
reference_case!(
    lung_all_loglog,
    LUNG,
    None,
    "2",
    CiTransform::LogLog,
    0.95,
    "km_lung_all_log-log.csv",
    "median_lung_all_log-log.csv"
);
reference_case!(
    lung_all_plain,
    LUNG,
    None,
    "2",
    CiTransform::Plain,
    0.95,
    "km_lung_all_plain.csv",
    "median_lung_all_plain.csv"
);
reference_case!(
    lung_sex_log,
    LUNG,
    Some("sex"),
    "2",
    CiTransform::Log,
    0.95,
    "km_lung_sex_log.csv",
    "median_lung_sex_log.csv"
);
reference_case!(
    lung_sex_loglog,
    LUNG,
    Some("sex"),
    "2",
    CiTransform::LogLog,
    0.95,
    "km_lung_sex_log-log.csv",
    "median_lung_sex_log-log.csv"
);
reference_case!(
    lung_sex_plain,
    LUNG,
    Some("sex"),
    "2",
    CiTransform::Plain,
    0.95,
    "km_lung_sex_plain.csv",
    "median_lung_sex_plain.csv"
);
reference_case!(
    lung_sex_log_90,
    LUNG,
    Some("sex"),
    "2",
    CiTransform::Log,
    0.90,
    "km_lung_sex_log_90.csv",
    "median_lung_sex_log_90.csv"
);
reference_case!(
    colon_rx_log,
    COLON,
    Some("rx"),
    "1",
    CiTransform::Log,
    0.95,
    "km_colon_rx_log.csv",
    "median_colon_rx_log.csv"
);
reference_case!(
    colon_rx_loglog,
    COLON,
    Some("rx"),
    "1",
    CiTransform::LogLog,
    0.95,
    "km_colon_rx_log-log.csv",
    "median_colon_rx_log-log.csv"
);
reference_case!(
    colon_rx_plain,
    COLON,
    Some("rx"),
    "1",
    CiTransform::Plain,
    0.95,
    "km_colon_rx_plain.csv",
    "median_colon_rx_plain.csv"
);

fn log_rank_case(data_text: &str, by: &str, event: &str, reference: &str) {
    let groups = data(data_text, Some(by), event);
    let (mut t, mut e, mut g) = (vec![], vec![], vec![]);
    for (i, (_, (tt, ee))) in groups.iter().enumerate() {
        t.extend(tt);
        e.extend(ee);
        g.extend(std::iter::repeat_n(i, tt.len()));
    }
    let lr = log_rank(&t, &e, &g).unwrap();
    let (_, rows) = csv(reference);
    same(lr.chisq, num(&rows[0][0]), "chisq");
    assert_eq!(lr.df.to_string(), rows[0][1]);
    same(lr.p, num(&rows[0][2]), "p");
    // From the groups' Kaplan–Meier tables: the same numbers, bit for bit.
    let tables: Vec<KaplanMeier> =
        groups.values().map(|(t, e)| kaplan_meier(t, e, CiTransform::Log, 0.95).unwrap()).collect();
    let slices: Vec<&[SurvivalRow]> = tables.iter().map(|km| km.rows.as_slice()).collect();
    assert_eq!(log_rank_of_tables(&slices, |r| r).unwrap(), lr);
}

/// On random data in whole days (ties, the counting path) and in fractional times (the sorting
/// path), with 2 to 6 groups, the test from the tables is the test from the subjects, bit for bit.
#[test]
fn log_rank_of_tables_is_log_rank() {
    let mut state = 7_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for (k, whole_days) in [(2, true), (3, false), (5, true), (6, false)] {
        let n = 3000;
        let g: Vec<usize> = (0..n).map(|_| (next() % k as u64) as usize).collect();
        let t: Vec<f64> = (0..n)
            .map(|_| if whole_days { (next() % 400) as f64 } else { (next() % 1_000_000) as f64 / 997.0 })
            .collect();
        let e: Vec<bool> = (0..n).map(|_| next() % 3 != 0).collect();
        let tables: Vec<KaplanMeier> = (0..k)
            .map(|h| {
                let (tt, ee): (Vec<f64>, Vec<bool>) = (0..n).filter(|&i| g[i] == h).map(|i| (t[i], e[i])).unzip();
                kaplan_meier(&tt, &ee, CiTransform::Log, 0.95).unwrap()
            })
            .collect();
        let slices: Vec<&[SurvivalRow]> = tables.iter().map(|km| km.rows.as_slice()).collect();
        assert_eq!(log_rank_of_tables(&slices, |r| r).unwrap(), log_rank(&t, &e, &g).unwrap(), "{k} groups");
    }
}

#[test]
fn log_rank_matches_r_survdiff() {
    log_rank_case(LUNG, "sex", "2", include_str!("../../reference/survival/logrank_lung_sex.csv"));
    log_rank_case(COLON, "rx", "1", include_str!("../../reference/survival/logrank_colon_rx.csv"));
}

/// Published: `survfit(Surv(time, status) ~ 1, lung)` has n 228, 165 events, median 310
/// (285–363); `summary(fit, times = 365.25)` gives 65 at risk, survival 0.409 (0.345–0.486)
/// (registry-and-epi-methods.md §10.2).
#[test]
fn published_lung_values() {
    let (t, e) = &data(LUNG, None, "2")["all"];
    let km = kaplan_meier(t, e, CiTransform::Log, 0.95).unwrap();
    assert_eq!((km.n, km.events), (228, 165));
    let m = km.median();
    assert_eq!((m.value, m.lower, m.upper), (Some(310.0), Some(285.0), Some(363.0)));
    let y = km.at(365.25).unwrap();
    assert_eq!(y.n_risk, 65.0);
    assert_eq!(y.n_event, 121.0);
    assert!((y.surv - 0.409).abs() < 5e-4 && (y.lower - 0.345).abs() < 5e-4 && (y.upper - 0.486).abs() < 5e-4);
}

#[test]
fn hand_calculation_and_edge_cases() {
    // Times 1, 2+, 3, 3, 4+: S(1) = 4/5, S(3) = 4/5 · (1 − 2/3) = 4/15.
    let km =
        kaplan_meier(&[1.0, 2.0, 3.0, 3.0, 4.0], &[true, false, true, true, false], CiTransform::Log, 0.95).unwrap();
    let s: Vec<f64> = km.rows.iter().map(|r| r.surv).collect();
    assert_eq!(s, vec![0.8, 0.8, 0.8 * (1.0 - 2.0 / 3.0), 0.8 * (1.0 - 2.0 / 3.0)]);
    // Greenwood: 1/(5·4) + 2/(3·1).
    let sigma = (1.0 / 20.0 + 2.0 / 3.0_f64).sqrt();
    assert!((km.rows[2].std_err - s[2] * sigma).abs() < 1e-15);
    assert_eq!(km.median().value, Some(3.0));
    // Everyone dies: S = 0, undefined log interval, median at the midpoint rule's edge.
    let all = kaplan_meier(&[1.0, 2.0], &[true, true], CiTransform::Log, 0.95).unwrap();
    assert_eq!(all.rows[1].surv, 0.0);
    assert!(all.rows[1].lower.is_nan());
    // S exactly 0.5 on [1, 2): R's median is the midpoint 1.5.
    assert_eq!(all.median().value, Some(1.5));
    assert!(kaplan_meier(&[-1.0], &[true], CiTransform::Log, 0.95).is_err());
    assert!(kaplan_meier(&[1.0], &[true, false], CiTransform::Log, 0.95).is_err());
    assert!(log_rank(&[1.0, 2.0], &[true, true], &[0, 0]).is_err());
}

/// `summary(fit, times = c(0, 100, 365.25, 730.5, 1000))` on lung by sex (reference/survival/
/// at_lung_sex.csv): the estimate, at-risk count and events since the previous time.
#[test]
fn values_at_chosen_times_match_r_summary() {
    let groups = data(LUNG, Some("sex"), "2");
    let (_, rows) = csv(include_str!("../../reference/survival/at_lung_sex.csv"));
    let times = [0.0, 100.0, 365.25, 730.5, 1000.0];
    for (g, (t, e)) in &groups {
        let km = kaplan_meier(t, e, CiTransform::Log, 0.95).unwrap();
        let ours = summary_at(&km.rows, km.n as f64, &times);
        let want: Vec<&Vec<String>> = rows.iter().filter(|r| &r[0] == g).collect();
        assert_eq!(ours.len(), want.len(), "group {g}");
        for ((o, _), r) in ours.iter().zip(want) {
            let what = format!("group {g} time {}", r[1]);
            for (name, a, b) in [
                ("time", o.time, num(&r[1])),
                ("n_risk", o.n_risk, num(&r[2])),
                ("n_event", o.n_event, num(&r[3])),
                ("n_censor", o.n_censor, num(&r[4])),
                ("surv", o.surv, num(&r[5])),
                ("std_err", o.std_err, num(&r[6])),
                ("lower", o.lower, num(&r[7])),
                ("upper", o.upper, num(&r[8])),
            ] {
                same(a, b, &format!("{what} {name}"));
            }
        }
    }
}

/// lifelines' KaplanMeierFitter and scikit-survival's kaplan_meier_estimator (both with their
/// default log(−log) interval) on lung by sex (reference/survival/km_python.py).
#[test]
fn kaplan_meier_matches_lifelines_and_scikit_survival() {
    let groups = data(LUNG, Some("sex"), "2");
    for (name, text) in [
        ("lifelines", include_str!("../../reference/survival/km_lung_sex_lifelines.csv")),
        ("scikit-survival", include_str!("../../reference/survival/km_lung_sex_sksurv.csv")),
    ] {
        let (_, rows) = csv(text);
        for (g, (t, e)) in &groups {
            let km = kaplan_meier(t, e, CiTransform::LogLog, 0.95).unwrap();
            let want: Vec<&Vec<String>> = rows.iter().filter(|r| &r[0] == g).collect();
            assert_eq!(km.rows.len(), want.len(), "{name} group {g}");
            for (o, r) in km.rows.iter().zip(want) {
                let what = format!("{name} group {g} time {}", r[1]);
                same(o.time, num(&r[1]), &format!("{what} time"));
                for (col, ours, theirs) in
                    [("surv", o.surv, num(&r[2])), ("lower", o.lower, num(&r[3])), ("upper", o.upper, num(&r[4]))]
                {
                    // Both packages report S = 1 bounds where R (and we) report NA.
                    if ours.is_nan() && o.surv == 1.0 {
                        continue;
                    }
                    assert!((ours - theirs).abs() <= 1e-9 * theirs.abs(), "{what} {col}: {ours} vs {theirs}");
                }
            }
        }
    }
}

/// Whole-day times take the counting path, fractional times the sorting path: same estimates.
#[test]
fn counting_and_sorting_paths_agree() {
    let (t, e) = &data(COLON, None, "1")["all"];
    let whole = kaplan_meier(t, e, CiTransform::Log, 0.95).unwrap();
    let shifted: Vec<f64> = t.iter().map(|x| x + 0.5).collect();
    let frac = kaplan_meier(&shifted, e, CiTransform::Log, 0.95).unwrap();
    assert_eq!(whole.rows.len(), frac.rows.len());
    for (a, b) in whole.rows.iter().zip(&frac.rows) {
        assert_eq!(
            (a.time + 0.5, a.n_risk, a.n_event, a.surv, a.lower),
            (b.time, b.n_risk, b.n_event, b.surv, b.lower)
        );
    }
}

/// Hand calculation: two age groups with weights 0.25 and 0.75. Group A: S = 0.8 from t = 1
/// (SE 0.1); group B: S = 0.5 from t = 2 (SE 0.2). Standardised S(1) = 0.25·0.8 + 0.75·1 = 0.95,
/// SE(1) = 0.25·0.1 = 0.025; S(2) = 0.25·0.8 + 0.75·0.5 = 0.575, SE = sqrt(0.025² + 0.15²).
#[test]
fn standardised_survival_hand_calculation() {
    let row = |time, n_risk, surv, std_err| SurvivalRow {
        time,
        n_risk,
        n_event: 1.0,
        n_censor: 0.0,
        surv,
        std_err,
        lower: 0.0,
        upper: 0.0,
    };
    let a = vec![row(1.0, 5.0, 0.8, 0.1), row(3.0, 4.0, 0.8, 0.1)];
    let b = vec![row(2.0, 2.0, 0.5, 0.2), row(3.0, 1.0, 0.5, 0.2)];
    let s = standardised_survival(&[(1.0, a), (3.0, b)], CiTransform::Log, 0.95);
    assert_eq!(s.iter().map(|r| r.time).collect::<Vec<_>>(), vec![1.0, 2.0, 3.0]);
    assert!((s[0].surv - 0.95).abs() < 1e-15 && (s[0].std_err - 0.025).abs() < 1e-15);
    assert!((s[1].surv - 0.575).abs() < 1e-15);
    assert!((s[1].std_err - (0.025f64.powi(2) + 0.15f64.powi(2)).sqrt()).abs() < 1e-15);
    // At risk at t = 1: 5 in A and the 2 of B still followed; events only where a group has a time.
    assert_eq!((s[0].n_risk, s[0].n_event), (7.0, 1.0));
    let z = normal_quantile(0.975);
    assert!((s[0].lower - 0.95 * (-z * 0.025 / 0.95f64).exp()).abs() < 1e-15);
}
