//! `oncodata users`: the platform's accounts (`oncodata_governance::accounts`). Passwords are
//! read from standard input (without echo on a terminal), never from the command line.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use oncodata_governance::{Governance, Role};

use super::CliResult;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

/// Where the accounts are.
#[derive(clap::Args)]
struct Store {
    /// The warehouse whose platform it is.
    #[arg(long, value_name = "DIR", default_value = "oncodata-data")]
    warehouse: PathBuf,
    /// The governance store (as `oncodata serve --database`).
    #[arg(long, value_name = "URL", env = "ONCODATA_DATABASE")]
    database: Option<String>,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Adds an account; its password is read from standard input.
    Add {
        /// The account's name (lowercase letters, digits, '.', '_', '-').
        name: String,
        /// Its role: applicant, committee, steward or admin.
        #[arg(long)]
        role: String,
        #[command(flatten)]
        store: Store,
    },
    /// Lists the accounts.
    List {
        #[command(flatten)]
        store: Store,
    },
    /// Disables an account: it can no longer sign in; its sessions and tokens end.
    Disable {
        /// The account.
        name: String,
        #[command(flatten)]
        store: Store,
    },
    /// Sets an account's password (read from standard input), unlocking and enabling it.
    ResetPassword {
        /// The account.
        name: String,
        #[command(flatten)]
        store: Store,
    },
    /// Prints the roles and what each may do (the table the server enforces).
    Roles,
}

/// The account running the command, for the audit log.
fn operator() -> String {
    format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into()))
}

/// Reads a password: on a terminal, asked twice without echo; otherwise the first line of
/// standard input.
fn read_password(name: &str) -> Result<String, Box<dyn std::error::Error>> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("password for {name}: "))?;
        let again = rpassword::prompt_password("again: ")?;
        if first != again {
            return Err("the two passwords differ".into());
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\n', '\r']).to_string();
    if password.is_empty() {
        return Err(format!("no password for {name} on standard input (e.g. `… < password-file`)").into());
    }
    Ok(password)
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_all().build()
}

async fn open(store: &Store) -> Result<Governance, Box<dyn std::error::Error>> {
    Ok(oncodata_server::governance(&store.warehouse, store.database.as_deref()).await?)
}

/// Runs the command.
pub fn run(args: Args) -> CliResult {
    let rt = runtime()?;
    match args.action {
        Action::Roles => print!("{}", oncodata_governance::roles::markdown()),
        Action::Add { name, role, store } => {
            let role =
                Role::parse(&role).ok_or_else(|| format!("--role {role}: applicant, committee, steward or admin"))?;
            let password = read_password(&name)?;
            let user = rt.block_on(async {
                Ok::<_, Box<dyn std::error::Error>>(
                    open(&store).await?.add_user(&operator(), &name, role, password).await?,
                )
            })?;
            println!("added {} ({})", user.name, user.role.name());
        }
        Action::List { store } => {
            let users =
                rt.block_on(async { Ok::<_, Box<dyn std::error::Error>>(open(&store).await?.users().await?) })?;
            println!("{:<24} {:<10} {:<8} created", "name", "role", "state");
            for u in users {
                let created =
                    chrono::DateTime::from_timestamp(u.created, 0).unwrap_or_default().format("%Y-%m-%d %H:%M");
                println!(
                    "{:<24} {:<10} {:<8} {created}",
                    u.name,
                    u.role.name(),
                    if u.disabled { "disabled" } else { "active" }
                );
            }
        }
        Action::Disable { name, store } => {
            rt.block_on(async {
                Ok::<_, Box<dyn std::error::Error>>(open(&store).await?.disable_user(&operator(), &name).await?)
            })?;
            println!("disabled {name}");
        }
        Action::ResetPassword { name, store } => {
            let password = read_password(&name)?;
            rt.block_on(async {
                Ok::<_, Box<dyn std::error::Error>>(
                    open(&store).await?.reset_password(&operator(), &name, password).await?,
                )
            })?;
            println!("set a new password for {name}");
        }
    }
    Ok(())
}
