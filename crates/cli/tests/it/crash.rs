//! The crash test of the warehouse's snapshots: loads of three sources in one command
//! (registry CSV, NAACCR XML, claims folder) are killed with SIGKILL at random moments, many
//! times. After every kill the warehouse must open on its last complete snapshot: each load's
//! datasets present in every table with exactly their full counts, or absent from all of them.
//!
//! `ONCODATA_CRASH_KILLS` sets the number of kills (default 12), `ONCODATA_CRASH_SEED` the
//! random seed (printed, to replay a failure).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::{oncodata, run_demo};

/// Counts of one table's rows by dataset.
type Counts = BTreeMap<(String, String), i64>;

fn counts(wh: &Path) -> Counts {
    let sql = |tables: &[&str]| {
        tables
            .iter()
            .map(|t| format!("SELECT '{t}' AS t, dataset, count(*) AS n FROM {t} GROUP BY dataset"))
            .collect::<Vec<_>>()
            .join(" UNION ALL ")
    };
    let user = sql(&["tumours", "patients", "care_events", "quarantine", "warnings"]);
    let out = oncodata(&["sql", "--warehouse", wh.to_str().unwrap(), "--format", "csv", &user]);
    assert!(out.status.success(), "the warehouse does not open: {}", String::from_utf8_lossy(&out.stderr));
    // The identities are out of a user's SQL: read through the library, as linkage reads them.
    let identities = oncodata_warehouse::Warehouse::open(wh)
        .and_then(|w| w.query(&sql(&["identities"]))?.to_csv())
        .unwrap_or_else(|e| panic!("the warehouse does not open: {e}"));
    let text = String::from_utf8(out.stdout).unwrap()
        + identities.lines().skip(1).map(|l| format!("{l}\n")).collect::<String>().as_str();
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            ((f[0].to_string(), f[1].to_string()), f[2].parse().unwrap())
        })
        .collect()
}

fn latest_snapshot(wh: &Path) -> u64 {
    let out = oncodata(&["snapshots", "list", "--warehouse", wh.to_str().unwrap(), "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    list.as_array().unwrap().last().unwrap()["snapshot"].as_u64().unwrap()
}

/// The three sources of load `i`, under names that make their datasets `encr_i`, `naaccr_i`
/// and `claims_i`.
fn sources_of(i: usize, src: &Path, work: &Path) -> Vec<String> {
    let dir = work.join(format!("load{i}"));
    if !dir.exists() {
        std::fs::create_dir_all(dir.join(format!("claims_{i}"))).unwrap();
        std::fs::copy(src.join("registry/encr_50_2021-2022.csv"), dir.join(format!("encr_{i}.csv"))).unwrap();
        std::fs::copy(src.join("registry/naaccr_50_2021-2022.xml"), dir.join(format!("naaccr_{i}.xml"))).unwrap();
        for f in std::fs::read_dir(src.join("claims")).unwrap().flatten() {
            std::fs::copy(f.path(), dir.join(format!("claims_{i}")).join(f.file_name())).unwrap();
        }
    }
    let p = |name: &str| dir.join(name).display().to_string();
    [
        "--source".into(),
        "encr-csv".into(),
        p(&format!("encr_{i}.csv")),
        "--source".into(),
        "naaccr-xml".into(),
        p(&format!("naaccr_{i}.xml")),
        "--source".into(),
        "claims".into(),
        p(&format!("claims_{i}")),
    ]
    .to_vec()
}

/// A small random generator (xorshift64*), so that a failing run can be replayed by its seed.
struct Random(u64);

impl Random {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}

#[test]
fn loads_killed_at_random_moments_leave_the_last_complete_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let wh = tmp.path().join("wh");
    run_demo(&wh);
    let src: PathBuf = wh.join("sources");
    let work = tmp.path().join("work");
    let kills: usize = std::env::var("ONCODATA_CRASH_KILLS").ok().and_then(|v| v.parse().ok()).unwrap_or(12);
    let seed: u64 = std::env::var("ONCODATA_CRASH_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1
    });
    eprintln!("crash test: {kills} kills, ONCODATA_CRASH_SEED={seed}");
    let mut random = Random(seed);
    let ingest = |i: usize| {
        let mut args = vec!["ingest".to_string(), "--warehouse".into(), wh.display().to_string()];
        args.extend(sources_of(i, &src, &work));
        let mut c = Command::new(env!("CARGO_BIN_EXE_oncodata"));
        c.args(&args).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
        c
    };

    // Load 0 runs whole: its counts are what every complete load must show.
    let before = counts(&wh);
    let started = Instant::now();
    assert!(ingest(0).status().unwrap().success());
    let full = started.elapsed();
    let after = counts(&wh);
    let reference: BTreeMap<(String, String), i64> = after
        .iter()
        .filter(|(k, _)| !before.contains_key(k))
        .map(|((t, d), n)| ((t.clone(), d.trim_end_matches("_0").to_string()), *n))
        .collect();
    assert_eq!(reference.keys().filter(|(t, _)| t == "tumours").count(), 2, "{reference:?}");
    assert!(reference.contains_key(&("patients".into(), "claims".into())), "{reference:?}");
    let mut expected = after;
    let mut snapshot = latest_snapshot(&wh);

    let (mut interrupted, mut completed, mut load, mut while_merging) = (0, 0, 1, 0);
    while interrupted < kills {
        let delay = Duration::from_micros(random.below(full.as_micros() as u64 * 11 / 10));
        let before_run = modified(&wh);
        let mut child = ingest(load).spawn().unwrap();
        std::thread::sleep(delay);
        let killed = child.try_wait().unwrap().is_none();
        if killed {
            child.kill().unwrap(); // SIGKILL
        }
        let status = child.wait().unwrap();
        let now = counts(&wh);
        let id = latest_snapshot(&wh);
        let with_load: Counts = expected
            .clone()
            .into_iter()
            .chain(reference.iter().map(|((t, d), n)| ((t.clone(), format!("{d}_{load}")), *n)))
            .collect();
        if id == snapshot {
            assert_eq!(now, expected, "load {load} killed after {delay:?}: not the previous snapshot's tables");
            assert!(killed, "load {load} ended without publishing: {status:?}");
        } else {
            assert_eq!(id, snapshot + 1, "load {load}: one snapshot per load");
            assert_eq!(now, with_load, "load {load} published after {delay:?}: its datasets are not whole");
            snapshot = id;
            expected = with_load;
            load += 1;
        }
        if killed {
            interrupted += 1;
            // Whether the load had begun writing the tables' new files (not only staging).
            let (listed, _) = files(&wh, id);
            let written = modified(&wh).into_iter().filter(|(f, t)| before_run.get(f) != Some(t));
            if written.filter(|(f, _)| f.starts_with("tables/") && !listed.contains(f)).count() > 0 {
                while_merging += 1;
            }
        } else {
            completed += 1;
        }
    }
    eprintln!(
        "crash test: {interrupted} loads killed ({while_merging} after writing some of the tables' new files), \
         {completed} completed, {} published",
        load - 1
    );

    // The leftovers of the killed loads go with a pruning; what is kept reads the same.
    let w = wh.to_str().unwrap();
    let out = oncodata(&["snapshots", "prune", "--warehouse", w, "--keep-last", "1"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(counts(&wh), expected);
    let (listed, on_disk) = files(&wh, snapshot);
    assert_eq!(on_disk, listed, "files left that no snapshot lists");
}

/// The files under `tables/`, with their modification times.
fn modified(wh: &Path) -> BTreeMap<String, std::time::SystemTime> {
    let (_, on_disk) = files(wh, 0);
    on_disk.into_iter().filter_map(|f| Some((f.clone(), wh.join(&f).metadata().ok()?.modified().ok()?))).collect()
}

/// The data files snapshot `id` lists (none for 0), and those under `tables/` and `staging/`, sorted.
fn files(wh: &Path, id: u64) -> (Vec<String>, Vec<String>) {
    let manifest: serde_json::Value = match id {
        0 => serde_json::json!({ "tables": {} }),
        _ => {
            serde_json::from_str(&std::fs::read_to_string(wh.join("snapshots").join(format!("{id:08}.json"))).unwrap())
                .unwrap()
        }
    };
    let mut listed: Vec<String> = manifest["tables"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|files| files.as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap().to_string()))
        .collect();
    let mut on_disk = Vec::new();
    for top in ["tables", "staging"] {
        let mut stack = vec![wh.join(top)];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                if e.path().is_dir() {
                    stack.push(e.path());
                } else {
                    on_disk.push(e.path().strip_prefix(wh).unwrap().display().to_string());
                }
            }
        }
    }
    listed.sort();
    on_disk.sort();
    (listed, on_disk)
}
