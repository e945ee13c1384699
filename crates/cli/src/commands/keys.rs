//! `oncodata keys`: create, rotate and inspect the pseudonymisation keys, and the `--keys`
//! option of the commands that pseudonymise identities. No command ever prints a key.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use oncodata_pseudonym::{IDENTITY_COLUMNS, KeyFile, Pseudonymiser};
use oncodata_warehouse::Warehouse;

use super::CliResult;

/// The key file option shared by the commands that pseudonymise or link identities.
#[derive(clap::Args, Clone, Debug)]
pub struct KeysArg {
    /// The key file (default: $ONCODATA_KEYS, else ~/.config/oncodata/keys.toml). It must live
    /// outside the warehouse, with mode 0600.
    #[arg(long = "keys", value_name = "FILE")]
    pub keys: Option<PathBuf>,
}

impl KeysArg {
    /// The key file's path: the option, `$ONCODATA_KEYS`, or the user's configuration folder.
    pub fn path(&self) -> PathBuf {
        self.keys.clone().unwrap_or_else(KeyFile::default_path)
    }

    /// Whether a key file was named (option or environment) rather than defaulted.
    fn named(&self) -> bool {
        self.keys.is_some() || std::env::var_os("ONCODATA_KEYS").is_some_and(|p| !p.is_empty())
    }

    /// The keys, for a command that needs them.
    pub fn load(&self, warehouse: Option<&Path>) -> Result<Pseudonymiser, Box<dyn std::error::Error>> {
        let path = self.path();
        if !path.exists() {
            return Err(format!(
                "{}: no key file; create one with `oncodata keys init --keys {}`",
                path.display(),
                path.display()
            )
            .into());
        }
        if let Some(w) = warehouse {
            refuse_inside(&path, w)?;
        }
        Ok(Pseudonymiser::new(KeyFile::load(&path)?))
    }

    /// The keys if a key file is named or exists at the default place; `None` otherwise.
    pub fn load_if_any(
        &self,
        warehouse: Option<&Path>,
    ) -> Result<Option<Arc<Pseudonymiser>>, Box<dyn std::error::Error>> {
        if !self.named() && !self.path().exists() {
            return Ok(None);
        }
        self.load(warehouse).map(|k| Some(Arc::new(k)))
    }
}

/// Refuses a key file kept inside the warehouse directory.
fn refuse_inside(keys: &Path, warehouse: &Path) -> CliResult {
    let (Ok(k), Ok(w)) = (keys.canonicalize(), warehouse.canonicalize()) else { return Ok(()) };
    if k.starts_with(&w) {
        return Err(format!(
            "{}: the key file is inside the warehouse {}; keep it elsewhere (the warehouse is shared, the keys are not)",
            keys.display(),
            warehouse.display()
        )
        .into());
    }
    Ok(())
}

/// Arguments of `oncodata keys`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Create a key file with a new random master key (mode 0600; refuses to overwrite).
    Init {
        #[command(flatten)]
        keys: KeysArg,
    },
    /// Add a new master key and re-key the pseudonyms of the warehouses named.
    Rotate {
        #[command(flatten)]
        keys: KeysArg,
        /// Warehouses whose identities to re-key now (others: `oncodata keys rekey` later).
        #[arg(long, value_name = "DIR")]
        warehouse: Vec<PathBuf>,
    },
    /// Re-key a warehouse's identities made under older keys of the chain (resumes an
    /// interrupted rotation).
    Rekey {
        #[command(flatten)]
        keys: KeysArg,
        /// The warehouse.
        #[arg(long, value_name = "DIR", default_value = "oncodata-data")]
        warehouse: PathBuf,
    },
    /// Store the key a source was pseudonymised with (the claims authority's), so that
    /// identities can be matched with that source's pseudonyms.
    Import {
        #[command(flatten)]
        keys: KeysArg,
        /// The source the key belongs to (`claims`).
        #[arg(long, value_name = "NAME")]
        source: String,
        /// A file holding the key (64 hex digits).
        file: PathBuf,
    },
    /// Say which keys the file holds, by fingerprint only.
    Status {
        #[command(flatten)]
        keys: KeysArg,
    },
}

/// Runs the command.
pub fn run(args: Args) -> CliResult {
    match args.action {
        Action::Init { keys } => {
            let path = keys.path();
            let file = KeyFile::init(&path)?;
            let p = Pseudonymiser::new(file);
            println!("✓ key file {} created (mode 0600), key id {}", path.display(), p.key_id());
            println!("  keep it outside the warehouse and back it up: pseudonyms cannot be recomputed without it");
        }
        Action::Rotate { keys, warehouse } => {
            let path = keys.path();
            let mut file = KeyFile::load(&path)?;
            file.rotate()?;
            let p = Pseudonymiser::new(file);
            println!(
                "✓ {}: new master key, key id {} ({} keys in the chain)",
                path.display(),
                p.key_id(),
                p.key_file().generations()
            );
            if warehouse.is_empty() {
                println!(
                    "  the pseudonyms already in a warehouse are under the old keys: run `oncodata keys rekey --warehouse DIR` \
                     before ingesting or linking there"
                );
            }
            for w in warehouse {
                rekey(&p, &w, &path)?;
            }
        }
        Action::Rekey { keys, warehouse } => {
            let p = keys.load(Some(&warehouse))?;
            rekey(&p, &warehouse, &keys.path())?;
        }
        Action::Import { keys, source, file } => {
            let path = keys.path();
            let mut k = KeyFile::load(&path)?;
            k.import_source(&source, &file)?;
            println!("✓ {}: key of source '{source}' stored", path.display());
        }
        Action::Status { keys } => {
            let p = keys.load(None)?;
            let f = p.key_file();
            println!("key file   {}", f.path.display());
            println!("key id     {} ({} keys in the chain)", p.key_id(), f.generations());
            let sources = f.source_names();
            println!("sources    {}", if sources.is_empty() { "none".to_string() } else { sources.join(", ") });
        }
    }
    Ok(())
}

fn rekey(keys: &Pseudonymiser, warehouse: &Path, key_path: &Path) -> CliResult {
    refuse_inside(key_path, warehouse)?;
    let w = Warehouse::open(warehouse)?;
    let r = w.rewrite_text_columns("identities", &IDENTITY_COLUMNS, &mut |_, row| keys.rekey_identity(row))?;
    println!("✓ {}: {} identities re-keyed, {} already current", warehouse.display(), r.changed, r.unchanged);
    Ok(())
}
