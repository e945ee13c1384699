//! The differencing defence: a release log per audience, and the check that refuses a table
//! which, beside one released before, would isolate 1 to `min_persons − 1` persons.
//!
//! Two counts that are each safe can still give away a small group by their difference: the
//! persons diagnosed before 50, then before 51; a table with and without one département. For
//! every cell it publishes, a release records *who* is behind it — the persons counted, each as a
//! keyed hash — so that a later cell can be compared with every earlier one: when one cell's
//! persons contain the other's and the two differ by 1 to `min_persons − 1` persons, the later
//! release is refused, naming the earlier one (Hundepool et al., *Statistical Disclosure
//! Control*, Wiley 2012, §4.4.2 "disclosure by differencing"; the "tracker" attacks on statistical
//! databases: Denning D., Denning P., Schwartz M., *ACM TODS* 4, 1979). DataSHIELD's maintainers
//! list differencing among the attacks their filters do not stop; the log here does.
//!
//! The log lives in the warehouse (`disclosure/releases-AUDIENCE.jsonl`, one release per line);
//! the persons' hashes are keyed with the warehouse's own salt (`disclosure/salt`, readable by
//! its owner only: it also keys the cell-key method's record keys), so the log holds no
//! identifier.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use oncodata_pseudonym::Secret;
use serde::{Deserialize, Serialize};

use crate::{Audience, DisclosureError};

/// One cell of a release: its groups and the persons behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleasedCell {
    /// The cell's groups (its values of the grouping columns).
    pub key: Vec<String>,
    /// The persons behind it, as sorted keyed hashes.
    pub persons: Vec<u64>,
}

/// One release: what was published, when, and its cells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    /// Its number in the audience's log (1 = the first).
    pub id: usize,
    /// When (seconds since 1970, UTC).
    pub at: u64,
    /// What was asked (the statement).
    pub what: String,
    /// The cells shown.
    pub cells: Vec<ReleasedCell>,
}

/// A release refused because of an earlier one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Differencing {
    /// The earlier release.
    pub earlier: usize,
    /// What it asked.
    pub earlier_what: String,
    /// Its cell.
    pub earlier_key: Vec<String>,
    /// The new table's cell.
    pub key: Vec<String>,
    /// How many persons the two differ by.
    pub persons: usize,
}

/// An audience's release log in a warehouse.
#[derive(Debug)]
pub struct ReleaseLog {
    path: PathBuf,
    salt: Secret,
    releases: Vec<Release>,
}

impl ReleaseLog {
    /// The log of `audience` in the warehouse at `dir` (empty when nothing was released yet; the
    /// salt is made on first use).
    pub fn open(dir: &Path, audience: Audience) -> Result<Self, DisclosureError> {
        let folder = dir.join("disclosure");
        let io = |p: &Path| {
            let file = p.display().to_string();
            move |e| DisclosureError::Io { file, source: e }
        };
        std::fs::create_dir_all(&folder).map_err(io(&folder))?;
        let salt_path = folder.join("salt");
        let salt = match std::fs::read_to_string(&salt_path) {
            Ok(text) => Secret::from_hex(&text).ok_or_else(|| DisclosureError::Policy {
                file: salt_path.display().to_string(),
                message: "not a salt (64 hexadecimal digits)".into(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let salt = Secret::random().map_err(|e| DisclosureError::Policy {
                    file: salt_path.display().to_string(),
                    message: format!("no randomness for the salt: {e}"),
                })?;
                salt.write_new(&salt_path).map_err(|e| DisclosureError::Policy {
                    file: salt_path.display().to_string(),
                    message: e.to_string(),
                })?;
                salt
            }
            Err(e) => return Err(io(&salt_path)(e)),
        };
        let path = folder.join(format!("releases-{}.jsonl", audience.name()));
        let mut releases = Vec::new();
        if path.exists() {
            let text = std::fs::read_to_string(&path).map_err(io(&path))?;
            for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
                releases.push(serde_json::from_str(line).map_err(|e| DisclosureError::Policy {
                    file: path.display().to_string(),
                    message: format!("line {}: {e}", n + 1),
                })?);
            }
        }
        Ok(Self { path, salt, releases })
    }

    /// The releases logged so far.
    pub fn releases(&self) -> &[Release] {
        &self.releases
    }

    /// A person's keyed hash.
    pub fn person(&self, id: &str) -> u64 {
        self.salt.hash64(id)
    }

    /// A person's record key for the cell-key method, in [0, 1): a keyed hash of the identifier
    /// under the warehouse's salt, apart from the log's.
    pub fn record_key(&self, id: &str) -> f64 {
        crate::cell_key::record_key(self.salt.hash64(&format!("cell-key\x1f{id}")))
    }

    /// The cell of `key` with the persons of `ids`.
    pub fn cell<'a>(&self, key: Vec<String>, ids: impl IntoIterator<Item = &'a str>) -> ReleasedCell {
        let set: BTreeSet<u64> = ids.into_iter().map(|id| self.person(id)).collect();
        ReleasedCell { key, persons: set.into_iter().collect() }
    }

    /// The first earlier cell that, beside one of `cells`, would isolate 1 to `min_persons − 1`
    /// persons: one contains the other and they differ by that many.
    pub fn check(&self, cells: &[ReleasedCell], min_persons: u64) -> Option<Differencing> {
        let min = min_persons as usize;
        for release in &self.releases {
            for old in &release.cells {
                for new in cells {
                    let (small, large) = if new.persons.len() <= old.persons.len() { (new, old) } else { (old, new) };
                    let difference = large.persons.len() - small.persons.len();
                    if difference == 0 || difference >= min {
                        continue;
                    }
                    if contains(&large.persons, &small.persons) {
                        return Some(Differencing {
                            earlier: release.id,
                            earlier_what: release.what.clone(),
                            earlier_key: old.key.clone(),
                            key: new.key.clone(),
                            persons: difference,
                        });
                    }
                }
            }
        }
        None
    }

    /// Logs a release of `cells` (those shown) for `what`; returns its number.
    pub fn record(&mut self, what: &str, cells: Vec<ReleasedCell>) -> Result<usize, DisclosureError> {
        let at = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let release = Release { id: self.releases.len() + 1, at, what: what.to_string(), cells };
        let line = serde_json::to_string(&release)
            .map_err(|e| DisclosureError::Policy { file: self.path.display().to_string(), message: e.to_string() })?;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .and_then(|mut f| writeln!(f, "{line}").map(|_| f))
            .map_err(|e| DisclosureError::Io { file: self.path.display().to_string(), source: e })?;
        file.flush().map_err(|e| DisclosureError::Io { file: self.path.display().to_string(), source: e })?;
        let id = release.id;
        self.releases.push(release);
        Ok(id)
    }
}

/// Whether the sorted `large` holds every element of the sorted `small`.
fn contains(large: &[u64], small: &[u64]) -> bool {
    let mut i = 0;
    for x in small {
        while i < large.len() && large[i] < *x {
            i += 1;
        }
        if i == large.len() || large[i] != *x {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Differencing pairs: a cell and one with 1 to 10 more persons (its superset) are refused,
    /// whichever comes first; 0 or 11 and more, or cells that do not contain each other, pass.
    #[test]
    fn subsets_differing_by_1_to_10_persons_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = ReleaseLog::open(dir.path(), Audience::Project).unwrap();
        let ids: Vec<String> = (0..200).map(|i| format!("P{i:05}")).collect();
        let cell = |log: &ReleaseLog, range: std::ops::Range<usize>| {
            log.cell(vec!["age < x".into()], ids[range].iter().map(String::as_str))
        };
        let first = cell(&log, 0..100);
        assert!(log.check(std::slice::from_ref(&first), 11).is_none());
        log.record("SELECT … WHERE age < 50", vec![first]).unwrap();
        for extra in 1..=10 {
            let c = log.check(&[cell(&log, 0..100 + extra)], 11).expect("refused");
            assert_eq!((c.earlier, c.persons), (1, extra));
            let c = log.check(&[cell(&log, extra..100)], 11).expect("a subset too");
            assert_eq!(c.persons, extra);
        }
        for ok in [cell(&log, 0..100), cell(&log, 0..111), cell(&log, 89..100), cell(&log, 5..105)] {
            assert!(log.check(&[ok], 11).is_none());
        }
        // The log is read back, and holds no identifier.
        let again = ReleaseLog::open(dir.path(), Audience::Project).unwrap();
        assert_eq!(again.releases().len(), 1);
        assert!(again.check(&[cell(&again, 0..103)], 11).is_some());
        let text = std::fs::read_to_string(dir.path().join("disclosure/releases-project.jsonl")).unwrap();
        assert!(!text.contains("P00001") && text.contains("WHERE age < 50"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("disclosure/salt")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "the salt is its owner's only");
        }
        assert!(ReleaseLog::open(dir.path(), Audience::Public).unwrap().releases().is_empty());
    }
}
