//! Reading named columns out of a user's file (CSV or Parquet, through the warehouse's reader),
//! with errors that name the file, the column and the row.

use std::path::Path;

use oncodata_warehouse::{QueryResult, Value, read_file};

/// A file read whole, with its column names.
#[derive(Debug, Clone)]
pub struct Columns {
    file: String,
    names: Vec<String>,
    rows: Vec<Vec<Value>>,
}

impl Columns {
    /// Reads a CSV or Parquet file.
    pub fn read(path: &Path) -> Result<Self, Box<dyn std::error::Error>> {
        let r: QueryResult = read_file(path)?;
        Ok(Self { file: path.display().to_string(), names: r.columns(), rows: r.rows()? })
    }

    /// A table built in memory (e.g. from the warehouse), named `name` in error messages.
    pub fn from_rows(name: &str, names: Vec<String>, rows: Vec<Vec<Value>>) -> Self {
        Self { file: name.to_string(), names, rows }
    }

    /// Number of data rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the file has no data row.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The index of a column, or an error listing the columns there are.
    pub fn index(&self, name: &str) -> Result<usize, String> {
        self.names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| format!("{}: no column '{name}' (columns: {})", self.file, self.names.join(", ")))
    }

    /// The error for a bad value: file, data row (1 = first row after the header), column.
    pub fn bad(&self, row: usize, column: &str, what: &str) -> String {
        format!("{} row {}: column '{column}' {what}", self.file, row + 1)
    }

    /// A numeric column; text that parses as a number is accepted, anything else is an error.
    pub fn numbers(&self, name: &str) -> Result<Vec<f64>, String> {
        let i = self.index(name)?;
        self.rows
            .iter()
            .enumerate()
            .map(|(r, row)| match &row[i] {
                v @ (Value::Int(_) | Value::Float(_)) => Ok(v.as_f64().expect("number")),
                Value::Text(t) => t.trim().parse().map_err(|_| self.bad(r, name, &format!("is '{t}', not a number"))),
                other => Err(self.bad(r, name, &format!("is {}, not a number", describe(other)))),
            })
            .collect()
    }

    /// A column as text, `None` where a cell is empty.
    pub fn optional_texts(&self, name: &str) -> Result<Vec<Option<String>>, String> {
        let i = self.index(name)?;
        Ok(self.rows.iter().map(|row| Some(row[i].as_text()).filter(|_| row[i] != Value::Null)).collect())
    }

    /// A column as text (numbers formatted as they print).
    pub fn texts(&self, name: &str) -> Result<Vec<String>, String> {
        let i = self.index(name)?;
        self.rows
            .iter()
            .enumerate()
            .map(|(r, row)| match &row[i] {
                Value::Null => Err(self.bad(r, name, "is empty")),
                v => Ok(v.as_text()),
            })
            .collect()
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "empty".into(),
        v => format!("'{}'", v.as_text()),
    }
}
