//! The key file: the platform's secret master keys and the keys of sources that arrive already
//! pseudonymised, kept outside the warehouse with owner-only permissions (0600).
//!
//! ```toml
//! # oncodata pseudonymisation keys: secret, never copy into the warehouse or a repository
//! version = 1
//! master = ["<64 hex digits>", "<64 hex digits>"]   # one per rotation, oldest first
//! [sources]
//! claims = "<64 hex digits>"                       # the claims authority's key
//! ```
//!
//! Nothing here ever formats a key: [`Secret`]'s `Debug` is redacted and the errors name the
//! file and what is wrong, never its content (a TOML parse error would quote the line).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::PseudonymError;

/// A 256-bit secret key. Its `Debug` output is redacted; it has no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub(crate) [u8; 32]);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

impl Secret {
    /// A new key from the operating system's random source.
    pub fn random() -> Result<Self, PseudonymError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| PseudonymError::Random(e.to_string()))?;
        Ok(Self(bytes))
    }

    /// Reads 64 hexadecimal digits (surrounding whitespace ignored); `None` otherwise.
    pub fn from_hex(text: &str) -> Option<Self> {
        let t = text.trim().as_bytes();
        if t.len() != 64 {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (i, pair) in t.chunks(2).enumerate() {
            let hi = (pair[0] as char).to_digit(16)?;
            let lo = (pair[1] as char).to_digit(16)?;
            bytes[i] = (hi * 16 + lo) as u8;
        }
        Some(Self(bytes))
    }

    /// The key as 64 hexadecimal digits, to be written to a key file (never printed or logged).
    pub fn to_hex(&self) -> String {
        crate::hex(&self.0)
    }

    /// Writes the key alone (64 hexadecimal digits) to a new file only its owner can read
    /// (0600), refusing to replace one: a salt kept beside the data it keys.
    pub fn write_new(&self, path: &Path) -> Result<(), PseudonymError> {
        let mut file = create_private(path)?;
        file.write_all((self.to_hex() + "\n").as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| PseudonymError::io(path, e))
    }

    /// A keyed 64-bit hash of `value` (the first 8 bytes of HMAC-SHA256 under this key): the same
    /// value always gives the same hash, and no one without the key can compute or invert it.
    pub fn hash64(&self, value: &str) -> u64 {
        let mac = crate::mac(self, &[value.as_bytes()]);
        u64::from_be_bytes(mac[..8].try_into().expect("8 bytes"))
    }
}

/// The key file's text form.
#[derive(Serialize, Deserialize)]
struct KeyFileText {
    version: u32,
    master: Vec<String>,
    #[serde(default)]
    sources: BTreeMap<String, String>,
    #[serde(default)]
    projects: BTreeMap<String, String>,
}

/// The keys of a platform: the chain of master keys (one per rotation) and the keys of
/// sources that come pseudonymised by someone else (the claims authority).
#[derive(Debug, Clone)]
pub struct KeyFile {
    /// Where the keys are kept.
    pub path: PathBuf,
    /// Master keys, oldest first; pseudonyms are computed under the first and re-keyed under
    /// each later one.
    pub(crate) masters: Vec<Secret>,
    /// Keys of pre-pseudonymised sources, by source name.
    pub(crate) sources: BTreeMap<String, Secret>,
    /// Each project's key, fixed at its first extract: a rotation of the master key leaves a
    /// project's pseudonyms as they were.
    pub(crate) projects: BTreeMap<String, Secret>,
}

impl KeyFile {
    /// Where the key file is unless a command names one: `$ONCODATA_KEYS`, else
    /// `$XDG_CONFIG_HOME/oncodata/keys.toml`, else `~/.config/oncodata/keys.toml`.
    pub fn default_path() -> PathBuf {
        if let Some(p) = std::env::var_os("ONCODATA_KEYS").filter(|p| !p.is_empty()) {
            return PathBuf::from(p);
        }
        let config = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
            .unwrap_or_else(|| PathBuf::from("."));
        config.join("oncodata").join("keys.toml")
    }

    /// Creates a key file with one new random master key. Refuses to overwrite an existing
    /// file; the file is created with mode 0600 (owner read/write only).
    pub fn init(path: &Path) -> Result<Self, PseudonymError> {
        let keys = Self {
            path: path.to_path_buf(),
            masters: vec![Secret::random()?],
            sources: BTreeMap::new(),
            projects: BTreeMap::new(),
        };
        if path.exists() {
            return Err(PseudonymError::Exists(path.to_path_buf()));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| PseudonymError::io(dir, e))?;
        }
        keys.write_new(path)?;
        Ok(keys)
    }

    /// Reads a key file, refusing one that its group or others can read (as ssh does).
    pub fn load(path: &Path) -> Result<Self, PseudonymError> {
        let meta = std::fs::metadata(path).map_err(|e| PseudonymError::io(path, e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(PseudonymError::Permissions(path.to_path_buf(), mode));
            }
        }
        let _ = meta;
        let text = std::fs::read_to_string(path).map_err(|e| PseudonymError::io(path, e))?;
        let bad = |what: &str| PseudonymError::Invalid(path.to_path_buf(), what.to_string());
        // The parser's message quotes the offending line, which may hold a key: say only where.
        let parsed: KeyFileText = toml::from_str(&text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start.min(text.len())].lines().count().max(1));
            bad(&match line {
                Some(l) => format!("not a key file (TOML error on line {l})"),
                None => "not a key file".to_string(),
            })
        })?;
        if parsed.version != 1 {
            return Err(bad(&format!("version {} (this program reads version 1)", parsed.version)));
        }
        if parsed.master.is_empty() {
            return Err(bad("no master key"));
        }
        let masters = parsed
            .master
            .iter()
            .enumerate()
            .map(|(i, h)| Secret::from_hex(h).ok_or_else(|| bad(&format!("master key {} is not 64 hex digits", i + 1))))
            .collect::<Result<Vec<_>, _>>()?;
        // Named keys: of sources, of projects.
        let named = |keys: &BTreeMap<String, String>, what: &str| {
            keys.iter()
                .map(|(name, h)| {
                    Secret::from_hex(h)
                        .map(|s| (name.clone(), s))
                        .ok_or_else(|| bad(&format!("the key of {what} '{name}' is not 64 hex digits")))
                })
                .collect::<Result<BTreeMap<_, _>, _>>()
        };
        let sources = named(&parsed.sources, "source")?;
        let projects = named(&parsed.projects, "project")?;
        Ok(Self { path: path.to_path_buf(), masters, sources, projects })
    }

    /// Adds a new master key to the chain and saves the file. Pseudonyms already in a
    /// warehouse must then be re-keyed under it ([`crate::Pseudonymiser::rekey`]).
    pub fn rotate(&mut self) -> Result<(), PseudonymError> {
        self.masters.push(Secret::random()?);
        self.save()
    }

    /// Stores the key a source was pseudonymised with (read from a file holding 64 hex
    /// digits, such as the claims authority's), so that identities can be matched with it.
    pub fn import_source(&mut self, name: &str, key_file: &Path) -> Result<(), PseudonymError> {
        let text = std::fs::read_to_string(key_file).map_err(|e| PseudonymError::io(key_file, e))?;
        let secret = Secret::from_hex(&text)
            .ok_or_else(|| PseudonymError::Invalid(key_file.to_path_buf(), "not 64 hex digits".into()))?;
        self.sources.insert(name.to_string(), secret);
        self.save()
    }

    /// How many master keys the chain holds (1 + rotations).
    pub fn generations(&self) -> usize {
        self.masters.len()
    }

    /// The names of the source keys held.
    pub fn source_names(&self) -> Vec<&str> {
        self.sources.keys().map(String::as_str).collect()
    }

    /// Keeps a project's key and saves the file.
    pub(crate) fn keep_project(&mut self, project: &str, key: Secret) -> Result<(), PseudonymError> {
        self.projects.insert(project.to_string(), key);
        self.save()
    }

    /// Rewrites the file atomically (a new 0600 file renamed over the old one).
    fn save(&self) -> Result<(), PseudonymError> {
        let tmp = self.path.with_extension("tmp-new");
        let _ = std::fs::remove_file(&tmp);
        self.write_new(&tmp)?;
        std::fs::rename(&tmp, &self.path).map_err(|e| PseudonymError::io(&self.path, e))
    }

    fn write_new(&self, path: &Path) -> Result<(), PseudonymError> {
        let text = KeyFileText {
            version: 1,
            master: self.masters.iter().map(Secret::to_hex).collect(),
            sources: self.sources.iter().map(|(k, v)| (k.clone(), v.to_hex())).collect(),
            projects: self.projects.iter().map(|(k, v)| (k.clone(), v.to_hex())).collect(),
        };
        let body = toml::to_string(&text).expect("key file serialises");
        let mut file = create_private(path)?;
        let header = "# oncodata pseudonymisation keys: secret. Keep outside the warehouse, never copy or commit.\n";
        file.write_all(header.as_bytes())
            .and_then(|()| file.write_all(body.as_bytes()))
            .and_then(|()| file.sync_all())
            .map_err(|e| PseudonymError::io(path, e))
    }
}

/// A new file only its owner can read and write (0600 on Unix); an existing one is an error.
pub(crate) fn create_private(path: &Path) -> Result<std::fs::File, PseudonymError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map_err(|e| PseudonymError::io(path, e))
}
