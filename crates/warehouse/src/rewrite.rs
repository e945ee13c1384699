//! Rewriting a table's text columns row by row, one dataset part at a time: what re-keying the
//! `identities` table after `oncodata keys rotate` needs (the transformation itself belongs to
//! the keys, `oncodata_pseudonym::Pseudonymiser::rekey_identity`). Each dataset's part is
//! rewritten atomically and parts where no row changes are left alone, so an interrupted
//! rewrite is finished by running it again.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringArray};

use crate::tables::ParquetPart;
use crate::{Warehouse, WarehouseError};

/// What a rewrite did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RewriteReport {
    /// Rows changed.
    pub changed: u64,
    /// Rows left as they were.
    pub unchanged: u64,
}

/// How a row is rewritten: given the dataset and the row's values of the columns named (in
/// their order), changes them in place and says whether it did; an error names what is wrong
/// with the row.
pub type RowRewrite<'a> = dyn FnMut(&str, &mut [Option<String>]) -> Result<bool, String> + 'a;

impl Warehouse {
    /// Rewrites the text `columns` of the per-dataset `table` with `rewrite`, row by row; a part
    /// with a changed row is written anew and the change published as one snapshot. Fails,
    /// changing nothing more, on the first row `rewrite` refuses, naming the dataset and row.
    pub fn rewrite_text_columns(
        &self,
        table: &str,
        columns: &[&str],
        rewrite: &mut RowRewrite<'_>,
    ) -> Result<RewriteReport, WarehouseError> {
        let mut report = RewriteReport::default();
        let mut rewritten = Vec::new();
        for dataset in self.datasets()? {
            let Some(old) = self.part_file(table, &dataset) else { continue };
            let path = self.root.join(&old.path);
            let batches: Vec<RecordBatch> = self.read_part(&path)?.collect::<Result<_, _>>()?;
            let mut out = Vec::with_capacity(batches.len());
            let mut changed = 0;
            let mut row_number = 0;
            for b in &batches {
                let (batch, n) = rewrite_batch(b, columns, &dataset, &mut row_number, rewrite, table)?;
                changed += n;
                out.push(batch);
            }
            report.changed += changed;
            report.unchanged += row_number - changed;
            if changed == 0 {
                continue;
            }
            let schema = batches[0].schema();
            let (rel, abs) = self.new_file(table, Some(&dataset))?;
            let mut part = ParquetPart::create(&abs, schema)?;
            for b in &out {
                part.write(b)?;
            }
            rewritten.push(part.commit_as(rel, Some(&dataset))?);
        }
        if !rewritten.is_empty() {
            self.stage(&format!("rewrite {table}"), |tables| {
                let files = tables.entry(table.to_string()).or_default();
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

/// Rewrites one batch; returns it and how many rows changed. `row_number` counts the part's
/// rows so far.
fn rewrite_batch(
    b: &RecordBatch,
    columns: &[&str],
    dataset: &str,
    row_number: &mut u64,
    rewrite: &mut RowRewrite<'_>,
    table: &str,
) -> Result<(RecordBatch, u64), WarehouseError> {
    let mut indexes = Vec::with_capacity(columns.len());
    let mut values: Vec<Vec<Option<String>>> = Vec::with_capacity(columns.len());
    for name in columns {
        let index = b.schema().index_of(name)?;
        let column = b
            .column(index)
            .as_string_opt::<i32>()
            .ok_or_else(|| WarehouseError::Query(format!("{table}: column {name} is not text")))?;
        indexes.push(index);
        values.push(column.iter().map(|v| v.map(str::to_string)).collect());
    }
    let mut changed = 0u64;
    let mut row = vec![None; columns.len()];
    for r in 0..b.num_rows() {
        *row_number += 1;
        for (c, v) in values.iter_mut().enumerate() {
            row[c] = v[r].take();
        }
        if rewrite(dataset, &mut row)
            .map_err(|e| WarehouseError::Query(format!("{table} of dataset {dataset}: row {row_number}: {e}")))?
        {
            changed += 1;
        }
        for (c, v) in values.iter_mut().enumerate() {
            v[r] = row[c].take();
        }
    }
    let mut arrays: Vec<ArrayRef> = b.columns().to_vec();
    for (index, v) in indexes.into_iter().zip(values) {
        arrays[index] = Arc::new(StringArray::from(v)) as ArrayRef;
    }
    debug_assert!(arrays.iter().all(|a| a.len() == b.num_rows()));
    Ok((RecordBatch::try_new(b.schema(), arrays)?, changed))
}
