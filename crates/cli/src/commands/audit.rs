//! `oncodata audit`: the warehouse's tamper-evident audit log (`oncodata_audit`) — verify it,
//! sign a checkpoint, prove that an event is in it, erase an event's personal details — and
//! [`record`], which every command that reads project data calls before it answers.

use std::path::{Path, PathBuf};

use oncodata_audit::{AuditLog, Checkpoint};

use super::CliResult;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Checks every event and every checkpoint (signature, chain, root); names the first event
    /// or checkpoint changed, removed, inserted or moved; exits non-zero if any was.
    Verify {
        /// The warehouse whose log to check.
        #[arg(long, value_name = "DIR", default_value = "oncodata-data")]
        warehouse: PathBuf,
        /// The log's published public key (hexadecimal); by default the log's own `audit.pub`.
        #[arg(long, value_name = "HEX")]
        key: Option<String>,
        /// A checkpoint kept from an earlier `audit checkpoint` or `audit prove` (JSON): the log
        /// must still hold it.
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
    },
    /// Signs a checkpoint of every event so far, and prints it (JSON) for the auditor to keep.
    Checkpoint {
        /// The warehouse.
        #[arg(long, value_name = "DIR", default_value = "oncodata-data")]
        warehouse: PathBuf,
    },
    /// Prints the inclusion proof of an event (JSON, RFC 6962): an auditor checks it against the
    /// checkpoint it names alone (`crates/audit/reference/rfc6962.py --verify`).
    Prove {
        /// The event's number (its `seq`, from 0).
        event: u64,
        /// The warehouse.
        #[arg(long, value_name = "DIR", default_value = "oncodata-data")]
        warehouse: PathBuf,
    },
    /// Erases an event's details (its hash stays, so the log still verifies).
    Erase {
        /// The event's number.
        event: u64,
        /// The warehouse.
        #[arg(long, value_name = "DIR", default_value = "oncodata-data")]
        warehouse: PathBuf,
    },
}

/// The audit log of a warehouse.
pub fn log_of(warehouse: &Path) -> Result<AuditLog, oncodata_audit::AuditError> {
    AuditLog::open(&warehouse.join("audit"))
}

/// Records an action on the warehouse's data in its audit log, durable and signed before the
/// command answers; the actor is the account running the command.
pub fn record(warehouse: &Path, action: &str, details: serde_json::Value) -> CliResult {
    let log = log_of(warehouse)?;
    let actor = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    log.append(&actor, action, details)?;
    log.checkpoint()?;
    Ok(())
}

/// Runs the command.
pub fn run(args: Args) -> CliResult {
    match args.action {
        Action::Verify { warehouse, key, checkpoint } => {
            if !warehouse.join("audit").is_dir() {
                return Err(format!("{}: no audit log here", warehouse.display()).into());
            }
            let log = log_of(&warehouse)?;
            let key = match key {
                None => None,
                Some(k) => Some(
                    oncodata_audit::public_key(&k).ok_or("--key: not an Ed25519 public key (64 hexadecimal digits)")?,
                ),
            };
            let anchor: Option<Checkpoint> = match &checkpoint {
                None => None,
                Some(path) => {
                    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
                    let value: serde_json::Value =
                        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
                    // A checkpoint alone, or the one an inclusion proof names.
                    let c = value.get("checkpoint").cloned().unwrap_or(value);
                    Some(serde_json::from_value(c).map_err(|e| format!("{}: not a checkpoint: {e}", path.display()))?)
                }
            };
            let r = log.verify(key.as_ref(), anchor.as_ref())?;
            println!(
                "✓ audit log verified: {} events ({} erased), {} signed checkpoints{}",
                r.events,
                r.erased,
                r.checkpoints,
                if r.unsigned > 0 { format!("; the last {} events not yet signed", r.unsigned) } else { String::new() }
            );
        }
        Action::Checkpoint { warehouse } => {
            let log = log_of(&warehouse)?;
            match log.checkpoint()? {
                Some(c) => println!("{}", serde_json::to_string_pretty(&c)?),
                None => eprintln!("nothing to sign: the last checkpoint signs every event"),
            }
        }
        Action::Prove { event, warehouse } => {
            println!("{}", serde_json::to_string_pretty(&log_of(&warehouse)?.prove(event)?)?);
        }
        Action::Erase { event, warehouse } => {
            let log = log_of(&warehouse)?;
            log.erase(event)?;
            record(&warehouse, "audit erase", serde_json::json!({ "event": event }))?;
            eprintln!("✓ event {event} erased; its hash stays in the log");
        }
    }
    Ok(())
}
