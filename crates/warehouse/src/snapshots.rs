//! Versions of the warehouse: every change is published as a numbered **snapshot**, a JSON
//! manifest `DIR/snapshots/<id>.json` that lists, for every table, the Parquet files that make
//! it up. Data files are never modified once written; a change writes new files and then a new
//! manifest. The manifest is written to a temporary file, synced and renamed into place, and
//! that rename is the commit: the latest snapshot is the highest-numbered manifest, so a reader
//! sees the tables of one complete snapshot or of the one before, never a mix and never a
//! partially written file, whatever moment a writer is killed at.
//!
//! Why a manifest of our own rather than Delta Lake (which `deltalake` 1.1 offers on our
//! DataFusion 55): a Delta table versions one table, whereas a load changes six tables that must
//! become visible together (patients, tumours, care events, quarantine, warnings, identities),
//! so a warehouse-wide manifest would be needed above Delta's logs anyway; and the tables
//! registered from a manifest are plain Parquet listing tables, which Apache Ballista's
//! executors read without a custom table provider. Every data file is ordinary Parquet that R
//! arrow, pandas, polars or DuckDB read directly; the manifest says which files form a version.
//!
//! One writer at a time: a writer holds an exclusive lock on `DIR/.write-lock` (released by the
//! operating system if the process dies) from its first change to its commit, and refuses to
//! commit over a snapshot published after it opened the warehouse.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::WarehouseError;

/// One Parquet file of a table in a snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataFile {
    /// Path relative to the warehouse directory.
    pub path: String,
    /// The dataset whose records the file holds (record tables); none for whole tables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
    /// Rows in the file.
    pub rows: u64,
    /// Size in bytes.
    pub bytes: u64,
}

/// The tables of a snapshot: each table's files, by table name.
pub type TableFiles = BTreeMap<String, Vec<DataFile>>;

/// A published version of the warehouse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Its number: 1 for the first, then one more than the snapshot it was made from.
    pub id: u64,
    /// The snapshot it was made from.
    pub parent: Option<u64>,
    /// When it was published (UTC, RFC 3339).
    pub created: String,
    /// What made it ("ingest registry-manche", "link", "restore snapshot 3"…).
    pub operation: String,
    /// Every table's files.
    pub tables: TableFiles,
}

impl Snapshot {
    /// The empty warehouse, before any snapshot.
    pub(crate) fn empty() -> Self {
        Self { id: 0, parent: None, created: String::new(), operation: String::new(), tables: TableFiles::new() }
    }

    /// Rows of a table (0 if absent).
    pub fn rows(&self, table: &str) -> u64 {
        self.tables.get(table).map_or(0, |f| f.iter().map(|f| f.rows).sum())
    }

    /// Bytes of all its files.
    pub fn bytes(&self) -> u64 {
        self.tables.values().flatten().map(|f| f.bytes).sum()
    }

    /// The tables whose files differ from `other`'s (added, replaced or removed), sorted.
    pub fn changed_tables(&self, other: Option<&Snapshot>) -> Vec<String> {
        let empty = TableFiles::new();
        let before = other.map_or(&empty, |o| &o.tables);
        let names: BTreeSet<&String> = self.tables.keys().chain(before.keys()).collect();
        names.into_iter().filter(|n| self.tables.get(*n) != before.get(*n)).cloned().collect()
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> WarehouseError + '_ {
    move |e| WarehouseError::Io { path: path.display().to_string(), source: e }
}

/// The folder of the manifests.
pub(crate) fn folder(root: &Path) -> PathBuf {
    root.join("snapshots")
}

fn manifest_path(root: &Path, id: u64) -> PathBuf {
    folder(root).join(format!("{id:08}.json"))
}

/// The numbers of the snapshots present, ascending.
pub(crate) fn ids(root: &Path) -> Result<Vec<u64>, WarehouseError> {
    let dir = folder(root);
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut ids: Vec<u64> = std::fs::read_dir(&dir)
        .map_err(io(&dir))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name();
            let stem = name.to_str()?.strip_suffix(".json")?;
            (stem.len() == 8 && stem.bytes().all(|b| b.is_ascii_digit())).then(|| stem.parse().ok())?
        })
        .collect();
    ids.sort_unstable();
    Ok(ids)
}

/// Reads snapshot `id`.
pub(crate) fn read(root: &Path, id: u64) -> Result<Snapshot, WarehouseError> {
    let path = manifest_path(root, id);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            let known = ids(root).unwrap_or_default();
            let range = match (known.first(), known.last()) {
                (Some(a), Some(b)) => format!("snapshots {a} to {b} are kept"),
                _ => "the warehouse has no snapshot".to_string(),
            };
            WarehouseError::Query(format!("snapshot {id} does not exist in {}: {range}", root.display()))
        } else {
            io(&path)(e)
        }
    })?;
    serde_json::from_str(&text)
        .map_err(|e| WarehouseError::Query(format!("{}: not a snapshot manifest: {e}", path.display())))
}

/// The latest snapshot, or the empty warehouse.
/// The number of the latest snapshot published in the warehouse at `root` (0 before the first):
/// a directory listing, cheap enough to ask before serving a result computed on an earlier one.
pub fn latest_id(root: &Path) -> Result<u64, WarehouseError> {
    Ok(ids(root)?.last().copied().unwrap_or(0))
}

pub(crate) fn latest(root: &Path) -> Result<Snapshot, WarehouseError> {
    match ids(root)?.last() {
        Some(&id) => read(root, id),
        None => Ok(Snapshot::empty()),
    }
}

/// Syncs a directory, so that a rename in it survives a power failure too.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), WarehouseError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

/// Publishes a snapshot: the manifest is written beside, synced, and renamed into place. The
/// data files it lists must already be synced (`ParquetPart::commit` does).
pub(crate) fn publish(root: &Path, snapshot: &Snapshot) -> Result<(), WarehouseError> {
    let dir = folder(root);
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let path = manifest_path(root, snapshot.id);
    if path.exists() {
        return Err(WarehouseError::Query(format!(
            "snapshot {} was published by another writer meanwhile; run the command again",
            snapshot.id
        )));
    }
    let tmp = dir.join(format!(".{:08}.json.tmp-{}", snapshot.id, std::process::id()));
    let text = serde_json::to_string_pretty(snapshot).expect("a snapshot serialises");
    {
        let mut f = File::create(&tmp).map_err(io(&tmp))?;
        f.write_all(text.as_bytes()).and_then(|()| f.write_all(b"\n")).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
    }
    std::fs::rename(&tmp, &path).map_err(io(&path))?;
    sync_dir(&dir)
}

/// The exclusive right to change the warehouse, held until dropped (or the process dies).
#[derive(Debug)]
pub(crate) struct WriteLock {
    _file: File,
}

impl WriteLock {
    /// Takes the lock, or says who holds it.
    pub(crate) fn take(root: &Path) -> Result<Self, WarehouseError> {
        let path = root.join(".write-lock");
        let file =
            std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(io(&path))?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(WarehouseError::Query(format!(
                "{}: another oncodata command is changing this warehouse; wait for it to finish",
                root.display()
            ))),
            Err(std::fs::TryLockError::Error(e)) => Err(io(&path)(e)),
        }
    }
}

/// Which snapshots a pruning keeps: the `keep_last` latest, and any younger than `keep_days`
/// days. The latest snapshot is always kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// How many of the latest snapshots to keep (at least 1).
    pub keep_last: usize,
    /// Also keep every snapshot published less than this many days ago.
    pub keep_days: Option<u32>,
}

/// What a pruning removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// The snapshots removed.
    pub removed: Vec<u64>,
    /// The snapshots kept.
    pub kept: Vec<u64>,
    /// Data files deleted (no kept snapshot lists them), with leftovers of interrupted writes.
    pub files_deleted: u64,
    /// Their bytes.
    pub bytes_freed: u64,
}

/// Which of `snapshots` (ascending, with their publication times) `policy` keeps.
pub(crate) fn kept_by(
    policy: Retention,
    snapshots: &[(u64, Option<chrono::DateTime<chrono::Utc>>)],
    now: chrono::DateTime<chrono::Utc>,
) -> BTreeSet<u64> {
    let n = snapshots.len();
    snapshots
        .iter()
        .enumerate()
        .filter(|(i, (_, created))| {
            let recent = i + policy.keep_last.max(1) >= n;
            let young = policy.keep_days.is_some_and(|d| {
                created.is_some_and(|c| now.signed_duration_since(c) < chrono::Duration::days(i64::from(d)))
            });
            recent || young
        })
        .map(|(_, (id, _))| *id)
        .collect()
}

/// Removes the manifests `keep` does not list, then every file under `tables/` and `staging/`
/// that no remaining manifest lists (the files of removed snapshots and the leftovers of
/// interrupted writes). The caller holds the write lock.
pub(crate) fn remove_unkept(root: &Path, keep: &BTreeSet<u64>) -> Result<PruneReport, WarehouseError> {
    let mut report = PruneReport::default();
    for id in ids(root)? {
        if keep.contains(&id) {
            report.kept.push(id);
        } else {
            let path = manifest_path(root, id);
            std::fs::remove_file(&path).map_err(io(&path))?;
            report.removed.push(id);
        }
    }
    sync_dir(&folder(root))?;
    let mut listed = BTreeSet::new();
    for &id in &report.kept {
        listed.extend(read(root, id)?.tables.into_values().flatten().map(|f| root.join(f.path)));
    }
    for top in ["tables", "staging"] {
        for file in walk(&root.join(top))? {
            if !listed.contains(&file) {
                let bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
                std::fs::remove_file(&file).map_err(io(&file))?;
                report.files_deleted += 1;
                report.bytes_freed += bytes;
            }
        }
    }
    // Leftovers of a manifest being written when its writer died.
    for e in std::fs::read_dir(folder(root)).map_err(io(&folder(root)))?.filter_map(|e| e.ok()) {
        if e.file_name().to_str().is_some_and(|n| n.starts_with('.') && n.contains(".json.tmp-")) {
            std::fs::remove_file(e.path()).map_err(io(&e.path()))?;
        }
    }
    Ok(report)
}

/// The files under `dir`, recursively (none if it does not exist).
fn walk(dir: &Path) -> Result<Vec<PathBuf>, WarehouseError> {
    let mut out = Vec::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    for e in std::fs::read_dir(dir).map_err(io(dir))?.filter_map(|e| e.ok()) {
        let path = e.path();
        if path.is_dir() {
            out.extend(walk(&path)?);
        } else {
            out.push(path);
        }
    }
    Ok(out)
}

/// The tables of a warehouse written before snapshots existed, from its directory listing:
/// `tables/<table>.parquet` whole tables and `tables/<table>/<dataset>.parquet` parts.
pub(crate) fn legacy_tables(root: &Path) -> Result<TableFiles, WarehouseError> {
    let mut tables = TableFiles::new();
    let dir = root.join("tables");
    for file in walk(&dir)? {
        let Some(rel) = file.strip_prefix(root).ok().and_then(|r| r.to_str()) else { continue };
        let Some(stem) = rel.strip_prefix("tables/").and_then(|r| r.strip_suffix(".parquet")) else { continue };
        // A file written for a snapshot that was never published (a load that failed or was
        // killed before its first snapshot) is not a table from before snapshots.
        if written_for_a_snapshot(stem) {
            continue;
        }
        let (table, dataset) = match stem.split_once('/') {
            Some((t, d)) if !d.contains('/') => (t.to_string(), Some(d.to_string())),
            Some(_) => continue,
            None => (stem.to_string(), None),
        };
        let bytes = file.metadata().map_err(io(&file))?.len();
        let rows = parquet_rows(&file)?;
        tables.entry(table).or_default().push(DataFile { path: rel.to_string(), dataset, rows, bytes });
    }
    for files in tables.values_mut() {
        files.sort_by(|a, b| a.path.cmp(&b.path));
    }
    Ok(tables)
}

/// Whether a data file's name (without `.parquet`) is of the snapshot era's form
/// `<dataset>-s<snapshot, 6 digits>-<sequence>`.
fn written_for_a_snapshot(stem: &str) -> bool {
    let Some((head, seq)) = stem.rsplit_once('-') else { return false };
    let Some((_, snapshot)) = head.rsplit_once("-s") else { return false };
    !seq.is_empty()
        && seq.bytes().all(|b| b.is_ascii_digit())
        && snapshot.len() == 6
        && snapshot.bytes().all(|b| b.is_ascii_digit())
}

/// The number of rows a Parquet file holds, from its footer.
fn parquet_rows(path: &Path) -> Result<u64, WarehouseError> {
    use datafusion::parquet::file::reader::{FileReader, SerializedFileReader};
    let file = File::open(path).map_err(io(path))?;
    let reader = SerializedFileReader::new(file)?;
    Ok(reader.metadata().file_metadata().num_rows() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
        Some(chrono::DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&chrono::Utc))
    }

    #[test]
    fn retention_keeps_the_latest_and_the_young() {
        let now = at("2026-11-22T12:00:00Z").unwrap();
        let snaps = [
            (1, at("2026-01-01T00:00:00Z")),
            (2, at("2026-11-01T00:00:00Z")),
            (3, at("2026-11-20T00:00:00Z")),
            (4, at("2026-11-21T00:00:00Z")),
            (5, at("2026-11-22T00:00:00Z")),
        ];
        let keep = |last, days| kept_by(Retention { keep_last: last, keep_days: days }, &snaps, now);
        assert_eq!(keep(2, None), BTreeSet::from([4, 5]));
        assert_eq!(keep(0, None), BTreeSet::from([5]), "the latest is always kept");
        assert_eq!(keep(1, Some(7)), BTreeSet::from([3, 4, 5]));
        assert_eq!(keep(1, Some(30)), BTreeSet::from([2, 3, 4, 5]));
        assert_eq!(keep(10, None), BTreeSet::from([1, 2, 3, 4, 5]));
    }

    #[test]
    fn changed_tables_compares_file_lists() {
        let f = |p: &str| DataFile { path: p.into(), dataset: None, rows: 1, bytes: 10 };
        let mut a = Snapshot::empty();
        a.tables.insert("x".into(), vec![f("x1")]);
        a.tables.insert("y".into(), vec![f("y1")]);
        let mut b = a.clone();
        b.tables.insert("y".into(), vec![f("y2")]);
        b.tables.insert("z".into(), vec![f("z1")]);
        b.tables.remove("x");
        assert_eq!(b.changed_tables(Some(&a)), ["x", "y", "z"]);
        assert_eq!(a.changed_tables(None), ["x", "y"]);
    }
}
