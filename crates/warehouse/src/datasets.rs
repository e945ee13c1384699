//! The record tables (`patients`, `tumours`, `care_events`, `quarantine`, `warnings`) are kept
//! one Parquet part per dataset (`DIR/tables/<table>/<dataset>-s<snapshot>-<n>.parquet`). Loading a dataset
//! again merges into its parts by record identity, so a corrected file re-ingests without
//! duplicating what is already in:
//!
//! - patients by `patient_id`, tumours by `tumour_id`, care events by patient, tumour, kind,
//!   date and provider: a record loaded again replaces its earlier version;
//! - quarantine: the records of the files read again are replaced by this run's verdict, and a
//!   record now accepted (or quarantined anew) leaves its earlier quarantine entry;
//! - warnings: likewise, by file and by record id.
//!
//! The new records are staged batch by batch (only their identities are held in memory), then
//! each part is rewritten, batch by batch, through a temporary file and a rename. A dataset's
//! first load has nothing to merge with: its rows are written straight into its new parts.

use std::collections::HashSet;
use std::fs::File;
use std::path::PathBuf;

use datafusion::arrow::array::{Array, AsArray, BooleanArray, RecordBatch};
use datafusion::arrow::compute::filter_record_batch;
use datafusion::arrow::datatypes::{Date32Type, SchemaRef};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use oncodata_model::{CareEvent, Patient, PatientIdentity, Text, Tumour, schema};
use oncodata_model::{QuarantinedRecord, Records, Warning};

use crate::tables::{
    ParquetPart, care_events_batch, identities_batch, patients_batch, quarantine_batch, tumours_batch, warnings_batch,
};
use crate::{DataFile, Warehouse, WarehouseError};

/// The tables kept per dataset.
pub const RECORD_TABLES: [&str; 6] = ["patients", "tumours", "care_events", "quarantine", "warnings", "identities"];

/// What loading one dataset changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// Tumours added.
    pub tumours_new: u64,
    /// Tumours already in the dataset, replaced by the version read now.
    pub tumours_replaced: u64,
    /// Patients added.
    pub patients_new: u64,
    /// Care events added.
    pub care_events_new: u64,
    /// Earlier quarantine entries whose record is now accepted.
    pub quarantine_resolved: u64,
    /// Quarantine entries of the dataset after the load.
    pub quarantine_total: u64,
}

/// Whether a dataset name is usable as a file name: letters, digits, `-`, `_`, `.`, not
/// starting with a dot.
pub fn valid_dataset_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name.len() <= 200
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn strings(batch: &RecordBatch, column: &str) -> Vec<Option<String>> {
    let Ok(i) = batch.schema().index_of(column) else { return vec![None; batch.num_rows()] };
    let a = batch.column(i).as_string::<i32>();
    (0..a.len()).map(|r| (!a.is_null(r)).then(|| a.value(r).to_string())).collect()
}

/// The identity of each care event row.
fn care_event_keys(batch: &RecordBatch) -> Vec<String> {
    let [p, t, k, pr] = ["patient_id", "tumour_id", "kind", "provider"].map(|c| strings(batch, c));
    let dates = batch.column(batch.schema().index_of("date").expect("date column")).as_primitive::<Date32Type>();
    (0..batch.num_rows())
        .map(|r| {
            format!(
                "{}|{}|{}|{}|{}",
                p[r].as_deref().unwrap_or(""),
                t[r].as_deref().unwrap_or(""),
                k[r].as_deref().unwrap_or(""),
                dates.value(r),
                pr[r].as_deref().unwrap_or("")
            )
        })
        .collect()
}

impl Warehouse {
    /// The datasets loaded, sorted.
    pub fn datasets(&self) -> Result<Vec<String>, WarehouseError> {
        let mut names: Vec<String> = self.table_files("tumours").into_iter().filter_map(|f| f.dataset).collect();
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// The batches of a Parquet part, read one at a time; none when the part does not exist.
    pub(crate) fn read_part(
        &self,
        path: &std::path::Path,
    ) -> Result<impl Iterator<Item = Result<RecordBatch, WarehouseError>>, WarehouseError> {
        let reader = if path.exists() {
            let file =
                File::open(path).map_err(|e| WarehouseError::Io { path: path.display().to_string(), source: e })?;
            Some(ParquetRecordBatchReaderBuilder::try_new(file)?.with_batch_size(65536).build()?)
        } else {
            None
        };
        Ok(reader.into_iter().flatten().map(|b| b.map_err(WarehouseError::from)))
    }

    /// Starts loading the dataset `dataset`: the records are then written in batches with
    /// [`DatasetLoad::write`] and merged with what the dataset already holds by
    /// [`DatasetLoad::finish`] (module documentation).
    pub fn load(&self, dataset: &str) -> Result<DatasetLoad<'_>, WarehouseError> {
        if !valid_dataset_name(dataset) {
            return Err(WarehouseError::Query(format!(
                "dataset name '{dataset}': use letters, digits, '-', '_' and '.' only"
            )));
        }
        let schemas = [
            schema::patients(),
            schema::tumours(),
            schema::care_events(),
            schema::quarantine(),
            schema::warnings(),
            schema::identities(),
        ];
        self.prepare_write()?;
        // A dataset loaded for the first time has nothing to merge with: its rows are written
        // straight into its data files, and no record identities are kept.
        let first = RECORD_TABLES.iter().all(|t| self.part_file(t, dataset).is_none());
        let mut staged = Vec::new();
        for (table, schema) in RECORD_TABLES.into_iter().zip(schemas) {
            if let Some(whole) = self.table_files(table).into_iter().find(|f| f.dataset.is_none()) {
                return Err(WarehouseError::Io {
                    path: self.root.join(whole.path).display().to_string(),
                    source: std::io::Error::other(
                        "a whole-table file from an older oncodata: record tables are now kept per dataset; \
                         re-create this warehouse (remove the file or the directory and ingest again)",
                    ),
                });
            }
            let (path, file) = if first {
                let (rel, abs) = self.new_file(table, Some(dataset))?;
                (abs, Some(rel))
            } else {
                let dir = self.root.join("staging").join(table);
                std::fs::create_dir_all(&dir)
                    .map_err(|e| WarehouseError::Io { path: dir.display().to_string(), source: e })?;
                (self.staged_path(table, dataset), None)
            };
            let part = ParquetPart::create(&path, schema.clone())?;
            staged.push(Staged { table, schema, part, file });
        }
        let keys = (!first).then(Keys::default);
        Ok(DatasetLoad { warehouse: self, dataset: dataset.to_string(), staged, keys })
    }

    fn staged_path(&self, table: &str, dataset: &str) -> PathBuf {
        self.root.join("staging").join(table).join(format!("{dataset}.parquet"))
    }

    /// Loads what a run read from `files` as the dataset `dataset` in one batch, merging with
    /// what the dataset already holds (module documentation).
    pub fn load_dataset(&self, dataset: &str, records: &Records, files: &[&str]) -> Result<LoadReport, WarehouseError> {
        let mut load = self.load(dataset)?;
        load.write(records)?;
        load.finish(files.iter().copied())
    }
}

/// The identities of the records loaded so far, which replace their earlier versions.
#[derive(Default)]
struct Keys {
    patients: HashSet<Text>,
    tumours: HashSet<Text>,
    care_events: HashSet<String>,
    requarantined: HashSet<String>,
    identities: HashSet<String>,
}

/// A dataset being loaded batch by batch: the new rows of each table go to a staging part as
/// they come (`DIR/staging/<table>/<dataset>.parquet`), only their identities stay in memory;
/// [`DatasetLoad::finish`] merges the staged rows with the dataset's earlier rows. A dataset
/// loaded for the first time is written straight into its data files instead. Dropped without
/// finishing, it leaves the dataset as it was.
pub struct DatasetLoad<'w> {
    warehouse: &'w Warehouse,
    dataset: String,
    staged: Vec<Staged>,
    /// The identities of the records loaded, when there are earlier rows to merge with.
    keys: Option<Keys>,
}

/// The new rows of one table of a dataset being loaded.
struct Staged {
    table: &'static str,
    schema: SchemaRef,
    part: ParquetPart,
    /// The data file it becomes (path relative to the warehouse) when the dataset had no
    /// earlier rows; otherwise it is a staging part, merged by [`DatasetLoad::finish`].
    file: Option<String>,
}

impl DatasetLoad<'_> {
    /// Writes a batch of records.
    pub fn write(&mut self, records: &Records) -> Result<(), WarehouseError> {
        let r = records;
        self.write_rows(&r.patients, &r.tumours, &r.care_events, &r.quarantined, &r.warnings, &r.identities)
    }

    fn write_rows(
        &mut self,
        patients: &[Patient],
        tumours: &[Tumour],
        care_events: &[CareEvent],
        quarantined: &[QuarantinedRecord],
        warnings: &[Warning],
        identities: &[PatientIdentity],
    ) -> Result<(), WarehouseError> {
        let d = &self.dataset;
        let events = care_events_batch(d, care_events)?;
        if let Some(k) = &mut self.keys {
            k.patients.extend(patients.iter().map(|p| p.patient_id.clone()));
            k.tumours.extend(tumours.iter().map(|t| t.tumour_id.clone()));
            k.requarantined.extend(quarantined.iter().filter_map(|q| q.record_id.clone()));
            k.identities.extend(identities.iter().map(|i| i.patient_id.clone()));
            k.care_events.extend(care_event_keys(&events));
        }
        let batches = [
            patients_batch(d, patients)?,
            tumours_batch(d, tumours)?,
            events,
            quarantine_batch(d, quarantined)?,
            warnings_batch(d, warnings)?,
            identities_batch(d, identities)?,
        ];
        for (staged, batch) in self.staged.iter_mut().zip(batches) {
            if batch.num_rows() > 0 {
                staged.part.write(&batch)?;
            }
        }
        Ok(())
    }

    /// Merges the staged rows into the dataset: earlier rows of the same records are replaced;
    /// the quarantine and warnings of `files` (the files read) are replaced by this run's.
    pub fn finish<'f>(self, files: impl IntoIterator<Item = &'f str>) -> Result<LoadReport, WarehouseError> {
        let Self { warehouse, dataset, staged, keys } = self;
        let files: HashSet<&str> = files.into_iter().collect();
        let mut report = LoadReport::default();
        let resolved = std::cell::Cell::new(0u64);
        let mut parts = Vec::new();
        let keys = keys.unwrap_or_default();
        for Staged { table, schema, part, file } in staged {
            let new_rows = part.rows;
            if let Some(rel) = file {
                // The dataset's first load: the part is its data file.
                parts.push((table, part.commit_as(rel, Some(&dataset))?));
                match table {
                    "patients" => report.patients_new = new_rows,
                    "tumours" => report.tumours_new = new_rows,
                    "care_events" => report.care_events_new = new_rows,
                    "quarantine" => report.quarantine_total = new_rows,
                    _ => {}
                }
                continue;
            }
            part.commit()?;
            let keep = |b: &RecordBatch| -> Vec<bool> {
                match table {
                    "patients" => strings(b, "patient_id")
                        .iter()
                        .map(|k| !k.as_deref().is_some_and(|k| keys.patients.contains(k)))
                        .collect(),
                    "tumours" => strings(b, "tumour_id")
                        .iter()
                        .map(|k| !k.as_deref().is_some_and(|k| keys.tumours.contains(k)))
                        .collect(),
                    "care_events" => care_event_keys(b).iter().map(|k| !keys.care_events.contains(k)).collect(),
                    "identities" => strings(b, "patient_id")
                        .iter()
                        .map(|k| !k.as_deref().is_some_and(|k| keys.identities.contains(k)))
                        .collect(),
                    _ => {
                        // quarantine and warnings: by file read again and by record.
                        let (file, id) = (strings(b, "source_file"), strings(b, "record_id"));
                        (0..b.num_rows())
                            .map(|r| {
                                let id = id[r].as_deref();
                                let now_accepted = id.is_some_and(|k| keys.tumours.contains(k));
                                if table == "quarantine" && now_accepted {
                                    resolved.set(resolved.get() + 1);
                                }
                                !(file[r].as_deref().is_some_and(|f| files.contains(f))
                                    || now_accepted
                                    || id.is_some_and(|k| keys.requarantined.contains(k)))
                            })
                            .collect()
                    }
                }
            };
            let (dropped, total, file) = warehouse.merge_part(table, &dataset, schema, keep)?;
            parts.push((table, file));
            match table {
                "patients" => report.patients_new = new_rows - dropped,
                "tumours" => {
                    report.tumours_replaced = dropped;
                    report.tumours_new = new_rows - dropped;
                }
                "care_events" => report.care_events_new = new_rows - dropped,
                "quarantine" => report.quarantine_total = total,
                _ => {}
            }
        }
        report.quarantine_resolved = resolved.get();
        // The six new parts replace the dataset's earlier ones in one snapshot.
        warehouse.stage(&format!("load dataset {dataset}"), |tables| {
            for (table, file) in parts {
                let files = tables.entry(table.to_string()).or_default();
                files.retain(|f| f.dataset.as_deref() != Some(dataset.as_str()));
                files.push(file);
                files.sort_by(|a, b| a.dataset.cmp(&b.dataset));
            }
        })?;
        Ok(report)
    }
}

impl Warehouse {
    /// Writes a new part with the earlier rows `keep` accepts followed by the staged rows,
    /// batch by batch; returns how many earlier rows were dropped, the rows of the new part and
    /// the new part.
    fn merge_part(
        &self,
        table: &str,
        dataset: &str,
        schema: SchemaRef,
        keep: impl Fn(&RecordBatch) -> Vec<bool>,
    ) -> Result<(u64, u64, DataFile), WarehouseError> {
        let (rel, abs) = self.new_file(table, Some(dataset))?;
        let mut merged = ParquetPart::create(&abs, schema)?;
        let mut dropped = 0u64;
        if let Some(old) = self.part_file(table, dataset) {
            for old in self.read_part(&self.root.join(&old.path))? {
                let old = old?;
                let mask = keep(&old);
                dropped += mask.iter().filter(|k| !**k).count() as u64;
                let kept = filter_record_batch(&old, &BooleanArray::from(mask))?;
                if kept.num_rows() > 0 {
                    merged.write(&kept)?;
                }
            }
        }
        let staged = self.staged_path(table, dataset);
        for new in self.read_part(&staged)? {
            merged.write(&new?)?;
        }
        let total = merged.rows;
        let file = merged.commit_as(rel, Some(dataset))?;
        std::fs::remove_file(&staged)
            .map_err(|e| WarehouseError::Io { path: staged.display().to_string(), source: e })?;
        Ok((dropped, total, file))
    }
}
