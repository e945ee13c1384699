//! What reading one source yields, collected record by record: accepted patients, tumours and
//! care events, quarantined records, warnings, and per file the counts that prove nothing was
//! lost (read = accepted + quarantined, checked when a file is finished).

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};

use oncodata_model::{Patient, Provenance, Text, Tumour};

pub use oncodata_model::{Records, Warning};

use crate::IngestError;
use crate::case::{Accepted, Rejected};
use crate::quarantine::{Counts, QuarantinedRecord};
use crate::rules::Violation;
use crate::verified::Verified;

/// Tumour records checked apart from the extract, a batch of rows at a time on a worker
/// thread, to be kept in reading order by [`Extract::keep_rows`]. Accepted records go straight
/// into the lists they will be streamed in, so that keeping a batch moves lists, not records;
/// what needs every earlier row (a tumour read twice, a patient already seen) is left to
/// [`Extract::keep_rows`].
#[derive(Debug, Default)]
pub struct CheckedRows {
    /// Rows checked.
    read: u64,
    /// The patient of each accepted tumour, in the order of `tumours`.
    patients: Vec<Patient>,
    /// Accepted tumours.
    tumours: Vec<Tumour>,
    /// The batch's row of each accepted tumour (for its raw text, should it be a duplicate).
    rows: Vec<usize>,
    /// Warnings of accepted tumours, by index in `tumours`.
    warnings: Vec<(usize, Vec<Violation>)>,
    /// Rejected records.
    quarantined: Vec<QuarantinedRecord>,
}

impl CheckedRows {
    /// Adds a validated tumour record; `raw` gives its text, only asked for when it is
    /// rejected.
    pub fn tumour(
        &mut self,
        outcome: Result<Accepted, Rejected>,
        provenance: Provenance,
        raw: impl FnOnce() -> String,
    ) {
        let row = self.read as usize;
        self.read += 1;
        match outcome {
            Ok((patient, tumour, warnings)) => {
                if !warnings.is_empty() {
                    self.warnings.push((self.tumours.len(), warnings));
                }
                self.patients.push(patient);
                self.tumours.push(tumour);
                self.rows.push(row);
            }
            Err((violations, record_id)) => {
                self.quarantined.push(QuarantinedRecord { provenance, record_id, violations, raw: raw() })
            }
        }
    }

    /// Adds a record that could not be read as a row (shape, encoding).
    pub fn unreadable(&mut self, provenance: Provenance, violation: Violation, raw: String) {
        self.read += 1;
        self.quarantined.push(QuarantinedRecord { provenance, record_id: None, violations: vec![violation], raw });
    }
}

impl crate::table::RowBatch for CheckedRows {
    fn clear(&mut self) {
        self.read = 0;
        self.patients.clear();
        self.tumours.clear();
        self.rows.clear();
        self.warnings.clear();
        self.quarantined.clear();
    }
}

/// The `record.duplicate` error of a tumour first accepted from record `first`.
fn duplicate_violation(tumour_id: &str, first: u64) -> Violation {
    Violation::error(
        "record.duplicate",
        format!("tumour {tumour_id} was already read (record {first}): the same patient and tumour number twice"),
    )
}

/// The counts of one file of a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCounts {
    /// The source kind (`encr-csv`, `omop`…).
    pub source: String,
    /// The file.
    pub file: String,
    /// Read, accepted, quarantined, warnings.
    pub counts: Counts,
}

/// The usual batch of [`Extract::stream_to`]: records handed over at a time, enough to write
/// Parquet row groups efficiently, small enough to keep memory to tens of megabytes.
pub const BATCH: usize = 16_384;

/// How far reading has gone, shared with a progress display in another thread.
#[derive(Debug, Default)]
pub struct Progress {
    /// Records read, over all files.
    pub records: AtomicU64,
    /// Bytes read from the files opened through [`Extract::open`], over all files.
    pub bytes: AtomicU64,
}

/// A file being read, counting its bytes into [`Progress::bytes`]; a gzip file (by its magic
/// number, whatever its name) is decompressed as it is read.
pub struct CountedFile {
    inner: Opened,
}

/// A source file's bytes, counted as they are read from disk.
struct Counting {
    file: std::fs::File,
    progress: Arc<Progress>,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        self.progress.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A file read as is, or decompressed when it is gzip (progress counts compressed bytes).
enum Opened {
    Plain(Counting),
    Gzip(Box<flate2::read::MultiGzDecoder<Counting>>),
}

impl Read for CountedFile {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match &mut self.inner {
            Opened::Plain(f) => f.read(buf),
            Opened::Gzip(f) => f.read(buf),
        }
    }
}

/// Hands batches of records back to the [`Extract`] that streamed them (see
/// [`Extract::recycler`]).
#[derive(Debug, Clone)]
pub struct Recycler(mpsc::Sender<Records>);

impl Recycler {
    /// Empties `records` and hands them back to be filled again; nothing happens if the extract
    /// is gone.
    pub fn give(&self, mut records: Records) {
        records.clear();
        let _ = self.0.send(records);
    }
}

/// The emptied batches handed back through a [`Recycler`].
#[derive(Debug)]
struct Spare {
    give: mpsc::Sender<Records>,
    take: mpsc::Receiver<Records>,
}

impl Default for Spare {
    fn default() -> Self {
        let (give, take) = mpsc::channel();
        Self { give, take }
    }
}

/// Where batches of records go while files are read.
struct Sink {
    send: Box<dyn FnMut(Records) -> Result<(), String> + Send>,
    every: usize,
    /// The first failure of `send`; later batches are dropped and the run fails.
    failed: Option<String>,
}

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sink").field("every", &self.every).field("failed", &self.failed).finish()
    }
}

/// How many records of each kind an extract kept, streamed or still held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Distinct patients.
    pub patients: u64,
    /// Accepted tumours.
    pub tumours: u64,
    /// Accepted care events.
    pub care_events: u64,
    /// Quarantined records.
    pub quarantined: u64,
    /// Warnings raised.
    pub warnings: u64,
    /// Pseudonymised identities.
    pub identities: u64,
}

/// Everything read from one or more files: the records are held here, or handed over in
/// batches to a sink ([`Extract::stream_to`]) so that memory stays bounded whatever the size
/// of the files.
#[derive(Debug, Default)]
pub struct Extract {
    /// The records held (until a sink takes them, [`Extract::stream_to`]): one patient per
    /// distinct id among accepted records (the first record describes them), accepted tumours
    /// and care events, rejected records, warnings on accepted records except those a registrar
    /// verified, and pseudonymised identities (sources that carry them, with a key). The
    /// extract derefs to them: `extract.tumours`.
    pub records: Records,
    /// Per file, in reading order.
    pub files: Vec<FileCounts>,
    /// What the files declare about themselves, as (file, item, value): a NAACCR file's
    /// root items and attributes (registry id, dictionary, record type, time generated), kept
    /// with the dataset.
    pub declared: Vec<(String, String, String)>,
    /// Warnings not raised because a registrar had verified the case.
    pub verified_warnings: u64,
    /// Records and bytes read so far, for a progress display in another thread.
    pub progress: Arc<Progress>,
    /// The keys that pseudonymise identities ([`Extract::with_keys`]); without them,
    /// identities are not kept.
    pub pseudonymiser: Option<Arc<oncodata_pseudonym::Pseudonymiser>>,
    verified: Verified,
    sink: Option<Sink>,
    spare: Spare,
    /// The records already handed to the sink.
    streamed: Totals,
    /// The ids of the patients kept (foldhash: a fast hash for half a million ids per file;
    /// ids come from the sources, not from an adversary choosing collisions).
    patient_ids: HashSet<Text, foldhash::fast::RandomState>,
    /// The tumour ids accepted, with the record that brought each.
    tumour_ids: HashMap<Text, u64, foldhash::fast::RandomState>,
    current: Counts,
    /// The file being read: its size and the bytes read before it was opened (to size the id
    /// sets once for the records it likely holds).
    opened: [AtomicU64; 2],
}

impl std::ops::Deref for Extract {
    type Target = Records;

    fn deref(&self) -> &Records {
        &self.records
    }
}

impl std::ops::DerefMut for Extract {
    fn deref_mut(&mut self) -> &mut Records {
        &mut self.records
    }
}

impl Extract {
    /// An empty extract whose warnings skip the cases in `verified`.
    pub fn new(verified: Verified) -> Self {
        Self { verified, ..Self::default() }
    }

    /// Hands the records over to `send` in batches of about `every` records as they are read,
    /// instead of holding them: the fields of this extract then hold only the batch being
    /// filled. Call [`Extract::end_stream`] after the last file.
    pub fn stream_to(&mut self, every: usize, send: impl FnMut(Records) -> Result<(), String> + Send + 'static) {
        self.sink = Some(Sink { send: Box::new(send), every: every.max(1), failed: None });
    }

    /// Hands over the records still held and lets the sink go (dropping `send`, which closes a
    /// channel it holds); fails if any batch could not be handed over.
    pub fn end_stream(&mut self) -> Result<(), IngestError> {
        self.flush();
        match self.sink.take().and_then(|s| s.failed) {
            None => Ok(()),
            Some(message) => Err(IngestError::Sink { message }),
        }
    }

    /// Hands the records held to the sink, if there is one. The records held are swapped with an
    /// emptied batch the consumer handed back ([`Extract::recycler`]) when there is one, so
    /// that memory is reused rather than taken fresh from the system for every batch.
    fn flush(&mut self) {
        let Some(sink) = &mut self.sink else { return };
        let mut records = self.spare.take.try_recv().unwrap_or_else(|_| {
            // The next batch is likely as large: room for it and some more, so that it does
            // not grow (and copy itself) on the way.
            fn room<T>(v: &[T]) -> Vec<T> {
                Vec::with_capacity(v.len() + v.len() / 4)
            }
            Records {
                patients: room(&self.records.patients),
                tumours: room(&self.records.tumours),
                care_events: room(&self.records.care_events),
                quarantined: room(&self.records.quarantined),
                warnings: room(&self.records.warnings),
                identities: room(&self.records.identities),
            }
        });
        std::mem::swap(&mut records, &mut self.records);
        let t = &mut self.streamed;
        t.patients += records.patients.len() as u64;
        t.tumours += records.tumours.len() as u64;
        t.care_events += records.care_events.len() as u64;
        t.quarantined += records.quarantined.len() as u64;
        t.warnings += records.warnings.len() as u64;
        t.identities += records.identities.len() as u64;
        if sink.failed.is_none()
            && let Err(e) = (sink.send)(records)
        {
            sink.failed = Some(e);
        }
    }

    /// A handle through which the consumer of the batches hands them back once done with them
    /// (emptied by [`Recycler::give`]), to be filled again.
    pub fn recycler(&self) -> Recycler {
        Recycler(self.spare.give.clone())
    }

    /// The number of records held.
    fn held(&self) -> usize {
        self.records.patients.len()
            + self.records.tumours.len()
            + self.records.care_events.len()
            + self.records.quarantined.len()
            + self.records.warnings.len()
            + self.records.identities.len()
    }

    /// The records kept so far: handed to the sink or held.
    pub fn totals(&self) -> Totals {
        let s = self.streamed;
        Totals {
            patients: s.patients + self.records.patients.len() as u64,
            tumours: s.tumours + self.records.tumours.len() as u64,
            care_events: s.care_events + self.records.care_events.len() as u64,
            quarantined: s.quarantined + self.records.quarantined.len() as u64,
            warnings: s.warnings + self.records.warnings.len() as u64,
            identities: s.identities + self.records.identities.len() as u64,
        }
    }

    /// Opens a source file, counting the bytes read into [`Progress::bytes`] and decompressing
    /// it when it is gzip.
    pub fn open(&self, path: &std::path::Path) -> Result<CountedFile, IngestError> {
        use std::io::Seek;
        let io = |e| IngestError::Io { file: path.display().to_string(), source: e };
        let mut file = std::fs::File::open(path).map_err(io)?;
        let size = file.metadata().map_or(0, |m| m.len());
        self.opened[0].store(size, Ordering::Relaxed);
        self.opened[1].store(self.progress.bytes.load(Ordering::Relaxed), Ordering::Relaxed);
        let mut head = [0u8; 2];
        let n = file.read(&mut head).map_err(io)?;
        file.rewind().map_err(io)?;
        let counting = Counting { file, progress: Arc::clone(&self.progress) };
        let inner = if crate::input::is_gzip(&head[..n]) {
            Opened::Gzip(Box::new(flate2::read::MultiGzDecoder::new(counting)))
        } else {
            Opened::Plain(counting)
        };
        Ok(CountedFile { inner })
    }

    /// Counts one record read from the current file; hands a full batch to the sink.
    pub fn read(&mut self) {
        self.current.read += 1;
        self.progress.records.fetch_add(1, Ordering::Relaxed);
        if let Some(sink) = &self.sink
            && self.current.read.is_multiple_of(1024)
            && self.held() >= sink.every
        {
            self.flush();
        }
    }

    /// Keeps a validated tumour record, or quarantines it. `raw` gives the record's text, only
    /// asked for when the record is quarantined.
    pub fn tumour(
        &mut self,
        outcome: Result<Accepted, Rejected>,
        provenance: &Provenance,
        raw: impl FnOnce() -> String,
    ) {
        match outcome {
            Ok(accepted) => self.accept_tumour(accepted, provenance, raw),
            Err((violations, record_id)) => self.quarantine(provenance, record_id, violations, raw()),
        }
    }

    /// Keeps a batch of records checked apart ([`CheckedRows`]), the batch's rows following
    /// every row kept before: a tumour already accepted in this run is quarantined as
    /// `record.duplicate` (`raw` gives the text of the batch's `i`-th row), a patient already
    /// seen is not added again. The batch's accepted records are moved out of it.
    pub fn keep_rows(&mut self, batch: &mut CheckedRows, raw: &dyn Fn(usize) -> String) {
        self.current.read += batch.read;
        self.progress.records.fetch_add(batch.read, Ordering::Relaxed);
        // Per accepted tumour: the record that first brought its id when it is a duplicate, and
        // whether its patient is new.
        let mut first_read = Vec::with_capacity(batch.tumours.len());
        let mut new_patient = Vec::with_capacity(batch.tumours.len());
        if self.tumour_ids.len() + batch.tumours.len() > self.tumour_ids.capacity() {
            self.reserve_ids(batch.tumours.len());
        }
        for (tumour, patient) in batch.tumours.iter().zip(&batch.patients) {
            match self.tumour_ids.entry(tumour.tumour_id.clone()) {
                std::collections::hash_map::Entry::Occupied(first) => {
                    first_read.push(Some(*first.get()));
                    new_patient.push(false);
                }
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(tumour.provenance.record);
                    first_read.push(None);
                    new_patient.push(self.patient_ids.insert(patient.patient_id.clone()));
                }
            }
        }
        for (k, warnings) in std::mem::take(&mut batch.warnings) {
            if first_read[k].is_none() {
                let t = &batch.tumours[k];
                self.warnings_of(&t.provenance, Some(&t.tumour_id), warnings);
            }
        }
        let quarantined_before = self.records.quarantined.len();
        self.current.quarantined += batch.quarantined.len() as u64;
        self.records.quarantined.append(&mut batch.quarantined);
        if first_read.iter().any(Option::is_some) {
            for (k, first) in first_read.iter().enumerate() {
                if let &Some(first) = first {
                    let t = &batch.tumours[k];
                    let violation = duplicate_violation(&t.tumour_id, first);
                    self.quarantine(&t.provenance, Some(t.tumour_id.to_string()), vec![violation], raw(batch.rows[k]));
                }
            }
            // The batch's quarantined records in the order of the file.
            self.records.quarantined[quarantined_before..].sort_by_key(|q| q.provenance.record);
            let mut first = first_read.iter();
            batch.tumours.retain(|_| first.next().is_some_and(Option::is_none));
        }
        self.current.accepted += batch.tumours.len() as u64;
        self.records.tumours.append(&mut batch.tumours);
        let mut new = new_patient.iter();
        batch.patients.retain(|_| new.next().is_some_and(|n| *n));
        self.records.patients.append(&mut batch.patients);
        if let Some(sink) = &self.sink
            && self.held() >= sink.every
        {
            self.flush();
        }
    }

    /// Room in the id sets for the rest of the file being read, at the records per byte read so
    /// far (+10 %), at least for `more`: the sets are sized about once per file instead of
    /// doubling (each doubling rehashes every id into a fresh table; half a million ids per
    /// national extract).
    fn reserve_ids(&mut self, more: usize) {
        let size = self.opened[0].load(Ordering::Relaxed);
        let read = self.progress.bytes.load(Ordering::Relaxed).saturating_sub(self.opened[1].load(Ordering::Relaxed));
        let expected = if read > 0 && size > read {
            let rest = (size - read) as f64 * self.current.read as f64 / read as f64;
            (rest * 1.1) as usize + more
        } else {
            more
        };
        self.tumour_ids.reserve(expected);
        self.patient_ids.reserve(expected);
    }

    /// A `record.duplicate` error if a tumour of this id was already accepted in this run.
    pub fn duplicate_tumour(&self, tumour_id: &str) -> Option<Violation> {
        self.tumour_ids.get(tumour_id).map(|&first| duplicate_violation(tumour_id, first))
    }

    /// Notes an accepted tumour's id (see [`Extract::duplicate_tumour`]).
    fn tumour_accepted(&mut self, tumour_id: &str, provenance: &Provenance) {
        self.tumour_ids.insert(tumour_id.into(), provenance.record);
    }

    /// Adds a tumour accepted with a bundle of others (FHIR), after the caller checked
    /// [`Extract::duplicate_tumour`].
    pub fn push_tumour(&mut self, tumour: Tumour) {
        self.tumour_accepted(&tumour.tumour_id, &tumour.provenance);
        self.records.tumours.push(tumour);
    }

    fn accept_tumour(
        &mut self,
        (patient, tumour, warnings): Accepted,
        provenance: &Provenance,
        raw: impl FnOnce() -> String,
    ) {
        if let Some(duplicate) = self.duplicate_tumour(&tumour.tumour_id) {
            self.quarantine(provenance, Some(tumour.tumour_id.into()), vec![duplicate], raw());
            return;
        }
        self.tumour_accepted(&tumour.tumour_id, provenance);
        self.warnings_of(provenance, Some(&tumour.tumour_id), warnings);
        self.patient(patient);
        self.records.tumours.push(tumour);
        self.current.accepted += 1;
    }

    /// Adds a patient unless one with the same id is already in.
    pub fn patient(&mut self, patient: Patient) {
        if !self.patient_ids.contains(patient.patient_id.as_str()) {
            self.patient_ids.insert(patient.patient_id.clone());
            self.records.patients.push(patient);
        }
    }

    /// Counts a record skipped because it holds no cancer (see [`Counts::skipped`]).
    pub fn skipped(&mut self, _provenance: &Provenance) {
        self.current.skipped += 1;
    }

    /// Counts a record accepted that yields no tumour (a patient row, care events).
    pub fn accepted(&mut self, provenance: &Provenance, record_id: Option<&str>, warnings: Vec<Violation>) {
        self.warnings_of(provenance, record_id, warnings);
        self.current.accepted += 1;
    }

    /// Records warnings of an accepted record, skipping verified ones.
    pub fn warnings_of(&mut self, provenance: &Provenance, record_id: Option<&str>, warnings: Vec<Violation>) {
        for w in warnings {
            if record_id.is_some_and(|id| self.verified.contains(id, w.rule)) {
                self.verified_warnings += 1;
                continue;
            }
            self.current.warnings += 1;
            self.records.warnings.push(Warning {
                provenance: provenance.clone(),
                record_id: record_id.map(str::to_string),
                violation: w,
            });
        }
    }

    /// Quarantines a record.
    pub fn quarantine(
        &mut self,
        provenance: &Provenance,
        record_id: Option<String>,
        violations: Vec<Violation>,
        raw: String,
    ) {
        self.current.quarantined += 1;
        self.records.quarantined.push(QuarantinedRecord { provenance: provenance.clone(), record_id, violations, raw });
    }

    /// Ends the current file: checks read = accepted + quarantined and keeps its counts.
    pub fn finish_file(&mut self, source: &str, file: &str) -> Result<Counts, IngestError> {
        let counts = std::mem::take(&mut self.current);
        counts.check(file)?;
        self.files.push(FileCounts { source: source.to_string(), file: file.to_string(), counts });
        Ok(counts)
    }

    /// The counts summed over every file.
    pub fn counts(&self) -> Counts {
        self.files.iter().fold(Counts::default(), |mut t, f| {
            t.read += f.counts.read;
            t.accepted += f.counts.accepted;
            t.quarantined += f.counts.quarantined;
            t.skipped += f.counts.skipped;
            t.warnings += f.counts.warnings;
            t
        })
    }
}
