//! Linkage of every source into persons: a deterministic pass on the pseudonymised national
//! and claims ids, a Fellegi–Sunter pass for the rest ([`crate::link`], m by EM, u from random
//! pairs), then clustering of the pairs into persons under constraints, with a clerical-review
//! band.
//!
//! Clustering merges pairs in order of confidence (deterministic, then reviewed, then by
//! decreasing match probability) and refuses a merge that would put two records of a dataset
//! holding one record per person (claims beneficiaries, a hospital's patients) in one person,
//! or that a reviewer rejected. So when three sources disagree (A matches B, B matches C, A and
//! C are two beneficiaries) the weaker link gives way and goes to review, instead of the
//! transitive closure gluing two people together.

use std::collections::HashMap;

use crate::comparison::{Comparator, Level};
use crate::model::{Model, level_of};
use crate::{Config, FieldConfig, LinkError, Records, Scores};

/// The fields compared, in order, and their comparators. Values are text, empty when unknown.
pub const FIELDS: [(&str, Comparator); 12] = [
    ("nir", Comparator::Exact),
    ("claims_id", Comparator::Exact),
    ("surname", Comparator::Dice),
    ("first_name", Comparator::Dice),
    ("birth_month", Comparator::Exact),
    ("birth_day", Comparator::Exact),
    ("sex", Comparator::Exact),
    ("departement", Comparator::Exact),
    ("site", Comparator::Exact),
    ("diagnosis_date", Comparator::DaysApart),
    ("death_date", Comparator::DaysApart),
    ("first_treatment", Comparator::DaysApart),
];

/// Field positions in [`FIELDS`].
pub mod field {
    /// Pseudonym of the national id.
    pub const NIR: usize = 0;
    /// Pseudonym of the claims id.
    pub const CLAIMS: usize = 1;
    /// Surname encoding.
    pub const SURNAME: usize = 2;
    /// First name encoding.
    pub const FIRST_NAME: usize = 3;
    /// Year and month of birth, `YYYY-MM`.
    pub const BIRTH_MONTH: usize = 4;
    /// Day of birth, `DD`.
    pub const BIRTH_DAY: usize = 5;
    /// Sex code.
    pub const SEX: usize = 6;
    /// Département of residence.
    pub const DEPARTEMENT: usize = 7;
    /// Cancer site, the ICD-10 category (`C50`).
    pub const SITE: usize = 8;
    /// Date of diagnosis or of first cancer care, ISO.
    pub const DIAGNOSIS: usize = 9;
    /// Date of death, ISO.
    pub const DEATH: usize = 10;
    /// Date of the first treatment (surgery, chemotherapy, radiotherapy, hormone or targeted
    /// therapy), ISO.
    pub const TREATMENT: usize = 11;
}

/// Blocking rules of the probabilistic pass (fields of [`FIELDS`]): birth month and sex with
/// the département or with the cancer site, or both names.
const BLOCKING: [&[usize]; 3] = [
    &[field::BIRTH_MONTH, field::SEX, field::DEPARTEMENT],
    &[field::BIRTH_MONTH, field::SEX, field::SITE],
    &[field::SURNAME, field::FIRST_NAME],
];

/// One source patient to link.
#[derive(Debug, Clone)]
pub struct SourcePatient {
    /// Its dataset.
    pub dataset: String,
    /// Its id in the dataset.
    pub patient_id: String,
    /// Its dataset holds one record per person (clustering never puts two in one person).
    pub unique: bool,
    /// A backbone record (the claims, which cover everyone): compared with the other
    /// sources' records only, never with its own kind.
    pub backbone: bool,
    /// The values of [`FIELDS`].
    pub values: [String; FIELDS.len()],
}

/// How a record joined its person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkMethod {
    /// Alone.
    Single,
    /// Same pseudonymised national id.
    Nir,
    /// Same pseudonymised claims id.
    Claims,
    /// Accepted by a reviewer.
    Review,
    /// Fellegi–Sunter probability at or above the threshold.
    Probabilistic,
}

impl LinkMethod {
    /// Its name in the `person_records` table.
    pub fn label(self) -> &'static str {
        match self {
            Self::Single => "single",
            Self::Nir => "nir",
            Self::Claims => "claims_id",
            Self::Review => "review",
            Self::Probabilistic => "probabilistic",
        }
    }
}

/// A reviewer's decision on a pair, by the records' (dataset, patient id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// One record.
    pub a: (String, String),
    /// The other.
    pub b: (String, String),
    /// Same person (true) or not.
    pub same: bool,
}

/// A pair for clerical review.
#[derive(Debug, Clone)]
pub struct ReviewPair {
    /// The two records (indices into the input).
    pub a: usize,
    /// See `a`.
    pub b: usize,
    /// Match probability.
    pub probability: f64,
    /// Match weight (log2 of the odds).
    pub weight: f64,
    /// Per field of [`FIELDS`], the comparison level's name (`"unknown"` when a value is
    /// missing).
    pub levels: Vec<&'static str>,
    /// Why it is in review: `uncertain` (in the band) or `conflict` (above the threshold but
    /// refused by the clustering constraints).
    pub reason: &'static str,
}

/// Options of the linkage.
#[derive(Debug, Clone)]
pub struct Options {
    /// Pairs at or above this probability are linked.
    pub threshold: f64,
    /// Pairs from this probability up to the threshold go to review.
    pub review_from: f64,
    /// Random pairs drawn to estimate u.
    pub u_sample: u64,
    /// Seed of the random pairs.
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self { threshold: 0.5, review_from: 0.2, u_sample: 1_000_000, seed: 1 }
    }
}

/// The outcome: a person per record, how each joined, the review queue.
#[derive(Debug, Clone)]
pub struct PersonLinkage {
    /// Per input record, its person (0-based, numbered by first record).
    pub person_of: Vec<u32>,
    /// Number of persons.
    pub persons: usize,
    /// Per record, how it joined its person.
    pub method: Vec<LinkMethod>,
    /// Per record, the probability of the strongest link to its person (1 for deterministic
    /// and reviewed links, 0 when alone).
    pub probability: Vec<f64>,
    /// Pairs for review.
    pub review: Vec<ReviewPair>,
    /// Merges refused by the constraints.
    pub refused: u64,
    /// Deterministic links used.
    pub deterministic: u64,
    /// Probabilistic links used.
    pub probabilistic: u64,
    /// The Fellegi–Sunter model estimated; `None` when there was nothing to compare
    /// probabilistically.
    pub model: Option<Model>,
    /// Candidate pairs compared.
    pub candidates: u64,
}

/// An edge between two records.
struct Edge {
    a: usize,
    b: usize,
    probability: f64,
    weight: f64,
    method: LinkMethod,
    pattern: u64,
}

/// Union-find over records with, per root, its members' unique datasets.
struct Clusters {
    parent: Vec<usize>,
    unique: Vec<Vec<u32>>,
    members: Vec<Vec<usize>>,
}

impl Clusters {
    fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    /// Merges the clusters of `a` and `b` unless a constraint forbids it; true if they are
    /// (now or already) one.
    fn merge(&mut self, a: usize, b: usize, rejected: &HashMap<usize, Vec<usize>>) -> bool {
        let (ra, rb) = (self.root(a), self.root(b));
        if ra == rb {
            return true;
        }
        if self.unique[ra].iter().any(|d| self.unique[rb].contains(d)) {
            return false;
        }
        let (small, large) = if self.members[ra].len() < self.members[rb].len() { (ra, rb) } else { (rb, ra) };
        for k in 0..self.members[small].len() {
            let m = self.members[small][k];
            if let Some(partners) = rejected.get(&m) {
                for &p in partners {
                    if self.root(p) == large {
                        return false;
                    }
                }
            }
        }
        let moved = std::mem::take(&mut self.members[small]);
        self.members[large].extend(moved);
        let unique = std::mem::take(&mut self.unique[small]);
        self.unique[large].extend(unique);
        self.parent[small] = large;
        true
    }
}

/// Links `records` into persons (module documentation); `progress` is told each step.
pub fn link_persons(
    records: &[SourcePatient],
    options: &Options,
    decisions: &[Decision],
    progress: &dyn Fn(&str),
) -> Result<PersonLinkage, LinkError> {
    let n = records.len();
    let names: Vec<String> = FIELDS.iter().map(|(name, _)| name.to_string()).collect();
    let row = |i: usize| (i.to_string(), records[i].values.to_vec());
    let left_index: Vec<usize> = (0..n).filter(|&i| !records[i].backbone).collect();
    let left = Records::from_rows(names.clone(), left_index.iter().map(|&i| row(i)).collect());
    let right = Records::from_rows(names.clone(), (0..n).map(row).collect());
    let config = Config {
        left_id: "record".into(),
        right_id: "record".into(),
        fields: FIELDS
            .iter()
            .map(|(name, comparator)| FieldConfig {
                name: name.to_string(),
                comparator: *comparator,
                term_frequency: false,
            })
            .collect(),
        blocking: Some(BLOCKING.iter().map(|r| r.iter().map(|&f| names[f].clone()).collect()).collect()),
        threshold: options.review_from,
        max_pairs: None,
        u_sample: options.u_sample,
        seed: options.seed,
        file: "the person linkage".into(),
    };
    // No record to compare with the others, or no candidate pair: deterministic links only.
    let linkage = if left.is_empty() {
        None
    } else {
        match crate::link(&left, &right, &config, progress) {
            Ok(l) => Some(l),
            Err(LinkError::Config { message, .. }) if message.contains("no candidate pair") => None,
            Err(e) => return Err(e),
        }
    };

    // Edges: deterministic first, then reviewed, then probabilistic by decreasing probability.
    progress("clustering into persons");
    let mut edges: Vec<Edge> = Vec::new();
    for (f, method) in [(field::NIR, LinkMethod::Nir), (field::CLAIMS, LinkMethod::Claims)] {
        let mut first: HashMap<&str, usize> = HashMap::new();
        for (i, r) in records.iter().enumerate() {
            let v = r.values[f].as_str();
            if v.is_empty() {
                continue;
            }
            match first.get(v) {
                Some(&j) => {
                    edges.push(Edge { a: j, b: i, probability: 1.0, weight: f64::INFINITY, method, pattern: 0 })
                }
                None => {
                    first.insert(v, i);
                }
            }
        }
    }
    let deterministic_edges = edges.len();
    let key_of: HashMap<(&str, &str), usize> =
        records.iter().enumerate().map(|(i, r)| ((r.dataset.as_str(), r.patient_id.as_str()), i)).collect();
    let find = |k: &(String, String)| key_of.get(&(k.0.as_str(), k.1.as_str())).copied();
    let mut rejected: HashMap<usize, Vec<usize>> = HashMap::new();
    let mut rejected_pairs: std::collections::HashSet<(usize, usize)> = Default::default();
    for d in decisions {
        let (Some(a), Some(b)) = (find(&d.a), find(&d.b)) else { continue };
        if d.same {
            edges.push(Edge { a, b, probability: 1.0, weight: f64::INFINITY, method: LinkMethod::Review, pattern: 0 });
        } else {
            rejected.entry(a).or_default().push(b);
            rejected.entry(b).or_default().push(a);
            rejected_pairs.insert((a.min(b), a.max(b)));
        }
    }
    let comparators: Vec<Comparator> = FIELDS.iter().map(|(_, c)| *c).collect();
    let no_pairs = Vec::new();
    let pairs = linkage.as_ref().map_or(&no_pairs, |l| &l.pairs);
    let mut scored: Vec<Edge> = pairs
        .iter()
        .filter_map(|p| {
            let (a, b) = (left_index[p.left as usize], p.right as usize);
            // Each pair of non-backbone records comes twice (as left and as right): keep one.
            if a == b || (!records[b].backbone && b < a) {
                return None;
            }
            let pattern = comparators.iter().enumerate().fold(0u64, |pat, (f, c)| {
                crate::model::with_level(pat, f, c.compare(left.value(f, p.left as usize), right.value(f, b)))
            });
            Some(Edge {
                a,
                b,
                probability: p.probability,
                weight: p.weight,
                method: LinkMethod::Probabilistic,
                pattern,
            })
        })
        .collect();
    scored.sort_by(|x, y| y.probability.total_cmp(&x.probability).then((x.a, x.b).cmp(&(y.a, y.b))));
    edges.extend(scored);

    let mut dataset_ids: HashMap<&str, u32> = HashMap::new();
    let mut clusters =
        Clusters { parent: (0..n).collect(), unique: Vec::with_capacity(n), members: Vec::with_capacity(n) };
    for (i, r) in records.iter().enumerate() {
        let next = dataset_ids.len() as u32;
        let id = *dataset_ids.entry(r.dataset.as_str()).or_insert(next);
        clusters.unique.push(if r.unique { vec![id] } else { Vec::new() });
        clusters.members.push(vec![i]);
    }
    let mut used = vec![false; edges.len()];
    let (mut refused, mut review) = (0u64, Vec::new());
    let level_names = |pattern: u64| -> Vec<&'static str> {
        FIELDS
            .iter()
            .enumerate()
            .map(|(f, (_, c))| {
                let l: Level = level_of(pattern, f);
                if l.is_null() { "unknown" } else { c.level_names()[l.0 as usize] }
            })
            .collect()
    };
    for (e, edge) in edges.iter().enumerate() {
        let linked = edge.method != LinkMethod::Probabilistic || edge.probability >= options.threshold;
        if !linked || rejected_pairs.contains(&(edge.a.min(edge.b), edge.a.max(edge.b))) {
            continue;
        }
        if clusters.merge(edge.a, edge.b, &rejected) {
            used[e] = true;
        } else {
            refused += 1;
            if edge.method == LinkMethod::Probabilistic {
                review.push(ReviewPair {
                    a: edge.a,
                    b: edge.b,
                    probability: edge.probability,
                    weight: edge.weight,
                    levels: level_names(edge.pattern),
                    reason: "conflict",
                });
            }
        }
    }
    // The uncertain band: pairs below the threshold between records left in different persons.
    for edge in edges.iter().filter(|e| e.method == LinkMethod::Probabilistic && e.probability < options.threshold) {
        let decided = rejected_pairs.contains(&(edge.a.min(edge.b), edge.a.max(edge.b)));
        if !decided && clusters.root(edge.a) != clusters.root(edge.b) {
            review.push(ReviewPair {
                a: edge.a,
                b: edge.b,
                probability: edge.probability,
                weight: edge.weight,
                levels: level_names(edge.pattern),
                reason: "uncertain",
            });
        }
    }
    review.sort_by(|x, y| y.probability.total_cmp(&x.probability).then((x.a, x.b).cmp(&(y.a, y.b))));

    // Persons numbered by their first record; how each record joined.
    let mut number: HashMap<usize, u32> = HashMap::new();
    let person_of: Vec<u32> = (0..n)
        .map(|i| {
            let r = clusters.root(i);
            let next = number.len() as u32;
            *number.entry(r).or_insert(next)
        })
        .collect();
    let mut method = vec![LinkMethod::Single; n];
    let mut probability = vec![0.0; n];
    let rank = |m: LinkMethod| match m {
        LinkMethod::Single => 0,
        LinkMethod::Probabilistic => 1,
        LinkMethod::Review => 2,
        LinkMethod::Claims => 3,
        LinkMethod::Nir => 4,
    };
    let (mut deterministic, mut probabilistic) = (0u64, 0u64);
    for (e, edge) in edges.iter().enumerate().filter(|(e, _)| used[*e]) {
        if e < deterministic_edges {
            deterministic += 1;
        } else if edge.method == LinkMethod::Probabilistic {
            probabilistic += 1;
        }
        for i in [edge.a, edge.b] {
            let better = rank(edge.method) > rank(method[i])
                || (rank(edge.method) == rank(method[i]) && edge.probability > probability[i]);
            if better {
                method[i] = edge.method;
                probability[i] = edge.probability;
            }
        }
    }
    Ok(PersonLinkage {
        persons: number.len(),
        person_of,
        method,
        probability,
        review,
        refused,
        deterministic,
        probabilistic,
        candidates: linkage.as_ref().map_or(0, |l| l.candidates),
        model: linkage.map(|l| l.model),
    })
}

/// Pairwise and cluster scores of persons against true persons, over the records whose truth
/// is known: pairwise counts the pairs of records put together (true positive when the truth
/// has them together too); cluster counts the persons reproduced exactly (precision over the
/// persons found, recall over the true persons).
pub fn person_scores(predicted: &[u32], truth: &[Option<u64>]) -> (Scores, Scores) {
    let pairs = |n: u64| n * n.saturating_sub(1) / 2;
    let mut by_pred: HashMap<u32, Vec<u64>> = HashMap::new();
    let mut by_true: HashMap<u64, u64> = HashMap::new();
    let mut cells: HashMap<(u32, u64), u64> = HashMap::new();
    for (p, t) in predicted.iter().zip(truth) {
        let Some(t) = t else { continue };
        by_pred.entry(*p).or_default().push(*t);
        *by_true.entry(*t).or_default() += 1;
        *cells.entry((*p, *t)).or_default() += 1;
    }
    let tp: u64 = cells.values().map(|&c| pairs(c)).sum();
    let predicted_pairs: u64 = by_pred.values().map(|v| pairs(v.len() as u64)).sum();
    let true_pairs: u64 = by_true.values().map(|&c| pairs(c)).sum();
    let pairwise = Scores::of(tp, predicted_pairs - tp, true_pairs - tp);
    // A predicted person is exact when all its records share one true person holding no other.
    let exact =
        by_pred.values().filter(|v| v.iter().all(|t| *t == v[0]) && by_true[&v[0]] == v.len() as u64).count() as u64;
    let (found, real) = (by_pred.len() as u64, by_true.len() as u64);
    let cluster = Scores::of(exact, found - exact, real - exact);
    (pairwise, cluster)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_positions_name_the_fields() {
        let at = [
            (field::NIR, "nir"),
            (field::CLAIMS, "claims_id"),
            (field::SURNAME, "surname"),
            (field::FIRST_NAME, "first_name"),
            (field::BIRTH_MONTH, "birth_month"),
            (field::BIRTH_DAY, "birth_day"),
            (field::SEX, "sex"),
            (field::DEPARTEMENT, "departement"),
            (field::SITE, "site"),
            (field::DIAGNOSIS, "diagnosis_date"),
            (field::DEATH, "death_date"),
            (field::TREATMENT, "first_treatment"),
        ];
        assert_eq!(at.len(), FIELDS.len());
        for (i, name) in at {
            assert_eq!(FIELDS[i].0, name);
        }
    }

    fn patient(dataset: &str, id: &str, backbone: bool, nir: &str) -> SourcePatient {
        let mut values: [String; FIELDS.len()] = Default::default();
        values[field::NIR] = nir.into();
        SourcePatient { dataset: dataset.into(), patient_id: id.into(), unique: true, backbone, values }
    }

    #[test]
    fn nothing_to_compare_leaves_the_deterministic_links() {
        // Claims only: nothing is compared probabilistically; equal national ids still link.
        let records = [patient("claims", "a", true, "x"), patient("claims", "b", true, "")];
        let l = link_persons(&records, &Options::default(), &[], &|_| {}).unwrap();
        assert_eq!((l.persons, l.candidates, l.model.is_none()), (2, 0, true));
        let records =
            [patient("claims", "a", true, "x"), patient("fhir", "b", false, "x"), patient("omop", "c", false, "")];
        let l = link_persons(&records, &Options::default(), &[], &|_| {}).unwrap();
        assert_eq!(l.persons, 2);
        assert_eq!(l.person_of[0], l.person_of[1]);
        assert_eq!((l.method[0], l.method[2]), (LinkMethod::Nir, LinkMethod::Single));
    }

    #[test]
    fn scores_by_hand() {
        // Predicted persons {0,1,2} {3,4} {5}; true persons {0,1} {2,3,4} {5}.
        let (pairwise, cluster) =
            person_scores(&[0, 0, 0, 1, 1, 2], &[Some(1), Some(1), Some(2), Some(2), Some(2), Some(3)]);
        // Pairs predicted: 3 + 1 = 4, true: 1 + 3 = 4, both: (0,1) and (3,4).
        assert_eq!((pairwise.true_positives, pairwise.false_positives, pairwise.false_negatives), (2, 2, 2));
        assert_eq!(pairwise.f1, 0.5);
        // Only {5} is reproduced exactly, of three persons found and three true.
        assert_eq!((cluster.true_positives, cluster.false_positives, cluster.false_negatives), (1, 2, 2));
        // Records without a truth do not count.
        let (p, _) = person_scores(&[0, 0], &[Some(1), None]);
        assert_eq!((p.true_positives, p.false_positives, p.false_negatives), (0, 0, 0));
    }

    #[test]
    fn clustering_refuses_two_records_of_a_one_per_person_dataset_and_rejected_pairs() {
        // Records 0 and 1: two beneficiaries of the claims (dataset 0, one per person); 2 a
        // registry record (dataset 1, duplicates allowed); 3 another registry record.
        let mut c = Clusters {
            parent: (0..4).collect(),
            unique: vec![vec![0], vec![0], vec![], vec![]],
            members: (0..4).map(|i| vec![i]).collect(),
        };
        let none = HashMap::new();
        assert!(c.merge(2, 0, &none));
        // 2 also looks like beneficiary 1: the weaker link gives way.
        assert!(!c.merge(2, 1, &none));
        assert!(c.merge(3, 2, &none), "registry duplicates may join");
        assert_eq!(c.root(3), c.root(0));
        assert_ne!(c.root(1), c.root(0));
        // A reviewer said 1 and 3 are different people: 1 cannot join through anyone.
        let mut c2 = Clusters {
            parent: (0..4).collect(),
            unique: vec![vec![], vec![], vec![], vec![]],
            members: (0..4).map(|i| vec![i]).collect(),
        };
        let rejected: HashMap<usize, Vec<usize>> = [(1, vec![3]), (3, vec![1])].into();
        assert!(c2.merge(0, 3, &rejected));
        assert!(!c2.merge(1, 0, &rejected));
        assert!(c2.merge(1, 2, &rejected));
    }
}
