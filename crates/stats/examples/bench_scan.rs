//! Times oncodata-stats' Poisson spatial scan on a CSV file of locations, for `bench/scan.sh`,
//! which runs the Python reference on the same data in the same run.
//!
//! Usage:
//!   bench_scan FILE REPLICATES [MAX_SHARE] [SEED]
//!     FILE: columns location,cases,expected,latitude,longitude (great-circle distances, km)
//! Prints one line per phase with its wall time in seconds (windows, clusters, replicates), the
//! number of windows, the most likely cluster (centre, members, observed, expected, LLR,
//! p-value), and the peak memory of the process.

use std::time::Instant;

use oncodata_stats::random::SplitMix64;
use oncodata_stats::scan::{Distance, Location, Settings, Windows, rank_p_value, simulate};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(path), Some(replicates)) = (args.get(1), args.get(2).and_then(|r| r.parse::<usize>().ok())) else {
        eprintln!("usage: bench_scan FILE REPLICATES [MAX_SHARE] [SEED]");
        std::process::exit(2);
    };
    let share: f64 = args.get(3).map_or(0.5, |s| s.parse().expect("MAX_SHARE"));
    let seed: u64 = args.get(4).map_or(1, |s| s.parse().expect("SEED"));
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut ids = Vec::new();
    let locations: Vec<Location> = text
        .lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            ids.push(f[0].to_string());
            let n = |i: usize| f[i].parse::<f64>().unwrap_or_else(|_| panic!("{path}: {line}"));
            Location { cases: n(1), population: n(2), x: n(3), y: n(4) }
        })
        .collect();
    let settings = Settings { max_population_share: share, distance: Distance::GreatCircle, ..Settings::default() };
    let all = Instant::now();
    let t = Instant::now();
    let windows = Windows::new(&locations, &settings);
    println!("windows seconds={:.3} count={}", t.elapsed().as_secs_f64(), windows.len());
    let t = Instant::now();
    let cases: Vec<f64> = locations.iter().map(|l| l.cases).collect();
    let mut peaks: Vec<_> = windows.best_per_centre(&cases).into_iter().flatten().collect();
    peaks.sort_by(|a, b| b.llr.total_cmp(&a.llr).then(a.centre.cmp(&b.centre)));
    let best: Vec<_> = peaks.iter().take(1).map(|p| windows.window(p)).collect();
    println!("clusters seconds={:.3}", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let total: f64 = cases.iter().sum();
    let mut rng = SplitMix64::new(seed);
    let simulated = simulate(&windows, total as u64, replicates, || rng.uniform());
    println!("replicates seconds={:.3} replicates={replicates}", t.elapsed().as_secs_f64());
    println!("total seconds={:.3}", all.elapsed().as_secs_f64());
    if let Some(top) = best.first() {
        let members: Vec<&str> = top.members.iter().map(|&i| ids[i].as_str()).collect();
        println!(
            "most_likely centre={} members={} observed={} expected={:.10} llr={:.10} p={}",
            ids[top.centre],
            members.join(";"),
            top.observed,
            top.expected,
            top.llr,
            if replicates > 0 { rank_p_value(top.llr, &simulated) } else { f64::NAN }
        );
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM")) {
        println!("peak_memory {}", line.split_whitespace().nth(1).unwrap_or("?"));
    }
}
