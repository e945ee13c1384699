//! Times oncodata-stats' survival estimators on a CSV file, for `bench/survival.sh`, which runs
//! lifelines, R survival and relsurv on the same file in the same run.
//!
//! Usage:
//!   bench_survival km FILE REPEATS [TABLE]    (columns time,status; status 1 = event; the
//!                                              estimate is written to TABLE as CSV: time,
//!                                              n_risk, n_event, surv, std_err)
//!   bench_survival pohar-perme FILE RATETABLE REPEATS
//!                                             (columns time,status,age,sex,date; rate table
//!                                              age,sex,year,hazard per day)
//! Prints the fastest wall time of the estimator alone (data already in memory), in seconds,
//! and a checksum of the estimates so that runs can be compared.

use std::time::Instant;

use chrono::NaiveDate;
use oncodata_stats::relative::{
    DAYS_PER_YEAR, Integration, RateTable, RateUnit, RelativeMethod, Subject, days_since_1960, relative_survival,
};
use oncodata_stats::survival::{CiTransform, kaplan_meier};

fn read(path: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines().skip(1).map(|l| l.split(',').map(str::to_string).collect()).collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("km") => {
            let rows = read(&args[2]);
            let repeats: usize = args[3].parse().expect("repeats");
            let time: Vec<f64> = rows.iter().map(|r| r[0].parse().expect("time")).collect();
            let event: Vec<bool> = rows.iter().map(|r| r[1] == "1").collect();
            let mut best = f64::INFINITY;
            let mut checksum = 0.0;
            for _ in 0..repeats {
                let start = Instant::now();
                let km = kaplan_meier(&time, &event, CiTransform::Log, 0.95).expect("km");
                best = best.min(start.elapsed().as_secs_f64());
                checksum = km.rows.iter().map(|r| r.surv).sum::<f64>();
                if let Some(out) = args.get(4) {
                    let mut text = String::from("time,n_risk,n_event,surv,std_err\n");
                    for r in &km.rows {
                        text.push_str(&format!(
                            "{},{},{},{:.17e},{:.17e}\n",
                            r.time, r.n_risk, r.n_event, r.surv, r.std_err
                        ));
                    }
                    std::fs::write(out, text).unwrap_or_else(|e| panic!("{out}: {e}"));
                }
            }
            println!("oncodata km n={} seconds={best:.6} checksum={checksum:.10}", time.len());
        }
        Some("pohar-perme") => {
            let rows = read(&args[2]);
            let rt: Vec<(u32, String, i32, f64)> = read(&args[3])
                .iter()
                .map(|r| {
                    (
                        r[0].parse().expect("age"),
                        r[1].clone(),
                        r[2].parse().expect("year"),
                        r[3].parse().expect("hazard"),
                    )
                })
                .collect();
            let table = RateTable::from_rows(&rt, RateUnit::Day).expect("rate table");
            let repeats: usize = args[4].parse().expect("repeats");
            let subjects: Vec<Subject> = rows
                .iter()
                .map(|r| Subject {
                    time: r[0].parse().expect("time"),
                    event: r[1] == "1",
                    age_days: r[2].parse::<f64>().expect("age") * DAYS_PER_YEAR,
                    sex: table.sex_index(&r[3]).expect("sex"),
                    date_days: days_since_1960(NaiveDate::parse_from_str(&r[4], "%Y-%m-%d").expect("date")),
                })
                .collect();
            let mut best = f64::INFINITY;
            let mut checksum = 0.0;
            for _ in 0..repeats {
                let start = Instant::now();
                let r = relative_survival(
                    &subjects,
                    &table,
                    RelativeMethod::PoharPerme,
                    Integration::Daily,
                    CiTransform::Log,
                    0.95,
                )
                .expect("pohar-perme");
                best = best.min(start.elapsed().as_secs_f64());
                checksum = r.last().map_or(0.0, |x| x.row.surv);
            }
            println!("oncodata pohar-perme n={} seconds={best:.6} final_surv={checksum:.10}", subjects.len());
        }
        _ => eprintln!("usage: bench_survival km FILE REPEATS [TABLE] | pohar-perme FILE RATETABLE REPEATS"),
    }
}
