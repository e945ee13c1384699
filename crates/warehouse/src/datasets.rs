//! The record tables (`patients`, `tumours`, `care_events`, `quarantine`, `warnings`) are kept
//! one Parquet part per dataset: `DIR/tables/<table>/<dataset>.parquet`. Loading a dataset
//! again merges into its parts by record identity, so a corrected file re-ingests without
//! duplicating what is already in:
//!
//! - patients by `patient_id`, tumours by `tumour_id`, care events by patient, tumour, kind,
//!   date and provider: a record loaded again replaces its earlier version;
//! - quarantine: the records of the files read again are replaced by this run's verdict, and a
//!   record now accepted (or quarantined anew) leaves its earlier quarantine entry;
//! - warnings: likewise, by file and by record id.
//!
//! Each part is rewritten whole through a temporary file and a rename.

use std::collections::HashSet;
use std::fs::File;
use std::path::PathBuf;

use datafusion::arrow::array::{Array, AsArray, BooleanArray, RecordBatch};
use datafusion::arrow::compute::filter_record_batch;
use datafusion::arrow::datatypes::{Date32Type, SchemaRef};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use oncodata_ingest::Extract;
use oncodata_model::schema;

use crate::tables::{
    care_events_batch, patients_batch, quarantine_batch, tumours_batch, warnings_batch, write_parquet,
};
use crate::{Warehouse, WarehouseError};

/// The tables kept per dataset.
pub const RECORD_TABLES: [&str; 5] = ["patients", "tumours", "care_events", "quarantine", "warnings"];

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
    fn part_path(&self, table: &str, dataset: &str) -> PathBuf {
        self.root.join("tables").join(table).join(format!("{dataset}.parquet"))
    }

    /// The datasets loaded, sorted.
    pub fn datasets(&self) -> Result<Vec<String>, WarehouseError> {
        let dir = self.root.join("tables").join("tumours");
        if !dir.is_dir() {
            return Ok(Vec::new());
        }
        let entries =
            std::fs::read_dir(&dir).map_err(|e| WarehouseError::Io { path: dir.display().to_string(), source: e })?;
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".parquet")).map(str::to_string))
            .collect();
        names.sort();
        Ok(names)
    }

    fn read_part(&self, table: &str, dataset: &str) -> Result<Vec<RecordBatch>, WarehouseError> {
        let path = self.part_path(table, dataset);
        if !path.exists() {
            return Ok(Vec::new());
        }
        let file = File::open(&path).map_err(|e| WarehouseError::Io { path: path.display().to_string(), source: e })?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)?.with_batch_size(65536).build()?;
        Ok(reader.collect::<Result<Vec<_>, _>>()?)
    }

    /// Rewrites a part with the earlier rows `keep` accepts followed by `new`; returns how many
    /// earlier rows were dropped.
    fn merge_part(
        &self,
        table: &str,
        dataset: &str,
        schema: SchemaRef,
        new: RecordBatch,
        keep: impl Fn(&RecordBatch) -> Vec<bool>,
    ) -> Result<u64, WarehouseError> {
        let dir = self.root.join("tables").join(table);
        let legacy = self.table_path(table);
        if legacy.is_file() {
            return Err(WarehouseError::Io {
                path: legacy.display().to_string(),
                source: std::io::Error::other(
                    "a whole-table file from an older oncodata: record tables are now kept per dataset; \
                     re-create this warehouse (remove the file or the directory and ingest again)",
                ),
            });
        }
        std::fs::create_dir_all(&dir).map_err(|e| WarehouseError::Io { path: dir.display().to_string(), source: e })?;
        let mut batches = Vec::new();
        let mut dropped = 0u64;
        for old in self.read_part(table, dataset)? {
            let mask = keep(&old);
            dropped += mask.iter().filter(|k| !**k).count() as u64;
            let kept = filter_record_batch(&old, &BooleanArray::from(mask))?;
            if kept.num_rows() > 0 {
                batches.push(kept);
            }
        }
        batches.push(new);
        write_parquet(&self.part_path(table, dataset), schema, &batches)?;
        Ok(dropped)
    }

    /// Loads what a run read as the dataset `dataset`, merging with what the dataset already
    /// holds (module documentation).
    pub fn load_dataset(&self, dataset: &str, extract: &Extract) -> Result<LoadReport, WarehouseError> {
        if !valid_dataset_name(dataset) {
            return Err(WarehouseError::Query(format!(
                "dataset name '{dataset}': use letters, digits, '-', '_' and '.' only"
            )));
        }
        *self.session.lock().expect("session lock") = None;
        let files: HashSet<&str> = extract.files.iter().map(|f| f.file.as_str()).collect();
        let accepted: HashSet<&str> = extract.tumours.iter().map(|t| t.tumour_id.as_str()).collect();
        let requarantined: HashSet<&str> = extract.quarantined.iter().filter_map(|q| q.record_id.as_deref()).collect();
        let mut report = LoadReport::default();

        let ids: HashSet<&str> = extract.patients.iter().map(|p| p.patient_id.as_str()).collect();
        let dropped = self.merge_part(
            "patients",
            dataset,
            schema::patients(),
            patients_batch(dataset, &extract.patients)?,
            |b| strings(b, "patient_id").iter().map(|k| !k.as_deref().is_some_and(|k| ids.contains(k))).collect(),
        )?;
        report.patients_new = extract.patients.len() as u64 - dropped;

        let dropped =
            self.merge_part("tumours", dataset, schema::tumours(), tumours_batch(dataset, &extract.tumours)?, |b| {
                strings(b, "tumour_id").iter().map(|k| !k.as_deref().is_some_and(|k| accepted.contains(k))).collect()
            })?;
        report.tumours_replaced = dropped;
        report.tumours_new = extract.tumours.len() as u64 - dropped;

        let new_events = care_events_batch(dataset, &extract.care_events)?;
        let event_keys: HashSet<String> = care_event_keys(&new_events).into_iter().collect();
        let dropped = self.merge_part("care_events", dataset, schema::care_events(), new_events, |b| {
            care_event_keys(b).iter().map(|k| !event_keys.contains(k)).collect()
        })?;
        report.care_events_new = extract.care_events.len() as u64 - dropped;

        let resolved = std::cell::Cell::new(0u64);
        let q_new = quarantine_batch(dataset, &extract.quarantined)?;
        self.merge_part("quarantine", dataset, schema::quarantine(), q_new, |b| {
            let (file, id) = (strings(b, "source_file"), strings(b, "record_id"));
            (0..b.num_rows())
                .map(|r| {
                    let id = id[r].as_deref();
                    let now_accepted = id.is_some_and(|k| accepted.contains(k));
                    if now_accepted {
                        resolved.set(resolved.get() + 1);
                    }
                    let drop = file[r].as_deref().is_some_and(|f| files.contains(f))
                        || now_accepted
                        || id.is_some_and(|k| requarantined.contains(k));
                    !drop
                })
                .collect()
        })?;
        for b in self.read_part("quarantine", dataset)? {
            report.quarantine_total += b.num_rows() as u64;
        }
        report.quarantine_resolved = resolved.get();

        self.merge_part("warnings", dataset, schema::warnings(), warnings_batch(dataset, &extract.warnings)?, |b| {
            let (file, id) = (strings(b, "source_file"), strings(b, "record_id"));
            (0..b.num_rows())
                .map(|r| {
                    let id = id[r].as_deref();
                    !(file[r].as_deref().is_some_and(|f| files.contains(f))
                        || id.is_some_and(|k| accepted.contains(k) || requarantined.contains(k)))
                })
                .collect()
        })?;
        Ok(report)
    }
}
