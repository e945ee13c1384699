//! The disclosure policy: per audience, the rules every published table must pass. It lives in
//! the warehouse as `disclosure.toml`, written with the defaults below the first time a command
//! needs it, so that a data steward reads and tightens it in one place.
//!
//! Defaults (sources in `reference/rules.md`): `public` and `project` show no count of 1 to 10
//! persons and show zeros, the output rule of France's secure access centre (CASD) for SNDS data;
//! `steward` is unrestricted (a data steward works inside the warehouse).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::DisclosureError;

/// Who a table is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Audience {
    /// Anyone: the public pages, the demo's reports.
    Public,
    /// An approved project's researchers, inside its workspace.
    Project,
    /// A data steward of the platform.
    Steward,
}

impl Audience {
    /// Every audience.
    pub const ALL: [Audience; 3] = [Self::Public, Self::Project, Self::Steward];

    /// Its name, as on the command line and in the policy file.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Project => "project",
            Self::Steward => "steward",
        }
    }

    /// The audience of this name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == text.trim())
    }
}

/// One audience's rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// No published count may describe fewer persons than this, except zero (the frequency
    /// rule's threshold: 11 shows no count of 1–10).
    #[serde(default = "default_min_persons")]
    pub min_persons: u64,
    /// No rule applies (the audience sees the raw figures).
    #[serde(default)]
    pub unrestricted: bool,
    /// How wide, in persons, the interval an attacker can narrow a withheld cell to must stay
    /// (the protection level of secondary suppression); by default `min_persons`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protection: Option<u64>,
    /// Tables of up to this many cells (margins included): the attacker's linear programs prove
    /// every withheld cell no hypercube certifies, settle the cells no single hypercube protects
    /// and check the release of redundant secondary cells. Larger tables rely on certificates
    /// alone (the hypercube of the totals where no other is wide enough), and the attacker's
    /// programs check any cell left without one on sampled sub-tables.
    #[serde(default = "default_attack_max_cells")]
    pub attack_max_cells: usize,
    /// Times, in years since diagnosis, at which every survival curve may be read (1-, 5-year
    /// survival…): the survival rule keeps them as points of every curve it shows, so that
    /// every output of one curve shows the same points (`survival.rs`).
    #[serde(default = "default_anchor_years")]
    pub survival_anchor_years: Vec<f64>,
    /// The cell-key method on the counts shown (`[audience.NAME.cell_key]`); off when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell_key: Option<CellKeyRule>,
    /// Differential privacy for this audience's SQL counts (`[audience.NAME.privacy]`; the
    /// budget is per project); off when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy: Option<crate::privacy::PrivacyRule>,
    /// The (n, k) dominance rule on sums over persons: withheld when the `n` largest
    /// contributions make more than `k` % of the sum (`magnitude.rs`).
    #[serde(default = "default_dominance")]
    pub dominance: (usize, f64),
    /// The p % rule on sums over persons.
    #[serde(default = "default_p_percent")]
    pub p_percent: f64,
}

fn default_dominance() -> (usize, f64) {
    (2, 85.0)
}

fn default_p_percent() -> f64 {
    10.0
}

/// The cell-key method's p-table (`cell_key.rs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CellKeyRule {
    /// The largest noise either way.
    #[serde(default = "default_max_noise")]
    pub max_noise: i64,
    /// The noise's variance.
    #[serde(default = "default_noise_variance")]
    pub variance: f64,
}

fn default_max_noise() -> i64 {
    2
}

fn default_noise_variance() -> f64 {
    1.0
}

fn default_anchor_years() -> Vec<f64> {
    vec![1.0, 2.0, 3.0, 5.0, 10.0]
}

fn default_min_persons() -> u64 {
    11
}

fn default_attack_max_cells() -> usize {
    1000
}

impl Rules {
    /// The protection level in persons.
    pub fn protection(&self) -> u64 {
        self.protection.unwrap_or(self.min_persons)
    }
}

/// The rules of every audience.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Whom each command's output is for when `--audience` is not given (`[default]`).
    #[serde(default)]
    pub default: Defaults,
    /// The audiences' rules, by name (`[audience.public]` …).
    pub audience: Audiences,
}

/// The audience of each command's output when the command line names none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Defaults {
    /// `oncodata incidence`: public.
    pub incidence: String,
    /// `oncodata survival`: public.
    pub survival: String,
    /// `oncodata quality`, a data steward's tool: steward.
    pub quality: String,
    /// `oncodata sql` on the warehouse itself (a steward's access; a project works in its view):
    /// steward.
    pub sql: String,
}

impl Default for Defaults {
    fn default() -> Self {
        Self { incidence: "public".into(), survival: "public".into(), quality: "steward".into(), sql: "steward".into() }
    }
}

/// The three audiences' rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Audiences {
    /// `public`.
    pub public: Rules,
    /// `project`.
    pub project: Rules,
    /// `steward`.
    pub steward: Rules,
}

/// The name of the policy file in a warehouse.
pub const FILE_NAME: &str = "disclosure.toml";

const HEADER: &str = "\
# oncodata disclosure policy: what each audience may see of a published table.
# min_persons: no count of 1 to min_persons - 1 persons is shown (zeros are); 11 is the output
#   rule of France's secure access centre (CASD) for SNDS data.
# unrestricted: the audience sees raw figures (data stewards, inside the warehouse).
# protection: (optional) how many persons wide an attacker's interval of a withheld cell must
#   stay; min_persons by default.
# attack_max_cells: in tables up to this size the attacker's linear programs prove every
#   withheld cell no hypercube of withheld cells certifies; larger ones rely on certificates.
# survival_anchor_years: the times every survival curve keeps as points (1-, 5-year survival).
# [audience.NAME.cell_key] (optional; max_noise = 2, variance = 1.0): perturb every count shown
#   by the cell-key method (the same persons always get the same noise).
# dominance = [n, k], p_percent: the rules on sums over persons (SQL SUM): withheld when the n
#   largest contributions make more than k % of the sum, or the second largest could estimate
#   the largest to within p %.
# [audience.NAME.privacy] (optional): differential privacy for SQL counts, per project:
#   mechanism = laplace or gaussian (quoted), scale, threshold, contributions, budget_epsilon,
#   budget_delta.
# [default]: whom each command's output is for when --audience is not given.
# Sources and the other rules: crates/disclosure/reference/rules.md in the oncodata repository.
";

impl Default for Policy {
    fn default() -> Self {
        let shown = Rules {
            min_persons: 11,
            unrestricted: false,
            protection: None,
            attack_max_cells: default_attack_max_cells(),
            survival_anchor_years: default_anchor_years(),
            cell_key: None,
            privacy: None,
            dominance: default_dominance(),
            p_percent: default_p_percent(),
        };
        Self {
            default: Defaults::default(),
            audience: Audiences {
                public: shown.clone(),
                project: shown.clone(),
                steward: Rules { unrestricted: true, ..shown },
            },
        }
    }
}

impl Policy {
    /// The audience of a command's output when the command line names none (`incidence`,
    /// `survival`, `quality`, `sql`; public for any other).
    pub fn default_audience(&self, command: &str) -> Audience {
        let d = &self.default;
        let name = match command {
            "incidence" => &d.incidence,
            "survival" => &d.survival,
            "quality" => &d.quality,
            "sql" => &d.sql,
            _ => "public",
        };
        Audience::parse(name).unwrap_or(Audience::Public)
    }

    /// The rules of an audience.
    pub fn rules(&self, audience: Audience) -> &Rules {
        match audience {
            Audience::Public => &self.audience.public,
            Audience::Project => &self.audience.project,
            Audience::Steward => &self.audience.steward,
        }
    }

    /// Reads a policy file.
    pub fn read(path: &Path) -> Result<Self, DisclosureError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| DisclosureError::Io { file: file.clone(), source: e })?;
        let policy: Policy = toml::from_str(&text)
            .map_err(|e| DisclosureError::Policy { file: file.clone(), message: e.to_string() })?;
        let d = &policy.default;
        for (command, name) in
            [("incidence", &d.incidence), ("survival", &d.survival), ("quality", &d.quality), ("sql", &d.sql)]
        {
            if Audience::parse(name).is_none() {
                return Err(DisclosureError::Policy {
                    file,
                    message: format!("default.{command} = {name:?}: one of public, project, steward"),
                });
            }
        }
        for a in Audience::ALL {
            let anchors = &policy.rules(a).survival_anchor_years;
            if anchors.iter().any(|t| !t.is_finite() || *t <= 0.0) || anchors.windows(2).any(|w| w[0] >= w[1]) {
                return Err(DisclosureError::Policy {
                    file,
                    message: format!("audience {}: survival_anchor_years are positive and increasing", a.name()),
                });
            }
            if policy.rules(a).min_persons == 0 {
                return Err(DisclosureError::Policy {
                    file,
                    message: format!("audience {}: min_persons is at least 1", a.name()),
                });
            }
        }
        Ok(policy)
    }

    /// The policy of the warehouse at `dir` (`dir/disclosure.toml`), written with the defaults
    /// when there is none yet; says whether it was written.
    pub fn of_warehouse(dir: &Path) -> Result<(Self, bool), DisclosureError> {
        let path = dir.join(FILE_NAME);
        if path.exists() {
            return Ok((Self::read(&path)?, false));
        }
        let policy = Self::default();
        let body = toml::to_string(&policy)
            .map_err(|e| DisclosureError::Policy { file: path.display().to_string(), message: e.to_string() })?;
        std::fs::create_dir_all(dir).map_err(|e| DisclosureError::Io { file: dir.display().to_string(), source: e })?;
        std::fs::write(&path, format!("{HEADER}\n{body}"))
            .map_err(|e| DisclosureError::Io { file: path.display().to_string(), source: e })?;
        Ok((policy, true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_written_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let (policy, written) = Policy::of_warehouse(dir.path()).unwrap();
        assert!(written);
        assert_eq!(policy, Policy::default());
        assert_eq!(policy.rules(Audience::Public).min_persons, 11);
        assert!(policy.rules(Audience::Steward).unrestricted);
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert!(text.starts_with("# oncodata disclosure policy") && text.contains("[audience.public]"), "{text}");
        // A steward tightens the public threshold: the file is read, not rewritten.
        std::fs::write(dir.path().join(FILE_NAME), text.replacen("min_persons = 11", "min_persons = 20", 1)).unwrap();
        let (policy, written) = Policy::of_warehouse(dir.path()).unwrap();
        assert!(!written);
        assert_eq!(policy.rules(Audience::Public).min_persons, 20);
    }

    #[test]
    fn a_bad_policy_names_its_file_and_fault() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        for (text, says) in [
            (
                "[audience.public]\nmin_persons = 0\n[audience.project]\n[audience.steward]\n",
                "min_persons is at least 1",
            ),
            ("[audience.public]\nmin_people = 5\n[audience.project]\n[audience.steward]\n", "unknown field"),
            ("[audience.public]\n", "missing field"),
        ] {
            std::fs::write(&path, text).unwrap();
            let err = Policy::read(&path).unwrap_err().to_string();
            assert!(err.starts_with(&path.display().to_string()) && err.contains(says), "{err}");
        }
        assert_eq!(Audience::parse("project"), Some(Audience::Project));
        assert_eq!(Audience::parse("everyone"), None);
    }
}
