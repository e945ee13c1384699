//! Query results without Arrow types on the outside: column names, rows of [`Value`]s, and the
//! renderings the command line prints (table, CSV, JSON).

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::arrow::util::pretty::pretty_format_batches;

use crate::WarehouseError;

/// One cell of a result.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// Any integer column.
    Int(i64),
    /// Any floating-point or decimal column.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// Anything else, as displayed (strings, ISO dates…).
    Text(String),
}

impl Value {
    /// The value as a number, when it is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// The value as text (numbers and booleans formatted; NULL as empty).
    pub fn as_text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Text(s) => s.clone(),
        }
    }
}

/// The result of a query.
#[derive(Debug, Clone)]
pub struct QueryResult {
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
}

impl QueryResult {
    pub(crate) fn new(schema: SchemaRef, batches: Vec<RecordBatch>) -> Self {
        Self { schema, batches }
    }

    /// A result made of rows of values, for an analysis that finishes a table outside SQL
    /// (each column typed by its values, as [`crate::Warehouse::write_rows`] types them).
    pub fn from_rows(columns: &[&str], rows: &[Vec<Value>]) -> Result<Self, WarehouseError> {
        let batch = crate::tables::batch_of_values(columns, rows)?;
        Ok(Self { schema: batch.schema(), batches: vec![batch] })
    }

    /// The result's Arrow batches.
    pub fn batches(&self) -> &[RecordBatch] {
        &self.batches
    }

    /// The result's Arrow schema.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// Column names, in order.
    pub fn columns(&self) -> Vec<String> {
        self.schema.fields().iter().map(|f| f.name().clone()).collect()
    }

    /// Number of rows.
    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(|b| b.num_rows()).sum()
    }

    /// All rows as values.
    pub fn rows(&self) -> Result<Vec<Vec<Value>>, WarehouseError> {
        let mut out = Vec::with_capacity(self.num_rows());
        for b in &self.batches {
            let columns: Vec<Vec<Value>> = b.columns().iter().map(|c| column_values(c)).collect::<Result<_, _>>()?;
            for r in 0..b.num_rows() {
                out.push(columns.iter().map(|c| c[r].clone()).collect());
            }
        }
        Ok(out)
    }

    /// A boxed text table, as DataFusion's CLI prints.
    pub fn to_pretty(&self) -> Result<String, WarehouseError> {
        if self.batches.is_empty() {
            return Ok(format!("{}\n(0 rows)", self.columns().join(" | ")));
        }
        Ok(pretty_format_batches(&self.batches)?.to_string())
    }

    /// The result as an Arrow IPC stream (what pyarrow's `ipc.open_stream` and R arrow's
    /// `read_ipc_stream` read), its schema first.
    pub fn to_arrow_ipc(&self) -> Result<Vec<u8>, WarehouseError> {
        let mut buffer = Vec::new();
        {
            let mut writer = datafusion::arrow::ipc::writer::StreamWriter::try_new(&mut buffer, &self.schema)?;
            for batch in &self.batches {
                writer.write(batch)?;
            }
            writer.finish()?;
        }
        Ok(buffer)
    }

    /// CSV with a header line.
    pub fn to_csv(&self) -> Result<String, WarehouseError> {
        let mut buf = Vec::new();
        {
            let mut w = datafusion::arrow::csv::WriterBuilder::new().with_header(true).build(&mut buf);
            if self.batches.is_empty() {
                w.write(&RecordBatch::new_empty(self.schema.clone()))?;
            }
            for b in &self.batches {
                w.write(b)?;
            }
        }
        Ok(String::from_utf8(buf).expect("arrow writes UTF-8"))
    }

    /// A JSON array of objects, one per row.
    pub fn to_json(&self) -> Result<String, WarehouseError> {
        let mut buf = Vec::new();
        {
            let mut w = datafusion::arrow::json::ArrayWriter::new(&mut buf);
            let refs: Vec<&RecordBatch> = self.batches.iter().collect();
            w.write_batches(&refs)?;
            w.finish()?;
        }
        let s = String::from_utf8(buf).expect("arrow writes UTF-8");
        Ok(if s.is_empty() { "[]".into() } else { s })
    }
}

/// The values of an Arrow column: integers, floats (and decimals), booleans, and the rest as
/// Arrow displays it.
pub(crate) fn column_values(array: &dyn Array) -> Result<Vec<Value>, WarehouseError> {
    let n = array.len();
    let dt = array.data_type();
    let values = if dt.is_integer() {
        let a = cast(array, &DataType::Int64)?;
        let a = a.as_primitive::<Int64Type>();
        (0..n).map(|i| if a.is_null(i) { Value::Null } else { Value::Int(a.value(i)) }).collect()
    } else if dt.is_floating() || matches!(dt, DataType::Decimal128(..) | DataType::Decimal256(..)) {
        let a = cast(array, &DataType::Float64)?;
        let a = a.as_primitive::<Float64Type>();
        (0..n).map(|i| if a.is_null(i) { Value::Null } else { Value::Float(a.value(i)) }).collect()
    } else if *dt == DataType::Boolean {
        let a = array.as_boolean();
        (0..n).map(|i| if a.is_null(i) { Value::Null } else { Value::Bool(a.value(i)) }).collect()
    } else {
        let f = ArrayFormatter::try_new(array, &FormatOptions::default())?;
        (0..n).map(|i| if array.is_null(i) { Value::Null } else { Value::Text(f.value(i).to_string()) }).collect()
    };
    Ok(values)
}
