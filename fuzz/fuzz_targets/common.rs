#![allow(dead_code)] // each target uses some of these helpers
//! What every fuzz target asserts of a reader's run: an error that names the input, or counts
//! that add up (read = accepted + quarantined, every quarantined record kept).

use oncodata_ingest::{Extract, IngestError};

/// The date validation treats as today.
pub fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
}

/// Pseudonymisation keys made once for the whole run (a key file in a temporary folder).
pub fn keys() -> std::sync::Arc<oncodata_pseudonym::Pseudonymiser> {
    static KEYS: std::sync::OnceLock<std::sync::Arc<oncodata_pseudonym::Pseudonymiser>> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temporary folder");
        let keys = oncodata_pseudonym::KeyFile::init(&dir.path().join("keys.toml")).expect("key file");
        std::sync::Arc::new(oncodata_pseudonym::Pseudonymiser::new(keys))
    })
    .clone()
}

/// Checks the outcome of reading the file at `path` into `out`: an error naming the file, or
/// counts that add up.
pub fn check_path(result: Result<(), IngestError>, mut out: Extract, path: &std::path::Path) {
    match result {
        Ok(()) => {
            let c = out.finish_file("fuzz", "fuzz").expect("read = accepted + quarantined");
            assert_eq!(c.quarantined as usize, out.quarantined.len());
        }
        Err(e) => assert!(e.to_string().starts_with(&path.display().to_string()), "{e}"),
    }
}

/// Checks the outcome of reading the input named `fuzz` into `out`.
pub fn check(result: Result<(), IngestError>, mut out: Extract) {
    match result {
        Ok(()) => {
            let c = out.finish_file("fuzz", "fuzz").expect("read = accepted + quarantined");
            assert_eq!(c.quarantined as usize, out.quarantined.len());
        }
        Err(e) => assert!(e.to_string().starts_with("fuzz"), "{e}"),
    }
}

/// A folder of CSV tables made from the input: the parts between `0x1E` bytes, in order, each
/// under its table's header (folder sources: OMOP, claims).
pub fn folder(data: &[u8], tables: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut parts = data.split(|&b| b == 0x1e);
    for (name, header) in tables {
        let mut content = format!("{header}\n").into_bytes();
        content.extend_from_slice(parts.next().unwrap_or_default());
        std::fs::write(dir.path().join(format!("{name}.csv")), content).expect("write table");
    }
    dir
}

/// Checks the outcome of reading a folder: an error naming one of its files, or every file's
/// counts adding up (checked as each file ends) and every quarantined record kept.
pub fn check_folder(result: Result<(), IngestError>, out: Extract, dir: &std::path::Path) {
    match result {
        Ok(()) => {
            let quarantined: u64 = out.files.iter().map(|f| f.counts.quarantined).sum();
            assert_eq!(quarantined as usize, out.quarantined.len());
            assert!(!out.files.is_empty());
        }
        Err(e) => assert!(e.to_string().starts_with(&dir.display().to_string()), "{e}"),
    }
}
