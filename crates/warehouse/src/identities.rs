//! The `identities` table under key rotation: after `oncodata keys rotate`, every pseudonym
//! and name encoding made under an older key chain is re-keyed from the warehouse's own
//! values (the identities themselves were never stored). Each dataset's part is rewritten
//! atomically and rows already under the current keys are left alone, so an interrupted
//! re-keying is finished by running it again.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringArray};
use oncodata_model::schema;
use oncodata_pseudonym::Pseudonymiser;

use crate::tables::ParquetPart;
use crate::{Warehouse, WarehouseError};

/// What a re-keying did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RekeyReport {
    /// Identity rows re-keyed.
    pub rekeyed: u64,
    /// Rows already under the current keys.
    pub current: u64,
}

impl Warehouse {
    /// Re-keys the `identities` rows made under older keys of `keys`' chain. Fails, changing
    /// nothing more, on a row whose keys are not of this chain.
    pub fn rekey_identities(&self, keys: &Pseudonymiser) -> Result<RekeyReport, WarehouseError> {
        let current = keys.key_id();
        let mut report = RekeyReport::default();
        let mut rewritten = Vec::new();
        for dataset in self.datasets()? {
            let Some(old) = self.part_file("identities", &dataset) else { continue };
            let path = self.root.join(&old.path);
            let batches: Vec<RecordBatch> = self.read_part(&path)?.collect::<Result<_, _>>()?;
            let stale: usize = batches
                .iter()
                .map(|b| {
                    b.column_by_name("key_id")
                        .map_or(0, |c| c.as_string::<i32>().iter().filter(|k| *k != Some(&current)).count())
                })
                .sum();
            report.current += batches.iter().map(|b| b.num_rows() as u64).sum::<u64>() - stale as u64;
            if stale == 0 {
                continue;
            }
            let (rel, abs) = self.new_file("identities", Some(&dataset))?;
            let mut part = ParquetPart::create(&abs, schema::identities())?;
            for b in &batches {
                let rekeyed = rekey_batch(b, keys, &current, &dataset)?;
                report.rekeyed += rekeyed.1;
                part.write(&rekeyed.0)?;
            }
            rewritten.push(part.commit_as(rel, Some(&dataset))?);
        }
        if !rewritten.is_empty() {
            self.stage("rekey identities", |tables| {
                let files = tables.entry("identities".to_string()).or_default();
                for new in rewritten {
                    if let Some(f) = files.iter_mut().find(|f| f.dataset == new.dataset) {
                        *f = new;
                    }
                }
            })?;
        }
        Ok(report)
    }
}

/// Re-keys one batch; returns it and how many rows changed.
fn rekey_batch(
    b: &RecordBatch,
    keys: &Pseudonymiser,
    current: &str,
    dataset: &str,
) -> Result<(RecordBatch, u64), WarehouseError> {
    let text = |name: &str| -> Result<Vec<Option<String>>, WarehouseError> {
        let c = b.column_by_name(name).ok_or_else(|| WarehouseError::Query(format!("identities: no column {name}")))?;
        Ok(c.as_string::<i32>().iter().map(|v| v.map(str::to_string)).collect())
    };
    let ids = text("key_id")?;
    let mut columns: Vec<(usize, Vec<Option<String>>)> = Vec::new();
    let mut changed = 0u64;
    let targets = ["nir", "claims_id", "surname", "first_name"];
    let mut values: Vec<Vec<Option<String>>> = targets.iter().map(|n| text(n)).collect::<Result<_, _>>()?;
    let mut new_ids = ids.clone();
    for (row, id) in ids.iter().enumerate() {
        let id = id.as_deref().unwrap_or("");
        if id == current {
            continue;
        }
        let Some(from) = keys.generations_of(id) else {
            return Err(WarehouseError::Query(format!(
                "identities of dataset {dataset}: row {} was pseudonymised with keys (id {id}) that are not in this key \
                 file's chain",
                row + 1
            )));
        };
        let to = keys.key_file().generations();
        for (t, column) in values.iter_mut().enumerate() {
            if let Some(v) = column[row].take() {
                let mut v = v;
                for g in from..to {
                    v = if t < 2 {
                        keys.rekey(g, &v)
                    } else {
                        keys.rekey_encoding(g, &v).ok_or_else(|| {
                            WarehouseError::Query(format!(
                                "identities of dataset {dataset}: row {} has a {} that is not a name encoding",
                                row + 1,
                                targets[t]
                            ))
                        })?
                    };
                }
                column[row] = Some(v);
            }
        }
        new_ids[row] = Some(current.to_string());
        changed += 1;
    }
    for (t, name) in targets.iter().enumerate() {
        let index = b.schema().index_of(name)?;
        columns.push((index, std::mem::take(&mut values[t])));
    }
    columns.push((b.schema().index_of("key_id")?, new_ids));
    let mut arrays: Vec<ArrayRef> = b.columns().to_vec();
    for (index, v) in columns {
        arrays[index] = Arc::new(StringArray::from(v)) as ArrayRef;
    }
    debug_assert!(arrays.iter().all(|a| a.len() == b.num_rows()));
    Ok((RecordBatch::try_new(b.schema(), arrays)?, changed))
}
