//! The warehouse's SQL on an Apache Ballista cluster: a scheduler and executors started from
//! the Ballista crates' own server code (`ballista_scheduler::scheduler_process::start_server`,
//! `ballista_executor::executor_process::start_executor_process`) with the platform's SQL
//! functions ([`crate::functions`]) added to their function registries, so that a query using
//! `site_group(…)` or `age_group(…)` plans on the scheduler and runs on the executors as it does
//! in the embedded engine. The stock `ballista-scheduler` and `ballista-executor` binaries run
//! the same SQL without those functions.
//!
//! A client ([`crate::Warehouse::with_ballista`]) registers each table of the snapshot it reads
//! by the absolute paths of its Parquet files: the executors must see the warehouse directory at
//! the same path (one machine, or a shared file system mounted alike on every node).

use std::net::SocketAddr;
use std::sync::Arc;

use ballista_core::registry::BallistaFunctionRegistry;
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;

use crate::WarehouseError;

fn ballista_error(e: impl std::fmt::Display) -> WarehouseError {
    WarehouseError::Query(format!("Ballista: {e}"))
}

/// Where a scheduler listens.
#[derive(Debug, Clone)]
pub struct SchedulerOptions {
    /// Address to bind (`0.0.0.0` for every interface).
    pub bind_host: String,
    /// The host name executors and clients reach it by.
    pub external_host: String,
    /// gRPC port.
    pub port: u16,
}

/// How an executor joins a scheduler.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    /// The scheduler's host.
    pub scheduler_host: String,
    /// The scheduler's gRPC port.
    pub scheduler_port: u16,
    /// Address to bind.
    pub bind_host: String,
    /// The host name the scheduler and other executors reach it by.
    pub external_host: String,
    /// Arrow Flight port (shuffle data).
    pub flight_port: u16,
    /// gRPC port.
    pub grpc_port: u16,
    /// Tasks run at once (0: one per core).
    pub concurrent_tasks: usize,
    /// Folder for shuffle files (default: a temporary folder).
    pub work_dir: Option<String>,
}

fn runtime() -> Result<tokio::runtime::Runtime, WarehouseError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(32 * 1024 * 1024)
        .build()
        .map_err(|e| WarehouseError::Io { path: "tokio runtime".into(), source: e })
}

/// Runs a Ballista scheduler with the platform's functions until the process ends.
pub fn run_scheduler(options: &SchedulerOptions) -> Result<(), WarehouseError> {
    let address: SocketAddr = format!("{}:{}", options.bind_host, options.port)
        .parse()
        .map_err(|e| WarehouseError::Query(format!("--bind {}: {e}", options.bind_host)))?;
    let config = SchedulerConfig {
        external_host: options.external_host.clone(),
        bind_host: options.bind_host.clone(),
        bind_port: options.port,
        ..SchedulerConfig::default()
    }
    .with_override_session_builder(Arc::new(|config| {
        let mut state = ballista_core::utils::default_session_builder(config)?;
        for f in crate::functions::udfs() {
            datafusion::execution::FunctionRegistry::register_udf(&mut state, Arc::new(f))?;
        }
        Ok(state)
    }));
    runtime()?.block_on(async move {
        let cluster = BallistaCluster::new_from_config(&config).await.map_err(ballista_error)?;
        ballista_scheduler::scheduler_process::start_server(cluster, address, Arc::new(config))
            .await
            .map_err(ballista_error)
    })
}

/// Runs a Ballista executor with the platform's functions until the process ends.
pub fn run_executor(options: &ExecutorOptions) -> Result<(), WarehouseError> {
    use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
    let mut registry = BallistaFunctionRegistry::default();
    for f in crate::functions::udfs() {
        registry.scalar_functions.insert(f.name().to_string(), Arc::new(f));
    }
    let config = ExecutorProcessConfig {
        bind_host: options.bind_host.clone(),
        external_host: Some(options.external_host.clone()),
        port: options.flight_port,
        grpc_port: options.grpc_port,
        scheduler_host: options.scheduler_host.clone(),
        scheduler_port: options.scheduler_port,
        vcores: options.concurrent_tasks,
        work_dir: options.work_dir.clone(),
        override_function_registry: Some(Arc::new(registry)),
        ..ExecutorProcessConfig::default()
    };
    runtime()?.block_on(async move { start_executor_process(Arc::new(config)).await.map_err(ballista_error) })
}
