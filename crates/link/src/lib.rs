//! Record linkage between two files: blocking ([`blocking`]), field comparators
//! ([`comparison`]) and the Fellegi-Sunter model with `u` from random pairs and `m` by EM
//! ([`model`]), as in Splink; [`link`] runs the whole, [`evaluate`] scores it against known
//! links.

pub mod blocking;
pub mod comparison;
pub mod model;
pub mod on_warehouse;
pub mod persons;
pub mod primaries;
pub mod records;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use rand::{Rng, SeedableRng};
use serde::Deserialize;

use crate::blocking::Rule;
use crate::comparison::{Comparator, Level};
use crate::model::{FieldParameters, MAX_FIELDS, Model, Pattern, level_of, with_level};
pub use crate::records::Records;

/// What stops a linkage.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// An input file cannot be used.
    #[error("{file}: {message}")]
    Input { file: String, message: String },
    /// The configuration is wrong.
    #[error("{file}: {message}")]
    Config { file: String, message: String },
}

/// One compared field of the configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldConfig {
    /// The column, the same on both sides.
    pub name: String,
    /// How values are compared.
    pub comparator: Comparator,
    /// Weigh exact agreement by the value's frequency.
    #[serde(default)]
    pub term_frequency: bool,
}

/// A linkage configuration (`link-files --config LINK.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The id column of the left file.
    pub left_id: String,
    /// The id column of the right file.
    pub right_id: String,
    /// The compared fields.
    pub fields: Vec<FieldConfig>,
    /// Blocking rules, each a list of fields that must be equal; chosen from the data when absent.
    #[serde(default)]
    pub blocking: Option<Vec<Vec<String>>>,
    /// Pairs at or above this match probability are output (default 0.5).
    #[serde(default = "default_threshold")]
    pub threshold: f64,
    /// The most candidate pairs automatic blocking may produce (default 20 × the larger file).
    #[serde(default)]
    pub max_pairs: Option<u64>,
    /// Random pairs drawn to estimate `u` (default 1,000,000).
    #[serde(default = "default_u_sample")]
    pub u_sample: u64,
    /// The seed of that draw.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// The file the configuration was read from, for messages.
    #[serde(skip)]
    pub file: String,
}

fn default_threshold() -> f64 {
    0.5
}
fn default_u_sample() -> u64 {
    1_000_000
}
fn default_seed() -> u64 {
    1
}

impl Config {
    /// Reads a TOML configuration; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Self, LinkError> {
        let bad = |message: String| LinkError::Config { file: file.to_string(), message };
        let mut config: Config = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        config.file = file.to_string();
        if config.fields.is_empty() || config.fields.len() > MAX_FIELDS {
            return Err(bad(format!("give 1 to {MAX_FIELDS} [[fields]]")));
        }
        if !(0.0..=1.0).contains(&config.threshold) {
            return Err(bad(format!("threshold {} is not a probability", config.threshold)));
        }
        for rule in config.blocking.iter().flatten() {
            if rule.is_empty() {
                return Err(bad("an empty blocking rule".into()));
            }
            for f in rule {
                if !config.fields.iter().any(|c| &c.name == f) {
                    return Err(bad(format!("blocking field '{f}' is not one of the [[fields]]")));
                }
            }
        }
        if config.blocking.as_ref().is_some_and(|b| b.len() > 32) {
            return Err(bad("at most 32 blocking rules".into()));
        }
        Ok(config)
    }

    /// Reads a TOML configuration file.
    pub fn load(path: &Path) -> Result<Self, LinkError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| LinkError::Config { file: file.clone(), message: e.to_string() })?;
        Self::parse(&text, &file)
    }

    /// The compared fields' names.
    pub fn field_names(&self) -> Vec<String> {
        self.fields.iter().map(|f| f.name.clone()).collect()
    }
}

/// A pair of records at or above the threshold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pair {
    /// Left record index.
    pub left: u32,
    /// Right record index.
    pub right: u32,
    /// Match weight (log2 of the odds).
    pub weight: f64,
    /// Match probability.
    pub probability: f64,
}

/// The outcome of a linkage.
#[derive(Debug, Clone)]
pub struct Linkage {
    /// The fitted model.
    pub model: Model,
    /// The blocking rules used (field names) and the pairs each produced alone.
    pub rules: Vec<(Vec<String>, u64)>,
    /// Candidate pairs compared (the union of the rules).
    pub candidates: u64,
    /// Pairs at or above the threshold, by left then right record.
    pub pairs: Vec<Pair>,
}

/// The most candidate pairs (by the rules' counts) whose patterns are kept between counting and
/// scoring: 12 bytes each, 1.2 GB at most; beyond, pairs are compared again to score them.
const KEEP_PAIRS: u64 = 100_000_000;

/// The compared pairs of one thread: per left record (index, number of pairs), then each pair's
/// right record and pattern.
#[derive(Default)]
struct Compared {
    lefts: Vec<(u32, u32)>,
    rights: Vec<u32>,
    patterns: Vec<Pattern>,
}

/// Counted patterns, keyed by pattern and the mask of rules the pairs satisfy.
type Counts = HashMap<(Pattern, u32), f64, foldhash::fast::RandomState>;

/// The pattern of a pair.
fn pattern_of(left: &Records, right: &Records, comparators: &[Comparator], l: usize, r: usize) -> Pattern {
    comparators.iter().enumerate().fold(0, |p, (f, c)| with_level(p, f, c.compare(left.value(f, l), right.value(f, r))))
}

/// Runs `work(l)` for every left record on all cores, chunk by chunk, collecting each
/// thread's result.
fn for_each_left<T: Send>(n: usize, init: impl Fn() -> T + Sync, work: impl Fn(&mut T, usize) + Sync) -> Vec<T> {
    const CHUNK: usize = 256;
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut acc = init();
                    loop {
                        let start = next.fetch_add(CHUNK, Ordering::Relaxed);
                        if start >= n {
                            break;
                        }
                        for l in start..(start + CHUNK).min(n) {
                            work(&mut acc, l);
                        }
                    }
                    acc
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    })
}

/// Links `left` to `right` (module documentation); `progress` is told each step.
pub fn link(left: &Records, right: &Records, config: &Config, progress: &dyn Fn(&str)) -> Result<Linkage, LinkError> {
    let comparators: Vec<Comparator> = config.fields.iter().map(|f| f.comparator).collect();
    let nf = comparators.len();
    let config_error = |message: String| LinkError::Config { file: config.file.clone(), message };
    // Blocking rules.
    let field_index = |name: &str| config.fields.iter().position(|f| f.name == name).expect("checked on parsing");
    let rules: Vec<(Rule, u64)> = match &config.blocking {
        Some(given) => given
            .iter()
            .map(|r| {
                let rule: Rule = r.iter().map(|f| field_index(f)).collect();
                let n = blocking::pair_count(left, right, &rule);
                (rule, n)
            })
            .collect(),
        None => {
            progress("choosing blocking rules");
            let budget = config.max_pairs.unwrap_or(20 * left.len().max(right.len()) as u64);
            let chosen = blocking::choose_rules(left, right, nf, budget);
            if chosen.is_empty() {
                return Err(config_error(format!(
                    "no field or pair of fields blocks within {budget} pairs: give blocking rules or a larger max_pairs"
                )));
            }
            chosen
        }
    };
    let rule_fields: Vec<Rule> = rules.iter().map(|(r, _)| r.clone()).collect();
    let keys = blocking::Keys::new(left, right, &rule_fields);
    let order = keys.left_order();

    // u from random pairs.
    progress("estimating u on random pairs");
    let possible = left.len() as u64 * right.len() as u64;
    let draws = config.u_sample.min(possible);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(config.seed);
    let sample: Vec<(usize, usize)> =
        (0..draws).map(|_| (rng.random_range(0..left.len()), rng.random_range(0..right.len()))).collect();
    let random_counts =
        for_each_left(sample.len(), HashMap::<Pattern, f64, foldhash::fast::RandomState>::default, |acc, i| {
            let (l, r) = sample[i];
            *acc.entry(pattern_of(left, right, &comparators, l, r)).or_default() += 1.0;
        });
    let mut random: HashMap<Pattern, f64, foldhash::fast::RandomState> = HashMap::default();
    for part in random_counts {
        for (p, c) in part {
            *random.entry(p).or_default() += c;
        }
    }
    let random: Vec<(Pattern, f64)> = random.into_iter().collect();
    let level_counts: Vec<usize> = comparators.iter().map(|c| c.levels()).collect();
    let u = model::level_shares(&random, &level_counts);

    // Patterns of the candidate pairs, counted for EM and, unless there are too many to hold,
    // kept for scoring so that each pair is compared once.
    progress("comparing candidate pairs");
    let keep = rules.iter().map(|(_, n)| n).sum::<u64>() <= KEEP_PAIRS;
    let parts = for_each_left(
        left.len(),
        || (Counts::default(), Compared::default()),
        |(counts, compared), at| {
            let l = order[at] as usize;
            let before = compared.rights.len();
            keys.candidates_of(l, |r, mask| {
                let p = pattern_of(left, right, &comparators, l, r as usize);
                *counts.entry((p, mask)).or_default() += 1.0;
                if keep {
                    compared.rights.push(r);
                    compared.patterns.push(p);
                }
            });
            let n = compared.rights.len() - before;
            if n > 0 {
                compared.lefts.push((l as u32, n as u32));
            }
        },
    );
    let mut counts = Counts::default();
    let mut compared = Vec::with_capacity(parts.len());
    for (part, kept) in parts {
        for (k, c) in part {
            *counts.entry(k).or_default() += c;
        }
        compared.push(kept);
    }
    let candidates: f64 = counts.values().sum();
    if candidates == 0.0 {
        return Err(config_error("the blocking rules produce no candidate pair".into()));
    }

    // m by EM, one session per rule without its fields.
    progress("estimating m by expectation-maximisation");
    let mut m_sum = vec![vec![0.0; 0]; nf];
    let mut sessions = vec![0usize; nf];
    for (r, rule) in rule_fields.iter().enumerate() {
        let patterns: Vec<(Pattern, f64)> =
            counts.iter().filter(|((_, mask), _)| mask & (1 << r) != 0).map(|(&(p, _), &c)| (p, c)).collect();
        let free: Vec<bool> = (0..nf).map(|f| !rule.contains(&f)).collect();
        if !free.iter().any(|&f| f) {
            continue;
        }
        let m0: Vec<Vec<f64>> = level_counts.iter().map(|&n| model::initial_m(n)).collect();
        let (m, _) = model::expectation_maximisation(&patterns, &free, m0, &u, 0.1);
        for f in (0..nf).filter(|&f| free[f]) {
            if m_sum[f].is_empty() {
                m_sum[f] = vec![0.0; level_counts[f]];
            }
            for (s, v) in m_sum[f].iter_mut().zip(&m[f]) {
                *s += v;
            }
            sessions[f] += 1;
        }
    }
    let union: Vec<(Pattern, f64)> = {
        let mut merged: HashMap<Pattern, f64, foldhash::fast::RandomState> = HashMap::default();
        for (&(p, _), &c) in &counts {
            *merged.entry(p).or_default() += c;
        }
        merged.into_iter().collect()
    };
    let mut m: Vec<Vec<f64>> =
        (0..nf).map(|f| m_sum[f].iter().map(|s| s / sessions[f].max(1) as f64).collect()).collect();
    if sessions.contains(&0) {
        // Fields in every rule: estimated with all fields over the union of candidates.
        let m0: Vec<Vec<f64>> = level_counts.iter().map(|&n| model::initial_m(n)).collect();
        let (all, _) = model::expectation_maximisation(&union, &vec![true; nf], m0, &u, 0.1);
        for f in (0..nf).filter(|&f| sessions[f] == 0) {
            m[f] = all[f].clone();
        }
    }

    // λ: expected matches among the candidates over all possible pairs.
    let share = model::match_share(&union, &m, &u);
    let lambda = (share * candidates / possible as f64).clamp(1e-12, 1.0 - 1e-12);
    let model = Model {
        fields: config
            .fields
            .iter()
            .enumerate()
            .map(|(f, c)| FieldParameters {
                name: c.name.clone(),
                comparator: c.comparator,
                levels: c.comparator.level_names().to_vec(),
                m: m[f].clone(),
                u: u[f].clone(),
                term_frequency: c.term_frequency,
            })
            .collect(),
        lambda,
    };

    // Term frequencies of the fields that use them, over both files.
    let total = (left.len() + right.len()) as f64;
    let tf: Vec<Option<HashMap<&str, f64, foldhash::fast::RandomState>>> = (0..nf)
        .map(|f| {
            config.fields[f].term_frequency.then(|| {
                let mut t: HashMap<&str, f64, foldhash::fast::RandomState> = HashMap::default();
                for i in 0..left.len() {
                    *t.entry(left.value(f, i)).or_default() += 1.0 / total;
                }
                for i in 0..right.len() {
                    *t.entry(right.value(f, i)).or_default() += 1.0 / total;
                }
                t
            })
        })
        .collect();

    // Scoring.
    progress("scoring candidate pairs");
    let weights = model.level_weights();
    let prior = model.prior_weight();
    let score = |acc: &mut Vec<Pair>, l: usize, r: u32, p: Pattern| {
        let mut w = prior;
        for f in 0..nf {
            let level = level_of(p, f);
            if level.is_null() {
                continue;
            }
            w += match (&tf[f], level) {
                (Some(t), Level(0)) => {
                    let share = t.get(left.value(f, l)).copied().unwrap_or(1.0 / total);
                    (model.fields[f].m[0] / share).log2()
                }
                _ => weights[f][level.0 as usize],
            };
        }
        let probability = model::probability(w);
        if probability >= config.threshold {
            acc.push(Pair { left: l as u32, right: r, weight: w, probability });
        }
    };
    let parts: Vec<Vec<Pair>> = if keep {
        std::thread::scope(|scope| {
            let handles: Vec<_> = compared
                .iter()
                .map(|c| {
                    scope.spawn(|| {
                        let mut acc = Vec::new();
                        let mut at = 0;
                        for &(l, n) in &c.lefts {
                            for k in at..at + n as usize {
                                score(&mut acc, l as usize, c.rights[k], c.patterns[k]);
                            }
                            at += n as usize;
                        }
                        acc
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
        })
    } else {
        for_each_left(left.len(), Vec::new, |acc: &mut Vec<Pair>, at| {
            let l = order[at] as usize;
            keys.candidates_of(l, |r, _| {
                score(acc, l, r, pattern_of(left, right, &comparators, l, r as usize));
            });
        })
    };
    let mut pairs: Vec<Pair> = parts.into_iter().flatten().collect();
    pairs.sort_by_key(|p| (p.left, p.right));
    let names = |rule: &Rule| rule.iter().map(|&f| config.fields[f].name.clone()).collect();
    Ok(Linkage {
        model,
        rules: rules.iter().map(|(r, n)| (names(r), *n)).collect(),
        candidates: candidates as u64,
        pairs,
    })
}

/// Precision, recall and F1 of predicted links against true ones.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    /// Predicted links that are true.
    pub true_positives: u64,
    /// Predicted links that are not.
    pub false_positives: u64,
    /// True links not predicted.
    pub false_negatives: u64,
    /// TP / (TP + FP).
    pub precision: f64,
    /// TP / (TP + FN).
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
}

/// Scores predicted `(left id, right id)` links against the true ones.
pub fn evaluate<'a>(
    predicted: impl IntoIterator<Item = (&'a str, &'a str)>,
    truth: &HashSet<(String, String)>,
) -> Scores {
    let mut tp = 0u64;
    let mut fp = 0u64;
    for (l, r) in predicted {
        if truth.contains(&(l.to_string(), r.to_string())) {
            tp += 1;
        } else {
            fp += 1;
        }
    }
    let fn_ = truth.len() as u64 - tp.min(truth.len() as u64);
    Scores::of(tp, fp, fn_)
}

impl Scores {
    /// The scores of counts of true positives, false positives and false negatives.
    pub fn of(tp: u64, fp: u64, fn_: u64) -> Self {
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let (precision, recall) = (ratio(tp, tp + fp), ratio(tp, tp + fn_));
        let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
        Self { true_positives: tp, false_positives: fp, false_negatives: fn_, precision, recall, f1 }
    }
}

#[cfg(test)]
mod tests;
