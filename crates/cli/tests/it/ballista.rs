//! The warehouse's SQL and analyses on a real Apache Ballista cluster: a scheduler and two
//! executors started as separate processes (`oncodata cluster …`, Ballista's own scheduler and
//! executor servers with the platform's functions) talking gRPC and Arrow Flight on loopback.
//! Every result must equal the embedded engine's, and both executors must have run tasks.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{oncodata, run_demo, stdout_of as run};

/// The cluster's processes, stopped when dropped.
struct Cluster {
    processes: Vec<Child>,
    url: String,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for p in &mut self.processes {
            let _ = p.kill();
            let _ = p.wait();
        }
    }
}

/// `n` distinct free ports (the listeners are held until all are chosen).
fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..n).map(|_| TcpListener::bind("127.0.0.1:0").unwrap()).collect();
    listeners.iter().map(|l| l.local_addr().unwrap().port()).collect()
}

/// Waits until `process` listens on `port`; fails with its output if it ends first.
fn wait_for_port(process: &mut Child, log: &Path, port: u16, what: &str) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Some(status) = process.try_wait().unwrap() {
            panic!("{what} ended ({status}): {}", std::fs::read_to_string(log).unwrap_or_default());
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "{what} did not start listening on {port}: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn start_cluster(work: &Path) -> Cluster {
    let bin = env!("CARGO_BIN_EXE_oncodata");
    let spawn = |args: &[String], log: &Path| {
        let out = std::fs::File::create(log).unwrap();
        Command::new(bin).args(args).stdout(Stdio::null()).stderr(out).spawn().unwrap()
    };
    let ports = free_ports(5);
    let port = ports[0];
    let mut cluster = Cluster { processes: Vec::new(), url: format!("df://127.0.0.1:{port}") };
    let log = work.join("scheduler.log");
    let mut scheduler = spawn(&["cluster".into(), "scheduler".into(), "--port".into(), port.to_string()], &log);
    wait_for_port(&mut scheduler, &log, port, "the scheduler");
    cluster.processes.push(scheduler);
    for i in 0..2 {
        let (flight, grpc) = (ports[1 + 2 * i], ports[2 + 2 * i]);
        let dir = work.join(format!("executor{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        let log = work.join(format!("executor{i}.log"));
        let args = [
            "cluster".to_string(),
            "executor".into(),
            "--scheduler".into(),
            format!("127.0.0.1:{port}"),
            "--flight-port".into(),
            flight.to_string(),
            "--grpc-port".into(),
            grpc.to_string(),
            "--concurrent-tasks".into(),
            "1".into(),
            "--work-dir".into(),
            dir.display().to_string(),
        ];
        let mut executor = spawn(&args, &log);
        wait_for_port(&mut executor, &log, flight, "an executor");
        cluster.processes.push(executor);
    }
    cluster
}

/// Runs `oncodata` and returns its standard output, failing on an error.
#[test]
fn sql_and_incidence_on_a_ballista_cluster_equal_the_embedded_engine() {
    let tmp = tempfile::tempdir().unwrap();
    let wh = tmp.path().join("wh");
    run_demo(&wh);
    let w = wh.to_str().unwrap();
    let cluster = start_cluster(tmp.path());
    let url = cluster.url.as_str();

    // The executors register with the scheduler when they first poll it: wait for a first answer.
    let start = Instant::now();
    loop {
        let out = oncodata(&["sql", "--warehouse", w, "--ballista", url, "SELECT count(*) FROM tumours"]);
        if out.status.success() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the cluster does not answer: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(500));
    }

    let queries = [
        // The national aggregation's shape, with the platform's functions, a join and a sort.
        "SELECT site_group(t.topography, t.morphology, t.behaviour) AS site, p.sex, age_group(t.age_at_diagnosis) AS age, \
         p.departement, t.incidence_year, count(*) AS cases \
         FROM tumours t JOIN patients p ON t.dataset = p.dataset AND t.patient_id = p.patient_id \
         WHERE t.behaviour = 3 GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5",
        "SELECT rule_ids, count(*) AS n FROM quarantine GROUP BY rule_ids ORDER BY n DESC, rule_ids",
        "SELECT icd10(topography, morphology, behaviour) AS icd10, iccc(topography, morphology, behaviour) AS iccc, \
         round(avg(age_at_diagnosis), 6) AS mean_age FROM tumours GROUP BY 1, 2 ORDER BY 1, 2",
        "SELECT p.area, sum(p.persons) AS persons FROM population p GROUP BY p.area ORDER BY p.area",
    ];
    for sql in queries {
        let embedded = run(&["sql", "--warehouse", w, "--format", "csv", sql]);
        let distributed = run(&["sql", "--warehouse", w, "--ballista", url, "--format", "csv", sql]);
        assert!(embedded.lines().count() > 1, "{sql}: no rows");
        assert_eq!(distributed, embedded, "{sql}");
    }

    // An analysis reading the warehouse through the cluster.
    let incidence = ["incidence", "--warehouse", w, "--by", "site_group,sex", "--format", "csv"];
    let embedded = run(&incidence);
    let mut on_cluster = incidence.to_vec();
    on_cluster.extend(["--ballista", url]);
    assert_eq!(run(&on_cluster), embedded);
    // The survival cohort (window functions, its filter checked) through the cluster too.
    let survival = [
        "survival",
        "--audience",
        "steward",
        "--warehouse",
        w,
        "--by",
        "sex",
        "--where",
        "site_group = 'lung'",
        "--format",
        "csv",
    ];
    let embedded = run(&survival);
    let mut on_cluster = survival.to_vec();
    on_cluster.extend(["--ballista", url]);
    assert_eq!(run(&on_cluster), embedded);
    // The quality report: the registry's primaries, M:I from the cancer deaths (joins on the
    // coverage and mortality tables) and the records per rule.
    let quality = ["quality", "--warehouse", w, "--format", "json"];
    let embedded = run(&quality);
    assert!(embedded.contains("\"mi_ratio\":0.") && embedded.contains("\"severity\":\"quarantined\""), "{embedded}");
    let mut on_cluster = quality.to_vec();
    on_cluster.extend(["--ballista", url]);
    assert_eq!(run(&on_cluster), embedded);

    // Both executors ran tasks: each wrote shuffle files in its work folder.
    for i in 0..2 {
        let dir = tmp.path().join(format!("executor{i}"));
        let jobs = std::fs::read_dir(&dir).unwrap().count();
        assert!(jobs > 0, "executor {i} ran no task ({})", dir.display());
    }
    drop(cluster);
}
