//! Loading a source into a warehouse dataset: the reader streams its records in batches to a
//! writer thread that stages them into the dataset, which merges them by record identity when
//! the reading ends (a corrected file re-ingests without duplicating what is in). The caller
//! opens and publishes the snapshot (`Warehouse::begin` and `commit`), so that several sources
//! become visible together.
//!
//! And the data steward's correction of a quarantined record: its corrected text, under its
//! source file's header line, is written beside the warehouse and ingested into the record's
//! dataset in a snapshot of its own; accepted, it leaves the quarantine.

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use chrono::NaiveDate;
use oncodata_warehouse::{DatasetLoad, LoadReport, Warehouse, WarehouseError};

use crate::extract::BATCH;
use crate::mapping::Mapping;
use crate::{Counts, Extract, IngestError, Records, SourceKind, Verified, read_source};

/// Why a load failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The source could not be read.
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// The warehouse could not take the records.
    #[error(transparent)]
    Warehouse(#[from] WarehouseError),
    /// A correction that cannot be made (the record, its source, its text).
    #[error("{0}")]
    Correction(String),
}

/// Reads one source path, catching a reader's panic as an error on that file (nothing of the
/// run is published then).
fn read_guarded(
    kind: SourceKind,
    path: &Path,
    mapping: Option<&Mapping>,
    today: NaiveDate,
    extract: &mut Extract,
) -> Result<(), IngestError> {
    let read =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_source(kind, path, mapping, today, extract)));
    read.unwrap_or_else(|_| {
        Err(IngestError::Layout {
            file: path.display().to_string(),
            message: "reading stopped on an internal error (a bug in oncodata); nothing of this run is published"
                .into(),
        })
    })
}

/// Reads `path` as a source of `kind` into `extract` (its counts, quarantine and warnings) and,
/// with a warehouse, stages its records into `dataset` and merges them; without one (a dry
/// run), the records are read, checked and counted only. `extract.progress` moves as it reads.
pub fn read_into(
    kind: SourceKind,
    path: &Path,
    mapping: Option<&Mapping>,
    today: NaiveDate,
    extract: &mut Extract,
    warehouse: Option<&Warehouse>,
    dataset: &str,
) -> Result<Option<LoadReport>, LoadError> {
    match warehouse {
        None => {
            let recycler = extract.recycler();
            extract.stream_to(BATCH, move |records| {
                recycler.give(records);
                Ok(())
            });
            let read = read_guarded(kind, path, mapping, today, extract);
            read.and(extract.end_stream())?;
            Ok(None)
        }
        Some(w) => std::thread::scope(|scope| -> Result<_, LoadError> {
            let mut load = w.load(dataset)?;
            let (tx, rx) = mpsc::sync_channel::<Records>(1);
            let recycler = extract.recycler();
            let writer = scope.spawn(move || -> Result<DatasetLoad<'_>, WarehouseError> {
                for records in rx {
                    load.write(&records)?;
                    recycler.give(records);
                }
                Ok(load)
            });
            extract.stream_to(BATCH, move |r| tx.send(r).map_err(|_| "the warehouse writer stopped".to_string()));
            let read = read_guarded(kind, path, mapping, today, extract);
            let ended = extract.end_stream();
            // The writer's own error explains a batch it could not take.
            let load = writer.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
            read?;
            ended?;
            Ok(Some(load.finish(extract.files.iter().map(|f| f.file.as_str()))?))
        }),
    }
}

/// A quarantined record to correct, as the quarantine table holds it.
#[derive(Debug, Clone)]
pub struct Quarantined {
    /// The dataset it was loaded into.
    pub dataset: String,
    /// Its source kind's name (`encr-csv`, `naaccr-flat`, `fhir`…).
    pub source: String,
    /// The file it was read from, as the ingest named it.
    pub source_file: String,
    /// Its number in that file.
    pub source_record: i64,
}

/// What a correction did.
#[derive(Debug, Clone)]
pub struct Correction {
    /// The file the corrected record was written to (under `WAREHOUSE/corrections/`).
    pub file: PathBuf,
    /// The corrected file's counts: read = accepted + quarantined.
    pub counts: Counts,
    /// The merge into the dataset.
    pub load: LoadReport,
    /// The snapshot that published it.
    pub snapshot: Option<u64>,
    /// The rules the corrected record still breaks (empty when accepted).
    pub rules: Vec<String>,
}

/// The first line of the source file (the header of a delimited extract), looked for where the
/// ingest named it, then beside the warehouse's folder.
fn header_line(w: &Warehouse, file: &str) -> Result<String, LoadError> {
    use std::io::BufRead;
    let named = PathBuf::from(file);
    let candidates = [named.clone(), w.root().parent().map(|p| p.join(&named)).unwrap_or_default()];
    if let Some(path) = candidates.iter().find(|p| p.is_file()) {
        let mut line = String::new();
        let f = std::fs::File::open(path).map_err(|e| LoadError::Correction(format!("{}: {e}", path.display())))?;
        std::io::BufReader::new(f)
            .read_line(&mut line)
            .map_err(|e| LoadError::Correction(format!("{}: {e}", path.display())))?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    Err(LoadError::Correction(format!(
        "{file}: the source file is not reachable from here; its first line is the header the corrected record is read under"
    )))
}

/// Writes `raw`, the corrected text of `record`, under its source file's header into
/// `WAREHOUSE/corrections/DATASET/` and ingests that file into the record's dataset, in a
/// snapshot of its own. Accepted, the record leaves the quarantine; still rejected, its
/// quarantine entry is replaced by the new verdict. NAACCR XML records (kept as name=value
/// pairs) are corrected in their XML source instead.
pub fn correct(
    w: &Warehouse,
    record: &Quarantined,
    raw: &str,
    verified: Verified,
    keys: Option<std::sync::Arc<oncodata_pseudonym::Pseudonymiser>>,
    actor: &str,
) -> Result<Correction, LoadError> {
    let kind = SourceKind::parse(&record.source)
        .ok_or_else(|| LoadError::Correction(format!("{}: not a source kind oncodata reads", record.source)))?;
    let raw = raw.trim_end_matches(['\r', '\n']);
    if raw.is_empty() || raw.contains('\n') {
        return Err(LoadError::Correction("the corrected record is one line of text".into()));
    }
    let text = match kind {
        SourceKind::NaaccrXml => {
            return Err(LoadError::Correction(
                "NAACCR XML records are quarantined as naaccrId=value pairs: correct them in the XML source and ingest it again"
                    .into(),
            ));
        }
        SourceKind::Fhir | SourceKind::NaaccrFlat => format!("{raw}\n"),
        _ => format!("{}\n{raw}\n", header_line(w, &record.source_file)?),
    };
    let folder = w.root().join("corrections").join(&record.dataset);
    std::fs::create_dir_all(&folder).map_err(|e| LoadError::Correction(format!("{}: {e}", folder.display())))?;
    let stem = Path::new(&record.source_file).file_stem().and_then(|s| s.to_str()).unwrap_or("record");
    let extension = Path::new(&record.source_file).extension().and_then(|s| s.to_str()).unwrap_or("txt");
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3f");
    let file = folder.join(format!("{stem}-record{}-{stamp}.{extension}", record.source_record));
    std::fs::write(&file, text).map_err(|e| LoadError::Correction(format!("{}: {e}", file.display())))?;
    let (today, _) = crate::extract_date(kind, &file)?;
    let mut extract = Extract::new(verified).with_keys(keys);
    w.begin(&format!("correction by {actor} of {}:{} ({})", record.source_file, record.source_record, record.dataset))?;
    // On an error the staged changes are not published (`w` must be a handle of its own).
    let load = read_into(kind, &file, None, today, &mut extract, Some(w), &record.dataset)?.unwrap_or_default();
    w.declare_sources(&record.dataset, &extract.declared)?;
    let snapshot = w.commit()?;
    let name = file.display().to_string().replace('\'', "''");
    let rules = w
        .query(&format!("SELECT rule_ids FROM quarantine WHERE source_file = '{name}'"))?
        .rows()?
        .iter()
        .flat_map(|r| r[0].as_text().split(';').map(str::to_string).collect::<Vec<_>>())
        .filter(|r| !r.is_empty())
        .collect();
    Ok(Correction { file, counts: extract.counts(), load, snapshot, rules })
}
