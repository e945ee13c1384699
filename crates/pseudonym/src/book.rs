//! A project's book of pseudonyms: which pseudonym each source record's person got in the
//! project's extracts, so that a person keeps it when a dataset added later brings them a new
//! record (the pseudonym is keyed on the person's first source record, which a new record could
//! otherwise displace) or when linkage merges them with another person. The book holds keyed
//! hashes of the source records (HMAC under the project's key, apart from the pseudonyms' own
//! domain), not the records; it is kept beside the key file, readable by its owner only.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{ProjectKey, PseudonymError};

/// The book of one project.
#[derive(Debug)]
pub struct ProjectBook {
    path: PathBuf,
    /// Keyed hash of a source record → its person's pseudonym.
    entries: HashMap<String, String>,
    /// Persons who had two pseudonyms (merged by linkage) and kept the first.
    merged: usize,
}

impl ProjectBook {
    /// The book of `project` for the key file at `keys` (`KEYS.projects/PROJECT-HEX.book`); empty
    /// when the project has had no extract yet.
    pub fn open(keys: &Path, project: &str) -> Result<Self, PseudonymError> {
        let mut dir = keys.as_os_str().to_owned();
        dir.push(".projects");
        let path = PathBuf::from(dir).join(format!("{}.book", crate::hex(project.as_bytes())));
        let mut entries = HashMap::new();
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                for (i, line) in text.lines().enumerate() {
                    let (hash, pseudonym) = line.split_once(',').ok_or_else(|| {
                        PseudonymError::Invalid(path.clone(), format!("line {}: not HASH,PSEUDONYM", i + 1))
                    })?;
                    entries.insert(hash.to_string(), pseudonym.to_string());
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(PseudonymError::io(&path, e)),
        }
        Ok(Self { path, entries, merged: 0 })
    }

    /// The pseudonym of the person whose source records (`dataset:patient_id`) are `sources`:
    /// the one the book gave any of them (of the first in order when they had several), else the
    /// project's pseudonym of the first source record in order; every record then points to it.
    pub fn assign(&mut self, key: &ProjectKey, sources: &[String]) -> String {
        let mut sorted: Vec<&String> = sources.iter().collect();
        sorted.sort();
        let hashes: Vec<String> = sorted.iter().map(|s| key.pseudonym(&format!("book\x1f{s}"))).collect();
        let known: Vec<&String> = hashes.iter().filter_map(|h| self.entries.get(h)).collect();
        if known.windows(2).any(|w| w[0] != w[1]) {
            self.merged += 1;
        }
        let pseudonym = match known.first() {
            Some(p) => (*p).clone(),
            None => key.pseudonym(sorted.first().map_or("", |s| s.as_str())),
        };
        for h in hashes {
            self.entries.insert(h, pseudonym.clone());
        }
        pseudonym
    }

    /// Persons found with two pseudonyms (linkage merged them) since the book was opened.
    pub fn merged(&self) -> usize {
        self.merged
    }

    /// Writes the book (a new private file renamed over the old one).
    pub fn save(&self) -> Result<(), PseudonymError> {
        let dir = self.path.parent().expect("the book is in a folder");
        std::fs::create_dir_all(dir).map_err(|e| PseudonymError::io(dir, e))?;
        let tmp = self.path.with_extension("book-new");
        let _ = std::fs::remove_file(&tmp);
        let mut lines: Vec<String> = self.entries.iter().map(|(h, p)| format!("{h},{p}\n")).collect();
        lines.sort();
        let mut file = crate::keyfile::create_private(&tmp)?;
        file.write_all(lines.concat().as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| PseudonymError::io(&tmp, e))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| PseudonymError::io(&self.path, e))
    }
}
