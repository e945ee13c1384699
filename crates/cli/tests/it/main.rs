//! End-to-end tests of the `oncodata` binary: each runs the real executable as a user would.

mod audit;
mod ballista;
mod cli;
mod crash;
mod demo;
mod denominators;
mod disclosure;
mod incidence;
mod ingest;
mod link;
mod mortality;
mod multi_source;
mod net_survival_truth;
mod persons;
mod primaries;
mod real_claims;
mod real_fhir;
mod real_naaccr;
mod real_omop;
mod route_matrix;
mod scan;
mod service;
mod service_crash;
mod sql;
mod survival;
mod trend;
mod web;

use std::path::Path;
use std::process::{Command, Output};

/// The general registry's ENCR extract among the files `oncodata synth` wrote into `data`.
pub fn registry_extract(data: &Path) -> std::path::PathBuf {
    std::fs::read_dir(data.join("registry"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let n = p.file_name().unwrap().to_str().unwrap();
            n.starts_with("encr_") && !n.contains("paediatric")
        })
        .expect("a general registry extract")
}

/// Runs `oncodata` with arguments.
pub fn oncodata(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_oncodata")).args(args).output().expect("run oncodata")
}

/// Runs `oncodata` with arguments, requires success, and returns its standard output.
pub fn stdout_of(args: &[&str]) -> String {
    let out = oncodata(args);
    assert!(out.status.success(), "oncodata {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `oncodata ingest --warehouse WH --format json ARGS…`, requires success, and returns its
/// JSON summary.
pub fn ingest_json(wh: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["ingest", "--warehouse", wh.to_str().unwrap(), "--format", "json"];
    all.extend_from_slice(args);
    serde_json::from_str(&stdout_of(&all)).unwrap()
}

/// Runs `oncodata demo` into `dir` and checks it succeeded.
pub fn run_demo(dir: &Path) -> Output {
    let out = oncodata(&["demo", "--warehouse", dir.to_str().unwrap()]);
    assert!(out.status.success(), "demo failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}
