//! How a [`Warehouse`] changes through snapshots ([`crate::snapshots`]): a change is staged on
//! top of the snapshot the warehouse was opened on, visible to this process's own queries at
//! once and to every other reader when it is committed. Without [`Warehouse::begin`], each
//! change (a dataset load, a table written) commits as a snapshot of its own; between `begin`
//! and [`Warehouse::commit`] the changes of a whole command become one snapshot.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::snapshots::{self, DataFile, PruneReport, Retention, Snapshot, TableFiles, WriteLock};
use crate::{Warehouse, WarehouseError};

/// The versions a warehouse handle sees.
#[derive(Debug)]
pub(crate) struct Versions {
    /// The snapshot opened, or the last one this handle committed.
    pub(crate) base: Snapshot,
    /// Changes not yet committed.
    pub(crate) pending: Option<Pending>,
    /// Counts the changes to the tables this handle sees, so that the session cached for
    /// queries is rebuilt after each.
    pub(crate) generation: u64,
    /// Opened `--as-of` an older snapshot: changes are refused.
    pub(crate) read_only: bool,
}

/// Changes staged under the write lock.
#[derive(Debug)]
pub(crate) struct Pending {
    tables: TableFiles,
    operations: Vec<String>,
    /// Whether any table was changed: a group without changes publishes nothing.
    changed: bool,
    /// Opened by `begin`: commits only on `commit`.
    grouped: bool,
    _lock: WriteLock,
}

impl Versions {
    /// The tables as this handle sees them.
    pub(crate) fn tables(&self) -> &TableFiles {
        self.pending.as_ref().map_or(&self.base.tables, |p| &p.tables)
    }
}

/// Numbers the files this process writes, so that two files of one snapshot never share a name.
static FILE_SEQUENCE: AtomicU64 = AtomicU64::new(0);

impl Warehouse {
    /// Moves a long-lived handle (a server's) to the latest published snapshot, so that its next
    /// query sees what other processes published since it opened, without reopening. Returns
    /// whether the snapshot changed; a handle opened `as_of` a snapshot, or with changes staged
    /// and not yet committed, stays where it is.
    pub fn refresh(&self) -> Result<bool, WarehouseError> {
        let latest = snapshots::latest(&self.root)?;
        let mut v = self.versions.lock().expect("versions lock");
        if v.read_only || v.pending.is_some() || latest.id == v.base.id {
            return Ok(false);
        }
        v.base = latest;
        v.generation += 1;
        Ok(true)
    }

    /// The snapshot this handle reads (`None` for an empty warehouse).
    pub fn snapshot(&self) -> Option<Snapshot> {
        let v = self.versions.lock().expect("versions lock");
        (v.base.id > 0).then(|| v.base.clone())
    }

    /// Every snapshot kept, oldest first.
    pub fn snapshots(&self) -> Result<Vec<Snapshot>, WarehouseError> {
        snapshots::ids(&self.root)?.into_iter().map(|id| snapshots::read(&self.root, id)).collect()
    }

    /// The files of `table` as this handle sees them.
    pub(crate) fn table_files(&self, table: &str) -> Vec<DataFile> {
        self.versions.lock().expect("versions lock").tables().get(table).cloned().unwrap_or_default()
    }

    /// The file of `table` holding `dataset`'s records, if any.
    pub(crate) fn part_file(&self, table: &str, dataset: &str) -> Option<DataFile> {
        self.table_files(table).into_iter().find(|f| f.dataset.as_deref() == Some(dataset))
    }

    /// Starts a group of changes that [`Warehouse::commit`] publishes as one snapshot described
    /// by `operation` (a dropped handle publishes nothing of it).
    pub fn begin(&self, operation: &str) -> Result<(), WarehouseError> {
        let mut v = self.versions.lock().expect("versions lock");
        self.start_pending(&mut v)?;
        let p = v.pending.as_mut().expect("pending");
        p.grouped = true;
        p.operations.push(operation.to_string());
        Ok(())
    }

    /// Publishes the changes staged since [`Warehouse::begin`] as one snapshot; returns its
    /// number (`None` if nothing was staged).
    pub fn commit(&self) -> Result<Option<u64>, WarehouseError> {
        let mut v = self.versions.lock().expect("versions lock");
        self.publish_pending(&mut v)
    }

    /// Takes the write lock and starts staging on the latest snapshot, unless already staging.
    fn start_pending(&self, v: &mut Versions) -> Result<(), WarehouseError> {
        if v.pending.is_some() {
            return Ok(());
        }
        if v.read_only {
            return Err(WarehouseError::Query(format!(
                "{}: opened as of snapshot {}, which is read-only",
                self.root.display(),
                v.base.id
            )));
        }
        let lock = WriteLock::take(&self.root)?;
        let latest = snapshots::latest(&self.root)?;
        if latest.id != v.base.id {
            return Err(WarehouseError::Query(format!(
                "{}: snapshot {} was published after this command read snapshot {}; run the command again",
                self.root.display(),
                latest.id,
                v.base.id
            )));
        }
        v.pending = Some(Pending {
            tables: v.base.tables.clone(),
            operations: Vec::new(),
            changed: false,
            grouped: false,
            _lock: lock,
        });
        Ok(())
    }

    fn publish_pending(&self, v: &mut Versions) -> Result<Option<u64>, WarehouseError> {
        let Some(p) = v.pending.take().filter(|p| p.changed) else { return Ok(None) };
        let snapshot = Snapshot {
            id: v.base.id + 1,
            parent: (v.base.id > 0).then_some(v.base.id),
            created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            operation: if p.grouped { p.operations[0].clone() } else { p.operations.join("; ") },
            tables: p.tables,
        };
        snapshots::publish(&self.root, &snapshot)?;
        let id = snapshot.id;
        v.base = snapshot;
        Ok(Some(id))
    }

    /// Applies a change to the staged tables (committing it at once outside a group). The
    /// session is rebuilt on the next query, so this process sees its own change.
    pub(crate) fn stage(&self, operation: &str, change: impl FnOnce(&mut TableFiles)) -> Result<(), WarehouseError> {
        let mut v = self.versions.lock().expect("versions lock");
        self.start_pending(&mut v)?;
        let p = v.pending.as_mut().expect("pending");
        change(&mut p.tables);
        p.changed = true;
        p.operations.push(operation.to_string());
        let grouped = p.grouped;
        v.generation += 1;
        if !grouped {
            self.publish_pending(&mut v)?;
        }
        Ok(())
    }

    /// Takes the write lock ahead of writing data files, so that two writers never write at
    /// once; the files are then published by [`Warehouse::stage`].
    pub(crate) fn prepare_write(&self) -> Result<(), WarehouseError> {
        let mut v = self.versions.lock().expect("versions lock");
        self.start_pending(&mut v)
    }

    /// A new, unused path for a data file of `table` (relative, absolute), under the write
    /// lock: files are never overwritten, so older snapshots keep theirs.
    pub(crate) fn new_file(&self, table: &str, dataset: Option<&str>) -> Result<(String, PathBuf), WarehouseError> {
        let mut v = self.versions.lock().expect("versions lock");
        self.start_pending(&mut v)?;
        let next = v.base.id + 1;
        let seq = FILE_SEQUENCE.fetch_add(1, Ordering::Relaxed);
        let rel = format!("tables/{table}/{}-s{next:06}-{seq}.parquet", dataset.unwrap_or(table));
        let abs = self.root.join(&rel);
        let dir = abs.parent().expect("a table folder");
        std::fs::create_dir_all(dir).map_err(|e| WarehouseError::Io { path: dir.display().to_string(), source: e })?;
        Ok((rel, abs))
    }

    /// The generation of the tables this handle sees.
    pub(crate) fn generation(&self) -> u64 {
        self.versions.lock().expect("versions lock").generation
    }

    /// The tables this handle sees and their generation.
    pub(crate) fn view(&self) -> (u64, TableFiles) {
        let v = self.versions.lock().expect("versions lock");
        (v.generation, v.tables().clone())
    }

    /// Replaces `table`'s files by one whole-table file.
    pub(crate) fn stage_whole_table(&self, table: &str, file: DataFile) -> Result<(), WarehouseError> {
        self.stage(&format!("write {table}"), |t| {
            t.insert(table.to_string(), vec![file]);
        })
    }

    /// Makes a new snapshot whose tables are those of snapshot `id`: going back without losing
    /// the versions in between.
    pub fn restore(&self, id: u64) -> Result<u64, WarehouseError> {
        let old = snapshots::read(&self.root, id)?;
        self.stage(&format!("restore snapshot {id}"), |t| *t = old.tables)?;
        Ok(self.snapshot().map_or(0, |s| s.id))
    }

    /// Applies a retention policy: removes the snapshots it does not keep and the data files no
    /// kept snapshot lists (with the leftovers of interrupted writes).
    pub fn prune(&self, policy: Retention) -> Result<PruneReport, WarehouseError> {
        let mut v = self.versions.lock().expect("versions lock");
        if v.pending.is_some() {
            return Err(WarehouseError::Query("prune: changes are being staged; commit them first".into()));
        }
        self.start_pending(&mut v)?;
        let all = self.snapshots()?;
        let times: Vec<_> = all
            .iter()
            .map(|s| {
                (s.id, chrono::DateTime::parse_from_rfc3339(&s.created).ok().map(|t| t.with_timezone(&chrono::Utc)))
            })
            .collect();
        let keep = snapshots::kept_by(policy, &times, chrono::Utc::now());
        let report = snapshots::remove_unkept(&self.root, &keep);
        v.pending = None;
        report
    }

    /// Publishes the tables of a warehouse written before snapshots as its snapshot 1.
    pub(crate) fn adopt_legacy_tables(&self) -> Result<(), WarehouseError> {
        let tables = snapshots::legacy_tables(&self.root)?;
        if tables.is_empty() {
            return Ok(());
        }
        self.stage("adopt the tables written before snapshots", |t| *t = tables)
    }
}
