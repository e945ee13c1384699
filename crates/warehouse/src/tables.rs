//! Writing the model's records as Parquet tables, whole-table replace through a temporary file
//! and a rename (atomic on POSIX file systems).

use std::fmt::Write as _;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use datafusion::arrow::array::{
    ArrayRef, Date32Builder, Float64Builder, Int32Builder, StringBuilder, UInt8Builder, UInt16Builder, UInt64Builder,
};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;
use datafusion::parquet::schema::types::ColumnPath;
use oncodata_model::{
    CareEvent, CauseOfDeathCount, Patient, PatientIdentity, PopulationCount, Provenance, Tumour, schema,
};
use oncodata_model::{QuarantinedRecord, Warning};

use crate::{DataFile, Value, Warehouse, WarehouseError};

fn days(d: NaiveDate) -> i32 {
    d.num_days_from_ce() - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch").num_days_from_ce()
}

/// The four provenance columns.
struct ProvenanceColumns<'d> {
    dataset_name: &'d str,
    dataset: StringBuilder,
    source: StringBuilder,
    file: StringBuilder,
    record: UInt64Builder,
}

impl<'d> ProvenanceColumns<'d> {
    fn new(dataset_name: &'d str) -> Self {
        Self {
            dataset_name,
            dataset: StringBuilder::new(),
            source: StringBuilder::new(),
            file: StringBuilder::new(),
            record: UInt64Builder::new(),
        }
    }

    fn push(&mut self, p: &Provenance) {
        self.dataset.append_value(self.dataset_name);
        self.source.append_value(&p.source);
        self.file.append_value(&p.file);
        self.record.append_value(p.record);
    }

    fn finish(mut self, columns: &mut Vec<ArrayRef>) {
        columns.push(Arc::new(self.dataset.finish()));
        columns.push(Arc::new(self.source.finish()));
        columns.push(Arc::new(self.file.finish()));
        columns.push(Arc::new(self.record.finish()));
    }
}

fn batch(schema: SchemaRef, columns: Vec<ArrayRef>) -> Result<RecordBatch, WarehouseError> {
    Ok(RecordBatch::try_new(schema, columns)?)
}

/// Columns whose values are all or nearly all distinct (identifiers, source text): a
/// dictionary would hold every value once more and cost a hash lookup per row, so they are
/// written plain (then compressed).
const DISTINCT_COLUMNS: [&str; 10] = [
    "tumour_id",
    "patient_id",
    "record_id",
    "source_ids",
    "source_record",
    "raw",
    "nir",
    "claims_id",
    "surname",
    "first_name",
];

/// A Parquet file being written batch by batch, under a temporary name until
/// [`ParquetPart::commit`] renames it, so that readers see the old file or the new one, never a
/// part of it.
pub(crate) struct ParquetPart {
    path: std::path::PathBuf,
    tmp: std::path::PathBuf,
    writer: Option<ArrowWriter<File>>,
    /// Rows written.
    pub(crate) rows: u64,
}

impl ParquetPart {
    /// Starts writing what will become `path`.
    pub(crate) fn create(path: &Path, schema: SchemaRef) -> Result<Self, WarehouseError> {
        let tmp = path.with_extension("parquet.tmp");
        let file = File::create(&tmp).map_err(|e| WarehouseError::Io { path: tmp.display().to_string(), source: e })?;
        // Row groups of 64 Ki rows: the writer holds one in memory before encoding it. zstd at
        // its fastest level: writing is on the critical path of ingest, and level 3 makes the
        // synthetic tumours table only 2.5 % smaller (DuckDB rewriting it at both levels).
        let mut props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(1)?))
            .set_max_row_group_row_count(Some(65_536));
        for column in DISTINCT_COLUMNS {
            props = props.set_column_dictionary_enabled(ColumnPath::from(column), false);
        }
        let props = props.build();
        let writer = ArrowWriter::try_new(file, schema, Some(props))?;
        Ok(Self { path: path.to_path_buf(), tmp, writer: Some(writer), rows: 0 })
    }

    /// Appends a batch.
    pub(crate) fn write(&mut self, batch: &RecordBatch) -> Result<(), WarehouseError> {
        self.rows += batch.num_rows() as u64;
        self.writer.as_mut().expect("not yet committed").write(batch)?;
        Ok(())
    }

    /// Finishes the file, syncs it and renames it into place; returns its size in bytes.
    pub(crate) fn commit(mut self) -> Result<u64, WarehouseError> {
        let io = |e: std::io::Error| WarehouseError::Io { path: self.tmp.display().to_string(), source: e };
        let file = self.writer.take().expect("not yet committed").into_inner()?;
        file.sync_all().map_err(io)?;
        let bytes = file.metadata().map_err(io)?.len();
        std::fs::rename(&self.tmp, &self.path).map_err(io)?;
        // The rename itself must reach the disk before a snapshot lists the file.
        if let Some(dir) = self.path.parent() {
            crate::snapshots::sync_dir(dir)?;
        }
        Ok(bytes)
    }

    /// Commits the file as the data file `rel` (its path relative to the warehouse) of a
    /// snapshot.
    pub(crate) fn commit_as(self, rel: String, dataset: Option<&str>) -> Result<DataFile, WarehouseError> {
        let rows = self.rows;
        let bytes = self.commit()?;
        Ok(DataFile { path: rel, dataset: dataset.map(str::to_string), rows, bytes })
    }
}

impl Drop for ParquetPart {
    /// A part never committed (an error on the way) leaves no temporary file behind.
    fn drop(&mut self) {
        if self.writer.is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

impl Warehouse {
    /// Replaces a whole table by one new file (reference and derived tables).
    pub(crate) fn write_table(&self, name: &str, batch: RecordBatch) -> Result<(), WarehouseError> {
        let (rel, abs) = self.new_file(name, None)?;
        let mut part = ParquetPart::create(&abs, batch.schema())?;
        part.write(&batch)?;
        let file = part.commit_as(rel, None)?;
        self.stage_whole_table(name, file)
    }

    /// Replaces a derived table (`persons`, `link_review`…) with rows of values, for the
    /// crates that compute tables without Arrow types. Each column's type is that of its values:
    /// text (UTF-8), integers (Int64), floats (Float64) or booleans; `Null` anywhere.
    pub fn write_rows(&self, name: &str, columns: &[&str], rows: &[Vec<Value>]) -> Result<(), WarehouseError> {
        self.write_table(name, batch_of_values(columns, rows)?)
    }
}

/// Rows of values as one Arrow batch, each column typed by its values (see
/// [`Warehouse::write_rows`]).
pub(crate) fn batch_of_values(columns: &[&str], rows: &[Vec<Value>]) -> Result<RecordBatch, WarehouseError> {
    use datafusion::arrow::array::{BooleanBuilder, Int64Builder};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(columns.len());
    let mut fields = Vec::with_capacity(columns.len());
    for (c, name) in columns.iter().enumerate() {
        let cell = |r: &Vec<Value>| r.get(c).cloned().unwrap_or(Value::Null);
        let kind = rows.iter().map(cell).find(|v| *v != Value::Null);
        let mismatch = |v: &Value| WarehouseError::Query(format!("column {name}: {v:?} among values of another type"));
        let (array, data_type): (ArrayRef, DataType) = match kind {
            Some(Value::Int(_)) => {
                let mut b = Int64Builder::new();
                for v in rows.iter().map(cell) {
                    match v {
                        Value::Int(i) => b.append_value(i),
                        Value::Null => b.append_null(),
                        other => return Err(mismatch(&other)),
                    }
                }
                (Arc::new(b.finish()), DataType::Int64)
            }
            Some(Value::Float(_)) => {
                let mut b = Float64Builder::new();
                for v in rows.iter().map(cell) {
                    match v {
                        Value::Float(f) => b.append_value(f),
                        Value::Int(i) => b.append_value(i as f64),
                        Value::Null => b.append_null(),
                        other => return Err(mismatch(&other)),
                    }
                }
                (Arc::new(b.finish()), DataType::Float64)
            }
            Some(Value::Bool(_)) => {
                let mut b = BooleanBuilder::new();
                for v in rows.iter().map(cell) {
                    match v {
                        Value::Bool(x) => b.append_value(x),
                        Value::Null => b.append_null(),
                        other => return Err(mismatch(&other)),
                    }
                }
                (Arc::new(b.finish()), DataType::Boolean)
            }
            _ => {
                let mut b = StringBuilder::new();
                for v in rows.iter().map(cell) {
                    match v {
                        Value::Null => b.append_null(),
                        other => b.append_value(other.as_text()),
                    }
                }
                (Arc::new(b.finish()), DataType::Utf8)
            }
        };
        arrays.push(array);
        fields.push(Field::new(*name, data_type, true));
    }
    let schema = Arc::new(Schema::new(fields));
    batch(schema, arrays)
}

/// The `patients` rows of a dataset as an Arrow batch.
pub(crate) fn patients_batch(dataset: &str, rows: &[Patient]) -> Result<RecordBatch, WarehouseError> {
    let (mut id, mut sex, mut birth, mut birth_year) =
        (StringBuilder::new(), StringBuilder::new(), StringBuilder::new(), Int32Builder::new());
    let (mut dep, mut commune, mut vital) = (StringBuilder::new(), StringBuilder::new(), StringBuilder::new());
    let (mut last, mut death, mut cause) = (Date32Builder::new(), Date32Builder::new(), StringBuilder::new());
    let mut prov = ProvenanceColumns::new(dataset);
    for p in rows {
        id.append_value(&p.patient_id);
        sex.append_value(p.sex.label());
        // Written into the column's buffer, then ended as a value.
        let _ = write!(birth, "{}", p.birth_date);
        birth.append_value("");
        birth_year.append_value(p.birth_date.year);
        dep.append_option(p.departement.as_deref());
        commune.append_option(p.commune.as_deref());
        vital.append_value(p.vital_status.label());
        last.append_option(p.last_contact.map(days));
        death.append_option(p.death_date.map(days));
        cause.append_option(p.cause_of_death.as_deref());
        prov.push(&p.provenance);
    }
    let mut cols: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(sex.finish()),
        Arc::new(birth.finish()),
        Arc::new(birth_year.finish()),
        Arc::new(dep.finish()),
        Arc::new(commune.finish()),
        Arc::new(vital.finish()),
        Arc::new(last.finish()),
        Arc::new(death.finish()),
        Arc::new(cause.finish()),
    ];
    prov.finish(&mut cols);
    batch(schema::patients(), cols)
}

/// The `tumours` rows of a dataset as an Arrow batch.
pub(crate) fn tumours_batch(dataset: &str, rows: &[Tumour]) -> Result<RecordBatch, WarehouseError> {
    let mut s: Vec<StringBuilder> = (0..4).map(|_| StringBuilder::new()).collect();
    let (mut beh, mut grade, mut lat, mut bod) =
        (UInt8Builder::new(), UInt8Builder::new(), UInt8Builder::new(), UInt8Builder::new());
    let (mut date, mut year, mut age) = (Date32Builder::new(), Int32Builder::new(), UInt16Builder::new());
    let mut t: Vec<StringBuilder> = (0..16).map(|_| StringBuilder::new()).collect();
    let mut prov = ProvenanceColumns::new(dataset);
    for r in rows {
        s[0].append_value(&r.tumour_id);
        s[1].append_value(&r.patient_id);
        s[2].append_value(&r.topography);
        s[3].append_value(&r.morphology);
        beh.append_value(r.behaviour);
        grade.append_option(r.grade);
        lat.append_option(r.laterality);
        bod.append_option(r.basis_of_diagnosis);
        date.append_value(days(r.incidence_date));
        year.append_value(r.incidence_date.year());
        age.append_value(r.age_at_diagnosis);
        for (b, v) in t.iter_mut().zip([&r.tnm_t, &r.tnm_n, &r.tnm_m, &r.stage, &r.icd10, &r.iccc, &r.site_group]) {
            b.append_option(v.as_deref());
        }
        t[7].append_value(&r.source_ids);
        t[8].append_value(&r.incidence_date_precision);
        let more = [
            &r.grade_code,
            &r.grade_scheme,
            &r.sequence_number,
            &r.tnm_basis,
            &r.tnm_edition,
            &r.summary_stage,
            &r.summary_stage_scheme,
        ];
        for (b, v) in t[9..].iter_mut().zip(more) {
            b.append_option(v.as_deref());
        }
        prov.push(&r.provenance);
    }
    let mut cols: Vec<ArrayRef> = s.into_iter().map(|mut b| Arc::new(b.finish()) as ArrayRef).collect();
    cols.extend([
        Arc::new(beh.finish()) as ArrayRef,
        Arc::new(grade.finish()),
        Arc::new(lat.finish()),
        Arc::new(bod.finish()),
        Arc::new(date.finish()),
        Arc::new(year.finish()),
        Arc::new(age.finish()),
    ]);
    cols.extend(t.into_iter().map(|mut b| Arc::new(b.finish()) as ArrayRef));
    prov.finish(&mut cols);
    batch(schema::tumours(), cols)
}

impl Warehouse {
    /// The `population` table's rows (none when the warehouse has no population).
    pub fn population(&self) -> Result<Vec<PopulationCount>, WarehouseError> {
        if !self.tables()?.iter().any(|t| t == "population") {
            return Ok(Vec::new());
        }
        let result = self.query("SELECT area, year, sex, age_group, persons FROM population")?;
        let mut rows = Vec::with_capacity(result.num_rows());
        for r in result.rows()? {
            let sex = oncodata_model::Sex::parse(&r[2].as_text())
                .ok_or_else(|| WarehouseError::Query(format!("population: sex '{}'", r[2].as_text())))?;
            rows.push(PopulationCount {
                area: r[0].as_text(),
                year: r[1].as_f64().unwrap_or_default() as i32,
                sex,
                age_group: r[3].as_text(),
                persons: r[4].as_f64().unwrap_or_default(),
            });
        }
        Ok(rows)
    }

    /// Adds population rows to the `population` table: a row of the same area, year, sex and
    /// age group as one already there replaces it; the rest of the table is kept (a registry's
    /// denominators do not remove another's).
    pub fn merge_population(&self, rows: &[PopulationCount]) -> Result<usize, WarehouseError> {
        let key = |p: &PopulationCount| (p.area.clone(), p.year, p.sex.code(), p.age_group.clone());
        let new: std::collections::HashSet<_> = rows.iter().map(key).collect();
        let mut all: Vec<PopulationCount> = self.population()?.into_iter().filter(|p| !new.contains(&key(p))).collect();
        let replaced_or_kept = all.len();
        all.extend(rows.iter().cloned());
        self.write_population(&all)?;
        Ok(replaced_or_kept)
    }

    /// The `mortality` table's rows (none when no mortality source was loaded).
    pub fn mortality(&self) -> Result<Vec<CauseOfDeathCount>, WarehouseError> {
        if !self.tables()?.iter().any(|t| t == "mortality") {
            return Ok(Vec::new());
        }
        let result = self.query("SELECT area, year, sex, age_group, cause, site_group, deaths FROM mortality")?;
        let mut rows = Vec::with_capacity(result.num_rows());
        for r in result.rows()? {
            let sex = oncodata_model::Sex::parse(&r[2].as_text())
                .ok_or_else(|| WarehouseError::Query(format!("mortality: sex '{}'", r[2].as_text())))?;
            rows.push(CauseOfDeathCount {
                area: r[0].as_text(),
                year: r[1].as_f64().unwrap_or_default() as i32,
                sex,
                age_group: r[3].as_text(),
                cause: r[4].as_text(),
                site_group: (r[5] != Value::Null).then(|| r[5].as_text()),
                deaths: r[6].as_f64().unwrap_or_default() as u64,
            });
        }
        Ok(rows)
    }

    /// Adds cause-of-death rows to the `mortality` table: the rows of an area and year that the
    /// new rows cover replace the earlier ones of that area and year (a corrected file replaces
    /// its year); other areas and years are kept. Returns the rows kept from before.
    pub fn merge_mortality(&self, rows: &[CauseOfDeathCount]) -> Result<usize, WarehouseError> {
        let new: std::collections::HashSet<(&str, i32)> = rows.iter().map(|r| (r.area.as_str(), r.year)).collect();
        let mut all: Vec<CauseOfDeathCount> =
            self.mortality()?.into_iter().filter(|r| !new.contains(&(r.area.as_str(), r.year))).collect();
        let kept = all.len();
        all.extend(rows.iter().cloned());
        let (mut area, mut year, mut sex, mut age, mut cause, mut group, mut deaths) = (
            StringBuilder::new(),
            Int32Builder::new(),
            StringBuilder::new(),
            StringBuilder::new(),
            StringBuilder::new(),
            StringBuilder::new(),
            UInt64Builder::new(),
        );
        for r in &all {
            area.append_value(&r.area);
            year.append_value(r.year);
            sex.append_value(r.sex.label());
            age.append_value(&r.age_group);
            cause.append_value(&r.cause);
            group.append_option(r.site_group.as_deref());
            deaths.append_value(r.deaths);
        }
        let cols: Vec<ArrayRef> = vec![
            Arc::new(area.finish()),
            Arc::new(year.finish()),
            Arc::new(sex.finish()),
            Arc::new(age.finish()),
            Arc::new(cause.finish()),
            Arc::new(group.finish()),
            Arc::new(deaths.finish()),
        ];
        self.write_table("mortality", batch(schema::mortality(), cols)?)?;
        Ok(kept)
    }

    /// Declares what registry datasets cover, in the `coverage` table (one row per dataset and
    /// area, with the first and last years of diagnosis covered): each dataset named replaces
    /// its earlier declaration, the others' are kept.
    pub fn declare_coverage(&self, declared: &[oncodata_model::Coverage]) -> Result<(), WarehouseError> {
        let mut rows: Vec<Vec<Value>> = Vec::new();
        if self.tables()?.iter().any(|t| t == "coverage") {
            let names: Vec<&str> = declared.iter().map(|c| c.dataset.as_str()).collect();
            for r in self.query("SELECT dataset, area, first_year, last_year FROM coverage")?.rows()? {
                if !names.contains(&r[0].as_text().as_str()) {
                    rows.push(r);
                }
            }
        }
        for c in declared {
            for area in &c.areas {
                let (first, last) = (Value::Int(c.first_year.into()), Value::Int(c.last_year.into()));
                rows.push(vec![Value::Text(c.dataset.clone()), Value::Text(area.clone()), first, last]);
            }
        }
        self.write_rows("coverage", &["dataset", "area", "first_year", "last_year"], &rows)
    }

    /// Keeps what a dataset's files declare about themselves (a NAACCR file's registry id,
    /// dictionary, record type, time generated) in the `source_declarations` table (dataset,
    /// file, item, value): the declarations of the files named replace their earlier ones.
    pub fn declare_sources(&self, dataset: &str, declared: &[(String, String, String)]) -> Result<(), WarehouseError> {
        if declared.is_empty() {
            return Ok(());
        }
        let files: Vec<&str> = declared.iter().map(|(f, _, _)| f.as_str()).collect();
        let mut rows: Vec<Vec<Value>> = Vec::new();
        if self.tables()?.iter().any(|t| t == "source_declarations") {
            for r in self.query("SELECT dataset, file, item, value FROM source_declarations")?.rows()? {
                if !(r[0].as_text() == dataset && files.contains(&r[1].as_text().as_str())) {
                    rows.push(r);
                }
            }
        }
        for (file, item, value) in declared {
            rows.push([dataset, file, item, value].map(|t| Value::Text(t.to_string())).to_vec());
        }
        self.write_rows("source_declarations", &["dataset", "file", "item", "value"], &rows)
    }

    /// Replaces the `population` table.
    pub fn write_population(&self, rows: &[PopulationCount]) -> Result<(), WarehouseError> {
        let (mut area, mut year, mut sex, mut age, mut persons) = (
            StringBuilder::new(),
            Int32Builder::new(),
            StringBuilder::new(),
            StringBuilder::new(),
            Float64Builder::new(),
        );
        for r in rows {
            area.append_value(&r.area);
            year.append_value(r.year);
            sex.append_value(r.sex.label());
            age.append_value(&r.age_group);
            persons.append_value(r.persons);
        }
        let cols: Vec<ArrayRef> = vec![
            Arc::new(area.finish()),
            Arc::new(year.finish()),
            Arc::new(sex.finish()),
            Arc::new(age.finish()),
            Arc::new(persons.finish()),
        ];
        self.write_table("population", batch(schema::population(), cols)?)
    }

    /// Replaces the `life_table` table.
    pub fn write_life_table(&self, rows: &[oncodata_model::LifeTableEntry]) -> Result<(), WarehouseError> {
        let (mut age, mut sex, mut year, mut hazard) =
            (UInt16Builder::new(), StringBuilder::new(), Int32Builder::new(), Float64Builder::new());
        for r in rows {
            age.append_value(r.age);
            sex.append_value(r.sex.label());
            year.append_value(r.year);
            hazard.append_value(r.hazard);
        }
        let cols: Vec<ArrayRef> =
            vec![Arc::new(age.finish()), Arc::new(sex.finish()), Arc::new(year.finish()), Arc::new(hazard.finish())];
        self.write_table("life_table", batch(schema::life_table(), cols)?)
    }
}

/// The `quarantine` rows of a dataset as an Arrow batch.
pub(crate) fn quarantine_batch(dataset: &str, rows: &[QuarantinedRecord]) -> Result<RecordBatch, WarehouseError> {
    let mut s: Vec<StringBuilder> = (0..4).map(|_| StringBuilder::new()).collect();
    let mut prov = ProvenanceColumns::new(dataset);
    for q in rows {
        s[0].append_option(q.record_id.as_deref());
        s[1].append_value(q.rule_ids());
        s[2].append_value(q.messages());
        s[3].append_value(&q.raw);
        prov.push(&q.provenance);
    }
    let mut cols: Vec<ArrayRef> = s.into_iter().map(|mut b| Arc::new(b.finish()) as ArrayRef).collect();
    prov.finish(&mut cols);
    batch(schema::quarantine(), cols)
}

/// The `warnings` rows of a dataset as an Arrow batch.
pub(crate) fn warnings_batch(dataset: &str, rows: &[Warning]) -> Result<RecordBatch, WarehouseError> {
    let mut s: Vec<StringBuilder> = (0..3).map(|_| StringBuilder::new()).collect();
    let mut prov = ProvenanceColumns::new(dataset);
    for w in rows {
        s[0].append_option(w.record_id.as_deref());
        s[1].append_value(w.violation.rule);
        s[2].append_value(&w.violation.message);
        prov.push(&w.provenance);
    }
    let mut cols: Vec<ArrayRef> = s.into_iter().map(|mut b| Arc::new(b.finish()) as ArrayRef).collect();
    prov.finish(&mut cols);
    batch(schema::warnings(), cols)
}

/// The `identities` rows of a dataset as an Arrow batch.
pub(crate) fn identities_batch(dataset: &str, rows: &[PatientIdentity]) -> Result<RecordBatch, WarehouseError> {
    let mut s: Vec<StringBuilder> = (0..9).map(|_| StringBuilder::new()).collect();
    let mut prov = ProvenanceColumns::new(dataset);
    for i in rows {
        s[0].append_value(&i.patient_id);
        s[1].append_option(i.nir.as_deref());
        s[2].append_option(i.claims_id.as_deref());
        s[3].append_option(i.surname.as_deref());
        s[4].append_option(i.first_name.as_deref());
        s[5].append_option(i.birth_date.map(|d| d.to_string()));
        s[6].append_value(i.sex.label());
        s[7].append_option(i.departement.as_deref());
        s[8].append_value(&i.key_id);
        prov.push(&i.provenance);
    }
    let mut cols: Vec<ArrayRef> = s.into_iter().map(|mut b| Arc::new(b.finish()) as ArrayRef).collect();
    prov.finish(&mut cols);
    batch(schema::identities(), cols)
}

/// The `care_events` rows of a dataset as an Arrow batch.
pub(crate) fn care_events_batch(dataset: &str, rows: &[CareEvent]) -> Result<RecordBatch, WarehouseError> {
    let (mut patient, mut tumour, mut kind) = (StringBuilder::new(), StringBuilder::new(), StringBuilder::new());
    let (mut date, mut provider, mut code) = (Date32Builder::new(), StringBuilder::new(), StringBuilder::new());
    let mut prov = ProvenanceColumns::new(dataset);
    for e in rows {
        patient.append_value(&e.patient_id);
        tumour.append_option(e.tumour_id.as_deref());
        kind.append_value(e.kind.label());
        date.append_value(days(e.date));
        provider.append_option(e.provider.as_deref());
        code.append_option(e.code.as_deref());
        prov.push(&e.provenance);
    }
    let mut cols: Vec<ArrayRef> = vec![
        Arc::new(patient.finish()),
        Arc::new(tumour.finish()),
        Arc::new(kind.finish()),
        Arc::new(date.finish()),
        Arc::new(provider.finish()),
        Arc::new(code.finish()),
    ];
    prov.finish(&mut cols);
    batch(schema::care_events(), cols)
}
