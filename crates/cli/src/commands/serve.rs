//! `oncodata serve`: the platform service over HTTP (`oncodata_server`).

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::CliResult;

#[derive(clap::Args)]
pub struct Args {
    /// The warehouse to serve (linked: its project workspaces are built from it).
    #[arg(long, value_name = "DIR", default_value = "oncodata-data")]
    warehouse: PathBuf,
    /// The address to listen on (port 0: any free port, printed).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// The address of Arrow Flight SQL, for R and Python clients with a project's token (port
    /// 0: any free port, printed).
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8815")]
    flight_bind: SocketAddr,
    /// The governance store: `postgres://USER@HOST:PORT/DB`, or `sqlite://FILE`; by default the
    /// warehouse's `governance.db` (SQLite, created on first start).
    #[arg(long, value_name = "URL", env = "ONCODATA_DATABASE")]
    database: Option<String>,
    /// The pseudonymisation key file, from which each project's workspace gets its own keys
    /// (default: $ONCODATA_KEYS, else ~/.config/oncodata/keys.toml).
    #[arg(long = "keys", value_name = "FILE")]
    keys: Option<PathBuf>,
    /// TLS: the server's certificate chain (PEM); with --tls-key, HTTPS and Flight SQL over TLS.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS: the certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Seconds between signed checkpoints of the audit log.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    checkpoint_every: u64,
}

/// Runs the command.
pub fn run(args: Args) -> CliResult {
    let config = oncodata_server::Config {
        warehouse: args.warehouse.clone(),
        bind: args.bind,
        flight: args.flight_bind,
        database: args.database.clone(),
        checkpoint_every: Duration::from_secs(args.checkpoint_every.max(1)),
        keys: args.keys.clone().unwrap_or_else(oncodata_pseudonym::KeyFile::default_path),
        tls: args.tls_cert.clone().zip(args.tls_key.clone()),
    };
    let store =
        if args.database.as_deref().is_some_and(|u| u.starts_with("postgres")) { "PostgreSQL" } else { "SQLite" };
    oncodata_server::serve(config, |at| {
        let (web, grpc) = if at.tls { ("https", "grpc+tls") } else { ("http", "grpc") };
        println!(
            "oncodata serve: listening on {web}://{} (warehouse {}, governance store on {store}); API description at /api/openapi.json; Arrow Flight SQL on {grpc}://{}; Ctrl-C stops",
            at.http,
            args.warehouse.display(),
            at.flight
        );
        let _ = std::io::stdout().flush();
    })?;
    eprintln!("oncodata serve: stopped; audit log checkpointed");
    Ok(())
}
