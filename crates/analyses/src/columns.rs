//! Reading named columns out of a user's file (CSV, TSV or Parquet), with errors that name the
//! file, the column and the row.
//!
//! A CSV file is read in one streaming pass of byte records (the `csv` crate: quotes, CRLF, a
//! UTF-8 byte-order mark), each column kept as the text of its cells back to back with where
//! each cell ends: about the file's size plus 4 bytes a cell, whatever the columns hold, and no
//! allocation per cell. Cells are typed only when a column is asked for, as numbers
//! ([`Columns::numbers`]), texts exactly as written ([`Columns::texts`]: `01383` stays
//! `01383`) or groups ([`Columns::groups`]). An empty cell is a missing value. A gzipped CSV
//! (`.csv.gz`) is read through its decompressed stream. A Parquet file keeps its own types
//! ([`oncodata_warehouse::read_parquet`]).

use std::collections::HashMap;
use std::path::Path;

use oncodata_warehouse::{Value, read_parquet};

/// A file read whole, with its column names.
#[derive(Debug, Clone)]
pub struct Columns {
    file: String,
    names: Vec<String>,
    columns: Vec<Column>,
    rows: usize,
}

/// One column's cells.
#[derive(Debug, Clone)]
enum Column {
    /// A CSV column: the text of its cells back to back, and where each cell ends (32 bits: a
    /// column holds at most 4 GiB of text).
    Text { text: Vec<u8>, ends: Vec<u32> },
    /// Typed values: a Parquet file's, or a table built in memory.
    Values(Vec<Value>),
}

/// One cell, borrowed.
enum Cell<'a> {
    /// An empty CSV cell or a null.
    Missing,
    /// A CSV cell's text as written.
    Text(&'a [u8]),
    /// A typed value (never [`Value::Null`]).
    Value(&'a Value),
}

impl Column {
    fn cell(&self, row: usize) -> Cell<'_> {
        match self {
            Column::Text { text, ends } => {
                let start = if row == 0 { 0 } else { ends[row - 1] as usize };
                match &text[start..ends[row] as usize] {
                    [] => Cell::Missing,
                    t => Cell::Text(t),
                }
            }
            Column::Values(values) => match &values[row] {
                Value::Null => Cell::Missing,
                v => Cell::Value(v),
            },
        }
    }
}

impl Columns {
    /// Reads a CSV (`,`), TSV (`.tsv`, tabs) or Parquet (`.parquet`) file whole, rows in the
    /// file's order; a CSV or TSV file may be gzipped (`.csv.gz`, `.tsv.gz`). A CSV row with
    /// another number of fields than the header is an error naming its line.
    pub fn read(path: &Path) -> Result<Self, Box<dyn std::error::Error>> {
        let file = path.display().to_string();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_ascii_lowercase();
        let gzipped = name.ends_with(".gz");
        let inner = name.strip_suffix(".gz").unwrap_or(&name);
        let ext = inner.rsplit_once('.').map_or("", |(_, e)| e);
        if ext == "parquet" {
            let (names, values) = read_parquet(path)?;
            let rows = values.first().map_or(0, Vec::len);
            return Ok(Self { file, names, columns: values.into_iter().map(Column::Values).collect(), rows });
        }
        let delimiter = if ext == "tsv" { b'\t' } else { b',' };
        let (names, columns, rows) = read_delimited(path, &file, delimiter, gzipped)?;
        Ok(Self { file, names, columns, rows })
    }

    /// A table built in memory (e.g. from the warehouse), named `name` in error messages.
    pub fn from_rows(name: &str, names: Vec<String>, rows: Vec<Vec<Value>>) -> Self {
        let n = rows.len();
        let mut columns: Vec<Vec<Value>> = names.iter().map(|_| Vec::with_capacity(n)).collect();
        for row in rows {
            for (column, value) in columns.iter_mut().zip(row) {
                column.push(value);
            }
        }
        Self { file: name.to_string(), names, columns: columns.into_iter().map(Column::Values).collect(), rows: n }
    }

    /// Number of data rows.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether the file has no data row.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
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

    fn column(&self, name: &str) -> Result<&Column, String> {
        Ok(&self.columns[self.index(name)?])
    }

    /// A numeric column; text that parses as a number (after trimming spaces) is accepted,
    /// anything else, an empty cell included, is an error naming the row.
    pub fn numbers(&self, name: &str) -> Result<Vec<f64>, String> {
        let column = self.column(name)?;
        self.each_row(|r| match column.cell(r) {
            Cell::Text(t) => number(t)
                .ok_or_else(|| self.bad(r, name, &format!("is '{}', not a number", String::from_utf8_lossy(t)))),
            Cell::Value(v @ (Value::Int(_) | Value::Float(_))) => Ok(v.as_f64().expect("a number")),
            Cell::Value(Value::Text(t)) => {
                t.trim().parse().map_err(|_| self.bad(r, name, &format!("is '{t}', not a number")))
            }
            Cell::Value(v) => Err(self.bad(r, name, &format!("is '{}', not a number", v.as_text()))),
            Cell::Missing => Err(self.bad(r, name, "is empty, not a number")),
        })
    }

    /// `value` of every row, collected into a vector sized once: a vector grown by doubling
    /// to a million rows leaves its earlier blocks to the allocator, three times its size.
    fn each_row<T>(&self, mut value: impl FnMut(usize) -> Result<T, String>) -> Result<Vec<T>, String> {
        let mut out = Vec::with_capacity(self.rows);
        for r in 0..self.rows {
            out.push(value(r)?);
        }
        Ok(out)
    }

    /// A column as text, `None` where a cell is empty.
    pub fn optional_texts(&self, name: &str) -> Result<Vec<Option<String>>, String> {
        let column = self.column(name)?;
        self.each_row(|r| match column.cell(r) {
            Cell::Missing => Ok(None),
            cell => self.text(r, name, cell).map(Some),
        })
    }

    /// A column as text: a CSV cell as written, a typed value as it prints; an empty cell is an
    /// error naming the row.
    pub fn texts(&self, name: &str) -> Result<Vec<String>, String> {
        let column = self.column(name)?;
        self.each_row(|r| self.text(r, name, column.cell(r)))
    }

    fn text(&self, row: usize, name: &str, cell: Cell<'_>) -> Result<String, String> {
        match cell {
            Cell::Text(t) => {
                std::str::from_utf8(t).map(str::to_string).map_err(|_| self.bad(row, name, "is not UTF-8 text"))
            }
            Cell::Value(v) => Ok(v.as_text()),
            Cell::Missing => Err(self.bad(row, name, "is empty")),
        }
    }

    /// The groups the columns `names` make: the distinct combinations of their texts, each
    /// labelled with its values joined by `,`, in the order they first appear, and each row's
    /// group. No column: one group, `all`. An empty cell is an error naming the row.
    pub fn groups(&self, names: &[impl AsRef<str>]) -> Result<(Vec<String>, Vec<u32>), String> {
        if names.is_empty() {
            return Ok((vec!["all".to_string()], vec![0; self.rows]));
        }
        let columns: Vec<(&str, &Column)> =
            names.iter().map(|n| Ok((n.as_ref(), self.column(n.as_ref())?))).collect::<Result<_, String>>()?;
        // foldhash (randomly seeded) rather than SipHash: a lookup per row.
        let mut index: HashMap<Vec<u8>, u32, foldhash::fast::RandomState> = HashMap::default();
        let mut labels = Vec::new();
        let mut of_row = Vec::with_capacity(self.rows);
        let mut key: Vec<u8> = Vec::new();
        for r in 0..self.rows {
            key.clear();
            for (k, (name, column)) in columns.iter().enumerate() {
                if k > 0 {
                    key.push(b',');
                }
                match column.cell(r) {
                    Cell::Text(t) => key.extend_from_slice(t),
                    Cell::Value(v) => key.extend_from_slice(v.as_text().as_bytes()),
                    Cell::Missing => return Err(self.bad(r, name, "is empty")),
                }
            }
            let group = match index.get(key.as_slice()) {
                Some(g) => *g,
                None => {
                    let label = String::from_utf8(key.clone()).map_err(|_| {
                        let (name, _) = columns
                            .iter()
                            .find(|(_, c)| matches!(c.cell(r), Cell::Text(t) if std::str::from_utf8(t).is_err()))
                            .unwrap_or(&columns[0]);
                        self.bad(r, name, "is not UTF-8 text")
                    })?;
                    let g = labels.len() as u32;
                    labels.push(label);
                    index.insert(key.clone(), g);
                    g
                }
            };
            of_row.push(group);
        }
        Ok((labels, of_row))
    }
}

/// A CSV or TSV file's header and columns, and its number of data rows.
fn read_delimited(
    path: &Path,
    file: &str,
    delimiter: u8,
    gzipped: bool,
) -> Result<(Vec<String>, Vec<Column>, usize), String> {
    let opened = std::fs::File::open(path).map_err(|e| format!("{file}: {e}"))?;
    let input: Box<dyn std::io::Read> =
        if gzipped { Box::new(flate2::read::MultiGzDecoder::new(opened)) } else { Box::new(opened) };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 20)
        .from_reader(input);
    let fail = |e: csv::Error| match e.position() {
        Some(p) => format!("{file} line {}: {e}", p.line()),
        None => format!("{file}: {e}"),
    };
    let mut record = csv::ByteRecord::new();
    if !reader.read_byte_record(&mut record).map_err(fail)? {
        return Ok((Vec::new(), Vec::new(), 0));
    }
    let names: Vec<String> = record
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let name = if i == 0 { name.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(name) } else { name };
            String::from_utf8(name.to_vec()).map_err(|_| format!("{file} line 1: column {} is not UTF-8 text", i + 1))
        })
        .collect::<Result<_, String>>()?;
    let mut text: Vec<Vec<u8>> = vec![Vec::new(); names.len()];
    let mut ends: Vec<Vec<u32>> = vec![Vec::new(); names.len()];
    let mut rows = 0;
    // The text's size (a gzipped file's is unknown: the columns then grow as they fill).
    let size = if gzipped { 0 } else { std::fs::metadata(path).map_or(0, |m| m.len()) };
    while reader.read_byte_record(&mut record).map_err(fail)? {
        if rows == 1024 && size > 0 {
            // Room for the whole file at the first rows' bytes per row (+2 %): the columns are
            // not grown by doubling, copying and leaving the old blocks behind.
            let per_row = reader.position().byte() as f64 / 1025.0;
            let expected = (size as f64 / per_row * 1.02) as usize;
            for (text, ends) in text.iter_mut().zip(&mut ends) {
                ends.reserve_exact(expected.saturating_sub(ends.len()));
                text.reserve_exact((text.len() * expected / rows).saturating_sub(text.len()));
            }
        }
        if record.len() != names.len() {
            let line = record.position().map_or(rows + 2, |p| p.line() as usize);
            return Err(format!(
                "{file} line {line}: {} fields where the header has {} ({})",
                record.len(),
                names.len(),
                names.join(", ")
            ));
        }
        for (((field, text), ends), name) in record.iter().zip(&mut text).zip(&mut ends).zip(&names) {
            text.extend_from_slice(field);
            ends.push(u32::try_from(text.len()).map_err(|_| {
                format!("{file}: column '{name}' holds more than 4 GiB of text; give it as Parquet instead")
            })?);
        }
        rows += 1;
    }
    let columns = text.into_iter().zip(ends).map(|(text, ends)| Column::Text { text, ends }).collect();
    Ok((names, columns, rows))
}

/// A cell's number: whole numbers of up to 15 digits directly (exact in binary64), anything
/// else through Rust's correctly rounded parser; spaces around are allowed.
fn number(cell: &[u8]) -> Option<f64> {
    let t = cell.trim_ascii();
    if !t.is_empty() && t.len() <= 15 && t.iter().all(u8::is_ascii_digit) {
        return Some(t.iter().fold(0u64, |v, d| v * 10 + u64::from(d - b'0')) as f64);
    }
    std::str::from_utf8(t).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str, name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    /// Numbers, texts as written (leading zeros kept), empty cells, quotes, CRLF and a byte-order
    /// mark; a missing column lists those there are.
    #[test]
    fn reads_a_csv_as_written() {
        let (_d, path) =
            file("\u{feff}time,status,\"commune, code\"\r\n5,1,01383\r\n 7.25 ,0,\"2A004\"\r\n1e3,,\r\n", "a.csv");
        let c = Columns::read(&path).unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(c.numbers("time").unwrap(), vec![5.0, 7.25, 1000.0]);
        assert_eq!(
            c.texts("commune, code").unwrap_err(),
            format!("{} row 3: column 'commune, code' is empty", path.display())
        );
        assert_eq!(c.optional_texts("commune, code").unwrap(), vec![Some("01383".into()), Some("2A004".into()), None]);
        assert!(c.numbers("status").unwrap_err().ends_with("row 3: column 'status' is empty, not a number"));
        let e = c.numbers("commune, code").unwrap_err();
        assert!(e.ends_with("row 2: column 'commune, code' is '2A004', not a number"), "{e}");
        let e = c.index("grp").unwrap_err();
        assert!(e.ends_with("no column 'grp' (columns: time, status, commune, code)"), "{e}");
    }

    /// Tabs in a `.tsv`; a row with too many fields names its line; a missing file is named.
    #[test]
    fn bad_files_are_named_with_the_line() {
        let (_d, path) = file("a\tb\nx\t1\n", "t.tsv");
        assert_eq!(Columns::read(&path).unwrap().texts("a").unwrap(), vec!["x"]);
        let (_d, path) = file("a,b\n1,2\n3,4,5\n", "r.csv");
        let e = Columns::read(&path).unwrap_err().to_string();
        assert_eq!(e, format!("{} line 3: 3 fields where the header has 2 (a, b)", path.display()));
        let e = Columns::read(Path::new("/nonexistent/x.csv")).unwrap_err().to_string();
        assert!(e.starts_with("/nonexistent/x.csv: "), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("latin1.csv");
        std::fs::write(&path, b"sex,site\nF,lung\nF,f\xe9mur\n").unwrap();
        let e = Columns::read(&path).unwrap().groups(&["sex", "site"]).unwrap_err();
        assert!(e.ends_with("row 2: column 'site' is not UTF-8 text"), "{e}");
    }

    /// Files others wrote: OHDSI's Eunomia *Synthea27Nj* PERSON table as its gzipped CSV and as
    /// its Parquet export (crates/ingest/fixtures/real/omop/SOURCE.md) read the same, column by
    /// column, through the two readers: its 28 persons (the data set's description), their ids,
    /// genders and birth years; a source value keeps its text.
    #[test]
    fn ohdsis_csv_and_parquet_read_the_same() {
        let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ingest/fixtures/real/omop");
        let csv = Columns::read(&real.join("eunomia-synthea27nj/PERSON.csv.gz")).unwrap();
        let parquet = Columns::read(&real.join("eunomia-synthea27nj-parquet/person.parquet")).unwrap();
        assert_eq!((csv.len(), parquet.len()), (28, 28));
        for column in ["person_id", "gender_concept_id", "year_of_birth", "month_of_birth"] {
            assert_eq!(csv.numbers(column).unwrap(), parquet.numbers(column).unwrap(), "{column}");
        }
        assert_eq!(csv.texts("gender_source_value").unwrap(), parquet.texts("gender_source_value").unwrap());
        assert_eq!(csv.texts("person_source_value").unwrap()[0], "1007c05b-8d20-8fe6-6790-44622f8316df");
        let (sexes, _) = csv.groups(&["gender_source_value"]).unwrap();
        assert_eq!(sexes, vec!["M", "F"]);
    }

    /// Groups of one and two columns, in the order they first appear, labelled by their values.
    #[test]
    fn rows_fall_into_groups() {
        let (_d, path) = file("sex,site,n\nF,lung,1\nM,lung,2\nF,lung,3\nF,colon,4\n", "g.csv");
        let c = Columns::read(&path).unwrap();
        assert_eq!(c.groups(&["sex"]).unwrap(), (vec!["F".into(), "M".into()], vec![0, 1, 0, 0]));
        let (labels, rows) = c.groups(&["sex", "site"]).unwrap();
        assert_eq!(labels, vec!["F,lung", "M,lung", "F,colon"]);
        assert_eq!(rows, vec![0, 1, 0, 2]);
        assert_eq!(c.groups(&[] as &[&str]).unwrap(), (vec!["all".into()], vec![0; 4]));
    }

    /// A user's file comes back in its own row order, run after run, however large (the query
    /// engine's scan split across cores once handed its batches back in any order: row numbers
    /// in errors and draws made by location with a seed changed from run to run).
    #[test]
    fn a_users_file_keeps_its_row_order() {
        let mut text = String::from("row,label\n");
        for i in 0..300_000 {
            text += &format!("{i},r{}\n", i % 7);
        }
        let (_d, path) = file(&text, "rows.csv");
        for _ in 0..3 {
            let rows = Columns::read(&path).unwrap().numbers("row").unwrap();
            assert_eq!(rows.len(), 300_000);
            assert!(rows.iter().enumerate().all(|(i, r)| *r == i as f64), "rows out of order");
        }
    }

    /// Whole numbers take the short path, everything else Rust's parser: both give the same.
    #[test]
    fn numbers_parse_as_rust_parses_them() {
        for t in ["0", "007", "123456789012345", "1234567890123456789", "-3", "+4", "2.5", " 8 ", "inf", "1e-5"] {
            assert_eq!(number(t.as_bytes()), t.trim().parse::<f64>().ok(), "{t}");
        }
        assert_eq!(number(b"12a"), None);
        assert_eq!(number(b""), None);
    }
}
