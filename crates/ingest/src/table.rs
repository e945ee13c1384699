//! Row-by-row reading of delimited text files with a header line, shared by the CSV readers:
//! columns found by name (any case, any order, a UTF-8 byte-order mark ignored), rows with the
//! wrong number of fields or invalid UTF-8 handed over as violations so the reader can
//! quarantine them, and a syntax error that stops the file named with its line.

use std::io::Read;
use std::sync::{Arc, Mutex, mpsc};

use oncodata_model::Provenance;

use crate::IngestError;
use crate::extract::Extract;
use crate::rules::Violation;

/// The columns of a file's header, and which of them the reader asked for: only those are
/// kept in the text of a quarantined row (an allow-list: a column no reader reads — a name, an
/// address, a free-text note a source added — is blanked before the quarantine stores the row,
/// while the row keeps its shape, so that it can still be exported under the file's header,
/// corrected and read again).
pub(crate) struct Header {
    names: Vec<String>,
    read: std::cell::RefCell<Vec<bool>>,
}

impl Header {
    /// The position of a column, matched without regard to case; the column is then one the
    /// reader reads.
    pub(crate) fn index(&self, name: &str) -> Option<usize> {
        let i = self.names.iter().position(|n| n.eq_ignore_ascii_case(name));
        if let Some(i) = i {
            self.read.borrow_mut()[i] = true;
        }
        i
    }

    /// Which columns the reader asked for, by position.
    fn read_columns(&self) -> Vec<bool> {
        self.read.borrow().clone()
    }

    /// The positions of `names`, or a layout error listing those missing.
    pub(crate) fn require(&self, file: &str, what: &str, names: &[&'static str]) -> Result<(), IngestError> {
        let missing: Vec<&str> = names.iter().copied().filter(|n| self.index(n).is_none()).collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(IngestError::Layout {
                file: file.to_string(),
                message: format!("not {what}: missing column(s) {} in the header", missing.join(", ")),
            })
        }
    }

    /// The position of each of `names`, `None` where the column is absent.
    pub(crate) fn positions(&self, names: &[&str]) -> Vec<Option<usize>> {
        names.iter().map(|n| self.index(n)).collect()
    }
}

/// One data row, its fields trimmed on access: the row's text (its fields end to end, each
/// valid UTF-8) and where each field ends.
pub(crate) struct Row<'a> {
    text: &'a str,
    ends: &'a [usize],
}

impl<'a> Row<'a> {
    /// The trimmed value at `index`, `None` when the column is absent or the value empty.
    pub(crate) fn at(&self, index: Option<usize>) -> Option<&'a str> {
        let i = index?;
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        let v = self.text[start..end].trim();
        (!v.is_empty()).then_some(v)
    }
}

/// A row as read: its line, the row or why it cannot be split into fields, and its raw text.
pub(crate) type RowHandler<'h> =
    dyn FnMut(u64, Result<Row<'_>, Violation>, &dyn Fn() -> String) -> Result<(), IngestError> + 'h;

/// A row checked on a worker thread into the batch `B` it belongs to: the batch, the row's
/// line, the row or why it cannot be split into fields, and its raw text.
pub(crate) type RowCheck<'h, B> = dyn Fn(&mut B, u64, Result<Row<'_>, Violation>, &dyn Fn() -> String) + Sync + 'h;

/// A readable row of a file read into an extract: the extract, the row's provenance, the row
/// and its raw text.
pub(crate) type RowInto<'h> =
    dyn FnMut(&mut Extract, &Provenance, Row<'_>, &dyn Fn() -> String) -> Result<(), IngestError> + 'h;

/// A checked batch handed over in file order, with the raw text of its `i`-th row on demand.
pub(crate) type BatchKeep<'h, B> = dyn FnMut(&mut B, &dyn Fn(usize) -> String) -> Result<(), IngestError> + 'h;

/// What worker threads fill from a batch of rows (see [`Table::rows_in_parallel`]); emptied and
/// filled again, batch after batch, so that its memory is reused.
pub(crate) trait RowBatch: Default + Send {
    /// Empties the batch, keeping its memory.
    fn clear(&mut self);
}

impl<T: Send> RowBatch for Vec<T> {
    fn clear(&mut self) {
        Vec::clear(self);
    }
}

/// A delimited file being read: its header is read on opening.
pub(crate) struct Table<'f, R: Read> {
    reader: csv::Reader<R>,
    file: &'f str,
    width: usize,
    delimiter: u8,
    /// The header's columns.
    pub(crate) header: Header,
}

impl<'f, R: Read> Table<'f, R> {
    /// Reads the header line.
    pub(crate) fn open(input: R, file: &'f str, delimiter: u8) -> Result<Self, IngestError> {
        let mut reader = csv::ReaderBuilder::new().flexible(true).delimiter(delimiter).from_reader(input);
        let header = reader
            .byte_headers()
            .map_err(|e| IngestError::Layout { file: file.to_string(), message: format!("header: {e}") })?;
        let names = header
            .iter()
            .map(|h| String::from_utf8_lossy(h).trim().trim_start_matches('\u{feff}').to_string())
            .collect();
        let width = header.len();
        let read = std::cell::RefCell::new(vec![false; width]);
        Ok(Self { reader, file, width, delimiter, header: Header { names, read } })
    }

    /// Hands every data row to `each`, with its line number and a way to get its raw text.
    pub(crate) fn rows(mut self, each: &mut RowHandler<'_>) -> Result<(), IngestError> {
        let mut record = csv::ByteRecord::new();
        let mut ends = Vec::with_capacity(self.width);
        let kept = self.header.read_columns();
        loop {
            match self.reader.read_byte_record(&mut record) {
                Ok(false) => return Ok(()),
                Ok(true) => {}
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line());
                    return Err(IngestError::Row { file: self.file.to_string(), line, message: e.to_string() });
                }
            }
            let line = record.position().map_or(0, |p| p.line());
            let raw = || csv_line(&record, self.delimiter, &kept);
            each(line, row_of(&record, self.width, &mut ends), &raw)?;
        }
    }

    /// As [`Table::rows`] for readers that count into an extract: every row is counted read,
    /// a row that cannot be split into fields (shape, encoding) is quarantined with its reason,
    /// and `each` gets the others with their provenance (record `line` of `base`'s file).
    pub(crate) fn rows_into(
        self,
        base: &Provenance,
        out: &mut Extract,
        each: &mut RowInto<'_>,
    ) -> Result<(), IngestError> {
        self.rows(&mut |line, row, raw| {
            out.read();
            let p = base.at(line);
            match row {
                Ok(row) => each(out, &p, row, raw),
                Err(v) => {
                    out.quarantine(&p, None, vec![v], raw());
                    Ok(())
                }
            }
        })
    }

    /// As [`Table::rows`] for files whose rows are checked independently of each other: `check`
    /// adds each row to a batch `B` on worker threads (one per core), batch by batch, while this
    /// thread hands the batches to `keep` in the order of the file, each with its rows' raw
    /// text on demand. A syntax error stops the file after the rows before it are kept, as in
    /// [`Table::rows`].
    pub(crate) fn rows_in_parallel<B: RowBatch>(
        mut self,
        check: &RowCheck<'_, B>,
        keep: &mut BatchKeep<'_, B>,
    ) -> Result<(), IngestError>
    where
        R: Send,
    {
        /// Rows per batch: large enough that the channels cost nothing, small enough that a
        /// batch of results stays in the cache's neighbourhood.
        const BATCH: usize = 2048;
        type Rows = Vec<csv::ByteRecord>;
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
        let (width, delimiter, file) = (self.width, self.delimiter, self.file);
        let columns = &self.header.read_columns();
        // Emptied batches, filled again by the workers.
        let pool = Mutex::new(Vec::<B>::new());
        std::thread::scope(|scope| {
            let (work_tx, work_rx) = mpsc::sync_channel::<(usize, Rows, usize)>(workers * 2);
            let work_rx = Arc::new(Mutex::new(work_rx));
            let (done_tx, done_rx) = mpsc::sync_channel::<(usize, B, Rows)>(workers * 2);
            let (free_tx, free_rx) = mpsc::channel::<Rows>();
            let reader = scope.spawn(move || -> Result<(), IngestError> {
                for seq in 0.. {
                    let mut rows = free_rx.try_recv().unwrap_or_default();
                    rows.resize_with(BATCH, csv::ByteRecord::new);
                    let mut n = 0;
                    while n < BATCH {
                        match self.reader.read_byte_record(&mut rows[n]) {
                            Ok(true) => n += 1,
                            Ok(false) => break,
                            Err(e) => {
                                let line = e.position().map_or(0, |p| p.line());
                                // The rows read before the error are still kept.
                                let _ = work_tx.send((seq, rows, n));
                                return Err(IngestError::Row { file: file.to_string(), line, message: e.to_string() });
                            }
                        }
                    }
                    // A closed channel means the rows are no longer wanted (`keep` failed).
                    if n == 0 || work_tx.send((seq, rows, n)).is_err() || n < BATCH {
                        break;
                    }
                }
                Ok(())
            });
            for _ in 0..workers {
                let (work_rx, done_tx, pool, kept) = (Arc::clone(&work_rx), done_tx.clone(), &pool, columns);
                scope.spawn(move || {
                    let mut ends = Vec::with_capacity(width);
                    loop {
                        let job = work_rx.lock().map_err(|_| ()).and_then(|rx| rx.recv().map_err(|_| ()));
                        let Ok((seq, mut rows, n)) = job else { break };
                        // A fault for the tests of what a bug in a worker does (debug builds only).
                        #[cfg(debug_assertions)]
                        if std::env::var_os("ONCODATA_FAULT_WORKER_PANIC").is_some() {
                            panic!("a deliberate worker panic (ONCODATA_FAULT_WORKER_PANIC)");
                        }
                        rows.truncate(n);
                        let mut batch = pool.lock().map(|mut p| p.pop()).ok().flatten().unwrap_or_default();
                        for record in &rows {
                            let line = record.position().map_or(0, |p| p.line());
                            let raw = || csv_line(record, delimiter, kept);
                            check(&mut batch, line, row_of(record, width, &mut ends), &raw);
                        }
                        if done_tx.send((seq, batch, rows)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop((work_rx, done_tx));
            let mut waiting = std::collections::BTreeMap::new();
            let mut next = 0;
            let mut kept = Ok(());
            for (seq, batch, rows) in done_rx {
                waiting.insert(seq, (batch, rows));
                while let Some((mut batch, rows)) = waiting.remove(&next) {
                    next += 1;
                    kept = keep(&mut batch, &|i| csv_line(&rows[i], delimiter, columns));
                    if kept.is_err() {
                        break;
                    }
                    batch.clear();
                    if let Ok(mut p) = pool.lock() {
                        p.push(batch);
                    }
                    let _ = free_tx.send(rows);
                }
                if kept.is_err() {
                    break;
                }
            }
            let read = reader.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            kept.and(read)
        })
    }
}

/// A record as a row: its fields checked for the header's width and for UTF-8. The fields are
/// stored end to end; the whole must be UTF-8 and every field end a character boundary (else a
/// character is split between two fields, and neither field is valid on its own).
fn row_of<'a>(record: &'a csv::ByteRecord, width: usize, ends: &'a mut Vec<usize>) -> Result<Row<'a>, Violation> {
    if record.len() != width {
        return Err(Violation::error("record.shape", format!("{} fields where the header has {width}", record.len())));
    }
    let not_utf8 = || Violation::error("record.encoding", "not valid UTF-8");
    let text = std::str::from_utf8(record.as_slice()).map_err(|_| not_utf8())?;
    ends.clear();
    let mut end = 0;
    for field in record {
        end += field.len();
        if !text.is_char_boundary(end) {
            return Err(not_utf8());
        }
        ends.push(end);
    }
    Ok(Row { text, ends })
}

/// A record written back as one line of delimited text, quoted where needed (invalid UTF-8
/// replaced), so that a quarantined record can be exported under its file's header, corrected
/// and read again; the fields of columns not in `kept` (and fields past the header) blank.
pub(crate) fn csv_line(record: &csv::ByteRecord, delimiter: u8, kept: &[bool]) -> String {
    let mut w = csv::WriterBuilder::new().delimiter(delimiter).has_headers(false).from_writer(Vec::new());
    let fields: Vec<String> = record
        .iter()
        .enumerate()
        .map(|(i, f)| {
            if kept.get(i).copied().unwrap_or(false) { String::from_utf8_lossy(f).into_owned() } else { String::new() }
        })
        .collect();
    if w.write_record(&fields).is_err() {
        return fields.join(",");
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes).trim_end_matches(['\r', '\n']).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each row as `line:field|field` or `line:rule`, read one way or the other.
    fn read(input: &[u8], parallel: bool) -> (Vec<String>, Result<(), IngestError>) {
        let table = Table::open(input, "t.csv", b',').unwrap();
        let mut seen = Vec::new();
        let show = |line: u64, row: Result<Row<'_>, Violation>, _: &dyn Fn() -> String| match row {
            Ok(r) => format!("{line}:{}|{}", r.at(Some(0)).unwrap_or(""), r.at(Some(1)).unwrap_or("")),
            Err(v) => format!("{line}:{}", v.rule),
        };
        let result = if parallel {
            table.rows_in_parallel(&|b: &mut Vec<String>, line, row, raw| b.push(show(line, row, raw)), &mut |b, _| {
                seen.append(b);
                Ok(())
            })
        } else {
            table.rows(&mut |line, row, raw| {
                seen.push(show(line, row, raw));
                Ok(())
            })
        };
        (seen, result)
    }

    #[test]
    fn a_character_split_between_fields_is_not_utf8() {
        let (rows, result) = read(b"a,b\n\xc3,\xa9\nx,\xc3\xa9\n", false);
        assert!(result.is_ok());
        assert_eq!(rows, ["2:record.encoding", "3:x|\u{e9}"]);
    }

    /// Several batches, short rows, bad bytes and quoted newlines: the parallel reader hands
    /// over the same rows, with the same lines, in the same order.
    #[test]
    fn parallel_rows_equal_sequential_rows() {
        let mut input = b"id,value\n".to_vec();
        for i in 0..10_000 {
            match i % 7 {
                0 => input.extend_from_slice(format!("{i}\n").as_bytes()),
                1 => input.extend_from_slice(format!("{i},\"two\nlines\"\n").as_bytes()),
                2 => input.extend_from_slice(&[format!("{i},").as_bytes(), b"\xff\n"].concat()),
                _ => input.extend_from_slice(format!("{i},v{i}\n").as_bytes()),
            }
        }
        let (sequential, r1) = read(&input, false);
        let (parallel, r2) = read(&input, true);
        assert!(r1.is_ok() && r2.is_ok());
        assert_eq!(sequential.len(), 10_000);
        assert_eq!(parallel, sequential);
    }

    /// A handler's failure stops the reading and is returned.
    #[test]
    fn parallel_rows_stop_when_the_handler_fails() {
        let mut input = b"id,value\n".to_vec();
        for i in 0..5000 {
            input.extend_from_slice(format!("{i},v\n").as_bytes());
        }
        let table = Table::open(&input[..], "t.csv", b',').unwrap();
        let mut kept = 0;
        let result = table.rows_in_parallel(&|b: &mut Vec<u64>, line, _, _| b.push(line), &mut |lines, _| {
            for &line in lines.iter() {
                kept += 1;
                if line == 3000 {
                    return Err(IngestError::Sink { message: "stop".into() });
                }
            }
            Ok(())
        });
        assert!(matches!(result, Err(IngestError::Sink { .. })));
        assert_eq!(kept, 2999);
    }

    /// Input that fails after `ok` bytes, as a disk or a network file can.
    struct Failing<'a> {
        data: &'a [u8],
        ok: usize,
    }

    impl Read for Failing<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.ok == 0 {
                return Err(std::io::Error::other("device gone"));
            }
            let n = buf.len().min(self.ok).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            self.ok -= n;
            Ok(n)
        }
    }

    /// A read error stops the file with an error naming it and the line, after the rows read
    /// before it were handed over, in both readers alike.
    #[test]
    fn a_read_error_stops_the_file_after_the_rows_before_it() {
        let mut input = b"id,value\n".to_vec();
        for i in 0..5000 {
            input.extend_from_slice(format!("{i},v\n").as_bytes());
        }
        let ok = input.len() / 2;
        let run = |parallel: bool| {
            let table = Table::open(Failing { data: &input, ok }, "t.csv", b',').unwrap();
            let mut lines = Vec::new();
            let result = if parallel {
                table.rows_in_parallel(&|b: &mut Vec<u64>, line, _, _| b.push(line), &mut |b, _| {
                    lines.append(b);
                    Ok(())
                })
            } else {
                table.rows(&mut |line, _, _| {
                    lines.push(line);
                    Ok(())
                })
            };
            let message = result.expect_err("the read fails").to_string();
            (lines, message)
        };
        let (sequential, message) = run(false);
        assert!(message.starts_with("t.csv line") && message.contains("device gone"), "{message}");
        assert!(sequential.len() > 1000 && sequential.len() < 5000);
        assert_eq!(run(true), (sequential, message));
    }
}
