//! The records of one side of a linkage, column by column: an id and the compared fields'
//! values (trimmed; empty means missing).

use std::path::Path;

use crate::LinkError;

/// The records of one file.
#[derive(Debug, Clone)]
pub struct Records {
    /// The compared fields' names.
    pub fields: Vec<String>,
    ids: Vec<String>,
    /// Per field, the value of each record.
    values: Vec<Vec<String>>,
}

impl Records {
    /// Records from rows of `(id, values in the order of fields)`.
    pub fn from_rows(fields: Vec<String>, rows: Vec<(String, Vec<String>)>) -> Self {
        let mut values = vec![Vec::with_capacity(rows.len()); fields.len()];
        let mut ids = Vec::with_capacity(rows.len());
        for (id, row) in rows {
            ids.push(id);
            for (f, v) in row.into_iter().enumerate() {
                values[f].push(v.trim().to_string());
            }
        }
        Self { fields, ids, values }
    }

    /// Reads a CSV file with a header: the id column and the compared fields. Fails naming the
    /// file and the column or line.
    pub fn read_csv(path: &Path, id: &str, fields: &[String]) -> Result<Self, LinkError> {
        let file = path.display().to_string();
        let bad = |message: String| LinkError::Input { file: file.clone(), message };
        let mut reader = csv::ReaderBuilder::new()
            .flexible(false)
            .from_path(path)
            .map_err(|e| bad(format!("cannot be read: {e}")))?;
        let header = reader.headers().map_err(|e| bad(format!("header: {e}")))?.clone();
        let column = |name: &str| {
            header
                .iter()
                .position(|h| h.trim().trim_start_matches('\u{feff}') == name)
                .ok_or_else(|| bad(format!("no column '{name}' in the header")))
        };
        let id_column = column(id)?;
        let columns: Vec<usize> = fields.iter().map(|f| column(f)).collect::<Result<_, _>>()?;
        let mut rows = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, record) in reader.records().enumerate() {
            let line = i as u64 + 2;
            let record = record.map_err(|e| bad(format!("line {line}: {e}")))?;
            let id = record[id_column].trim().to_string();
            if id.is_empty() {
                return Err(bad(format!("line {line}: the id column '{}' is empty", header[id_column].trim())));
            }
            if !seen.insert(id.clone()) {
                return Err(bad(format!("line {line}: id '{id}' appears twice")));
            }
            rows.push((id, columns.iter().map(|&c| record[c].to_string()).collect()));
        }
        Ok(Self::from_rows(fields.to_vec(), rows))
    }

    /// The number of records.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The id of record `i`.
    pub fn id(&self, i: usize) -> &str {
        &self.ids[i]
    }

    /// The value of field `f` of record `i` (empty when missing).
    pub fn value(&self, f: usize, i: usize) -> &str {
        &self.values[f][i]
    }
}
