//! The warehouse: the platform's tables as Parquet files under one directory, queried in SQL
//! with Apache DataFusion. This crate is the only one that depends on DataFusion; the others
//! talk to it through [`Warehouse`] and [`QueryResult`], which expose no Arrow types.
//!
//! Tables: the record tables `patients`, `tumours`, `care_events`, `quarantine`, `warnings` and
//! `identities` (pseudonymised) as one Parquet file per dataset (see
//! [`Warehouse::load_dataset`]); the reference tables `population` and `life_table`, and the
//! linkage's `persons`, `person_records`, `link_review`, `primaries` and `primary_tumours`, as
//! one file each. Which files make up each table is said by the current **snapshot**
//! ([`snapshots`]): every change writes new files under `DIR/tables/` and publishes a new
//! manifest `DIR/snapshots/<n>.json`, so a change is visible whole or not at all and every
//! earlier version stays readable ([`Warehouse::open_as_of`]) until pruned. Schemas in
//! `oncodata_model::schema`.
//!
//! SQL functions registered beside DataFusion's own ([`functions`]): `age_group(age)`,
//! `icd10(topography, morphology, behaviour)`, `iccc(…)`, `site_group(…)`.

pub mod cluster;
mod datasets;
pub mod functions;
mod query;
mod rewrite;
mod shape;
pub mod snapshots;
mod tables;
mod versions;

use std::path::{Path, PathBuf};

use datafusion::prelude::{ParquetReadOptions, SessionContext};

pub use datasets::{DatasetLoad, LoadReport, RECORD_TABLES, valid_dataset_name};
pub use query::{QueryResult, Value};
pub use rewrite::{RewriteReport, RowRewrite};
pub use shape::{ColumnRole, ResultShape};
pub use snapshots::{DataFile, PruneReport, Retention, Snapshot};

/// Why a warehouse operation failed.
#[derive(Debug, thiserror::Error)]
pub enum WarehouseError {
    /// A file of the warehouse could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// DataFusion, Arrow or Parquet refused (SQL errors land here with DataFusion's message).
    #[error("{0}")]
    Query(String),
}

/// The tables no user SQL may read: the pseudonymised identities (keyed name encodings, which
/// only linkage reads). The quarantine stays readable by the data steward who runs the command
/// line; a researcher's project view (a later issue) leaves it out too.
pub const HIDDEN_TABLES: [&str; 1] = ["identities"];

/// The tables a user's SQL may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    /// Every table but [`HIDDEN_TABLES`]: the data steward who runs the command line.
    Steward,
    /// A named set of tables (a project's, granted by the committee): nothing else, and never
    /// [`HIDDEN_TABLES`] even if listed.
    Named {
        /// The view's name, quoted in refusals.
        name: String,
        /// The tables it holds.
        tables: Vec<String>,
    },
}

impl View {
    /// Whether a user's statement may read `table` (the catalogue, `information_schema`, always).
    fn allows(&self, table: &datafusion::common::TableReference) -> bool {
        if table.schema() == Some("information_schema") {
            return true;
        }
        let name = table.table();
        !HIDDEN_TABLES.contains(&name)
            && match self {
                View::Steward => true,
                View::Named { tables, .. } => tables.iter().any(|t| t == name),
            }
    }

    fn describe(&self) -> String {
        match self {
            View::Steward => format!("the steward's view (every table but {})", HIDDEN_TABLES.join(", ")),
            View::Named { name, tables } => format!("view {name} ({})", tables.join(", ")),
        }
    }
}

/// The plan of a user's statement, checked: read-only, on the tables of `view`.
async fn user_plan(
    ctx: &SessionContext,
    sql: &str,
    view: &View,
) -> Result<datafusion::logical_expr::LogicalPlan, WarehouseError> {
    use datafusion::common::tree_node::TreeNodeRecursion;
    use datafusion::execution::context::SQLOptions;
    use datafusion::logical_expr::LogicalPlan;
    let plan = ctx.state().create_logical_plan(sql).await?;
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
        .verify_plan(&plan)
        .map_err(|e| WarehouseError::Query(format!("read-only SQL: {e}")))?;
    let mut outside = None;
    plan.apply_with_subqueries(|p| {
        if let LogicalPlan::TableScan(scan) = p
            && !view.allows(&scan.table_name)
        {
            outside = Some(scan.table_name.table().to_string());
            return Ok(TreeNodeRecursion::Stop);
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    match outside {
        Some(table) => Err(WarehouseError::Query(format!("table {table} is not in {}", view.describe()))),
        None => Ok(plan),
    }
}

/// A row filter given by a user (`survival --where "site_group = 'lung' AND year >= 2015"`),
/// parsed as one SQL expression and checked: only the `columns` named, no subquery, no table.
/// Returns the expression written back from its parse, which is what the caller may put in a
/// `WHERE` clause: the user's text itself never is.
pub fn checked_filter(text: &str, columns: &[&str]) -> Result<String, WarehouseError> {
    use datafusion::sql::sqlparser::ast::{Expr, Visit, Visitor};
    use datafusion::sql::sqlparser::dialect::GenericDialect;
    use datafusion::sql::sqlparser::parser::Parser;
    use std::ops::ControlFlow;
    let bad = |why: String| WarehouseError::Query(format!("filter \"{text}\": {why}"));
    let expr = Parser::new(&GenericDialect {})
        .try_with_sql(text)
        .and_then(|mut p| {
            let e = p.parse_expr()?;
            p.expect_token(&datafusion::sql::sqlparser::tokenizer::Token::EOF)?;
            Ok(e)
        })
        .map_err(|e| bad(format!("not one SQL condition ({e})")))?;
    struct Check<'c> {
        columns: &'c [&'c str],
        problem: Option<String>,
    }
    impl Visitor for Check<'_> {
        type Break = ();
        fn pre_visit_relation(&mut self, relation: &datafusion::sql::sqlparser::ast::ObjectName) -> ControlFlow<()> {
            self.problem = Some(format!("reads the table {relation}"));
            ControlFlow::Break(())
        }
        fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
            match expr {
                Expr::Subquery(_) | Expr::Exists { .. } | Expr::InSubquery { .. } => {
                    self.problem = Some("has a subquery".into());
                    ControlFlow::Break(())
                }
                Expr::Identifier(id) if !self.columns.contains(&id.value.as_str()) => {
                    self.problem = Some(format!("names {}, not one of {}", id.value, self.columns.join(", ")));
                    ControlFlow::Break(())
                }
                Expr::CompoundIdentifier(ids) => {
                    self.problem = Some(format!(
                        "names {}: give a column alone ({})",
                        ids.iter().map(|i| i.value.as_str()).collect::<Vec<_>>().join("."),
                        self.columns.join(", ")
                    ));
                    ControlFlow::Break(())
                }
                _ => ControlFlow::Continue(()),
            }
        }
    }
    let mut check = Check { columns, problem: None };
    let _ = expr.visit(&mut check);
    match check.problem {
        Some(why) => Err(bad(why)),
        None => Ok(expr.to_string()),
    }
}

impl From<datafusion::error::DataFusionError> for WarehouseError {
    fn from(e: datafusion::error::DataFusionError) -> Self {
        Self::Query(e.to_string())
    }
}

impl From<datafusion::arrow::error::ArrowError> for WarehouseError {
    fn from(e: datafusion::arrow::error::ArrowError) -> Self {
        Self::Query(e.to_string())
    }
}

impl From<datafusion::parquet::errors::ParquetError> for WarehouseError {
    fn from(e: datafusion::parquet::errors::ParquetError) -> Self {
        Self::Query(e.to_string())
    }
}

/// Reads a user's own Parquet file whole, column by column: the column names and each column's
/// values in the file's row order (Arrow types mapped to [`Value`] as query results map them).
/// Read on the calling thread, without a query engine: the row groups one after the other.
pub fn read_parquet(path: &Path) -> Result<(Vec<String>, Vec<Vec<Value>>), WarehouseError> {
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| WarehouseError::Io { path: name.clone(), source: e })?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.with_batch_size(65_536).build())
        .map_err(|e| WarehouseError::Query(format!("{name}: {e}")))?;
    let names: Vec<String> = datafusion::arrow::record_batch::RecordBatchReader::schema(&reader)
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let mut columns: Vec<Vec<Value>> = vec![Vec::new(); names.len()];
    for batch in reader {
        let batch = batch.map_err(|e| WarehouseError::Query(format!("{name}: {e}")))?;
        for (column, array) in columns.iter_mut().zip(batch.columns()) {
            column.extend(query::column_values(array.as_ref())?);
        }
    }
    Ok((names, columns))
}

/// A warehouse directory.
pub struct Warehouse {
    root: PathBuf,
    /// The runtime of the blocking facade ([`Warehouse::block_on`] and the functions that use
    /// it); the `async` functions run on their caller's runtime. `None` only while dropping.
    runtime: Option<tokio::runtime::Runtime>,
    /// The DataFusion session of the tables as last read, with the generation of the tables
    /// it registers; reused across queries until the tables change.
    session: std::sync::Mutex<Option<(u64, SessionContext)>>,
    /// The snapshot read and the changes staged on it.
    versions: std::sync::Mutex<versions::Versions>,
    /// The most memory a query may hold (bytes); sorts, joins and aggregations spill to disk
    /// beyond it. `None`: no limit.
    memory_limit: Option<usize>,
    /// The Ballista scheduler queries run on (`df://host:port`); `None`: the embedded engine.
    ballista: Option<String>,
}

/// A file format for [`Warehouse::export`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Apache Parquet (R arrow, pandas and polars read it with its types).
    Parquet,
    /// CSV with a header.
    Csv,
    /// A JSON array of objects, as `QueryResult::to_json`.
    Json,
}

impl Warehouse {
    /// Opens the warehouse at `root` on its latest snapshot, creating the directory if needed.
    /// A warehouse written before snapshots has its tables adopted as snapshot 1.
    pub fn open(root: &Path) -> Result<Self, WarehouseError> {
        let w = Self::open_on(root, None)?;
        if w.snapshot().is_none() {
            w.adopt_legacy_tables()?;
        }
        Ok(w)
    }

    /// Opens the warehouse at `root` as it was at snapshot `id`, read-only.
    pub fn open_as_of(root: &Path, id: u64) -> Result<Self, WarehouseError> {
        if !root.is_dir() {
            return Err(WarehouseError::Io {
                path: root.display().to_string(),
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            });
        }
        Self::open_on(root, Some(id))
    }

    fn open_on(root: &Path, as_of: Option<u64>) -> Result<Self, WarehouseError> {
        let tables = root.join("tables");
        std::fs::create_dir_all(&tables)
            .map_err(|e| WarehouseError::Io { path: tables.display().to_string(), source: e })?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| WarehouseError::Io { path: root.display().to_string(), source: e })?;
        let base = match as_of {
            Some(id) => snapshots::read(root, id)?,
            None => snapshots::latest(root)?,
        };
        let versions = versions::Versions { base, pending: None, generation: 0, read_only: as_of.is_some() };
        Ok(Self {
            root: root.to_path_buf(),
            runtime: Some(runtime),
            session: std::sync::Mutex::new(None),
            versions: std::sync::Mutex::new(versions),
            memory_limit: None,
            ballista: None,
        })
    }

    /// Limits the memory of every later query to `bytes`: DataFusion's fair spill pool shares it
    /// between the query's operators, and sorts, hash joins and aggregations spill to files in
    /// the system's temporary folder beyond it; an operator that cannot spill fails with
    /// "Resources exhausted", naming the largest consumers.
    pub fn with_memory_limit(mut self, bytes: Option<usize>) -> Self {
        self.memory_limit = bytes;
        *self.session.lock().expect("session lock") = None;
        self
    }

    /// Runs every later query on the Apache Ballista scheduler at `url` (`df://host:port`, see
    /// [`cluster`]) instead of the embedded engine; `None` goes back to the embedded engine. The
    /// executors read the snapshot's files by their absolute paths.
    pub fn with_ballista(mut self, url: Option<String>) -> Self {
        self.ballista = url;
        *self.session.lock().expect("session lock") = None;
        self
    }

    /// The warehouse directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The tables present (with at least one file), sorted.
    pub fn tables(&self) -> Result<Vec<String>, WarehouseError> {
        Ok(self.view().1.into_iter().filter(|(_, f)| !f.is_empty()).map(|(n, _)| n).collect())
    }

    /// The rows of a table in the snapshot read (0 for a table that is absent), from the
    /// snapshot's file list: no query. An analysis leaves out a join to an empty table, which an
    /// Apache Ballista 55 cluster never finishes (a stage with empty shuffle partitions).
    pub fn rows(&self, table: &str) -> u64 {
        self.view().1.get(table).map_or(0, |files| files.iter().map(|f| f.rows).sum())
    }

    /// A DataFusion session with every table and the platform's functions registered. DataFusion
    /// settings can be tuned with `DATAFUSION_*` environment variables, as in DataFusion's own
    /// CLI. Unless set, queries run in four partitions per core: on the 2-core machine this
    /// overlaps Parquet decoding with the hash joins on pseudonymous ids and measured 20 % faster
    /// than one per core on the national incidence aggregation (bench/incidence.sh).
    async fn session(&self, tables: &snapshots::TableFiles) -> Result<SessionContext, WarehouseError> {
        // information_schema: SHOW TABLES, SHOW COLUMNS and the shell's \d.
        let mut config = datafusion::prelude::SessionConfig::from_env()?.with_information_schema(true);
        if std::env::var_os("DATAFUSION_EXECUTION_TARGET_PARTITIONS").is_none() {
            let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
            config = config.with_target_partitions(4 * cores);
        }
        let ctx = match (&self.ballista, self.memory_limit) {
            (Some(url), _) => {
                use ballista::prelude::SessionContextExt;
                // The executors' memory is their own (`oncodata cluster executor`); information_schema
                // is on in Ballista's session configuration.
                let url = if url.contains("://") { url.clone() } else { format!("df://{url}") };
                SessionContext::remote(&url).await?
            }
            (None, limit) => match limit {
                Some(bytes) => {
                    use datafusion::execution::memory_pool::{FairSpillPool, TrackConsumersPool};
                    let pool =
                        TrackConsumersPool::new(FairSpillPool::new(bytes), std::num::NonZeroUsize::new(5).expect("5"));
                    let runtime = datafusion::execution::runtime_env::RuntimeEnvBuilder::new()
                        .with_memory_pool(std::sync::Arc::new(pool))
                        .build_arc()?;
                    SessionContext::new_with_config_rt(config, runtime)
                }
                None => SessionContext::new_with_config(config),
            },
        };
        functions::register(&ctx);
        for (name, files) in tables.iter().filter(|(_, f)| !f.is_empty()) {
            self.register(&ctx, name, files).await?;
        }
        Ok(ctx)
    }

    /// Registers a table made of `files` (a Parquet listing table over exactly these files).
    async fn register(&self, ctx: &SessionContext, name: &str, files: &[DataFile]) -> Result<(), WarehouseError> {
        use datafusion::datasource::file_format::options::ReadOptions;
        use datafusion::datasource::listing::{ListingTable, ListingTableConfig, ListingTableUrl};
        let urls = files
            .iter()
            .map(|f| {
                let path = std::path::absolute(self.root.join(&f.path))
                    .map_err(|e| WarehouseError::Io { path: f.path.clone(), source: e })?;
                Ok(ListingTableUrl::parse(path.display().to_string())?)
            })
            .collect::<Result<Vec<_>, WarehouseError>>()?;
        let options =
            ParquetReadOptions::default().to_listing_options(&ctx.copied_config(), ctx.copied_table_options());
        let config = ListingTableConfig::new_with_multi_paths(urls)
            .with_listing_options(options)
            .infer_schema(&ctx.state())
            .await?;
        ctx.register_table(name, std::sync::Arc::new(ListingTable::try_new(config)?))?;
        Ok(())
    }

    /// The session, built on first use and again after the tables change.
    async fn cached_session_async(&self) -> Result<SessionContext, WarehouseError> {
        if let Some((g, ctx)) = self.session.lock().expect("session lock").as_ref()
            && *g == self.generation()
        {
            return Ok(ctx.clone());
        }
        let (generation, tables) = self.view();
        let ctx = self.session(&tables).await?;
        *self.session.lock().expect("session lock") = Some((generation, ctx.clone()));
        Ok(ctx)
    }

    /// The session, for the blocking facade.
    fn cached_session(&self) -> Result<SessionContext, WarehouseError> {
        self.block_on(self.cached_session_async())
    }

    /// Runs a future to completion on the warehouse's own runtime: the blocking facade of the
    /// command line. Not to be called from inside an async task (a server awaits the `async`
    /// functions instead, on its own runtime).
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.as_ref().expect("the runtime lives until the warehouse is dropped").block_on(future)
    }

    /// Runs one statement of a user's SQL (checked as [`Warehouse::query_user`] checks it) and
    /// writes its result to `path` as one file (its folder created
    /// if needed), streaming for Parquet and CSV (the result is never held whole). The file
    /// appears whole or not at all: it is written beside and renamed. Returns the number of rows.
    pub fn export(&self, sql: &str, path: &Path, format: ExportFormat) -> Result<u64, WarehouseError> {
        let ctx = self.cached_session()?;
        self.write_frame(path, format, async {
            Ok(ctx.execute_logical_plan(user_plan(&ctx, sql, &View::Steward).await?).await?)
        })
    }

    /// Writes a result already computed (a table disclosure control has checked) to a Parquet,
    /// CSV or JSON file, as [`Warehouse::export`] writes a query's. Returns the number of rows.
    pub fn export_result(
        &self,
        result: &QueryResult,
        path: &Path,
        format: ExportFormat,
    ) -> Result<u64, WarehouseError> {
        let ctx = self.cached_session()?;
        let batches = result.batches().to_vec();
        let schema = result.schema();
        self.write_frame(path, format, async move {
            let table = datafusion::datasource::MemTable::try_new(schema, vec![batches])?;
            Ok(ctx.read_table(std::sync::Arc::new(table))?)
        })
    }

    /// Writes the frame `frame` makes to `path`, beside and renamed.
    fn write_frame(
        &self,
        path: &Path,
        format: ExportFormat,
        frame: impl std::future::Future<Output = Result<datafusion::dataframe::DataFrame, WarehouseError>>,
    ) -> Result<u64, WarehouseError> {
        use datafusion::dataframe::DataFrameWriteOptions;
        let io = |e: std::io::Error| WarehouseError::Io { path: path.display().to_string(), source: e };
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("export");
        let partial = path.with_file_name(format!(".{name}.partial-{}", std::process::id()));
        // The folder is created as needed, whatever the format (DataFusion's Parquet and CSV
        // writers create it, the JSON path must too).
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let target = partial.display().to_string();
        let rows = self.block_on(async {
            let df = frame.await?;
            let options = DataFrameWriteOptions::new().with_single_file_output(true);
            let counts = match format {
                ExportFormat::Parquet => df.write_parquet(&target, options, None).await?,
                ExportFormat::Csv => df.write_csv(&target, options, None).await?,
                ExportFormat::Json => {
                    let schema = std::sync::Arc::new(df.schema().as_arrow().clone());
                    let result = QueryResult::new(schema, df.collect().await?);
                    std::fs::write(&partial, result.to_json()? + "\n").map_err(io)?;
                    return Ok::<u64, WarehouseError>(result.num_rows() as u64);
                }
            };
            // DataFusion answers a write with one row: the number of rows written.
            let count = QueryResult::new(
                counts
                    .first()
                    .map_or_else(|| std::sync::Arc::new(datafusion::arrow::datatypes::Schema::empty()), |b| b.schema()),
                counts,
            )
            .rows()?
            .first()
            .and_then(|r| r.first().and_then(Value::as_f64))
            .unwrap_or(0.0);
            Ok(count as u64)
        });
        let rows = match rows {
            Ok(n) => n,
            Err(e) => {
                let _ = std::fs::remove_file(&partial);
                return Err(e);
            }
        };
        std::fs::rename(&partial, path).map_err(io)?;
        Ok(rows)
    }

    /// Runs one statement of a user's SQL (`oncodata sql`, its shell and its exports) and
    /// collects its result: read-only — no DDL (`CREATE EXTERNAL TABLE`), no DML (`INSERT`,
    /// `COPY … TO`), no statements (`SET`) — and only on the tables of a researcher's view: every
    /// table but [`HIDDEN_TABLES`], in subqueries too. A refused statement is an error saying why.
    pub fn query_user(&self, sql: &str) -> Result<QueryResult, WarehouseError> {
        self.block_on(self.query_user_async(sql))
    }

    /// [`Warehouse::query_user`] on the caller's runtime.
    pub async fn query_user_async(&self, sql: &str) -> Result<QueryResult, WarehouseError> {
        self.query_in_view_async(&View::Steward, sql).await
    }

    /// A user's statement, checked as [`Warehouse::query_user`] checks it, on the tables of
    /// `view` only (a project's view: its tables, nothing else).
    pub async fn query_in_view_async(&self, view: &View, sql: &str) -> Result<QueryResult, WarehouseError> {
        let ctx = self.cached_session_async().await?;
        let plan = user_plan(&ctx, sql, view).await?;
        let df = ctx.execute_logical_plan(plan).await?;
        let schema = std::sync::Arc::new(df.schema().as_arrow().clone());
        Ok(QueryResult::new(schema, df.collect().await?))
    }

    /// The shape of a user's statement (checked as [`Warehouse::query_user`] checks it, on
    /// `view`'s tables): whether its rows are groups and what each column is, from its plan.
    pub async fn user_query_shape_async(&self, view: &View, sql: &str) -> Result<ResultShape, WarehouseError> {
        let ctx = self.cached_session_async().await?;
        Ok(shape::shape_of(&user_plan(&ctx, sql, view).await?))
    }

    /// What the count at aggregate place `aggregate` of a user's statement counts (see
    /// [`ColumnRole::Count`]): per counted value, its groups' values and the value, as text — the
    /// persons behind each cell, for the differencing defence and the cell-key method.
    pub async fn user_query_members_async(
        &self,
        view: &View,
        sql: &str,
        aggregate: usize,
    ) -> Result<Vec<(Vec<String>, String)>, WarehouseError> {
        let ctx = self.cached_session_async().await?;
        let plan =
            shape::members_plan(&user_plan(&ctx, sql, view).await?, aggregate, None).map_err(WarehouseError::Query)?;
        let df = ctx.execute_logical_plan(plan).await?;
        let schema = std::sync::Arc::new(df.schema().as_arrow().clone());
        let result = QueryResult::new(schema, df.collect().await?);
        Ok(result
            .rows()?
            .into_iter()
            .map(|mut r| {
                let member = r.pop().map(|v| v.as_text()).unwrap_or_default();
                (r.iter().map(Value::as_text).collect(), member)
            })
            .collect())
    }

    /// What each person counted by the count at aggregate place `aggregate` contributes to the
    /// aggregate at place `value_of` (a `SUM`): per group and person, the sum of the aggregate's
    /// argument over the person's rows — for the dominance and p % rules.
    pub fn user_query_contributions(
        &self,
        sql: &str,
        aggregate: usize,
        value_of: usize,
    ) -> Result<Vec<(Vec<String>, String, f64)>, WarehouseError> {
        self.block_on(async {
            let ctx = self.cached_session_async().await?;
            let plan = shape::members_plan(&user_plan(&ctx, sql, &View::Steward).await?, aggregate, Some(value_of))
                .map_err(WarehouseError::Query)?;
            let df = ctx.execute_logical_plan(plan).await?;
            let schema = std::sync::Arc::new(df.schema().as_arrow().clone());
            let result = QueryResult::new(schema, df.collect().await?);
            let mut sums: std::collections::BTreeMap<(Vec<String>, String), f64> = Default::default();
            for mut r in result.rows()? {
                let value = r.pop().and_then(|v| v.as_f64()).unwrap_or(0.0);
                let person = r.pop().map(|v| v.as_text()).unwrap_or_default();
                *sums.entry((r.iter().map(Value::as_text).collect(), person)).or_default() += value;
            }
            Ok(sums.into_iter().map(|((g, p), v)| (g, p, v)).collect())
        })
    }

    /// [`Warehouse::user_query_members_async`] on the warehouse's tables.
    pub fn user_query_members(
        &self,
        sql: &str,
        aggregate: usize,
    ) -> Result<Vec<(Vec<String>, String)>, WarehouseError> {
        self.block_on(self.user_query_members_async(&View::Steward, sql, aggregate))
    }

    /// [`Warehouse::user_query_shape_async`] on the warehouse's tables.
    pub fn user_query_shape(&self, sql: &str) -> Result<ResultShape, WarehouseError> {
        self.block_on(self.user_query_shape_async(&View::Steward, sql))
    }

    /// Runs one SQL statement and collects its result. Errors carry DataFusion's message (an
    /// unknown table or column is named there). For the platform's own statements; a user's
    /// go through [`Warehouse::query_user`].
    pub fn query(&self, sql: &str) -> Result<QueryResult, WarehouseError> {
        self.block_on(self.query_async(sql))
    }

    /// [`Warehouse::query`] on the caller's runtime: what a server awaits. The warehouse can
    /// be shared between tasks (`Arc<Warehouse>`).
    pub async fn query_async(&self, sql: &str) -> Result<QueryResult, WarehouseError> {
        let ctx = self.cached_session_async().await?;
        let df = ctx.sql(sql).await?;
        let schema = std::sync::Arc::new(df.schema().as_arrow().clone());
        Ok(QueryResult::new(schema, df.collect().await?))
    }
}

/// A stream of a query's result, batch by batch (Arrow record batches), as a server sends it.
pub type BatchStream = std::pin::Pin<
    Box<dyn futures::Stream<Item = Result<datafusion::arrow::array::RecordBatch, WarehouseError>> + Send>,
>;

impl Warehouse {
    /// Runs one statement of a user's SQL (checked as [`Warehouse::query_user`] checks it, on
    /// `view`'s tables) and streams its result in Arrow record batches, at most `max_rows` rows in all: a result is
    /// never held whole, and a client asking for everything gets the limit.
    pub async fn query_user_stream(
        &self,
        view: &View,
        sql: &str,
        max_rows: usize,
    ) -> Result<BatchStream, WarehouseError> {
        use futures::StreamExt;
        let ctx = self.cached_session_async().await?;
        let df = ctx.execute_logical_plan(user_plan(&ctx, sql, view).await?).await?.limit(0, Some(max_rows))?;
        let stream = df.execute_stream().await?;
        Ok(Box::pin(stream.map(|b| b.map_err(WarehouseError::from))))
    }
}

impl Drop for Warehouse {
    /// Shuts the facade's runtime down without waiting: a warehouse may be dropped inside an
    /// async task, where waiting for a runtime is not allowed.
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests;
