//! `oncodata cluster scheduler|executor`: the processes of an Apache Ballista cluster that runs
//! the warehouse's SQL (`--ballista df://HOST:PORT` on `sql` and the analyses). They are
//! Ballista's own scheduler and executor with the platform's SQL functions registered.

use oncodata_warehouse::cluster::{ExecutorOptions, SchedulerOptions, run_executor, run_scheduler};

use super::CliResult;

/// Arguments of `oncodata cluster`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    role: Role,
}

#[derive(clap::Subcommand)]
enum Role {
    /// Run a Ballista scheduler: it plans the queries clients send and hands tasks to executors.
    Scheduler {
        /// Address to listen on (0.0.0.0: every interface).
        #[arg(long, default_value = "127.0.0.1")]
        bind: String,
        /// The host name executors and clients reach this scheduler by (default: --bind).
        #[arg(long)]
        external_host: Option<String>,
        /// gRPC port.
        #[arg(long, default_value_t = 50050)]
        port: u16,
    },
    /// Run a Ballista executor: it polls the scheduler for tasks, reads the Parquet files and
    /// serves shuffle data to the other executors over Arrow Flight.
    Executor {
        /// The scheduler, HOST:PORT.
        #[arg(long, default_value = "127.0.0.1:50050")]
        scheduler: String,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        bind: String,
        /// The host name the scheduler and the other executors reach this one by (default: --bind).
        #[arg(long)]
        external_host: Option<String>,
        /// Arrow Flight port (shuffle data).
        #[arg(long, default_value_t = 50051)]
        flight_port: u16,
        /// gRPC port.
        #[arg(long, default_value_t = 50052)]
        grpc_port: u16,
        /// Tasks run at once (0: one per core).
        #[arg(long, default_value_t = 0)]
        concurrent_tasks: usize,
        /// Folder for shuffle files (default: a temporary folder).
        #[arg(long, value_name = "DIR")]
        work_dir: Option<std::path::PathBuf>,
    },
}

/// Runs the command (until the process is stopped).
pub fn run(args: Args) -> CliResult {
    match args.role {
        Role::Scheduler { bind, external_host, port } => {
            let external_host = external_host.unwrap_or_else(|| bind.clone());
            eprintln!("Ballista scheduler on {bind}:{port}; clients: --ballista df://{external_host}:{port}");
            run_scheduler(&SchedulerOptions { bind_host: bind, external_host, port })?;
        }
        Role::Executor { scheduler, bind, external_host, flight_port, grpc_port, concurrent_tasks, work_dir } => {
            let (host, port) = scheduler
                .rsplit_once(':')
                .and_then(|(h, p)| Some((h.to_string(), p.parse::<u16>().ok()?)))
                .ok_or_else(|| format!("--scheduler {scheduler}: expected HOST:PORT"))?;
            let external_host = external_host.unwrap_or_else(|| bind.clone());
            eprintln!("Ballista executor on {bind}:{flight_port} (gRPC {grpc_port}), scheduler {host}:{port}");
            run_executor(&ExecutorOptions {
                scheduler_host: host,
                scheduler_port: port,
                bind_host: bind,
                external_host,
                flight_port,
                grpc_port,
                concurrent_tasks,
                work_dir: work_dir.map(|d| d.display().to_string()),
            })?;
        }
    }
    Ok(())
}
